package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/internal/driver"
)

// benchDecisions measures decision latency: officials concurrent sessions decide the open
// tasks of --cases submitted cases for --duration, each decision timed from its POST until the
// task reads back closed; then as many bare Updates (a workflow whose Update handler returns at
// once) are timed on the same Temporal server by as many concurrent clients.
func benchDecisions(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench decisions", flag.ContinueOnError)
	officials := fs.Int("officials", 50, "concurrent officials' sessions")
	duration := fs.Duration("duration", 60*time.Second, "how long the officials decide (at most)")
	cases := fs.Int("cases", 200, "cases submitted before the officials start (their tasks are what is decided)")
	keep := fs.String("data", "", "data directory to use and keep (default: a temporary one, removed afterwards)")
	target := fs.String("target", "", "base URL of a running deployment to drive over HTTP instead of the embedded stack")
	think := fs.Duration("think", 5*time.Second, "an official's time between one decision and the next (from half to 1.5 times it); 0: one after another, the server's saturation")
	tf := targetFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *officials < 1 || *cases < 1 || *duration <= 0 || *think < 0 {
		return errors.New("--officials and --cases must be at least 1, --duration positive and --think not negative")
	}
	if *target != "" {
		drv, err := tf.provision(ctx, log, *target, *cases)
		if err != nil {
			return err
		}
		drv.Think = *think
		run, err := decide(ctx, drv, *officials, *duration)
		if err != nil {
			return err
		}
		printDecisions(stdout, *officials, *cases, *think, run, nil)
		return nil
	}
	return benchDecisionsEmbedded(ctx, cfg, log, *keep, *cases, *officials, *duration, *think, stdout)
}

// decide submits the cases and has the officials decide their tasks.
func decide(ctx context.Context, drv *driver.Driver, officials int, duration time.Duration) (driver.DecisionRun, error) {
	if err := drv.Submit(ctx); err != nil {
		return driver.DecisionRun{}, fmt.Errorf("submissions: %w", err)
	}
	run, err := drv.Decide(ctx, officials, duration, 15*time.Second)
	if err != nil {
		return run, fmt.Errorf("decisions: %w", err)
	}
	if len(run.Latencies) == 0 {
		return run, errors.New("no decision was taken")
	}
	return run, nil
}

// printDecisions prints the result line; bare is nil when the baseline could not be measured
// (over HTTP), and its fields read n/a.
func printDecisions(stdout io.Writer, officials, cases int, think time.Duration, run driver.DecisionRun, bare []time.Duration) {
	p50, p99 := quantileMS(run.Latencies, 0.50), quantileMS(run.Latencies, 0.99)
	bareP50, bareP99, ratio := "n/a", "n/a", "n/a"
	if len(bare) > 0 {
		b50 := quantileMS(bare, 0.50)
		bareP50, bareP99, ratio = fmt.Sprintf("%.2f", b50), fmt.Sprintf("%.2f", quantileMS(bare, 0.99)), fmt.Sprintf("%.2f", b50/p50)
	}
	fmt.Fprintf(stdout, "decisions officials=%d think_s=%g p50=%.2f p99=%.2f bare_p50=%s bare_p99=%s ratio=%s decisions=%d decisions_per_s=%.1f conflicts=%d cases=%d seconds=%.1f rss_mb=%d\n",
		officials, think.Seconds(), p50, p99, bareP50, bareP99, ratio, len(run.Latencies), float64(len(run.Latencies))/run.Elapsed.Seconds(),
		run.Conflicts, cases, run.Elapsed.Seconds(), peakRSSMB())
}

// quantileMS is the q-quantile of ds in milliseconds (ds is sorted in place).
func quantileMS(ds []time.Duration, q float64) float64 {
	slices.Sort(ds)
	return float64(ds[int(q*float64(len(ds)-1))].Microseconds()) / 1000
}

// The bare Update baseline: one workflow per client, whose Update handler returns at once.
const (
	bareQueue    = "skillcert-bench-bare-update"
	bareWorkflow = "BenchBareUpdate"
	bareUpdate   = "decide"
)

func bareUpdateWorkflow(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandler(ctx, bareUpdate, func(ctx workflow.Context, i int) (int, error) { return i, nil }); err != nil {
		return err
	}
	return workflow.Await(ctx, func() bool { return false })
}

// bareUpdates times total Updates sent by clients concurrent clients, each to its own bare
// workflow, one after another with think (see driver.Pause) between them.
func bareUpdates(ctx context.Context, tc client.Client, clients, total int, think time.Duration) ([]time.Duration, error) {
	w := sdkworker.New(tc, bareQueue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(bareUpdateWorkflow, workflow.RegisterOptions{Name: bareWorkflow})
	if err := w.Start(); err != nil {
		return nil, err
	}
	defer w.Stop()
	prefix := fmt.Sprintf("bench-bare-update-%d-", time.Now().UnixNano())
	var (
		mu  sync.Mutex
		lat []time.Duration
		wg  sync.WaitGroup
	)
	errs := make([]error, clients)
	for i := range clients {
		wg.Go(func() {
			id := fmt.Sprint(prefix, i)
			if _, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: bareQueue}, bareWorkflow); err != nil {
				errs[i] = err
				return
			}
			defer func() { _ = tc.TerminateWorkflow(context.WithoutCancel(ctx), id, "", "benchmark over") }()
			n := total / clients
			if i < total%clients {
				n++
			}
			local := make([]time.Duration, 0, n)
			// The first Update waits for the workflow's first task (its start, on a worker that
			// has just started polling): it is not timed, as the officials' first decisions do
			// not wait for their cases' starts either.
			for u := -1; u < n; u++ {
				t0 := time.Now()
				h, err := tc.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: bareUpdate,
					WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{u}})
				if err == nil {
					err = h.Get(ctx, nil)
				}
				if err != nil {
					errs[i] = err
					return
				}
				if u >= 0 {
					local = append(local, time.Since(t0))
				}
				if think > 0 && u < n-1 {
					time.Sleep(driver.Pause(think))
				}
			}
			mu.Lock()
			lat = append(lat, local...)
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, errors.Join(errs...)
}
