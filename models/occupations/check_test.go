package occupations

import (
	"errors"
	"strings"
	"testing"

	"skillcert/models/validate"
)

func TestCheckOccupation(t *testing.T) {
	r := func(low, high validate.Level) validate.LevelRange { return validate.LevelRange{Low: low, High: high} }
	excluded := Excluder(nil, DefaultExclusions())

	type want struct {
		field, code string
		fragments   []string
	}
	tests := []struct {
		name      string
		code, occ string
		levels    validate.LevelRange
		want      []want
	}{
		{"电工 five to three", "6-31-01-03", "电工", r(5, 3), nil},
		{"电工 full range", "6-31-01-03", "电工", validate.FullRange(), nil},
		{"电工 single level", "6-31-01-03", "电工", r(2, 2), nil},
		{"乳品评鉴师 three to one", "6-02-04-02", "乳品评鉴师", r(3, 1), nil},
		{"乳品评鉴师 two", "6-02-04-02", "乳品评鉴师", r(2, 2), nil},
		{"name with spaces", "6-31-01-02", " 机修钳工 ", r(5, 1), nil},
		{"乳品评鉴师 five to three", "6-02-04-02", "乳品评鉴师", r(5, 3), []want{
			{FieldLevels, "occupation_level_range", []string{"“乳品评鉴师”（6-02-04-02）", "申报五级至三级超出范围", "该职业仅设三级至一级"}}}},
		{"乳品评鉴师 four", "6-02-04-02", "乳品评鉴师", r(4, 4), []want{
			{FieldLevels, "occupation_level_range", []string{"申报四级超出范围"}}}},
		{"no range", "6-31-01-03", "电工", validate.LevelRange{}, []want{
			{FieldLevels, "required", []string{"请选择申报的等级范围"}}}},
		{"reversed range", "6-31-01-03", "电工", r(3, 5), []want{
			{FieldLevels, "level_range_order", []string{"从低到高"}}}},
		{"invalid level", "6-31-01-03", "电工", r(7, 3), []want{
			{FieldLevels, "level_invalid", nil}}},
		{"empty code", "", "电工", r(5, 3), []want{
			{FieldCode, "required", []string{"请填写职业编码"}}}},
		{"bad format", "6-31-1-03", "电工", r(5, 3), []want{
			{FieldCode, "occupation_code_format", []string{"“6-31-1-03”", "M-MM-MM-MM"}}}},
		{"major 9", "9-31-01-03", "电工", r(5, 3), []want{
			{FieldCode, "occupation_code_major", nil}}},
		{"unknown", "6-99-99-99", "电工", r(5, 3), []want{
			{FieldCode, "occupation_unknown", []string{"6-99-99-99", "不存在"}}}},
		{"not skill-type", "1-01-00-01", "中国共产党机关负责人", r(5, 3), []want{
			{FieldCode, "occupation_not_skill", []string{"第1大类“党的机关、国家机关、群众团体和社会组织、企事业单位负责人”", "不是技能类职业"}}}},
		{"professional", "2-02-11-01", "电工电器工程技术人员", r(5, 3), []want{
			{FieldCode, "occupation_not_skill", []string{"第2大类“专业技术人员”"}}}},
		{"焊工 excluded", "6-18-02-04", "焊工", r(5, 3), []want{
			{FieldCode, "occupation_excluded", []string{"“焊工”（6-18-02-04）", "准入类"}}}},
		{"家畜繁殖员 excluded", "5-03-01-01", "家畜繁殖员", r(5, 1), []want{
			{FieldCode, "occupation_excluded", nil}}},
		{"name mismatch", "6-31-01-03", "维修电工", r(5, 3), []want{
			{FieldName, "occupation_name_mismatch", []string{"“维修电工”", "6-31-01-03", "该编码为“电工”"}}}},
		{"empty name", "6-31-01-03", "", r(5, 3), []want{
			{FieldName, "required", []string{"请填写职业名称"}}}},
		{"empty name and bad code", "x", " ", r(5, 3), []want{
			{FieldCode, "occupation_code_format", nil},
			{FieldName, "required", nil}}},
		{"unknown code and no name", "6-99-99-99", "", r(5, 3), []want{
			{FieldCode, "occupation_unknown", nil},
			{FieldName, "required", nil}}},
		{"several faults at once", "6-18-02-04", "电焊工", r(5, 3), []want{
			{FieldCode, "occupation_excluded", nil},
			{FieldName, "occupation_name_mismatch", []string{"该编码为“焊工”"}}}},
		{"not skill and wrong name", "1-01-00-01", "电工", r(5, 3), []want{
			{FieldCode, "occupation_not_skill", nil},
			{FieldName, "occupation_name_mismatch", nil}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := CheckOccupation(nil, excluded, tt.code, tt.occ, tt.levels)
			if len(got) != len(tt.want) {
				t.Fatalf("CheckOccupation(%q, %q, %v) = %v, want %d errors", tt.code, tt.occ, tt.levels, got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Field != w.field || g.Code != w.code {
					t.Errorf("error %d = %s/%s (%s), want %s/%s", i, g.Field, g.Code, g.Message, w.field, w.code)
				}
				for _, f := range w.fragments {
					if !strings.Contains(g.Message, f) {
						t.Errorf("error %d message %q does not contain %q", i, g.Message, f)
					}
				}
			}
		})
	}
}

func TestCheckOccupationSentinels(t *testing.T) {
	errs := CheckOccupation(Default(), Excluder(nil, DefaultExclusions()), "6-18-02-04", "焊工", validate.FullRange())
	err := errs.Err()
	if !errors.Is(err, ErrExcluded) {
		t.Errorf("errors.Is(%v, ErrExcluded) = false, want true", err)
	}
	if errors.Is(err, ErrNotSkillType) {
		t.Errorf("errors.Is(%v, ErrNotSkillType) = true, want false", err)
	}
	if err := CheckOccupation(nil, nil, "6-31-01-03", "电工", validate.FullRange()).Err(); err != nil {
		t.Errorf("CheckOccupation(电工) = %v, want nil", err)
	}
	// A nil predicate excludes nothing.
	if err := CheckOccupation(nil, nil, "6-18-02-04", "焊工", validate.FullRange()).Err(); err != nil {
		t.Errorf("CheckOccupation(焊工, no exclusions) = %v, want nil", err)
	}
}

func TestDefaultExclusions(t *testing.T) {
	d := Default()
	list := DefaultExclusions()
	wantNames := []string{"焊工", "家畜繁殖员", "消防设施操作员", "游泳救生员", "社会体育指导员"}
	if len(list) != len(wantNames) {
		t.Fatalf("DefaultExclusions() has %d entries, want %d", len(list), len(wantNames))
	}
	for i, e := range list {
		if e.Name != wantNames[i] {
			t.Errorf("entry %d = %s, want %s", i, e.Name, wantNames[i])
		}
		if e.Reason == "" {
			t.Errorf("%s has no reason", e.Name)
		}
		if e.Code == "" {
			continue
		}
		o, ok := d.Lookup(e.Code)
		if !ok || o.Name != e.Name {
			t.Errorf("%s: code %s is %q in the dictionary (found %v)", e.Name, e.Code, o.Name, ok)
		}
	}
	if list[0].Code != "6-18-02-04" || list[1].Code != "5-03-01-01" {
		t.Errorf("焊工/家畜繁殖员 codes = %s/%s, want 6-18-02-04/5-03-01-01", list[0].Code, list[1].Code)
	}
	list[0].Code = "changed"
	if DefaultExclusions()[0].Code != "6-18-02-04" {
		t.Errorf("DefaultExclusions shares its slice between calls")
	}
}

func TestExcluder(t *testing.T) {
	list := []Exclusion{
		{Code: "6-18-02-04", Name: "焊工"},
		{Name: "电工"},         // matched by name
		{Name: "军官（警官）"},     // full-width parentheses, dictionary has "军官 (警官)"
		{Name: "不存在的特种作业工种"}, // not in the dictionary: matches nothing
		{},
	}
	excluded := Excluder(nil, list)
	list[0].Code = "6-31-01-02" // later edits do not leak in
	tests := []struct {
		code string
		want bool
	}{
		{"6-18-02-04", true},
		{"6-31-01-03", true},
		{"7-01-00-00", true},
		{"6-31-01-02", false},
		{"6-99-99-99", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := excluded(tt.code); got != tt.want {
			t.Errorf("excluded(%q) = %v, want %v", tt.code, got, tt.want)
		}
	}
	none := Excluder(Default(), nil)
	if none("6-18-02-04") {
		t.Errorf("empty list excludes 焊工")
	}
}
