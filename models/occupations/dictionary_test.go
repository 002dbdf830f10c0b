package occupations

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models/validate"
)

func TestDefaultDictionary(t *testing.T) {
	d := Default()
	require.NotNil(t, d)
	if got, want := d.Len(), 1639; got != want {
		t.Errorf("Default().Len() = %d, want %d", got, want)
	}
	if Default() != d {
		t.Errorf("Default() returned a different dictionary on the second call")
	}
	skill := 0
	for _, o := range d.All() {
		if o.SkillType {
			skill++
			if o.Levels.Validate() != nil {
				t.Errorf("%s %s is skill-type with invalid levels %+v", o.Code, o.Name, o.Levels)
			}
		} else if !o.Levels.IsZero() {
			t.Errorf("%s %s is not skill-type but has levels %v", o.Code, o.Name, o.Levels)
		}
	}
	// Major groups 3 to 6 of the 2022 edition.
	if want := 1117; skill != want {
		t.Errorf("skill-type occupations = %d, want %d", skill, want)
	}
}

func TestLookup(t *testing.T) {
	d := Default()
	tests := []struct {
		code, name string
		skill      bool
		levels     string
	}{
		{"6-31-01-03", "电工", true, "五级至一级"},
		{"6-18-02-04", "焊工", true, "五级至一级"},
		{"6-11-01-03", "化工总控工", true, "五级至一级"},
		{"6-02-04-01", "乳品加工工", true, "五级至一级"},
		{"6-02-04-02", "乳品评鉴师", true, "三级至一级"},
		{"6-16-01-05", "井下采矿工", true, "五级至一级"},
		{"6-10-02-02", "炼焦工", true, "五级至一级"},
		{"6-17-02-02", "炼钢工", true, "五级至一级"},
		{"6-17-07-04", "稀土冶炼工", true, "五级至一级"},
		{"6-17-06-02", "铝电解工", true, "五级至一级"},
		{"6-28-01-14", "变配电运行值班员", true, "五级至一级"},
		{"6-28-01-15", "继电保护员", true, "五级至一级"},
		{"6-28-01-12", "风力发电运维值班员", true, "五级至一级"},
		{"6-31-01-02", "机修钳工", true, "五级至一级"},
		{"6-18-01-01", "车工", true, "五级至一级"},
		{"6-31-03-01", "化学检验员", true, "五级至一级"},
		{"5-03-01-01", "家畜繁殖员", true, "五级至一级"},
		{"4-07-05-03", "消防设施操作员", true, "五级至一级"},
		{"1-01-00-01", "中国共产党机关负责人", false, ""},
		{"2-02-11-01", "电工电器工程技术人员", false, ""},
		{"7-01-00-00", "军官 (警官)", false, ""},
	}
	for _, tt := range tests {
		o, ok := d.Lookup(tt.code)
		if !ok {
			t.Errorf("Lookup(%q) found nothing", tt.code)
			continue
		}
		if o.Name != tt.name || o.SkillType != tt.skill {
			t.Errorf("Lookup(%q) = %s skill=%v, want %s skill=%v", tt.code, o.Name, o.SkillType, tt.name, tt.skill)
		}
		if tt.levels != "" && o.Levels.String() != tt.levels {
			t.Errorf("Lookup(%q).Levels = %v, want %s", tt.code, o.Levels, tt.levels)
		}
		if o.Major != int(tt.code[0]-'0') || o.Middle != tt.code[:4] || o.Minor != tt.code[:7] {
			t.Errorf("Lookup(%q) groups = %d %s %s", tt.code, o.Major, o.Middle, o.Minor)
		}
	}
	for _, code := range []string{"", "6-99-99-99", "6-31-01-3", " 6-31-01-03"} {
		if o, ok := d.Lookup(code); ok {
			t.Errorf("Lookup(%q) = %+v, want not found", code, o)
		}
	}
}

func TestLevelOverridesSeedData(t *testing.T) {
	d := Default()
	require.NotEmpty(t, LevelOverrides)
	for _, lo := range LevelOverrides {
		o, ok := d.Lookup(lo.Code)
		if !ok {
			t.Errorf("override %s %s: code not in the dictionary", lo.Code, lo.Name)
			continue
		}
		if o.Name != lo.Name {
			t.Errorf("override %s: name %q, dictionary says %q", lo.Code, lo.Name, o.Name)
		}
		if !o.SkillType {
			t.Errorf("override %s %s: not a skill-type occupation", lo.Code, lo.Name)
		}
		if !lo.Levels.Within(validate.FullRange()) {
			t.Errorf("override %s %s: levels %+v are not a valid range", lo.Code, lo.Name, lo.Levels)
		}
		if o.Levels != lo.Levels {
			t.Errorf("override %s: dictionary levels %v, want %v", lo.Code, o.Levels, lo.Levels)
		}
	}
}

func TestLoadReadsConfigurableData(t *testing.T) {
	savedMajors, savedOverrides := SkillTypeMajors, LevelOverrides
	t.Cleanup(func() { SkillTypeMajors, LevelOverrides = savedMajors, savedOverrides })

	SkillTypeMajors = []int{6}
	LevelOverrides = []LevelOverride{{Code: "6-31-01-03", Name: "电工", Levels: validate.LevelRange{Low: validate.Level4, High: validate.Level2}}}
	d, err := Load(strings.NewReader(sample))
	require.NoError(t, err)

	want := map[string]struct {
		skill  bool
		levels validate.LevelRange
	}{
		"4-07-05-03": {false, validate.LevelRange{}},
		"6-31-01-03": {true, validate.LevelRange{Low: validate.Level4, High: validate.Level2}},
		"6-18-02-04": {true, validate.FullRange()},
	}
	for code, w := range want {
		o, ok := d.Lookup(code)
		require.True(t, ok, code)
		if o.SkillType != w.skill || o.Levels != w.levels {
			t.Errorf("%s: skill=%v levels=%+v, want skill=%v levels=%+v", code, o.SkillType, o.Levels, w.skill, w.levels)
		}
	}
}

const sample = "code,name,major,middle,minor\n" +
	"4-07-05-03,消防设施操作员,4,4-07,4-07-05\n" +
	"6-18-02-04,焊工,6,6-18,6-18-02\n" +
	"6-31-01-03,电工,6,6-31,6-31-01\n"

func TestLoadValid(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  int
	}{
		{"LF", sample, 3},
		{"CRLF", strings.ReplaceAll(sample, "\n", "\r\n"), 3},
		{"BOM", "\ufeff" + sample, 3},
		{"no final newline", strings.TrimSuffix(sample, "\n"), 3},
		{"blank lines and padding", "code, name ,major,middle,minor\n\n 6-31-01-03 , 电工 ,6,6-31,6-31-01\n\n", 1},
		{"quoted name with comma", "code,name,major,middle,minor\n" + `6-31-01-03,"电工,维修",6,6-31,6-31-01` + "\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(strings.NewReader(tt.input))
			require.NoError(t, err)
			if d.Len() != tt.want {
				t.Errorf("Len() = %d, want %d", d.Len(), tt.want)
			}
			if o, ok := d.Lookup("6-31-01-03"); !ok || !strings.HasPrefix(o.Name, "电工") {
				t.Errorf("Lookup(6-31-01-03) = %+v, %v", o, ok)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	const header = "code,name,major,middle,minor\n"
	tests := []struct {
		name      string
		input     string
		line      int // of the first LoadError
		fragments []string
	}{
		{"empty", "", 0, []string{"文件为空"}},
		{"header only", header, 0, []string{"没有职业数据"}},
		{"wrong header", "编码,名称,大类,中类,小类\n", 1, []string{"表头应为", "编码,名称"}},
		{"missing column in header", "code,name,major,middle\n", 1, []string{"表头应为"}},
		{"too few columns", header + "6-31-01-03,电工,6,6-31\n", 2, []string{"应有5列", "实际为4列"}},
		{"too many columns", header + sampleRow + "6-18-02-04,焊工,6,6-18,6-18-02,x\n", 3, []string{"实际为6列"}},
		{"bad code", header + "6-31-1-03,电工,6,6-31,6-31-01\n", 2, []string{"“6-31-1-03”", "M-MM-MM-MM"}},
		{"major 9", header + "9-31-01-03,电工,9,9-31,9-31-01\n", 2, []string{"大类应为1至8"}},
		{"empty name", header + "6-31-01-03,,6,6-31,6-31-01\n", 2, []string{"6-31-01-03的职业名称为空"}},
		{"major mismatch", header + "6-31-01-03,电工,5,6-31,6-31-01\n", 2, []string{"大类“5”", "应为6"}},
		{"major not a number", header + "6-31-01-03,电工,六,6-31,6-31-01\n", 2, []string{"大类“六”"}},
		{"middle mismatch", header + "6-31-01-03,电工,6,6-30,6-31-01\n", 2, []string{"中类“6-30”", "应为6-31"}},
		{"minor mismatch", header + "6-31-01-03,电工,6,6-31,6-31-02\n", 2, []string{"小类“6-31-02”", "应为6-31-01"}},
		{"duplicate code", header + sampleRow + "6-18-02-04,焊工,6,6-18,6-18-02\n" + sampleRow, 4, []string{"6-31-01-03重复", "首次出现在第2行"}},
		{"bad quote", header + "6-31-01-03,\"电工,6,6-31,6-31-01\n", 2, []string{"CSV格式错误", "引号"}},
		{"bare quote", header + "6-31-01-03,电\"工,6,6-31,6-31-01\n", 2, []string{"双引号"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Load(strings.NewReader(tt.input))
			if err == nil {
				t.Fatalf("Load = %d occupations, want an error", d.Len())
			}
			if d != nil {
				t.Errorf("Load returned a dictionary with the error %v", err)
			}
			var le *LoadError
			require.True(t, errors.As(err, &le), "error %v is not a *LoadError", err)
			if le.Line != tt.line {
				t.Errorf("line = %d, want %d (%v)", le.Line, tt.line, err)
			}
			for _, f := range tt.fragments {
				if !strings.Contains(err.Error(), f) {
					t.Errorf("error %q does not contain %q", err, f)
				}
			}
			if tt.line > 0 && !strings.Contains(err.Error(), "第") {
				t.Errorf("error %q does not name the line", err)
			}
		})
	}
}

const sampleRow = "6-31-01-03,电工,6,6-31,6-31-01\n"

func TestLoadReportsSeveralRowsAndStops(t *testing.T) {
	var b strings.Builder
	b.WriteString("code,name,major,middle,minor\n")
	for range 30 {
		b.WriteString("bad,电工,6,6-31,6-31-01\n")
	}
	_, err := Load(strings.NewReader(b.String()))
	require.Error(t, err)
	msg := err.Error()
	if got := strings.Count(msg, "格式不正确"); got != maxLoadErrors {
		t.Errorf("reported %d row errors, want %d", got, maxLoadErrors)
	}
	for _, want := range []string{"职业目录第2行", "职业目录第21行", "已停止检查"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not contain %q", want)
		}
	}
	if strings.Contains(msg, "第22行") {
		t.Errorf("error goes past the cap: %q", msg)
	}
}

func TestSearch(t *testing.T) {
	d := Default()
	codes := func(os []Occupation) []string {
		out := make([]string, len(os))
		for i, o := range os {
			out[i] = o.Code
		}
		return out
	}
	tests := []struct {
		name  string
		query string
		limit int
		want  []string
	}{
		{"exact name first, then prefix", "电工", 3, []string{"6-31-01-03", "2-02-11-01", "6-24-03-04"}},
		{"code prefix", "6-31-01-0", 3, []string{"6-31-01-01", "6-31-01-02", "6-31-01-03"}},
		{"code without hyphens", "6310103", 0, []string{"6-31-01-03"}},
		{"full code", "6-31-01-03", 0, []string{"6-31-01-03"}},
		{"full-width hyphens", "6－31－01－03", 0, []string{"6-31-01-03"}},
		{"name substring", "评鉴", 0, []string{"6-02-04-02"}},
		{"padded", "  乳品评鉴师 ", 0, []string{"6-02-04-02"}},
		{"parenthesis width", "军官（警官）", 0, []string{"7-01-00-00"}},
		{"stray space in dictionary name", "文学、艺术学研究人员", 0, []string{"2-01-10-00"}},
		{"no match", "宇航驾驶员之王", 0, nil},
		{"no code match", "9-99", 0, nil},
		{"empty", "   ", 10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := codes(d.Search(tt.query, tt.limit))
			if len(got) == 0 && len(tt.want) == 0 {
				return
			}
			require.Equal(t, tt.want, got, "Search(%q, %d)", tt.query, tt.limit)
		})
	}

	if got := len(d.Search("6-31", 0)); got < 10 {
		t.Errorf("Search(6-31, 0) = %d results, want all of the middle group", got)
	}
	if got := len(d.Search("6", 5)); got != 5 {
		t.Errorf("Search(6, 5) = %d results, want 5", got)
	}
	if got := len(d.Search("工", 0)); got <= 100 {
		t.Errorf("Search(工, 0) = %d results, want every match with limit 0", got)
	}
}

func TestGroupName(t *testing.T) {
	tests := []struct {
		code, want string
		ok         bool
	}{
		{"6", "生产制造及有关人员", true},
		{"1", "党的机关、国家机关、群众团体和社会组织、企事业单位负责人", true},
		{"6-31", "生产辅助人员", true},
		{"6-31-01", "机械设备修理人员", true},
		{"6-02-04", "乳制品加工人员", true},
		{"9", "", false},
		{"6-31-01-03", "", false},
	}
	for _, tt := range tests {
		got, ok := GroupName(tt.code)
		if got != tt.want || ok != tt.ok {
			t.Errorf("GroupName(%q) = %q, %v; want %q, %v", tt.code, got, ok, tt.want, tt.ok)
		}
	}
	// Every occupation's groups are named.
	for _, o := range Default().All() {
		for _, g := range []string{o.Code[:1], o.Middle, o.Minor} {
			if _, ok := GroupName(g); !ok {
				t.Errorf("%s %s: group %s has no name", o.Code, o.Name, g)
			}
		}
	}
}

func TestAllIsACopy(t *testing.T) {
	d := Default()
	all := d.All()
	all[0].Name = "changed"
	if o, _ := d.Lookup(all[0].Code); o.Name == "changed" {
		t.Errorf("All() exposes the dictionary's own slice")
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(sample)
	f.Add("\ufeff" + strings.ReplaceAll(sample, "\n", "\r\n"))
	f.Add("code,name,major,middle,minor\n6-31-01-03,\"电工\",6,6-31,6-31-01\n6-31-01-03,x,6,6-31,6-31-01\n")
	f.Add("code,name,major,middle,minor\n\"")
	f.Add("")
	f.Add("a,b\nc")
	f.Fuzz(func(t *testing.T, input string) {
		d, err := Load(strings.NewReader(input))
		if err != nil {
			if d != nil {
				t.Fatalf("Load returned a dictionary and an error")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("Load error %v is not a *LoadError", err)
			}
			return
		}
		if d.Len() == 0 {
			t.Fatalf("Load succeeded with no occupations")
		}
		for _, o := range d.All() {
			if got, ok := d.Lookup(o.Code); !ok || got != o {
				t.Fatalf("Lookup(%q) = %+v, %v; want %+v", o.Code, got, ok, o)
			}
			if validate.CheckOccupationCodeFormat(o.Code) != nil || o.Name == "" {
				t.Fatalf("Load accepted %+v", o)
			}
			_ = d.Search(o.Name, 3)
			_ = d.Search(o.Code, 3)
		}
	})
}
