//go:build !noembedded

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/service"
	"skillcert/worker"
	"skillcert/worker/devserver"
	"skillcert/workflows"
)

// devStack is the whole system in one process: the embedded Temporal server, the worker side
// and the HTTP server, on one data directory.
type devStack struct {
	ts       *devserver.Server
	tc       client.Client
	db       *models.DB
	hs       *http.Server
	accounts []models.DemoAccount
	// created is true on the first start on an empty data directory.
	created bool
	stop    func()
}

// startDev starts the embedded Temporal server, the worker side and builds the HTTP server (not
// yet listening) on the data directory; the upcoming campaign runs from the first start on.
// devPublicitySeconds is how long a publicity of results lasts on a dev server unless
// SKILLCERT_PUBLICITY_SECONDS says otherwise: long enough to see the public page and object.
const devPublicitySeconds = 30

func startDev(ctx context.Context, cfg Config, log *slog.Logger) (_ *devStack, err error) {
	d := &devStack{}
	if cfg.PublicitySeconds == 0 {
		cfg.PublicitySeconds = devPublicitySeconds
	}
	var stops []func()
	d.stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	defer func() {
		if err != nil {
			d.stop()
		}
	}()
	if d.ts, err = devserver.Start(devserver.Config{
		DatabaseFile:     filepath.Join(cfg.DataDir, "temporal.db"),
		FrontendPort:     cfg.DevTemporalPort,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes(),
		LogLevel:         cfg.TemporalLogLevel,
	}); err != nil {
		return nil, err
	}
	stops = append(stops, func() {
		if err := d.ts.Stop(); err != nil {
			log.Warn("stop embedded temporal", "err", err)
		}
	})
	if d.tc, err = client.DialContext(ctx, temporalClientOptions(cfg, log, d.ts.HostPort())); err != nil {
		return nil, fmt.Errorf("dial embedded temporal: %w", err)
	}
	stops = append(stops, d.tc.Close)
	if err = worker.EnsureSearchAttributes(ctx, d.tc, cfg.TemporalNamespace); err != nil {
		return nil, err
	}
	if d.db, err = openDB(ctx, cfg, log, true); err != nil {
		return nil, err
	}
	stops = append(stops, func() { _ = d.db.Close() })
	if _, err = d.db.SeedJurisdictions(ctx); err != nil {
		return nil, err
	}
	if err = d.db.SeedExclusions(ctx); err != nil {
		return nil, err
	}
	if d.accounts, d.created, err = d.db.SeedDemo(ctx, cfg.DemoPassword); err != nil {
		return nil, err
	}
	if err = d.db.EnsureExperts(ctx); err != nil {
		return nil, err
	}
	stopBackground, err := startWorkerSide(ctx, cfg, log, d.db, d.tc)
	if err != nil {
		return nil, err
	}
	stops = append(stops, stopBackground)
	// The upcoming campaign (next 20 May / 5 June) runs from the first start on.
	if err = service.StartCampaign(ctx, d.tc, d.db, cfg.TaskQueue, upcomingYear(time.Now()), service.Calendar{}, workflows.Timing{}); err != nil {
		return nil, err
	}
	if d.hs, err = apiServer(ctx, cfg, log, d.db, d.tc); err != nil {
		return nil, err
	}
	return d, nil
}

// runDev runs the embedded Temporal server, the worker and the HTTP server in one process on
// the data directory. Everything persists there: stopping and starting again keeps every case,
// task and timer.
func runDev(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	start := time.Now()
	flush, err := startTracing(ctx, &cfg, log, "skillcert-dev")
	if err != nil {
		return err
	}
	defer flush()
	d, err := startDev(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.stop()

	fmt.Fprintf(stdout, "\nskillcert %s is running (started in %s)\n", version, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  web:      %s\n", cfg.PublicURL)
	fmt.Fprintf(stdout, "  temporal: %s  namespace %s\n", d.ts.HostPort(), cfg.TemporalNamespace)
	fmt.Fprintf(stdout, "  data:     %s\n", cfg.DataDir)
	if d.created {
		fmt.Fprintln(stdout, "  demo data created on this first start")
	}
	fmt.Fprintf(stdout, "\ndemo accounts (password %q for all, set SKILLCERT_DEMO_PASSWORD on a fresh data dir to change):\n", cfg.DemoPassword)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, a := range d.accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Username, a.Role, a.Where)
	}
	tw.Flush()
	fmt.Fprintln(stdout)

	if d.created {
		// Stage the demo cases through the server's own API once it listens.
		go func() {
			base := localURL(cfg.HTTPAddr)
			rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			if err := waitReady(rctx, base); err != nil {
				log.Warn("demo cases not staged", "err", err)
				return
			}
			if err := driver.SeedDemoCases(ctx, base, cfg.DemoPassword, log); err != nil {
				log.Warn("demo cases not staged", "err", err)
			}
		}()
	}
	return serveHTTP(ctx, d.hs, cfg.ShutdownTimeout, log)
}
