package service

import (
	"context"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// enrolTOTP switches two-factor login on for a demo account at the clock's time and returns
// its secret and recovery codes.
func enrolTOTP(t *testing.T, e *testEnv, clk *clock, username string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	a := e.actor(username)
	en, err := e.s.BeginTOTP(ctx, a)
	require.NoError(t, err)
	c, err := totp.GenerateCodeCustom(en.Secret, clk.t, totpOpts)
	require.NoError(t, err)
	codes, err := e.s.ConfirmTOTP(ctx, a, c)
	require.NoError(t, err)
	return en.Secret, codes
}

func auditOutcomes(t *testing.T, db *models.DB, action string) []string {
	t.Helper()
	var rows []models.AuditEntry
	require.NoError(t, db.Where("action = ?", action).Order("seq").Find(&rows).Error)
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Outcome
	}
	return out
}

// The owner switches optional two-factor login off with a current code; where it is required
// they cannot.
func TestTOTPDisableByOwner(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	clk := &clock{t: time.Date(2027, 3, 1, 9, 0, 10, 0, time.UTC)}
	e.s.now = clk.now
	ctx := context.Background()
	secret, _ := enrolTOTP(t, e, clk, "saihan")
	a := e.actor("saihan")

	require.Equal(t, "required", fieldCode(t, e.s.DisableTOTP(ctx, a, ""), "code"))
	require.Equal(t, "wrong_code", fieldCode(t, e.s.DisableTOTP(ctx, a, "000000"), "code"))
	c, err := totp.GenerateCodeCustom(secret, clk.t, totpOpts)
	require.NoError(t, err)
	require.Equal(t, "wrong_code", fieldCode(t, e.s.DisableTOTP(ctx, a, c), "code"), "the enrolment's code, replayed")
	require.NotNil(t, e.user("saihan").TOTPEnabledAt, "still on")
	clk.t = clk.t.Add(30 * time.Second)
	c, err = totp.GenerateCodeCustom(secret, clk.t, totpOpts)
	require.NoError(t, err)
	require.NoError(t, e.s.DisableTOTP(ctx, a, c))
	u := e.user("saihan")
	require.Nil(t, u.TOTPEnabledAt)
	require.Empty(t, u.TOTPSecret)
	n, err := db.UnusedRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	require.Zero(t, n, "the recovery codes went with it")
	require.Equal(t, "totp_not_enabled", errCode(e.s.DisableTOTP(ctx, a, c)))
	_, err = e.s.LogIn(ctx, LoginInput{Username: "saihan", Password: testPassword, Guard: Guard{Addr: "192.0.2.1"}})
	require.NoError(t, err, "the password alone logs in again")
	require.Equal(t, []string{models.OutcomeRejected, models.OutcomeRejected, models.OutcomeOK},
		auditOutcomes(t, db, "user.totp_disable"), "wrong codes audited as rejected")

	// Required for the role (SKILLCERT_2FA_REQUIRED): the region official cannot switch it off,
	// not even with a right code.
	e.s.cfg.TwoFactorRequired = true
	secret, _ = enrolTOTP(t, e, clk, "region")
	clk.t = clk.t.Add(30 * time.Second)
	c, err = totp.GenerateCodeCustom(secret, clk.t, totpOpts)
	require.NoError(t, err)
	require.Equal(t, "totp_required", errCode(e.s.DisableTOTP(ctx, e.actor("region"), c)))
	require.NotNil(t, e.user("region").TOTPEnabledAt)
	require.False(t, e.s.TOTPDisableAllowed(e.user("region")))
	require.True(t, e.s.TOTPDisableAllowed(e.user("saihan")))
}

// Only the security administrator resets another account's two-factor login; the account is
// then held to a new enrolment where its role requires one.
func TestTOTPResetBySecurityAdministrator(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	clk := &clock{t: time.Date(2027, 3, 1, 9, 0, 10, 0, time.UTC)}
	e.s.now = clk.now
	e.s.cfg.TwoFactorRequired = true
	ctx := context.Background()
	enrolTOTP(t, e, clk, "region")
	enrolTOTP(t, e, clk, "secadmin")
	target := e.user("region").ID

	for _, who := range []string{"admin", "auditadmin", "hohhot", "dairy", "centre"} {
		_, err := e.s.ResetTOTP(ctx, e.actor(who), UserAction{ID: target, Reason: "换手机"})
		require.Equal(t, "forbidden", errCode(err), who)
	}
	require.NotNil(t, e.user("region").TOTPEnabledAt, "nothing reset by the refused")
	_, err := e.s.ResetTOTP(ctx, e.actor("secadmin"), UserAction{ID: e.user("secadmin").ID})
	require.Equal(t, "own_account", errCode(err), "not on one's own account")
	_, err = e.s.ResetTOTP(ctx, e.actor("secadmin"), UserAction{ID: e.user("saihan").ID})
	require.Equal(t, "totp_not_enabled", errCode(err))

	r, err := e.s.ResetTOTP(ctx, e.actor("secadmin"), UserAction{ID: target, Reason: "手机丢失"})
	require.NoError(t, err)
	require.True(t, r.MustEnrol)
	u := e.user("region")
	require.Nil(t, u.TOTPEnabledAt)
	require.True(t, e.s.SecondFactorSetupDue(u), "held to a new enrolment")
	_, err = e.s.LogIn(ctx, LoginInput{Username: "region", Password: testPassword, Guard: Guard{Addr: "192.0.2.1"}})
	require.NoError(t, err, "the password alone logs in, to the enrolment")
	var rows []models.AuditEntry
	require.NoError(t, db.Where("action = ? AND outcome = ?", "user.totp_reset", models.OutcomeOK).Find(&rows).Error)
	require.Len(t, rows, 1)
	require.Equal(t, "secadmin", rows[0].ActorName)
	require.Equal(t, target, rows[0].ObjectID)
	require.Equal(t, "手机丢失", rows[0].Reason)
	require.Contains(t, rows[0].AfterState, "re-enrolment required")
}
