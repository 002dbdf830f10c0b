package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
	"skillcert/worker"
	"skillcert/workflows"
)

const (
	dairyID   = "00000000-0000-7000-8000-000000000101" // demo enterprise in 赛罕区 150105, 呼和浩特 150100
	caseID    = "11111111-0000-7000-8000-000000000001"
	caseWFID  = "case-" + caseID
	dairyNode = "150105/E/" + dairyID
)

var (
	enterpriseActor = workflows.Actor{UserID: "u-dairy", Username: "dairy", Name: "乳业公司", Role: "enterprise_user", Jurisdiction: "150105", Domain: dairyNode}
	countyActor     = workflows.Actor{UserID: "u-saihan", Username: "saihan", Name: "赛罕区", Role: "county_official", Jurisdiction: "150105", Domain: "150105"}
	leagueActor     = workflows.Actor{UserID: "u-hohhot", Username: "hohhot", Name: "呼和浩特", Role: "league_official", Jurisdiction: "150100", Domain: "150100"}
	regionActor     = workflows.Actor{UserID: "u-region", Username: "region", Name: "自治区", Role: "region_official", Jurisdiction: "150000", Domain: "150000"}
)

type harness struct {
	t   *testing.T
	env *testsuite.TestWorkflowEnvironment
	db  *models.DB
	// results of decisions, in order
	results []decisionOutcome
}

type decisionOutcome struct {
	kind string
	res  workflows.DecisionResult
	err  error
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	env := suite.NewTestWorkflowEnvironment()
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, "pw-for-tests")
	require.NoError(t, err)
	require.NoError(t, db.EnsureExperts(ctx))
	worker.Register(env, worker.Deps{DB: db})
	// Signals to other workflows (league collection, campaign) are not under test here.
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	return &harness{t: t, env: env, db: db}
}

// openTask returns the open task of a kind of the case from the projection.
func (h *harness) openTask(kind string) models.Task {
	h.t.Helper()
	var ts []models.Task
	require.NoError(h.t, h.db.Where("kind = ? AND status = ?", kind, models.TaskOpen).Order("created_at").Find(&ts).Error)
	require.NotEmpty(h.t, ts, "no open %s task", kind)
	return ts[0]
}

func (h *harness) openTasks(kind string) []models.Task {
	var ts []models.Task
	require.NoError(h.t, h.db.Where("kind = ? AND status = ?", kind, models.TaskOpen).Order("id").Find(&ts).Error)
	return ts
}

// decide schedules a decision on the open task of a kind after delay.
func (h *harness) decide(delay time.Duration, kind string, req workflows.DecisionRequest) {
	h.env.RegisterDelayedCallback(func() {
		if req.TaskID == "" {
			req.TaskID = h.openTask(kind).ID
		}
		h.update(kind, workflows.DecideUpdate, req)
	}, delay)
}

func (h *harness) update(kind, name string, arg any) {
	h.env.UpdateWorkflow(name, kind+time.Now().String(), &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { h.results = append(h.results, decisionOutcome{kind: kind, err: err}) },
		OnComplete: func(v any, err error) {
			var r workflows.DecisionResult
			if d, ok := v.(workflows.DecisionResult); ok {
				r = d
			}
			h.results = append(h.results, decisionOutcome{kind: kind, res: r, err: err})
		},
	}, arg)
}

func (h *harness) caseRow() models.Case {
	c, err := h.db.CaseByID(context.Background(), caseID)
	require.NoError(h.t, err)
	return c
}

func (h *harness) events() []string {
	es, err := h.db.CaseEvents(context.Background(), caseID, false)
	require.NoError(h.t, err)
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, e.Kind)
	}
	return kinds
}

func caseInput(precheck bool) workflows.CaseInput {
	return workflows.CaseInput{CaseID: caseID, CampaignID: "2027", ApplicationID: caseID, ApplicationVersion: 1,
		EnterpriseID: dairyID, EnterpriseName: "呼和浩特乳业示范有限公司", Jurisdiction: "150105", League: "150100",
		Region: "150000", PrecheckEnabled: precheck, Submitter: enterpriseActor}
}

func score(n int) *int { return &n }

var approved = []workflows.ApprovedOccupation{{Code: "6-02-04-01", Name: "乳品加工工", Levels: validate.LevelRange{Low: 5, High: 3}}}

func TestEnterpriseCaseFullPathWithCorrection(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	hour := time.Hour
	h.decide(1*hour, workflows.KindPrecheck, workflows.DecisionRequest{Actor: countyActor, Outcome: "pass"})
	h.decide(2*hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "return",
		Reasons: []workflows.Reason{{Field: "contact.mobile", Message: "手机号码有误"}}})
	// A resubmission that is not a newer version is refused and the task stays open.
	h.decide(3*hour, workflows.KindCorrection, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit", ApplicationVersion: 1})
	h.decide(4*hour, workflows.KindCorrection, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit", ApplicationVersion: 2})
	// The correction goes back to the stage that returned it (the league), not through the county again.
	h.decide(6*hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageInSummary, h.caseRow().Stage)
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 7*hour)
	h.env.RegisterDelayedCallback(func() {
		tasks := h.openTasks(workflows.KindExpertScore)
		require.Len(t, tasks, 3, "panel of three experts")
		for i, task := range tasks {
			u, err := h.db.UserByID(context.Background(), task.AssigneeID)
			require.NoError(t, err)
			h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(80 + i),
				Actor: workflows.Actor{UserID: u.ID, Username: u.Username, Role: "expert", Jurisdiction: "150000", Domain: "150000"}})
		}
	}, 8*hour)
	// A batch decision without the approved scope is refused.
	h.decide(9*hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1"})
	h.decide(10*hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved, Applied: approved, PublishedKnown: true})
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageAwaitingPublication, h.caseRow().Stage)
		h.env.SignalWorkflow(workflows.PublishedSignal, workflows.Published{Batch: 1})
	}, 11*hour)
	h.decide(12*hour, workflows.KindWorkPlan, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit",
		Documents: []workflows.Document{{Kind: "work_plan", AttachmentID: "a1", Name: "工作方案.pdf"}}})
	h.decide(13*hour, workflows.KindFileWorkPlan, workflows.DecisionRequest{Actor: regionActor, Outcome: "return", Comment: "评价规范不完整"})
	h.decide(14*hour, workflows.KindWorkPlan, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit",
		Documents: []workflows.Document{{Kind: "work_plan", AttachmentID: "a2", Name: "工作方案（修订）.pdf"}}})
	h.decide(15*hour, workflows.KindFileWorkPlan, workflows.DecisionRequest{Actor: regionActor, Outcome: "file"})
	h.env.RegisterDelayedCallback(func() {
		c := h.caseRow()
		require.Equal(t, workflows.StageActive, c.Stage)
		require.Equal(t, 2, c.ApplicationVersion)
		require.Equal(t, 1, c.Batch)
		// Removal from the directory ends the case.
		h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: regionActor, Action: "remove", Reason: "核查发现超范围评价"})
	}, 16*hour)

	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(true))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	var res workflows.CaseResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, workflows.CaseResult{Stage: workflows.StageClosed, Outcome: "removed"}, res)

	// Two refusals (stale resubmission, batch without scope), everything else went through.
	var refused []string
	for _, r := range h.results {
		if r.err != nil {
			refused = append(refused, r.kind)
			var ae *temporal.ApplicationError
			require.True(t, errors.As(r.err, &ae), "refusals are application errors: %v", r.err)
			require.Equal(t, workflows.ErrInvalidDecision, ae.Type())
		}
	}
	require.Equal(t, []string{workflows.KindCorrection, workflows.KindRegionDecision}, refused)

	require.Equal(t, []string{"submitted", "precheck_passed", "returned", "resubmitted", "accepted",
		"panel_drawn", "evaluation_started", "expert_scored", "expert_scored", "expert_scored", "evaluation_done", "selected",
		"published", "work_plan_submitted", "work_plan_returned", "work_plan_submitted", "work_plan_filed", "removed"}, h.events())

	var open int64
	require.NoError(t, h.db.Model(&models.Task{}).Where("status = ?", models.TaskOpen).Count(&open).Error)
	require.Zero(t, open, "no task left open")
	var dir models.DirectoryEntry
	require.NoError(t, h.db.First(&dir, "case_id = ?", caseID).Error)
	require.Equal(t, "removed", dir.Status)
	rep, err := h.db.VerifyAudit(context.Background())
	require.NoError(t, err)
	require.True(t, rep.OK)
	require.GreaterOrEqual(t, rep.Rows, int64(15))
	var notes int64
	require.NoError(t, h.db.Model(&models.Notification{}).Count(&notes).Error)
	require.Greater(t, notes, int64(10))
}

func TestEnterpriseCaseRejectedByLeague(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	// A reject without reasons is refused by the validator; with reasons it closes the case.
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "reject"})
	// The wrong role is refused too.
	h.decide(2*time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: countyActor, Outcome: "accept"})
	h.decide(3*time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "reject", Comment: "不属于技能类职业"})
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.NoError(t, h.env.GetWorkflowError())
	var res workflows.CaseResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, "rejected", res.Outcome)
	require.Len(t, h.results, 3)
	require.Error(t, h.results[0].err)
	require.Error(t, h.results[1].err)
	require.NoError(t, h.results[2].err)
	require.Equal(t, []string{"submitted", "rejected"}, h.events())
}

func TestEnterpriseCaseReminderAndEscalationOnTimeout(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	// Nobody acts on the league review: a reminder before the due date, escalation to the region after.
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindLeagueReview)
		require.Equal(t, "region_official", task.CandidateRole)
		require.Equal(t, "150000", task.CandidateDomain)
		require.Equal(t, models.SLAOverdue, task.SLAState)
		require.Equal(t, 1, task.Escalated)
		// The region now decides it.
		h.update(workflows.KindLeagueReview, workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Actor: regionActor, Outcome: "reject", Comment: "逾期未审，经督办不予通过"})
	}, 12*24*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.NoError(t, h.env.GetWorkflowError())
	var kinds []string
	require.NoError(t, h.db.Model(&models.Notification{}).Order("created_at").Distinct().Pluck("kind", &kinds).Error)
	require.Contains(t, kinds, "reminder")
	require.Contains(t, kinds, "escalation")
	var esc int64
	require.NoError(t, h.db.Model(&models.AuditEntry{}).Where("action = ?", "task.escalate").Count(&esc).Error)
	require.EqualValues(t, 1, esc)
}

func TestEnterpriseCaseExpertQuorumAfterTimeout(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		// Two of three experts score; the third never does.
		for i, task := range h.openTasks(workflows.KindExpertScore)[:2] {
			h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(70 + i),
				Actor: workflows.Actor{UserID: task.AssigneeID, Role: "expert", Jurisdiction: "150000"}})
		}
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageExpertEvaluation, h.caseRow().Stage, "no quorum before the due date")
	}, 5*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, workflows.StageRegionDecision, h.caseRow().Stage, "quorum of two after the due date")
		h.update(workflows.KindRegionDecision, workflows.DecideUpdate, workflows.DecisionRequest{Actor: regionActor, Outcome: "not_selected",
			TaskID: h.openTask(workflows.KindRegionDecision).ID, Comment: "评估得分较低"})
	}, 20*24*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.NoError(t, h.env.GetWorkflowError())
	var res workflows.CaseResult
	require.NoError(t, h.env.GetWorkflowResult(&res))
	require.Equal(t, "not_selected", res.Outcome)
	var cancelled int64
	require.NoError(t, h.db.Model(&models.Task{}).Where("kind = ? AND status = ?", workflows.KindExpertScore, models.TaskCancelled).Count(&cancelled).Error)
	require.EqualValues(t, 1, cancelled, "the missing expert's task is cancelled at quorum")
}

func TestEnterpriseCaseWithdrawalAndComplaint(t *testing.T) {
	t.Run("withdraw", func(t *testing.T) {
		h := newHarness(t)
		h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
		h.env.RegisterDelayedCallback(func() {
			// Only the enterprise may withdraw, and only with a reason.
			h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: leagueActor, Action: "withdraw", Reason: "x"})
			h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw"})
			h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "企业调整计划"})
		}, time.Hour)
		h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
		require.NoError(t, h.env.GetWorkflowError())
		var res workflows.CaseResult
		require.NoError(t, h.env.GetWorkflowResult(&res))
		require.Equal(t, "withdrawn", res.Outcome)
		require.Len(t, h.results, 3)
		require.Error(t, h.results[0].err)
		require.Error(t, h.results[1].err)
		require.NoError(t, h.results[2].err)
		var cancelled int64
		require.NoError(t, h.db.Model(&models.Task{}).Where("status = ?", models.TaskCancelled).Count(&cancelled).Error)
		require.EqualValues(t, 1, cancelled)
	})
	t.Run("complaint suspends then region resumes and removes", func(t *testing.T) {
		h := newHarness(t)
		h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
		h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
		h.env.RegisterDelayedCallback(func() { h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{}) }, 2*time.Hour)
		h.env.RegisterDelayedCallback(func() {
			for _, task := range h.openTasks(workflows.KindExpertScore) {
				h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(90),
					Actor: workflows.Actor{UserID: task.AssigneeID, Role: "expert"}})
			}
		}, 3*time.Hour)
		h.decide(4*time.Hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch2", Approved: approved, Applied: approved, PublishedKnown: true})
		h.env.RegisterDelayedCallback(func() {
			h.env.SignalWorkflow(workflows.PublishedSignal, workflows.Published{Batch: 1}) // not its batch: ignored
			h.env.SignalWorkflow(workflows.PublishedSignal, workflows.Published{Batch: 2})
		}, 5*time.Hour)
		h.env.RegisterDelayedCallback(func() {
			require.Equal(t, workflows.StagePreparation, h.caseRow().Stage)
			h.env.SignalWorkflow(workflows.ComplaintOutcomeSignal, workflows.ComplaintOutcome{ComplaintID: "c1", Outcome: "suspend", Reason: "举报属实", Actor: countyActor})
		}, 6*time.Hour)
		h.env.RegisterDelayedCallback(func() {
			require.Equal(t, workflows.StageSuspended, h.caseRow().Stage)
			require.Empty(t, h.openTasks(workflows.KindWorkPlan), "suspension cancels the open task")
			h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: regionActor, Action: "resume", Reason: "整改到位"})
		}, 7*time.Hour)
		h.env.RegisterDelayedCallback(func() {
			require.Equal(t, workflows.StagePreparation, h.caseRow().Stage)
			require.Len(t, h.openTasks(workflows.KindWorkPlan), 1, "resumption reopens the work plan task")
			h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: regionActor, Action: "remove", Reason: "再次违规"})
		}, 8*time.Hour)
		h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
		require.NoError(t, h.env.GetWorkflowError())
		var res workflows.CaseResult
		require.NoError(t, h.env.GetWorkflowResult(&res))
		require.Equal(t, "removed", res.Outcome)
		var dir models.DirectoryEntry
		require.NoError(t, h.db.First(&dir, "case_id = ?", caseID).Error)
		require.Equal(t, 2, dir.Batch)
		require.Equal(t, "removed", dir.Status)
	})
}

func TestFiftyConcurrentDecisionsActOnce(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindLeagueReview)
		for i := 0; i < 50; i++ {
			h.update(workflows.KindLeagueReview, workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Actor: leagueActor, Outcome: "reject", Comment: "重复提交"})
		}
	}, time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.NoError(t, h.env.GetWorkflowError())
	ok := 0
	for _, r := range h.results {
		if r.err == nil {
			ok++
		}
	}
	require.Len(t, h.results, 50)
	require.Equal(t, 1, ok, "exactly one of fifty decisions acts")
	require.Equal(t, []string{"submitted", "rejected"}, h.events())
}
