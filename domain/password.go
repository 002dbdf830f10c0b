package domain

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The password rule and lifecycle (等保2.0 identity authentication).
//
// Strength: a password is either
//   - at least 10 characters drawn from at least three of the four classes lower-case letters,
//     upper-case letters, digits and other characters (punctuation, Chinese characters …), or
//   - a passphrase of at least 16 characters made of at least three words separated by spaces
//     (e.g. "草原 骏马 奔腾 2026" or "correct horse battery staple"), which is long rather than
//     varied and easier to remember.
//
// Neither may contain the username (case-insensitive), and a password is at most 72 bytes
// (bcrypt reads no more).
//
// Lifecycle: a password an administrator set (a new account) or a reset code must be changed
// at the first login; a password expires after PasswordMaxAge of its role (officials and
// administrators, 90 days by default; enterprise users, experts and supervisors never), after
// which the next login must change it; a change may not reuse any of the last
// PasswordHistoryDepth passwords.

const (
	// MinPasswordLen is the shortest password of three character classes.
	MinPasswordLen = 10
	// MinPassphraseLen is the shortest passphrase (characters, spaces included).
	MinPassphraseLen = 16
	// MaxPasswordBytes bounds a password: bcrypt reads no more.
	MaxPasswordBytes = 72
	// PasswordHistoryDepth is how many of the latest passwords a change may not reuse.
	PasswordHistoryDepth = 5
	// DefaultPasswordMaxAge is the default expiry of officials' and administrators' passwords.
	DefaultPasswordMaxAge = 90 * 24 * time.Hour
	// ResetCodeTTL is how long a reset code (or the first code of a new official's account)
	// can be used to log in.
	ResetCodeTTL = 24 * time.Hour
)

// PasswordFault is why a password is refused: a stable code and a Chinese message.
type PasswordFault struct{ Code, Message string }

// CheckPasswordStrength applies the strength rule to a new password of the account username;
// nil means it is acceptable.
func CheckPasswordStrength(username, pw string) *PasswordFault {
	if len(pw) > MaxPasswordBytes {
		return &PasswordFault{"password_too_long", "密码不超过 72 个字节（约 24 个汉字）。"}
	}
	if !utf8.ValidString(pw) || strings.ContainsFunc(pw, unicode.IsControl) {
		return &PasswordFault{"invalid_characters", "密码含有无法识别的字符。"}
	}
	if u := strings.TrimSpace(username); len(u) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(u)) {
		return &PasswordFault{"contains_username", "密码不能包含用户名。"}
	}
	n := utf8.RuneCountInString(pw)
	if n >= MinPassphraseLen && len(strings.Fields(pw)) >= 3 {
		return nil // a passphrase
	}
	if n >= MinPasswordLen && characterClasses(pw) >= 3 {
		return nil
	}
	return &PasswordFault{"weak_password",
		"密码强度不足：至少 10 位并包含大写字母、小写字母、数字、其他符号中的三类；或使用至少 16 个字符、由空格分隔的三个以上词语组成的口令短语。"}
}

// characterClasses counts the classes (lower, upper, digit, other) present in pw.
func characterClasses(pw string) int {
	var lower, upper, digit, other bool
	for _, r := range pw {
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case unicode.IsSpace(r):
		default:
			other = true
		}
	}
	n := 0
	for _, b := range []bool{lower, upper, digit, other} {
		if b {
			n++
		}
	}
	return n
}

// PasswordExpires reports whether passwords of role expire; the officials' and the
// administrators' do.
func PasswordExpires(role string) bool {
	switch role {
	case RoleRegionOfficial, RoleRegionCentre, RoleLeagueOfficial, RoleCountyOfficial:
		return true
	}
	return IsAdminRole(role)
}

// PasswordExpired reports whether a password of role set at changed has expired at now under
// maxAge (zero or negative: never).
func PasswordExpired(role string, changed, now time.Time, maxAge time.Duration) bool {
	return maxAge > 0 && PasswordExpires(role) && !changed.IsZero() && !now.Before(changed.Add(maxAge))
}

// ChosenPasswordAllowed reports whether an administrator may type the first password of an
// account of role. The region's and the centre's officials and the administrators get a
// generated one-time code instead, which they must change at their first login.
func ChosenPasswordAllowed(role string) bool {
	switch role {
	case RoleRegionOfficial, RoleRegionCentre:
		return false
	}
	return !IsAdminRole(role)
}

// SecondFactorRequired reports whether accounts of role must log in with a second factor
// (TOTP) where the deployment requires it (SKILLCERT_2FA_REQUIRED): the administrators, the
// region's officials and the region's appraisal centre.
func SecondFactorRequired(role string) bool {
	return role == RoleRegionOfficial || role == RoleRegionCentre || IsAdminRole(role)
}
