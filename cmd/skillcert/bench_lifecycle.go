//go:build !noembedded

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/workflows"
)

// benchLifecycleEmbedded drives cases through every stage to issued certificates on the
// embedded stack (a fresh data directory, or keep: embedded Temporal and SQLite) via the HTTP
// API, then runs a bare workflow per workflow of the run doing the same number of Updates,
// activities and local activities on the same Temporal server, and prints both rates.
func benchLifecycleEmbedded(ctx context.Context, cfg Config, log *slog.Logger, cases int, keep string, stdout io.Writer) error {
	n := &cases
	dir := keep
	if dir == "" {
		tmp, err := os.MkdirTemp("", "skillcert-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	c := cfg
	c.DataDir, c.DatabaseURL, c.StorageDir, c.DevTemporalPort = dir, filepath.Join(dir, "skillcert.db"), filepath.Join(dir, "attachments"), 0
	c.TemporalLogLevel = "fatal" // its shutdown complaints would bury the result line
	if c.PublicitySeconds == 0 {
		c.PublicitySeconds = 1 // the publicity of results is a wait, not work: one second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	if err := c.fillDevKeys(); err != nil {
		return err
	}
	d, err := startDev(ctx, c, log)
	if err != nil {
		return err
	}
	defer d.stop()
	enterprises, err := d.db.SeedBenchEnterprises(ctx, *n, c.DemoPassword)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = d.hs.Serve(ln) }()
	defer d.hs.Close()

	drv := driver.New("http://"+ln.Addr().String(), c.DemoPassword, enterprises, log)
	if err := drv.LogIn(ctx); err != nil {
		return err
	}
	start := time.Now()
	if err := drv.Run(ctx); err != nil {
		return fmt.Errorf("lifecycle: %w", err)
	}
	elapsed := time.Since(start)
	rep, err := driver.Verify(ctx, d.db, enterprises)
	if err != nil {
		return fmt.Errorf("lifecycle run incomplete: %w", err)
	}
	// The run's own figures go to standard error at once: the baselines of a large run take
	// minutes more, and the result line (standard output) waits for them.
	fmt.Fprintf(os.Stderr, "lifecycle run done: cases=%d seconds=%.1f cases_per_s=%.2f http_writes=%d\n",
		*n, elapsed.Seconds(), float64(*n)/elapsed.Seconds(), drv.Writes.Load())
	work, err := workOfRun(ctx, d.tc, d.db, enterprises)
	if err != nil {
		return err
	}
	baseline, err := runBaseline(ctx, d.tc, work, false)
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	// A second baseline also repeats what our workflows do besides Updates and activities
	// (due-date timers, search attributes, sittings as children, signals): the gap between it
	// and the run is the cost of everything that is not Temporal.
	full, err := runBaseline(ctx, d.tc, work, true)
	if err != nil {
		return fmt.Errorf("full baseline: %w", err)
	}
	var t workflowWork
	for _, w := range work {
		t.Updates, t.Activities, t.LocalActivities = t.Updates+w.Updates, t.Activities+w.Activities, t.LocalActivities+w.LocalActivities
		t.Timers, t.Upserts, t.Children, t.Signals = t.Timers+w.Timers, t.Upserts+w.Upserts, t.Children+w.Children, t.Signals+w.Signals
	}
	updates := float64(t.Updates)
	rate, baseRate, fullRate := updates/elapsed.Seconds(), updates/baseline.Seconds(), updates/full.Seconds()
	fmt.Fprintf(stdout, "lifecycle cases=%d seconds=%.1f cases_per_s=%.2f transitions_per_s=%.1f baseline_transitions_per_s=%.1f ratio=%.2f "+
		"same_work_baseline_transitions_per_s=%.1f same_work_ratio=%.2f "+
		"updates=%d activities=%d local_activities=%d timers=%d search_attribute_upserts=%d child_workflows=%d signals=%d workflows=%d "+
		"http_writes=%d certificates=%d decisions=%d notifications=%d rss_mb=%d\n",
		*n, elapsed.Seconds(), float64(*n)/elapsed.Seconds(), rate, baseRate, rate/baseRate, fullRate, rate/fullRate,
		t.Updates, t.Activities, t.LocalActivities, t.Timers, t.Upserts, t.Children, t.Signals, len(work),
		drv.Writes.Load(), rep.Certificates, rep.Decisions, rep.Notifications, peakRSSMB())
	fmt.Fprintln(stdout, actionsLine(work, *n))
	return nil
}

// workflowWork is what one workflow of the run did: Updates accepted, activities and local
// activities scheduled (local activities are recorded as markers).
type workflowWork struct {
	ID                                   string
	Updates, Activities, LocalActivities int
	// What else it asked of Temporal: timers, search-attribute upserts, child workflows, signals.
	Timers, Upserts, Children, Signals int
	// WorkflowTasks are its completed workflow tasks; Markers its version and side-effect
	// markers (local activities are counted apart, in LocalActivities).
	WorkflowTasks, Markers int
}

// workOfRun counts, from their histories, the work of every workflow the run used: the cases,
// their sittings, the league collections and the campaign.
func workOfRun(ctx context.Context, tc client.Client, db *models.DB, enterprises []models.BenchEnterprise) ([]workflowWork, error) {
	var ids []string
	cases, err := driver.CasesOf(ctx, db, enterprises)
	if err != nil {
		return nil, err
	}
	leagues := map[string]bool{}
	for _, c := range cases {
		ids = append(ids, c.WorkflowID)
		ss, err := db.SessionsOfCase(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		for _, s := range ss {
			ids = append(ids, s.WorkflowID)
		}
		if !leagues[c.LeagueCode] {
			leagues[c.LeagueCode] = true
			ids = append(ids, workflows.LeagueWorkflowID(c.CampaignID, c.LeagueCode))
		}
	}
	if len(cases) > 0 {
		ids = append(ids, workflows.CampaignWorkflowID(cases[0].CampaignID))
	}
	out := make([]workflowWork, 0, len(ids))
	events := map[string]int{}
	defer func() { slog.Debug("history events of the run", "events", events) }()
	for _, id := range ids {
		w := workflowWork{ID: id}
		iter := tc.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			if err != nil {
				return nil, fmt.Errorf("history of %s: %w", id, err)
			}
			events[ev.GetEventType().String()]++
			switch ev.GetEventType() {
			case enums.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED:
				w.Updates++
			case enums.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				w.Activities++
			case enums.EVENT_TYPE_MARKER_RECORDED:
				if ev.GetMarkerRecordedEventAttributes().GetMarkerName() == localActivityMarker {
					w.LocalActivities++
				} else {
					w.Markers++
				}
			case enums.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
				w.WorkflowTasks++
			case enums.EVENT_TYPE_TIMER_STARTED:
				w.Timers++
			case enums.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES:
				w.Upserts++
			case enums.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED:
				w.Children++
			case enums.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED:
				w.Signals++
			}
		}
		out = append(out, w)
	}
	return out, nil
}

// The baseline: a bare workflow that does nothing but accept Updates and run no-op activities.
const (
	baselineQueue    = "skillcert-bench-baseline"
	baselineWorkflow = "BenchBaseline"
	baselineUpdate   = "step"
	// baselineChildWorkflow stands in for a sitting started by a case.
	baselineChildWorkflow = "BenchBaselineChild"
	baselineSinkWorkflow  = "BenchBaselineSink"
	baselineSinks         = 8
)

func baselineNoop(context.Context) error { return nil }

// baselineInput is a baseline workflow's work; Full adds the timers, search attributes, child
// workflows and signals.
type baselineInput struct {
	Work workflowWork
	Full bool
	// Sink is the workflow the signals go to (a workflow cannot signal itself).
	Sink string
}

func baselineChild(workflow.Context) error { return nil }

// baselineSink takes signals until it is terminated.
func baselineSink(ctx workflow.Context) error {
	ch := workflow.GetSignalChannel(ctx, "bench")
	for ch.Receive(ctx, nil) {
	}
	return nil
}

// baselineRun is a bare workflow with the shape of one workflow of the run: it accepts
// w.Updates Updates, each running its share of the local activities and activities (and, when
// full, of the timers, search-attribute upserts, child workflows and signals to itself).
func baselineRun(ctx workflow.Context, in baselineInput) error {
	w := in.Work
	share := func(total, i int) int { return total*(i+1)/max(w.Updates, 1) - total*i/max(w.Updates, 1) }
	extras := func(ctx workflow.Context, i int) error {
		for range share(w.Timers, i) {
			workflow.NewTimer(ctx, 365*24*time.Hour) // a due date: started, not waited for
		}
		for range share(w.Markers, i) {
			workflow.SideEffect(ctx, func(workflow.Context) any { return i }) // a version or side-effect marker
		}
		for range share(w.Upserts, i) {
			if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.CaseStage.ValueSet(fmt.Sprint("bench-", i))); err != nil {
				return err
			}
		}
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{WorkflowID: fmt.Sprintf("%s-child-%d", workflow.GetInfo(ctx).WorkflowExecution.ID, i)})
		for j := range share(w.Children, i) {
			cctx := workflow.WithWorkflowID(cctx, fmt.Sprintf("%s-%d", workflow.GetChildWorkflowOptions(cctx).WorkflowID, j))
			if err := workflow.ExecuteChildWorkflow(cctx, baselineChildWorkflow).Get(ctx, nil); err != nil {
				return err
			}
		}
		for range share(w.Signals, i) {
			if err := workflow.SignalExternalWorkflow(ctx, in.Sink, "", "bench", i).Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}
	run := func(ctx workflow.Context, i int) error {
		if in.Full {
			if err := extras(ctx, i); err != nil {
				return err
			}
		}
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{StartToCloseTimeout: 10 * time.Second})
		for range share(w.LocalActivities, i) {
			if err := workflow.ExecuteLocalActivity(lctx, baselineNoop).Get(ctx, nil); err != nil {
				return err
			}
		}
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second})
		for range share(w.Activities, i) {
			if err := workflow.ExecuteActivity(actx, baselineNoop).Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}
	if w.Updates == 0 {
		return run(ctx, 0)
	}
	done := 0
	if err := workflow.SetUpdateHandler(ctx, baselineUpdate, func(ctx workflow.Context, i int) (int, error) {
		if err := run(ctx, i); err != nil {
			return 0, err
		}
		done++
		return done, nil
	}); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return done >= w.Updates && workflow.AllHandlersFinished(ctx) })
}

// runBaseline runs one bare workflow per workflow of the run, all at once, each sent its
// Updates one after another as the cases' actors do, and returns the time until all finished.
// baselineUpdateOnce sends the baseline's u-th Update to a workflow and waits for it; the
// Update has an ID of its own, so a wait that outlasts the server's long poll on a loaded
// machine asks again for the same Update instead of failing the run.
func baselineUpdateOnce(ctx context.Context, tc client.Client, workflowID string, u int) error {
	var err error
	for range 10 {
		var h client.WorkflowUpdateHandle
		h, err = tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflowID, UpdateID: fmt.Sprint(workflowID, "-", u),
			UpdateName: baselineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{u}})
		if err == nil {
			err = h.Get(ctx, nil)
		}
		var timeout *client.WorkflowUpdateServiceTimeoutOrCanceledError
		if (!errors.As(err, &timeout) && !errors.Is(err, context.DeadlineExceeded)) || ctx.Err() != nil {
			return err // (a call's own deadline, the run's context still live, is asked again too)
		}
	}
	return err
}

func runBaseline(ctx context.Context, tc client.Client, work []workflowWork, full bool) (time.Duration, error) {
	w := sdkworker.New(tc, baselineQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(baselineRun, workflow.RegisterOptions{Name: baselineWorkflow})
	w.RegisterWorkflowWithOptions(baselineChild, workflow.RegisterOptions{Name: baselineChildWorkflow})
	w.RegisterWorkflowWithOptions(baselineSink, workflow.RegisterOptions{Name: baselineSinkWorkflow})
	w.RegisterActivityWithOptions(baselineNoop, activity.RegisterOptions{Name: "BenchBaselineNoop"})
	if err := w.Start(); err != nil {
		return 0, err
	}
	defer w.Stop()
	prefix := fmt.Sprintf("bench-baseline-%d-", time.Now().UnixNano())
	if full {
		// The signals' receivers, as the cases, leagues and campaign are for ours.
		for k := range baselineSinks {
			id := fmt.Sprint(prefix, "sink-", k)
			if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: baselineQueue}, baselineSinkWorkflow); err != nil {
				return 0, err
			}
			defer func() { _ = tc.TerminateWorkflow(context.WithoutCancel(ctx), id, "", "benchmark over") }()
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, len(work))
	// At most as many starts and Updates under way as the driver has requests (driver.MaxInFlight).
	inflight := make(chan struct{}, driver.MaxInFlight)
	for i, ww := range work {
		wg.Go(func() {
			inflight <- struct{}{}
			run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: fmt.Sprint(prefix, i), TaskQueue: baselineQueue}, baselineWorkflow,
				baselineInput{Work: ww, Full: full, Sink: fmt.Sprint(prefix, "sink-", i%baselineSinks)})
			<-inflight
			if err != nil {
				errs[i] = err
				return
			}
			for u := range ww.Updates {
				inflight <- struct{}{}
				err := baselineUpdateOnce(ctx, tc, run.GetID(), u)
				<-inflight
				if err != nil {
					errs[i] = err
					return
				}
			}
			errs[i] = run.Get(ctx, nil)
		})
	}
	wg.Wait()
	return time.Since(start), errors.Join(errs...)
}
