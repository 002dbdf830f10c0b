// Package occupations holds the occupational classification dictionary
// (职业分类大典, 2022 edition: 1,639 occupations) and the rules deciding which
// occupations an enterprise may apply to certify: skill-type occupations only,
// within the levels their national standard defines, and none of the
// access-type (准入类) qualifications.
//
// The rules that are inferred rather than given by the notice — which major
// groups are skill-type, the per-occupation level ranges and the access-type
// exclusions — are kept as data (SkillTypeMajors, LevelOverrides,
// DefaultExclusions) so that the region can change them without touching the
// logic.
package occupations

import (
	"bytes"
	_ "embed"
	"strings"
	"sync"
	"unicode"

	"skillcert/models/validate"
)

//go:embed data/occupations-2022.csv
var occupationsCSV []byte

//go:embed data/occupation-groups-2022.csv
var groupsCSV []byte

// Occupation is one entry of the dictionary.
type Occupation struct {
	// Code is the occupation code, M-MM-MM-MM.
	Code string `json:"code"`
	// Name is the occupation name as the dictionary spells it.
	Name string `json:"name"`
	// Major is the major group, 1 to 8.
	Major int `json:"major"`
	// Middle is the middle group code, such as "6-31".
	Middle string `json:"middle"`
	// Minor is the minor group code, such as "6-31-01".
	Minor string `json:"minor"`
	// SkillType reports whether the occupation is a skill occupation that can
	// be certified at all (see SkillTypeMajors).
	SkillType bool `json:"skillType"`
	// Levels is the range of levels the occupation's standard defines:
	// 五级至一级 unless LevelOverrides says otherwise; the zero range for
	// occupations that are not skill-type.
	Levels validate.LevelRange `json:"levels"`
}

// SkillTypeMajors lists the major groups whose occupations are skill-type.
// Groups 3 to 6 (office staff, service, agriculture, production) is our
// reading of the notice, not a rule it states; 1, 2, 7 and 8 (officials,
// professionals, the military, unclassified) are not skill occupations.
// This is configurable data: Load reads it, so change it before loading a
// dictionary (Default loads on its first call).
var SkillTypeMajors = []int{3, 4, 5, 6}

// LevelOverride narrows the levels of one occupation to what its national
// occupational skill standard defines.
type LevelOverride struct {
	// Code is the occupation code.
	Code string
	// Name is the occupation name, kept for readers and checked by the tests.
	Name string
	// Levels is the range the standard defines.
	Levels validate.LevelRange
}

// LevelOverrides lists the skill-type occupations whose standard defines
// fewer than the five levels; every other skill-type occupation has
// 五级至一级. This is configurable data: Load reads it, so change it before
// loading a dictionary (Default loads on its first call).
var LevelOverrides = []LevelOverride{
	{Code: "6-02-04-02", Name: "乳品评鉴师", Levels: validate.LevelRange{Low: validate.Level3, High: validate.Level1}},
}

// Default returns the dictionary built from the embedded 2022 edition. It
// is parsed on the first call and shared afterwards; it panics if the
// embedded file is malformed, which the tests rule out.
func Default() *Dictionary { return defaultDictionary() }

var defaultDictionary = sync.OnceValue(func() *Dictionary {
	d, err := Load(bytes.NewReader(occupationsCSV))
	if err != nil {
		panic("occupations: embedded dictionary: " + err.Error())
	}
	return d
})

// canonicalName reduces a name to the form names are compared in: no
// whitespace and ASCII parentheses, so "军官（警官）" equals "军官 (警官)".
func canonicalName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return -1
		case r == '（':
			return '('
		case r == '）':
			return ')'
		}
		return r
	}, s)
}
