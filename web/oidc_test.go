package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/oidctest"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// newOIDCWebEnv is newTestEnv with the enterprises' unified identity platform run by the test.
func newOIDCWebEnv(t *testing.T) (*testEnv, *oidctest.Provider) {
	t.Helper()
	db := dbtest.New(t, models.SQLite)
	prov := oidctest.New(t, "skillcert", "platform-secret")
	env := &testEnv{t: t, db: db, now: time.Now()}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return time.Now() })
	deps.Config.OIDC = map[string]service.OIDCConfig{models.AudienceEnterprise: {Issuer: prov.Issuer(), ClientID: "skillcert",
		ClientSecret: "platform-secret", RedirectURL: "http://test/login/oidc/enterprise/callback", Claim: "uscc"}}
	s := newServer(t, deps, api.Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	env.srv = httptest.NewServer(s.Handler())
	t.Cleanup(env.srv.Close)
	return env, prov
}

// platformLogin goes through the login page's button to the platform, lets the platform
// answer with a code for claims, and follows the callback; it returns the callback's answer.
func platformLogin(t *testing.T, e *testEnv, prov *oidctest.Provider, c *http.Client, next string, claims map[string]any) (*http.Response, string) {
	t.Helper()
	resp, _ := e.get(c, "/login/oidc/enterprise?next="+url.QueryEscape(next))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	to, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(to.String(), prov.URL+"/authorize?"), to.String())
	q := to.Query()
	require.Equal(t, "http://test/login/oidc/enterprise/callback", q.Get("redirect_uri"))
	cl := map[string]any{"nonce": q.Get("nonce")}
	for k, v := range claims {
		cl[k] = v
	}
	prov.Issue("the-code", oidctest.Grant{Claims: cl, Challenge: q.Get("code_challenge")})
	return e.get(c, "/login/oidc/enterprise/callback?"+url.Values{"code": {"the-code"}, "state": {q.Get("state")}}.Encode())
}

// The login page offers the platform; a platform login links the enterprise's account the
// first time and opens a session as a password login does; a refusal is a Chinese page.
func TestOIDCLoginPages(t *testing.T) {
	e, prov := newOIDCWebEnv(t)
	c := e.browser()
	resp, page := e.get(c, "/login")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "统一身份认证登录")
	require.Contains(t, page, `href="/login/oidc/enterprise"`)
	require.NotContains(t, page, "/login/oidc/official", "only configured audiences")

	resp, _ = platformLogin(t, e, prov, c, "/status", map[string]any{"sub": "platform-1", "uscc": "91150105MA0N00001B"})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/status", resp.Header.Get("Location"))
	resp, page = e.get(c, "/account/logins")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a session")
	require.Contains(t, page, "统一身份认证")
	require.Equal(t, int64(1), e.auditCount("user.identity_link", models.OutcomeOK))
	require.Equal(t, int64(1), e.auditCount("login", models.OutcomeOK))

	// A forged callback (no login under way in this browser) is refused.
	resp, page = e.get(e.browser(), "/login/oidc/enterprise/callback?code=x&state=y")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	require.Contains(t, page, "统一身份认证登录未成功")
	require.Contains(t, page, "已过期或来源不明")

	// No account with that credit code: a clear refusal, nothing created.
	c = e.browser()
	resp, page = platformLogin(t, e, prov, c, "/", map[string]any{"sub": "platform-2", "uscc": "91150000MA0N99999X"})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, page, "本系统中没有统一社会信用代码为 91150000MA0N99999X 的企业")
	require.Contains(t, page, "使用用户名和密码登录")
	resp, _ = e.get(c, "/account/logins")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "no session")

	// An audience without a platform.
	resp, page = e.get(e.browser(), "/login/oidc/official")
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, page, "未启用该统一身份认证登录方式")
}

// The owner switches optional two-factor login off on its page; the security administrator
// (only) resets another account's from the account page.
func TestTwoFactorDisableAndResetPages(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	code := func(secret string) string {
		c, err := totp.GenerateCodeCustom(secret, e.now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		require.NoError(t, err)
		return c
	}
	enrol := func(user string) (*http.Client, string) {
		c := e.login(user)
		_, page := e.get(c, "/account/2fa")
		m := secretRe.FindStringSubmatch(page)
		require.NotNil(t, m)
		resp, _ := e.postForm(c, "/account/2fa", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code(m[1])}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		e.now = e.now.Add(30 * time.Second)
		return c, m[1]
	}
	c, secret := enrol("saihan")
	_, page := e.get(c, "/account/2fa")
	require.Contains(t, page, "停用双因素登录")
	resp, page := e.postForm(c, "/account/2fa/disable", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {"000000"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "动态口令或恢复码不正确")
	resp, _ = e.postForm(c, "/account/2fa/disable", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code(secret)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "双因素登录已停用")
	require.Nil(t, e.user("saihan").TOTPEnabledAt)

	enrol("hohhot")
	id := e.userID("hohhot")
	for _, who := range []string{"admin", "auditadmin", "saihan"} {
		cl := e.login(who)
		_, pg := e.get(cl, "/account/logins")
		resp, _ = e.postForm(cl, "/admin/users/"+id+"/2fa/reset", url.Values{"csrf_token": {csrfOf(t, pg)}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, who)
	}
	require.NotNil(t, e.user("hohhot").TOTPEnabledAt)
	sec := e.login("secadmin")
	_, page = e.get(sec, "/admin/users/"+id)
	require.Contains(t, page, "重置双因素登录")
	resp, _ = e.postForm(sec, "/admin/users/"+id+"/2fa/reset", url.Values{"csrf_token": {csrfOf(t, page)}, "reason": {"手机丢失"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已重置账户 hohhot 的双因素登录")
	require.Nil(t, e.user("hohhot").TOTPEnabledAt)
	require.Equal(t, int64(1), e.auditCount("user.totp_reset", models.OutcomeOK))
}

// A platform login never used the local password: an account held to change it (after a reset,
// or on expiry) is not held when it comes through the platform; its password login still is.
func TestPlatformSessionIsNotHeldToChangeTheLocalPassword(t *testing.T) {
	e, prov := newOIDCWebEnv(t)
	claims := map[string]any{"sub": "platform-1", "uscc": "91150105MA0N00001B"}
	resp, _ := platformLogin(t, e, prov, e.browser(), "/status", claims)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var uid string
	require.NoError(t, e.db.Raw("SELECT user_id FROM identity_links WHERE subject = ?", "platform-1").Scan(&uid).Error)
	require.NotEmpty(t, uid)
	require.NoError(t, e.db.Model(&models.User{}).Where("id = ?", uid).Update("must_change_password", true).Error)

	c := e.browser()
	resp, _ = platformLogin(t, e, prov, c, "/status", claims)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/status", resp.Header.Get("Location"))
	resp, page := e.get(c, "/status")
	require.Equal(t, http.StatusOK, resp.StatusCode, "a platform session is not sent to change the local password")
	require.NotContains(t, page, "修改密码后才能继续")

	var method string
	require.NoError(t, e.db.Raw("SELECT method FROM sessions WHERE user_id = ? ORDER BY created_at DESC LIMIT 1", uid).Scan(&method).Error)
	require.Equal(t, models.SessionOIDC, method)
}

// A platform login of an account with two-factor login goes through the second factor; the
// session it opens is a platform session (the local password's expiry does not hold it) and the
// login is audited as the platform's. Before, the second step opened a password session.
func TestOIDCLoginWithSecondFactorOpensAPlatformSession(t *testing.T) {
	e, prov := newOIDCWebEnv(t)
	claims := map[string]any{"sub": "platform-1", "uscc": "91150105MA0N00001B"}
	c := e.browser()
	resp, _ := platformLogin(t, e, prov, c, "/status", claims)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	var first models.Session
	require.NoError(t, e.db.Order("created_at DESC").First(&first).Error)
	require.Equal(t, models.SessionOIDC, first.Method)

	// The enterprise switches two-factor login on.
	_, page := e.get(c, "/account/2fa")
	m := secretRe.FindStringSubmatch(page)
	require.NotNil(t, m, "the enrolment page shows a secret")
	code := func() string {
		v, err := totp.GenerateCodeCustom(m[1], e.now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		require.NoError(t, err)
		return v
	}
	resp, _ = e.postForm(c, "/account/2fa", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code()}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	e.now = e.now.Add(30 * time.Second)

	// The next platform login asks for the code, then opens a platform session.
	c = e.browser()
	resp, _ = platformLogin(t, e, prov, c, "/status", claims)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login/2fa"), resp.Header.Get("Location"))
	_, page = e.get(c, "/login/2fa?next=/status")
	resp, _ = e.postForm(c, "/login/2fa", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code()}, "next": {"/status"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/status", resp.Header.Get("Location"))
	var second models.Session
	require.NoError(t, e.db.Where("user_id = ?", first.UserID).Order("created_at DESC").First(&second).Error)
	require.NotEqual(t, first.TokenHash, second.TokenHash)
	require.Equal(t, models.SessionOIDC, second.Method, "the second factor of a platform login opens a platform session")
	logins := e.auditRows("login")
	require.Equal(t, "oidc enterprise", logins[len(logins)-1].Reason)
}
