package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// hangingTemporal is a Temporal that never answers: every call waits for its context.
type hangingTemporal struct{ client.Client }

func (hangingTemporal) UpdateWorkflow(ctx context.Context, _ client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangingTemporal) CheckHealth(ctx context.Context, _ *client.CheckHealthRequest) (*client.CheckHealthResponse, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func (hangingTemporal) SignalWorkflow(ctx context.Context, _, _, _ string, _ any) error {
	<-ctx.Done()
	return ctx.Err()
}

// A decision while Temporal does not answer fails fast: 503 temporal_unavailable with
// Retry-After within the configured deadline, instead of hanging for the client's retries (the
// old code had no deadline: the request waited as long as Temporal did). /readyz needs only the
// database; /readyz?full=1 checks Temporal too.
func TestTemporalCallsFailFastWith503(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := &testEnv{t: t, db: db, now: time.Now()}
		deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
		deps.Temporal = hangingTemporal{}
		deps.Config.TemporalTimeout = 300 * time.Millisecond
		e.api = newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
		e.srv = httptest.NewServer(e.api.Handler(nil))
		t.Cleanup(e.srv.Close)
		ent, err := db.EnterpriseByID(context.Background(), dairyEnterpriseID)
		require.NoError(t, err)
		seedCaseIn(t, db, "c-slow", ent, "150100")

		tok := e.bearer("hohhot")
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/tasks/case-c-slow.league_review.1.0/decision",
			strings.NewReader(`{"outcome":"accept","request_key":"k1"}`))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
		require.NoError(t, err, "the request must not hang")
		resp.Body.Close()
		require.Less(t, time.Since(start), 5*time.Second)
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		require.Equal(t, "5", resp.Header.Get("Retry-After"))

		code, body := e.apiDo(tok, http.MethodPost, "/api/v1/tasks/case-c-slow.league_review.1.0/decision", `{"outcome":"accept","request_key":"k1"}`)
		require.Equal(t, http.StatusServiceUnavailable, code)
		require.Equal(t, "temporal_unavailable", body["error"].(map[string]any)["code"])

		// Readiness: the database is enough to serve; the full check names Temporal.
		resp, err = http.Get(e.srv.URL + "/readyz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		resp, err = http.Get(e.srv.URL + "/readyz?full=1")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "CheckHealth of a Temporal that never answers")
	})
}

// A database that cannot be reached answers 503 database_unavailable with Retry-After, not 500.
func TestDatabaseUnavailableIs503(t *testing.T) {
	db, err := models.Open(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil {
		var n int
		err = db.WithContext(context.Background()).Raw("SELECT 1").Scan(&n).Error
	}
	require.Error(t, err)
	require.True(t, models.IsUnavailable(err), "%T %v", err, err)
	e := service.ToError(err)
	require.Equal(t, http.StatusServiceUnavailable, e.Status)
	require.Equal(t, "database_unavailable", e.Code)
	require.Equal(t, 5, e.RetryAfter)
}
