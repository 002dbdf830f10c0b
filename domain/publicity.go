package domain

import (
	"fmt"
	"strings"
	"time"
)

// Results publicity (认定结果公示): once the appraisal centre approves a sitting's results they
// are published on a public page for a number of working days, during which anyone may object;
// certificates are issued only after the period has ended with no objection open or sustained.

// Publicity length in working days: the default, and the range the region may set.
const (
	DefaultPublicityDays = 5
	MinPublicityDays     = 1
	MaxPublicityDays     = 30
)

// Kinds of a day in the working-day table.
const (
	DayHoliday = "holiday" // a weekday that is a public holiday (法定节假日及调休放假)
	DayWorkday = "workday" // a weekend day that is worked (调休上班)
)

// DayLayout is how a date of the working-day table is written.
const DayLayout = "2006-01-02"

// WorkCalendar is the region's working-day table: the dates that differ from the rule
// "Monday to Friday are working days". China's holidays and the weekend days worked in exchange
// are announced every year by the State Council, so they are data the region keeps, not code.
type WorkCalendar struct {
	Holidays map[string]bool // weekdays off
	Workdays map[string]bool // weekend days worked
}

// IsWorkingDay tells whether the day of t (Asia/Shanghai) is a working day.
func (c WorkCalendar) IsWorkingDay(t time.Time) bool {
	d := t.In(Shanghai)
	key := d.Format(DayLayout)
	if c.Workdays[key] {
		return true
	}
	if c.Holidays[key] {
		return false
	}
	return d.Weekday() != time.Saturday && d.Weekday() != time.Sunday
}

// PublicityEnds is the end of a publicity of days working days published at start: the count
// begins with the first working day after the day of publication, and the period ends at
// 23:59:59 (Asia/Shanghai) of the last one. Published on a Friday with the default five days and
// no holidays, it ends the next Friday evening.
func PublicityEnds(start time.Time, days int, cal WorkCalendar) time.Time {
	if days < MinPublicityDays {
		days = MinPublicityDays
	}
	d := start.In(Shanghai)
	d = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, Shanghai)
	for n := 0; n < days; {
		d = d.AddDate(0, 0, 1)
		if cal.IsWorkingDay(d) {
			n++
		}
	}
	return EndOfDay(d)
}

// CheckPublicityDays checks a publicity length set by the region.
func CheckPublicityDays(days int) string {
	if days < MinPublicityDays || days > MaxPublicityDays {
		return fmt.Sprintf("公示期应为 %d 至 %d 个工作日", MinPublicityDays, MaxPublicityDays)
	}
	return ""
}

// CheckCalendarDay checks an entry of the working-day table: a valid date, a holiday only on a
// weekday and a worked day only on a weekend (anything else would change nothing).
func CheckCalendarDay(date, kind string) (time.Time, string) {
	d, err := time.ParseInLocation(DayLayout, strings.TrimSpace(date), Shanghai)
	if err != nil {
		return time.Time{}, "日期格式应为 YYYY-MM-DD"
	}
	weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
	switch kind {
	case DayHoliday:
		if weekend {
			return d, "周六、周日本为休息日，无需登记为节假日；调休上班的周末请登记为“调休上班”"
		}
	case DayWorkday:
		if !weekend {
			return d, "调休上班日须为周六或周日；周一至周五本为工作日"
		}
	default:
		return d, "类型应为“节假日”或“调休上班”"
	}
	return d, ""
}

// Objection statuses.
const (
	ObjectionOpen       = "open"       // a review task with the appraisal centre
	ObjectionDismissed  = "dismissed"  // not founded: the certificates proceed
	ObjectionSustained  = "sustained"  // founded: the candidates named go back for correction
	ObjectionSuperseded = "superseded" // closed unreviewed: another objection sent the results back
)

// IssuanceAllowed is the publicity rule on certificates: issued only once the period has ended
// (now at or after ends), with no objection under review and none sustained in this period.
// The message says why not.
func IssuanceAllowed(now, ends time.Time, open, sustained int) (bool, string) {
	switch {
	case ends.IsZero():
		return false, "认定结果尚未公示"
	case now.Before(ends):
		return false, "公示期至 " + ends.In(Shanghai).Format("2006-01-02 15:04") + " 届满，届满前不得颁发证书"
	case open > 0:
		return false, fmt.Sprintf("公示期内有 %d 件异议尚在核查，核查完毕前不得颁发证书", open)
	case sustained > 0:
		return false, "公示期内异议成立，相关认定结果已退回更正，须更正后重新审核、公示"
	}
	return true, ""
}

// ObjectionOpenAt tells whether an objection may be raised at now against a sitting whose
// results are in publicity until ends.
func ObjectionOpenAt(now, ends time.Time) bool { return !ends.IsZero() && now.Before(ends) }

// MaskName hides part of a person's name for a public page: the surname and, for names of
// three or more characters, the last character stay (张三 → 张*, 张三丰 → 张*丰, 欧阳小明 → 欧**明).
func MaskName(name string) string {
	r := []rune(strings.TrimSpace(name))
	switch len(r) {
	case 0:
		return ""
	case 1:
		return string(r) + "*"
	case 2:
		return string(r[0]) + "*"
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
