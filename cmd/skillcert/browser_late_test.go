package main

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/workflows"
)

// lateSelectionJourney: after both batches are published, 呼和浩特 accepts one more enterprise
// and sends it in its supplementary report (补充报送) from the task page; once the experts have
// scored, the region's decision page offers only the supplementary publication (补充公布), which
// publishes the enterprise with the decision.
func lateSelectionJourney(t *testing.T, s *stack, league, region *page, e models.BenchEnterprise) {
	form, err := driver.BenchForm(e, func(p, n string) (models.AttachmentRef, error) { return s.upload(e.Username, p, n), nil })
	require.NoError(t, err)
	id := s.submit(e.Username, form)
	s.waitStage(id, workflows.StageLeagueReview)
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, id), map[string]any{"outcome": "accept"})
	s.waitStage(id, workflows.StageInSummary)

	supplement := s.task("hohhot", workflows.KindSupplementarySummary, "")
	league.login("hohhot")
	league.open("/tasks/" + supplement.ID)
	require.Contains(t, league.main(), "补充报送汇总表")
	league.checkpoint("supplementary report")
	league.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, league.main(), "已办结")
	s.waitStage(id, workflows.StageExpertEvaluation)

	s.eventually(func() bool {
		for _, u := range []string{"expert1", "expert2", "expert3", "expert4"} {
			var mine taskList
			s.must(http.StatusOK, u, http.MethodGet, "/api/v1/tasks?view=unit", nil, &mine)
			for _, task := range mine.Items {
				s.decide(u, task, map[string]any{"outcome": "score", "score": 86})
			}
		}
		return s.stage(id) == workflows.StageRegionDecision
	}, "experts to score")

	decision := s.task("region", workflows.KindRegionDecision, id)
	region.login("region")
	region.open("/tasks/" + decision.ID)
	body := region.main()
	require.Contains(t, body, "补充公布（列入第二批）")
	require.NotContains(t, body, "列入第一批", "a published batch is not offered")
	region.do("supplementary", chromedp.Click(chromedp.CSS(`input[name=outcome][value=supplementary]`)))
	region.checkpoint("supplementary publication")
	region.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, region.main(), "已办结")
	s.waitStage(id, workflows.StagePreparation)
	require.Contains(t, s.caseOf("region", id).eventKinds(), "published")
}
