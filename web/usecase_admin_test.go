package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The administrators' use cases: a write and its audit row commit together or not at all, and
// each use case authorizes on its own, whoever calls it (JSON handler or page).

// failAudit makes every later append to the audit log fail, as a full disk or a broken chain
// lock would; dropAudit undoes it.
func failAudit(t *testing.T, db *models.DB) (dropAudit func()) {
	t.Helper()
	if db.Dialect == models.Postgres {
		require.NoError(t, db.Exec(`CREATE FUNCTION audit_fail() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$ LANGUAGE plpgsql`).Error)
		require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_fail()`).Error)
		return func() {
			require.NoError(t, db.Exec(`DROP TRIGGER audit_fail ON audit_log`).Error)
			require.NoError(t, db.Exec(`DROP FUNCTION audit_fail()`).Error)
		}
	}
	require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END`).Error)
	return func() { require.NoError(t, db.Exec(`DROP TRIGGER audit_fail`).Error) }
}

func (e *testEnv) auditTotal() int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.AuditEntry{}).Count(&n).Error)
	return n
}

func (e *testEnv) user(username string) models.User {
	e.t.Helper()
	u, err := e.db.UserByUsername(context.Background(), username)
	require.NoError(e.t, err)
	return u
}

func (e *testEnv) precheck(code string) bool {
	e.t.Helper()
	j, err := e.db.JurisdictionByCode(context.Background(), code)
	require.NoError(e.t, err)
	return j.PrecheckEnabled
}

func (e *testEnv) liveTokens(username string) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.APIToken{}).Where("user_id = ? AND revoked_at IS NULL", e.userID(username)).Count(&n).Error)
	return n
}

// TestAdminWritesFailWithTheirAuditRow checks that when the audit row of an administrator's
// write cannot be appended, the write does not happen either: through the JSON API and through
// the pages, for accounts, tokens, counties and the pre-check switch.
func TestAdminWritesFailWithTheirAuditRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		admin, league, sec := e.bearer("admin"), e.bearer("hohhot"), e.bearer("secadmin")
		adminPage, leaguePage, secPage := e.login("admin"), e.login("hohhot"), e.login("secadmin")
		adminCSRF := csrfOf(t, e.pageOK(adminPage, "/admin/users", http.StatusOK))
		secCSRF := csrfOf(t, e.pageOK(secPage, "/admin/users", http.StatusOK))
		leagueCSRF := csrfOf(t, e.pageOK(leaguePage, "/admin/jurisdictions", http.StatusOK))
		// A disabled account to enable, and a token to revoke.
		code, body := e.apiDo(admin, http.MethodPost, "/api/v1/users/"+e.userID("saihan")+"/disable", "")
		require.Equal(t, http.StatusOK, code, body)
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/tokens", `{"name":"spare","ttl_days":1}`)
		require.Equal(t, http.StatusCreated, code, body)
		spare := body["id"].(string)

		xincheng := e.user("xincheng")
		tokens, counties := e.liveTokens("admin"), e.jurisdictionCount()
		drop := failAudit(t, db)
		rows := e.auditTotal()

		newUser := func(name string) string {
			return `{"username":"` + name + `","display_name":"回民区 幽灵","password":"long-enough-pw1","role":"county_official","jurisdiction_code":"150103"}`
		}
		for _, tc := range []struct{ token, method, path, body string }{
			{admin, http.MethodPost, "/api/v1/users", newUser("ghost1")},
			{admin, http.MethodPost, "/api/v1/users/" + xincheng.ID + "/disable", `{"reason":"调离"}`},
			{admin, http.MethodPost, "/api/v1/users/" + e.userID("saihan") + "/enable", ""},
			{sec, http.MethodPost, "/api/v1/users/" + xincheng.ID + "/password", ""},
			{sec, http.MethodPut, "/api/v1/users/" + xincheng.ID + "/grant", `{"role":"league_official","jurisdiction_code":"150100","reason":"调任"}`},
			{admin, http.MethodPost, "/api/v1/tokens", `{"name":"lost","ttl_days":1}`},
			{admin, http.MethodDelete, "/api/v1/tokens/" + spare, ""},
			{admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":"150199","name":"幽灵区","parent_code":"150100"}`},
			{league, http.MethodPut, "/api/v1/jurisdictions/150100/precheck", `{"enabled":true,"reason":"试行"}`},
		} {
			code, body := e.apiDo(tc.token, tc.method, tc.path, tc.body)
			require.Equal(t, http.StatusInternalServerError, code, "%s %s: %v", tc.method, tc.path, body)
			require.Equal(t, "internal", errCode(t, body), tc.path)
		}
		for _, tc := range []struct {
			c          *http.Client
			path       string
			form       url.Values
			csrf, what string
		}{
			{adminPage, "/admin/users", url.Values{"username": {"ghost2"}, "display_name": {"幽灵"}, "role": {models.RoleCountyOfficial},
				"jurisdiction_code": {"150103"}, "password": {"long-enough-pw1"}}, adminCSRF, "create"},
			{adminPage, "/admin/users/" + xincheng.ID + "/disable", url.Values{"confirm": {"yes"}, "return_to": {"/admin/users"}}, adminCSRF, "disable"},
			{adminPage, "/admin/users/" + e.userID("saihan") + "/enable", url.Values{}, adminCSRF, "enable"},
			{secPage, "/admin/users/" + xincheng.ID + "/password", url.Values{"confirm": {"yes"}, "reason": {"遗忘"}}, secCSRF, "reset"},
			{secPage, "/admin/users/" + xincheng.ID + "/grant", url.Values{"role": {models.RoleLeagueOfficial},
				"jurisdiction_code": {"150100"}, "reason": {"调任"}}, secCSRF, "grant"},
			{adminPage, "/admin/jurisdictions", url.Values{"parent_code": {"150100"}, "code": {"150199"}, "name": {"幽灵区"}}, adminCSRF, "county"},
			{leaguePage, "/admin/jurisdictions/precheck", url.Values{"code": {"150100"}, "enabled": {"true"}, "reason": {"试行"}}, leagueCSRF, "precheck"},
		} {
			tc.form.Set("csrf_token", tc.csrf)
			resp, body := e.postForm(tc.c, tc.path, tc.form)
			require.Equal(t, http.StatusInternalServerError, resp.StatusCode, "%s: %s", tc.what, body)
			require.Contains(t, body, "系统内部错误", tc.what)
			noLeaks(t, body)
		}

		// Nothing was written: no account, the accounts as they were, no token, no county, no switch.
		require.Zero(t, e.userCount("ghost1"))
		require.Zero(t, e.userCount("ghost2"))
		after := e.user("xincheng")
		require.True(t, after.Active, "not disabled")
		require.Equal(t, xincheng.PasswordHash, after.PasswordHash, "password not reset")
		require.Equal(t, xincheng.Role, after.Role, "not moved")
		require.Equal(t, xincheng.Jurisdiction(), after.Jurisdiction(), "not moved")
		require.False(t, e.user("saihan").Active, "not enabled")
		require.Equal(t, tokens, e.liveTokens("admin"), "no token issued, none revoked")
		require.Equal(t, counties, e.jurisdictionCount())
		require.False(t, e.precheck("150100"))
		require.Equal(t, rows, e.auditTotal())

		// With the audit log back, the same write goes through with its row.
		drop()
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users", newUser("ghost1"))
		require.Equal(t, http.StatusCreated, code, body)
		require.Len(t, e.auditRows("user.create"), 1)
		_, err := e.db.UserByUsername(ctx, "ghost1")
		require.NoError(t, err)
	})
}
