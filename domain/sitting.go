package domain

import (
	"strings"
	"time"
)

// MaxExamLead is how far ahead a sitting may be planned: a plan is for the coming year, and a
// date further out is a typing error (9999-12-31) that would make every due date unreadable.
const MaxExamLead = 366 * 24 * time.Hour

// ExamDateRule checks a sitting's exam date against today (Asia/Shanghai): not before today,
// not more than a year ahead. It answers the message of a refusal, or "".
func ExamDateRule(now, exam time.Time) string {
	if exam.Before(DueAfter(now, -1)) {
		return "考核日期不能早于今天"
	}
	if exam.After(EndOfDay(now.Add(MaxExamLead))) {
		return "考核日期不能晚于一年之后"
	}
	return ""
}

// ResultsRule checks that a sitting's results are submitted on or after its exam date
// (Asia/Shanghai): results that exist before the exam did not come from it. It answers the
// message of a refusal, or "".
func ResultsRule(now, exam time.Time) string {
	if now.Before(DueAfter(exam, -1)) {
		return "考核日期（" + exam.In(Shanghai).Format("2006-01-02") + "）之前不能报送认定结果"
	}
	return ""
}

// AssessorsRule checks a sitting's assessors (考评人员): at least three, an odd number, each
// named. It answers the message of a refusal, or "".
func AssessorsRule(names []string) string {
	if n := len(names); n < 3 || n%2 == 0 {
		return "考评人员应不少于 3 人且为单数"
	}
	for _, n := range names {
		if strings.TrimSpace(n) == "" {
			return "考评人员姓名不能为空"
		}
	}
	return ""
}

// CandidatesPerAssessor is the most candidates one assessor may assess in a sitting.
const CandidatesPerAssessor = 5

// AssessorsNeeded is the number of assessors a sitting of n candidates needs.
func AssessorsNeeded(candidates int) int {
	return (candidates + CandidatesPerAssessor - 1) / CandidatesPerAssessor
}
