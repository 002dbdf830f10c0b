package validate

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestCheckCreditCode(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		code      string
		fragments []string
	}{
		{"domain example 1", "91440101MA5CJQ4N59", "", nil},
		{"domain example 2", "91350200776049653A", "", nil},
		{"domain example 3", "913502000728319549", "", nil},
		// Computed independently of this package.
		{"computed enterprise", "91150100MA0N12345T", "", nil},
		{"computed public institution", "12150000011600123W", "", nil},
		{"computed social organisation", "52150000MJY000011H", "", nil},
		{"computed other authority", "Y1150100000000001H", "", nil},
		{"computed letters near excluded ones", "91150105MA0PQRTUWF", "", nil},

		{"empty", "", "required", []string{"请填写统一社会信用代码"}},
		{"too short", "91440101MA5CJQ4N5", "credit_code_length", []string{"应为18位", "实际为17位"}},
		{"too long", "91440101MA5CJQ4N590", "credit_code_length", []string{"实际为19位"}},
		{"chinese chars count as one", "91440101MA5CJQ4N5九", "credit_code_char", []string{"第18位", "“九”"}},
		{"letter I", "9144010IMA5CJQ4N59", "credit_code_char", []string{"第8位", "“I”"}},
		{"letter O", "91440101MO5CJQ4N59", "credit_code_char", []string{"第10位", "“O”"}},
		{"letter S", "S1440101MA5CJQ4N59", "credit_code_char", []string{"第1位", "“S”"}},
		{"letter V", "91440101MA5CJQ4NV9", "credit_code_char", []string{"第17位", "“V”"}},
		{"letter Z", "91440101MA5CJQ4N5Z", "credit_code_char", []string{"第18位", "“Z”"}},
		{"lowercase not normalised", "91440101ma5cjq4n59", "credit_code_char", []string{"第9位", "“m”", "大写字母"}},
		{"inner space not normalised", "91440101 MA5CJQ4N5", "credit_code_char", []string{"第9位", "空格"}},
		{"check mismatch", "91440101MA5CJQ4N58", "credit_code_check", []string{"未通过校验", "对照营业执照逐位核对"}},
		{"check mismatch letter", "913502007760496539", "credit_code_check", []string{"未通过校验"}},
		{"transposed digits", "91440110MA5CJQ4N59", "credit_code_check", []string{"未通过校验"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFault(t, "CheckCreditCode("+tt.in+")", CheckCreditCode(tt.in), tt.code, tt.fragments...)
		})
	}
}

func TestCheckCreditCodeOverridableFaultIsDistinct(t *testing.T) {
	for _, in := range []string{"", "123", "9144010IMA5CJQ4N59"} {
		if err := CheckCreditCode(in); errors.Is(err, ErrCreditCodeCheck) {
			t.Errorf("CheckCreditCode(%q) = %v matches ErrCreditCodeCheck; only a check mismatch may", in, err)
		}
	}
	if err := CheckCreditCode("91440101MA5CJQ4N58"); !errors.Is(err, ErrCreditCodeCheck) {
		t.Errorf("CheckCreditCode(mismatch) = %v, want ErrCreditCodeCheck", err)
	}
}

func TestCheckCreditCodeEverySingleCharChangeDetected(t *testing.T) {
	// The check character catches every single-character substitution.
	valid := "91350200776049653A"
	for i := 0; i < 17; i++ {
		for j := 0; j < len(creditCodeAlphabet); j++ {
			c := creditCodeAlphabet[j]
			if c == valid[i] {
				continue
			}
			mutated := valid[:i] + string(c) + valid[i+1:]
			if err := CheckCreditCode(mutated); !errors.Is(err, ErrCreditCodeCheck) {
				t.Fatalf("CheckCreditCode(%s) = %v, want a check mismatch", mutated, err)
			}
		}
	}
}

func TestCreditCodeCheckChar(t *testing.T) {
	tests := []struct {
		in   string
		want byte
		code string
	}{
		{"91440101MA5CJQ4N5", '9', ""},
		{"91350200776049653", 'A', ""},
		{"91150100MA0N12345", 'T', ""},
		{"9144010", 0, "credit_code_length"},
		{"91440101ma5cjq4n5", 0, "credit_code_char"},
	}
	for _, tt := range tests {
		got, err := CreditCodeCheckChar(tt.in)
		wantFault(t, "CreditCodeCheckChar("+tt.in+")", err, tt.code)
		if got != tt.want {
			t.Errorf("CreditCodeCheckChar(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCreditCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"91440101MA5CJQ4N59", "91440101MA5CJQ4N59"},
		{"  91440101ma5cjq4n59\t", "91440101MA5CJQ4N59"},
		{"9144 0101 MA5C JQ4N 59", "91440101MA5CJQ4N59"},
		{"\u30009144010\u30001MA5CJQ4N59\n", "91440101MA5CJQ4N59"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeCreditCode(tt.in); got != tt.want {
			t.Errorf("NormalizeCreditCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if err := CheckCreditCode(NormalizeCreditCode(tt.in)); tt.want != "" && err != nil {
			t.Errorf("CheckCreditCode(NormalizeCreditCode(%q)) = %v, want nil", tt.in, err)
		}
	}
}

func TestCreditCodeAlphabet(t *testing.T) {
	if len(creditCodeAlphabet) != 31 {
		t.Fatalf("alphabet has %d symbols, want 31", len(creditCodeAlphabet))
	}
	for _, c := range "IOSVZ" {
		if strings.ContainsRune(creditCodeAlphabet, c) {
			t.Errorf("alphabet contains %c, which GB 32100 excludes", c)
		}
	}
	// The weights are 3^(i-1) mod 31.
	w := 1
	for i, got := range creditCodeWeights {
		if got != w {
			t.Errorf("weight %d = %d, want %d", i+1, got, w)
		}
		w = w * 3 % 31
	}
}

// A check-digit error used to print the "correct" last character (第18位应为“T”), inviting a
// wrong but valid code; it says only that the code does not check out and to verify it against
// the licence (or the ID card).
func TestCheckDigitErrorsNameNoCharacter(t *testing.T) {
	for _, err := range []error{CheckCreditCode("91440101MA5CJQ4N58"), CheckIDNumber("340524198001010013", testToday)} {
		require.Error(t, err)
		require.NotContains(t, err.Error(), "应为")
		require.NotRegexp(t, `“[0-9A-Z]”`, err.Error(), "no character is suggested")
		require.Contains(t, err.Error(), "逐位核对")
	}
}
