package main

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// poolShortCase drives the dairy application to the region with an empty expert pool: the
// panel draw fails and the case waits in the summary stage. Returns the case ID.
func (s *stack) poolShortCase(t *testing.T) string {
	t.Helper()
	now := time.Now()
	require.NoError(t, s.db.Model(&models.Expert{}).Where("1 = 1").Update("active", false).Error)
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)
	id := s.submit("dairy", s.applicationForm("dairy"))
	s.waitStage(id, workflows.StageLeagueReview)
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, id), map[string]any{"outcome": "accept"})
	s.decide("hohhot", s.task("hohhot", workflows.KindSubmitSummary, ""),
		map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "(0471)6606214"})
	s.eventually(func() bool {
		var n int64
		require.NoError(t, s.db.Model(&models.CaseEvent{}).Where("case_id = ? AND kind = ?", id, "panel_failed").Count(&n).Error)
		return n == 1
	}, "the failed panel draw of %s", id)
	require.Equal(t, workflows.StageInSummary, s.stage(id))
	return id
}

// TestPanelDrawRetriedBySummarySignal is the path of a failed draw before the expert pool could
// signal its cases: a second summary signal draws again (and fails again, silently), and once
// experts are back a third draws the panel. With -update-histories its history is kept as the
// replay test's record of that path.
func TestPanelDrawRetriedBySummarySignal(t *testing.T) {
	s := startStack(t, t.TempDir(), dbtest.PostgresSchema(t))
	defer func() { s.stop() }()
	ctx := context.Background()
	id := s.poolShortCase(t)
	cs, err := s.db.CaseByID(ctx, id)
	require.NoError(t, err)
	sig := func() {
		require.NoError(t, s.tc.SignalWorkflow(ctx, cs.WorkflowID, "", workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"}))
	}
	sig()
	time.Sleep(time.Second)
	require.Equal(t, workflows.StageInSummary, s.stage(id))
	require.NoError(t, s.db.Model(&models.Expert{}).Where("1 = 1").Update("active", true).Error)
	sig()
	s.waitStage(id, workflows.StageExpertEvaluation)
	s.writeHistories(t, map[string]string{"enterprise_case_pool_short_v0": cs.WorkflowID})
	fmt.Println("recorded", cs.WorkflowID)
}

// TestExpertPoolSignalEndToEnd: a case whose draw found no experts says it waits on the expert
// pool; the centre re-enters experts through the API one by one, each change signals the case,
// which draws again at once (failing quietly while still short) and gets its panel as soon as
// three experts are drawable — no 24 h wait. With -update-histories its history is kept for
// the replay test.
func TestExpertPoolSignalEndToEnd(t *testing.T) {
	s := startStack(t, t.TempDir(), dbtest.PostgresSchema(t))
	defer func() { s.stop() }()
	ctx := context.Background()
	id := s.poolShortCase(t)
	cs, err := s.db.CaseByID(ctx, id)
	require.NoError(t, err)
	require.Equal(t, workflows.WaitingExpertPool, cs.WaitingOn)
	var pool struct {
		Waiting  int `json:"waiting"`
		Drawable int `json:"drawable"`
	}
	s.must(http.StatusOK, "centre", http.MethodGet, "/api/v1/experts", nil, &pool)
	require.Equal(t, 1, pool.Waiting)
	require.Zero(t, pool.Drawable)
	for i, u := range []string{"expert1", "expert2", "expert3"} {
		var res struct {
			Signalled int `json:"signalled"`
		}
		s.must(http.StatusOK, "centre", http.MethodPost, "/api/v1/experts",
			map[string]any{"username": u, "field": "乳品加工", "employer": fmt.Sprintf("某单位%d", i), "active": true}, &res)
		require.Equal(t, 1, res.Signalled, "the waiting case is signalled")
	}
	s.waitStage(id, workflows.StageExpertEvaluation)
	cs, err = s.db.CaseByID(ctx, id)
	require.NoError(t, err)
	require.NotEqual(t, workflows.WaitingExpertPool, cs.WaitingOn)
	s.writeHistories(t, map[string]string{"enterprise_case_pool_signal": cs.WorkflowID})
}
