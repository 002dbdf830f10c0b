package worker

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/metrics"
)

func TestWorkerHTTPServesHealthAndMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reg := metrics.New()
	reg.Temporal().WithTags(map[string]string{"task_queue": "skillcert", "worker_type": "ActivityWorker"}).Counter("temporal_activity_poll_no_task").Inc(4)
	addr, err := ServeHTTP(ctx, "127.0.0.1:0", reg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	base := "http://" + addr.String()

	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := get("/healthz")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "ok\n", body)
	code, body = get("/metrics")
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, `temporal_activity_poll_no_task_total{task_queue="skillcert",worker_type="ActivityWorker"} 4`)
	require.Contains(t, body, "go_goroutines")
	code, _ = get("/api/v1/tasks")
	require.Equal(t, http.StatusNotFound, code, "the worker serves nothing else")

	// A taken port stops the worker at start with a clear error.
	_, err = ServeHTTP(ctx, addr.String(), reg, slog.New(slog.DiscardHandler))
	require.Error(t, err)
	require.True(t, strings.Contains(err.Error(), "worker http"))

	cancel()
	require.Eventually(t, func() bool {
		_, err := http.Get(base + "/healthz")
		return err != nil
	}, 5e9, 5e7, "the listener closes with the worker")
}
