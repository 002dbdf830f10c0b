package workflows_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

const (
	sessionID   = "22222222-0000-7000-8000-000000000001"
	sessionWFID = "session-" + sessionID
)

var centreActor = workflows.Actor{UserID: "u-centre", Username: "centre", Name: "鉴定中心", Role: "region_centre", Jurisdiction: "150000", Domain: "150000"}

func sessionInput() workflows.SessionInput {
	return workflows.SessionInput{SessionID: sessionID, CaseID: caseID, EnterpriseID: dairyID, EnterpriseName: "呼和浩特乳业示范有限公司",
		Jurisdiction: "150105", Region: "150000", OccupationCode: "6-02-04-01", OccupationName: "乳品加工工", Level: 4,
		ExamDate: tbStart, Site: "公司培训中心",
		AssessorsJSON: `[{"name":"甲"},{"name":"乙"},{"name":"丙"}]`}
}

// passed returns n candidates who passed, in registration order.
func passed(n int) []activities.CandidateFacts {
	cs := make([]activities.CandidateFacts, n)
	for i := range cs {
		cs[i] = activities.CandidateFacts{ID: fmt.Sprintf("cand-%02d", i), Name: fmt.Sprintf("考生%02d", i), Result: "pass"}
	}
	return cs
}

// The certificates of a sitting are numbered, recorded and answered in the candidates' order:
// the workflow builds them from a slice, never from a map (whose order differs between runs,
// which made the issued list — and, on replay, the commands — non-deterministic).
func TestSessionIssuesInCandidateOrder(t *testing.T) {
	for run := 0; run < 5; run++ {
		h, _ := tbHarness(t)
		h.env.SetStartWorkflowOptions(clientOptions(sessionWFID))
		cs := passed(12)
		h.env.OnActivity("SessionCandidates", mock.Anything, sessionID).Return(cs, nil)
		var numbers []string
		for i := range cs {
			numbers = append(numbers, fmt.Sprintf("N%02d", i))
		}
		var got activities.IssueInput
		h.env.OnActivity(workflows.IssueCertificatesActivity, mock.Anything, mock.Anything).
			Run(func(args mock.Arguments) { got = args.Get(1).(activities.IssueInput) }).
			Return(activities.IssueResult{Numbers: numbers}, nil)
		u := tbNewUpdates(h)
		h.env.RegisterDelayedCallback(func() {
			u.decide("", "submit", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
		}, time.Hour)
		h.env.RegisterDelayedCallback(func() {
			u.decide("", "audit", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
		}, 2*time.Hour)
		h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
		require.NoError(t, h.env.GetWorkflowError())
		u.ok("submit")
		u.ok("audit")
		var res workflows.SessionResult
		require.NoError(t, h.env.GetWorkflowResult(&res))
		require.Equal(t, numbers, res.Issued, "run %d", run)
		require.Len(t, got.Candidates, len(cs))
		for i, c := range got.Candidates {
			require.Equal(t, cs[i].ID, c.Key)
		}
	}
}

// An activity's failure is not a business refusal: a certificate activity failing for good at
// the end of the publicity does not end the sitting or lose the approval's work; it opens a new
// audit task for the centre, whose approval (the publicity has passed) issues at once. An
// approval failing in the activity then answers the centre with that failure (not as a refused
// decision) and leaves the audit task open.
func TestSessionActivityFailureIsNotARefusal(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(sessionWFID))
	h.env.OnActivity("SessionCandidates", mock.Anything, sessionID).Return(passed(2), nil)
	calls := 0
	h.env.OnActivity(workflows.IssueCertificatesActivity, mock.Anything, mock.Anything).Return(
		func(context.Context, activities.IssueInput) (activities.IssueResult, error) {
			calls++
			if calls <= 2 {
				return activities.IssueResult{}, temporal.NewNonRetryableApplicationError("candidate 0 has no key", activities.ErrCertificateInvalid, nil)
			}
			return activities.IssueResult{Numbers: []string{"N1", "N2"}}, nil
		})
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "submit", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "audit1", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		u.ok("audit1")
		require.Equal(t, 1, calls, "the end of the publicity tried to issue")
		require.Len(t, h.openTasks(workflows.KindAuditResults), 1, "the centre has a new audit task")
		require.Contains(t, h.events(), "certificates_failed")
		u.decide("", "audit2", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
	}, 10*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		r := u.result("audit2")
		require.Error(t, r.err)
		require.False(t, workflows.IsRefusal(r.err), "an activity failure is not a refusal: %v", r.err)
		require.Len(t, h.openTasks(workflows.KindAuditResults), 1, "the task stays open")
		u.decide("", "audit3", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
	}, 10*24*time.Hour+time.Hour)
	h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	require.NoError(t, h.env.GetWorkflowError())
	u.ok("audit3")
	var res workflows.SessionResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, []string{"N1", "N2"}, res.Issued)
}

// Only the pool being too small makes a case wait for more experts. Any other failure of the
// draw activity is not read as "expert pool too small": no panel_failed event, no message to the
// centre about the pool; the failure surfaces.
func TestCasePanelDrawOtherFailureIsNotPoolTooSmall(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	h.env.OnActivity("DrawPanel", mock.Anything, mock.Anything).Return(activities.Panel{},
		temporal.NewNonRetryableApplicationError("expert table unreadable", "StorageCorrupt", nil))
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Error(t, h.env.GetWorkflowError())
	require.NotContains(t, h.events(), "panel_failed")
	require.Empty(t, tbNotes(h, "centre", "escalation", "专家库人数不足"))
}

// The declared refusal types are refusals; an activity's application error is not.
func TestIsRefusal(t *testing.T) {
	for _, typ := range workflows.RefusalTypes {
		require.True(t, workflows.IsRefusal(temporal.NewApplicationError("x", typ)), typ)
	}
	require.False(t, workflows.IsRefusal(temporal.NewApplicationError("x", activities.ErrPoolTooSmall)))
	require.False(t, workflows.IsRefusal(temporal.NewNonRetryableApplicationError("x", "Other", nil)))
	require.False(t, workflows.IsRefusal(fmt.Errorf("plain")))
}

// The region's batch decision may not approve beyond the application: the case workflow's
// validator enforces domain.ApprovedWithinApplied itself (before, only the API checked it and
// the workflow accepted any list), and refuses with the fields at fault in the error's details.
func TestCaseRegionDecisionApprovedWithinApplied(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	tbToRegionDecision(h)
	u := tbNewUpdates(h)
	wider := []workflows.ApprovedOccupation{{Code: "6-02-04-01", Name: "乳品加工工", Levels: validate.LevelRange{Low: 5, High: 1}}}
	other := []workflows.ApprovedOccupation{{Code: "6-31-01-03", Name: "电工", Levels: validate.LevelRange{Low: 5, High: 4}}}
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "wider", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: wider, Applied: approved})
		u.decide("", "other", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: other, Applied: approved})
		u.decide("", "unknown", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageRegionDecision, h.caseRow().Stage, "nothing was decided")
		u.decide("", "ok", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved, Applied: approved, PublishedKnown: true})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
	}, 6*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.True(t, u.refused("wider", workflows.ErrInvalidDecision).rejected, "refused by the validator")
	require.Equal(t, []workflows.FieldError{{Field: "approved[0].levels", Code: "wider_than_applied", Message: "乳品加工工 核准等级（五级至一级）超出申报等级（五级至三级）。"}},
		workflows.RefusalFields(u.result("wider").err))
	u.refused("other", workflows.ErrInvalidDecision)
	require.Equal(t, "approved[0].code", workflows.RefusalFields(u.result("other").err)[0].Field)
	u.refused("unknown", workflows.ErrInvalidDecision)
	u.ok("ok")
	require.Contains(t, h.events(), "selected")
}

// A sitting whose pilot is no longer in force (the activities answer CaseNotInForce) refuses its
// decisions as a business refusal (WrongState) and keeps running: nothing is submitted, audited
// or certified, and it can go on if the pilot is resumed.
func TestSessionRefusesDecisionsWhenThePilotIsNotInForce(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(sessionWFID))
	inForce := false
	h.env.OnActivity("SessionCandidates", mock.Anything, sessionID).Return(
		func(context.Context, string) ([]activities.CandidateFacts, error) {
			if !inForce {
				return nil, temporal.NewNonRetryableApplicationError("case is suspended", activities.ErrCaseNotInForce, nil)
			}
			return passed(1), nil
		})
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "suspended", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindSubmitResults), 1, "the task stays open")
		inForce = true
		u.decide("", "resumed", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, 3*time.Hour)
	h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	u.refused("suspended", workflows.ErrWrongState)
	u.ok("resumed")
}

// The region could select a case into 第一批 after batch 1 was published; nothing ever published
// it and it waited in 待公布目录 forever. A published batch takes no more cases (the decision is
// refused, the task stays open for another batch), and without the campaign's publication facts
// no batch decision is taken.
func TestCaseRegionDecisionRefusesAPublishedBatch(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	tbToRegionDecision(h)
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "published", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1",
			Approved: approved, Applied: approved, Published: []int{1}, PublishedKnown: true})
		u.decide("", "unknown", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch2",
			Approved: approved, Applied: approved})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageRegionDecision, h.caseRow().Stage)
		require.Len(t, h.openTasks(workflows.KindRegionDecision), 1, "the decision stays open")
		u.decide("", "batch2", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch2",
			Approved: approved, Applied: approved, Published: []int{1}, PublishedKnown: true})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageAwaitingPublication, h.caseRow().Stage)
		require.Equal(t, 2, h.caseRow().Batch)
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
	}, 6*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, []workflows.FieldError{{Field: "outcome", Message: "第一批目录已公布，不能再列入第一批；请列入第二批"}},
		workflows.RefusalFields(u.refused("published", workflows.ErrWrongState).err))
	u.refused("unknown", workflows.ErrWrongState)
	u.ok("batch2")
}

// Results were submitted, audited and certificates issued before the sitting's exam date. A
// sitting's results are taken only on or after its exam date (Asia/Shanghai).
func TestSessionRefusesResultsBeforeTheExamDate(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(sessionWFID))
	h.env.OnActivity("SessionCandidates", mock.Anything, sessionID).Return(passed(1), nil)
	in := sessionInput()
	in.ExamDate = tbStart.AddDate(0, 0, 7) // 2027-03-08
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "early", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "eve", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, tbAt(tbStart, "2027-03-07 23:30"))
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "exam-day", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, tbAt(tbStart, "2027-03-08 17:00"))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, tbAt(tbStart, "2027-03-09 09:00"))
	h.env.ExecuteWorkflow(workflows.AssessmentSession, in)
	require.True(t, u.refused("early", workflows.ErrWrongState).rejected)
	require.Contains(t, u.result("early").err.Error(), "考核日期（2027-03-08）之前不能报送认定结果")
	u.refused("eve", workflows.ErrWrongState)
	u.ok("exam-day")
}

// A league's summary that arrives after both batches are published must not leave its cases
// without a way into the directory: the region publishes such a case in a supplementary
// publication (补充公布) with its decision; before batch 2 is published that outcome is refused.
func TestCaseSelectedAfterBothBatchesIsPublishedSupplementarily(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	tbToRegionDecision(h)
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "too-early", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: domain.OutcomeSupplementary,
			Approved: approved, Applied: approved, Published: []int{1}, PublishedKnown: true})
		u.decide("", "batch2-closed", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch2",
			Approved: approved, Applied: approved, Published: []int{1, 2}, PublishedKnown: true})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindRegionDecision), 1, "the decision stays open")
		u.decide("", "supplementary", workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: domain.OutcomeSupplementary,
			Approved: approved, Applied: approved, Published: []int{1, 2}, PublishedKnown: true})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		cs := h.caseRow()
		require.Equal(t, workflows.StagePreparation, cs.Stage)
		require.Equal(t, 2, cs.Batch)
		require.Len(t, h.openTasks(workflows.KindWorkPlan), 1, "the pilot goes on to its work plan")
		var entries []models.DirectoryEntry
		require.NoError(t, h.db.Where("case_id = ?", cs.ID).Find(&entries).Error)
		require.Len(t, entries, 1)
		require.Equal(t, 2, entries[0].Batch)
		require.Equal(t, "active", entries[0].Status)
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
	}, 6*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, []workflows.FieldError{{Field: "outcome", Message: "第二批目录尚未公布，请列入第二批，随第二批一同公布"}},
		workflows.RefusalFields(u.refused("too-early", workflows.ErrWrongState).err))
	require.Contains(t, workflows.RefusalFields(u.refused("batch2-closed", workflows.ErrWrongState).err)[0].Message, "补充公布")
	u.ok("supplementary")
}

// 责令整改 created no follow-up: nothing asked the enterprise to rectify by a date, nobody
// checked. A rectification order opens the enterprise's rectification task with a deadline; its
// report (required) goes to the county to verify; a return opens it again, an acceptance closes
// the order.
func TestRectificationOrderHasADeadlineAndACheck(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.ComplaintOutcomeSignal, workflows.ComplaintOutcome{ComplaintID: "c1", Outcome: "rectify",
			Reason: "宣传材料不实", Actor: countyActor})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		ts := h.openTasks(workflows.KindRectify)
		require.Len(t, ts, 1, "the order opens the enterprise's rectification")
		require.Equal(t, models.RoleEnterpriseUser, ts[0].CandidateRole)
		due := ts[0].DueAt.In(domain.Shanghai)
		require.Equal(t, tbStart.Add(time.Hour).In(domain.Shanghai).AddDate(0, 0, domain.RectificationDays).Format("2006-01-02"), due.Format("2006-01-02"))
		u.decide("", "empty", workflows.KindRectify, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
		u.decide("", "report", workflows.KindRectify, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit", Comment: "已撤回不实宣传材料并公开更正"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Empty(t, h.openTasks(workflows.KindRectify))
		require.Len(t, h.openTasks(workflows.KindVerifyRectification), 1, "the county checks the report")
		u.decide("", "not-yet", workflows.KindVerifyRectification, workflows.DecisionRequest{Actor: countyActor, Outcome: "return",
			Reasons: []workflows.Reason{{Field: "", Message: "更正声明未在官网公示"}}})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindRectify), 1, "returned: rectify again")
		u.decide("", "report-2", workflows.KindRectify, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit", Comment: "已在官网公示更正声明"})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "verified", workflows.KindVerifyRectification, workflows.DecisionRequest{Actor: countyActor, Outcome: "accept"})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Empty(t, h.openTasks(workflows.KindRectify))
		require.Empty(t, h.openTasks(workflows.KindVerifyRectification))
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "结束测试"})
	}, 6*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.Equal(t, []workflows.FieldError{{Field: "comment", Message: "请填写整改情况报告：采取了哪些整改措施、整改结果如何"}},
		workflows.RefusalFields(u.refused("empty", workflows.ErrInvalidDecision).err))
	for _, l := range []string{"report", "not-yet", "report-2", "verified"} {
		u.ok(l)
	}
	require.Equal(t, []string{"submitted", "rectification_ordered", "rectification_reported", "rectification_returned",
		"rectification_reported", "rectification_verified", "withdrawn"}, h.events())
}

// A drawn expert's task could be handed to another expert by hand, or not replaced at all. The
// region replaces an expert only by a redraw: the new expert is drawn at random from the pool
// without the panel's members, the seed is recorded, the old task is cancelled. With nobody left
// to draw, the redraw is refused and the panel stays as it was.
func TestRedrawReplacesAnExpertAtRandom(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	u := tbNewUpdates(h)
	var before []models.Task
	h.env.RegisterDelayedCallback(func() {
		before = h.openTasks(workflows.KindExpertScore)
		require.Len(t, before, 3)
		redraw := workflows.AdjustRequest{Actor: regionActor, Action: "redraw", Reason: "专家因病无法参加评估", TaskID: before[0].ID}
		u.send("", workflows.AdjustUpdate, "by-league", workflows.AdjustRequest{Actor: leagueActor, Action: "redraw", Reason: "x", TaskID: before[0].ID})
		u.send("", workflows.AdjustUpdate, "no-task", workflows.AdjustRequest{Actor: regionActor, Action: "redraw", Reason: "x"})
		u.send("", workflows.AdjustUpdate, "redraw", redraw)
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		after := h.openTasks(workflows.KindExpertScore)
		require.Len(t, after, 3)
		old := map[string]bool{}
		for _, x := range before {
			old[x.AssigneeID] = true
		}
		fresh := 0
		for _, x := range after {
			require.NotEqual(t, before[0].ID, x.ID, "the replaced expert's task is gone")
			if !old[x.AssigneeID] {
				fresh++
			}
		}
		require.Equal(t, 1, fresh, "one new expert, drawn from outside the panel")
		// Nobody left outside the panel: the next redraw finds no one.
		var members []string
		for _, x := range after {
			members = append(members, x.AssigneeID)
		}
		for _, x := range before {
			members = append(members, x.AssigneeID)
		}
		require.NoError(t, h.db.Model(&models.Expert{}).Where("user_id NOT IN ?", members).Update("active", false).Error)
		u.send("", workflows.AdjustUpdate, "none-left", workflows.AdjustRequest{Actor: regionActor, Action: "redraw", Reason: "再次更换", TaskID: after[0].ID})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindExpertScore), 3, "a refused redraw changes nothing")
		u.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "结束测试"})
	}, 5*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	u.refused("by-league", workflows.ErrNotCandidate)
	u.refused("no-task", workflows.ErrWrongState)
	u.ok("redraw")
	require.Contains(t, u.refused("none-left", workflows.ErrWrongState).err.Error(), "没有可替换的专家")
	audit := tbAudit(h, "panel.redraw")
	require.Len(t, audit, 1)
	require.Equal(t, before[0].AssigneeID, audit[0].BeforeState)
	require.Contains(t, audit[0].Reason, "seed=")
	require.Contains(t, h.events(), "panel_redrawn")
}

// A case left waiting for a batch that is published already (selected before a published batch
// refused selections) had no way forward. The region publishes it late from the stalled-case
// page; a case whose batch is not yet published is refused and waits for its batch.
func TestStuckSelectionIsPublishedLate(t *testing.T) {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	tbToRegionDecision(h)
	h.decide(4*time.Hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved,
		Applied: approved, PublishedKnown: true})
	u := tbNewUpdates(h)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageAwaitingPublication, h.caseRow().Stage)
		u.send("", workflows.AdjustUpdate, "not-published", workflows.AdjustRequest{Actor: regionActor, Action: "publish_late", Reason: "补充公布"})
		u.send("", workflows.AdjustUpdate, "by-league", workflows.AdjustRequest{Actor: leagueActor, Action: "publish_late", Reason: "补充公布",
			Published: []int{1}})
		// Batch 1 was published without this case: nothing would ever publish it.
		u.send("", workflows.AdjustUpdate, "late", workflows.AdjustRequest{Actor: regionActor, Action: "publish_late", Reason: "第一批公布时遗漏",
			Published: []int{1}})
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		cs := h.caseRow()
		require.Equal(t, workflows.StagePreparation, cs.Stage)
		var entries []models.DirectoryEntry
		require.NoError(t, h.db.Where("case_id = ?", cs.ID).Find(&entries).Error)
		require.Len(t, entries, 1)
		require.Len(t, h.openTasks(workflows.KindWorkPlan), 1)
		h.env.CancelWorkflow()
	}, 6*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	u.refused("not-published", workflows.ErrWrongState)
	u.refused("by-league", workflows.ErrNotCandidate)
	u.ok("late")
	require.Len(t, tbAudit(h, "case.publish_late"), 1)
	require.Contains(t, h.events(), "published_late")
}
