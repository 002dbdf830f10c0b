package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// The JSON API side of two-factor login: the required-role gate and the login's otp_code.
func TestTwoFactorAPI(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := &testEnv{t: t, db: db, now: time.Date(2027, 3, 1, 9, 0, 10, 0, time.UTC)}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
	deps.Config.TwoFactorRequired = true
	e.api = newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
	e.srv = httptest.NewServer(e.api.Handler(nil))
	t.Cleanup(e.srv.Close)
	ctx := context.Background()
	login := func(otpCode string) (*http.Client, int, map[string]any) {
		c := e.browser()
		resp, err := c.Post(e.srv.URL+"/api/v1/auth/login", "application/json",
			strings.NewReader(`{"username":"admin","password":"`+testPassword+`","otp_code":"`+otpCode+`"}`))
		require.NoError(t, err)
		defer resp.Body.Close()
		var body map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
		return c, resp.StatusCode, body
	}

	// Held to the enrolment: /me says so, everything else answers 403.
	c, status, me := login("")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, true, me["second_factor_setup_required"])
	resp, body := e.get(c, "/api/v1/users")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "second_factor_setup_required")
	resp, _ = e.get(c, "/api/v1/me")
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Enrolled (the page's service calls), the password alone no longer logs in.
	u, err := db.UserByUsername(ctx, "admin")
	require.NoError(t, err)
	a, err := e.api.svc.ActorFor(ctx, u)
	require.NoError(t, err)
	en, err := e.api.svc.BeginTOTP(ctx, a)
	require.NoError(t, err)
	opts := totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	code, err := totp.GenerateCodeCustom(en.Secret, e.now, opts)
	require.NoError(t, err)
	_, err = e.api.svc.ConfirmTOTP(ctx, a, code)
	require.NoError(t, err)
	resp, _ = e.get(c, "/api/v1/users")
	require.Equal(t, http.StatusOK, resp.StatusCode, "free once enrolled")

	_, status, body2 := login("")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, "second_factor_required", errCode(t, body2))
	_, status, body2 = login(code)
	require.Equal(t, http.StatusUnauthorized, status, "the enrolment's code, replayed")
	require.Equal(t, "bad_second_factor", errCode(t, body2))
	e.now = e.now.Add(30 * time.Second)
	code, err = totp.GenerateCodeCustom(en.Secret, e.now, opts)
	require.NoError(t, err)
	c, status, me = login(code)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, false, me["second_factor_setup_required"])
	resp, _ = e.get(c, "/api/v1/users")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}
