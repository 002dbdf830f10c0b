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
		return fmt.Sprintf("%s目录已公布，不能再列入；本年度两批目录均已公布的，请作“不予列入”处理并说明理由，或列入下一年度", BatchNames[batch])
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
