package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// benchLifecycle takes cases from their applications to issued certificates and prints the rate:
// on the embedded stack (with the bare-workflow baselines and the Temporal actions per case), or,
// with --target, on a running deployment over HTTP only.
func benchLifecycle(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench lifecycle", flag.ContinueOnError)
	n := fs.Int("cases", 20, "number of enterprise cases")
	keep := fs.String("data", "", "data directory to use and keep (default: a temporary one, removed afterwards)")
	target := fs.String("target", "", "base URL of a benchmark deployment to drive over HTTP instead of the embedded stack "+
		"(its officials region, centre, expert1–expert4, hohhot, baotou and ordos log in with --officials-password)")
	officials := fs.String("officials-password", "", "with --target: the password of those officials (default SKILLCERT_BENCH_OFFICIALS_PASSWORD)")
	tf := targetFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return errors.New("--cases must be at least 1")
	}
	if *target == "" {
		return benchLifecycleEmbedded(ctx, cfg, log, *n, *keep, stdout)
	}
	return benchLifecycleTarget(ctx, log, tf, *target, orEnv(*officials, "SKILLCERT_BENCH_OFFICIALS_PASSWORD"), *n, stdout)
}

// benchLifecycleTarget registers n benchmark enterprises on the deployment at target (through
// its API, as benchTarget.provision does) and takes each case the whole way with the
// deployment's own officials, who share officialsPassword (a deployment bootstrapped for
// benchmarking from a roster with those usernames and an expert pool of expert1–expert4, as
// TestProductionTopology prepares one). The line has the deployment's figures; the baselines
// and the actions per case need the embedded stack's Temporal and read n/a.
func benchLifecycleTarget(ctx context.Context, log *slog.Logger, tf benchTarget, target, officialsPassword string, n int, stdout io.Writer) error {
	if officialsPassword == "" {
		return errors.New("bench lifecycle --target needs --officials-password (or SKILLCERT_BENCH_OFFICIALS_PASSWORD): the password of the " +
			"deployment's benchmark officials region, centre, expert1–expert4, hohhot, baotou and ordos")
	}
	drv, err := tf.provision(ctx, log, target, n)
	if err != nil {
		return err
	}
	drv.OfficialsPassword = officialsPassword
	start := time.Now()
	if err := drv.Run(ctx); err != nil {
		return fmt.Errorf("lifecycle: %w", err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "lifecycle target=%s cases=%d seconds=%.1f cases_per_s=%.2f http_writes=%d ratio=n/a same_work_ratio=n/a temporal_actions_per_case=n/a\n",
		strings.TrimRight(target, "/"), n, elapsed.Seconds(), float64(n)/elapsed.Seconds(), drv.Writes.Load())
	return nil
}
