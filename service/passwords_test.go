package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// clock is a fixed clock the test moves.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func fieldCode(t *testing.T, err error, field string) string {
	t.Helper()
	e := UserError(err)
	require.NotNil(t, e, "want a user error, got %v", err)
	for _, f := range e.Fields {
		if f.Field == field {
			return f.Code
		}
	}
	t.Fatalf("no error on %s: %+v", field, e.Fields)
	return ""
}

func TestPasswordStrengthRule(t *testing.T) {
	for pw, ok := range map[string]bool{
		"Abcdefgh12":                   true,  // 10, three classes
		"abcdefgh1!":                   true,  // lower, digit, other
		"abcdefgh12":                   false, // two classes
		"Abc1!":                        false, // short
		"correct horse battery staple": true,  // passphrase
		"草原 骏马 奔腾 万里 晴空 好风光":        true,  // passphrase of Chinese words, 16+ characters
		"correcthorsebatterystaple": false, // long but one class and no words
		"two words only here":       true,  // four words, 19 characters
		"saihan-Pass-1":             false, // contains the username
	} {
		f := domain.CheckPasswordStrength("saihan", pw)
		require.Equal(t, ok, f == nil, "%q: %+v", pw, f)
	}
}

// Change, reuse, expiry and the forced change, with a fixed clock.
func TestPasswordLifecycle(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	clk := &clock{t: time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)}
	e.s.now = clk.now
	ctx := context.Background()

	// A chosen first password (a county official's) must be changed at the first login.
	created, err := e.s.CreateUser(ctx, e.actor("admin"), CreateUserRequest{Username: "county7", DisplayName: "旗县 干事",
		Password: "First-pass-1", Role: models.RoleCountyOfficial, JurisdictionCode: "150103"})
	require.NoError(t, err)
	require.Empty(t, created.InitialCode)
	u, err := e.s.LogIn(ctx, LoginInput{Username: "county7", Password: "First-pass-1", Guard: Guard{Addr: "192.0.2.1"}})
	require.NoError(t, err)
	require.True(t, e.s.PasswordChangeDue(u), "first login")
	a, err := e.s.ActorFor(ctx, u)
	require.NoError(t, err)
	a.SessionHash = "h"

	// Change: the current password is required, the new one must be strong and new.
	_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "wrong-Pass-1", New: "Second-pass-2", Confirm: "Second-pass-2"})
	require.Equal(t, "wrong_password", fieldCode(t, err, "old_password"))
	_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "First-pass-1", New: "weakweakweak", Confirm: "weakweakweak"})
	require.Equal(t, "weak_password", fieldCode(t, err, "new_password"))
	_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "First-pass-1", New: "Second-pass-2", Confirm: "Second-pass-3"})
	require.Equal(t, "mismatch", fieldCode(t, err, "new_password_confirm"))
	u, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "First-pass-1", New: "Second-pass-2", Confirm: "Second-pass-2"})
	require.NoError(t, err)
	require.False(t, e.s.PasswordChangeDue(u), "changed")
	_, err = e.s.LogIn(ctx, LoginInput{Username: "county7", Password: "First-pass-1", Guard: Guard{Addr: "192.0.2.1"}})
	require.Error(t, err, "the old password no longer logs in")

	// Reuse: none of the last five passwords (the first one included).
	pws := []string{"Second-pass-2", "Third-pass-3", "Fourth-pass-4", "Fifth-pass-5", "Sixth-pass-6"}
	for i := 1; i < len(pws); i++ {
		clk.t = clk.t.Add(time.Hour)
		_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: pws[i-1], New: "First-pass-1", Confirm: "First-pass-1"})
		if i < 4 {
			require.Equal(t, "reused", fieldCode(t, err, "new_password"), "step %d", i)
		}
		_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: pws[i-1], New: pws[i], Confirm: pws[i]})
		require.NoError(t, err, "step %d", i)
	}
	// History now: First, Second … Sixth; the last five are Second … Sixth, so First may come back.
	_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "Sixth-pass-6", New: "Second-pass-2", Confirm: "Second-pass-2"})
	require.Equal(t, "reused", fieldCode(t, err, "new_password"))
	_, err = e.s.ChangeOwnPassword(ctx, a, PasswordChangeInput{Old: "Sixth-pass-6", New: "First-pass-1", Confirm: "First-pass-1"})
	require.NoError(t, err, "six passwords ago")

	// Expiry: an official's password lasts 90 days, then the next login must change it.
	u = e.user("county7")
	require.False(t, e.s.PasswordChangeDue(u))
	clk.t = clk.t.Add(89 * 24 * time.Hour)
	require.False(t, e.s.PasswordChangeDue(u), "day 89")
	clk.t = clk.t.Add(24 * time.Hour)
	require.True(t, e.s.PasswordChangeDue(u), "day 90")
	require.False(t, e.s.PasswordChangeDue(e.user("dairy")), "enterprise users' passwords do not expire")
	e.s.cfg.PasswordMaxAge = 200 * 24 * time.Hour
	require.False(t, e.s.PasswordChangeDue(u), "configurable")
	e.s.cfg.PasswordMaxAge = -1
	require.False(t, e.s.PasswordChangeDue(u), "negative: never")

	// A region official's first password cannot be chosen: a one-time code, valid 24 hours, once.
	_, err = e.s.CreateUser(ctx, e.actor("admin"), CreateUserRequest{Username: "region7", DisplayName: "厅 处长",
		Password: "Chosen-pass-1", Role: models.RoleRegionOfficial, JurisdictionCode: "150000"})
	require.Equal(t, "chosen_password_refused", fieldCode(t, err, "password"))
	created, err = e.s.CreateUser(ctx, e.actor("admin"), CreateUserRequest{Username: "region7", DisplayName: "厅 处长",
		Role: models.RoleRegionOfficial, JurisdictionCode: "150000"})
	require.NoError(t, err)
	require.NotEmpty(t, created.InitialCode)
	clk.t = clk.t.Add(25 * time.Hour)
	_, err = e.s.LogIn(ctx, LoginInput{Username: "region7", Password: created.InitialCode, Guard: Guard{Addr: "192.0.2.1"}})
	require.Equal(t, "reset_code_expired", UserError(err).Code, "expired after 24 hours")

	// A reset code logs in once, into a session that must change the password.
	reset, err := e.s.ResetPassword(ctx, e.actor("secadmin"), UserAction{ID: created.ID})
	require.NoError(t, err)
	u, err = e.s.LogIn(ctx, LoginInput{Username: "region7", Password: reset.ResetCode, Guard: Guard{Addr: "192.0.2.1"}})
	require.NoError(t, err)
	require.True(t, e.s.PasswordChangeDue(u))
	_, err = e.s.LogIn(ctx, LoginInput{Username: "region7", Password: reset.ResetCode, Guard: Guard{Addr: "192.0.2.1"}})
	require.Equal(t, "reset_code_expired", UserError(err).Code, "used once")

	// Every attempt is in the login history.
	rows, total, err := db.LoginAttempts(ctx, models.LoginQuery{UserID: created.ID})
	require.NoError(t, err)
	require.EqualValues(t, 3, total)
	require.Equal(t, models.LoginCodeExpired, rows[0].Result)
	require.Equal(t, models.LoginByResetCode, rows[1].Method)
	require.Equal(t, models.LoginOK, rows[1].Result)
}
