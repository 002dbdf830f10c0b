package validate

import (
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Sentinels for the faults of CheckMobile, CheckLandline and CheckEmail; an
// empty value gives ErrRequired.
var (
	// ErrMobileFormat is a mobile number that is not 11 digits starting 13 to 19.
	ErrMobileFormat = fault("mobile_format", "手机号码格式不正确")
	// ErrLandlineFormat is a landline number without a valid area code, local
	// number or extension.
	ErrLandlineFormat = fault("landline_format", "固定电话格式不正确")
	// ErrEmailFormat is a string that is not an e-mail address.
	ErrEmailFormat = fault("email_format", "电子邮箱格式不正确")
	// ErrEmailDisplayName is an address with a display name or angle brackets
	// around it, such as "张三 <zhang@example.cn>".
	ErrEmailDisplayName = fault("email_display_name", "电子邮箱只需填写地址本身")
	// ErrEmailDomain is an address whose domain has no dot.
	ErrEmailDomain = fault("email_domain", "电子邮箱域名不完整")
)

// NormalizeMobile removes whitespace and hyphens and then drops a country
// prefix +86, 0086 or 86 when what follows is 11 digits starting with 1, so
// "+86 138-0013-8000" becomes "13800138000".
func NormalizeMobile(s string) string {
	s = stripSpace(s)
	s = strings.ReplaceAll(s, "-", "")
	for _, p := range []string{"+86", "0086", "86"} {
		if rest, ok := strings.CutPrefix(s, p); ok && len(rest) == 11 && rest[0] == '1' {
			return rest
		}
	}
	return s
}

// CheckMobile checks a mainland mobile number in canonical form: 11 digits
// matching ^1[3-9]\d{9}$. Normalise user input with NormalizeMobile first.
func CheckMobile(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写手机号码")
	}
	ok := len(s) == 11 && s[0] == '1' && s[1] >= '3' && s[1] <= '9'
	for i := 2; ok && i < len(s); i++ {
		ok = s[i] >= '0' && s[i] <= '9'
	}
	if !ok {
		return fault(ErrMobileFormat.Code, fmt.Sprintf("手机号码“%s”格式不正确，应为以13至19开头的11位数字", clip(s)))
	}
	return nil
}

// landlinePattern: area code 0 + 2-3 digits, in parentheses or followed by
// a hyphen or space; a 7-8 digit local number; an optional extension written
// -123 or 转123.
var landlinePattern = regexp.MustCompile(`^(?:\(0\d{2,3}\)|0\d{2,3}[- ])\d{7,8}(?:(?:-|转)\d{1,6})?$`)

// NormalizeLandline trims s, turns full-width parentheses and hyphen-like
// dashes into their ASCII forms and collapses runs of inner whitespace to a
// single space. It keeps the separators, which carry the area code boundary.
func NormalizeLandline(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '（':
			return '('
		case '）':
			return ')'
		case '－', '‐', '‑', '–', '—':
			return '-'
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// CheckLandline checks a fixed-line number in canonical form: an area code
// (0 and 2 or 3 digits) in parentheses or followed by "-" or a space, then a
// 7 or 8 digit local number, then optionally an extension written "-123" or
// "转123". Valid: (0471)6606214, 0471-6606214, 010 12345678转801. Normalise
// user input with NormalizeLandline first.
func CheckLandline(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写固定电话")
	}
	if !landlinePattern.MatchString(s) {
		return fault(ErrLandlineFormat.Code, fmt.Sprintf(
			"固定电话“%s”格式不正确，应为区号加7至8位号码，如0471-6606214或(0471)6606214，分机可写作-123或转123", clip(s)))
	}
	return nil
}

// NormalizeEmail trims s and lowers the ASCII letters of the domain; the
// local part is left alone because it may be case-sensitive.
func NormalizeEmail(s string) string {
	s = strings.TrimSpace(s)
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return s
	}
	return s[:at+1] + asciiLower(s[at+1:])
}

// CheckEmail checks a bare e-mail address in canonical form: it must parse
// with net/mail.ParseAddress, carry no display name, comment or angle
// brackets, and have a domain with a dot that neither starts nor ends it.
// Normalise user input with NormalizeEmail first.
func CheckEmail(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写电子邮箱")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil {
		return fault(ErrEmailFormat.Code, fmt.Sprintf("电子邮箱“%s”格式不正确，应形如name@example.com", clip(s)))
	}
	if addr.Name != "" || addr.Address != s {
		return fault(ErrEmailDisplayName.Code, fmt.Sprintf("电子邮箱“%s”只需填写地址本身（如name@example.com），不要包含姓名、尖括号或备注", clip(s)))
	}
	domain := addr.Address[strings.LastIndexByte(addr.Address, '@')+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") {
		return fault(ErrEmailDomain.Code, fmt.Sprintf("电子邮箱域名“%s”不完整，应形如example.com", clip(domain)))
	}
	return nil
}

// asciiLower lowers ASCII letters only, leaving every other byte untouched.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// clip shortens a value quoted in a message to at most 40 characters so that
// a pasted paragraph does not flood the form.
func clip(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return strings.ToValidUTF8(s, "�")
	}
	r := []rune(s)
	return strings.ToValidUTF8(string(r[:max]), "�") + "…"
}
