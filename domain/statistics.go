package domain

import (
	"fmt"
	"time"

	"skillcert/models/validate"
)

// Statistics officials report (domain.md §13): candidates, passes and pass rate by occupation,
// level, league/city, gender, age band and period, and the number of highly skilled workers
// (高技能人才). The rules below decide what counts where; models counts, service assembles.

// Gender codes stored with a candidate (derived from the ID number when it is recorded).
const (
	GenderMale   = "M"
	GenderFemale = "F"
)

// StatGenderNames are the genders as the statistics print them; "" is a candidate recorded before
// the gender was derived and not yet backfilled.
var StatGenderNames = map[string]string{GenderMale: "男", GenderFemale: "女", "": "未知"}

// GenderOrder is the order of the gender rows.
var GenderOrder = []string{GenderMale, GenderFemale, ""}

// GenderFromID is the gender of a resident ID number (GB 11643): the 17th digit, odd for a man,
// even for a woman. Anything that is not an 18-character number with a digit there gives "".
func GenderFromID(id string) string {
	return StatGender(GenderOfResidentID(id))
}

// StatGender is the statistics code (GenderMale, GenderFemale) of a holder's gender (Male,
// Female), "" when it is not recorded.
func StatGender(g string) string {
	switch g {
	case Male:
		return GenderMale
	case Female:
		return GenderFemale
	}
	return ""
}

// AgeAt is the age in whole years on day of someone born on birth (calendar dates; a birthday
// on 29 February counts as reached on 1 March in other years).
func AgeAt(birth, day time.Time) int {
	by, bm, bd := birth.Date()
	y, m, d := day.Date()
	age := y - by
	if m < bm || (m == bm && d < bd) {
		age--
	}
	return max(age, 0)
}

// AgeAtExam is the age of the holder of an ID number on the exam date (a calendar date in loc),
// from the birth date in digits 7–14. ok is false when the number carries no valid birth date.
func AgeAtExam(id string, exam time.Time, loc *time.Location) (age int, ok bool) {
	birth, err := validate.IDBirthDate(validate.NormalizeIDNumber(id))
	if err != nil {
		return 0, false
	}
	if loc == nil {
		loc = time.UTC
	}
	e := exam.In(loc)
	return AgeAt(birth, time.Date(e.Year(), e.Month(), e.Day(), 0, 0, 0, 0, time.UTC)), true
}

// AgeBand is one age band of the statistics: ages Min to Max inclusive (Max 0: no upper bound).
type AgeBand struct {
	Key, Label string
	Min, Max   int
}

// AgeBands are the bands officials report, at the exam date: under 25, 25–34, 35–44, 45–54 and
// 55 or over.
var AgeBands = []AgeBand{
	{Key: "under25", Label: "25岁以下", Min: 0, Max: 24},
	{Key: "25-34", Label: "25—34岁", Min: 25, Max: 34},
	{Key: "35-44", Label: "35—44岁", Min: 35, Max: 44},
	{Key: "45-54", Label: "45—54岁", Min: 45, Max: 54},
	{Key: "55plus", Label: "55岁及以上", Min: 55},
}

// AgeBandUnknown is the band of a candidate whose age was not derived (not yet backfilled).
var AgeBandUnknown = AgeBand{Key: "unknown", Label: "未知", Min: -1, Max: -1}

// AgeBandOf is the band of an age; a nil age is AgeBandUnknown.
func AgeBandOf(age *int) AgeBand {
	if age == nil || *age < 0 {
		return AgeBandUnknown
	}
	for _, b := range AgeBands {
		if *age >= b.Min && (b.Max == 0 || *age <= b.Max) {
			return b
		}
	}
	return AgeBandUnknown
}

// HighSkillLevel reports whether a certificate of this level counts among the highly skilled
// workers (高技能人才): 三级/高级工, 二级/技师 and 一级/高级技师 (levels 3, 2 and 1, §6).
func HighSkillLevel(level int) bool { return level >= 1 && level <= 3 }

// HighSkillLevels are the levels of highly skilled workers, from 三级 up.
var HighSkillLevels = []int{3, 2, 1}

// PassRate is passed out of assessed in percent, rounded down to one decimal (0 when nobody was
// assessed), as the existing certificate report rounds it.
func PassRate(passed, assessed int64) float64 {
	if assessed <= 0 {
		return 0
	}
	return float64(passed*1000/assessed) / 10
}

// StatsPeriod is the period of a statistics request: calendar days From to To inclusive, in the
// programme's time zone.
type StatsPeriod struct {
	From, To time.Time
}

// MaxStatsPeriodDays bounds a period (a little over five years), so a request cannot ask for an
// unbounded month axis.
const MaxStatsPeriodDays = 5*366 + 1

// DefaultStatsPeriod is the pilot year of today: 1 January to 31 December in loc.
func DefaultStatsPeriod(today time.Time, loc *time.Location) StatsPeriod {
	y := today.In(loc).Year()
	return StatsPeriod{From: time.Date(y, 1, 1, 0, 0, 0, 0, loc), To: time.Date(y, 12, 31, 0, 0, 0, 0, loc)}
}

// ParseStatsPeriod reads a period typed as dates (2026-01-01); an empty bound takes the default
// period's. Errors are keyed from and to.
func ParseStatsPeriod(from, to string, today time.Time, loc *time.Location) (StatsPeriod, validate.Errors) {
	p := DefaultStatsPeriod(today, loc)
	var errs validate.Errors
	parse := func(field, v string, into *time.Time) {
		if v == "" {
			return
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil || t.Year() < 2000 || t.Year() > 2099 {
			errs.Add(field, "bad_date", "日期格式应为 2026-01-01，年份在 2000 至 2099 之间。")
			return
		}
		*into = t
	}
	parse("from", from, &p.From)
	parse("to", to, &p.To)
	if len(errs) > 0 {
		return p, errs
	}
	if p.To.Before(p.From) {
		errs.Add("to", "before_from", "结束日期不能早于开始日期。")
	} else if days := int(p.To.Sub(p.From).Hours()/24) + 1; days > MaxStatsPeriodDays {
		errs.Add("to", "too_long", fmt.Sprintf("统计期间最长 %d 天。", MaxStatsPeriodDays))
	}
	return p, errs
}

// Months are the calendar months the period touches, as 2006-01.
func (p StatsPeriod) Months() []string {
	var out []string
	last := time.Date(p.To.Year(), p.To.Month(), 1, 0, 0, 0, 0, time.UTC)
	for m := time.Date(p.From.Year(), p.From.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		out = append(out, m.Format("2006-01"))
	}
	return out
}
