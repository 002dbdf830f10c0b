package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation("2006-01-02 15:04", s, domain.Shanghai)
	if err != nil {
		panic(err)
	}
	return d
}

func TestPublicityEndsCountsWorkingDays(t *testing.T) {
	none := domain.WorkCalendar{}
	// Published on Friday 2026-09-18: Mon 21 … Fri 25 are the five working days.
	require.Equal(t, day("2026-09-25 23:59").Add(59*time.Second).UTC(), domain.PublicityEnds(day("2026-09-18 10:00"), 5, none))
	// Published on a Saturday: the count starts on Monday.
	require.Equal(t, day("2026-09-25 23:59").Add(59*time.Second).UTC(), domain.PublicityEnds(day("2026-09-19 10:00"), 5, none))
	// National Day 2026: 1–7 October off (the weekdays 1, 2, 5, 6, 7 as holidays), Sunday 27
	// September and Saturday 10 October worked in exchange.
	cal := domain.WorkCalendar{Holidays: map[string]bool{"2026-10-01": true, "2026-10-02": true, "2026-10-05": true, "2026-10-06": true, "2026-10-07": true},
		Workdays: map[string]bool{"2026-09-27": true, "2026-10-10": true}}
	// Published Friday 25 September: Sun 27, Mon 28, Tue 29, Wed 30, (1–7 off), Thu 8.
	require.Equal(t, day("2026-10-08 23:59").Add(59*time.Second).UTC(), domain.PublicityEnds(day("2026-09-25 16:00"), 5, cal))
	// Without the table the same publication would end on Friday 2 October.
	require.Equal(t, day("2026-10-02 23:59").Add(59*time.Second).UTC(), domain.PublicityEnds(day("2026-09-25 16:00"), 5, none))
	require.True(t, cal.IsWorkingDay(day("2026-10-10 09:00")))
	require.False(t, cal.IsWorkingDay(day("2026-10-06 09:00")))
}

func TestIssuanceAllowed(t *testing.T) {
	ends := day("2026-09-25 23:59")
	ok, why := domain.IssuanceAllowed(ends.Add(-time.Minute), ends, 0, 0)
	require.False(t, ok)
	require.Contains(t, why, "届满前不得颁发证书")
	ok, why = domain.IssuanceAllowed(ends, ends, 1, 0)
	require.False(t, ok)
	require.Contains(t, why, "尚在核查")
	ok, _ = domain.IssuanceAllowed(ends, ends, 0, 1)
	require.False(t, ok)
	ok, _ = domain.IssuanceAllowed(ends, time.Time{}, 0, 0)
	require.False(t, ok)
	ok, why = domain.IssuanceAllowed(ends.Add(time.Second), ends, 0, 0)
	require.True(t, ok, why)
}

func TestCalendarDayAndPublicityDays(t *testing.T) {
	_, msg := domain.CheckCalendarDay("2026-10-03", domain.DayHoliday)
	require.Contains(t, msg, "无需登记")
	_, msg = domain.CheckCalendarDay("2026-10-10", domain.DayWorkday)
	require.Empty(t, msg)
	_, msg = domain.CheckCalendarDay("2026-10-09", domain.DayWorkday)
	require.Contains(t, msg, "须为周六或周日")
	_, msg = domain.CheckCalendarDay("2026-13-01", domain.DayHoliday)
	require.Contains(t, msg, "YYYY-MM-DD")
	require.Empty(t, domain.CheckPublicityDays(5))
	require.NotEmpty(t, domain.CheckPublicityDays(0))
	require.NotEmpty(t, domain.CheckPublicityDays(31))
}

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "张三丰": "张*丰", "欧阳小明": "欧**明", "李": "李*", "": ""} {
		require.Equal(t, want, domain.MaskName(in), in)
	}
}
