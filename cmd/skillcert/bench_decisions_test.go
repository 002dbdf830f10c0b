//go:build !noembedded

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/driver"
	"skillcert/models"
)

// benchFields parses a benchmark's result line "name k=v k=v …".
func benchFields(t *testing.T, out, name string) map[string]string {
	t.Helper()
	line := strings.TrimSpace(out)
	require.True(t, strings.HasPrefix(line, name+" "), line)
	fields := map[string]string{}
	for _, f := range strings.Fields(line)[1:] {
		k, v, ok := strings.Cut(f, "=")
		require.True(t, ok, f)
		fields[k] = v
	}
	return fields
}

func requirePositive(t *testing.T, fields map[string]string, keys ...string) {
	t.Helper()
	for _, k := range keys {
		v, err := strconv.ParseFloat(fields[k], 64)
		require.NoError(t, err, k)
		require.Positive(t, v, k)
	}
}

// TestBenchDecisionsCommand: officials decide every task of two cases that needs no enterprise
// (the league's review, three expert scores, the region's decision), each timed to the task
// read back closed, then bare Updates on the same Temporal server.
func TestBenchDecisionsCommand(t *testing.T) {
	var out bytes.Buffer
	env := envOf(map[string]string{"SKILLCERT_LOG_LEVEL": "error", "SKILLCERT_DATA_DIR": t.TempDir()})
	require.Equal(t, 0, run([]string{"bench", "decisions", "--officials", "5", "--cases", "2", "--duration", "90s", "--think", "100ms",
		"--data", filepath.Join(t.TempDir(), "bench")}, env, &out), out.String())
	fields := benchFields(t, out.String(), "decisions")
	require.Equal(t, "5", fields["officials"])
	require.Equal(t, "0.1", fields["think_s"])
	require.Equal(t, "10", fields["decisions"], "two cases: review, three scores and the region's decision each")
	requirePositive(t, fields, "p50", "p99", "bare_p50", "bare_p99", "ratio", "decisions_per_s")
	p50, _ := strconv.ParseFloat(fields["p50"], 64)
	p99, _ := strconv.ParseFloat(fields["p99"], 64)
	require.LessOrEqual(t, p50, p99)
}

// TestBenchDecisionsTarget drives a running stack over HTTP only: the league officials are
// created by the administrator through the API (and change their first password), the
// enterprises register themselves; the figures the deployment does not expose read n/a.
func TestBenchDecisionsTarget(t *testing.T) {
	cfg, err := loadConfig("bench lifecycle", nil, envOf(map[string]string{"SKILLCERT_LOG_LEVEL": "error", "SKILLCERT_DATA_DIR": t.TempDir()}))
	require.NoError(t, err)
	st, err := startBenchStack(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), t.TempDir(), 0)
	require.NoError(t, err)
	defer st.close()

	t.Setenv("SKILLCERT_BENCH_ADMIN_PASSWORD", st.password)
	var out bytes.Buffer
	env := envOf(map[string]string{"SKILLCERT_LOG_LEVEL": "error", "SKILLCERT_DATA_DIR": t.TempDir()})
	require.Equal(t, 0, run([]string{"bench", "decisions", "--target", st.base, "--admin-user", "admin", "--officials", "3",
		"--cases", "2", "--duration", "60s", "--think", "0"}, env, &out), out.String())
	fields := benchFields(t, out.String(), "decisions")
	require.Equal(t, "2", fields["decisions"], "the two cases' league reviews, by the created league officials")
	require.Equal(t, "n/a", fields["bare_p50"])
	require.Equal(t, "n/a", fields["ratio"])
	requirePositive(t, fields, "p50", "p99")

	// The deployment holds what the run did: two league reviews decided by benchmark league
	// officials it created.
	var decided int64
	require.NoError(t, st.d.db.Raw(`SELECT count(*) FROM tasks t JOIN users u ON u.id = t.decided_by
		WHERE t.kind = 'league_review' AND t.status = 'done' AND u.role = 'league_official' AND u.username NOT IN ('hohhot', 'baotou', 'ordos')`).Scan(&decided).Error)
	require.EqualValues(t, 2, decided)
}

// TestBenchLifecycleTarget drives two cases over HTTP only on a running deployment (the embedded
// bench stack standing in for one): the enterprises register through its API, its own officials
// take every step, and the deployment then holds each case's certificates.
func TestBenchLifecycleTarget(t *testing.T) {
	cfg, err := loadConfig("bench lifecycle", nil, envOf(map[string]string{"SKILLCERT_LOG_LEVEL": "error", "SKILLCERT_DATA_DIR": t.TempDir()}))
	require.NoError(t, err)
	st, err := startBenchStack(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), t.TempDir(), 0)
	require.NoError(t, err)
	defer st.close()

	var out bytes.Buffer
	err = benchLifecycle(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		[]string{"--target", st.base, "--admin-user", "admin", "--cases", "2"}, &out)
	require.ErrorContains(t, err, "needs --officials-password", "the officials' password is required")

	t.Setenv("SKILLCERT_BENCH_ADMIN_PASSWORD", st.password)
	out.Reset()
	require.NoError(t, benchLifecycle(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)),
		[]string{"--target", st.base, "--admin-user", "admin", "--cases", "2", "--first", "701", "--officials-password", st.password}, &out), out.String())
	fields := benchFields(t, out.String(), "lifecycle")
	require.Equal(t, "2", fields["cases"])
	require.Equal(t, "n/a", fields["ratio"])
	requirePositive(t, fields, "cases_per_s", "http_writes")

	rep, err := driver.Verify(context.Background(), st.d.db, models.BenchEnterprisesFrom(701, 2))
	require.NoError(t, err, "every case the whole way, on the deployment")
	require.Positive(t, rep.Certificates)
}
