//go:build !noembedded

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"skillcert/worker/devserver"
)

// runTemporalServer is `skillcert temporal`: the embedded Temporal server (the one `dev` runs
// inside its process) as a process of its own, on 127.0.0.1:--port, persisted to --db-file,
// until SIGTERM or SIGINT. It creates one namespace (--namespace, "default" like the Temporal
// CLI's dev server) and nothing else: `skillcert bootstrap` registers skillcert's namespace and
// search attributes on it as on any cluster. For tests and one-host trials; production runs a
// Temporal cluster (temporalio/server).
func runTemporalServer(args []string, getenv func(string) string, stdout io.Writer) int {
	fs := flag.NewFlagSet("temporal", flag.ContinueOnError)
	port := fs.Int("port", 7233, "frontend gRPC port on 127.0.0.1 (0: a free one, printed)")
	dbFile := fs.String("db-file", "var/temporal.db", "SQLite file holding the server's state (created on first start; \"\": in memory, lost at exit)")
	namespace := fs.String("namespace", "default", "namespace created at start when missing")
	logLevel := fs.String("log-level", orDefault(getenv("SKILLCERT_TEMPORAL_LOG_LEVEL"), "warn"), "the server's log level: debug, info, warn, error, fatal (SKILLCERT_TEMPORAL_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 || *port < 0 || *port > 65535 || *namespace == "" {
		fmt.Fprintln(os.Stderr, "usage: skillcert temporal [--port 7233] [--db-file var/temporal.db] [--namespace default] [--log-level warn]")
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ts, err := devserver.Start(devserver.Config{DatabaseFile: *dbFile, FrontendPort: *port, Namespace: *namespace, LogLevel: *logLevel})
	if err != nil {
		log.Error("temporal server did not start", "err", err)
		return 1
	}
	fmt.Fprintf(stdout, "temporal server listening on %s (namespace %s, state in %s)\n", ts.HostPort(), *namespace, orDefault(*dbFile, "memory"))
	<-ctx.Done()
	log.Info("stopping temporal server")
	if err := ts.Stop(); err != nil {
		log.Error("temporal server stop", "err", err)
		return 1
	}
	return 0
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
