package api

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// The administrators' use cases: a write and its audit row commit together or not at all, and
// each use case authorizes on its own, whoever calls it (JSON handler or page).

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
