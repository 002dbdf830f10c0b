package validate

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkFaultShape fails unless err is nil or a *Fault carrying a code and a
// message.
func checkFaultShape(t *testing.T, call string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var f *Fault
	if !errors.As(err, &f) {
		t.Fatalf("%s returned %T %v, want *Fault", call, err, err)
	}
	if f.Code == "" || f.Message == "" {
		t.Fatalf("%s returned a fault without code or message: %+v", call, f)
	}
}

// checkNormalizer asserts the Normalize/Check contract for s: Normalize is
// idempotent, a valid value is left unchanged, and a value valid after
// normalisation stays valid when normalised again.
func checkNormalizer(t *testing.T, s string, normalize func(string) string, check func(string) error) {
	t.Helper()
	n := normalize(s)
	if nn := normalize(n); nn != n {
		t.Fatalf("normalize not idempotent: %q -> %q -> %q", s, n, nn)
	}
	err := check(s)
	checkFaultShape(t, "check(s)", err)
	if err == nil && n != s {
		t.Fatalf("normalize changed the valid value %q into %q", s, n)
	}
	errN := check(n)
	checkFaultShape(t, "check(normalize(s))", errN)
	if err == nil && errN != nil {
		t.Fatalf("valid %q became invalid after normalisation (%q): %v", s, n, errN)
	}
}

func FuzzCheckCreditCode(f *testing.F) {
	for _, s := range []string{"91440101MA5CJQ4N59", "91350200776049653A", "913502000728319549",
		"91440101ma5cjq4n59", " 9144 0101 MA5C JQ4N 58", "", "I", "九1440101MA5CJQ4N59", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, s, NormalizeCreditCode, CheckCreditCode)
		if err := CheckCreditCode(s); err == nil {
			c, err := CreditCodeCheckChar(s[:17])
			if err != nil || c != s[17] {
				t.Fatalf("valid %q but CreditCodeCheckChar = %q, %v", s, c, err)
			}
		}
	})
}

func FuzzCheckIDNumber(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "340524198001010013", "11010519491231002x",
		"150102199001011230", "01010519491231002X", "150102198002300011", "", "1501021990010112３0"} {
		f.Add(s)
	}
	today := time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		check := func(s string) error { return CheckIDNumber(s, today) }
		checkNormalizer(t, s, NormalizeIDNumber, check)
		birth, birthErr := IDBirthDate(s)
		checkFaultShape(t, "IDBirthDate", birthErr)
		_ = IDIsMale(s)
		masked := MaskIDNumber(s)
		if strings.Trim(masked, "*") != "" && utf8.RuneCountInString(masked) != IDNumberLen {
			t.Fatalf("MaskIDNumber(%q) = %q leaks characters of a malformed number", s, masked)
		}
		if check(s) != nil {
			return
		}
		if birthErr != nil || birth.After(today) || birth.Year() < 1900 {
			t.Fatalf("valid %q but IDBirthDate = %v, %v", s, birth, birthErr)
		}
		if want := s[:6] + "********" + s[14:]; masked != want {
			t.Fatalf("MaskIDNumber(%q) = %q, want %q", s, masked, want)
		}
	})
}

func FuzzCheckMobile(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "8613800138000", "008613800138000",
		"+868613800138000", "12812345678", "", "1380013800a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, s, NormalizeMobile, CheckMobile)
	})
}

func FuzzCheckLandline(f *testing.F) {
	for _, s := range []string{"(0471)6606214", "0471-6606214", "0471 6606214", "0471-6606214转123",
		"（0471）6606214", " 0471－6606214 ", "04716606214", "", "0471  6606214-12"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, s, NormalizeLandline, CheckLandline)
	})
}

func FuzzCheckEmail(f *testing.F) {
	for _, s := range []string{"zhang@example.cn", " Zhang@Example.COM ", "张三 <zhang@example.cn>",
		"zhang@localhost", "", "a@b@c.d", `"a b"@example.com`, "a@[127.0.0.1]", "用户@例子.中国"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := NormalizeEmail(s)
		if nn := NormalizeEmail(n); nn != n {
			t.Fatalf("NormalizeEmail not idempotent: %q -> %q -> %q", s, n, nn)
		}
		err := CheckEmail(s)
		checkFaultShape(t, "CheckEmail", err)
		errN := CheckEmail(n)
		checkFaultShape(t, "CheckEmail(normalized)", errN)
		if err == nil && errN != nil {
			t.Fatalf("valid %q became invalid after normalisation (%q): %v", s, n, errN)
		}
	})
}

func FuzzCheckOccupationCodeFormat(f *testing.F) {
	for _, s := range []string{"6-31-01-03", "6－31－01－03", " 6 - 31 - 01 - 03 ", "9-01-00-01", "", "6-3a-01-03"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, s, NormalizeOccupationCode, CheckOccupationCodeFormat)
	})
}

func FuzzParseLevelRange(f *testing.F) {
	for _, s := range []string{"五级至三级", "5-3", "三级", "3", "三级/高级工", "三级至五级", "至", "-", "", "高级技师"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		checkFaultShape(t, "ParseLevel", err)
		if err == nil {
			for _, form := range []string{l.Name(), l.ShortName(), l.String()} {
				if back, err := ParseLevel(form); err != nil || back != l {
					t.Fatalf("ParseLevel(%q) = %v, %v; want %d", form, back, err, l)
				}
			}
		}
		r, err := ParseLevelRange(s)
		checkFaultShape(t, "ParseLevelRange", err)
		if err != nil {
			if r != (LevelRange{}) {
				t.Fatalf("ParseLevelRange(%q) failed but returned %+v", s, r)
			}
			return
		}
		if r.Validate() != nil || !r.Within(FullRange()) || len(r.Levels()) == 0 {
			t.Fatalf("ParseLevelRange(%q) = %+v, which is not a valid range", s, r)
		}
		if back, err := ParseLevelRange(r.String()); err != nil || back != r {
			t.Fatalf("ParseLevelRange(%q) = %+v, %v; want %+v", r.String(), back, err, r)
		}
	})
}

func FuzzCheckCertificateNumber(f *testing.F) {
	for _, s := range []string{"Y000015000123263000001", "S123415999999251999999", "1234567890123456",
		" y0000 15 000123 26 3 000001", "Y000015000123260000001", "Y000015000123263000000", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkNormalizer(t, s, NormalizeCertificateNumber, CheckCertificateNumber)
		c, err := ParseCertificateNumber(s)
		checkFaultShape(t, "ParseCertificateNumber", err)
		if (err == nil) != (CheckCertificateNumber(s) == nil) {
			t.Fatalf("ParseCertificateNumber and CheckCertificateNumber disagree on %q", s)
		}
		if err != nil || c.Serial == 0 {
			return // serial 000000 matches the pattern but is never issued
		}
		back, err := FormatCertificateNumber(c.Kind, c.Filing, c.Province, c.Site, c.Year, c.Level, c.Serial)
		if err != nil && c.Province != "00" {
			t.Fatalf("FormatCertificateNumber(%+v): %v", c, err)
		}
		if err == nil && back != s {
			t.Fatalf("round trip %q -> %+v -> %q", s, c, back)
		}
	})
}

func FuzzFormatCertificateNumber(f *testing.F) {
	f.Add(byte('Y'), "0000", "15", "000123", 2026, 3, 1)
	f.Add(byte('S'), "1234", "11", "999999", 2099, 1, 999999)
	f.Add(byte('X'), "00", "1", "abc", -1, 9, -5)
	f.Fuzz(func(t *testing.T, kind byte, filing, province, site string, year, level, serial int) {
		s, err := FormatCertificateNumber(kind, filing, province, site, year, Level(level), serial)
		checkFaultShape(t, "FormatCertificateNumber", err)
		if err != nil {
			if s != "" {
				t.Fatalf("FormatCertificateNumber failed but returned %q", s)
			}
			return
		}
		if err := CheckCertificateNumber(s); err != nil {
			t.Fatalf("FormatCertificateNumber produced invalid %q: %v", s, err)
		}
		c, err := ParseCertificateNumber(s)
		want := CertificateNumber{Kind: kind, Filing: filing, Province: province, Site: site, Year: year, Level: Level(level), Serial: serial}
		if err != nil || c != want {
			t.Fatalf("ParseCertificateNumber(%q) = %+v, %v; want %+v", s, c, err, want)
		}
	})
}

func FuzzCheckFee(f *testing.F) {
	for _, s := range []string{"0", "1200", "1200.5", "1200.50", " 380 ", "-1", "1,200", "1e3", ".5",
		"92233720368547758.07", "92233720368547758.08", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cents, err := CheckFee(s)
		checkFaultShape(t, "CheckFee", err)
		if err != nil {
			if cents != 0 {
				t.Fatalf("CheckFee(%q) failed but returned %d", s, cents)
			}
			return
		}
		if cents < 0 {
			t.Fatalf("CheckFee(%q) = %d, want non-negative", s, cents)
		}
		if back, err := CheckFee(FormatFee(cents)); err != nil || back != cents {
			t.Fatalf("CheckFee(FormatFee(%d)) = %d, %v", cents, back, err)
		}
	})
}
