package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"skillcert/domain"
	"skillcert/models"
)

// Unified identity (政务服务 统一身份认证): login through the region's identity platform by
// OpenID Connect, configured per audience (enterprises, officials). The flow is the
// authorization code flow with state, nonce and PKCE (S256): BeginOIDC makes the three values
// and the platform's authorization URL, the HTTP layer keeps them (signed) in the browser
// until the callback, and OIDCLogIn exchanges the code, verifies the ID token (signature by
// the platform's published keys, issuer, audience = our client ID, expiry, nonce) and maps the
// platform's subject to an account:
//
//   - a subject linked before logs in to its account;
//   - the first time, an enterprise subject is linked by its unified social credit code (the
//     configured claim) to the one enterprise-user account of the enterprise with that code, an
//     official by the staff ID claim to the account with that staff ID (users.staff_id); the
//     link is recorded (identity_links) and audited as user.identity_link;
//   - otherwise the login is refused with a Chinese explanation. No account is ever created
//     here: officials' accounts are opened by the system administrator, enterprises register.
//
// The session is opened by the same path as a password login (the caller's openSession), and
// the attempt goes to the login history as method "oidc". Second factor: an account with TOTP
// on still gives its code after the platform login (ErrSecondFactorRequired, as after a
// password) unless the audience's SecondFactor is set, when the platform's own login counts as
// the second factor. The requirement to enrol (SKILLCERT_2FA_REQUIRED) is unchanged.

// OIDCConfig is one audience's unified identity platform. ClientSecret is a secret (from the
// environment only; never logged).
type OIDCConfig struct {
	// Issuer is the platform's issuer URL (its discovery document lies under
	// /.well-known/openid-configuration).
	Issuer       string
	ClientID     string
	ClientSecret string
	// RedirectURL is this system's callback, registered with the platform.
	RedirectURL string
	// Claim names the ID token claim that carries the unified social credit code
	// (enterprises) or the staff ID (officials).
	Claim string
	// Scopes are requested besides openid.
	Scopes []string
	// SecondFactor: a login through the platform counts as the second factor (no TOTP code is
	// asked after it).
	SecondFactor bool
}

// OIDCAudiences are the audiences in the order the login page offers them, with their names.
var OIDCAudiences = []struct{ Audience, Name string }{
	{models.AudienceEnterprise, "企业"},
	{models.AudienceOfficial, "工作人员"},
}

// oidcState caches each audience's provider (its discovery document and key set).
type oidcState struct {
	mu        sync.Mutex
	providers map[string]*oidc.Provider
}

// OIDCConfigured reports whether the audience may log in through the platform.
func (s *Service) OIDCConfigured(audience string) bool {
	c, ok := s.cfg.OIDC[audience]
	return ok && c.Issuer != "" && c.ClientID != ""
}

var (
	errOIDCNotConfigured = NewError(http.StatusNotFound, "oidc_not_configured", "本系统未启用该统一身份认证登录方式，请使用用户名和密码登录。")
	errOIDCUnavailable   = NewError(http.StatusServiceUnavailable, "oidc_unavailable", "统一身份认证平台暂时无法访问，请稍后再试，或使用用户名和密码登录。")
	errOIDCState         = NewError(http.StatusBadRequest, "oidc_state_mismatch", "统一身份认证登录已过期或来源不明，请重新点击“统一身份认证登录”。")
	errOIDCCode          = NewError(http.StatusUnauthorized, "oidc_code_refused", "统一身份认证平台未能确认本次登录，请重新登录。")
	errOIDCToken         = NewError(http.StatusUnauthorized, "oidc_token_refused", "统一身份认证平台返回的身份凭证未通过校验，请重新登录；如仍不能登录，请联系系统管理员。")
	errOIDCExpired       = NewError(http.StatusUnauthorized, "oidc_token_expired", "统一身份认证平台返回的身份凭证已过期，请重新登录。")
	errOIDCNonce         = NewError(http.StatusUnauthorized, "oidc_nonce_mismatch", "统一身份认证平台返回的身份凭证与本次登录不符，请重新登录。")
)

func (s *Service) oidcProvider(ctx context.Context, audience string) (*oidc.Provider, OIDCConfig, error) {
	c := s.cfg.OIDC[audience]
	if !s.OIDCConfigured(audience) {
		return nil, c, errOIDCNotConfigured
	}
	s.oidc.mu.Lock()
	defer s.oidc.mu.Unlock()
	if p := s.oidc.providers[audience]; p != nil {
		return p, c, nil
	}
	p, err := oidc.NewProvider(ctx, c.Issuer)
	if err != nil {
		s.log.WarnContext(ctx, "oidc discovery failed", "audience", audience, "err", err)
		return nil, c, errOIDCUnavailable
	}
	if s.oidc.providers == nil {
		s.oidc.providers = map[string]*oidc.Provider{}
	}
	s.oidc.providers[audience] = p
	return p, c, nil
}

func oauthConfig(p *oidc.Provider, c OIDCConfig) *oauth2.Config {
	return &oauth2.Config{ClientID: c.ClientID, ClientSecret: c.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: c.RedirectURL, Scopes: append([]string{oidc.ScopeOpenID}, c.Scopes...)}
}

// OIDCStart is the beginning of a platform login: where to send the browser, and what the
// callback must be given back (kept by the HTTP layer in a signed, short-lived cookie).
type OIDCStart struct {
	URL                    string
	State, Nonce, Verifier string
}

// BeginOIDC starts a platform login of an audience: fresh state, nonce and PKCE verifier, and
// the platform's authorization URL with the state, nonce and S256 code challenge.
func (s *Service) BeginOIDC(ctx context.Context, audience string) (OIDCStart, error) {
	p, c, err := s.oidcProvider(ctx, audience)
	if err != nil {
		return OIDCStart{}, err
	}
	st := OIDCStart{State: newOIDCToken(), Nonce: newOIDCToken(), Verifier: oauth2.GenerateVerifier()}
	st.URL = oauthConfig(p, c).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return st, nil
}

func newOIDCToken() string { return base64.RawURLEncoding.EncodeToString(models.RandomToken(24)) }

// OIDCCallback is the platform's answer at the callback and what BeginOIDC handed out.
type OIDCCallback struct {
	Audience string
	// Code and State are the callback's query parameters.
	Code, State string
	// WantState, Nonce and Verifier are BeginOIDC's.
	WantState, Nonce, Verifier string
	// Addr is the client's address (login history).
	Addr string
}

// OIDCLogIn finishes a platform login: it checks the state, exchanges the code (with the PKCE
// verifier), verifies the ID token and its nonce, and returns the linked account (linking it
// the first time). An account with TOTP on answers ErrSecondFactorRequired with the account
// unless the audience's SecondFactor is set. Every refusal is audited and recorded in the
// login history.
func (s *Service) OIDCLogIn(ctx context.Context, in OIDCCallback) (models.User, error) {
	p, c, err := s.oidcProvider(ctx, in.Audience)
	if err != nil {
		return models.User{}, err
	}
	refuse := func(u *models.User, result, reason string, e *Error) (models.User, error) {
		e2 := *e
		name := "统一身份认证"
		entry := models.AuditEntry{Action: "login", ObjectType: "user", Outcome: models.OutcomeRejected, Reason: Truncate("oidc "+in.Audience+": "+reason, 200)}
		if u != nil {
			name, entry.ObjectID = u.Username, u.ID
		}
		_ = s.Audit(ctx, nil, entry)
		s.recordLogin(ctx, u, name, in.Addr, models.LoginByOIDC, result)
		return models.User{}, &e2
	}
	if in.WantState == "" || in.State != in.WantState {
		return refuse(nil, models.LoginBadCredential, "state mismatch", errOIDCState)
	}
	if in.Code == "" {
		return refuse(nil, models.LoginBadCredential, "no code", errOIDCCode)
	}
	tok, err := oauthConfig(p, c).Exchange(ctx, in.Code, oauth2.VerifierOption(in.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return refuse(nil, models.LoginBadCredential, "code refused by the token endpoint", errOIDCCode)
		}
		s.log.WarnContext(ctx, "oidc token exchange failed", "audience", in.Audience, "err", err)
		return models.User{}, errOIDCUnavailable
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return refuse(nil, models.LoginBadCredential, "no id_token", errOIDCToken)
	}
	idt, err := p.VerifierContext(ctx, &oidc.Config{ClientID: c.ClientID, Now: s.now}).Verify(ctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		if errors.As(err, &exp) {
			return refuse(nil, models.LoginBadCredential, "expired token", errOIDCExpired)
		}
		return refuse(nil, models.LoginBadCredential, oidcRefusal(err), errOIDCToken)
	}
	if in.Nonce == "" || idt.Nonce != in.Nonce {
		return refuse(nil, models.LoginBadCredential, "nonce mismatch", errOIDCNonce)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return refuse(nil, models.LoginBadCredential, "unreadable claims", errOIDCToken)
	}
	u, link, err := s.oidcAccount(ctx, in.Audience, idt.Issuer, idt.Subject, claimString(claims[c.Claim]))
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status < 500 {
			return refuse(u, models.LoginBadCredential, "no account: "+e.Code, e)
		}
		return models.User{}, err
	}
	if !u.Active {
		return refuse(u, models.LoginDisabled, "account disabled", errOIDCDisabled)
	}
	if err := oidcRoleFits(in.Audience, u); err != nil {
		return refuse(u, models.LoginBadCredential, "role does not fit the audience", err)
	}
	if u.TOTPEnabledAt != nil && !c.SecondFactor {
		return *u, ErrSecondFactorRequired
	}
	if err := s.db.TouchIdentityLink(ctx, link.ID, s.now()); err != nil {
		s.log.WarnContext(ctx, "touch identity link", "err", err)
	}
	s.recordLogin(ctx, u, u.Username, in.Addr, models.LoginByOIDC, models.LoginOK)
	return *u, nil
}

// oidcRefusal names why go-oidc refused an ID token, for the audit row.
func oidcRefusal(err error) string {
	m := err.Error()
	switch {
	case strings.Contains(m, "audience"):
		return "wrong audience"
	case strings.Contains(m, "signature"):
		return "bad signature"
	case strings.Contains(m, "different provider") || strings.Contains(m, "issuer"):
		return "wrong issuer"
	}
	return "invalid token"
}

// claimString is a claim's value as text (a string or a number), trimmed.
func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case float64:
		return strings.TrimSpace(fmt.Sprintf("%.0f", x))
	}
	return ""
}

var (
	errOIDCDisabled  = NewError(http.StatusForbidden, "oidc_account_disabled", "您的账户已停用，请联系系统管理员。")
	errOIDCWrongRole = NewError(http.StatusForbidden, "oidc_wrong_account", "该统一身份认证登录方式不适用于您的账户：企业请点击“企业统一身份认证登录”，工作人员请点击“工作人员统一身份认证登录”；管理员账户须使用用户名和密码登录。")
	errOIDCLinked    = NewError(http.StatusConflict, "oidc_account_linked", "该账户已绑定统一身份认证平台上的另一身份，不能再绑定。请联系安全管理员核实。")
)

// oidcRoleFits checks that an account may log in through the audience's platform: enterprise
// accounts through the enterprises', officials (not the three administrators) through the
// officials'.
func oidcRoleFits(audience string, u *models.User) *Error {
	switch {
	case audience == models.AudienceEnterprise && u.Role == models.RoleEnterpriseUser:
		return nil
	case audience == models.AudienceOfficial && u.Role != models.RoleEnterpriseUser && !domain.IsAdminRole(u.Role):
		return nil
	}
	return errOIDCWrongRole
}

// oidcAccount finds the account of a platform subject: by its link, or the first time by the
// credit code or staff ID, then linking it (audited).
func (s *Service) oidcAccount(ctx context.Context, audience, issuer, subject, key string) (*models.User, models.IdentityLink, error) {
	link, err := s.db.IdentityLinkFor(ctx, issuer, subject)
	switch {
	case err == nil:
		if link.Audience != audience {
			return nil, link, errOIDCWrongRole
		}
		u, err := s.db.UserByID(ctx, link.UserID)
		return &u, link, err
	case !errors.Is(err, models.ErrNotFound):
		return nil, link, err
	}
	var u models.User
	var matched string
	switch audience {
	case models.AudienceEnterprise:
		matched = models.MatchedByCreditCode
		code := strings.ToUpper(key)
		if code == "" {
			return nil, link, NewError(http.StatusForbidden, "oidc_no_credit_code", "统一身份认证平台未提供企业的统一社会信用代码，无法确定对应的企业账户。请联系统一身份认证平台或所在旗县（市、区）人社部门。")
		}
		e, err := s.db.EnterpriseByCreditCode(ctx, code)
		if errors.Is(err, models.ErrNotFound) {
			return nil, link, NewError(http.StatusForbidden, "oidc_no_account",
				"本系统中没有统一社会信用代码为 "+code+" 的企业。请先完成企业注册（登录页“企业注册”），注册后即可使用统一身份认证登录。")
		} else if err != nil {
			return nil, link, err
		}
		accounts, err := s.db.EnterpriseAccounts(ctx, e.ID)
		if err != nil {
			return nil, link, err
		}
		switch len(accounts) {
		case 0:
			return nil, link, NewError(http.StatusForbidden, "oidc_no_account", "企业“"+e.Name+"”在本系统中没有可用的账户，请联系所在旗县（市、区）人社部门。")
		case 1:
			u = accounts[0]
		default:
			return nil, link, NewError(http.StatusForbidden, "oidc_ambiguous_account", "企业“"+e.Name+"”在本系统中有多个账户，无法确定绑定哪一个。请使用用户名和密码登录，或联系系统管理员。")
		}
	case models.AudienceOfficial:
		matched = models.MatchedByStaffID
		if key == "" {
			return nil, link, NewError(http.StatusForbidden, "oidc_no_staff_id", "统一身份认证平台未提供您的工号，无法确定对应的工作人员账户。请联系系统管理员。")
		}
		u, err = s.db.UserByStaffID(ctx, key)
		if errors.Is(err, models.ErrNotFound) {
			return nil, link, NewError(http.StatusForbidden, "oidc_no_account",
				"本系统中没有登记该工号的工作人员账户。工作人员账户不会自动开通，请联系系统管理员开通账户并登记工号后再登录。")
		} else if err != nil {
			return nil, link, err
		}
	default:
		return nil, link, errOIDCNotConfigured
	}
	if !u.Active {
		return &u, link, nil // refused by the caller, with the account named in the history
	}
	if e := oidcRoleFits(audience, &u); e != nil {
		return &u, link, e
	}
	a, err := s.ActorFor(ctx, u)
	if err != nil {
		return nil, link, err
	}
	link = models.IdentityLink{Audience: audience, Issuer: issuer, Subject: subject, UserID: u.ID, MatchedBy: matched, CreatedAt: s.now()}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateIdentityLink(ctx, &link); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return models.AuditEntry{}, errOIDCLinked
			}
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.identity_link", ObjectType: "user", ObjectID: u.ID,
			AfterState: Truncate(audience+" "+matched+" issuer="+issuer, 250)}, nil
	})
	if err != nil {
		return &u, link, err
	}
	return &u, link, nil
}

// SetStaffID records an official's staff ID (工号), by which the first platform login of the
// officials' audience finds the account: the system administrator (user:manage in the
// account's domain), audited as user.staff_id. Enterprise and administrator accounts have none.
func (s *Service) SetStaffID(ctx context.Context, a *Actor, userID, staffID string) error {
	u, domainCode, err := s.managedUser(ctx, a, userID, "manage")
	if err != nil {
		return err
	}
	staffID = strings.TrimSpace(staffID)
	if u.Role == models.RoleEnterpriseUser || domain.IsAdminRole(u.Role) {
		return NewError(http.StatusUnprocessableEntity, "no_staff_id", "只有工作人员账户登记工号。")
	}
	if staffID != "" {
		if err := domain.CheckStaffID(staffID); err != nil {
			return BadRequest("bad_staff_id", err.Error()+"。")
		}
	}
	return s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SetStaffID(ctx, u.ID, staffID); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return models.AuditEntry{}, NewError(http.StatusConflict, "staff_id_taken", "该工号已登记在另一个账户上。")
			}
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.staff_id", ObjectType: "user", ObjectID: u.ID, AfterState: Truncate(staffID, 64),
			JurisdictionCode: domainJurisdiction(domainCode)}, nil
	})
}
