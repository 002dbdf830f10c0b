package workflows_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/workflows"
)

// A draw that finds too few experts leaves the case waiting on the expert pool (WaitingOn
// expert_pool, not league_summary); the region's draw_panel is refused with the counts while the
// pool is still short; a pool change signal draws at once, without the 24 h retry. Before this
// the case said league_summary, had no way to draw again but the daily retry, and no signal.
func TestCasePanelDrawWaitsOnExpertPool(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	off := tbDeactivateExperts(h, 2) // a panel needs 3
	u := tbNewUpdates(h)
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		c := h.caseRow()
		require.Equal(t, workflows.StageInSummary, c.Stage)
		require.Equal(t, workflows.WaitingExpertPool, c.WaitingOn, "the case says what it waits on")
		// Only the region and its centre may ask for a draw, and only on a waiting case.
		u.send("", workflows.AdjustUpdate, "draw-by-league", workflows.AdjustRequest{Actor: leagueActor, Action: "draw_panel", Reason: "补充"})
		u.send("", workflows.AdjustUpdate, "draw-short", workflows.AdjustRequest{Actor: centreActor, Action: "draw_panel", Reason: "补充"})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageInSummary, h.caseRow().Stage, "still short: nothing drawn")
		// A signal while the pool is unchanged draws again, fails again, and tells no one again.
		h.env.SignalWorkflow(workflows.ExpertPoolChangedSignal, workflows.ExpertPoolChanged{By: "centre"})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageInSummary, h.caseRow().Stage)
		require.Len(t, tbNotes(h, "centre", "escalation", "专家库人数不足"), 1, "the centre is told once")
		require.NoError(t, h.db.Model(&models.Expert{}).Where("user_id IN ?", off).Update("active", true).Error)
		h.env.SignalWorkflow(workflows.ExpertPoolChangedSignal, workflows.ExpertPoolChanged{By: "centre"})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		// Drawn within the hour of the signal, not 24 h after the failure.
		c := h.caseRow()
		require.Equal(t, workflows.StageExpertEvaluation, c.Stage)
		require.NotEqual(t, workflows.WaitingExpertPool, c.WaitingOn)
		require.Len(t, h.openTasks(workflows.KindExpertScore), 3)
		u.send("", workflows.AdjustUpdate, "draw-after", workflows.AdjustRequest{Actor: centreActor, Action: "draw_panel", Reason: "补充"})
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
	}, 5*time.Hour+30*time.Minute)

	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, "withdrawn", tbCaseResult(h).Outcome)
	u.refused("draw-by-league", workflows.ErrNotCandidate)
	r := u.refused("draw-short", workflows.ErrWrongState)
	require.Contains(t, r.err.Error(), "可抽取 2 人，专家组需要 3 人", "the refusal gives the counts")
	u.refused("draw-after", workflows.ErrWrongState)
	require.Equal(t, []string{"submitted", "accepted", "panel_failed", "panel_drawn", "evaluation_started", "withdrawn"}, h.events())
}

// The region's draw_panel draws the panel once the pool has enough experts, audited as
// case.draw_panel, even when no pool signal came (the pool changed outside the service).
func TestCaseDrawPanelAdjustment(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	off := tbDeactivateExperts(h, 2)
	u := tbNewUpdates(h)
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.NoError(t, h.db.Model(&models.Expert{}).Where("user_id IN ?", off).Update("active", true).Error)
		u.send("", workflows.AdjustUpdate, "draw", workflows.AdjustRequest{Actor: regionActor, Action: "draw_panel", Reason: "专家库已补充"})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageExpertEvaluation, h.caseRow().Stage)
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
	}, 4*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, workflows.StageExpertEvaluation, u.ok("draw").val.(workflows.AdjustResult).Stage)
	audit := tbAudit(h, "case.draw_panel")
	require.Len(t, audit, 1)
	require.True(t, strings.Contains(audit[0].Reason, "专家库已补充"))
	require.Len(t, tbAudit(h, "panel.draw"), 1)
}
