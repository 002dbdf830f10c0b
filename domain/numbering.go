package domain

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Document numbers (domain.md §10): each directory publication carries a document number
// (文号) and each filed work plan a filing number (备案号). Both come from a pattern the region
// configures; the sequence restarts every year (and, for a pattern naming the league, per
// league), so a number is never given twice.
const (
	// DocPublication is the kind of number of a directory publication (one per campaign and batch).
	DocPublication = "directory_publication"
	// DocFiling is the kind of number of a filed work plan (one per case).
	DocFiling = "work_plan_filing"
)

// DocNames are the Chinese names of the numbers.
var DocNames = map[string]string{DocPublication: "公布文号", DocFiling: "备案号"}

// Default patterns *(inferred)*: the department's office document series for the directory, a
// filing series per league for the work plans. Both are configuration
// (SKILLCERT_PUBLICATION_NUMBER_PATTERN, SKILLCERT_FILING_NUMBER_PATTERN).
const (
	DefaultPublicationNumberPattern = "内人社办发〔{year}〕{seq}号"
	DefaultFilingNumberPattern      = "内人社技备〔{year}〕{league}-{seq:3}号"
)

// MaxDocumentNumber is the longest number stored (characters).
const MaxDocumentNumber = 60

// placeholder matches {year}, {league}, {seq} and {seq:N} (N = 1..9 digits, zero-padded).
var placeholder = regexp.MustCompile(`\{([a-z]+)(?::([0-9]+))?\}`)

// CheckNumberPattern checks a pattern: it must contain {year} and {seq} (or {seq:N}) once
// each, may contain {league} once, nothing else in braces, and be at most 40 characters of
// fixed text. kind names which number it is for, in the message.
func CheckNumberPattern(kind, pattern string) error {
	name := DocNames[kind]
	if name == "" {
		name = kind
	}
	if strings.TrimSpace(pattern) == "" {
		return fmt.Errorf("%s格式不能为空", name)
	}
	count := map[string]int{}
	for _, m := range placeholder.FindAllStringSubmatch(pattern, -1) {
		switch m[1] {
		case "year", "league":
			if m[2] != "" {
				return fmt.Errorf("%s格式中的 {%s} 不带位数", name, m[1])
			}
		case "seq":
			if m[2] != "" {
				if n, _ := strconv.Atoi(m[2]); n < 1 || n > 9 {
					return fmt.Errorf("%s格式中序号位数应为 1 至 9", name)
				}
			}
		default:
			return fmt.Errorf("%s格式中有未知的占位符 {%s}（可用 {year}、{seq}、{seq:N}、{league}）", name, m[1])
		}
		count[m[1]]++
	}
	rest := placeholder.ReplaceAllString(pattern, "")
	if strings.ContainsAny(rest, "{}") {
		return fmt.Errorf("%s格式中的花括号不成对或占位符写法有误", name)
	}
	if count["year"] != 1 || count["seq"] != 1 {
		return fmt.Errorf("%s格式须各含一次 {year} 和 {seq}（序号每年重新编排，年份使其不重复）", name)
	}
	if count["league"] > 1 {
		return fmt.Errorf("%s格式中 {league} 至多出现一次", name)
	}
	if utf8.RuneCountInString(rest) > 40 {
		return fmt.Errorf("%s格式的固定文字不能超过 40 个字符", name)
	}
	return nil
}

// NumberPerLeague says whether the pattern's sequence runs per league (it names the league).
func NumberPerLeague(pattern string) bool {
	for _, m := range placeholder.FindAllStringSubmatch(pattern, -1) {
		if m[1] == "league" {
			return true
		}
	}
	return false
}

// NumberScope is the counter a number is drawn from besides its kind and year: the league
// when the pattern names it, otherwise one counter for the region.
func NumberScope(pattern, league string) string {
	if NumberPerLeague(pattern) {
		return league
	}
	return ""
}

// FormatDocumentNumber fills a checked pattern: {year} with the four-digit year, {league}
// with the league's division code, {seq} with the sequence and {seq:N} with it zero-padded to
// N digits. 内人社办发〔{year}〕{seq}号, 2027, 12 → 内人社办发〔2027〕12号.
func FormatDocumentNumber(pattern string, year int, league string, seq int) string {
	return placeholder.ReplaceAllStringFunc(pattern, func(p string) string {
		m := placeholder.FindStringSubmatch(p)
		switch m[1] {
		case "year":
			return strconv.Itoa(year)
		case "league":
			return league
		case "seq":
			if m[2] != "" {
				n, _ := strconv.Atoi(m[2])
				return fmt.Sprintf("%0*d", n, seq)
			}
			return strconv.Itoa(seq)
		}
		return p
	})
}

// FilingCodeRule checks an assessing organisation's filing code with the national centre
// (备案编码, sent with every certificate record): 4 to 32 characters of digits, capital
// letters and hyphens, not starting or ending with a hyphen *(format inferred: the national
// centre assigns it; keep the check loose)*. It returns the code normalised (trimmed,
// upper-case) or an error in Chinese.
func FilingCodeRule(code string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if c == "" {
		return "", nil
	}
	if !filingCode.MatchString(c) {
		return c, fmt.Errorf("备案编码应为 4 至 32 位数字、大写字母或连字符（不以连字符开头或结尾）")
	}
	return c, nil
}

var filingCode = regexp.MustCompile(`^[0-9A-Z](?:[0-9A-Z-]{2,30})[0-9A-Z]$`)
