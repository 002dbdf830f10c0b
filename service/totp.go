package service

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"errors"
	"image/png"
	"net/http"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// Two-factor login (TOTP, RFC 6238: 6 digits, 30-second steps, SHA-1, the authenticator apps'
// default). An account enrols (BeginTOTP shows a secret, ConfirmTOTP switches it on with a
// current code and hands out ten one-time recovery codes); its logins then need a code after
// the password (LoginInput.Code or SecondFactorLogin). The secret is sealed at rest by the
// same keyring as ID numbers (package pii: AES-256-GCM or SM4-GCM under the data key), so
// that it rotates with it; recovery codes are stored as SHA-256.

const (
	totpIssuer       = "内蒙古技能等级认定"
	totpPeriod       = 30
	recoveryCodeSize = 10
)

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// ErrSecondFactorRequired answers a correct password of an account with two-factor login on
// when no code came with it: the caller asks for one.
var ErrSecondFactorRequired = NewError(http.StatusUnauthorized, "second_factor_required", "请输入动态口令（或恢复码）。")

// ErrSecondFactorSetupRequired refuses everything but the enrolment to a session of an
// account that must log in with a second factor and has none yet.
var ErrSecondFactorSetupRequired = NewError(http.StatusForbidden, "second_factor_setup_required",
	"您的账户须启用双因素登录（动态口令）后才能继续使用系统。")

var errBadSecondFactor = NewError(http.StatusUnauthorized, "bad_second_factor", "动态口令或恢复码不正确，或已使用过。")

// SecondFactorSetupDue reports whether the account's sessions must enrol in TOTP first.
func (s *Service) SecondFactorSetupDue(u models.User) bool {
	return s.cfg.TwoFactorRequired && domain.SecondFactorRequired(u.Role) && u.TOTPEnabledAt == nil
}

// TOTPEnrolment is what the enrolment page shows: the secret as text, the otpauth:// URL and
// its QR code (PNG).
type TOTPEnrolment struct {
	Secret string
	URL    string
	QRPNG  []byte
	// Enabled: two-factor login is on (nothing else is set); Unused is how many recovery
	// codes are left.
	Enabled bool
	Unused  int64
}

// BeginTOTP returns the caller's pending TOTP secret, making and storing one (sealed) if
// there is none, or the state of two-factor login once it is on.
func (s *Service) BeginTOTP(ctx context.Context, a *Actor) (TOTPEnrolment, error) {
	if a == nil {
		return TOTPEnrolment{}, ErrUnauthenticated
	}
	u, err := s.db.UserByID(ctx, a.User.ID)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if u.TOTPEnabledAt != nil {
		n, err := s.db.UnusedRecoveryCodes(ctx, u.ID)
		return TOTPEnrolment{Enabled: true, Unused: n}, err
	}
	var raw []byte
	if u.TOTPSecret != "" {
		sec, err := s.openTOTPSecret(u)
		if err != nil {
			return TOTPEnrolment{}, err
		}
		raw, _ = base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(sec)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Username, Period: totpPeriod,
		Secret: raw, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	if u.TOTPSecret == "" {
		p, err := s.apps.sealer.Seal(key.Secret())
		if err != nil {
			return TOTPEnrolment{}, err
		}
		if err := s.db.SetTOTPSecret(ctx, u.ID, p.Cipher); err != nil {
			return TOTPEnrolment{}, err
		}
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: key.URL(), QRPNG: buf.Bytes()}, nil
}

func (s *Service) openTOTPSecret(u models.User) (string, error) {
	return s.apps.sealer.Open(models.PersonID{Cipher: u.TOTPSecret})
}

// ConfirmTOTP switches two-factor login on once the caller types a current code of the
// pending secret, and returns the ten recovery codes (shown only now). Audited as
// user.totp_enable.
func (s *Service) ConfirmTOTP(ctx context.Context, a *Actor, code string) ([]string, error) {
	if a == nil {
		return nil, ErrUnauthenticated
	}
	u, err := s.db.UserByID(ctx, a.User.ID)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabledAt != nil {
		return nil, NewError(http.StatusConflict, "totp_enabled", "双因素登录已启用。")
	}
	if u.TOTPSecret == "" {
		return nil, NewError(http.StatusConflict, "totp_not_started", "请先打开双因素登录页面获取密钥。")
	}
	step, ok, err := s.matchTOTP(u, code)
	if err != nil {
		return nil, err
	}
	if !ok || step <= u.TOTPLastStep {
		return nil, Invalid(validate.Errors{{Field: "code", Code: "wrong_code", Message: "动态口令不正确，请核对手机时间后输入当前显示的 6 位数字。"}})
	}
	codes := make([]string, recoveryCodeSize)
	hashes := make([]string, recoveryCodeSize)
	for i := range codes {
		codes[i] = newResetCode()
		hashes[i] = models.HashToken(normaliseRecovery(codes[i]))
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.EnableTOTP(ctx, u.ID, step, hashes, s.now()); err != nil {
			if errors.Is(err, models.ErrConflict) {
				return models.AuditEntry{}, NewError(http.StatusConflict, "totp_enabled", "双因素登录已启用或该动态口令已使用。")
			}
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.totp_enable", ObjectType: "user", ObjectID: u.ID}, nil
	})
	if err != nil {
		return nil, err
	}
	now := s.now().UTC()
	a.User.TOTPEnabledAt = &now
	a.SecondFactorSetupDue = false
	return codes, nil
}

// matchTOTP checks a 6-digit code against the account's secret at the clock's time step and
// one step either side (clock drift), returning the step it belongs to.
func (s *Service) matchTOTP(u models.User, code string) (int64, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
		return 0, false, nil
	}
	secret, err := s.openTOTPSecret(u)
	if err != nil {
		return 0, false, err
	}
	now := s.now()
	for _, d := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(d*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totpOpts)
		if err != nil {
			return 0, false, err
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod, true, nil
		}
	}
	return 0, false, nil
}

// normaliseRecovery is a recovery code as stored: upper case, without spaces and dashes.
func normaliseRecovery(code string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
}

// checkSecondFactor checks a TOTP code or a recovery code of an account with two-factor login
// on and uses it up; the login method it was (models.LoginByTOTP or LoginByRecovery).
func (s *Service) checkSecondFactor(ctx context.Context, u models.User, code string) (string, bool, error) {
	code = strings.TrimSpace(code)
	if len(code) == 6 {
		step, ok, err := s.matchTOTP(u, code)
		if err != nil || !ok {
			return models.LoginByTOTP, false, err
		}
		ok, err = s.db.UseTOTPStep(ctx, u.ID, step)
		return models.LoginByTOTP, ok, err
	}
	if len(code) > 64 {
		return models.LoginByRecovery, false, nil
	}
	ok, err := s.db.UseRecoveryCode(ctx, u.ID, models.HashToken(normaliseRecovery(code)), s.now())
	return models.LoginByRecovery, ok, err
}

// SecondFactorLogin is the second step of a login whose password was right
// (ErrSecondFactorRequired): the account's code under the login throttle. A wrong or used code
// counts as a failed login, and every attempt goes to the login history.
func (s *Service) SecondFactorLogin(ctx context.Context, userID, code string, g Guard) (models.User, error) {
	u, err := s.db.UserByID(ctx, userID)
	if err != nil {
		return models.User{}, err
	}
	if err := s.guard(ctx, domain.ThrottleLogin, g, u.Username, "登录失败次数过多",
		models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: u.ID}); err != nil {
		s.recordLogin(ctx, &u, u.Username, g.Addr, models.LoginByTOTP, models.LoginThrottled)
		return models.User{}, err
	}
	return s.secondFactor(ctx, u, code, g.Addr)
}

// secondFactor checks the code of an account whose password was right (under the guard
// already), then a pending one-time reset code is used up as LogIn would have.
func (s *Service) secondFactor(ctx context.Context, u models.User, code, addr string) (models.User, error) {
	g := Guard{Addr: addr}
	if !u.Active || u.TOTPEnabledAt == nil {
		return models.User{}, errBadCredentials
	}
	method, ok, err := s.checkSecondFactor(ctx, u, code)
	if err != nil {
		return models.User{}, err
	}
	if !ok {
		s.count(ctx, domain.ThrottleLogin, g.Addr, u.Username)
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: u.ID, Outcome: models.OutcomeRejected, Reason: "bad second factor"})
		s.recordLogin(ctx, &u, u.Username, g.Addr, method, models.LoginBadCredential)
		return models.User{}, errBadSecondFactor
	}
	if _, err := s.db.ClearThrottle(ctx, string(domain.ThrottleLogin), domain.AccountKey(u.Username)); err != nil {
		s.log.WarnContext(ctx, "clear login failures", "err", err)
	}
	if u.ResetExpiresAt != nil {
		ok, err := s.db.UseResetCode(ctx, u.ID, s.now())
		if err != nil {
			return models.User{}, err
		}
		if !ok {
			s.recordLogin(ctx, &u, u.Username, g.Addr, models.LoginByResetCode, models.LoginCodeExpired)
			return models.User{}, errResetCodeUsed
		}
		u.MustChangePassword = true
	}
	s.recordLogin(ctx, &u, u.Username, g.Addr, method, models.LoginOK)
	return u, nil
}

var (
	errTOTPNotEnabled = NewError(http.StatusConflict, "totp_not_enabled", "该账户未启用双因素登录。")
	errTOTPRequired   = NewError(http.StatusForbidden, "totp_required",
		"您的账户须使用双因素登录，不能停用。如更换或丢失手机，请联系安全管理员重置双因素登录后重新启用。")
)

// TOTPDisableAllowed reports whether the account may switch its own two-factor login off:
// only where it is optional (SecondFactorSetupDue would not hold it).
func (s *Service) TOTPDisableAllowed(u models.User) bool {
	return !(s.cfg.TwoFactorRequired && domain.SecondFactorRequired(u.Role))
}

// DisableTOTP switches the caller's optional two-factor login off with a current code (or a
// recovery code, which is used up): the secret and the recovery codes go. Refused where two-
// factor login is required (TOTPDisableAllowed). Audited as user.totp_disable (a wrong code
// as rejected).
func (s *Service) DisableTOTP(ctx context.Context, a *Actor, code string) error {
	if a == nil {
		return ErrUnauthenticated
	}
	u, err := s.db.UserByID(ctx, a.User.ID)
	if err != nil {
		return err
	}
	if u.TOTPEnabledAt == nil {
		return errTOTPNotEnabled
	}
	if !s.TOTPDisableAllowed(u) {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "user.totp_disable", ObjectType: "user", ObjectID: u.ID,
			Outcome: models.OutcomeRejected, Reason: "two-factor login required for the role"})
		return errTOTPRequired
	}
	if strings.TrimSpace(code) == "" {
		return Invalid(validate.Errors{{Field: "code", Code: "required", Message: "请输入当前的动态口令或一个恢复码。"}})
	}
	_, ok, err := s.checkSecondFactor(ctx, u, code)
	if err != nil {
		return err
	}
	if !ok {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "user.totp_disable", ObjectType: "user", ObjectID: u.ID,
			Outcome: models.OutcomeRejected, Reason: "bad second factor"})
		return Invalid(validate.Errors{{Field: "code", Code: "wrong_code", Message: "动态口令或恢复码不正确，或已使用过。"}})
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if _, err := tx.DisableTOTP(ctx, u.ID); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.totp_disable", ObjectType: "user", ObjectID: u.ID}, nil
	})
	if err != nil {
		return err
	}
	a.User.TOTPEnabledAt, a.User.TOTPSecret = nil, ""
	return nil
}

// TOTPReset is the answer of ResetTOTP.
type TOTPReset struct {
	User models.User `json:"user"`
	// MustEnrol: the account's role requires two-factor login, so its next session (and any
	// open one) is held to the enrolment.
	MustEnrol bool `json:"must_enrol"`
}

// ResetTOTP switches another account's two-factor login off (a lost or replaced phone): the
// security administrator (user:credential in the account's domain), never on their own
// account. The secret and recovery codes go; where the role requires two-factor login, the
// account's sessions are held to a new enrolment. Audited as user.totp_reset.
func (s *Service) ResetTOTP(ctx context.Context, a *Actor, in UserAction) (TOTPReset, error) {
	u, domainCode, reason, err := s.accountAction(ctx, a, in, "credential", "user.totp_reset")
	if err != nil {
		return TOTPReset{}, err
	}
	if u.TOTPEnabledAt == nil && u.TOTPSecret == "" {
		return TOTPReset{}, errTOTPNotEnabled
	}
	must := s.cfg.TwoFactorRequired && domain.SecondFactorRequired(u.Role)
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if _, err := tx.DisableTOTP(ctx, u.ID); err != nil {
			return models.AuditEntry{}, err
		}
		after := "two-factor login off"
		if must {
			after += "; re-enrolment required"
		}
		return models.AuditEntry{Action: "user.totp_reset", ObjectType: "user", ObjectID: u.ID, AfterState: after,
			Reason: reason, JurisdictionCode: domainJurisdiction(domainCode)}, nil
	})
	if err != nil {
		return TOTPReset{}, err
	}
	u.TOTPEnabledAt, u.TOTPSecret = nil, ""
	return TOTPReset{User: u, MustEnrol: must}, nil
}
