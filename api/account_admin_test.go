package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// jsonSession logs in through the JSON API and returns the client (holding the session cookie)
// and its CSRF token; status is the login's answer.
func (e *testEnv) jsonSession(user, pass string) (c *http.Client, csrf string, status int) {
	e.t.Helper()
	c = e.browser()
	resp, err := c.Post(e.srv.URL+"/api/v1/auth/login", "application/json",
		strings.NewReader(`{"username":"`+user+`","password":"`+pass+`"}`))
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var me MeResponse
	_ = json.NewDecoder(resp.Body).Decode(&me)
	return c, me.CSRFToken, resp.StatusCode
}

// sessionStatus is the status of GET /api/v1/me with the client's session.
func (e *testEnv) sessionStatus(c *http.Client) int {
	e.t.Helper()
	resp, _ := e.get(c, "/api/v1/me")
	return resp.StatusCode
}

func (e *testEnv) userID(username string) string { return webtest.UserID(e.t, e.db, username) }

// auditRows returns the audit rows of an action, oldest first.
func (e *testEnv) auditRows(action string) []models.AuditEntry {
	return webtest.AuditRows(e.t, e.db, action)
}

// requireNoSecretInAudit checks that no audit row carries the secret anywhere.
func (e *testEnv) requireNoSecretInAudit(secret string) {
	webtest.RequireNoSecretInAudit(e.t, e.db, secret)
}

func errCode(t *testing.T, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "error body: %v", body)
	return e["code"].(string)
}

func errFields(t *testing.T, body map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	fs, _ := body["error"].(map[string]any)["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["message"].(string)
	}
	return out
}

var oneTimePasswordRe = regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`)

func TestUserAdminAPIDisableEnableResetGrant(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		admin := e.bearer("admin")
		const pw = "first-password-1"
		code, body := e.apiDo(admin, http.MethodPost, "/api/v1/users",
			`{"username":"temp1","display_name":"回民区 临时","password":"`+pw+`","role":"county_official","jurisdiction_code":"150103"}`)
		require.Equal(t, http.StatusCreated, code, body)
		id := body["id"].(string)
		require.Nil(t, body["initial_code"], "a county official's first password may be chosen")

		// The first login must change the administrator's password before anything else.
		first, csrf, status := e.jsonSession("temp1", "first-password-1")
		require.Equal(t, http.StatusOK, status)
		code, body = e.sessionDo(first, csrf, http.MethodGet, "/api/v1/tasks", "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, "password_change_required", errCode(t, body))
		code, body = e.sessionDo(first, csrf, http.MethodPost, "/api/v1/me/password",
			`{"old_password":"first-password-1","new_password":"Second-pass-2","new_password_confirm":"Second-pass-2"}`)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, false, body["password_change_required"])
		const pw2 = "Second-pass-2"

		// The new user has a browser session and an API token.
		sess, _, status := e.jsonSession("temp1", pw2)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, http.StatusOK, e.sessionStatus(sess))
		tok := e.bearer2("temp1", pw2)
		code, _ = e.apiDo(tok, http.MethodGet, "/api/v1/me", "")
		require.Equal(t, http.StatusOK, code)

		// One account, and the list's filters.
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users/"+id, "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "temp1", body["username"])
		code, _ = e.apiDo(admin, http.MethodGet, "/api/v1/users/no-such-user", "")
		require.Equal(t, http.StatusNotFound, code)
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?q=TEMP", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, body["total"], "q matches the username case-insensitively")
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?q="+url.QueryEscape("张科长"), "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, body["total"], "q matches the display name")
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?q=%25", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 0, body["total"], "a % in q is literal")
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?active=false", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 0, body["total"])
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?active=maybe", "")
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "bad_active", errCode(t, body))

		// A league official may not manage accounts, even in its own subtree; the refusal is audited.
		league := e.bearer("hohhot")
		denied := e.auditCount("user.manage", models.OutcomeDenied)
		code, _ = e.apiDo(league, http.MethodPost, "/api/v1/users/"+e.userID("xincheng")+"/disable", "")
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, denied+1, e.auditCount("user.manage", models.OutcomeDenied))

		// Disable: logins, sessions and tokens all stop at once.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users/"+id+"/disable", `{"reason":"调离岗位"}`)
		require.Equal(t, http.StatusOK, code, body)
		require.EqualValues(t, 3, body["sessions_ended"], "the first login's (which changed the password), the browser's and the one that made the token")
		require.EqualValues(t, 1, body["tokens_revoked"])
		require.Equal(t, false, body["user"].(map[string]any)["active"])
		require.Equal(t, http.StatusUnauthorized, e.sessionStatus(sess), "the open session ended")
		code, _ = e.apiDo(tok, http.MethodGet, "/api/v1/me", "")
		require.Equal(t, http.StatusUnauthorized, code, "the token was revoked")
		_, _, status = e.jsonSession("temp1", pw2)
		require.Equal(t, http.StatusUnauthorized, status, "a disabled account cannot log in")
		rows := e.auditRows("user.disable")
		require.Len(t, rows, 1)
		require.Equal(t, id, rows[0].ObjectID)
		require.Equal(t, "调离岗位", rows[0].Reason)
		require.Equal(t, "active", rows[0].BeforeState)
		require.Equal(t, "disabled sessions=3 tokens=1", rows[0].AfterState)
		require.Equal(t, "150103", rows[0].JurisdictionCode, "filed under the account's jurisdiction")
		code, body = e.apiDo(admin, http.MethodGet, "/api/v1/users?active=false", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, body["total"])

		// Enable: the old password works again.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users/"+id+"/enable", "")
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, true, body["active"])
		sess, _, status = e.jsonSession("temp1", pw2)
		require.Equal(t, http.StatusOK, status)
		require.Equal(t, int64(1), e.auditCount("user.enable", models.OutcomeOK))

		// An administrator cannot disable, reset or move their own account; the attempt is audited.
		sec := e.bearer("secadmin")
		for _, tc := range []struct{ who, method, path, body, action string }{
			{"admin", http.MethodPost, "/disable", "", "user.disable"},
			{"secadmin", http.MethodPost, "/password", "", "user.password_reset"},
			{"secadmin", http.MethodPut, "/grant", `{"role":"region_official","jurisdiction_code":"150000","reason":"x"}`, "user.grant"},
		} {
			before := e.auditCount(tc.action, models.OutcomeRejected)
			code, body = e.apiDo(e.bearer(tc.who), tc.method, "/api/v1/users/"+e.userID(tc.who)+tc.path, tc.body)
			require.Equal(t, http.StatusUnprocessableEntity, code, tc.path)
			require.Equal(t, "own_account", errCode(t, body))
			require.Contains(t, body["error"].(map[string]any)["message"], "不能对自己的账户")
			require.Equal(t, before+1, e.auditCount(tc.action, models.OutcomeRejected), tc.path)
		}
		code, _ = e.apiDo(admin, http.MethodGet, "/api/v1/me", "")
		require.Equal(t, http.StatusOK, code, "still active")

		// Reset (the security administrator's): a generated one-time code, shown once; the old
		// password and the open session stop working.
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/users/"+id+"/password", strings.NewReader(`{"reason":"遗忘密码"}`))
		req.Header.Set("Authorization", "Bearer "+sec)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		var reset service.PasswordReset
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&reset))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
		require.Regexp(t, oneTimePasswordRe, reset.ResetCode)
		require.WithinDuration(t, time.Now().Add(24*time.Hour), reset.ExpiresAt, time.Minute)
		require.EqualValues(t, 1, reset.SessionsEnded)
		require.Equal(t, http.StatusUnauthorized, e.sessionStatus(sess))
		_, _, status = e.jsonSession("temp1", pw2)
		require.Equal(t, http.StatusUnauthorized, status, "old password")
		withCode, csrf, status := e.jsonSession("temp1", reset.ResetCode)
		require.Equal(t, http.StatusOK, status, "the reset code logs in once")
		_, _, status = e.jsonSession("temp1", reset.ResetCode)
		require.Equal(t, http.StatusUnauthorized, status, "and only once")
		code, body = e.sessionDo(withCode, csrf, http.MethodPost, "/api/v1/tokens", `{"name":"x"}`)
		require.Equal(t, http.StatusForbidden, code, "the code's session can only change the password")
		require.Equal(t, "password_change_required", errCode(t, body))
		const pw3 = "Third-pass-3"
		code, body = e.sessionDo(withCode, csrf, http.MethodPost, "/api/v1/me/password",
			`{"old_password":"`+reset.ResetCode+`","new_password":"`+pw3+`","new_password_confirm":"`+pw3+`"}`)
		require.Equal(t, http.StatusOK, code, body)
		rows = e.auditRows("user.password_reset")
		require.Len(t, rows, 2, "the refused reset of the own account, then this one")
		require.Equal(t, models.OutcomeOK, rows[1].Outcome)
		require.Equal(t, "遗忘密码", rows[1].Reason)
		require.Contains(t, rows[1].AfterState, "sessions=1 tokens=0")
		e.requireNoSecretInAudit(reset.ResetCode)
		e.requireNoSecretInAudit(pw)
		e.requireNoSecretInAudit(pw2)

		// Missing choices are named as such.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users", `{"username":"temp2","display_name":"某","password":"long-enough-pw1","role":""}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"role": "请选择角色。"}, errFields(t, body))
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users", `{"username":"temp2","display_name":"某","password":"long-enough-pw1","role":"expert"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"jurisdiction_code": "请选择所属行政区划。"}, errFields(t, body))
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users", `{"username":"temp2","display_name":"某","password":"long-enough-pw1","role":"enterprise_user"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"enterprise_id": "请选择企业用户所属的企业。"}, errFields(t, body))

		// Move: validated like a new account, with a required reason; takes effect at once.
		code, body = e.apiDo(sec, http.MethodPut, "/api/v1/users/"+id+"/grant", `{"role":"league_official","jurisdiction_code":"150102"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		fields := errFields(t, body)
		require.Contains(t, fields["jurisdiction_code"], "不能设在新城区这一级")
		require.Equal(t, "请填写理由。", fields["reason"])
		code, body = e.apiDo(sec, http.MethodPut, "/api/v1/users/"+id+"/grant", `{"role":"league_official","jurisdiction_code":"150200","reason":"调任包头市人社局"}`)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, "league_official", body["role"])
		require.Equal(t, "150200", body["jurisdiction_code"])
		rows = e.auditRows("user.grant")
		require.Equal(t, "county_official 150103", rows[len(rows)-1].BeforeState)
		require.Equal(t, "league_official 150200", rows[len(rows)-1].AfterState)
		moved := e.bearer2("temp1", pw3)
		code, body = e.apiDo(moved, http.MethodGet, "/api/v1/jurisdictions", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 10, body["total"], "包头市 and its 9 counties")

		// Audit filters (the audit administrator's): actor, action, outcome, days in Asia/Shanghai.
		auditor := e.bearer("auditadmin")
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?actor=admin&action=user.disable", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 2, body["total"], "temp1's, and the refused one of admin's own")
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?actor=admin&action=user.disable&outcome=rejected", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, body["total"])
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?actor=hohhot&action=user.disable", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 0, body["total"])
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?outcome=denied", "")
		require.Equal(t, http.StatusOK, code)
		for _, it := range body["items"].([]any) {
			require.Equal(t, "denied", it.(map[string]any)["outcome"])
		}
		require.Positive(t, body["total"])
		// The test server's zone is UTC (the default); the day boundaries of Asia/Shanghai are
		// checked in TestAuditDaysInShanghai.
		today := time.Now().UTC().Format("2006-01-02")
		tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?action=user.disable&outcome=ok&from="+today+"&to="+today, "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, body["total"])
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?from="+tomorrow, "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 0, body["total"])
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?from=20-5", "")
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "bad_date", errCode(t, body))
		code, body = e.apiDo(auditor, http.MethodGet, "/api/v1/audit?outcome=maybe", "")
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "bad_outcome", errCode(t, body))
	})
}

// bearer2 is bearer for an account with its own password. An account that must change its
// password first (an administrator set it) changes it to pass+"-Z9" before the token is made.
func (e *testEnv) bearer2(user, pass string) string {
	e.t.Helper()
	c, csrf, status := e.jsonSession(user, pass)
	require.Equal(e.t, http.StatusOK, status)
	if code, me := e.sessionDo(c, csrf, http.MethodGet, "/api/v1/me", ""); code == http.StatusOK && me["password_change_required"] == true {
		code, body := e.sessionDo(c, csrf, http.MethodPost, "/api/v1/me/password",
			`{"old_password":"`+pass+`","new_password":"`+pass+`-Z9","new_password_confirm":"`+pass+`-Z9"}`)
		require.Equal(e.t, http.StatusOK, code, body)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/tokens", strings.NewReader(`{"name":"test","ttl_days":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	require.Equal(e.t, http.StatusCreated, resp.StatusCode)
	var tok service.TokenResponse
	require.NoError(e.t, json.NewDecoder(resp.Body).Decode(&tok))
	return tok.Token
}

// sessionDo sends a request with a session client and its CSRF token.
func (e *testEnv) sessionDo(c *http.Client, csrf, method, path, body string) (int, map[string]any) {
	e.t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	out := map[string]any{}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}
