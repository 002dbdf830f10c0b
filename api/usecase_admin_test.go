package api

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
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
		admin, league := e.bearer("admin"), e.bearer("hohhot")
		adminPage, leaguePage := e.login("admin"), e.login("hohhot")
		adminCSRF := csrfOf(t, e.pageOK(adminPage, "/admin/users", http.StatusOK))
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
			{admin, http.MethodPost, "/api/v1/users/" + xincheng.ID + "/password", ""},
			{admin, http.MethodPut, "/api/v1/users/" + xincheng.ID + "/grant", `{"role":"league_official","jurisdiction_code":"150100","reason":"调任"}`},
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
			{adminPage, "/admin/users/" + xincheng.ID + "/disable", url.Values{"return_to": {"/admin/users"}}, adminCSRF, "disable"},
			{adminPage, "/admin/users/" + e.userID("saihan") + "/enable", url.Values{}, adminCSRF, "enable"},
			{adminPage, "/admin/users/" + xincheng.ID + "/password", url.Values{"reason": {"遗忘"}}, adminCSRF, "reset"},
			{adminPage, "/admin/users/" + xincheng.ID + "/grant", url.Values{"role": {models.RoleLeagueOfficial},
				"jurisdiction_code": {"150100"}, "reason": {"调任"}}, adminCSRF, "grant"},
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

// useCaseServer is a server over the test environment's database whose use cases a test calls
// directly, with no route and no middleware in front of them.
func useCaseServer(t *testing.T, db *models.DB) *Server {
	t.Helper()
	enf, err := service.NewEnforcer(context.Background(), db)
	require.NoError(t, err)
	s := newServer(t, service.Deps{DB: db, Enforcer: enf,
		Now: time.Now, DataKey: []byte("data-key-data-key-data-key-32byt"), LookupKey: []byte("lookup-key-lookup-key-lookup-key"), StorageDir: t.TempDir()},
		Config{PublicURL: "http://test", SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	return s
}

func (s *Server) testActor(t *testing.T, username string) *service.Actor {
	t.Helper()
	u, err := s.db.UserByUsername(context.Background(), username)
	require.NoError(t, err)
	a, err := s.svc.ActorFor(context.Background(), u)
	require.NoError(t, err)
	return a
}

// TestAdminUseCasesAuthorizeOnTheirOwn calls the use cases without the routes' authorize
// middleware: each refuses (and audits) a caller outside its role or jurisdiction, and changes
// nothing.
func TestAdminUseCasesAuthorizeOnTheirOwn(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	s := useCaseServer(t, e.db)
	ctx := context.Background()
	league, region, county := s.testActor(t, "hohhot"), s.testActor(t, "region"), s.testActor(t, "xincheng")
	victim := e.user("saihan")
	denied := func() int64 {
		var n int64
		require.NoError(t, e.db.Model(&models.AuditEntry{}).Where("outcome = ?", models.OutcomeDenied).Count(&n).Error)
		return n
	}
	before := denied()
	newUser := service.CreateUserRequest{Username: "ghost3", DisplayName: "幽灵", Password: "long-enough-pw1", Role: models.RoleCountyOfficial,
		JurisdictionCode: "150102"}
	for name, call := range map[string]func() error{
		"listUsers":  func() error { _, err := s.svc.ListUsers(ctx, league, service.UserListQuery{Limit: 10}); return err },
		"createUser": func() error { _, err := s.svc.CreateUser(ctx, league, newUser); return err },
		"getUser":    func() error { _, err := s.svc.GetUser(ctx, league, victim.ID); return err },
		"disableUser": func() error {
			_, err := s.svc.DisableUser(ctx, league, service.UserAction{ID: victim.ID})
			return err
		},
		"enableUser": func() error { _, err := s.svc.EnableUser(ctx, league, service.UserAction{ID: victim.ID}); return err },
		"resetPassword": func() error {
			_, err := s.svc.ResetPassword(ctx, league, service.UserAction{ID: victim.ID})
			return err
		},
		"setUserGrant": func() error {
			_, err := s.svc.SetUserGrant(ctx, league, service.GrantInput{ID: victim.ID, GrantRequest: service.GrantRequest{Role: models.RoleLeagueOfficial,
				JurisdictionCode: "150100", Reason: "越权"}})
			return err
		},
		"listAudit":   func() error { _, err := s.svc.ListAudit(ctx, county, service.AuditQuery{Limit: 10}); return err },
		"verifyAudit": func() error { _, err := s.svc.VerifyAudit(ctx, region); return err },
		"createCounty": func() error {
			_, err := s.svc.CreateCounty(ctx, league, service.CountyRequest{Code: "150199", Name: "幽灵区", ParentCode: "150100"})
			return err
		},
		"updateCounty": func() error {
			name := "改名区"
			_, err := s.svc.UpdateCounty(ctx, league, service.CountyUpdate{Code: "150102", CountyPatch: service.CountyPatch{Name: &name}})
			return err
		},
		// The league may switch its own pre-check, not another league's.
		"setPrecheck": func() error {
			_, err := s.svc.SetPrecheck(ctx, league, service.PrecheckInput{Code: "150200", Enabled: true, Reason: "越权"})
			return err
		},
		"listJurisdictions": func() error { _, err := s.svc.ListJurisdictions(ctx, league, "150200"); return err },
	} {
		require.ErrorIs(t, call(), service.ErrForbidden, name)
		require.Equal(t, before+1, denied(), "%s audits its refusal", name)
		before++
	}
	require.Zero(t, e.userCount("ghost3"))
	after := e.user("saihan")
	require.Equal(t, victim.Active, after.Active)
	require.Equal(t, victim.PasswordHash, after.PasswordHash)
	require.Equal(t, victim.Role, after.Role)
	require.False(t, e.precheck("150200"))
	j, err := e.db.JurisdictionByCode(ctx, "150102")
	require.NoError(t, err)
	require.Equal(t, "新城区", j.Name)

	// The refusal is filed under the domain acted on.
	var last models.AuditEntry
	require.NoError(t, e.db.Order("seq DESC").First(&last, "action = ?", "jurisdiction.configure").Error)
	require.Equal(t, "150200", last.JurisdictionCode)

	// The same use cases serve the callers who may.
	admin := s.testActor(t, "admin")
	list, err := s.svc.ListUsers(ctx, admin, service.UserListQuery{Jurisdiction: "150200", Limit: 200})
	require.NoError(t, err)
	require.NotEmpty(t, list.Items)
	for _, u := range list.Items {
		require.NotEqual(t, "hohhot", u.Username, "only the subtree asked for")
	}
	out, err := s.svc.SetPrecheck(ctx, league, service.PrecheckInput{Code: "150100", Enabled: true, Reason: "旗县先行把关"})
	require.NoError(t, err)
	require.Equal(t, service.PrecheckSetting{Code: "150100", Enabled: true}, out)
	require.True(t, e.precheck("150100"))

	// No caller at all.
	_, err = s.svc.CreateUser(ctx, nil, newUser)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	_, err = s.svc.GetUser(ctx, nil, victim.ID)
	require.ErrorIs(t, err, service.ErrUnauthenticated)
	_, err = s.svc.SetPrecheck(ctx, nil, service.PrecheckInput{Code: "150100"})
	require.ErrorIs(t, err, service.ErrUnauthenticated)
}
