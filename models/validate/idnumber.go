package validate

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// IDNumberLen is the length of a resident ID number.
const IDNumberLen = 18

// idWeights are the GB 11643-1999 weights for positions 1 to 17.
var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCheckChars maps the weighted sum mod 11 to the check character.
const idCheckChars = "10X98765432"

// Sentinels for the faults of CheckIDNumber; an empty number gives ErrRequired.
var (
	// ErrIDNumberLength is a number that is not 18 characters long.
	ErrIDNumberLength = fault("id_length", "公民身份号码应为18位")
	// ErrIDNumberChar is a non-digit in the first 17 positions, or a last
	// character other than a digit or X.
	ErrIDNumberChar = fault("id_char", "公民身份号码含有不允许的字符")
	// ErrIDNumberDivision is an administrative division code starting with 0.
	ErrIDNumberDivision = fault("id_division", "公民身份号码的行政区划代码无效")
	// ErrIDNumberBirthDate is a birth date that is not a real calendar date,
	// lies in the future or before 1900.
	ErrIDNumberBirthDate = fault("id_birth_date", "公民身份号码中的出生日期无效")
	// ErrIDNumberCheck is a check character that does not match the first 17 digits.
	ErrIDNumberCheck = fault("id_check", "公民身份号码校验位不符")
)

// NormalizeIDNumber trims s, removes all whitespace inside it and converts
// it to upper case, so that a trailing lowercase x becomes X.
func NormalizeIDNumber(s string) string {
	return strings.ToUpper(stripSpace(s))
}

// CheckIDNumber checks an 18-character resident ID number (GB 11643-1999) in
// canonical form: 17 digits and a check character (digit or X), a division
// code not starting with 0 and a birth date that is a real calendar date
// between 1900-01-01 and today inclusive. today is compared by its calendar
// date in its own location; pass the current time. Normalise user input with
// NormalizeIDNumber first.
func CheckIDNumber(s string, today time.Time) error {
	if err := checkIDShape(s); err != nil {
		return err
	}
	if s[0] == '0' {
		return fault(ErrIDNumberDivision.Code, fmt.Sprintf("公民身份号码前6位行政区划代码“%s”无效，不能以0开头", s[:6]))
	}
	birth, err := idBirthDate(s)
	if err != nil {
		return err
	}
	ty, tm, td := today.Date()
	if birth.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return fault(ErrIDNumberBirthDate.Code, fmt.Sprintf("公民身份号码中的出生日期%s晚于今天", birth.Format("2006年01月02日")))
	}
	// The message never names the "right" last character: changing it would make a mistyped
	// number check out, and a wrong but valid number is worse than a refused one.
	if want, _ := IDNumberCheckChar(s[:17]); s[17] != want {
		return fault(ErrIDNumberCheck.Code, "公民身份号码未通过校验，可能有数字录入错误，请对照居民身份证逐位核对")
	}
	return nil
}

// checkIDShape checks emptiness, length and characters.
func checkIDShape(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写公民身份号码")
	}
	if n := utf8.RuneCountInString(s); n != IDNumberLen {
		return fault(ErrIDNumberLength.Code, fmt.Sprintf("公民身份号码应为18位，实际为%d位", n))
	}
	pos := 0
	for _, r := range s {
		pos++
		if r >= '0' && r <= '9' || pos == IDNumberLen && r == 'X' {
			continue
		}
		if pos == IDNumberLen {
			return fault(ErrIDNumberChar.Code, fmt.Sprintf("公民身份号码第18位应为数字或X，实际为“%s”", quoteRune(r)))
		}
		return fault(ErrIDNumberChar.Code, fmt.Sprintf("公民身份号码第%d位应为数字，实际为“%s”", pos, quoteRune(r)))
	}
	return nil
}

// IDNumberCheckChar computes the check character for the first 17 digits of
// a resident ID number. It is exported for building valid numbers in tests
// and seed data.
func IDNumberCheckChar(first17 string) (byte, error) {
	if len(first17) != 17 {
		return 0, fault(ErrIDNumberLength.Code, fmt.Sprintf("计算校验位需要公民身份号码前17位，实际为%d个字节", len(first17)))
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := first17[i]
		if c < '0' || c > '9' {
			return 0, fault(ErrIDNumberChar.Code, fmt.Sprintf("公民身份号码第%d位应为数字", i+1))
		}
		sum += int(c-'0') * idWeights[i]
	}
	return idCheckChars[sum%11], nil
}

// IDBirthDate returns the birth date encoded in positions 7 to 14 of an ID
// number, at midnight UTC (only the calendar date is meaningful). It checks
// the shape of s and that the date is real and not before 1900, but neither
// the check character nor whether the date is in the future: use
// CheckIDNumber for that.
func IDBirthDate(s string) (time.Time, error) {
	if err := checkIDShape(s); err != nil {
		return time.Time{}, err
	}
	return idBirthDate(s)
}

// idBirthDate parses the birth date of an ID number already known to have
// 17 leading digits.
func idBirthDate(s string) (time.Time, error) {
	raw := s[6:14]
	y := atoiDigits(raw[:4])
	m := atoiDigits(raw[4:6])
	d := atoiDigits(raw[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if ty, tm, td := t.Date(); ty != y || int(tm) != m || td != d {
		return time.Time{}, fault(ErrIDNumberBirthDate.Code, fmt.Sprintf("公民身份号码第7至14位出生日期“%s”不是有效日期", raw))
	}
	if y < 1900 {
		return time.Time{}, fault(ErrIDNumberBirthDate.Code, fmt.Sprintf("公民身份号码中的出生日期%s早于1900年", t.Format("2006年01月02日")))
	}
	return t, nil
}

// IDIsMale reports whether the ID number belongs to a man: its 17th
// character, the last of the sequence code, is odd. It returns false for
// anything that is not an 18-character ID number with a digit there.
func IDIsMale(s string) bool {
	if len(s) != IDNumberLen {
		return false
	}
	c := s[16]
	return c >= '0' && c <= '9' && (c-'0')%2 == 1
}

// MaskIDNumber hides an ID number for display: it normalises s and, when the
// result is 18 characters, keeps the first 6 and last 4 and replaces the 8 in
// between (the birth date) with asterisks, as in 150102********123X. Anything
// else is replaced entirely by asterisks, keeping only its length, so a
// malformed number never leaks. ID numbers are sensitive personal
// information: show them only masked outside the record itself.
func MaskIDNumber(s string) string {
	s = NormalizeIDNumber(s)
	n := utf8.RuneCountInString(s)
	if n != IDNumberLen || len(s) != IDNumberLen {
		return strings.Repeat("*", n)
	}
	return s[:6] + strings.Repeat("*", 8) + s[14:]
}

// atoiDigits converts a string of ASCII digits already checked by the caller.
func atoiDigits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}
