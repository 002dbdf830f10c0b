package validate

import (
	"errors"
	"testing"
	"time"
)

var shanghai = time.FixedZone("CST", 8*3600)

// testToday is the "today" of the ID tests.
var testToday = time.Date(2026, 3, 15, 23, 30, 0, 0, shanghai)

// withIDCheck appends the correct check character to 17 digits.
func withIDCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, err := IDNumberCheckChar(first17)
	if err != nil {
		t.Fatalf("IDNumberCheckChar(%q): %v", first17, err)
	}
	return first17 + string(c)
}

func TestCheckIDNumber(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		code      string
		fragments []string
	}{
		{"domain example", "11010519491231002X", "", nil},
		// Computed independently of this package.
		{"computed 1990", "150102199001011230", "", nil},
		{"computed leap day 2000", "15010220000229002X", "", nil},
		{"computed 1985", "150203198512310045", "", nil},
		{"computed first day of 1900", "110101190001010014", "", nil},
		{"computed leap day 2024", "15010220240229001X", "", nil},
		{"computed Xinjiang", "650101197810157777", "", nil},
		{"born today", withIDCheck(t, "15010220260315001"), "", nil},

		{"empty", "", "required", []string{"请填写公民身份号码"}},
		{"15-digit old number", "150102900101123", "id_length", []string{"应为18位", "实际为15位"}},
		{"19 characters", "11010519491231002X0", "id_length", []string{"实际为19位"}},
		{"letter inside", "1101051949123100A2", "id_char", []string{"第17位应为数字", "“A”"}},
		{"lowercase x not normalised", "11010519491231002x", "id_char", []string{"第18位应为数字或X", "“x”"}},
		{"X not last", "X10105194912310020", "id_char", []string{"第1位应为数字"}},
		{"full-width digit", "１1010519491231002X", "id_char", []string{"第1位"}},
		{"division starts with 0", withIDCheck(t, "01010519491231002"), "id_division", []string{"“010105”", "不能以0开头"}},
		{"February 30", withIDCheck(t, "15010219800230001"), "id_birth_date", []string{"“19800230”", "不是有效日期"}},
		{"February 29 non-leap", withIDCheck(t, "15010219000229001"), "id_birth_date", []string{"“19000229”"}},
		{"month 13", withIDCheck(t, "15010219801301001"), "id_birth_date", []string{"“19801301”"}},
		{"day 00", withIDCheck(t, "15010219800100001"), "id_birth_date", []string{"“19800100”"}},
		{"before 1900", withIDCheck(t, "15010218991231001"), "id_birth_date", []string{"1899年12月31日", "早于1900年"}},
		{"tomorrow", withIDCheck(t, "15010220260316001"), "id_birth_date", []string{"2026年03月16日", "晚于今天"}},
		{"far future", withIDCheck(t, "15010230000101001"), "id_birth_date", []string{"晚于今天"}},
		{"domain invalid example", "340524198001010013", "id_check", []string{"未通过校验", "对照居民身份证逐位核对"}},
		{"X where digit expected", "15010219900101123X", "id_check", []string{"未通过校验"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFault(t, "CheckIDNumber("+tt.in+")", CheckIDNumber(tt.in, testToday), tt.code, tt.fragments...)
		})
	}
}

func TestCheckIDNumberTodayUsesItsOwnCalendarDate(t *testing.T) {
	// 2026-03-16 00:30 in Beijing is still 2026-03-15 in UTC: someone born on
	// the 16th is born "today" in Beijing.
	id := withIDCheck(t, "15010220260316001")
	if err := CheckIDNumber(id, time.Date(2026, 3, 16, 0, 30, 0, 0, shanghai)); err != nil {
		t.Errorf("CheckIDNumber(born today in Beijing) = %v, want nil", err)
	}
	if err := CheckIDNumber(id, time.Date(2026, 3, 15, 16, 30, 0, 0, time.UTC)); !errors.Is(err, ErrIDNumberBirthDate) {
		t.Errorf("CheckIDNumber(born tomorrow in UTC) = %v, want ErrIDNumberBirthDate", err)
	}
}

func TestCheckIDNumberEverySingleDigitChangeDetected(t *testing.T) {
	valid := "11010519491231002X"
	for i := 14; i < 17; i++ { // sequence digits: date and division stay valid
		for c := byte('0'); c <= '9'; c++ {
			if c == valid[i] {
				continue
			}
			mutated := valid[:i] + string(c) + valid[i+1:]
			if err := CheckIDNumber(mutated, testToday); !errors.Is(err, ErrIDNumberCheck) {
				t.Fatalf("CheckIDNumber(%s) = %v, want a check mismatch", mutated, err)
			}
		}
	}
}

func TestIDNumberCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		code string
	}{
		{"11010519491231002", 'X', ""},
		{"34052419800101001", 'X', ""},
		{"15010219900101123", '0', ""},
		{"11010119000101001", '4', ""},
		{"1101051949123100", 0, "id_length"},
		{"1101051949123100X", 0, "id_char"},
	}
	for _, tt := range tests {
		got, err := IDNumberCheckChar(tt.in)
		wantFault(t, "IDNumberCheckChar("+tt.in+")", err, tt.code)
		if got != tt.want {
			t.Errorf("IDNumberCheckChar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"11010519491231002X", "11010519491231002X"},
		{"11010519491231002x", "11010519491231002X"},
		{" 110105 19491231 002x\n", "11010519491231002X"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeIDNumber(tt.in); got != tt.want {
			t.Errorf("NormalizeIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIDBirthDate(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		code string
	}{
		{"11010519491231002X", time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), ""},
		{"15010220000229002X", time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), ""},
		// The check character is not IDBirthDate's business.
		{"340524198001010013", time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), ""},
		{"150102198002300011", time.Time{}, "id_birth_date"},
		{"150102189912310011", time.Time{}, "id_birth_date"},
		{"1501021980", time.Time{}, "id_length"},
		{"", time.Time{}, "required"},
	}
	for _, tt := range tests {
		got, err := IDBirthDate(tt.in)
		wantFault(t, "IDBirthDate("+tt.in+")", err, tt.code)
		if !got.Equal(tt.want) {
			t.Errorf("IDBirthDate(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestIDIsMale(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"11010519491231002X", false}, // 17th digit 2
		{"150102199001011230", true},  // 17th digit 3
		{"650101197810157777", true},
		{"150203198512310045", false},
		{"1501021990", false},
		{"", false},
		{"1501021990010112A0", false},
	}
	for _, tt := range tests {
		if got := IDIsMale(tt.in); got != tt.want {
			t.Errorf("IDIsMale(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestMaskIDNumber(t *testing.T) {
	tests := []struct{ in, want string }{
		{"150102199001011230", "150102********1230"},
		{"15010219900101123X", "150102********123X"},
		{"15010219900101123x", "150102********123X"},
		{" 11010519491231002X ", "110105********002X"},
		{"150102900101123", "***************"},
		{"1234", "****"},
		{"11010519491231002X9", "*******************"},
		{"一二三四五六七八九十一二三四五六七八", "******************"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := MaskIDNumber(tt.in); got != tt.want {
			t.Errorf("MaskIDNumber(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
