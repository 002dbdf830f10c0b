package domain

import (
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zoneinfo
)

// Shanghai is the time zone of every deadline of the programme.
var Shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// EndOfDay is 23:59:59 Asia/Shanghai of the day of t.
func EndOfDay(t time.Time) time.Time {
	d := t.In(Shanghai)
	return time.Date(d.Year(), d.Month(), d.Day(), 23, 59, 59, 0, Shanghai).UTC()
}

// DueAfter is the end of the day (Asia/Shanghai) days after now: every wait on a person is due
// at the end of a day.
func DueAfter(now time.Time, days int) time.Time {
	return EndOfDay(now.In(Shanghai).AddDate(0, 0, days))
}

// DefaultCalendar returns a pilot year's default collection deadline (the leagues' summaries,
// 20 May 23:59:59) and publication target (the directory, 5 June 23:59:59), Asia/Shanghai.
func DefaultCalendar(year int) (collection, publication time.Time) {
	return time.Date(year, time.May, 20, 23, 59, 59, 0, Shanghai).UTC(), time.Date(year, time.June, 5, 23, 59, 59, 0, Shanghai).UTC()
}

// CampaignFor returns the pilot year whose campaign takes an application at now: the first
// year, from now's own, whose collection deadline has not passed. A running campaign's deadline
// is the one it has now (the region may have moved it); running gives it for the years that have
// a campaign, and years without one take the default 20 May.
func CampaignFor(now time.Time, running func(year int) (collection time.Time, ok bool)) int {
	year := now.In(Shanghai).Year()
	for ; ; year++ {
		deadline, ok := running(year)
		if !ok {
			deadline, _ = DefaultCalendar(year)
		}
		if !now.After(deadline) {
			return year
		}
	}
}
