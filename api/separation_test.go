package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// 三员分立: each of the three administrators does its own part and is refused the others';
// none can give an account an administrator role; each one's actions are audited and read by
// the audit administrator.
func TestThreeAdministratorsAPI(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	sys, sec, aud := e.bearer("admin"), e.bearer("secadmin"), e.bearer("auditadmin")
	target := e.userID("saihan")
	grant := `{"role":"county_official","jurisdiction_code":"150102","reason":"调任新城区"}`
	type call struct{ method, path, body string }
	var (
		createUser = call{http.MethodPost, "/api/v1/users", `{"username":"new1","display_name":"新人","password":"Long-enough-1","role":"county_official","jurisdiction_code":"150103"}`}
		disable    = call{http.MethodPost, "/api/v1/users/" + target + "/disable", ""}
		grantRole  = call{http.MethodPut, "/api/v1/users/" + target + "/grant", grant}
		unlock     = call{http.MethodPost, "/api/v1/users/" + target + "/unlock", ""}
		reset      = call{http.MethodPost, "/api/v1/users/" + target + "/password", ""}
		readAudit  = call{http.MethodGet, "/api/v1/audit", ""}
		verify     = call{http.MethodPost, "/api/v1/audit/verify", ""}
		logins     = call{http.MethodGet, "/api/v1/logins", ""}
		jurisdict  = call{http.MethodPost, "/api/v1/jurisdictions", `{}`}
	)
	refused := func(token, who string, cs ...call) {
		t.Helper()
		for _, c := range cs {
			code, body := e.apiDo(token, c.method, c.path, c.body)
			require.Equal(t, http.StatusForbidden, code, "%s %s %s: %v", who, c.method, c.path, body)
		}
	}
	allowed := func(token, who string, want int, c call) map[string]any {
		t.Helper()
		code, body := e.apiDo(token, c.method, c.path, c.body)
		require.Equal(t, want, code, "%s %s %s: %v", who, c.method, c.path, body)
		return body
	}

	// The system administrator: accounts and jurisdictions, nothing of grants, credentials or the log.
	refused(sys, "sysadmin", grantRole, unlock, reset, readAudit, verify, logins)
	allowed(sys, "sysadmin", http.StatusCreated, createUser)
	code, _ := e.apiDo(sys, jurisdict.method, jurisdict.path, jurisdict.body)
	require.NotEqual(t, http.StatusForbidden, code, "jurisdictions are the system administrator's")
	// The security administrator: grants, unlocks, resets; not accounts' life or the log.
	refused(sec, "secadmin", createUser, disable, readAudit, verify, logins, jurisdict)
	allowed(sec, "secadmin", http.StatusOK, grantRole)
	allowed(sec, "secadmin", http.StatusOK, unlock)
	body := allowed(sec, "secadmin", http.StatusOK, reset)
	require.Regexp(t, oneTimePasswordRe, body["reset_code"])
	// The audit administrator: reads and verifies the log and the login history; changes nothing.
	refused(aud, "auditadmin", createUser, disable, grantRole, unlock, reset, jurisdict)
	allowed(aud, "auditadmin", http.StatusOK, readAudit)
	allowed(aud, "auditadmin", http.StatusOK, verify)
	allowed(aud, "auditadmin", http.StatusOK, logins)

	// No account comes to hold an administrator role: not by creation, not by a grant, and an
	// administrator's role is not moved to another.
	code, body = e.apiDo(sys, http.MethodPost, "/api/v1/users",
		`{"username":"sec2","display_name":"第二个安全员","password":"Long-enough-1","role":"secadmin","jurisdiction_code":"150000"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	require.Contains(t, errFields(t, body)["role"], "三员分立")
	code, body = e.apiDo(sec, http.MethodPut, "/api/v1/users/"+e.userID("xincheng")+"/grant",
		`{"role":"auditadmin","jurisdiction_code":"150000","reason":"兼任审计"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	require.Contains(t, errFields(t, body)["role"], "三员分立")
	code, body = e.apiDo(sec, http.MethodPut, "/api/v1/users/"+e.userID("auditadmin")+"/grant",
		`{"role":"sysadmin","jurisdiction_code":"150000","reason":"改任"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	require.Contains(t, errFields(t, body)["role"], "一个账户只能担任一种管理员")
	code, body = e.apiDo(sec, http.MethodPut, "/api/v1/users/"+e.userID("auditadmin")+"/grant",
		`{"role":"region_official","jurisdiction_code":"150000","reason":"改任"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, body)
	var n int64
	require.NoError(t, e.db.Model(&models.User{}).Where("role IN ?", []string{"sysadmin", "secadmin", "auditadmin"}).Count(&n).Error)
	require.EqualValues(t, 3, n)

	// Each administrator's actions, refusals included, are in the log the audit administrator reads.
	for actor, action := range map[string]string{"admin": "user.create", "secadmin": "user.grant", "auditadmin": "audit.verify"} {
		code, body = e.apiDo(aud, http.MethodGet, "/api/v1/audit?actor="+actor+"&action="+action, "")
		require.Equal(t, http.StatusOK, code)
		require.Positive(t, body["total"], "%s %s", actor, action)
	}
	code, body = e.apiDo(aud, http.MethodGet, "/api/v1/audit?actor=admin&outcome=denied", "")
	require.Equal(t, http.StatusOK, code)
	require.Positive(t, body["total"], "the system administrator's refusals")
}
