package domain

import "fmt"

// BatchNames are the directory batches as the notice names them.
var BatchNames = map[int]string{1: "第一批", 2: "第二批"}

// BatchOpen checks that the region may still select a case into a directory batch: a batch that
// is published takes no more cases (nothing would ever publish them, and the case would wait in
// 待公布目录 forever). It answers the message of a refusal, or "".
func BatchOpen(batch int, published []int) string {
	if batch != 1 && batch != 2 {
		return "目录批次应为第一批或第二批"
	}
	for _, p := range published {
		if p != batch {
			continue
		}
		if batch == 1 && !contains(published, 2) {
			return "第一批目录已公布，不能再列入第一批；请列入第二批"
		}
		return fmt.Sprintf("%s目录已公布，不能再列入；两批目录均已公布后审定的企业，请选择“补充公布”（列入第二批并随即公布），或作“不予列入”处理并说明理由", BatchNames[batch])
	}
	return ""
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// OutcomeSupplementary is the region's decision to select a case after both batches are
// published: it joins the second batch in a supplementary publication (补充公布) made with the
// decision, so that no late summary is left without a way into the directory.
const OutcomeSupplementary = "supplementary"

// SelectionBatch is the directory batch a region decision selects the case into (0: the
// outcome selects none).
func SelectionBatch(outcome string) int {
	switch outcome {
	case "batch1":
		return 1
	case "batch2", OutcomeSupplementary:
		return 2
	}
	return 0
}

// SelectionOpen checks a selection against the batches published so far: a published batch
// takes no more cases (BatchOpen); a supplementary publication is for the time after both are
// published, when nothing else would publish the case. It answers the message of a refusal,
// or "".
func SelectionOpen(outcome string, published []int) string {
	if outcome != OutcomeSupplementary {
		return BatchOpen(SelectionBatch(outcome), published)
	}
	if !contains(published, 2) {
		return "第二批目录尚未公布，请列入第二批，随第二批一同公布"
	}
	return ""
}

// PublishConfirmed checks a publication made while leagues are still collecting: their cases
// can then only join a later batch or a supplementary publication, so the region confirms the
// number of leagues still open (confirmed, as shown to it; a count that has changed since
// must be confirmed again). It answers the message of a refusal, or "".
func PublishConfirmed(open, confirmed int) string {
	if open == 0 || confirmed == open {
		return ""
	}
	return fmt.Sprintf("尚有 %d 个盟市未报送汇总表，现在公布后，这些盟市审定的企业只能列入以后的批次或补充公布。如确认公布，请勾选确认（%d 个盟市未报送）", open, open)
}

// PassedBy reports whether a case selected into batch, and still waiting for its publication,
// was passed by: the batch is published, so nothing will ever publish the case (a selection made
// before BatchOpen refused it). The region publishes such a case late.
func PassedBy(batch int, published []int) bool { return batch > 0 && contains(published, batch) }
