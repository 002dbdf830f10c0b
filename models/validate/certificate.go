package validate

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Certificate number layout (职业技能等级证书编码规则), 22 characters, no check
// digit: kind (1), filing authority (4), province (2), site (6), year (2),
// level (1), serial (6).
const (
	// CertificateNumberLen is the length of a current certificate number.
	CertificateNumberLen = 22
	// OldCertificateNumberLen is the length of the all-digit numbers used
	// before 2019.
	OldCertificateNumberLen = 16
	// CertificateKindEmployer marks certificates issued by an employer, the
	// pilot enterprises' case.
	CertificateKindEmployer byte = 'Y'
	// CertificateKindSocial marks certificates issued by a social training and
	// evaluation organisation.
	CertificateKindSocial byte = 'S'
	// ProvinceFiling is the filing code of an organisation filed with a
	// province-level department rather than nationally.
	ProvinceFiling = "0000"
)

// Sentinels for the faults of CheckCertificateNumber, ParseCertificateNumber
// and FormatCertificateNumber; an empty number gives ErrRequired.
var (
	// ErrOldCertificateNumber is a 16-digit number in the pre-2019 format.
	// It is a real certificate number, just not one this scheme can decode,
	// so a query should explain that rather than call it wrong.
	ErrOldCertificateNumber = fault("certificate_number_old",
		"这是2019年以前颁发的16位旧版证书编号，不适用现行22位编码规则，请通过原发证机构或人力资源社会保障部门的证书查询渠道核验")
	// ErrCertificateNumberLength is a number of neither 22 nor 16 digits.
	ErrCertificateNumberLength = fault("certificate_number_length", "证书编号应为22位")
	// ErrCertificateNumberKind is a first character other than Y or S.
	ErrCertificateNumberKind = fault("certificate_number_kind", "证书编号第1位应为Y或S")
	// ErrCertificateNumberChar is a non-digit in positions 2 to 22.
	ErrCertificateNumberChar = fault("certificate_number_char", "证书编号第2至22位应为数字")
	// ErrCertificateNumberLevel is a level digit (position 16) outside 1 to 5.
	ErrCertificateNumberLevel = fault("certificate_number_level", "证书编号第16位等级代码应为1至5")
	// ErrCertificateNumberPart is an out-of-range part passed to
	// FormatCertificateNumber.
	ErrCertificateNumberPart = fault("certificate_number_part", "证书编号的组成部分无效")
)

// CertificateNumber is a certificate number taken apart.
type CertificateNumber struct {
	// Kind is CertificateKindEmployer ('Y') or CertificateKindSocial ('S').
	Kind byte
	// Filing is the 4-digit filing code, ProvinceFiling ("0000") for a
	// province-level filing, 0001 to 9999 for a national one.
	Filing string
	// Province is the 2-digit province code, "15" for Inner Mongolia.
	Province string
	// Site is the 6-digit serial the province assigned to the evaluating
	// organisation.
	Site string
	// Year is the issue year, 2000 to 2099 (the number holds its last two digits).
	Year int
	// Level is the skill level certified.
	Level Level
	// Serial is the organisation's running number, restarting each year and level.
	Serial int
}

// NormalizeCertificateNumber removes all whitespace and converts s to upper
// case.
func NormalizeCertificateNumber(s string) string {
	return strings.ToUpper(stripSpace(s))
}

// CheckCertificateNumber checks a certificate number in canonical form
// against ^[YS]\d{14}[1-5]\d{6}$. A 16-digit number gives
// ErrOldCertificateNumber, distinct from the format faults, so that a query
// can say it is an old certificate instead of rejecting it. Normalise user
// input with NormalizeCertificateNumber first.
func CheckCertificateNumber(s string) error {
	if s == "" {
		return fault(ErrRequired.Code, "请填写证书编号")
	}
	if len(s) == OldCertificateNumberLen && allDigits(s) {
		return ErrOldCertificateNumber
	}
	if n := utf8.RuneCountInString(s); n != CertificateNumberLen || len(s) != CertificateNumberLen {
		return fault(ErrCertificateNumberLength.Code, fmt.Sprintf("证书编号应为22位（如Y000015000123263000001），实际为%d位", n))
	}
	if s[0] != CertificateKindEmployer && s[0] != CertificateKindSocial {
		return fault(ErrCertificateNumberKind.Code, fmt.Sprintf(
			"证书编号第1位应为Y（用人单位）或S（社会培训评价组织），实际为“%s”", quoteByte(s[0])))
	}
	for i := 1; i < CertificateNumberLen; i++ {
		if c := s[i]; c < '0' || c > '9' {
			return fault(ErrCertificateNumberChar.Code, fmt.Sprintf("证书编号第%d位应为数字，实际为“%s”", i+1, quoteByte(c)))
		}
	}
	if c := s[15]; c < '1' || c > '5' {
		return fault(ErrCertificateNumberLevel.Code, fmt.Sprintf("证书编号第16位等级代码应为1至5，实际为%c", c))
	}
	return nil
}

// ParseCertificateNumber checks s like CheckCertificateNumber and returns its
// parts. The two-digit year is read as 20YY.
func ParseCertificateNumber(s string) (CertificateNumber, error) {
	if err := CheckCertificateNumber(s); err != nil {
		return CertificateNumber{}, err
	}
	return CertificateNumber{
		Kind:     s[0],
		Filing:   s[1:5],
		Province: s[5:7],
		Site:     s[7:13],
		Year:     2000 + atoiDigits(s[13:15]),
		Level:    Level(s[15] - '0'),
		Serial:   atoiDigits(s[16:22]),
	}, nil
}

// FormatCertificateNumber builds a certificate number from its parts: kind
// 'Y' or 'S', a 4-digit filing code ("0000" for a province-level filing), a
// 2-digit province code, a 6-digit site serial, the issue year (2000 to
// 2099), the level and a serial from 1 to 999999. For site 000123, year 2026,
// level 3 and serial 1 of an employer filed in Inner Mongolia it gives
// Y000015000123263000001.
func FormatCertificateNumber(kind byte, filing string, province string, site string, year int, level Level, serial int) (string, error) {
	switch {
	case kind != CertificateKindEmployer && kind != CertificateKindSocial:
		return "", partFault("证书类别应为Y（用人单位）或S（社会培训评价组织），实际为“%s”", quoteByte(kind))
	case len(filing) != 4 || !allDigits(filing):
		return "", partFault("备案代码应为4位数字（省级备案为0000），实际为“%s”", clip(filing))
	case len(province) != 2 || !allDigits(province) || province == "00":
		return "", partFault("省份代码应为2位数字（内蒙古为15），实际为“%s”", clip(province))
	case len(site) != 6 || !allDigits(site):
		return "", partFault("评价机构站点编号应为6位数字，实际为“%s”", clip(site))
	case year < 2000 || year > 2099:
		return "", partFault("发证年份应在2000至2099年之间，实际为%d", year)
	case !level.Valid():
		return "", partFault("证书等级应为1至5，实际为%d", int(level))
	case serial < 1 || serial > 999999:
		return "", partFault("证书流水号应为1至999999，实际为%d", serial)
	}
	var b strings.Builder
	b.Grow(CertificateNumberLen)
	b.WriteByte(kind)
	b.WriteString(filing)
	b.WriteString(province)
	b.WriteString(site)
	writePadded(&b, year%100, 2)
	b.WriteByte(byte('0' + level))
	writePadded(&b, serial, 6)
	return b.String(), nil
}

func partFault(format string, args ...any) *Fault {
	return fault(ErrCertificateNumberPart.Code, fmt.Sprintf(format, args...))
}

// writePadded writes the non-negative n with leading zeros to width digits.
func writePadded(b *strings.Builder, n, width int) {
	var buf [20]byte
	d := strconv.AppendInt(buf[:0], int64(n), 10)
	for i := len(d); i < width; i++ {
		b.WriteByte('0')
	}
	b.Write(d)
}

// allDigits reports whether s is non-empty and all ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quoteByte renders a single byte for a message.
func quoteByte(c byte) string {
	if c < utf8.RuneSelf {
		return quoteRune(rune(c))
	}
	return fmt.Sprintf("0x%02X", c)
}
