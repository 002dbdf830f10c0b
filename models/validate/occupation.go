package validate

import (
	"fmt"
	"strings"
)

// Sentinels for the faults of CheckOccupationCodeFormat; an empty code gives
// ErrRequired.
var (
	// ErrOccupationCodeFormat is a code not shaped M-MM-MM-MM.
	ErrOccupationCodeFormat = fault("occupation_code_format", "职业编码格式不正确")
	// ErrOccupationCodeMajor is a major group digit outside 1 to 8.
	ErrOccupationCodeMajor = fault("occupation_code_major", "职业编码的大类应为1至8")
)

// NormalizeOccupationCode removes all whitespace and turns full-width and
// other dash-like characters into ASCII hyphens.
func NormalizeOccupationCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '－', '‐', '‑', '–', '—', '_':
			return '-'
		}
		return r
	}, stripSpace(s))
}

// CheckOccupationCodeFormat checks the shape of an occupation code from the
// occupational classification (职业分类大典): M-MM-MM-MM, where M is the major
// group 1 to 8 and "00" marks an undivided level. It says nothing about
// whether the code exists; see package occupations for that.
func CheckOccupationCodeFormat(code string) error {
	if code == "" {
		return fault(ErrRequired.Code, "请填写职业编码")
	}
	ok := len(code) == 10 && code[1] == '-' && code[4] == '-' && code[7] == '-'
	for _, i := range []int{0, 2, 3, 5, 6, 8, 9} {
		if !ok {
			break
		}
		ok = code[i] >= '0' && code[i] <= '9'
	}
	if !ok {
		return fault(ErrOccupationCodeFormat.Code, fmt.Sprintf("职业编码“%s”格式不正确，应为“M-MM-MM-MM”，如6-31-01-03", clip(code)))
	}
	if code[0] < '1' || code[0] > '8' {
		return fault(ErrOccupationCodeMajor.Code, fmt.Sprintf("职业编码“%s”的大类应为1至8，实际为%c", code, code[0]))
	}
	return nil
}
