package service

import (
	"context"
	"time"

	"skillcert/domain"
	"skillcert/models"
)

// SecurityPolicy is the effective security policy of the deployment, as configured (read-only):
// what the security administrator's policy page shows.
type SecurityPolicy struct {
	// Passwords.
	MinPasswordLen, MinPassphraseLen, PasswordHistoryDepth int
	// PasswordMaxAge is the expiry of the roles in ExpiringRoles (0: never).
	PasswordMaxAge time.Duration
	ExpiringRoles  []string
	ResetCodeTTL   time.Duration
	// GeneratedPasswordRoles get a one-time code from an administrator, never a chosen password.
	GeneratedPasswordRoles []string
	// Two-factor login: required (SKILLCERT_2FA_REQUIRED) for SecondFactorRoles.
	TwoFactorRequired bool
	SecondFactorRoles []string
	// Login throttle (by account and by address): no hard lock, CAPTCHA and growing waits.
	LoginAccount, LoginAddress domain.ThrottleBudget
	LoginThrottled             bool
	// CryptoSuite seals ID numbers and signs certificates (intl or gm).
	CryptoSuite string
	// OIDC is the unified identity platform per audience (OIDCAudiences' order).
	OIDC []OIDCPolicy
}

// OIDCPolicy is one audience's platform login as the policy page shows it (no secret).
type OIDCPolicy struct {
	Audience, Name                       string
	Configured                           bool
	Issuer, ClientID, RedirectURL, Claim string
	SecondFactor                         bool
}

// SecurityPolicy returns the effective policy: the security administrator (policy:read in
// the caller's domain). Audited as policy.read.
func (s *Service) SecurityPolicy(ctx context.Context, a *Actor) (SecurityPolicy, error) {
	if a == nil {
		return SecurityPolicy{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "policy", "read", a.Domain); err != nil {
		return SecurityPolicy{}, err
	}
	p := SecurityPolicy{MinPasswordLen: domain.MinPasswordLen, MinPassphraseLen: domain.MinPassphraseLen,
		PasswordHistoryDepth: domain.PasswordHistoryDepth, PasswordMaxAge: max(s.passwordMaxAge(), 0),
		ResetCodeTTL: domain.ResetCodeTTL, TwoFactorRequired: s.cfg.TwoFactorRequired, CryptoSuite: s.apps.sealer.Suite()}
	for _, r := range domain.Roles {
		if domain.PasswordExpires(r) {
			p.ExpiringRoles = append(p.ExpiringRoles, r)
		}
		if !domain.ChosenPasswordAllowed(r) {
			p.GeneratedPasswordRoles = append(p.GeneratedPasswordRoles, r)
		}
		if domain.SecondFactorRequired(r) {
			p.SecondFactorRoles = append(p.SecondFactorRoles, r)
		}
	}
	if b, ok := s.thr.budgets[domain.ThrottleLogin]; ok {
		p.LoginThrottled, p.LoginAccount, p.LoginAddress = true, b.Account, b.Address
	}
	for _, au := range OIDCAudiences {
		c := s.cfg.OIDC[au.Audience]
		p.OIDC = append(p.OIDC, OIDCPolicy{Audience: au.Audience, Name: au.Name, Configured: s.OIDCConfigured(au.Audience),
			Issuer: c.Issuer, ClientID: c.ClientID, RedirectURL: c.RedirectURL, Claim: c.Claim, SecondFactor: c.SecondFactor})
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "policy.read", ObjectType: "policy"})
	return p, nil
}
