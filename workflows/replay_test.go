package workflows_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/internal/tracing"
	"skillcert/workflows"
)

// TestReplayCommittedHistories replays every history in testdata (recorded from real runs on
// the embedded server by the end-to-end test with -update-histories). A change to a workflow
// that alters the command sequence of a deployed version fails here: put it behind
// workflow.GetVersion instead. Each history replays again with the OpenTelemetry tracing
// interceptor the workers run with when tracing is on (internal/tracing): it must add no
// command.
func TestReplayCommittedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files, "no committed histories in workflows/testdata")
	traced, err := tracing.TemporalInterceptor(tracing.NewProvider(tracetest.NewSpanRecorder(), 1, "replay", "test"))
	require.NoError(t, err)
	for _, f := range files {
		for _, ic := range []struct {
			name string
			list []interceptor.WorkerInterceptor
		}{{"", nil}, {"traced-", []interceptor.WorkerInterceptor{traced}}} {
			replay(t, ic.name+filepath.Base(f), f, ic.list)
		}
	}
}

func replay(t *testing.T, name, f string, interceptors []interceptor.WorkerInterceptor) {
	t.Run(name, func(t *testing.T) {
		r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{Interceptors: interceptors})
		require.NoError(t, err)
		r.RegisterWorkflow(workflows.EnterpriseCase)
		r.RegisterWorkflow(workflows.LeagueCollection)
		r.RegisterWorkflow(workflows.Campaign)
		r.RegisterWorkflow(workflows.Complaint)
		r.RegisterWorkflow(workflows.AssessmentSession)
		_, id, ok := strings.Cut(strings.TrimSuffix(filepath.Base(f), ".json"), "__")
		require.True(t, ok, "history file name must be <name>__<workflow id>.json")
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		hist, err := client.HistoryFromJSON(bytes.NewReader(raw), client.HistoryJSONOptions{})
		require.NoError(t, err)
		require.NoError(t, r.ReplayWorkflowHistoryWithOptions(nil, hist, worker.ReplayWorkflowHistoryOptions{
			OriginalExecution: workflow.Execution{ID: id}}))
	})
}
