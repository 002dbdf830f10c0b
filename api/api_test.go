package api

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

const testPassword = "test-password-1"

type testEnv struct {
	t   *testing.T
	db  *models.DB
	srv *httptest.Server
	api *Server
	now time.Time
}

func newTestEnv(t *testing.T, db *models.DB) *testEnv {
	t.Helper()
	env := &testEnv{t: t, db: db, now: time.Now()}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return env.now })
	s := newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	env.api = s
	env.srv = httptest.NewServer(s.Handler(nil))
	t.Cleanup(env.srv.Close)
	return env
}

// browser is a client with a cookie jar that does not follow redirects.
func (e *testEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *testEnv) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *testEnv) auditCount(action, outcome string) int64 {
	var n int64
	require.NoError(e.t, e.db.Model(&models.AuditEntry{}).Where("action = ? AND outcome = ?", action, outcome).Count(&n).Error)
	return n
}

// bearer logs user in through the JSON API and returns a bearer token.
func (e *testEnv) bearer(user string) string {
	return webtest.Bearer(e.t, e.srv.URL, user, testPassword)
}

func (e *testEnv) apiDo(token, method, path, body string) (int, map[string]any) {
	return webtest.APIDo(e.t, e.srv.URL, token, method, path, body)
}

func TestAPIScopesListsAndAuditsDenials(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		league := e.bearer("hohhot")

		// Jurisdictions: own subtree only (呼和浩特 + its 9 counties).
		code, body := e.apiDo(league, http.MethodGet, "/api/v1/jurisdictions", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 10, body["total"])
		for _, it := range body["items"].([]any) {
			c := it.(map[string]any)["code"].(string)
			require.True(t, c == "150100" || strings.HasPrefix(c, "1501"), "leaked %s", c)
		}
		// A child jurisdiction is allowed, a sibling or the parent is not, and the refusal is audited.
		code, _ = e.apiDo(league, http.MethodGet, "/api/v1/jurisdictions?under=150102", "")
		require.Equal(t, http.StatusOK, code)
		before := e.auditCount("jurisdiction.read", models.OutcomeDenied)
		code, body = e.apiDo(league, http.MethodGet, "/api/v1/jurisdictions?under=150200", "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, "forbidden", body["error"].(map[string]any)["code"])
		code, _ = e.apiDo(league, http.MethodGet, "/api/v1/jurisdictions?under=150000", "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, before+2, e.auditCount("jurisdiction.read", models.OutcomeDenied))

		// Users are managed by the sysadmin only; a league official may not list them.
		code, _ = e.apiDo(league, http.MethodGet, "/api/v1/users", "")
		require.Equal(t, http.StatusForbidden, code)
		admin := e.bearer("admin")
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?limit=100", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 22, body["total"], "the demo accounts, the three administrators among them")

		// Creating a user: validation errors are field-specific and in Chinese.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users", `{"username":"x","display_name":"","password":"short","role":"county_official","jurisdiction_code":"150100"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		fields := map[string]bool{}
		for _, f := range body["error"].(map[string]any)["fields"].([]any) {
			fields[f.(map[string]any)["field"].(string)] = true
		}
		require.Equal(t, map[string]bool{"username": true, "display_name": true, "password": true, "jurisdiction_code": true}, fields)
		code, _ = e.apiDo(admin, http.MethodPost, "/api/v1/users", `{"username":"county2","display_name":"新账户","password":"long-enough-pw1","role":"county_official","jurisdiction_code":"150103"}`)
		require.Equal(t, http.StatusCreated, code)

		// Audit chain verifies through the API (the audit administrator's).
		code, body = e.apiDo(e.bearer("auditadmin"), http.MethodPost, "/api/v1/audit/verify", "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, true, body["ok"])
	})
}

func TestBearerTokenRejectedWhenUnknownOrRevoked(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	code, _ := e.apiDo("sc_nope", http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, code)
	tok := e.bearer("region")
	code, me := e.apiDo(tok, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "region", me["user"].(map[string]any)["username"])
	// Bearer requests need no CSRF token.
	var row models.APIToken
	require.NoError(t, e.db.Where("token_hash = ?", models.HashToken(tok)).First(&row).Error)
	code, _ = e.apiDo(tok, http.MethodDelete, "/api/v1/tokens/"+row.ID, "")
	require.Equal(t, http.StatusNoContent, code)
	code, _ = e.apiDo(tok, http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, code)
}
