package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"skillcert/service"
	"skillcert/worker/devserver"
	"skillcert/workflows"
)

// Starting a campaign answers once its first step is written (Update-with-Start), and honours
// the caller's context: with no worker to run it, the start fails when the context ends instead
// of polling the database for a fixed five seconds and then reporting success.
func TestStartCampaignWaitsForItsFirstStepWithinTheContext(t *testing.T) {
	dir := t.TempDir()
	ts, err := devserver.Start(devserver.Config{DatabaseFile: filepath.Join(dir, "temporal.db"), Namespace: "skillcert",
		SearchAttributes: workflows.SearchAttributes(), LogLevel: "fatal"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ts.Stop() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := Config{TemporalNamespace: "skillcert", TaskQueue: "skillcert-idle", DatabaseURL: filepath.Join(dir, "app.db")}
	tc, err := client.DialContext(context.Background(), temporalClientOptions(cfg, log, ts.HostPort()))
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	db, err := openDB(context.Background(), cfg, log, true)
	require.NoError(t, err)
	_, err = db.SeedJurisdictions(context.Background())
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	err = service.StartCampaign(ctx, tc, db, cfg.TaskQueue, 2031, service.Calendar{}, workflows.Timing{})
	require.Error(t, err, "no worker ran the campaign: its row was never written")
	_, err = db.CampaignByID(context.Background(), "2031")
	require.Error(t, err)
}
