package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"skillcert/internal/metrics"
)

// HTTPHandler serves the worker's own endpoints: /healthz (the process runs: 200 "ok") and
// /metrics (the registry: the Temporal SDK's worker metrics, the outbox backlog, the
// watchdog's findings). The worker has no other HTTP surface.
func HTTPHandler(reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.Handle("GET /metrics", reg.Handler())
	return mux
}

// ServeHTTP listens on addr (SKILLCERT_WORKER_HTTP) and serves HTTPHandler until ctx ends. It
// returns once listening, with the bound address (addr may have port 0); listen errors are
// returned at once, so a taken port stops the worker at start.
func ServeHTTP(ctx context.Context, addr string, reg *metrics.Registry, log *slog.Logger) (net.Addr, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("worker http %s: %w", addr, err)
	}
	hs := &http.Server{Handler: HTTPHandler(reg), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("worker http server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	return ln.Addr(), nil
}
