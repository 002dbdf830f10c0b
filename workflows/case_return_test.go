package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/workflows"
)

// The region's "return" adjustment (the stalled-cases page's 退回): a case stalled in review
// goes back to the enterprise for correction with the region's reason, and the correction
// comes back to the review it left.

// tbReturn sends the region's return of the case under test.
func tbReturn(u *tbUpdates, label string, actor workflows.Actor, reason string) {
	u.send("", workflows.AdjustUpdate, label, workflows.AdjustRequest{Actor: actor, Action: "return", Reason: reason})
}

// tbSeedApplication writes the case's application as submitted at version 1, as the API does
// before it starts the case, so the return can be seen reopening it.
func tbSeedApplication(h *harness) {
	h.t.Helper()
	now := time.Now().UTC()
	const code = "91150105MA0TEST01X"
	require.NoError(h.t, h.db.Create(&models.ApplicationRecord{ID: caseID, EnterpriseID: dairyID, CampaignID: "2027",
		Status: models.ApplicationSubmitted, DraftJSON: "{}", DraftVersion: 2, CurrentVersion: 1, CreditCode: code,
		SubmittedAt: &now, CreatedAt: now, UpdatedAt: now}).Error)
	require.NoError(h.t, h.db.Create(&models.ApplicationVersion{ApplicationID: caseID, Version: 1, ContentJSON: "{}", CreditCode: code,
		SubmittedAt: now, SubmittedBy: tbUserID(h, "dairy")}).Error)
}

// From league review: only the region may return, only with a reason; the review task is
// cancelled (and its holder told), the enterprise gets the correction task, the application
// reopens with the reason, the timeline and the audit log record it; the resubmission goes
// back to the league, and from there the case goes on as usual — where it can no longer be
// returned.
func TestCaseRegionReturnFromLeagueReview(t *testing.T) {
	h, rec := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	tbSeedApplication(h)
	u := tbNewUpdates(h)
	const reason = "营业执照副本扫描件不清晰，请重新上传"
	var firstReview string
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageLeagueReview, h.caseRow().Stage)
		firstReview = h.openTask(workflows.KindLeagueReview).ID
		tbReturn(u, "by-league", leagueActor, reason)
		tbReturn(u, "by-county", countyActor, reason)
		tbReturn(u, "by-enterprise", enterpriseActor, reason)
		tbReturn(u, "blank-reason", regionActor, "  \n")
		tbReturn(u, "return", regionActor, reason)
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		c := h.caseRow()
		require.Equal(t, workflows.StageCorrection, c.Stage)
		require.Equal(t, "enterprise", c.WaitingOn)

		review := tbTask(h, firstReview)
		require.Equal(t, models.TaskCancelled, review.Status)
		require.Equal(t, "returned", review.Outcome)
		require.Equal(t, reason, review.Reasons)
		require.Equal(t, regionActor.UserID, review.DecidedBy)
		require.Len(t, h.openTasks(workflows.KindLeagueReview), 0)
		corr := h.openTask(workflows.KindCorrection)
		require.Equal(t, "enterprise_user", corr.CandidateRole)
		require.Equal(t, dairyNode, corr.CandidateDomain)
		require.Equal(t, workflows.StageCorrection, corr.Stage)

		notes := tbNotes(h, "dairy", "outcome", "申报材料被退回补正")
		require.Len(t, notes, 1)
		require.Contains(t, notes[0].Body, reason)
		require.Len(t, tbNotes(h, "dairy", "new_task", "按审核意见补正申报材料"), 1)
		cancelled := tbNotes(h, "hohhot", "task_cancelled", "待办已撤销：盟市审核申报材料")
		require.Len(t, cancelled, 1, "the league is told its review is no longer needed")
		require.Contains(t, cancelled[0].Body, reason)

		app, err := h.db.ApplicationByID(context.Background(), caseID)
		require.NoError(t, err)
		require.Equal(t, models.ApplicationReturned, app.Status, "the enterprise may edit the application again")
		ret, err := h.db.LatestReturn(context.Background(), caseID)
		require.NoError(t, err)
		reasons, err := ret.Reasons()
		require.NoError(t, err)
		require.Equal(t, []models.ReturnReason{{Message: reason}}, reasons)
		require.Equal(t, regionActor.UserID, ret.ReturnedBy)

		es, err := h.db.CaseEvents(context.Background(), caseID, true)
		require.NoError(t, err)
		last := es[len(es)-1]
		require.Equal(t, "returned", last.Kind)
		require.Equal(t, "自治区退回企业补正："+reason, last.Summary)
		require.Equal(t, "region_official", last.ActorRole)

		audits := tbAudit(h, "case.return")
		require.Len(t, audits, 1)
		a := audits[0]
		require.Equal(t, []string{regionActor.UserID, "region_official", "150000", "case", caseID, workflows.StageLeagueReview, workflows.StageCorrection, reason, models.OutcomeOK},
			[]string{a.ActorID, a.Role, a.JurisdictionCode, a.ObjectType, a.ObjectID, a.BeforeState, a.AfterState, a.Reason, a.Outcome})

		// Nothing to return while the enterprise holds the case.
		tbReturn(u, "in-correction", regionActor, "再次退回")
		u.decide("", "resubmit", workflows.KindCorrection, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit", ApplicationVersion: 2})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		c := h.caseRow()
		require.Equal(t, workflows.StageLeagueReview, c.Stage, "the correction goes back to the review it left")
		require.Equal(t, 2, c.ApplicationVersion)
		again := h.openTask(workflows.KindLeagueReview)
		require.NotEqual(t, firstReview, again.ID)
		require.Equal(t, "league_official", again.CandidateRole)
		require.Equal(t, "150100", again.CandidateDomain)
		u.decide("", "accept", workflows.KindLeagueReview, workflows.DecisionRequest{TaskID: again.ID, Actor: leagueActor, Outcome: "accept"})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageInSummary, h.caseRow().Stage)
		tbReturn(u, "in-summary", regionActor, "退回")
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageExpertEvaluation, h.caseRow().Stage)
		tbReturn(u, "in-evaluation", regionActor, "退回")
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		for _, task := range h.openTasks(workflows.KindExpertScore) {
			h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(85),
				Actor: expertActor(task.AssigneeID)})
		}
	}, 6*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageRegionDecision, h.caseRow().Stage)
		tbReturn(u, "in-decision", regionActor, "退回")
		u.decide("", "not-selected", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "not_selected",
			Reasons: []workflows.Reason{{Message: "评估得分较低"}}})
	}, 7*time.Hour)

	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, workflows.CaseResult{Stage: workflows.StageClosed, Outcome: "not_selected"}, tbCaseResult(h))
	for label, want := range map[string]string{
		"by-league":     workflows.ErrNotCandidate,
		"by-county":     workflows.ErrNotCandidate,
		"by-enterprise": workflows.ErrNotCandidate,
		"blank-reason":  workflows.ErrInvalidDecision,
		"in-correction": workflows.ErrWrongState,
		"in-summary":    workflows.ErrWrongState,
		"in-evaluation": workflows.ErrWrongState,
		"in-decision":   workflows.ErrWrongState,
	} {
		r := u.refused(label, want)
		require.True(t, r.rejected, "%s is refused by the validator", label)
		if want == workflows.ErrWrongState {
			require.Contains(t, r.err.Error(), "该阶段不能退回", label)
		}
	}
	require.Contains(t, u.result("by-league").err.Error(), "只有自治区人社厅可以退回申报")
	require.Contains(t, u.result("blank-reason").err.Error(), "请填写理由")
	require.Equal(t, workflows.StageCorrection, u.ok("return").val.(workflows.AdjustResult).Stage)
	u.ok("resubmit")
	u.ok("accept")
	u.ok("not-selected")
	require.Len(t, tbAudit(h, "case.return"), 1, "refusals leave no audit row in the workflow (the API audits them)")
	require.Equal(t, []string{"submitted", "returned", "resubmitted", "accepted", "panel_drawn", "evaluation_started"}, h.events()[:6])
	require.Equal(t, []string{workflows.LeagueWorkflowID("2027", "150100")}, rec.targets(workflows.CaseAcceptedSignal),
		"the league hears of the case once, when it accepts it")
	require.Empty(t, rec.named(workflows.CaseLeftSignal), "a case returned before acceptance was never in the league's summary")
	require.Len(t, tbTasks(h, workflows.KindLeagueReview), 2)
}

// From the county's pre-check: the resubmission goes back to the county, not on to the league;
// a second return, from league review, goes back to the league. The holder of the cancelled
// task, here the county, is told.
func TestCaseRegionReturnFromPrecheck(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	u := tbNewUpdates(h)
	var firstPrecheck string
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StagePrecheck, h.caseRow().Stage)
		firstPrecheck = h.openTask(workflows.KindPrecheck).ID
		tbReturn(u, "from-precheck", regionActor, "申报职业不在目录内")
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageCorrection, h.caseRow().Stage)
		task := tbTask(h, firstPrecheck)
		require.Equal(t, models.TaskCancelled, task.Status)
		require.Equal(t, "returned", task.Outcome)
		require.Len(t, tbNotes(h, "saihan", "task_cancelled", "旗县初审申报材料"), 1)
		require.Len(t, tbNotes(h, "dairy", "outcome", "申报材料被退回补正"), 1)
		u.decide("", "resubmit-1", workflows.KindCorrection, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit", ApplicationVersion: 2})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StagePrecheck, h.caseRow().Stage, "back to the county that held it")
		require.Empty(t, h.openTasks(workflows.KindLeagueReview))
		again := h.openTask(workflows.KindPrecheck)
		require.NotEqual(t, firstPrecheck, again.ID)
		require.Equal(t, "150105", again.CandidateDomain)
		u.decide("", "pass", workflows.KindPrecheck, workflows.DecisionRequest{TaskID: again.ID, Actor: countyActor, Outcome: "pass"})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageLeagueReview, h.caseRow().Stage)
		tbReturn(u, "from-review", regionActor, "请补充培训记录")
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageCorrection, h.caseRow().Stage)
		u.decide("", "resubmit-2", workflows.KindCorrection, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit", ApplicationVersion: 3})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		c := h.caseRow()
		require.Equal(t, workflows.StageLeagueReview, c.Stage, "the second correction goes back to the league")
		require.Equal(t, 3, c.ApplicationVersion)
		require.Empty(t, h.openTasks(workflows.KindPrecheck))
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "结束测试"})
	}, 6*time.Hour)

	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(true))
	require.Equal(t, "withdrawn", tbCaseResult(h).Outcome)
	for _, label := range []string{"from-precheck", "resubmit-1", "pass", "from-review", "resubmit-2", "withdraw"} {
		u.ok(label)
	}
	require.Equal(t, []string{"submitted", "returned", "resubmitted", "precheck_passed", "returned", "resubmitted", "withdrawn"}, h.events())
	var befores []string
	for _, a := range tbAudit(h, "case.return") {
		befores = append(befores, a.BeforeState+"→"+a.AfterState)
	}
	require.Equal(t, []string{workflows.StagePrecheck + "→" + workflows.StageCorrection, workflows.StageLeagueReview + "→" + workflows.StageCorrection}, befores)
}

// A return validated in review but queued behind a decision that moved the case on is refused
// when its turn comes, and changes nothing.
func TestCaseRegionReturnQueuedBehindAcceptance(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		// A complaint's rectification order keeps the main loop busy writing without moving the
		// case; the acceptance and the return are both validated in review and wait behind it,
		// the decision first.
		h.env.SignalWorkflow(workflows.ComplaintOutcomeSignal, workflows.ComplaintOutcome{ComplaintID: "c1", Outcome: "rectify",
			Reason: "宣传材料不实", Actor: countyActor})
		u.decide("", "accept", workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
		tbReturn(u, "return", regionActor, "材料不全")
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageInSummary, h.caseRow().Stage)
		require.Empty(t, h.openTasks(workflows.KindCorrection))
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "结束测试"})
	}, 2*time.Hour)

	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, "withdrawn", tbCaseResult(h).Outcome)
	u.ok("accept")
	r := u.refused("return", workflows.ErrWrongState)
	require.False(t, r.rejected, "validated in review, refused by the handler")
	require.Contains(t, r.err.Error(), "该阶段不能退回")
	require.Empty(t, tbAudit(h, "case.return"))
	require.Equal(t, []string{"submitted", "rectification_ordered", "accepted", "withdrawn"}, h.events())
}

// Returnable is the rule the page uses to offer the action.
func TestReturnableStages(t *testing.T) {
	for stage, want := range map[string]bool{
		workflows.StagePrecheck: true, workflows.StageLeagueReview: true,
		workflows.StageCorrection: false, workflows.StageInSummary: false, workflows.StageExpertEvaluation: false,
		workflows.StageRegionDecision: false, workflows.StageAwaitingPublication: false, workflows.StagePreparation: false,
		workflows.StageFiling: false, workflows.StageActive: false, workflows.StageSuspended: false, workflows.StageClosed: false,
	} {
		require.Equal(t, want, workflows.Returnable(stage), stage)
	}
}
