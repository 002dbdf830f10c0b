package service

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/oidctest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// oidcEnv is a service whose two audiences log in through identity platforms run by the test.
type oidcEnv struct {
	*testEnv
	ent, off *oidctest.Provider
}

func newOIDCEnv(t *testing.T) *oidcEnv {
	t.Helper()
	e := &oidcEnv{testEnv: newTestEnv(t, dbtest.New(t, models.SQLite)),
		ent: oidctest.New(t, "skillcert-ent", "ent-secret"), off: oidctest.New(t, "skillcert-off", "off-secret")}
	e.s.cfg.OIDC = map[string]OIDCConfig{
		models.AudienceEnterprise: {Issuer: e.ent.Issuer(), ClientID: "skillcert-ent", ClientSecret: "ent-secret",
			RedirectURL: "http://test/login/oidc/enterprise/callback", Claim: "uscc"},
		models.AudienceOfficial: {Issuer: e.off.Issuer(), ClientID: "skillcert-off", ClientSecret: "off-secret",
			RedirectURL: "http://test/login/oidc/official/callback", Claim: "staff_id"},
	}
	return e
}

// login runs a whole platform login of an audience: BeginOIDC, the platform's code for the
// grant (tamper changes what the platform does), and OIDCLogIn.
func (e *oidcEnv) login(audience string, claims map[string]any, tamper func(*OIDCCallback, *oidctest.Grant)) (models.User, error) {
	e.t.Helper()
	ctx := context.Background()
	st, err := e.s.BeginOIDC(ctx, audience)
	require.NoError(e.t, err)
	q := mustQuery(e.t, st.URL)
	require.Equal(e.t, st.State, q.Get("state"))
	require.Equal(e.t, st.Nonce, q.Get("nonce"))
	require.Equal(e.t, "S256", q.Get("code_challenge_method"))
	require.NotEmpty(e.t, q.Get("code_challenge"))
	require.NotContains(e.t, st.URL, st.Verifier, "the verifier stays here")
	require.Contains(e.t, q.Get("scope"), "openid")
	p := e.ent
	if audience == models.AudienceOfficial {
		p = e.off
	}
	require.Equal(e.t, p.ClientID, q.Get("client_id"))
	c := map[string]any{"nonce": st.Nonce}
	for k, v := range claims {
		c[k] = v
	}
	g := oidctest.Grant{Claims: c, Challenge: oidctest.Challenge(st.URL)}
	cb := OIDCCallback{Audience: audience, Code: "code-" + st.State[:8], State: st.State, WantState: st.State, Nonce: st.Nonce,
		Verifier: st.Verifier, Addr: "192.0.2.7"}
	if tamper != nil {
		tamper(&cb, &g)
	}
	p.Issue("code-"+st.State[:8], g)
	return e.s.OIDCLogIn(ctx, cb)
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

func (e *oidcEnv) links(username string) []models.IdentityLink {
	e.t.Helper()
	l, err := e.db.IdentityLinksOf(context.Background(), e.user(username).ID)
	require.NoError(e.t, err)
	return l
}

// lastRefusal is the reason of the newest refused login audit row.
func (e *oidcEnv) lastRefusal() string {
	e.t.Helper()
	var row models.AuditEntry
	require.NoError(e.t, e.db.Where("action = ? AND outcome = ?", "login", models.OutcomeRejected).Order("seq DESC").First(&row).Error)
	return row.Reason
}

// First-time linking by credit code and by staff ID, later logins by the link, and the login
// history and audit rows they leave.
func TestOIDCLoginAndFirstTimeLinking(t *testing.T) {
	e := newOIDCEnv(t)
	ctx := context.Background()
	require.True(t, e.s.OIDCConfigured(models.AudienceEnterprise))

	// Enterprise, first time: linked to the one account of the enterprise with that code.
	u, err := e.login(models.AudienceEnterprise, map[string]any{"sub": "ent-sub-1", "uscc": "91150105ma0n00001b"}, nil)
	require.NoError(t, err)
	require.Equal(t, "dairy", u.Username)
	links := e.links("dairy")
	require.Len(t, links, 1)
	require.Equal(t, models.MatchedByCreditCode, links[0].MatchedBy)
	require.Equal(t, "ent-sub-1", links[0].Subject)
	var linked []models.AuditEntry
	require.NoError(t, e.db.Where("action = ? AND object_id = ?", "user.identity_link", u.ID).Find(&linked).Error)
	require.Len(t, linked, 1, "the linking is audited")
	require.Equal(t, "dairy", linked[0].ActorName)

	// Next time by the link: the claim no longer matters, and no second link is made.
	u, err = e.login(models.AudienceEnterprise, map[string]any{"sub": "ent-sub-1"}, nil)
	require.NoError(t, err)
	require.Equal(t, "dairy", u.Username)
	require.Len(t, e.links("dairy"), 1)
	hist, _, err := e.db.LoginAttempts(ctx, models.LoginQuery{UserID: u.ID})
	require.NoError(t, err)
	require.Len(t, hist, 2)
	for _, h := range hist {
		require.Equal(t, models.LoginByOIDC, h.Method)
		require.Equal(t, models.LoginOK, h.Result)
	}

	// Official: linked by the staff ID the system administrator recorded.
	_, err = e.login(models.AudienceOfficial, map[string]any{"sub": "off-sub-1", "staff_id": "NM-0042"}, nil)
	require.Equal(t, "oidc_no_account", errCode(err), "no account has that staff ID yet")
	require.Contains(t, ToError(err).Message, "不会自动开通")
	require.NoError(t, e.s.SetStaffID(ctx, e.actor("admin"), e.user("hohhot").ID, "NM-0042"))
	require.Equal(t, "staff_id_taken", errCode(e.s.SetStaffID(ctx, e.actor("admin"), e.user("baotou").ID, "NM-0042")))
	require.Equal(t, "forbidden", errCode(e.s.SetStaffID(ctx, e.actor("secadmin"), e.user("baotou").ID, "NM-7")), "the system administrator's")
	require.Equal(t, "no_staff_id", errCode(e.s.SetStaffID(ctx, e.actor("admin"), e.user("auditadmin").ID, "NM-8")))
	// One rule for a staff ID wherever it is typed (domain.CheckStaffID): the account page took
	// 64 characters of anything but spaces, the roster 32 letters, digits or hyphens.
	for _, bad := range []string{"工号42", strings.Repeat("7", 40), "NM.42"} {
		err := e.s.SetStaffID(ctx, e.actor("admin"), e.user("baotou").ID, bad)
		require.Equal(t, "bad_staff_id", errCode(err), bad)
		require.Equal(t, domain.ErrStaffID.Error()+"。", ToError(err).Message)
	}
	u, err = e.login(models.AudienceOfficial, map[string]any{"sub": "off-sub-1", "staff_id": "NM-0042"}, nil)
	require.NoError(t, err)
	require.Equal(t, "hohhot", u.Username)
	require.Equal(t, models.MatchedByStaffID, e.links("hohhot")[0].MatchedBy)

	// An enterprise subject cannot come in through the officials' platform, nor an official's
	// account be reached through the enterprises'.
	_, err = e.login(models.AudienceEnterprise, map[string]any{"sub": "ent-sub-9", "uscc": ""}, nil)
	require.Equal(t, "oidc_no_credit_code", errCode(err))
	_, err = e.login(models.AudienceEnterprise, map[string]any{"sub": "ent-sub-9", "uscc": "91150000MA0N99999X"}, nil)
	require.Equal(t, "oidc_no_account", errCode(err))
	require.Contains(t, ToError(err).Message, "企业注册")

	// No account is ever created by a platform login.
	var n int64
	require.NoError(t, e.db.Model(&models.User{}).Count(&n).Error)
	before := n
	_, err = e.login(models.AudienceOfficial, map[string]any{"sub": "off-sub-2", "staff_id": "NM-9999"}, nil)
	require.Equal(t, "oidc_no_account", errCode(err))
	require.NoError(t, e.db.Model(&models.User{}).Count(&n).Error)
	require.Equal(t, before, n)
	require.Contains(t, e.lastRefusal(), "no account")

	// A disabled account is refused, with the account named in its history.
	_, err = e.s.DisableUser(ctx, e.actor("admin"), UserAction{ID: e.user("hohhot").ID})
	require.NoError(t, err)
	_, err = e.login(models.AudienceOfficial, map[string]any{"sub": "off-sub-1"}, nil)
	require.Equal(t, "oidc_account_disabled", errCode(err))
	hist, _, err = e.db.LoginAttempts(ctx, models.LoginQuery{UserID: e.user("hohhot").ID})
	require.NoError(t, err)
	require.Equal(t, models.LoginDisabled, hist[0].Result)
}

// Each refused token is refused, with its own code and audit reason, and logs nobody in.
func TestOIDCRefusedTokens(t *testing.T) {
	e := newOIDCEnv(t)
	ok := map[string]any{"sub": "ent-sub-1", "uscc": "91150105MA0N00001B"}
	cases := []struct {
		name, code, reason string
		tamper             func(*OIDCCallback, *oidctest.Grant)
	}{
		{"wrong audience", "oidc_token_refused", "wrong audience", func(_ *OIDCCallback, g *oidctest.Grant) { g.Claims["aud"] = "another-client" }},
		{"expired", "oidc_token_expired", "expired token", func(_ *OIDCCallback, g *oidctest.Grant) {
			g.Claims["exp"] = time.Now().Add(-2 * time.Minute).Unix()
			g.Claims["iat"] = time.Now().Add(-10 * time.Minute).Unix()
		}},
		{"bad nonce", "oidc_nonce_mismatch", "nonce mismatch", func(_ *OIDCCallback, g *oidctest.Grant) { g.Claims["nonce"] = "replayed-nonce" }},
		{"bad signature", "oidc_token_refused", "bad signature", func(_ *OIDCCallback, g *oidctest.Grant) { g.ForeignKey = true }},
		{"wrong issuer", "oidc_token_refused", "wrong issuer", func(_ *OIDCCallback, g *oidctest.Grant) { g.Claims["iss"] = "https://evil.example" }},
		{"state mismatch", "oidc_state_mismatch", "state mismatch", func(cb *OIDCCallback, _ *oidctest.Grant) { cb.State = "forged" }},
		{"wrong PKCE verifier", "oidc_code_refused", "code refused", func(cb *OIDCCallback, _ *oidctest.Grant) { cb.Verifier = "x" + cb.Verifier[1:] }},
	}
	for _, c := range cases {
		_, err := e.login(models.AudienceEnterprise, ok, c.tamper)
		require.Error(t, err, c.name)
		require.Equal(t, c.code, errCode(err), c.name)
		require.Contains(t, e.lastRefusal(), c.reason, c.name)
	}
	require.Empty(t, e.links("dairy"), "nothing linked by a refused token")
	hist, _, err := e.db.LoginAttempts(context.Background(), models.LoginQuery{})
	require.NoError(t, err)
	require.Len(t, hist, len(cases))
	for _, h := range hist {
		require.Equal(t, models.LoginByOIDC, h.Method)
		require.Equal(t, models.LoginBadCredential, h.Result)
	}
	// The same grant untampered logs in: the refusals were the tampering's.
	u, err := e.login(models.AudienceEnterprise, ok, nil)
	require.NoError(t, err)
	require.Equal(t, "dairy", u.Username)

	// An audience without a platform has no platform login.
	delete(e.s.cfg.OIDC, models.AudienceOfficial)
	_, err = e.s.BeginOIDC(context.Background(), models.AudienceOfficial)
	require.Equal(t, "oidc_not_configured", errCode(err))
}

// An account with TOTP on still gives its code after the platform login, unless the
// audience's platform counts as the second factor.
func TestOIDCSecondFactorPolicy(t *testing.T) {
	e := newOIDCEnv(t)
	ctx := context.Background()
	now := time.Now()
	require.NoError(t, e.db.Model(&models.User{}).Where("username = ?", "dairy").Update("totp_enabled_at", now).Error)
	claims := map[string]any{"sub": "ent-sub-1", "uscc": "91150105MA0N00001B"}
	u, err := e.login(models.AudienceEnterprise, claims, nil)
	require.ErrorIs(t, err, ErrSecondFactorRequired)
	require.Equal(t, "dairy", u.Username, "the account, for the second step")
	cfg := e.s.cfg.OIDC[models.AudienceEnterprise]
	cfg.SecondFactor = true
	e.s.cfg.OIDC[models.AudienceEnterprise] = cfg
	u, err = e.login(models.AudienceEnterprise, claims, nil)
	require.NoError(t, err)
	require.Equal(t, "dairy", u.Username)
	_ = ctx
}
