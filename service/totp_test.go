package service

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

func errCode(err error) string {
	if e := UserError(ToError(err)); e != nil {
		return e.Code
	}
	return ""
}

// Enrolment, login with a code, refusal of wrong and replayed codes, recovery codes and the
// required-role gate, with a fixed clock.
func TestTOTPLogin(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	clk := &clock{t: time.Date(2027, 3, 1, 9, 0, 10, 0, time.UTC)}
	e.s.now = clk.now
	ctx := context.Background()
	code := func(secret string, at time.Time) string {
		c, err := totp.GenerateCodeCustom(secret, at, totpOpts)
		require.NoError(t, err)
		return c
	}

	_, err := e.s.CreateUser(ctx, e.actor("admin"), CreateUserRequest{Username: "county7", DisplayName: "旗县 干事",
		Password: "First-pass-1", Role: models.RoleCountyOfficial, JurisdictionCode: "150103"})
	require.NoError(t, err)
	login := LoginInput{Username: "county7", Password: "First-pass-1", Guard: Guard{Addr: "192.0.2.1"}}
	u, err := e.s.LogIn(ctx, login)
	require.NoError(t, err, "no second factor yet")
	a, err := e.s.ActorFor(ctx, u)
	require.NoError(t, err)

	// Required-role gate: only where configured, only for the roles that need it.
	require.False(t, e.s.SecondFactorSetupDue(u), "not configured")
	e.s.cfg.TwoFactorRequired = true
	require.False(t, e.s.SecondFactorSetupDue(u), "a county official is not required")
	require.True(t, e.s.SecondFactorSetupDue(e.user("admin")), "the system administrator is")
	require.True(t, e.s.SecondFactorSetupDue(models.User{Role: models.RoleRegionOfficial}), "a region official is")
	require.True(t, e.s.SecondFactorSetupDue(models.User{Role: models.RoleRegionCentre}), "the appraisal centre is")

	// Enrolment: a secret as text and QR code, kept (sealed) until confirmed.
	en, err := e.s.BeginTOTP(ctx, a)
	require.NoError(t, err)
	require.Len(t, en.Secret, 32)
	require.True(t, bytes.HasPrefix(en.QRPNG, []byte("\x89PNG")), "a PNG")
	require.Contains(t, en.URL, "otpauth://totp/")
	again, err := e.s.BeginTOTP(ctx, a)
	require.NoError(t, err)
	require.Equal(t, en.Secret, again.Secret, "the pending secret is shown again")
	row, err := db.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.NotEmpty(t, row.TOTPSecret)
	require.NotContains(t, row.TOTPSecret, en.Secret, "sealed at rest")
	require.Nil(t, row.TOTPEnabledAt)
	u, err = e.s.LogIn(ctx, login)
	require.NoError(t, err, "not on before confirmation")

	_, err = e.s.ConfirmTOTP(ctx, a, "000000")
	require.Equal(t, "wrong_code", fieldCode(t, err, "code"))
	codes, err := e.s.ConfirmTOTP(ctx, a, code(en.Secret, clk.t))
	require.NoError(t, err)
	require.Len(t, codes, 10)
	u, err = db.UserByID(ctx, u.ID)
	require.NoError(t, err)
	require.NotNil(t, u.TOTPEnabledAt)
	require.False(t, e.s.SecondFactorSetupDue(u))
	_, err = e.s.BeginTOTP(ctx, a)
	require.NoError(t, err)
	_, err = e.s.ConfirmTOTP(ctx, a, code(en.Secret, clk.t))
	require.Equal(t, "totp_enabled", errCode(err))

	// Login: the password alone asks for the code.
	_, err = e.s.LogIn(ctx, login)
	require.Equal(t, "second_factor_required", errCode(err))
	// The code that confirmed the enrolment cannot log in (same time step).
	in := login
	in.Code = code(en.Secret, clk.t)
	_, err = e.s.LogIn(ctx, in)
	require.Equal(t, "bad_second_factor", errCode(err), "replayed")
	clk.t = clk.t.Add(30 * time.Second)
	in.Code = "123456"
	if in.Code == code(en.Secret, clk.t) {
		in.Code = "654321"
	}
	_, err = e.s.LogIn(ctx, in)
	require.Equal(t, "bad_second_factor", errCode(err), "wrong")
	in.Code = code(en.Secret, clk.t)
	got, err := e.s.LogIn(ctx, in)
	require.NoError(t, err)
	require.Equal(t, u.ID, got.ID)
	// The same code again, within its step or the next (drift window): refused.
	_, err = e.s.SecondFactorLogin(ctx, u.ID, in.Code, Guard{Addr: "192.0.2.1"})
	require.Equal(t, "bad_second_factor", errCode(err), "replayed in the second step")
	clk.t = clk.t.Add(30 * time.Second)
	_, err = e.s.SecondFactorLogin(ctx, u.ID, code(en.Secret, clk.t.Add(-30*time.Second)), Guard{Addr: "192.0.2.1"})
	require.Equal(t, "bad_second_factor", errCode(err), "the previous step's code, used already")
	_, err = e.s.SecondFactorLogin(ctx, u.ID, code(en.Secret, clk.t), Guard{Addr: "192.0.2.1"})
	require.NoError(t, err, "the second step with a fresh code")

	// Recovery codes: each once, typed in any case and with or without dashes.
	rc := strings.ToLower(strings.ReplaceAll(codes[3], "-", ""))
	_, err = e.s.SecondFactorLogin(ctx, u.ID, rc, Guard{Addr: "192.0.2.1"})
	require.NoError(t, err)
	_, err = e.s.SecondFactorLogin(ctx, u.ID, codes[3], Guard{Addr: "192.0.2.1"})
	require.Equal(t, "bad_second_factor", errCode(err), "used once")
	n, err := db.UnusedRecoveryCodes(ctx, u.ID)
	require.NoError(t, err)
	require.EqualValues(t, 9, n)

	// Failures count like failed logins: after three for the account a CAPTCHA is due.
	for range 2 {
		_, err = e.s.SecondFactorLogin(ctx, u.ID, "111111", Guard{Addr: "192.0.2.9"})
		require.Equal(t, "bad_second_factor", errCode(err))
	}
	_, err = e.s.SecondFactorLogin(ctx, u.ID, code(en.Secret, clk.t.Add(30*time.Second)), Guard{Addr: "192.0.2.9"})
	require.Equal(t, "captcha_required", errCode(err))

	// The login history records the method and result of each attempt.
	hist, err := e.s.LoginHistory(ctx, a, LoginHistoryQuery{Limit: 100})
	require.NoError(t, err)
	seen := map[string]int{}
	for _, l := range hist.Items {
		seen[l.Method+"/"+l.Result]++
	}
	require.Equal(t, 2, seen[models.LoginByTOTP+"/"+models.LoginOK], "%v", seen)
	require.Equal(t, 6, seen[models.LoginByTOTP+"/"+models.LoginBadCredential], "%v", seen)
	require.Equal(t, 1, seen[models.LoginByRecovery+"/"+models.LoginOK], "%v", seen)
	require.Equal(t, 1, seen[models.LoginByRecovery+"/"+models.LoginBadCredential], "%v", seen)
	require.Equal(t, 1, seen[models.LoginByTOTP+"/"+models.LoginThrottled], "%v", seen)
}
