package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"

	"skillcert/models"
	"skillcert/worker"
	"skillcert/worker/devserver"
	"skillcert/workflows"
)

const (
	e2ePassword  = "e2e-password-1"
	e2eDataKey   = "e2e-data-key-e2e-data-key-e2e-dk"
	e2eLookupKey = "e2e-lookup-key-e2e-lookup-key-lk"
)

// stack is the whole system in the test process: an embedded Temporal server on a file, the
// worker and the HTTP API on a database, as `skillcert dev` runs it.
type stack struct {
	t      *testing.T
	dir    string
	dsn    string
	ts     *devserver.Server
	tc     client.Client
	db     *models.DB
	w      sdkworker.Worker
	http   *httptest.Server
	tokens map[string]string
	cancel context.CancelFunc
}

// startStack starts (or restarts, on the same directory and database) the stack.
func startStack(t *testing.T, dir, dsn string) *stack {
	t.Helper()
	return startStackWith(t, dir, dsn, nil)
}

// startStackWith is startStack with the configuration adjusted by tune (when not nil) before
// anything starts.
func startStackWith(t *testing.T, dir, dsn string, tune func(*Config)) *stack {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &stack{t: t, dir: dir, dsn: dsn, tokens: map[string]string{}, cancel: cancel}
	var err error
	s.ts, err = devserver.Start(devserver.Config{DatabaseFile: filepath.Join(dir, "temporal.db"), Namespace: "skillcert",
		SearchAttributes: workflows.SearchAttributes(), LogLevel: "fatal"})
	require.NoError(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("SKILLCERT_E2E_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	cfg := Config{TemporalNamespace: "skillcert", TaskQueue: "skillcert", PublicURL: "http://e2e", SessionKey: []byte("e2e-session-key-e2e-session-key!!"),
		DataKey: []byte(e2eDataKey), SigningKey: []byte("e2e-signing-key-e2e-signing-key!"), LookupKey: []byte(e2eLookupKey),
		StorageDir: filepath.Join(dir, "attachments"), DatabaseURL: dsn, ShutdownTimeout: time.Second, PublicitySeconds: e2ePublicitySeconds,
		// A loaded test machine may take longer than production's deadline over an Update; the
		// end-to-end runs test the flow, the deadline has its own tests.
		TemporalTimeout: time.Minute}
	if tune != nil {
		tune(&cfg)
	}
	s.tc, err = client.DialContext(ctx, temporalClientOptions(cfg, log, s.ts.HostPort()))
	require.NoError(t, err)
	s.db, err = openDB(ctx, cfg, log, true)
	require.NoError(t, err)
	_, err = s.db.SeedJurisdictions(ctx)
	require.NoError(t, err)
	require.NoError(t, s.db.SeedExclusions(ctx))
	_, _, err = s.db.SeedDemo(ctx, e2ePassword)
	require.NoError(t, err)
	require.NoError(t, s.db.EnsureExperts(ctx))
	s.w = worker.New(s.tc, cfg.TaskQueue, worker.Deps{DB: s.db, Logger: log, SigningKey: ed25519.NewKeyFromSeed(cfg.SigningKey)})
	require.NoError(t, s.w.Start())
	hs, err := apiServer(ctx, cfg, log, s.db, s.tc)
	require.NoError(t, err)
	h := hs.Handler
	if l, ok := contractLogs.Load(t); ok {
		h = l.(*exchangeLog).wrap(h)
	}
	s.http = httptest.NewServer(h)
	return s
}

// stop ends everything abruptly (no drain), as a crash would, keeping the files.
func (s *stack) stop() {
	s.cancel()
	s.http.CloseClientConnections()
	s.http.Close()
	s.w.Stop()
	s.tc.Close()
	_ = s.ts.Stop()
	_ = s.db.Close()
}

// token logs a user in through the JSON API and returns a bearer token.
func (s *stack) token(user string) string {
	s.t.Helper()
	if tok, ok := s.tokens[user]; ok {
		return tok
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Post(s.http.URL+"/api/v1/auth/login", "application/json", strings.NewReader(fmt.Sprintf(`{"username":%q,"password":%q}`, user, e2ePassword)))
	require.NoError(s.t, err)
	var me struct {
		CSRF string `json:"csrf_token"`
	}
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&me))
	resp.Body.Close()
	require.Equal(s.t, http.StatusOK, resp.StatusCode, "login %s", user)
	req, _ := http.NewRequest(http.MethodPost, s.http.URL+"/api/v1/tokens", strings.NewReader(`{"name":"e2e","ttl_days":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", me.CSRF)
	resp, err = c.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var tok struct {
		Token string `json:"token"`
	}
	require.NoError(s.t, json.NewDecoder(resp.Body).Decode(&tok))
	require.NotEmpty(s.t, tok.Token)
	s.tokens[user] = tok.Token
	return tok.Token
}

// call sends a JSON request as user and decodes the answer into out (if not nil).
func (s *stack) call(user, method, path string, body any, out any) int {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(s.t, err)
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, s.http.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	if user != "" {
		req.Header.Set("Authorization", "Bearer "+s.token(user))
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		require.NoError(s.t, json.Unmarshal(raw, out), "decode %s %s: %s", method, path, raw)
	}
	return resp.StatusCode
}

// must is call that requires a status.
func (s *stack) must(want int, user, method, path string, body any, out any) {
	s.t.Helper()
	var raw json.RawMessage
	got := s.call(user, method, path, body, &raw)
	require.Equal(s.t, want, got, "%s %s as %s: %s", method, path, user, raw)
	if out != nil {
		require.NoError(s.t, json.Unmarshal(raw, out))
	}
}
