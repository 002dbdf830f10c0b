package domain

import "errors"

// MaxStaffIDLen is the longest staff ID (工号) an official's account may carry.
const MaxStaffIDLen = 32

// ErrStaffID is the one message for a staff ID that breaks the rule, wherever it is typed (the
// account page, the API, the roster of bootstrap).
var ErrStaffID = errors.New("工号应为 1 至 32 位字母、数字、连字符或下划线")

// CheckStaffID checks a staff ID (工号): 1 to MaxStaffIDLen ASCII letters, digits, hyphens or
// underscores — what the unified identity platforms put in their ID tokens, and nothing a
// look-alike character could forge.
func CheckStaffID(v string) error {
	if v == "" || len(v) > MaxStaffIDLen {
		return ErrStaffID
	}
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		default:
			return ErrStaffID
		}
	}
	return nil
}
