package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

const testPassword = "test-password-1"

type testEnv struct {
	t   *testing.T
	db  *models.DB
	srv *httptest.Server
	now time.Time
}

func newTestEnv(t *testing.T, db *models.DB) *testEnv {
	t.Helper()
	env := &testEnv{t: t, db: db, now: time.Now()}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return env.now })
	s := newServer(t, deps, api.Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	env.srv = httptest.NewServer(s.Handler())
	t.Cleanup(env.srv.Close)
	return env
}

// browser is a client with a cookie jar that does not follow redirects.
func (e *testEnv) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

var csrfRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (e *testEnv) get(c *http.Client, path string) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.Get(e.srv.URL + path)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *testEnv) postForm(c *http.Client, path string, form url.Values) (*http.Response, string) {
	e.t.Helper()
	resp, err := c.PostForm(e.srv.URL+path, form)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// loginForm fetches the login page for its CSRF token and submits the form.
func (e *testEnv) loginForm(c *http.Client, user, pass string) (*http.Response, string) {
	e.t.Helper()
	_, page := e.get(c, "/login")
	m := csrfRe.FindStringSubmatch(page)
	require.NotNil(e.t, m, "login page has a CSRF field")
	return e.postForm(c, "/login", url.Values{"csrf_token": {m[1]}, "username": {user}, "password": {pass}, "next": {"/"}})
}

func (e *testEnv) auditCount(action, outcome string) int64 {
	var n int64
	require.NoError(e.t, e.db.Model(&models.AuditEntry{}).Where("action = ? AND outcome = ?", action, outcome).Count(&n).Error)
	return n
}

func TestLoginLogoutAndPages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		c := e.browser()

		// A protected page sends an anonymous visitor to the login page.
		resp, _ := e.get(c, "/inbox")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/login?next=%2Finbox", resp.Header.Get("Location"))

		resp, body := e.loginForm(c, "hohhot", testPassword)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == api.SessionCookie {
				session = ck
			}
		}
		require.NotNil(t, session, "session cookie set")
		require.True(t, session.HttpOnly, "session cookie is HttpOnly")
		require.Equal(t, http.SameSiteLaxMode, session.SameSite)

		resp, body = e.get(c, "/")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, body, "呼和浩特市人社局 张科长")
		require.Contains(t, body, "呼和浩特市")
		require.Equal(t, int64(1), e.auditCount("login", models.OutcomeOK))

		// Logout needs the page's CSRF token, then ends the session.
		m := csrfRe.FindStringSubmatch(body)
		require.NotNil(t, m)
		resp, _ = e.postForm(c, "/logout", url.Values{"csrf_token": {m[1]}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		resp, _ = e.get(c, "/inbox")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "logged out")
		var sessions int64
		require.NoError(t, db.Model(&models.Session{}).Count(&sessions).Error)
		require.Zero(t, sessions)
	})
}

func TestWrongPasswordKeepsUsernameAndSaysWhy(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	resp, body := e.loginForm(c, "hohhot", "nope")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "用户名或密码错误")
	require.Contains(t, body, `value="hohhot"`, "username kept")
	// Both fields are marked, and the focus goes to the summary at the top, which links to the field.
	require.Equal(t, 2, strings.Count(body, `aria-invalid="true" aria-describedby="login-error"`), "both refused fields are marked")
	requireTopSummary(t, body, "#username")
	// An unknown user gets the same answer (no account enumeration).
	resp, body2 := e.loginForm(c, "nobody", "nope")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body2, "用户名或密码错误")
	require.Equal(t, int64(2), e.auditCount("login", models.OutcomeRejected))
}

func TestCSRFRejection(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()

	// Login form without a token, and with a forged one.
	resp, body := e.postForm(c, "/login", url.Values{"username": {"region"}, "password": {testPassword}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "表单已过期")
	e.get(c, "/login")
	resp, _ = e.postForm(c, "/login", url.Values{"csrf_token": {"forged"}, "username": {"region"}, "password": {testPassword}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// Logged in: a state-changing API call with the cookie but no header is refused ...
	resp, _ = e.loginForm(c, "region", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	r2, err := c.Do(req)
	require.NoError(t, err)
	r2.Body.Close()
	require.Equal(t, http.StatusForbidden, r2.StatusCode)
	var apiErr struct{ Error service.Error }
	// ... and accepted with the session's token from /me.
	_, me := e.get(c, "/api/v1/me")
	var meResp api.MeResponse
	require.NoError(t, json.Unmarshal([]byte(me), &meResp))
	require.NotEmpty(t, meResp.CSRFToken)
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"x"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", meResp.CSRFToken)
	r3, err := c.Do(req)
	require.NoError(t, err)
	defer r3.Body.Close()
	require.Equal(t, http.StatusCreated, r3.StatusCode)
	_ = apiErr

	// A token from another session does not work in this one.
	other := e.browser()
	e.loginForm(other, "region", testPassword)
	req, _ = http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"y"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", meResp.CSRFToken)
	r4, err := other.Do(req)
	require.NoError(t, err)
	r4.Body.Close()
	require.Equal(t, http.StatusForbidden, r4.StatusCode)
}

// bearer logs user in through the JSON API and returns a bearer token.
func (e *testEnv) bearer(user string) string {
	return webtest.Bearer(e.t, e.srv.URL, user, testPassword)
}

func (e *testEnv) apiDo(token, method, path, body string) (int, map[string]any) {
	return webtest.APIDo(e.t, e.srv.URL, token, method, path, body)
}

func TestErrorsNeverShowInternals(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	resp, body := e.get(e.browser(), "/no/such/page")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "页面不存在")
	// A visitor has no 工作台: the public 404 offers the public pages instead.
	require.NotContains(t, body, "返回工作台")
	require.Contains(t, body, `<a href="/directory">试点企业目录</a>`)
	code, out := e.apiDo("", http.MethodGet, "/api/v1/me", "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Equal(t, "unauthenticated", out["error"].(map[string]any)["code"])
}
