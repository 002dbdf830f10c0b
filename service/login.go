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
		return models.User{}, err
	}
	u, err := s.db.UserByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		models.EqualiseTiming(in.Password)
	} else if err != nil {
		return models.User{}, err
	}
	if err != nil || !u.Active || !u.CheckPassword(in.Password) {
		s.count(ctx, domain.ThrottleLogin, in.Addr, username)
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: Truncate(username, 64), Outcome: models.OutcomeRejected, Reason: "bad credentials"})
		return models.User{}, errBadCredentials
	}
	if _, err := s.db.ClearThrottle(ctx, string(domain.ThrottleLogin), domain.AccountKey(username)); err != nil {
		s.log.WarnContext(ctx, "clear login failures", "err", err)
	}
	return u, nil
}
