package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// 三员分立 on the pages: each administrator sees and may post only its own part.
func TestThreeAdministratorsPages(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	target := "/admin/users/" + url.PathEscape(userIDOf(t, e, "saihan"))
	session := func(user string) (*http.Client, string) {
		c := e.browser()
		resp, body := e.loginForm(c, user, testPassword)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		_, page := e.get(c, "/")
		return c, csrfOf(t, page)
	}

	// The system administrator: disable and enable, but neither reset, unlock, grant nor the log.
	sys, csrf := session("admin")
	_, page := e.get(sys, target)
	require.Contains(t, page, target+"/disable\"")
	require.NotContains(t, page, target+"/password\"")
	require.NotContains(t, page, target+"/grant\"")
	for _, p := range []string{"/password", "/unlock", "/grant"} {
		resp, _ := e.postForm(sys, target+p, url.Values{"csrf_token": {csrf}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, p)
	}
	resp, _ := e.get(sys, "/admin/audit")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The security administrator: reset (a one-time code), unlock, grant; no disable, no log.
	sec, csrf := session("secadmin")
	_, page = e.get(sec, target)
	require.Contains(t, page, target+"/grant\"")
	require.NotContains(t, page, target+"/disable\"")
	resp, page = e.postForm(sec, target+"/password", url.Values{"csrf_token": {csrf}, "confirm": {"yes"}, "reason": {"本人来电"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "一次性重置码")
	resp, _ = e.postForm(sec, target+"/disable", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = e.get(sec, "/admin/audit")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// The audit administrator: the log and everyone's logins, and nothing to change.
	aud, csrf := session("auditadmin")
	resp, page = e.get(aud, "/admin/audit")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "secadmin", "the security administrator's reset is in the log")
	resp, page = e.get(aud, "/admin/logins")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "secadmin")
	resp, _ = e.postForm(aud, target+"/disable", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = e.postForm(aud, target+"/password", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	resp, _ = e.get(sys, "/admin/logins")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "not the system administrator's")
}

// A reset code's session can only change the password; the change page takes it, and the login
// history shows the attempts to the user.
func TestForcedPasswordChangePage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	code, body := e.apiDo(e.bearer("secadmin"), http.MethodPost, "/api/v1/users/"+userIDOf(t, e, "saihan")+"/password", `{}`)
	require.Equal(t, http.StatusOK, code, body)
	resetCode := body["reset_code"].(string)

	c := e.browser()
	resp, _ := e.loginForm(c, "saihan", testPassword)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the old password is gone")
	resp, _ = e.loginForm(c, "saihan", resetCode)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	for _, p := range []string{"/", "/inbox", "/account/logins"} {
		resp, _ = e.get(c, p)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, p)
		require.Equal(t, "/account/password", resp.Header.Get("Location"), p)
	}
	resp, page := e.get(c, "/account/password")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "修改前不能使用其他功能")
	csrf := csrfOf(t, page)
	resp, _ = e.postForm(c, "/inbox/bulk", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	// A weak or mistyped new password comes back with its message; nothing is changed.
	resp, page = e.postForm(c, "/account/password", url.Values{"csrf_token": {csrf}, "old_password": {resetCode},
		"new_password": {"weakweakweak"}, "new_password_confirm": {"weakweakweak"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "密码强度不足")
	resp, _ = e.postForm(c, "/account/password", url.Values{"csrf_token": {csrf}, "old_password": {resetCode},
		"new_password": {"Brand-new-pass-9"}, "new_password_confirm": {"Brand-new-pass-9"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
	resp, _ = e.get(c, "/inbox")
	require.Equal(t, http.StatusOK, resp.StatusCode, "free once changed")

	resp, page = e.get(c, "/account/logins")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "一次性重置码")
	require.Contains(t, page, "用户名或密码错误")
	require.Equal(t, 2, strings.Count(page, "<tr>")-1, "two attempts, and the header row")
}

func userIDOf(t *testing.T, e *testEnv, username string) string {
	t.Helper()
	var u models.User
	require.NoError(t, e.db.Where("username = ?", username).First(&u).Error)
	return u.ID
}
