package api

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// do sends a request with an optional bearer token and returns the response, body read.
func (e *testEnv) do(token, method, path, body string) *http.Response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	require.NoError(e.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestPersonalDataIsNotStored requires "Cache-Control: no-store" on every answer to a
// logged-in caller, whatever its status: JSON, exports and errors, and on the login's answer,
// which carries the caller's account.
func TestPersonalDataIsNotStored(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	tokens := map[string]string{"dairy": e.bearer("dairy"), "hohhot": e.bearer("hohhot"), "region": e.bearer("region"), "admin": e.bearer("admin"), "auditadmin": e.bearer("auditadmin")}
	for _, tc := range []struct{ user, path string }{
		{"dairy", "/api/v1/me"},
		{"dairy", "/api/v1/applications/mine"},
		{"dairy", "/api/v1/cases"},
		{"dairy", "/api/v1/notifications"},
		{"hohhot", "/api/v1/tasks"},
		{"hohhot", "/api/v1/cases/no-such-case"},
		{"hohhot", "/api/v1/leagues/150100/summary/export.xlsx"},
		{"hohhot", "/api/v1/reports/certificates"},
		{"region", "/api/v1/summaries/export.xlsx"},
		{"admin", "/api/v1/users"},
		{"admin", "/api/v1/users/" + webtest.UserID(t, e.db, "dairy")},
		{"auditadmin", "/api/v1/audit"},
	} {
		resp := e.do(tokens[tc.user], http.MethodGet, tc.path, "")
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "%s GET %s (status %d)", tc.user, tc.path, resp.StatusCode)
	}
	resp := e.do("", http.MethodPost, "/api/v1/auth/login", `{"username":"dairy","password":"`+testPassword+`"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "the login's answer")
}
