package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// newTwoFactorEnv is newTestEnv with two-factor login required (SKILLCERT_2FA_REQUIRED).
func newTwoFactorEnv(t *testing.T, db *models.DB) *testEnv {
	t.Helper()
	env := &testEnv{t: t, db: db, now: time.Date(2027, 3, 1, 9, 0, 10, 0, time.UTC)}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return env.now })
	deps.Config.TwoFactorRequired = true
	s := newServer(t, deps, api.Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	env.srv = httptest.NewServer(s.Handler())
	t.Cleanup(env.srv.Close)
	return env
}

var (
	secretRe   = regexp.MustCompile(`id="totp-secret">([A-Z2-7]+)<`)
	recoveryRe = regexp.MustCompile(`<li><code>([A-Z2-7-]+)</code></li>`)
)

// An administrator without TOTP is held to the enrolment; after it, logins need a code on a
// second page, a replayed code is refused, and each recovery code logs in once.
func TestTwoFactorPages(t *testing.T) {
	e := newTwoFactorEnv(t, dbtest.New(t, models.SQLite))
	code := func(secret string) string {
		c, err := totp.GenerateCodeCustom(secret, e.now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		require.NoError(t, err)
		return c
	}

	// Held to the enrolment, like the forced password change.
	c := e.browser()
	resp, body := e.loginForm(c, "admin", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	for _, p := range []string{"/", "/admin/users", "/account/logins"} {
		resp, _ = e.get(c, p)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, p)
		require.Equal(t, "/account/2fa", resp.Header.Get("Location"), p)
	}
	resp, page := e.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "启用前不能使用其他功能")
	require.Contains(t, page, `src="data:image/png;base64,`)
	m := secretRe.FindStringSubmatch(page)
	require.NotNil(t, m, "the secret as text")
	secret := m[1]
	csrf := csrfOf(t, page)
	resp, _ = e.postForm(c, "/inbox/bulk", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	// A wrong code comes back with its message; the right one switches it on and shows the
	// recovery codes once.
	resp, page = e.postForm(c, "/account/2fa", url.Values{"csrf_token": {csrf}, "code": {"12345"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "动态口令不正确")
	require.Contains(t, page, secret, "the same secret again")
	resp, page = e.postForm(c, "/account/2fa", url.Values{"csrf_token": {csrf}, "code": {code(secret)}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	codes := recoveryRe.FindAllStringSubmatch(page, -1)
	require.Len(t, codes, 10)
	resp, _ = e.get(c, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode, "free once enrolled")
	resp, page = e.get(c, "/account/2fa")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "双因素登录已启用")
	require.NotContains(t, page, codes[0][1], "recovery codes are shown once")

	// The password alone opens no session: the code is asked next.
	secondStep := func(c *http.Client, typed string) (*http.Response, string) {
		t.Helper()
		resp, body := e.loginForm(c, "admin", testPassword)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		require.Equal(t, "/login/2fa?next=%2F", resp.Header.Get("Location"))
		resp, _ = e.get(c, "/inbox") // "/" is the public landing page for visitors
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login"), "no session yet")
		resp, page := e.get(c, "/login/2fa?next=%2F")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		return e.postForm(c, "/login/2fa", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {typed}, "next": {"/"}})
	}
	c = e.browser()
	resp, page = secondStep(c, code(secret))
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the enrolment's code, replayed")
	require.Contains(t, page, "动态口令或恢复码不正确")
	e.now = e.now.Add(30 * time.Second)
	resp, _ = secondStep(c, code(secret))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
	resp, _ = e.get(c, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// A recovery code, once.
	resp, _ = secondStep(e.browser(), strings.ToLower(codes[0][1]))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = secondStep(e.browser(), codes[0][1])
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "used")

	// No second step without a right password first.
	resp, _ = e.get(e.browser(), "/login/2fa")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/login", resp.Header.Get("Location"))

	resp, page = e.get(c, "/account/logins")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "密码＋动态口令")
	require.Contains(t, page, "密码＋恢复码")

	// A county official is not required to enrol.
	c = e.browser()
	resp, _ = e.loginForm(c, "saihan", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	resp, _ = e.get(c, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a county official is not held")
}
