package service

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The administrators' use cases: each authorizes on its own, whoever calls it (JSON handler or
// page).

// TestAdminUseCasesAuthorizeOnTheirOwn calls the use cases without the routes' authorize
// middleware: each refuses (and audits) a caller outside its role or jurisdiction, and changes
// nothing.
func TestAdminUseCasesAuthorizeOnTheirOwn(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	s := e.s
	ctx := context.Background()
	league, region, county := e.actor("hohhot"), e.actor("region"), e.actor("xincheng")
	victim := e.user("saihan")
	denied := func() int64 {
		var n int64
		require.NoError(t, e.db.Model(&models.AuditEntry{}).Where("outcome = ?", models.OutcomeDenied).Count(&n).Error)
		return n
	}
	before := denied()
	newUser := CreateUserRequest{Username: "ghost3", DisplayName: "幽灵", Password: "long-enough-pw1", Role: models.RoleCountyOfficial,
		JurisdictionCode: "150102"}
	for name, call := range map[string]func() error{
		"listUsers":  func() error { _, err := s.ListUsers(ctx, league, UserListQuery{Limit: 10}); return err },
		"createUser": func() error { _, err := s.CreateUser(ctx, league, newUser); return err },
		"getUser":    func() error { _, err := s.GetUser(ctx, league, victim.ID); return err },
		"disableUser": func() error {
			_, err := s.DisableUser(ctx, league, UserAction{ID: victim.ID})
			return err
		},
		"enableUser": func() error { _, err := s.EnableUser(ctx, league, UserAction{ID: victim.ID}); return err },
		"resetPassword": func() error {
			_, err := s.ResetPassword(ctx, league, UserAction{ID: victim.ID})
			return err
		},
		"setUserGrant": func() error {
			_, err := s.SetUserGrant(ctx, league, GrantInput{ID: victim.ID, GrantRequest: GrantRequest{Role: models.RoleLeagueOfficial,
				JurisdictionCode: "150100", Reason: "越权"}})
			return err
		},
		"listAudit":   func() error { _, err := s.ListAudit(ctx, county, AuditQuery{Limit: 10}); return err },
		"verifyAudit": func() error { _, err := s.VerifyAudit(ctx, region); return err },
		"createCounty": func() error {
			_, err := s.CreateCounty(ctx, league, CountyRequest{Code: "150199", Name: "幽灵区", ParentCode: "150100"})
			return err
		},
		"updateCounty": func() error {
			name := "改名区"
			_, err := s.UpdateCounty(ctx, league, CountyUpdate{Code: "150102", CountyPatch: CountyPatch{Name: &name}})
			return err
		},
		// The league may switch its own pre-check, not another league's.
		"setPrecheck": func() error {
			_, err := s.SetPrecheck(ctx, league, PrecheckInput{Code: "150200", Enabled: true, Reason: "越权"})
			return err
		},
		"listJurisdictions": func() error { _, err := s.ListJurisdictions(ctx, league, "150200"); return err },
	} {
		require.ErrorIs(t, call(), ErrForbidden, name)
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
	admin := e.actor("admin")
	list, err := s.ListUsers(ctx, admin, UserListQuery{Jurisdiction: "150200", Limit: 200})
	require.NoError(t, err)
	require.NotEmpty(t, list.Items)
	for _, u := range list.Items {
		require.NotEqual(t, "hohhot", u.Username, "only the subtree asked for")
	}
	out, err := s.SetPrecheck(ctx, league, PrecheckInput{Code: "150100", Enabled: true, Reason: "旗县先行把关"})
	require.NoError(t, err)
	require.Equal(t, PrecheckSetting{Code: "150100", Enabled: true}, out)
	require.True(t, e.precheck("150100"))

	// No caller at all.
	_, err = s.CreateUser(ctx, nil, newUser)
	require.ErrorIs(t, err, ErrUnauthenticated)
	_, err = s.GetUser(ctx, nil, victim.ID)
	require.ErrorIs(t, err, ErrUnauthenticated)
	_, err = s.SetPrecheck(ctx, nil, PrecheckInput{Code: "150100"})
	require.ErrorIs(t, err, ErrUnauthenticated)
}
