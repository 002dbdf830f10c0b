package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// TestPublicRoutesIgnoreBadCredentials calls the public routes with an unknown and with a
// revoked bearer token: each answers as it answers an anonymous caller, never 401. Routes
// that need a caller still answer 401 to the same tokens.
func TestPublicRoutesIgnoreBadCredentials(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	revoked := e.bearer("region")
	var row models.APIToken
	require.NoError(t, e.db.Where("token_hash = ?", models.HashToken(revoked)).First(&row).Error)
	code, _ := e.apiDo(revoked, http.MethodDelete, "/api/v1/tokens/"+row.ID, "")
	require.Equal(t, http.StatusNoContent, code)

	public := []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/directory", ""},
		{http.MethodGet, "/api/v1/public/certificates?number=NO-SUCH-NUMBER", ""},
		{http.MethodGet, "/api/v1/public/certificates", ""},
		{http.MethodGet, "/api/v1/public/supervision", ""},
		{http.MethodGet, "/api/v1/openapi.yaml", ""},
		{http.MethodPost, "/api/v1/complaints", `{}`},
	}
	for _, r := range public {
		anonymous := e.do("", r.method, r.path, r.body).StatusCode
		require.NotEqual(t, http.StatusUnauthorized, anonymous, "%s %s", r.method, r.path)
		for name, tok := range map[string]string{"unknown": "sc_nope", "revoked": revoked} {
			got := e.do(tok, r.method, r.path, r.body).StatusCode
			require.Equal(t, anonymous, got, "%s %s with an %s token answers as to anyone", r.method, r.path, name)
		}
	}
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/api/v1/me", ""},
		{http.MethodGet, "/api/v1/tasks", ""},
		{http.MethodPost, "/api/v1/tasks/x/claim", ""},
		{http.MethodPost, "/api/v1/users", `{}`},
	} {
		for name, tok := range map[string]string{"unknown": "sc_nope", "revoked": revoked} {
			got := e.do(tok, r.method, r.path, r.body).StatusCode
			require.Equal(t, http.StatusUnauthorized, got, "%s %s with an %s token", r.method, r.path, name)
		}
	}
}
