package worker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/worker"
	"skillcert/worker/devserver"
	"skillcert/workflows"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestWatchdogHandsTheCaseContractToTheScan(t *testing.T) {
	name := runtime.FuncForPC(reflect.ValueOf(workflows.EnterpriseCase).Pointer()).Name()
	require.Equal(t, workflows.CaseWorkflowType, name[strings.LastIndexByte(name, '.')+1:], "registered name of EnterpriseCase")

	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(sdklog.NewStructuredLogger(quietLogger()))
	env := ts.NewTestWorkflowEnvironment()
	env.RegisterWorkflow(workflows.Watchdog)
	env.RegisterActivity(&activities.Activities{})
	start := time.Date(2027, 5, 10, 2, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	var got activities.ScanInput
	env.OnActivity("ScanStalled", mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.ScanInput) (activities.ScanResult, error) {
		got = in
		return activities.ScanResult{Drift: 1}, nil
	})
	env.ExecuteWorkflow(workflows.Watchdog, workflows.WatchdogInput{RetryAttempts: 7})
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res activities.ScanResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, activities.ScanResult{Drift: 1}, res)
	require.True(t, got.Now.Equal(start), "scan time is the workflow's clock, got %s", got.Now)
	require.Equal(t, 7, got.RetryAttempts)
	require.Equal(t, workflows.CaseWorkflowType, got.CaseWorkflowType)
	require.Equal(t, workflows.CaseStage.GetName(), got.StageAttribute)
	require.Equal(t, workflows.JurisdictionCode.GetName(), got.JurisdictionAttribute)
	require.Equal(t, "盟市审核", got.StageNames[workflows.StageLeagueReview])
}

// fakeCaseInput configures a stand-in for a case workflow.
type fakeCaseInput struct {
	Stage string
	Fail  bool
}

// fakeCase stands in for EnterpriseCase (registered under its name on a queue of its own): it
// sets the case's search attributes, optionally runs an activity that never succeeds, and waits.
func fakeCase(ctx workflow.Context, in fakeCaseInput) error {
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.CaseStage.ValueSet(in.Stage),
		workflows.JurisdictionCode.ValueSet("150102")); err != nil {
		return err
	}
	if in.Fail {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 5 * time.Second,
			RetryPolicy: &temporal.RetryPolicy{InitialInterval: 50 * time.Millisecond, BackoffCoefficient: 1, MaximumInterval: 50 * time.Millisecond}})
		return workflow.ExecuteActivity(actx, pushToNationalRegistry).Get(actx, nil)
	}
	return workflow.Await(ctx, func() bool { return false })
}

func pushToNationalRegistry(context.Context) error {
	return errors.New("national registry unavailable: 503 Service Unavailable")
}

// TestWatchdogOnTheEmbeddedServer is the one end-to-end test of the watchdog: retrying
// activities and drift found through a real Temporal server, and the schedule.
func TestWatchdogOnTheEmbeddedServer(t *testing.T) {
	const ns, queue, casesQueue = "skillcert-test", "skillcert-test", "fake-cases"
	// A file, not memory: devserver's in-memory mode sets the schema up twice.
	srv, err := devserver.Start(devserver.Config{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), Namespace: ns,
		SearchAttributes: workflows.SearchAttributes(), LogLevel: "error"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: ns,
		Logger: sdklog.NewStructuredLogger(quietLogger())})
	require.NoError(t, err)
	defer c.Close()
	db := dbtest.New(t, models.SQLite)

	w := worker.New(c, queue, worker.Deps{DB: db, Logger: quietLogger(), Namespace: ns})
	require.NoError(t, w.Start())
	defer w.Stop()
	fw := sdkworker.New(c, casesQueue, sdkworker.Options{})
	fw.RegisterWorkflowWithOptions(fakeCase, workflow.RegisterOptions{Name: workflows.CaseWorkflowType})
	fw.RegisterActivity(pushToNationalRegistry)
	require.NoError(t, fw.Start())
	defer fw.Stop()

	// case-a: its activity keeps failing; the projection agrees with it.
	// case-b: the workflow is in expert evaluation, the projection still says league review.
	// case-c: in the projection only.  case-d: a running workflow the projection does not know.
	for id, in := range map[string]fakeCaseInput{
		"case-a": {Stage: workflows.StageLeagueReview, Fail: true},
		"case-b": {Stage: workflows.StageExpertEvaluation},
		"case-d": {Stage: workflows.StageLeagueReview},
	} {
		_, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: casesQueue}, workflows.CaseWorkflowType, in)
		require.NoError(t, err)
	}
	hourAgo := time.Now().Add(-time.Hour)
	for _, id := range []string{"a", "b", "c"} {
		seedCase(t, db, id, hourAgo)
	}

	require.Eventually(t, func() bool {
		d, err := c.DescribeWorkflowExecution(ctx, "case-a", "")
		return err == nil && len(d.GetPendingActivities()) == 1 && d.GetPendingActivities()[0].GetAttempt() >= 3
	}, 30*time.Second, 100*time.Millisecond, "case-a's activity retried")
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: ns,
			Query: "WorkflowType = 'EnterpriseCase' AND ExecutionStatus = 'Running' AND CaseStage IS NOT NULL"})
		return err == nil && len(resp.GetExecutions()) == 3
	}, 10*time.Second, 100*time.Millisecond, "running case workflows visible")

	watchdog := func(id string) activities.ScanResult {
		t.Helper()
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.Watchdog,
			workflows.WatchdogInput{RetryAttempts: 3, Grace: time.Nanosecond})
		require.NoError(t, err)
		var res activities.ScanResult
		require.NoError(t, run.Get(ctx, &res))
		return res
	}
	res := watchdog("watchdog-test-1")
	require.Equal(t, 1, res.RetryingActivities, "result %+v", res)
	require.Equal(t, 3, res.Drift, "result %+v", res)
	require.Equal(t, 2, res.CasesDescribed)
	require.Zero(t, res.DescribeErrors)

	open, err := db.OpenFindings(ctx, []string{"150102"})
	require.NoError(t, err)
	byKey := map[string]models.Finding{}
	for _, f := range open {
		byKey[f.FindingKey] = f
	}
	var retrying []models.Finding
	for _, f := range open {
		if f.Kind == models.FindingRetryingActivity {
			retrying = append(retrying, f)
		}
	}
	require.Len(t, retrying, 1)
	require.Equal(t, "a", retrying[0].CaseID)
	require.True(t, strings.HasPrefix(retrying[0].FindingKey, "retrying_activity:case-a/"), retrying[0].FindingKey)
	require.Contains(t, retrying[0].Detail, "pushToNationalRegistry")
	require.Contains(t, retrying[0].Detail, "national registry unavailable")

	require.Contains(t, byKey, "drift:case:b")
	require.Equal(t, "数据不一致：案件列表显示阶段为“盟市审核”，流程实际阶段为“专家评估”", byKey["drift:case:b"].Detail)
	require.Contains(t, byKey, "drift:case:c")
	require.Contains(t, byKey["drift:case:c"].Detail, "找不到对应的流程 case-c")
	require.Contains(t, byKey, "drift:wf:case-d")
	require.Contains(t, byKey["drift:wf:case-d"].Detail, "没有对应的申报")
	require.Equal(t, "150102", byKey["drift:wf:case-d"].JurisdictionCode, "jurisdiction from the search attribute")
	require.NotContains(t, byKey, "drift:case:a")

	// The projection catches up with case-b: the next run resolves its drift and keeps the rest.
	b, err := db.CaseByID(ctx, "b")
	require.NoError(t, err)
	b.Stage = workflows.StageExpertEvaluation
	_, err = db.ApplyTransition(ctx, models.Transition{Key: "b-catch-up", At: hourAgo.Add(time.Minute), Case: &b})
	require.NoError(t, err)
	res = watchdog("watchdog-test-2")
	require.Equal(t, 2, res.Drift, "result %+v", res)
	require.GreaterOrEqual(t, res.Resolved, 1)
	fb, err := db.FindingByKey(ctx, "drift:case:b")
	require.NoError(t, err)
	require.NotNil(t, fb.ResolvedAt, "drift of case-b resolved")

	// The schedule: created once, left alone when it matches, updated when the interval changes.
	require.NoError(t, worker.EnsureWatchdogSchedule(ctx, c, queue, 0))
	h := c.ScheduleClient().GetHandle(ctx, workflows.WatchdogScheduleID)
	d1, err := h.Describe(ctx)
	require.NoError(t, err)
	require.NoError(t, worker.EnsureWatchdogSchedule(ctx, c, queue, 10*time.Minute))
	d2, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, d1.Info.LastUpdateAt, d2.Info.LastUpdateAt, "a matching schedule is not updated")
	require.Equal(t, []client.ScheduleIntervalSpec{{Every: 10 * time.Minute}}, d2.Schedule.Spec.Intervals)
	require.Equal(t, enumspb.SCHEDULE_OVERLAP_POLICY_SKIP, d2.Schedule.Policy.Overlap)
	action, ok := d2.Schedule.Action.(*client.ScheduleWorkflowAction)
	require.True(t, ok)
	require.Equal(t, "Watchdog", action.Workflow)
	require.Equal(t, queue, action.TaskQueue)

	require.NoError(t, worker.EnsureWatchdogSchedule(ctx, c, queue, 15*time.Minute))
	d3, err := h.Describe(ctx)
	require.NoError(t, err)
	require.Equal(t, []client.ScheduleIntervalSpec{{Every: 15 * time.Minute}}, d3.Schedule.Spec.Intervals)

	// A run the schedule starts completes on the worker.
	require.NoError(t, h.Trigger(ctx, client.ScheduleTriggerOptions{}))
	var started *client.ScheduleWorkflowExecution
	require.Eventually(t, func() bool {
		d, err := h.Describe(ctx)
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		started = d.Info.RecentActions[0].StartWorkflowResult
		return started != nil
	}, 20*time.Second, 100*time.Millisecond, "schedule started a run")
	require.True(t, strings.HasPrefix(started.WorkflowID, workflows.WatchdogScheduleID+"-"), started.WorkflowID)
	var scheduled activities.ScanResult
	require.NoError(t, c.GetWorkflow(ctx, started.WorkflowID, started.FirstExecutionRunID).Get(ctx, &scheduled))
}

// seedCase writes an open case in league review, as of `at`, whose workflow is case-<id>.
func seedCase(t *testing.T, db *models.DB, id string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	e := models.Enterprise{Name: "企业" + id, CreditCode: ("91150102MA0" + id + "XXXXXXXXX")[:18], JurisdictionCode: "150102"}
	require.NoError(t, db.CreateEnterprise(ctx, &e))
	_, err := db.ApplyTransition(ctx, models.Transition{Key: "seed-" + id, At: at, Case: &models.Case{ID: id, WorkflowID: "case-" + id,
		CampaignID: "2027", EnterpriseID: e.ID, EnterpriseName: e.Name, ApplicationID: "app-" + id, ApplicationVersion: 1,
		JurisdictionCode: "150102", LeagueCode: "150100", Stage: workflows.StageLeagueReview, Status: "open",
		WaitingOn: "league_official@150100", SLAState: models.SLAOnTime}})
	require.NoError(t, err)
}
