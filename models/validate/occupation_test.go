package validate

import "testing"

func TestCheckOccupationCodeFormat(t *testing.T) {
	tests := []struct {
		in        string
		code      string
		fragments []string
	}{
		{"6-31-01-03", "", nil},
		{"1-01-00-01", "", nil},
		{"8-00-00-00", "", nil},
		{"6-02-04-02", "", nil},
		{"", "required", []string{"请填写职业编码"}},
		{"0-01-00-01", "occupation_code_major", []string{"1至8", "实际为0"}},
		{"9-01-00-01", "occupation_code_major", []string{"实际为9"}},
		{"6-31-01-3", "occupation_code_format", []string{"“6-31-01-3”", "M-MM-MM-MM"}},
		{"6310103", "occupation_code_format", nil},
		{"6-31-01-031", "occupation_code_format", nil},
		{"6.31.01.03", "occupation_code_format", nil},
		{"6-3a-01-03", "occupation_code_format", nil},
		{"6－31－01－03", "occupation_code_format", nil}, // not normalised
		{" 6-31-01-03", "occupation_code_format", nil},
		{"X-31-01-03", "occupation_code_format", nil},
	}
	for _, tt := range tests {
		wantFault(t, "CheckOccupationCodeFormat("+tt.in+")", CheckOccupationCodeFormat(tt.in), tt.code, tt.fragments...)
	}
}

func TestNormalizeOccupationCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"6-31-01-03", "6-31-01-03"},
		{" 6－31－01－03 ", "6-31-01-03"},
		{"6 - 31 - 01 - 03", "6-31-01-03"},
		{"6—31—01—03", "6-31-01-03"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeOccupationCode(tt.in); got != tt.want {
			t.Errorf("NormalizeOccupationCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
