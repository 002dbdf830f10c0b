package service

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// The password lifecycle (domain/password.go): changing one's own password, the change forced
// at the first login and after a reset or expiry, the history that a change may not reuse,
// and the one-time reset codes that replace passwords chosen by administrators.

// ErrPasswordChangeRequired refuses everything but the password change to a session whose
// password must be changed first.
var ErrPasswordChangeRequired = NewError(http.StatusForbidden, "password_change_required",
	"请先修改密码：首次登录、管理员重置后或密码过期后，须设置新密码才能继续使用系统。")

// errResetCodeUsed refuses a login with a reset code that was used or has expired.
var errResetCodeUsed = NewError(http.StatusUnauthorized, "reset_code_expired",
	"重置码已使用或已超过有效期，请联系安全管理员重新重置。")

// passwordMaxAge is the configured expiry of officials' and administrators' passwords.
func (s *Service) passwordMaxAge() time.Duration {
	switch {
	case s.cfg.PasswordMaxAge < 0:
		return 0
	case s.cfg.PasswordMaxAge == 0:
		return domain.DefaultPasswordMaxAge
	}
	return s.cfg.PasswordMaxAge
}

// PasswordChangeDue reports whether the account's sessions must change the password before
// anything else: an administrator set it (first login, reset) or it has expired.
func (s *Service) PasswordChangeDue(u models.User) bool {
	if u.MustChangePassword {
		return true
	}
	changed := u.UpdatedAt
	if u.PasswordChangedAt != nil {
		changed = *u.PasswordChangedAt
	}
	return domain.PasswordExpired(u.Role, changed, s.now(), s.passwordMaxAge())
}

// PasswordExpiresAt is when the account's password expires, zero if it does not.
func (s *Service) PasswordExpiresAt(u models.User) time.Time {
	if !domain.PasswordExpires(u.Role) || s.passwordMaxAge() == 0 {
		return time.Time{}
	}
	changed := u.UpdatedAt
	if u.PasswordChangedAt != nil {
		changed = *u.PasswordChangedAt
	}
	return changed.Add(s.passwordMaxAge())
}

// checkNewPassword applies the strength rule to a new password of the account username.
func checkNewPassword(errs *validate.Errors, field, username, pw string) {
	if pw == "" {
		errs.Add(field, "required", "请填写新密码。")
		return
	}
	if f := domain.CheckPasswordStrength(username, pw); f != nil {
		errs.Add(field, f.Code, f.Message)
	}
}

// PasswordChangeInput is a change of one's own password: the current one and the new one,
// typed twice.
type PasswordChangeInput struct {
	Old     string `json:"old_password"`
	New     string `json:"new_password"`
	Confirm string `json:"new_password_confirm"`
}

// ChangeOwnPassword changes the caller's password. The current password (or the reset code the
// session logged in with) is required; the new one must pass the strength rule and differ from
// the last five. The caller's other sessions and its API tokens end; this session goes on, no
// longer held to the change. Audited as user.password_change (never the passwords).
func (s *Service) ChangeOwnPassword(ctx context.Context, a *Actor, in PasswordChangeInput) (models.User, error) {
	if a == nil {
		return models.User{}, ErrUnauthenticated
	}
	if a.ViaToken {
		// A bearer token proves the token, not the person: the password is changed in a session.
		return models.User{}, NewError(http.StatusForbidden, "session_required", "请登录后在“账户安全”页面修改密码。")
	}
	u, err := s.db.UserByID(ctx, a.User.ID)
	if err != nil {
		return models.User{}, err
	}
	var errs validate.Errors
	if in.Old == "" {
		errs.Add("old_password", "required", "请填写当前密码。")
	} else if len(in.Old) > domain.MaxPasswordBytes || !u.CheckPassword(in.Old) {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "user.password_change", ObjectType: "user", ObjectID: u.ID,
			Outcome: models.OutcomeRejected, Reason: "wrong current password"})
		errs.Add("old_password", "wrong_password", "当前密码不正确。")
	}
	checkNewPassword(&errs, "new_password", u.Username, in.New)
	if in.New != "" && in.Confirm != in.New {
		errs.Add("new_password_confirm", "mismatch", "两次输入的新密码不一致。")
	}
	if len(errs) > 0 {
		return models.User{}, Invalid(errs)
	}
	if in.New == in.Old {
		return models.User{}, Invalid(validate.Errors{{Field: "new_password", Code: "reused", Message: "新密码不能与当前密码相同。"}})
	}
	recent, err := s.db.RecentPasswordHashes(ctx, u.ID, domain.PasswordHistoryDepth)
	if err != nil {
		return models.User{}, err
	}
	for _, h := range recent {
		if models.MatchesHash(h, in.New) {
			return models.User{}, Invalid(validate.Errors{{Field: "new_password", Code: "reused",
				Message: fmt.Sprintf("新密码不能与最近 %d 次使用过的密码相同。", domain.PasswordHistoryDepth)}})
		}
	}
	if err := u.SetPassword(in.New); err != nil {
		return models.User{}, err
	}
	var ended models.AccessEnded
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, ended, err = tx.ChangePassword(ctx, u.ID, models.PasswordChange{Hash: u.PasswordHash, Keep: true,
			EndAccess: true, KeepSession: a.SessionHash}, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.password_change", ObjectType: "user", ObjectID: u.ID,
			AfterState: fmt.Sprintf("other_sessions=%d tokens=%d", ended.Sessions, ended.Tokens)}, nil
	})
	if err != nil {
		return models.User{}, err
	}
	a.User = u
	return u, nil
}

// newResetCode makes a one-time reset code: 80 random bits as 16 base32 characters in groups
// of four (A–Z and 2–7, so no digit 0 or 1 to mistake for O or I when read out over the
// phone), beyond online guessing under the login throttle and valid for one login within
// domain.ResetCodeTTL.
func newResetCode() string {
	for {
		t := rand.Text()[:16]
		code := t[0:4] + "-" + t[4:8] + "-" + t[8:12] + "-" + t[12:16]
		// Base32 letters, hyphens and, nearly always, digits: a code without a digit (about one
		// in thirty) would fail the strength rule where it serves as a first password.
		if domain.CheckPasswordStrength("", code) == nil {
			return code
		}
	}
}

// resetCodeChange is the password change that makes code an account's one-time reset code.
func (s *Service) resetCodeChange(code string) (models.PasswordChange, time.Time, error) {
	var u models.User
	if err := u.SetPassword(code); err != nil {
		return models.PasswordChange{}, time.Time{}, err
	}
	exp := s.now().UTC().Add(domain.ResetCodeTTL)
	return models.PasswordChange{Hash: u.PasswordHash, MustChange: true, ResetExpires: &exp, EndAccess: true}, exp, nil
}
