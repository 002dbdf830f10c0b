package devserver_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/worker/devserver"
	"skillcert/workflows"
)

type smokeInput struct{ Name string }
type smokeResult struct{ Greeting string }

func smokeActivity(ctx context.Context, in smokeInput) (smokeResult, error) {
	return smokeResult{Greeting: "你好，" + in.Name + "（" + activity.GetInfo(ctx).ActivityType.Name + "）"}, nil
}

// smokeWorkflow sleeps on a durable timer, sets a custom search attribute and runs an activity.
func smokeWorkflow(ctx workflow.Context, in smokeInput) (smokeResult, error) {
	if err := workflow.Sleep(ctx, time.Second); err != nil {
		return smokeResult{}, err
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, workflows.CaseStage.ValueSet("smoke")); err != nil {
		return smokeResult{}, err
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{MaximumAttempts: 3}})
	var r smokeResult
	err := workflow.ExecuteActivity(ctx, smokeActivity, in).Get(ctx, &r)
	return r, err
}

func TestEmbeddedServerRunsAWorkflowAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	cfg := devserver.Config{DatabaseFile: filepath.Join(dir, "temporal.db"), Namespace: "skillcert-test",
		SearchAttributes: workflows.SearchAttributes(), LogLevel: "error"}
	srv, err := devserver.Start(cfg)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: cfg.Namespace})
	require.NoError(t, err)
	w := worker.New(c, "smoke", worker.Options{})
	w.RegisterWorkflow(smokeWorkflow)
	w.RegisterActivity(smokeActivity)
	require.NoError(t, w.Start())

	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "smoke-1", TaskQueue: "smoke"}, smokeWorkflow, smokeInput{Name: "试点"})
	require.NoError(t, err)
	var got smokeResult
	require.NoError(t, run.Get(ctx, &got))
	require.Equal(t, "你好，试点（smokeActivity）", got.Greeting)
	w.Stop()
	c.Close()
	require.NoError(t, srv.Stop())

	// Started again on the same file, the completed workflow and its search attribute are there.
	srv, err = devserver.Start(cfg)
	require.NoError(t, err)
	defer srv.Stop()
	c, err = client.DialContext(ctx, client.Options{HostPort: srv.HostPort(), Namespace: cfg.Namespace})
	require.NoError(t, err)
	defer c.Close()
	desc, err := c.DescribeWorkflowExecution(ctx, "smoke-1", "")
	require.NoError(t, err)
	require.Equal(t, "Completed", desc.GetWorkflowExecutionInfo().GetStatus().String())
	// The file is in write-ahead-log mode (a setting the file keeps): the pragmas reach SQLite.
	db, err := sql.Open("sqlite", "file:"+cfg.DatabaseFile+"?mode=ro")
	require.NoError(t, err)
	defer db.Close()
	var mode string
	require.NoError(t, db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode))
	require.Equal(t, "wal", mode, "the embedded server's SQLite file must be in WAL mode")
	require.Eventually(t, func() bool {
		resp, err := c.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{Namespace: cfg.Namespace, Query: "CaseStage = 'smoke'"})
		return err == nil && len(resp.GetExecutions()) == 1
	}, 10*time.Second, 200*time.Millisecond, "visibility query by custom search attribute")
}
