package validate

import (
	"math"
	"testing"
)

func TestCheckFee(t *testing.T) {
	tests := []struct {
		in        string
		want      int64
		code      string
		fragments []string
	}{
		{"0", 0, "", nil},
		{"1200", 120000, "", nil},
		{"1200.5", 120050, "", nil},
		{"1200.50", 120050, "", nil},
		{"1200.05", 120005, "", nil},
		{"0.01", 1, "", nil},
		{"007", 700, "", nil},
		{" 380 ", 38000, "", nil},
		{"92233720368547758.07", math.MaxInt64, "", nil},
		{"", 0, "required", []string{"请填写金额"}},
		{"   ", 0, "required", nil},
		{"-1", 0, "fee_negative", []string{"“-1”", "不能为负数"}},
		{"-0.50", 0, "fee_negative", nil},
		{"－5", 0, "fee_negative", nil},
		{"1200.505", 0, "fee_precision", []string{"两位小数"}},
		{"0.001", 0, "fee_precision", nil},
		{"+1", 0, "fee_format", nil},
		{"1,200", 0, "fee_format", []string{"“1,200”", "1200.50"}},
		{"1200元", 0, "fee_format", nil},
		{"￥1200", 0, "fee_format", nil},
		{"1e3", 0, "fee_format", nil},
		{".5", 0, "fee_format", nil},
		{"5.", 0, "fee_format", nil},
		{"1.2.3", 0, "fee_format", nil},
		{"NaN", 0, "fee_format", nil},
		{"12 00", 0, "fee_format", nil},
		{"１２００", 0, "fee_format", nil},
		{"92233720368547758.08", 0, "fee_too_large", nil},
		{"92233720368547759", 0, "fee_too_large", []string{"过大"}},
		{"99999999999999999999999", 0, "fee_too_large", nil},
	}
	for _, tt := range tests {
		got, err := CheckFee(tt.in)
		wantFault(t, "CheckFee("+tt.in+")", err, tt.code, tt.fragments...)
		if got != tt.want {
			t.Errorf("CheckFee(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestFormatFee(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0.00"},
		{1, "0.01"},
		{120050, "1200.50"},
		{120000, "1200.00"},
		{-5, "-0.05"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := FormatFee(tt.in); got != tt.want {
			t.Errorf("FormatFee(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
