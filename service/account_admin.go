package service

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// userDomain is the authorization domain of an account: its jurisdiction, or its enterprise's
// node for enterprise users.
func (s *Service) userDomain(ctx context.Context, u models.User) (string, error) {
	if u.Role != models.RoleEnterpriseUser {
		return u.Jurisdiction(), nil
	}
	e, err := s.db.EnterpriseByID(ctx, u.Enterprise())
	if err != nil {
		return "", err
	}
	return policies.EnterpriseDomain(e.JurisdictionCode, e.ID), nil
}

// domainJurisdiction is the jurisdiction an account's audit rows are filed under, from the
// account's domain (so that the scoped audit view of that jurisdiction shows them).
func domainJurisdiction(domain string) string {
	j, _ := policies.SplitDomain(domain)
	return Truncate(j, 6)
}

// managedUser loads the account id and checks that the caller may act (read or manage) on
// accounts in its domain; a refusal is audited and answered with errForbidden.
func (s *Service) managedUser(ctx context.Context, a *Actor, id, act string) (u models.User, domain string, err error) {
	if a == nil {
		return u, "", ErrUnauthenticated
	}
	if u, err = s.db.UserByID(ctx, id); err != nil {
		return u, "", err
	}
	if domain, err = s.userDomain(ctx, u); err != nil {
		return u, "", err
	}
	if err := s.Require(ctx, a, "user", act, domain); err != nil {
		return u, domain, err
	}
	return u, domain, nil
}

// UserAction is the input of the account actions: the account and the optional reason.
type UserAction struct {
	ID, Reason string
}

// maxReasonLen bounds the reasons written to the audit log.
const maxReasonLen = 500 // domain.Reason.Max

// CheckReason trims a reason and checks its length (and presence when required).
func CheckReason(r string, required bool) (string, error) {
	r = strings.TrimSpace(r)
	if required && r == "" {
		return "", Invalid(validate.Errors{{Field: "reason", Code: "required", Message: "请填写理由。"}})
	}
	if utf8.RuneCountInString(r) > maxReasonLen {
		return "", Invalid(validate.Errors{{Field: "reason", Code: "too_long", Message: "理由不超过 500 字。"}})
	}
	if f := domain.Reason.Check(r); f != nil {
		return "", Invalid(validate.Errors{{Field: "reason", Code: f.Code, Message: f.Message}})
	}
	return r, nil
}

// errSelfAction refuses an action on the caller's own account that could lock the caller out
// (and would leave no second person to notice).
var errSelfAction = NewError(http.StatusUnprocessableEntity, "own_account", "不能对自己的账户执行此操作，请由其他系统管理员办理。")

// refuseSelf audits and refuses an action on the caller's own account (in domain).
func (s *Service) refuseSelf(ctx context.Context, a *Actor, action string, u models.User, domain string) error {
	_ = s.Audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "user", ObjectID: u.ID,
		Outcome: models.OutcomeRejected, Reason: "own account", JurisdictionCode: domainJurisdiction(domain)})
	return errSelfAction
}

// GetUser returns one account; the caller needs user:read in its domain.
func (s *Service) GetUser(ctx context.Context, a *Actor, id string) (models.User, error) {
	u, _, err := s.managedUser(ctx, a, id, "read")
	return u, err
}

// accessResult is the answer of an action that may have ended sessions and tokens.
type accessResult struct {
	User          models.User `json:"user"`
	SessionsEnded int64       `json:"sessions_ended"`
	TokensRevoked int64       `json:"tokens_revoked"`
}

// accountAction checks the reason of an action on another account and loads that account,
// which the caller must be allowed to manage; selfAction, when not empty, is the audited action
// that refuses the caller's own account.
func (s *Service) accountAction(ctx context.Context, a *Actor, in UserAction, act, selfAction string) (u models.User, domain, reason string, err error) {
	if a == nil {
		return u, "", "", ErrUnauthenticated
	}
	if err = s.Require(ctx, a, "user", act, a.Domain); err != nil {
		return u, "", "", err
	}
	if reason, err = CheckReason(in.Reason, false); err != nil {
		return u, "", "", err
	}
	if u, domain, err = s.managedUser(ctx, a, in.ID, act); err != nil {
		return u, "", "", err
	}
	if selfAction != "" && u.ID == a.User.ID {
		return u, "", "", s.refuseSelf(ctx, a, selfAction, u, domain)
	}
	return u, domain, reason, nil
}

// DisableUser disables an account: it can no longer log in, and its sessions and API tokens
// end at once, in the transaction that records it. The caller cannot disable their own account.
func (s *Service) DisableUser(ctx context.Context, a *Actor, in UserAction) (accessResult, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "manage", "user.disable")
	if err != nil {
		return accessResult{}, err
	}
	before := userState(u.Active)
	var ended models.AccessEnded
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, ended, err = tx.SetUserActive(ctx, u.ID, false, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.disable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: fmt.Sprintf("disabled sessions=%d tokens=%d", ended.Sessions, ended.Tokens), Reason: reason,
			JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return accessResult{}, err
	}
	// Drop the grant now rather than at the account's next request (which cannot come).
	if err := s.enf.SetGrant(policies.Grant{User: u.ID}); err != nil {
		s.log.WarnContext(ctx, "drop grant", "err", err)
	}
	return accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens}, nil
}

// EnableUser enables a disabled account; it logs in again with its password.
func (s *Service) EnableUser(ctx context.Context, a *Actor, in UserAction) (models.User, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "manage", "")
	if err != nil {
		return models.User{}, err
	}
	before := userState(u.Active)
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, _, err = tx.SetUserActive(ctx, u.ID, true, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.enable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: userState(true), Reason: reason, JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return models.User{}, err
	}
	return u, nil
}

func userState(active bool) string {
	if active {
		return "active"
	}
	return "disabled"
}

// PasswordReset is the answer of a password reset: the only place the reset code appears.
type PasswordReset struct {
	accessResult
	ResetCode string    `json:"reset_code"`
	ExpiresAt time.Time `json:"reset_code_expires_at"`
}

// ResetPassword gives an account a one-time reset code in place of its password and ends its
// sessions and tokens (security administrators, user:credential in the account's domain).
//
// The code is generated here and returned once, in this answer, rather than typed by the
// administrator: it has full entropy, is never chosen, reused or remembered by the
// administrator, never travels in a request body, and the only copy besides its hash is this
// no-store answer, which the administrator hands over through a separate channel. It logs in
// once, within domain.ResetCodeTTL (24 hours), and that session can do nothing but set a new
// password. Everything opened with the old password is closed, because a reset usually means
// it was lost or exposed. The code is never logged or audited.
func (s *Service) ResetPassword(ctx context.Context, a *Actor, in UserAction) (PasswordReset, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "credential", "user.password_reset")
	if err != nil {
		return PasswordReset{}, err
	}
	code := newResetCode()
	ch, exp, err := s.resetCodeChange(code)
	if err != nil {
		return PasswordReset{}, err
	}
	var ended models.AccessEnded
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, ended, err = tx.ChangePassword(ctx, u.ID, ch, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		// The failed logins were guesses at the old password; the owner starts afresh.
		if _, err = tx.ClearThrottle(ctx, loginPurpose, loginAccountKey(u.Username)); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.password_reset", ObjectType: "user", ObjectID: u.ID,
			AfterState: fmt.Sprintf("reset code until %s sessions=%d tokens=%d", exp.Format(time.RFC3339), ended.Sessions, ended.Tokens),
			Reason:     reason, JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return PasswordReset{}, err
	}
	return PasswordReset{accessResult: accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens},
		ResetCode: code, ExpiresAt: exp}, nil
}

type GrantRequest struct {
	Role             string `json:"role"`
	JurisdictionCode string `json:"jurisdiction_code"`
	EnterpriseID     string `json:"enterprise_id"`
	Reason           string `json:"reason"`
}

// GrantInput is the input of SetUserGrant: the account and its new grant.
type GrantInput struct {
	ID string
	GrantRequest
}

// SetUserGrant moves an account to another role and jurisdiction or enterprise (staff change
// post). The caller needs user:manage in both the old and the new domain and cannot change
// their own. Tasks the account has claimed stay with it until reassigned.
func (s *Service) SetUserGrant(ctx context.Context, a *Actor, in GrantInput) (models.User, error) {
	if a == nil {
		return models.User{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "user", "grant", a.Domain); err != nil {
		return models.User{}, err
	}
	u, oldDomain, err := s.managedUser(ctx, a, in.ID, "grant")
	if err != nil {
		return models.User{}, err
	}
	if u.ID == a.User.ID {
		return models.User{}, s.refuseSelf(ctx, a, "user.grant", u, oldDomain)
	}
	var errs validate.Errors
	g := s.grantFor(ctx, in.Role, in.JurisdictionCode, in.EnterpriseID, &errs)
	reason, rerr := CheckReason(in.Reason, true)
	if e := UserError(rerr); e != nil {
		errs = append(errs, e.Fields...)
	}
	if len(errs) > 0 {
		return models.User{}, Invalid(errs)
	}
	if v := domain.CheckSeparation(u.Role, g.role); v != "" {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "user.grant", ObjectType: "user", ObjectID: u.ID,
			Outcome: models.OutcomeRejected, Reason: string(v), JurisdictionCode: domainJurisdiction(oldDomain)})
		return models.User{}, Invalid(validate.Errors{{Field: "role", Code: string(v), Message: v.Message()}})
	}
	if err := s.Require(ctx, a, "user", "grant", g.domain); err != nil {
		return models.User{}, err
	}
	if g.role == u.Role && g.domain == oldDomain {
		return u, nil
	}
	before := u.Role + " " + oldDomain
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, err = tx.SetUserGrant(ctx, u.ID, g.role, g.jurisdiction, g.enterprise, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.grant", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: g.role + " " + g.domain, Reason: reason, JurisdictionCode: domainJurisdiction(g.domain)}, nil
	})
	if err != nil {
		return models.User{}, err
	}
	grant := policies.Grant{User: u.ID}
	if u.Active {
		grant.Role, grant.Domain = g.role, g.domain
	}
	if err := s.enf.SetGrant(grant); err != nil {
		s.log.WarnContext(ctx, "set grant", "err", err)
	}
	return u, nil
}
