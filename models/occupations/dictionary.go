package occupations

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"skillcert/models/validate"
)

// Dictionary is a loaded occupational classification. It is read-only after
// Load and safe for concurrent use.
type Dictionary struct {
	list   []Occupation   // in file order
	byCode map[string]int // code -> index in list
	canon  []string       // canonicalName of each name, for Search
}

// csvHeader is the header Load expects.
var csvHeader = []string{"code", "name", "major", "middle", "minor"}

// maxLoadErrors caps the row errors Load reports before giving up.
const maxLoadErrors = 20

// LoadError is a fault in one line of a dictionary file. Load returns them
// joined with errors.Join; use errors.As to get the first.
type LoadError struct {
	// Line is the 1-based line number in the file, 0 when the fault is not
	// tied to a line.
	Line int
	// Message is the Chinese description.
	Message string
}

// Error returns the message with its line number.
func (e *LoadError) Error() string {
	if e.Line == 0 {
		return "职业目录：" + e.Message
	}
	return fmt.Sprintf("职业目录第%d行：%s", e.Line, e.Message)
}

// Load reads a dictionary in CSV with the header code,name,major,middle,minor
// (UTF-8, an optional byte-order mark, LF or CRLF line ends), one occupation
// per row, such as
//
//	6-31-01-03,电工,6,6-31,6-31-01
//
// Every code must be well formed and unique, and major, middle and minor must
// agree with it. Malformed rows are reported together, up to 20, as
// *LoadError values naming their line. SkillType and Levels are filled in
// from SkillTypeMajors and LevelOverrides as they are when Load runs.
func Load(r io.Reader) (*Dictionary, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, &LoadError{Message: "文件为空，应以表头code,name,major,middle,minor开始"}
	}
	if err != nil {
		return nil, csvError(err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	if !slices.Equal(header, csvHeader) {
		return nil, &LoadError{Line: 1, Message: fmt.Sprintf("表头应为“code,name,major,middle,minor”，实际为“%s”", clip(strings.Join(header, ",")))}
	}

	skill := map[int]bool{}
	for _, m := range SkillTypeMajors {
		skill[m] = true
	}
	overrides := map[string]validate.LevelRange{}
	for _, o := range LevelOverrides {
		overrides[o.Code] = o.Levels
	}

	d := &Dictionary{byCode: map[string]int{}}
	firstLine := map[string]int{}
	var errs []error
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, csvError(err))
			break // the reader cannot be trusted to resynchronise
		}
		line, _ := cr.FieldPos(0)
		o, msg := parseRow(rec)
		if msg == "" {
			if first, dup := firstLine[o.Code]; dup {
				msg = fmt.Sprintf("职业编码%s重复，首次出现在第%d行", o.Code, first)
			}
		}
		if msg != "" {
			errs = append(errs, &LoadError{Line: line, Message: msg})
			if len(errs) >= maxLoadErrors {
				errs = append(errs, &LoadError{Message: fmt.Sprintf("错误超过%d处，已停止检查", maxLoadErrors)})
				break
			}
			continue
		}
		firstLine[o.Code] = line
		o.SkillType = skill[o.Major]
		if lr, ok := overrides[o.Code]; ok {
			o.Levels = lr
		} else if o.SkillType {
			o.Levels = validate.FullRange()
		}
		d.byCode[o.Code] = len(d.list)
		d.list = append(d.list, o)
		d.canon = append(d.canon, canonicalName(o.Name))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(d.list) == 0 {
		return nil, &LoadError{Message: "只有表头，没有职业数据"}
	}
	return d, nil
}

// parseRow turns one record into an occupation, or explains in Chinese what
// is wrong with it.
func parseRow(rec []string) (Occupation, string) {
	if len(rec) != len(csvHeader) {
		return Occupation{}, fmt.Sprintf("应有5列（code,name,major,middle,minor），实际为%d列", len(rec))
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	o := Occupation{Code: rec[0], Name: rec[1], Middle: rec[3], Minor: rec[4]}
	if err := validate.CheckOccupationCodeFormat(o.Code); err != nil {
		return Occupation{}, err.Error()
	}
	if o.Name == "" {
		return Occupation{}, fmt.Sprintf("职业编码%s的职业名称为空", o.Code)
	}
	major, err := strconv.Atoi(rec[2])
	if err != nil || rec[2] != o.Code[:1] {
		return Occupation{}, fmt.Sprintf("大类“%s”与职业编码%s不一致，应为%s", clip(rec[2]), o.Code, o.Code[:1])
	}
	o.Major = major
	if o.Middle != o.Code[:4] {
		return Occupation{}, fmt.Sprintf("中类“%s”与职业编码%s不一致，应为%s", clip(o.Middle), o.Code, o.Code[:4])
	}
	if o.Minor != o.Code[:7] {
		return Occupation{}, fmt.Sprintf("小类“%s”与职业编码%s不一致，应为%s", clip(o.Minor), o.Code, o.Code[:7])
	}
	return o, ""
}

// csvError turns an encoding/csv error into a LoadError with a Chinese message.
func csvError(err error) error {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &LoadError{Message: "读取失败：" + err.Error()}
	}
	msg := "CSV格式错误"
	switch {
	case errors.Is(pe.Err, csv.ErrQuote):
		msg = "CSV格式错误：引号不成对或引号后有多余字符"
	case errors.Is(pe.Err, csv.ErrBareQuote):
		msg = "CSV格式错误：未加引号的字段中出现了双引号"
	default:
		msg += "：" + pe.Err.Error()
	}
	return &LoadError{Line: pe.Line, Message: msg}
}

// clip shortens a quoted value to 40 characters and makes it valid UTF-8.
func clip(s string) string {
	r := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	if len(r) <= 40 {
		return string(r)
	}
	return string(r[:40]) + "…"
}

// Len returns the number of occupations.
func (d *Dictionary) Len() int { return len(d.list) }

// All returns every occupation in file order (by code for the embedded
// edition). The slice is a copy.
func (d *Dictionary) All() []Occupation { return slices.Clone(d.list) }

// Lookup returns the occupation with the given code, which must be in
// canonical form (see validate.NormalizeOccupationCode).
func (d *Dictionary) Lookup(code string) (Occupation, bool) {
	i, ok := d.byCode[code]
	if !ok {
		return Occupation{}, false
	}
	return d.list[i], true
}

// Search finds occupations for a picker. A query of digits and hyphens
// matches codes by prefix, hyphens optional ("6-31", "631" and "6-31-01"
// all find 电工 6-31-01-03). Any other query matches names by substring,
// ignoring whitespace and the width of parentheses; exact names come first,
// then names starting with the query, then the rest, each in code order.
// At most limit results are returned, all of them when limit <= 0; an empty
// query returns nil.
func (d *Dictionary) Search(query string, limit int) []Occupation {
	q := canonicalName(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	var out []Occupation
	add := func(o Occupation) bool {
		out = append(out, o)
		return limit <= 0 || len(out) < limit
	}
	if digits, ok := codeDigits(validate.NormalizeOccupationCode(q)); ok {
		for _, o := range d.list {
			if c, _ := codeDigits(o.Code); strings.HasPrefix(c, digits) && !add(o) {
				break
			}
		}
		return out
	}
	var exact, prefix, inner []int
	for i, n := range d.canon {
		switch {
		case n == q:
			exact = append(exact, i)
		case strings.HasPrefix(n, q):
			prefix = append(prefix, i)
		case strings.Contains(n, q):
			inner = append(inner, i)
		}
	}
	for _, group := range [][]int{exact, prefix, inner} {
		for _, i := range group {
			if !add(d.list[i]) {
				return out
			}
		}
	}
	return out
}

// codeDigits returns the digits of s when s is made only of digits and
// hyphens and has at least one digit.
func codeDigits(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '-':
		default:
			return "", false
		}
	}
	return b.String(), b.Len() > 0
}
