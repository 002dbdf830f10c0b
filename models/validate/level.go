package validate

import (
	"fmt"
	"strings"
)

// Level is a vocational skill level as its digit: 5 is the lowest grade
// (五级/初级工) and 1 the highest (一级/高级技师). The zero value is not a
// valid level.
type Level int

// The five skill levels (domain reference §6).
const (
	// Level1 is 一级/高级技师, the highest grade.
	Level1 Level = 1
	// Level2 is 二级/技师.
	Level2 Level = 2
	// Level3 is 三级/高级工.
	Level3 Level = 3
	// Level4 is 四级/中级工.
	Level4 Level = 4
	// Level5 is 五级/初级工, the lowest grade.
	Level5 Level = 5
)

// Sentinels for the faults of ParseLevel, ParseLevelRange and
// LevelRange.Validate; an empty value gives ErrRequired.
var (
	// ErrLevelInvalid is a level that is not one of 一级 to 五级.
	ErrLevelInvalid = fault("level_invalid", "职业技能等级无效")
	// ErrLevelRangeOrder is a range written from high to low.
	ErrLevelRangeOrder = fault("level_range_order", "等级范围应从低到高填写")
)

var (
	levelShort = [...]string{"", "一级", "二级", "三级", "四级", "五级"}
	levelTitle = [...]string{"", "高级技师", "技师", "高级工", "中级工", "初级工"}
)

// Valid reports whether l is one of the five levels.
func (l Level) Valid() bool { return l >= Level1 && l <= Level5 }

// Name returns the full name printed on a certificate, such as "三级/高级工".
func (l Level) Name() string {
	if !l.Valid() {
		return fmt.Sprintf("无效等级(%d)", int(l))
	}
	return levelShort[l] + "/" + levelTitle[l]
}

// ShortName returns the grade alone, such as "三级".
func (l Level) ShortName() string {
	if !l.Valid() {
		return fmt.Sprintf("无效等级(%d)", int(l))
	}
	return levelShort[l]
}

// String returns Name.
func (l Level) String() string { return l.Name() }

// ParseLevel reads a level written as its digit ("3"), its grade ("三级",
// "3级"), its title ("高级工") or its full name ("三级/高级工"), ignoring
// surrounding whitespace.
func ParseLevel(s string) (Level, error) {
	t := stripSpace(s)
	if t == "" {
		return 0, fault(ErrRequired.Code, "请填写职业技能等级")
	}
	for l := Level1; l <= Level5; l++ {
		digit := string(rune('0' + l))
		switch t {
		case digit, digit + "级", levelShort[l], levelTitle[l], l.Name():
			return l, nil
		}
	}
	return 0, fault(ErrLevelInvalid.Code, fmt.Sprintf("职业技能等级“%s”无效，应为五级/初级工至一级/高级技师之一", clip(t)))
}

// LevelRange is a contiguous span of levels, written from the lowest grade to
// the highest (五级至三级). Low is the lower grade and so the larger digit;
// High is the higher grade and the smaller digit: 五级至三级 is
// LevelRange{Low: Level5, High: Level3}. A single level has Low == High.
// The zero value is the empty, invalid range.
type LevelRange struct {
	Low  Level `json:"low"`
	High Level `json:"high"`
}

// FullRange returns 五级至一级, all five levels.
func FullRange() LevelRange { return LevelRange{Low: Level5, High: Level1} }

// IsZero reports whether r is the zero value, i.e. no range was given.
func (r LevelRange) IsZero() bool { return r == LevelRange{} }

// Validate checks that both ends are levels and that Low is not a higher
// grade than High.
func (r LevelRange) Validate() error {
	if r.IsZero() {
		return fault(ErrRequired.Code, "请选择等级范围")
	}
	for _, l := range []Level{r.Low, r.High} {
		if !l.Valid() {
			return fault(ErrLevelInvalid.Code, fmt.Sprintf("等级范围含有无效等级%d，等级应为1（一级）至5（五级）", int(l)))
		}
	}
	if r.Low < r.High {
		return fault(ErrLevelRangeOrder.Code, fmt.Sprintf("等级范围应从低到高填写，如%s至%s，而不是%s至%s",
			r.High.ShortName(), r.Low.ShortName(), r.Low.ShortName(), r.High.ShortName()))
	}
	return nil
}

// String returns the range as written on forms: "五级至三级", or "三级" for a
// single level; "" for the zero range (an occupation that has no levels).
func (r LevelRange) String() string {
	if r.IsZero() {
		return ""
	}
	if r.Low == r.High {
		return r.Low.ShortName()
	}
	return r.Low.ShortName() + "至" + r.High.ShortName()
}

// Contains reports whether l is a valid level inside r.
func (r LevelRange) Contains(l Level) bool {
	return l.Valid() && l <= r.Low && l >= r.High
}

// Within reports whether r is a valid range no wider than other at either
// end: 四级至三级 is within 五级至一级, 五级至三级 is not within 三级至一级.
func (r LevelRange) Within(other LevelRange) bool {
	return r.Validate() == nil && other.Contains(r.Low) && other.Contains(r.High)
}

// Levels lists the levels of r from the lowest grade to the highest, e.g.
// [5 4 3] for 五级至三级; nil for an invalid range.
func (r LevelRange) Levels() []Level {
	if r.Validate() != nil {
		return nil
	}
	out := make([]Level, 0, int(r.Low-r.High)+1)
	for l := r.Low; l >= r.High; l-- {
		out = append(out, l)
	}
	return out
}

// ParseLevelRange reads a range written "五级至三级", "五级-三级", "5-3",
// "5至3" or a single level such as "三级", each end in any form ParseLevel
// accepts. The ends must be written from low to high.
func ParseLevelRange(s string) (LevelRange, error) {
	t := stripSpace(s)
	if t == "" {
		return LevelRange{}, fault(ErrRequired.Code, "请填写等级范围")
	}
	lo, hi, found := strings.Cut(t, "至")
	if !found {
		lo, hi, found = strings.Cut(t, "-")
	}
	if !found {
		hi = lo
	}
	if lo == "" || hi == "" {
		return LevelRange{}, fault(ErrLevelInvalid.Code, fmt.Sprintf("等级范围“%s”不完整，应写作如五级至三级", clip(t)))
	}
	low, err := ParseLevel(lo)
	if err != nil {
		return LevelRange{}, err
	}
	high, err := ParseLevel(hi)
	if err != nil {
		return LevelRange{}, err
	}
	r := LevelRange{Low: low, High: high}
	if err := r.Validate(); err != nil {
		return LevelRange{}, err
	}
	return r, nil
}
