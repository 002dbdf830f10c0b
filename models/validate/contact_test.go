package validate

import "testing"

func TestNormalizeMobile(t *testing.T) {
	tests := []struct{ in, want string }{
		{"13800138000", "13800138000"},
		{"+8613800138000", "13800138000"},
		{"+86 138-0013-8000", "13800138000"},
		{"8613800138000", "13800138000"},
		{"008613800138000", "13800138000"},
		{" 138 0013 8000 ", "13800138000"},
		{"+86-19912345678", "19912345678"},
		// 86 followed by something that is not a mobile number stays.
		{"8612345", "8612345"},
		{"+868613800138000", "+868613800138000"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeMobile(tt.in); got != tt.want {
			t.Errorf("NormalizeMobile(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckMobile(t *testing.T) {
	tests := []struct {
		in        string
		code      string
		fragments []string
	}{
		{"13800138000", "", nil},
		{"13012345678", "", nil},
		{"19912345678", "", nil},
		{"16612345678", "", nil},
		{"", "required", []string{"请填写手机号码"}},
		{"12812345678", "mobile_format", []string{"“12812345678”", "13至19开头的11位数字"}},
		{"10012345678", "mobile_format", nil},
		{"23800138000", "mobile_format", nil},
		{"1380013800", "mobile_format", nil},
		{"138001380000", "mobile_format", nil},
		{"1380013800a", "mobile_format", nil},
		{"+8613800138000", "mobile_format", nil}, // not normalised
		{"138-0013-8000", "mobile_format", nil},  // not normalised
	}
	for _, tt := range tests {
		wantFault(t, "CheckMobile("+tt.in+")", CheckMobile(tt.in), tt.code, tt.fragments...)
	}
}

func TestNormalizeLandline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"(0471)6606214", "(0471)6606214"},
		{"（0471）6606214", "(0471)6606214"},
		{" 0471－6606214 ", "0471-6606214"},
		{"0471  6606214", "0471 6606214"},
		{"0471\u30006606214", "0471 6606214"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeLandline(tt.in); got != tt.want {
			t.Errorf("NormalizeLandline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckLandline(t *testing.T) {
	tests := []struct {
		in        string
		code      string
		fragments []string
	}{
		{"(0471)6606214", "", nil},
		{"0471-6606214", "", nil},
		{"0471 6606214", "", nil},
		{"010-12345678", "", nil},
		{"(010)12345678", "", nil},
		{"0471-6606214-123", "", nil},
		{"0471-6606214转123", "", nil},
		{"(0471)6606214转8001", "", nil},
		{"", "required", []string{"请填写固定电话"}},
		{"6606214", "landline_format", []string{"“6606214”", "0471-6606214"}},
		{"04716606214", "landline_format", nil},
		{"471-6606214", "landline_format", nil},
		{"04711-6606214", "landline_format", nil},
		{"01-6606214", "landline_format", nil},
		{"0471-660621", "landline_format", nil},
		{"0471-660621412", "landline_format", nil},
		{"(0471-6606214", "landline_format", nil},
		{"(0471)-6606214", "landline_format", nil},
		{"0471-6606214-", "landline_format", nil},
		{"0471-6606214转", "landline_format", nil},
		{"0471-6606214-1234567", "landline_format", nil},
		{"0471-6606214分机123", "landline_format", nil},
		{"13800138000", "landline_format", nil},
	}
	for _, tt := range tests {
		wantFault(t, "CheckLandline("+tt.in+")", CheckLandline(tt.in), tt.code, tt.fragments...)
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct{ in, want string }{
		{"zhang@example.cn", "zhang@example.cn"},
		{"  Zhang.San@Example.COM\n", "Zhang.San@example.com"},
		{"a@b@C.com", "a@b@c.com"},
		{"noat", "noat"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeEmail(tt.in); got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCheckEmail(t *testing.T) {
	tests := []struct {
		in        string
		code      string
		fragments []string
	}{
		{"zhang@example.cn", "", nil},
		{"hr.office+cert@nmg.gov.cn", "", nil},
		{"Zhang.San@example.com", "", nil},
		{"a_b-c@mail.example-site.com.cn", "", nil},
		{"", "required", []string{"请填写电子邮箱"}},
		{"zhang", "email_format", []string{"“zhang”", "name@example.com"}},
		{"zhang@", "email_format", nil},
		{"@example.cn", "email_format", nil},
		{"zhang@@example.cn", "email_format", nil},
		{"zhang san@example.cn", "email_format", nil},
		{"zhang@example..cn", "email_format", nil},
		{"张三 <zhang@example.cn>", "email_display_name", []string{"不要包含姓名"}},
		{"<zhang@example.cn>", "email_display_name", nil},
		{"zhang@example.cn (张三)", "email_display_name", nil},
		{" zhang@example.cn", "email_display_name", nil},
		{"zhang@localhost", "email_domain", []string{"“localhost”", "example.com"}},
	}
	for _, tt := range tests {
		wantFault(t, "CheckEmail("+tt.in+")", CheckEmail(tt.in), tt.code, tt.fragments...)
	}
}
