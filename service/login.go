package service

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// errBadCredentials refuses a login; it never says whether the username exists.
var errBadCredentials = NewError(http.StatusUnauthorized, "bad_credentials", "用户名或密码错误。")

// LogIn checks the credentials typed at a client address, with throttling: too many failures
// for the username or from the address within the window refuse even the right password, with
// the remaining wait. Every refusal is audited; the answer never says whether the username
// exists. The caller opens the session.
func (s *Service) LogIn(ctx context.Context, username, password, addr string) (models.User, error) {
	now := s.now().UTC()
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return models.User{}, BadRequest("missing_credentials", "请输入用户名和密码。")
	}
	if f := domain.Username.Check(username); f != nil {
		// No account has such a name, and the failure record could not hold it.
		return models.User{}, Invalid(validate.Errors{{Field: "username", Code: f.Code, Message: f.Message}})
	}
	byUser, byAddr, oldest, err := s.db.LoginFailures(ctx, username, addr, now.Add(-s.cfg.LoginWindow))
	if err != nil {
		return models.User{}, err
	}
	if byUser >= int64(s.cfg.LoginMaxFailures) || byAddr >= int64(s.cfg.LoginMaxFailuresPerAddr) {
		wait := s.cfg.LoginWindow
		if byUser >= int64(s.cfg.LoginMaxFailures) && !oldest.IsZero() {
			wait = oldest.Add(s.cfg.LoginWindow).Sub(now)
		}
		mins := int(wait.Minutes()) + 1
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: username, Outcome: models.OutcomeDenied, Reason: "throttled"})
		return models.User{}, &Error{Status: http.StatusTooManyRequests, Code: "throttled", RetryAfter: int(wait.Seconds()) + 1,
			Message: "登录失败次数过多，请 " + strconv.Itoa(mins) + " 分钟后再试。"}
	}
	u, err := s.db.UserByUsername(ctx, username)
	if errors.Is(err, models.ErrNotFound) {
		models.EqualiseTiming(password)
	} else if err != nil {
		return models.User{}, err
	}
	if err != nil || !u.Active || !u.CheckPassword(password) {
		if e := s.db.RecordLoginFailure(ctx, username, addr, now); e != nil {
			return models.User{}, e
		}
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: username, Outcome: models.OutcomeRejected, Reason: "bad credentials"})
		return models.User{}, errBadCredentials
	}
	if err := s.db.ClearLoginFailures(ctx, username); err != nil {
		s.log.WarnContext(ctx, "clear login failures", "err", err)
	}
	return u, nil
}
