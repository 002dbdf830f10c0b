package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/api"
	"skillcert/worker"
	"skillcert/worker/devserver"
	"skillcert/workflows"
)

// runDev runs the embedded Temporal server, the worker and the HTTP server in one process on
// the data directory. Everything persists there: stopping and starting again keeps every case,
// task and timer.
func runDev(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	start := time.Now()
	ts, err := devserver.Start(devserver.Config{
		DatabaseFile:     filepath.Join(cfg.DataDir, "temporal.db"),
		FrontendPort:     cfg.DevTemporalPort,
		Namespace:        cfg.TemporalNamespace,
		SearchAttributes: workflows.SearchAttributes(),
		LogLevel:         cfg.TemporalLogLevel,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := ts.Stop(); err != nil {
			log.Warn("stop embedded temporal", "err", err)
		}
	}()
	tc, err := client.DialContext(ctx, temporalClientOptions(cfg, log, ts.HostPort()))
	if err != nil {
		return fmt.Errorf("dial embedded temporal: %w", err)
	}
	defer tc.Close()
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}

	db, err := openDB(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.SeedJurisdictions(ctx); err != nil {
		return err
	}
	if err := db.SeedExclusions(ctx); err != nil {
		return err
	}
	accounts, created, err := db.SeedDemo(ctx, cfg.DemoPassword)
	if err != nil {
		return err
	}
	if err := db.EnsureExperts(ctx); err != nil {
		return err
	}

	stopBackground, err := startWorkerSide(ctx, cfg, log, db, tc)
	if err != nil {
		return err
	}
	defer stopBackground()

	// The upcoming campaign (next 20 May / 5 June) runs from the first start on.
	if err := api.StartCampaign(ctx, tc, db, cfg.TaskQueue, upcomingYear(time.Now()), api.Calendar{}, workflows.Timing{}); err != nil {
		return err
	}

	hs, err := apiServer(ctx, cfg, log, db, tc)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "\nskillcert %s is running (started in %s)\n", version, time.Since(start).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  web:      %s\n", cfg.PublicURL)
	fmt.Fprintf(stdout, "  temporal: %s  namespace %s\n", ts.HostPort(), cfg.TemporalNamespace)
	fmt.Fprintf(stdout, "  data:     %s\n", cfg.DataDir)
	if created {
		fmt.Fprintln(stdout, "  demo data created on this first start")
	}
	fmt.Fprintf(stdout, "\ndemo accounts (password %q for all, set SKILLCERT_DEMO_PASSWORD on a fresh data dir to change):\n", cfg.DemoPassword)
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	for _, a := range accounts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", a.Username, a.Role, a.Where)
	}
	tw.Flush()
	fmt.Fprintln(stdout)

	if created {
		// Stage the demo cases through the server's own API once it listens.
		go func() {
			base := localURL(cfg.HTTPAddr)
			if err := waitReady(ctx, base); err != nil {
				log.Warn("demo cases not staged", "err", err)
				return
			}
			if err := seedDemoCases(ctx, base, cfg.DemoPassword, log); err != nil {
				log.Warn("demo cases not staged", "err", err)
			}
		}()
	}
	return serveHTTP(ctx, hs, cfg.ShutdownTimeout, log)
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, base string) error {
	for i := 0; i < 300; i++ {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/readyz", nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("server at %s not ready", base)
}

// upcomingYear is the year of the next collection deadline.
func upcomingYear(now time.Time) int {
	if deadline, _ := workflows.DefaultCalendar(now.Year()); now.After(deadline) {
		return now.Year() + 1
	}
	return now.Year()
}

// localURL is the loopback URL of a listen address.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
