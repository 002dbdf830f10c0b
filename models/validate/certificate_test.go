package validate

import (
	"errors"
	"testing"
)

func TestCheckCertificateNumber(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		code      string
		fragments []string
	}{
		{"domain example", "Y000015000123263000001", "", nil},
		{"social organisation, national filing", "S123415999999251999999", "", nil},
		{"level 1", "Y000015000001191000001", "", nil},
		{"level 5", "Y000015000001265000010", "", nil},
		{"empty", "", "required", []string{"请填写证书编号"}},
		{"old 16 digits", "1234567890123456", "certificate_number_old", []string{"2019年以前", "16位旧版"}},
		{"21 characters", "Y00001500012326300000", "certificate_number_length", []string{"应为22位", "实际为21位"}},
		{"15 digits", "123456789012345", "certificate_number_length", []string{"实际为15位"}},
		{"16 with a letter", "123456789012345X", "certificate_number_length", []string{"实际为16位"}},
		{"lowercase y", "y000015000123263000001", "certificate_number_kind", []string{"第1位应为Y", "“y”"}},
		{"kind Z", "Z000015000123263000001", "certificate_number_kind", []string{"“Z”"}},
		{"digit first", "0000015000123263000001", "certificate_number_kind", nil},
		{"letter in site", "Y0000150001A3263000001", "certificate_number_char", []string{"第12位应为数字", "“A”"}},
		{"letter in serial", "Y00001500012326300000X", "certificate_number_char", []string{"第22位"}},
		{"letter at level", "Y00001500012326X000001", "certificate_number_char", []string{"第16位"}},
		{"level 0", "Y000015000123260000001", "certificate_number_level", []string{"1至5", "实际为0"}},
		{"level 6", "Y000015000123266000001", "certificate_number_level", []string{"实际为6"}},
		{"full-width char", "Y00001500012326300000１", "certificate_number_length", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFault(t, "CheckCertificateNumber("+tt.in+")", CheckCertificateNumber(tt.in), tt.code, tt.fragments...)
		})
	}
}

func TestOldCertificateNumberIsDistinct(t *testing.T) {
	err := CheckCertificateNumber("1234567890123456")
	if !errors.Is(err, ErrOldCertificateNumber) {
		t.Errorf("CheckCertificateNumber(16 digits) = %v, want ErrOldCertificateNumber", err)
	}
	for _, in := range []string{"Y00001500012326300000", "Z000015000123263000001", "123456789012345"} {
		if err := CheckCertificateNumber(in); errors.Is(err, ErrOldCertificateNumber) {
			t.Errorf("CheckCertificateNumber(%q) = %v, must not match ErrOldCertificateNumber", in, err)
		}
	}
}

func TestNormalizeCertificateNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Y000015000123263000001", "Y000015000123263000001"},
		{" y0000 15 000123 26 3 000001\n", "Y000015000123263000001"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeCertificateNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeCertificateNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatCertificateNumber(t *testing.T) {
	type args struct {
		kind                   byte
		filing, province, site string
		year                   int
		level                  Level
		serial                 int
	}
	tests := []struct {
		name      string
		a         args
		want      string
		code      string
		fragments []string
	}{
		{"domain example", args{'Y', "0000", "15", "000123", 2026, Level3, 1}, "Y000015000123263000001", "", nil},
		{"social, national, max serial", args{'S', "1234", "11", "999999", 2099, Level1, 999999}, "S123411999999991999999", "", nil},
		{"year 2000", args{'Y', ProvinceFiling, "15", "000001", 2000, Level5, 42}, "Y000015000001005000042", "", nil},
		{"bad kind", args{'X', "0000", "15", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"证书类别", "“X”"}},
		{"lowercase kind", args{'y', "0000", "15", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"证书类别"}},
		{"short filing", args{'Y', "000", "15", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"备案代码", "“000”"}},
		{"letter filing", args{'Y', "00A0", "15", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"备案代码"}},
		{"province 00", args{'Y', "0000", "00", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"省份代码"}},
		{"province 3 digits", args{'Y', "0000", "150", "000123", 2026, Level3, 1}, "", "certificate_number_part", []string{"省份代码"}},
		{"short site", args{'Y', "0000", "15", "123", 2026, Level3, 1}, "", "certificate_number_part", []string{"站点编号", "“123”"}},
		{"two-digit year", args{'Y', "0000", "15", "000123", 26, Level3, 1}, "", "certificate_number_part", []string{"发证年份", "实际为26"}},
		{"year 2100", args{'Y', "0000", "15", "000123", 2100, Level3, 1}, "", "certificate_number_part", []string{"发证年份"}},
		{"level 0", args{'Y', "0000", "15", "000123", 2026, 0, 1}, "", "certificate_number_part", []string{"证书等级", "实际为0"}},
		{"serial 0", args{'Y', "0000", "15", "000123", 2026, Level3, 0}, "", "certificate_number_part", []string{"流水号", "实际为0"}},
		{"serial too big", args{'Y', "0000", "15", "000123", 2026, Level3, 1000000}, "", "certificate_number_part", []string{"实际为1000000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := tt.a
			got, err := FormatCertificateNumber(a.kind, a.filing, a.province, a.site, a.year, a.level, a.serial)
			wantFault(t, "FormatCertificateNumber", err, tt.code, tt.fragments...)
			if got != tt.want {
				t.Errorf("FormatCertificateNumber(%+v) = %q, want %q", a, got, tt.want)
			}
			if err != nil {
				return
			}
			parsed, err := ParseCertificateNumber(got)
			if err != nil {
				t.Fatalf("ParseCertificateNumber(%q): %v", got, err)
			}
			want := CertificateNumber{Kind: a.kind, Filing: a.filing, Province: a.province, Site: a.site, Year: a.year, Level: a.level, Serial: a.serial}
			if parsed != want {
				t.Errorf("ParseCertificateNumber(%q) = %+v, want %+v", got, parsed, want)
			}
		})
	}
}

func TestParseCertificateNumber(t *testing.T) {
	got, err := ParseCertificateNumber("Y000015000123263000001")
	if err != nil {
		t.Fatalf("ParseCertificateNumber: %v", err)
	}
	want := CertificateNumber{Kind: 'Y', Filing: "0000", Province: "15", Site: "000123", Year: 2026, Level: Level3, Serial: 1}
	if got != want {
		t.Errorf("ParseCertificateNumber = %+v, want %+v", got, want)
	}
	for _, in := range []string{"", "1234567890123456", "Y000015000123260000001"} {
		got, err := ParseCertificateNumber(in)
		if err == nil || got != (CertificateNumber{}) {
			t.Errorf("ParseCertificateNumber(%q) = %+v, %v; want zero value and an error", in, got, err)
		}
	}
	if _, err := ParseCertificateNumber("1234567890123456"); !errors.Is(err, ErrOldCertificateNumber) {
		t.Errorf("ParseCertificateNumber(old) = %v, want ErrOldCertificateNumber", err)
	}
}
