package domain_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
)

func TestGenderFromID(t *testing.T) {
	require.Equal(t, domain.GenderMale, domain.GenderFromID("11010519491231002X"[:16]+"1X"))
	require.Equal(t, domain.GenderFemale, domain.GenderFromID("11010519491231002X"))
	require.Equal(t, domain.GenderFemale, domain.GenderFromID("110105 19491231 002x"))
	require.Equal(t, "", domain.GenderFromID("1101051949123100"))
}

func TestAgeAtExamAndBands(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	exam := time.Date(2026, 6, 1, 0, 0, 0, 0, sh).UTC() // 31 May 16:00 UTC: the day is Shanghai's
	for _, c := range []struct {
		birth string
		age   int
		band  string
	}{
		{"20010602", 24, "under25"}, {"20010601", 25, "25-34"}, {"19920601", 34, "25-34"}, {"19910601", 35, "35-44"},
		{"19820602", 43, "35-44"}, {"19810601", 45, "45-54"}, {"19710602", 54, "45-54"}, {"19710601", 55, "55plus"},
	} {
		age, ok := domain.AgeAtExam("150105"+c.birth+"0011", exam, sh)
		require.True(t, ok, c.birth)
		require.Equal(t, c.age, age, c.birth)
		require.Equal(t, c.band, domain.AgeBandOf(&age).Key, c.birth)
	}
	// A leap-day birthday is reached on 1 March in other years.
	require.Equal(t, 25, domain.AgeAt(time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)))
	require.Equal(t, 24, domain.AgeAt(time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 28, 0, 0, 0, 0, time.UTC)))
	_, ok := domain.AgeAtExam("15010520011332001X", exam, sh)
	require.False(t, ok, "no valid birth date")
	require.Equal(t, "unknown", domain.AgeBandOf(nil).Key)
}

func TestHighSkillLevelsAndPassRate(t *testing.T) {
	for l, want := range map[int]bool{1: true, 2: true, 3: true, 4: false, 5: false, 0: false} {
		require.Equal(t, want, domain.HighSkillLevel(l), l)
	}
	require.Equal(t, 66.6, domain.PassRate(2, 3))
	require.Equal(t, 0.0, domain.PassRate(0, 0))
}

func TestParseStatsPeriod(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	today := time.Date(2026, 12, 31, 20, 0, 0, 0, time.UTC) // 1 January 2027 in Shanghai
	p, errs := domain.ParseStatsPeriod("", "", today, sh)
	require.Empty(t, errs)
	require.Equal(t, "2027-01-01", p.From.Format("2006-01-02"))
	require.Equal(t, "2027-12-31", p.To.Format("2006-01-02"))
	require.Len(t, p.Months(), 12)
	p, errs = domain.ParseStatsPeriod("2026-02-15", "2026-04-01", today, sh)
	require.Empty(t, errs)
	require.Equal(t, []string{"2026-02", "2026-03", "2026-04"}, p.Months())
	_, errs = domain.ParseStatsPeriod("2026-05-01", "2026-04-01", today, sh)
	require.Equal(t, "to", errs[0].Field)
	_, errs = domain.ParseStatsPeriod("2026/05/01", "", today, sh)
	require.Equal(t, "from", errs[0].Field)
	_, errs = domain.ParseStatsPeriod("2000-01-01", "2026-01-01", today, sh)
	require.Equal(t, "too_long", errs[0].Code)
}
