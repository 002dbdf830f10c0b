package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/fixtures"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/service"
)

// Valid ID numbers used in the forms below (domain.md §5 and computed independently).
const (
	idStaff     = fixtures.IDStaff
	idAssessor1 = fixtures.IDAssessor1
	idAssessor2 = fixtures.IDAssessor2
	idSuper     = fixtures.IDSuper
	idOther     = fixtures.IDOther
)

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer = fixtures.LockedBuffer

// appEnv is a test server whose lifecycle hand-over is recorded instead of starting a
// Temporal workflow, with its logs captured.
type appEnv struct {
	*testEnv
	api    *stack
	logs   *lockedBuffer
	mu     sync.Mutex
	handed []service.SubmittedApplication
	// handOverErr, when set, makes the hand-over fail.
	handOverErr error
	// storage is the attachment store's directory.
	storage string
}

func newAppEnv(t *testing.T, db *models.DB) *appEnv {
	t.Helper()
	e := &appEnv{testEnv: &testEnv{t: t, db: db, now: time.Now()}, logs: &lockedBuffer{}}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
	deps.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.storage = deps.StorageDir
	s := newServer(t, deps, api.Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	s.svc.SetHandOver(func(_ context.Context, _ *service.Actor, sub service.SubmittedApplication) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.handOverErr != nil {
			return e.handOverErr
		}
		e.handed = append(e.handed, sub)
		return nil
	})
	e.api = s
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *appEnv) handedOver() []service.SubmittedApplication {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]service.SubmittedApplication(nil), e.handed...)
}

// call sends a JSON request and decodes the answer into out (if not nil); it returns the
// status and the raw body.
func (e *appEnv) call(token, method, path string, body, out any) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		require.NoError(e.t, json.Unmarshal(raw, out), "body: %s", raw)
	}
	return resp.StatusCode, string(raw)
}

// attachmentsOf stores one attachment per purpose for the enterprise, as an upload would.
func (e *appEnv) attachmentsOf(username string) map[string]models.AttachmentRef {
	return fixtures.Attachments(e.t, e.db, username)
}

// goodForm is a complete, correct application of 呼和浩特乳业示范有限公司 citing refs.
func goodForm(refs map[string]models.AttachmentRef) appcheck.Form { return fixtures.GoodForm(refs) }

// mine opens the enterprise user's application.
func (e *appEnv) mine(token string) service.ApplicationView {
	e.t.Helper()
	var v service.ApplicationView
	code, body := e.call(token, http.MethodGet, "/api/v1/applications/mine", nil, &v)
	require.Equal(e.t, http.StatusOK, code, body)
	return v
}

// submitForm saves the form over the current draft and submits it, expecting success.
func (e *appEnv) submitForm(token, id string, f appcheck.Form) service.SubmitResponse {
	e.t.Helper()
	var v service.ApplicationView
	code, body := e.call(token, http.MethodGet, "/api/v1/applications/"+id, nil, &v)
	require.Equal(e.t, http.StatusOK, code, body)
	var saved service.DraftResponse
	code, body = e.call(token, http.MethodPut, "/api/v1/applications/"+id+"/draft", service.DraftRequest{DraftVersion: v.DraftVersion, Form: f}, &saved)
	require.Equal(e.t, http.StatusOK, code, body)
	var sub service.SubmitResponse
	code, body = e.call(token, http.MethodPost, "/api/v1/applications/"+id+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &sub)
	require.Equal(e.t, http.StatusCreated, code, body)
	return sub
}
