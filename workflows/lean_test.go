package workflows_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"skillcert/workflows"
)

// leanRun is what one run of the lean scenario asked of Temporal and left in the projection.
type leanRun struct {
	timers, cancelled, upserts int
	// versionsAsked counts the GetVersion calls that reached Temporal (each records a marker
	// and upserts TemporalChangeVersion).
	versionsAsked int
	// upsertsAt counts the upserts made while the experts scored (3 h to 5 h).
	upsertsWhileScoring int
	events              []string
	panel               string
	nextDeadline        *time.Time
	stage, sla, waiting string
}

// runLeanScenario runs a case without pre-check through the league's acceptance (1 h), the
// summary (2 h), three expert scores one at a time (3 h, 4 h, 5 h; the first two leave the
// next deadline where it is) and the region's batch decision (6 h), then removes it (7 h).
// With oldVersion the lean-commands change answers DefaultVersion: the code path of histories
// recorded before the change.
func runLeanScenario(t *testing.T, oldVersion bool) leanRun {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	if oldVersion {
		h.env.OnGetVersion("commands-bundle", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
		h.env.OnGetVersion("lean-commands", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	var run leanRun
	scoring := false
	h.env.SetOnTimerScheduledListener(func(string, time.Duration) { run.timers++ })
	h.env.SetOnTimerCanceledListener(func(string) { run.cancelled++ })
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Run(func(mock.Arguments) {
		run.upserts++
		if scoring {
			run.upsertsWhileScoring++
		}
	}).Maybe()
	//lint:ignore SA1019 GetVersion upserts TemporalChangeVersion through the untyped call, which only this mock sees
	h.env.OnUpsertSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		if attrs, ok := args.Get(0).(map[string]any); ok && attrs["TemporalChangeVersion"] != nil {
			run.versionsAsked++
		}
	}).Maybe()
	hour := time.Hour
	h.decide(hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*hour)
	for i := range 3 {
		h.env.RegisterDelayedCallback(func() {
			scoring = i < 2
			task := h.openTasks(workflows.KindExpertScore)[0]
			h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(80 + i),
				Actor: expertActor(task.AssigneeID)})
		}, time.Duration(3+i)*hour)
	}
	h.decide(6*hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved, Applied: approved, PublishedKnown: true})
	h.env.RegisterDelayedCallback(func() {
		scoring = false
		c := h.caseRow()
		run.nextDeadline, run.stage, run.sla, run.waiting, run.panel = c.NextDeadline, c.Stage, c.SLAState, c.WaitingOn, c.PanelJSON
		h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: regionActor, Action: "remove", Reason: "核查发现超范围评价"})
	}, 7*hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	for _, r := range h.results {
		require.NoError(t, r.err, r.kind)
	}
	run.events = h.events()
	return run
}

// TestLeanCommandsSameBehaviourFewerCommands runs the same case on the code path of histories
// recorded before the lean-commands change and on the new one: the projection is the same, while the new path keeps the expert tasks' deadline timer across the
// scores that do not move it (one timer where the old path started three), upserts no search
// attribute for a score that changes none, and draws the panel without a SideEffect marker.
func TestLeanCommandsSameBehaviourFewerCommands(t *testing.T) {
	old := runLeanScenario(t, true)
	lean := runLeanScenario(t, false)

	require.Equal(t, old.events, lean.events)
	// Each run has its own clock and expert pool, so the panels differ; both are drawn.
	require.Contains(t, old.panel, `"seed":`)
	require.Contains(t, lean.panel, `"seed":`)
	require.Equal(t, old.stage, lean.stage)
	require.Equal(t, old.sla, lean.sla)
	require.Equal(t, old.waiting, lean.waiting)
	require.Equal(t, workflows.StageAwaitingPublication, lean.stage)
	require.Equal(t, old.nextDeadline == nil, lean.nextDeadline == nil)

	// Old: a timer per wait with a deadline (league review, three waits on the expert tasks,
	// region decision, preparation). New: one per deadline.
	// The test environment's clock decides whether the last wait (preparation) still starts a
	// timer before the region's removal at 7 h, so that one may be missing on either path.
	require.GreaterOrEqual(t, old.timers, 4)
	require.LessOrEqual(t, old.timers, 5)
	require.LessOrEqual(t, lean.timers, 3, "the three expert scores share one timer")
	require.Less(t, lean.timers, old.timers)
	require.Equal(t, 2, old.upsertsWhileScoring, "the old path upserts all attributes at every score")
	require.Zero(t, lean.upsertsWhileScoring, "a score that changes no attribute upserts none")
	require.Less(t, lean.upserts, old.upserts)
	// The new path asks one change at its start (commands-bundle) and settles the rest from it;
	// the old path asked each change where it first mattered.
	require.Equal(t, 1, lean.versionsAsked, "one version marker a run")
	t.Logf("timers old=%d lean=%d (cancelled old=%d lean=%d), upserts old=%d lean=%d, versions asked old=%d lean=%d",
		old.timers, lean.timers, old.cancelled, lean.cancelled, old.upserts, lean.upserts, old.versionsAsked, lean.versionsAsked)
}

// TestOneVersionMarkerPerRun lets the league review's reminder and escalation fire before the
// league accepts, so the run passes the lean-commands and timer-search-attributes changes: a run
// asks Temporal one version (commands-bundle) and settles both from it, where it asked each
// change on its own before (a marker and a TemporalChangeVersion upsert apiece).
func TestOneVersionMarkerPerRun(t *testing.T) {
	h := newHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	var asked []string
	//lint:ignore SA1019 GetVersion upserts TemporalChangeVersion through the untyped call, which only this mock sees
	h.env.OnUpsertSearchAttributes(mock.Anything).Return(nil).Run(func(args mock.Arguments) {
		if attrs, ok := args.Get(0).(map[string]any); ok && attrs["TemporalChangeVersion"] != nil {
			asked = append(asked, fmt.Sprint(attrs["TemporalChangeVersion"]))
		}
	}).Maybe()
	h.env.OnUpsertTypedSearchAttributes(mock.Anything).Return(nil).Maybe()
	h.decide(20*24*time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: regionActor, Outcome: "accept"}) // escalated to the region by then
	h.env.RegisterDelayedCallback(func() {
		h.update("adjust", workflows.AdjustUpdate, workflows.AdjustRequest{Actor: regionActor, Action: "remove", Reason: "核查发现超范围评价"})
	}, 21*24*time.Hour)
	h.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())
	for _, r := range h.results {
		require.NoError(t, r.err, r.kind)
	}
	// The region could accept: the review had been reminded and escalated to it.
	require.Equal(t, "submitted,accepted,removed", strings.Join(h.events(), ","))
	require.Len(t, asked, 1, "versions asked: %v", asked)
	require.Contains(t, asked[0], "commands-bundle")
}
