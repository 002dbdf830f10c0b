package workflows_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"skillcert/models"
	"skillcert/worker"
	"skillcert/workflows"
)

// lgStart is when the league tests start; the collection deadline is 2027-05-20 23:59:59.
var lgStart = time.Date(2027, 4, 1, 9, 0, 0, 0, tbCST)

var lgWFID = workflows.LeagueWorkflowID("2027", "150100")

func lgInput() workflows.LeagueInput {
	c, _ := workflows.DefaultCalendar(2027)
	return workflows.LeagueInput{CampaignID: "2027", League: "150100", LeagueName: "呼和浩特市", Region: "150000", Deadline: c}
}

// lgHarness runs a LeagueCollection under its real ID. It never ends by itself: the test
// cancels it at end.
func lgHarness(t *testing.T, end time.Duration) (*harness, *tbSignals, *tbUpdates) {
	h, rec := tbHarness(t)
	h.env.SetStartTime(lgStart)
	h.env.SetStartWorkflowOptions(clientOptions(lgWFID))
	h.env.RegisterDelayedCallback(h.env.CancelWorkflow, end)
	// The campaign row the league rows refer to.
	c, p := workflows.DefaultCalendar(2027)
	require.NoError(t, h.db.Create(&models.Campaign{ID: "2027", Year: 2027, CollectionDeadline: c, PublicationTarget: p, Status: "collecting",
		CreatedAt: lgStart, UpdatedAt: lgStart}).Error)
	return h, rec, tbNewUpdates(h)
}

func lgRun(h *harness) {
	h.t.Helper()
	h.env.ExecuteWorkflow(workflows.LeagueCollection, lgInput())
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.True(h.t, temporal.IsCanceledError(h.env.GetWorkflowError()), "ended by the test: %v", h.env.GetWorkflowError())
}

func lgRow(h *harness) models.LeagueCollection {
	h.t.Helper()
	var l models.LeagueCollection
	require.NoError(h.t, h.db.First(&l, "id = ?", "2027-150100").Error)
	return l
}

func lgCase(id string) workflows.CaseRef {
	return workflows.CaseRef{CaseID: id, WorkflowID: workflows.CaseWorkflowID(id)}
}

func lgSubmit(label string, u *tbUpdates, name, phone string) {
	u.decide("", label, workflows.KindSubmitSummary, workflows.DecisionRequest{Actor: leagueActor, Outcome: "submit", ContactName: name, ContactPhone: phone})
}

// The summary goes only with at least one accepted case and a valid contact; it closes the
// task, marks the league submitted, forwards every case and tells the campaign. A case accepted
// afterwards waits for the league's supplementary report.
func TestLeagueSubmitSummary(t *testing.T) {
	h, rec, u := lgHarness(t, 10*24*time.Hour)
	var taskID string
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindSubmitSummary)
		taskID = task.ID
		require.Equal(t, "呼和浩特市：填报并报送 2027 年试点申报汇总表", task.Title)
		require.Equal(t, "league_official", task.CandidateRole)
		require.Equal(t, "150100", task.CandidateDomain)
		d, _ := workflows.DefaultCalendar(2027)
		require.True(t, task.DueAt.Equal(d))
		require.Equal(t, "collecting", lgRow(h).Status)
		lgSubmit("no-case", u, "张科长", "(0471)6606214")
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c2"))
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1")) // repeated: counted once
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		lgSubmit("bad-phone", u, "张科长", "6606214")
		lgSubmit("no-contact", u, "", "0471-6606214")
		u.decide("", "wrong-role", workflows.KindSubmitSummary, workflows.DecisionRequest{Actor: countyActor, Outcome: "submit",
			ContactName: "张科长", ContactPhone: "(0471)6606214"})
		u.decide("", "wrong-outcome", workflows.KindSubmitSummary, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept",
			ContactName: "张科长", ContactPhone: "(0471)6606214"})
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Empty(t, rec.named(workflows.SummarySubmittedSignal), "nothing forwarded before the summary")
		lgSubmit("submit", u, "张科长", "13804710000")
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		l := lgRow(h)
		require.Equal(t, "submitted", l.Status)
		require.NotNil(t, l.SubmittedAt)
		require.Equal(t, "u-hohhot", l.SubmittedBy)
		require.Equal(t, "张科长", l.ContactName)
		require.Equal(t, "13804710000", l.ContactPhone)
		task := tbTask(h, taskID)
		require.Equal(t, models.TaskDone, task.Status)
		require.Equal(t, "submit", task.Outcome)
		require.ElementsMatch(t, []string{workflows.CaseWorkflowID("c1"), workflows.CaseWorkflowID("c2")}, rec.targets(workflows.SummarySubmittedSignal), "signals go out together, in no set order")
		require.Equal(t, []tbSignal{{WorkflowID: workflows.CampaignWorkflowID("2027"), Name: workflows.LeagueSubmittedSignal,
			Arg: workflows.LeagueSubmitted{League: "150100"}}}, rec.named(workflows.LeagueSubmittedSignal))
		// Accepted after the summary: the case waits for the league's supplementary report.
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c3"))
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.ElementsMatch(t, []string{workflows.CaseWorkflowID("c1"), workflows.CaseWorkflowID("c2")},
			rec.targets(workflows.SummarySubmittedSignal), "a late case does not go straight on")
		sup := h.openTask(workflows.KindSupplementarySummary)
		require.Equal(t, "league_official", sup.CandidateRole)
		// Repeats of a late case are counted once; the summary cannot go twice.
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c3"))
		u.decide("", "submit-again", "", workflows.DecisionRequest{TaskID: taskID, Actor: leagueActor, Outcome: "submit",
			ContactName: "张科长", ContactPhone: "13804710000"})
	}, 6*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindSupplementarySummary), 1, "one supplementary report for the late cases")
		u.decide("", "supplement", workflows.KindSupplementarySummary, workflows.DecisionRequest{Actor: leagueActor, Outcome: "submit"})
	}, 7*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.ElementsMatch(t, []string{workflows.CaseWorkflowID("c1"), workflows.CaseWorkflowID("c2"), workflows.CaseWorkflowID("c3")},
			rec.targets(workflows.SummarySubmittedSignal))
		require.Empty(t, h.openTasks(workflows.KindSupplementarySummary))
	}, 8*time.Hour)

	lgRun(h)
	u.refused("no-case", workflows.ErrWrongState)
	u.refused("bad-phone", workflows.ErrInvalidDecision)
	u.refused("no-contact", workflows.ErrInvalidDecision)
	u.refused("wrong-role", workflows.ErrNotCandidate)
	u.refused("wrong-outcome", workflows.ErrInvalidDecision)
	require.Equal(t, "submitted", u.ok("submit").val.(workflows.DecisionResult).Stage)
	u.refused("submit-again", workflows.ErrTaskNotOpen)
	require.Len(t, rec.named(workflows.SummarySubmittedSignal), 3)
	for _, s := range rec.named(workflows.SummarySubmittedSignal) {
		require.Equal(t, workflows.SummarySubmitted{League: "150100"}, s.Arg)
	}
	require.Len(t, rec.named(workflows.LeagueSubmittedSignal), 1)

	u.ok("supplement")
	// The summary's rows: an event on each case in it (the late one's with the supplementary
	// report), the region's centre told, the decision audited.
	var evs []models.CaseEvent
	require.NoError(t, h.db.Where("kind = ?", "summary_submitted").Order("case_id").Find(&evs).Error)
	require.Len(t, evs, 3)
	require.Equal(t, "c1", evs[0].CaseID)
	require.Equal(t, "c2", evs[1].CaseID)
	require.Equal(t, "c3", evs[2].CaseID)
	require.Contains(t, evs[2].Summary, "补充汇总表")
	notes := tbNotes(h, "centre", "summary_submitted", "呼和浩特市已报送")
	require.Len(t, notes, 1)
	require.Contains(t, notes[0].Body, "2 家企业")
	au := tbAudit(h, "task.decide:submit_summary")
	require.Len(t, au, 1)
	require.Equal(t, "submitted 2 enterprises", au[0].AfterState)
}

// A case that leaves before the summary is not in it; with no case left the summary is refused.
func TestLeagueCaseLeftBeforeSubmission(t *testing.T) {
	h, rec, u := lgHarness(t, 10*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c2"))
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c2"))
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c1"))
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c9")) // never accepted: nothing happens
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		lgSubmit("empty", u, "张科长", "(0471)6606214")
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1")) // accepted again after a return and resubmission
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		lgSubmit("submit", u, "张科长", "(0471)6606214")
	}, 4*time.Hour)
	lgRun(h)
	u.refused("empty", workflows.ErrWrongState)
	u.ok("submit")
	require.Equal(t, []string{workflows.CaseWorkflowID("c1")}, rec.targets(workflows.SummarySubmittedSignal))
	require.Equal(t, "submitted 1 enterprises", tbAudit(h, "task.decide:submit_summary")[0].AfterState)
	var evs []models.CaseEvent
	require.NoError(t, h.db.Where("kind = ?", "summary_submitted").Find(&evs).Error)
	require.Len(t, evs, 1)
	require.Equal(t, "c1", evs[0].CaseID)
}

// The summary task is reminded two days before the deadline; a moved deadline moves the task's
// due date and puts it back on time (the reminder fires again relative to the new date); once
// overdue the league is told again, every ReviewDays days, and the task stays with the league.
func TestLeagueSummaryTimeoutsAndMovedDeadline(t *testing.T) {
	h, _, u := lgHarness(t, tbAt(lgStart, "2027-06-13 12:00"))
	newDeadline := tbEndOfDay("2027-06-01")
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindSubmitSummary)
		require.Equal(t, models.SLADueSoon, task.SLAState)
		require.Equal(t, []string{"2027-05-18"}, tbDays(tbNotes(h, "hohhot", "reminder", "填报并报送汇总表")))
		h.env.SignalWorkflow(workflows.DeadlineMovedSignal, workflows.DeadlineMoved{CollectionDeadline: newDeadline})
	}, tbAt(lgStart, "2027-05-19 12:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindSubmitSummary)
		require.True(t, task.DueAt.Equal(newDeadline), "due %s", task.DueAt)
		require.Equal(t, models.SLAOnTime, task.SLAState)
		require.Equal(t, "collecting", lgRow(h).Status)
	}, tbAt(lgStart, "2027-05-19 13:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindSubmitSummary)
		require.Zero(t, task.Escalated, "the old deadline passed without effect")
		require.Equal(t, models.SLAOnTime, task.SLAState)
		require.Empty(t, tbNotes(h, "hohhot", "escalation", ""))
	}, tbAt(lgStart, "2027-05-21 12:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, models.SLADueSoon, h.openTask(workflows.KindSubmitSummary).SLAState)
		require.Equal(t, []string{"2027-05-18", "2027-05-30"}, tbDays(tbNotes(h, "hohhot", "reminder", "填报并报送汇总表")))
	}, tbAt(lgStart, "2027-05-31 12:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindSubmitSummary)
		require.Equal(t, models.SLAOverdue, task.SLAState)
		require.Equal(t, 1, task.Escalated)
		require.Equal(t, "league_official", task.CandidateRole, "the summary stays with the league")
		require.Equal(t, "150100", task.CandidateDomain)
		require.Equal(t, []string{"2027-06-01"}, tbDays(tbNotes(h, "hohhot", "escalation", "填报并报送汇总表")))
	}, tbAt(lgStart, "2027-06-02 12:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, 2, h.openTask(workflows.KindSubmitSummary).Escalated)
		require.Equal(t, []string{"2027-06-01", "2027-06-11"}, tbDays(tbNotes(h, "hohhot", "escalation", "填报并报送汇总表")))
		// A late summary is still taken.
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
	}, tbAt(lgStart, "2027-06-12 12:00"))
	h.env.RegisterDelayedCallback(func() {
		lgSubmit("late", u, "张科长", "(0471)6606214")
	}, tbAt(lgStart, "2027-06-12 13:00"))
	h.env.RegisterDelayedCallback(func() {
		// A deadline moved after the summary changes nothing.
		h.env.SignalWorkflow(workflows.DeadlineMovedSignal, workflows.DeadlineMoved{CollectionDeadline: tbEndOfDay("2027-06-30")})
	}, tbAt(lgStart, "2027-06-12 14:00"))
	lgRun(h)
	u.ok("late")
	require.Equal(t, "submitted", lgRow(h).Status)
	require.Equal(t, []string{"league_official@150100", "league_official@150100"}, tbAfterStates(tbAudit(h, "task.escalate")))
	require.Empty(t, tbNotes(h, "region", "", ""), "the region hears of overdue leagues from the campaign, not from here")
}

// --- Bugs: these tests fail until the fixes proposed in the report are made. ---

// BUG: CaseLeft is applied by the signal goroutine at once, CaseAccepted only when the main loop
// takes it from pendingCases. When both arrive in one workflow task (the case was accepted and
// withdrawn while the league's workflow was busy or its worker down), the departure is applied
// first, to nothing, and the accepted case is then added: a withdrawn case goes in the summary.
func TestLeagueCaseAcceptedAndLeftInOneWorkflowTask(t *testing.T) {
	h, rec, u := lgHarness(t, 10*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflowSkippingWorkflowTask(workflows.CaseAcceptedSignal, lgCase("c2"))
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c2"))
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		lgSubmit("submit", u, "张科长", "(0471)6606214")
	}, 3*time.Hour)
	lgRun(h)
	u.ok("submit")
	require.Equal(t, []string{workflows.CaseWorkflowID("c1")}, rec.targets(workflows.SummarySubmittedSignal), "the withdrawn case is not in the summary")
}

// BUG: Continue-As-New carries LeagueState.Seq, which only commit() refreshes; reminders and
// escalations write through host.apply and advance host.Seq alone. A run that continues after a
// timer's transition without another commit starts from a stale step, so its next transition
// reuses a key already in `transitions` and ApplyTransition silently drops it. (Campaign has the
// same pattern: `st := *w.st`.)
func TestLeagueContinueAsNewCarriesStepCounter(t *testing.T) {
	h, _, _ := lgHarness(t, 60*24*time.Hour)
	h.env.SetContinueAsNewSuggested(true)
	h.env.RegisterDelayedCallback(func() {
		// After the reminder (2027-05-18 23:59:59) wrote its transition.
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
	}, tbAt(lgStart, "2027-05-19 12:00"))
	h.env.ExecuteWorkflow(workflows.LeagueCollection, lgInput())
	require.True(t, h.env.IsWorkflowCompleted())
	err := h.env.GetWorkflowError()
	var can *workflow.ContinueAsNewError
	require.True(t, errors.As(err, &can), "continued as new: %v", err)
	var next workflows.LeagueInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.State)
	require.Equal(t, []workflows.CaseRef{lgCase("c1")}, next.State.Cases)
	var applied int64
	require.NoError(t, h.db.Table("transitions").Where("transition_key LIKE ?", lgWFID+"#%").Count(&applied).Error)
	require.EqualValues(t, 2, applied, "start and reminder")

	// The next run, on the same projection: the league submits its summary.
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tbLogger())
	env := suite.NewTestWorkflowEnvironment()
	worker.Register(env, worker.Deps{DB: h.db})
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	env.SetStartTime(time.Date(2027, 5, 19, 12, 0, 0, 0, tbCST))
	env.SetStartWorkflowOptions(clientOptions(lgWFID))
	h2 := &harness{t: t, env: env, db: h.db}
	u := tbNewUpdates(h2)
	env.RegisterDelayedCallback(func() { lgSubmit("submit", u, "张科长", "(0471)6606214") }, time.Hour)
	env.RegisterDelayedCallback(env.CancelWorkflow, 2*time.Hour)
	env.ExecuteWorkflow(workflows.LeagueCollection, next)
	u.ok("submit")
	require.Equal(t, "submitted", lgRow(h).Status, "the summary written by the continued run reaches the projection")
	require.Empty(t, h.openTasks(workflows.KindSubmitSummary))
	require.Equal(t, int(applied), next.State.Seq, "the next run continues after the last written step")
}

// Under kill -9 a case's acceptance can reach its league after the league's summary: the case
// then went straight on to evaluation with no summary_submitted on its timeline (50-case runs
// showed one such case). An acceptance that arrived with the summary is in it; a later one waits
// for the supplementary report, which records summary_submitted on its timeline. A late case
// that leaves again cancels a supplementary report with nothing left in it.
func TestLeagueLateAcceptanceWaitsForSupplementaryReport(t *testing.T) {
	h, rec, u := lgHarness(t, 10*24*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c1"))
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		// The acceptance of c2 and the summary arrive together.
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c2"))
		lgSubmit("submit", u, "张科长", "13804710000")
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.ElementsMatch(t, []string{workflows.CaseWorkflowID("c1"), workflows.CaseWorkflowID("c2")}, rec.targets(workflows.SummarySubmittedSignal))
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c3"))
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c4"))
	}, 3*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, rec.targets(workflows.SummarySubmittedSignal), 2, "late cases wait")
		require.Len(t, h.openTasks(workflows.KindSupplementarySummary), 1)
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c4"))
		u.decide("", "supplement", workflows.KindSupplementarySummary, workflows.DecisionRequest{Actor: leagueActor, Outcome: "submit"})
	}, 4*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.CaseAcceptedSignal, lgCase("c5"))
	}, 5*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindSupplementarySummary), 1, "a second supplementary report")
		h.env.SignalWorkflow(workflows.CaseLeftSignal, lgCase("c5"))
	}, 6*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		require.Empty(t, h.openTasks(workflows.KindSupplementarySummary), "cancelled: nothing left to report")
	}, 7*time.Hour)
	lgRun(h)
	u.ok("submit")
	u.ok("supplement")
	require.ElementsMatch(t, []string{workflows.CaseWorkflowID("c1"), workflows.CaseWorkflowID("c2"), workflows.CaseWorkflowID("c3")},
		rec.targets(workflows.SummarySubmittedSignal))
	var evs []models.CaseEvent
	require.NoError(t, h.db.Where("kind = ?", "summary_submitted").Order("case_id").Find(&evs).Error)
	var withEvent []string
	for _, e := range evs {
		withEvent = append(withEvent, e.CaseID)
	}
	require.Equal(t, []string{"c1", "c2", "c3"}, withEvent, "every case sent to evaluation has summary_submitted on its timeline")
	au := tbAudit(h, "task.decide:submit_summary")
	require.Len(t, au, 1)
	require.Equal(t, "submitted 2 enterprises", au[0].AfterState)
}
