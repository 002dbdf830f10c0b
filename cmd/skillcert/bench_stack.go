//go:build !noembedded

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"skillcert/internal/driver"
	"skillcert/models"
)

// benchStack is the embedded stack a benchmark drives: a fresh (or kept) data directory with
// the embedded Temporal server, SQLite, the worker side and the HTTP server listening on
// loopback, plus n benchmark enterprises.
type benchStack struct {
	d           *devStack
	base        string
	password    string
	enterprises []models.BenchEnterprise
	close       func()
}

// startBenchStack starts the embedded stack for a benchmark on dir ("" for a temporary one).
func startBenchStack(ctx context.Context, cfg Config, log *slog.Logger, dir string, n int) (_ *benchStack, err error) {
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	if dir == "" {
		tmp, err := os.MkdirTemp("", "skillcert-bench-")
		if err != nil {
			return nil, err
		}
		closers = append(closers, func() { os.RemoveAll(tmp) })
		dir = tmp
	}
	c := cfg
	c.DataDir, c.DatabaseURL, c.StorageDir, c.DevTemporalPort = dir, filepath.Join(dir, "skillcert.db"), filepath.Join(dir, "attachments"), 0
	c.TemporalLogLevel = "fatal" // its shutdown complaints would bury the result line
	if c.PublicitySeconds == 0 {
		c.PublicitySeconds = 1
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if err := c.fillDevKeys(); err != nil {
		return nil, err
	}
	d, err := startDev(ctx, c, log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, d.stop)
	enterprises, err := d.db.SeedBenchEnterprises(ctx, n, c.DemoPassword)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	go func() { _ = d.hs.Serve(ln) }()
	closers = append(closers, func() { d.hs.Close() })
	return &benchStack{d: d, base: "http://" + ln.Addr().String(), password: c.DemoPassword, enterprises: enterprises, close: closeAll}, nil
}

// benchDecisionsEmbedded is bench decisions on the embedded stack, with the bare-Update
// baseline on the same Temporal server.
func benchDecisionsEmbedded(ctx context.Context, cfg Config, log *slog.Logger, keep string, cases, officials int, duration, think time.Duration, stdout io.Writer) error {
	st, err := startBenchStack(ctx, cfg, log, keep, cases)
	if err != nil {
		return err
	}
	defer st.close()
	drv := driver.New(st.base, st.password, st.enterprises, log)
	drv.Think = think
	run, err := decide(ctx, drv, officials, duration)
	if err != nil {
		return err
	}
	per := 20 // bare Updates per client at least; fewer when each waits the officials' think time
	if think > 0 {
		per = 5
	}
	bare, err := bareUpdates(ctx, st.d.tc, officials, max(len(run.Latencies), per*officials), think)
	if err != nil {
		return fmt.Errorf("bare updates: %w", err)
	}
	printDecisions(stdout, officials, cases, think, run, bare)
	return nil
}
