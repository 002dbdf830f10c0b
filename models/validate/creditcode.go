package validate

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// creditCodeAlphabet is the 31-symbol alphabet of GB 32100-2015; a
// character's value is its index. I, O, S, V and Z are left out.
const creditCodeAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are 3^(i-1) mod 31 for positions 1 to 17.
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCodeValue maps an ASCII byte to its value in the alphabet, or -1.
var creditCodeValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := 0; i < len(creditCodeAlphabet); i++ {
		v[creditCodeAlphabet[i]] = int8(i)
	}
	return v
}()

// CreditCodeLen is the length of a unified social credit code.
const CreditCodeLen = 18

// Sentinels for the faults of CheckCreditCode; an empty code gives ErrRequired.
var (
	// ErrCreditCodeLength is a code that is not 18 characters long.
	ErrCreditCodeLength = fault("credit_code_length", "统一社会信用代码应为18位")
	// ErrCreditCodeChar is a character outside the 31-symbol alphabet.
	ErrCreditCodeChar = fault("credit_code_char", "统一社会信用代码含有不允许的字符")
	// ErrCreditCodeCheck is a check character that does not match the first 17
	// characters. A small number of genuine codes fail the check, so a region
	// official may override exactly this fault (and record it in the audit);
	// test for it with errors.Is.
	ErrCreditCodeCheck = fault("credit_code_check", "统一社会信用代码校验位不符")
)

// NormalizeCreditCode trims s, removes all whitespace inside it and converts
// it to upper case.
func NormalizeCreditCode(s string) string {
	return strings.ToUpper(stripSpace(s))
}

// CheckCreditCode checks a unified social credit code (GB 32100-2015) in
// canonical form: 18 characters from the alphabet 0-9 and A-Y without I, O,
// S, V, Z, the last being the check character. Normalise user input with
// NormalizeCreditCode first.
func CheckCreditCode(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写统一社会信用代码")
	}
	if n := utf8.RuneCountInString(s); n != CreditCodeLen {
		return fault(ErrCreditCodeLength.Code, fmt.Sprintf("统一社会信用代码应为18位，实际为%d位", n))
	}
	pos := 0
	for _, r := range s {
		pos++
		if r >= utf8.RuneSelf || creditCodeValue[r] < 0 {
			return fault(ErrCreditCodeChar.Code, fmt.Sprintf(
				"统一社会信用代码第%d位字符“%s”不允许，只能是数字或除I、O、S、V、Z以外的大写字母", pos, quoteRune(r)))
		}
	}
	// The message never names the "right" last character (see CheckIDNumber).
	if want, _ := CreditCodeCheckChar(s[:17]); s[17] != want {
		return fault(ErrCreditCodeCheck.Code, "统一社会信用代码未通过校验，可能有字符录入错误，请对照营业执照逐位核对")
	}
	return nil
}

// CreditCodeCheckChar computes the check character for the first 17
// characters of a unified social credit code. It is exported for building
// valid codes in tests and seed data.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fault(ErrCreditCodeLength.Code, fmt.Sprintf("计算校验位需要统一社会信用代码前17位，实际为%d个字节", len(first17)))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := creditCodeValue[first17[i]]
		if v < 0 {
			return 0, fault(ErrCreditCodeChar.Code, fmt.Sprintf(
				"统一社会信用代码第%d位字符不允许，只能是数字或除I、O、S、V、Z以外的大写字母", i+1))
		}
		sum += int(v) * creditCodeWeights[i]
	}
	return creditCodeAlphabet[(31-sum%31)%31], nil
}

// stripSpace removes every Unicode white-space character from s, including
// the ideographic space U+3000 that Chinese input methods produce.
func stripSpace(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// quoteRune renders r for a message, naming invisible or invalid characters.
func quoteRune(r rune) string {
	switch {
	case r == utf8.RuneError:
		return "非法编码"
	case unicode.IsSpace(r):
		return "空格"
	case !unicode.IsPrint(r):
		return fmt.Sprintf("U+%04X", r)
	}
	return string(r)
}
