package validate

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLevelNames(t *testing.T) {
	tests := []struct {
		l           Level
		name, short string
		valid       bool
	}{
		{Level5, "五级/初级工", "五级", true},
		{Level4, "四级/中级工", "四级", true},
		{Level3, "三级/高级工", "三级", true},
		{Level2, "二级/技师", "二级", true},
		{Level1, "一级/高级技师", "一级", true},
		{0, "无效等级(0)", "无效等级(0)", false},
		{6, "无效等级(6)", "无效等级(6)", false},
		{-1, "无效等级(-1)", "无效等级(-1)", false},
	}
	for _, tt := range tests {
		if got := tt.l.Name(); got != tt.name {
			t.Errorf("Level(%d).Name() = %q, want %q", int(tt.l), got, tt.name)
		}
		if got := tt.l.String(); got != tt.name {
			t.Errorf("Level(%d).String() = %q, want %q", int(tt.l), got, tt.name)
		}
		if got := tt.l.ShortName(); got != tt.short {
			t.Errorf("Level(%d).ShortName() = %q, want %q", int(tt.l), got, tt.short)
		}
		if got := tt.l.Valid(); got != tt.valid {
			t.Errorf("Level(%d).Valid() = %v, want %v", int(tt.l), got, tt.valid)
		}
	}
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		in   string
		want Level
		code string
	}{
		{"3", Level3, ""},
		{" 3 ", Level3, ""},
		{"3级", Level3, ""},
		{"三级", Level3, ""},
		{"高级工", Level3, ""},
		{"三级/高级工", Level3, ""},
		{"五级/初级工", Level5, ""},
		{"一级/高级技师", Level1, ""},
		{"高级技师", Level1, ""},
		{"技师", Level2, ""},
		{"二级", Level2, ""},
		{"中级工", Level4, ""},
		{"", 0, "required"},
		{"0", 0, "level_invalid"},
		{"6", 0, "level_invalid"},
		{"六级", 0, "level_invalid"},
		{"三级/技师", 0, "level_invalid"},
		{"高级", 0, "level_invalid"},
	}
	for _, tt := range tests {
		got, err := ParseLevel(tt.in)
		wantFault(t, "ParseLevel("+tt.in+")", err, tt.code)
		if got != tt.want {
			t.Errorf("ParseLevel(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestLevelRangeString(t *testing.T) {
	tests := []struct {
		r    LevelRange
		want string
	}{
		{LevelRange{Low: Level5, High: Level3}, "五级至三级"},
		{LevelRange{Low: Level3, High: Level1}, "三级至一级"},
		{FullRange(), "五级至一级"},
		{LevelRange{Low: Level3, High: Level3}, "三级"},
	}
	for _, tt := range tests {
		if got := tt.r.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.r, got, tt.want)
		}
	}
}

func TestLevelRangeValidate(t *testing.T) {
	tests := []struct {
		r         LevelRange
		code      string
		fragments []string
	}{
		{LevelRange{Low: Level5, High: Level3}, "", nil},
		{LevelRange{Low: Level3, High: Level3}, "", nil},
		{FullRange(), "", nil},
		{LevelRange{}, "required", nil},
		{LevelRange{Low: Level3, High: Level5}, "level_range_order", []string{"如五级至三级", "而不是三级至五级"}},
		{LevelRange{Low: 6, High: Level3}, "level_invalid", []string{"无效等级6"}},
		{LevelRange{Low: Level5, High: 0}, "level_invalid", []string{"无效等级0"}},
	}
	for _, tt := range tests {
		wantFault(t, "Validate", tt.r.Validate(), tt.code, tt.fragments...)
	}
}

func TestLevelRangeContains(t *testing.T) {
	r := LevelRange{Low: Level5, High: Level3}
	tests := []struct {
		l    Level
		want bool
	}{{Level5, true}, {Level4, true}, {Level3, true}, {Level2, false}, {Level1, false}, {0, false}, {6, false}}
	for _, tt := range tests {
		if got := r.Contains(tt.l); got != tt.want {
			t.Errorf("五级至三级.Contains(%d) = %v, want %v", tt.l, got, tt.want)
		}
	}
}

func TestLevelRangeWithin(t *testing.T) {
	r := func(low, high Level) LevelRange { return LevelRange{Low: low, High: high} }
	tests := []struct {
		name       string
		r, other   LevelRange
		wantWithin bool
	}{
		{"equal", r(3, 1), r(3, 1), true},
		{"inside full", r(4, 3), FullRange(), true},
		{"single level inside", r(2, 2), r(3, 1), true},
		{"too low at bottom", r(5, 3), r(3, 1), false},
		{"too high at top", r(3, 1), r(5, 3), false},
		{"wider both ends", FullRange(), r(4, 2), false},
		{"invalid self", r(1, 3), FullRange(), false},
		{"zero self", LevelRange{}, FullRange(), false},
		{"zero other", r(3, 3), LevelRange{}, false},
	}
	for _, tt := range tests {
		if got := tt.r.Within(tt.other); got != tt.wantWithin {
			t.Errorf("%s: %v.Within(%v) = %v, want %v", tt.name, tt.r, tt.other, got, tt.wantWithin)
		}
	}
}

func TestLevelRangeLevels(t *testing.T) {
	tests := []struct {
		r    LevelRange
		want []Level
	}{
		{LevelRange{Low: Level5, High: Level3}, []Level{5, 4, 3}},
		{LevelRange{Low: Level2, High: Level2}, []Level{2}},
		{FullRange(), []Level{5, 4, 3, 2, 1}},
		{LevelRange{Low: Level1, High: Level3}, nil},
	}
	for _, tt := range tests {
		if got := tt.r.Levels(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v.Levels() = %v, want %v", tt.r, got, tt.want)
		}
	}
}

func TestParseLevelRange(t *testing.T) {
	tests := []struct {
		in   string
		want LevelRange
		code string
	}{
		{"五级至三级", LevelRange{Low: 5, High: 3}, ""},
		{"三级至一级", LevelRange{Low: 3, High: 1}, ""},
		{"5-3", LevelRange{Low: 5, High: 3}, ""},
		{"5至1", LevelRange{Low: 5, High: 1}, ""},
		{" 四级/中级工 至 二级/技师 ", LevelRange{Low: 4, High: 2}, ""},
		{"三级", LevelRange{Low: 3, High: 3}, ""},
		{"", LevelRange{}, "required"},
		{"三级至五级", LevelRange{}, "level_range_order"},
		{"六级至三级", LevelRange{}, "level_invalid"},
		{"至三级", LevelRange{}, "level_invalid"},
		{"5-", LevelRange{}, "level_invalid"},
	}
	for _, tt := range tests {
		got, err := ParseLevelRange(tt.in)
		wantFault(t, "ParseLevelRange("+tt.in+")", err, tt.code)
		if got != tt.want {
			t.Errorf("ParseLevelRange(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestLevelRangeJSON(t *testing.T) {
	b, err := json.Marshal(LevelRange{Low: Level5, High: Level3})
	require.NoError(t, err)
	if got, want := string(b), `{"low":5,"high":3}`; got != want {
		t.Errorf("json = %s, want %s", got, want)
	}
}
