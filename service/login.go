package service

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// errBadCredentials refuses a login; it never says whether the username exists.
var errBadCredentials = NewError(http.StatusUnauthorized, "bad_credentials", "用户名或密码错误。")

// LoginInput is a login attempt: the credentials typed and the guard (client address, CAPTCHA).
type LoginInput struct {
	Username, Password string
	// Code is the TOTP code or a recovery code of an account with two-factor login on; without
	// it a correct password answers ErrSecondFactorRequired (with the account, for the second
	// step: SecondFactorLogin).
	Code string
	Guard
}

// LogIn checks the credentials typed at a client address under the login budget
// (domain.DefaultThrottleBudgets): after a few failures for the username or from the address a
// CAPTCHA is due, after more each attempt waits a little longer (for an account at most a
// minute: nothing locks its owner out, and an administrator can forget the failures,
// UnlockUser). Only failures are counted; a success forgets the account's. Every refusal is
// audited; the answer never says whether the username exists. The caller opens the session.
func (s *Service) LogIn(ctx context.Context, in LoginInput) (models.User, error) {
	username := strings.TrimSpace(in.Username)
	if username == "" || in.Password == "" {
		return models.User{}, BadRequest("missing_credentials", "请输入用户名和密码。")
	}
	if f := domain.Username.Check(username); f != nil {
		// No account has such a name, and the failure record could not hold it.
		return models.User{}, Invalid(validate.Errors{{Field: "username", Code: f.Code, Message: f.Message}})
	}
	if err := s.guard(ctx, domain.ThrottleLogin, in.Guard, username, "登录失败次数过多",
		models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: Truncate(username, 64)}); err != nil {
		s.recordLogin(ctx, nil, username, in.Addr, models.LoginByPassword, models.LoginThrottled)
		return models.User{}, err
	}
	u, err := s.db.UserByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		models.EqualiseTiming(in.Password)
	} else if err != nil {
		return models.User{}, err
	}
	if err != nil || !u.Active || len(in.Password) > domain.MaxPasswordBytes || !u.CheckPassword(in.Password) {
		s.count(ctx, domain.ThrottleLogin, in.Addr, username)
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: Truncate(username, 64), Outcome: models.OutcomeRejected, Reason: "bad credentials"})
		var who *models.User
		result := models.LoginBadCredential
		if err == nil {
			who = &u
			if !u.Active {
				result = models.LoginDisabled
			}
		}
		s.recordLogin(ctx, who, username, in.Addr, models.LoginByPassword, result)
		return models.User{}, errBadCredentials
	}
	if u.TOTPEnabledAt != nil {
		if in.Code == "" {
			return u, ErrSecondFactorRequired
		}
		return s.secondFactor(ctx, u, in.Code, in.Addr)
	}
	method := models.LoginByPassword
	if u.ResetExpiresAt != nil {
		// The password is a one-time reset (or initial) code: it logs in once, before it expires.
		method = models.LoginByResetCode
		ok, err := s.db.UseResetCode(ctx, u.ID, s.now())
		if err != nil {
			return models.User{}, err
		}
		if !ok {
			_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: u.ID, Outcome: models.OutcomeRejected, Reason: "reset code used or expired"})
			s.recordLogin(ctx, &u, username, in.Addr, method, models.LoginCodeExpired)
			return models.User{}, errResetCodeUsed
		}
		u.MustChangePassword = true
	}
	if _, err := s.db.ClearThrottle(ctx, string(domain.ThrottleLogin), domain.AccountKey(username)); err != nil {
		s.log.WarnContext(ctx, "clear login failures", "err", err)
	}
	s.recordLogin(ctx, &u, username, in.Addr, method, models.LoginOK)
	return u, nil
}

// recordLogin appends a login attempt to the login history (u nil: no such account). A
// failure to write it is logged, not the caller's.
func (s *Service) recordLogin(ctx context.Context, u *models.User, username, addr, method, result string) {
	l := &models.LoginAttempt{Username: Truncate(username, 64), At: s.now(), Addr: Truncate(addr, 64), Method: method, Result: result}
	if u != nil {
		id := u.ID
		l.UserID = &id
	}
	if err := s.db.RecordLoginAttempt(ctx, l); err != nil {
		s.log.WarnContext(ctx, "record login attempt", "err", err)
	}
}
