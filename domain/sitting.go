package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"skillcert/models/validate"
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

// AssessorsRule checks a sitting's panel (考评人员) by the keys of its members: at least three,
// an odd number, each one a declared assessor's key (not a name typed in), none twice. It is
// the part of SittingAssessors the case workflow's validator can check on its own. It answers
// the message of a refusal, or "".
func AssessorsRule(keys []string) string {
	if n := len(keys); n < 3 || n%2 == 0 {
		return "考评人员应不少于 3 人且为单数"
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if strings.TrimSpace(k) == "" {
			return "考评人员须从申报表中申报的考评人员中选择"
		}
		if seen[k] {
			return "同一考评人员不能重复选择"
		}
		seen[k] = true
	}
	return ""
}

// DeclaredAssessor is an assessor (考评人员) as the enterprise declared them in its application
// (附件1 五(二)): Key is the keyed lookup hash of their ID number (models.PersonID.Lookup),
// which identifies the person without revealing the number; Name is for messages.
type DeclaredAssessor struct {
	Key, Name string
}

// Refusal messages of the sitting's panel rules.
const (
	msgUndeclaredAssessor = "所选考评人员不是本企业申报表（附件1）中申报的考评人员；认定工作不得授权或委托其他机构或人员开展"
	// MsgAssessorIsCandidate refuses a candidate who sits on the sitting's panel (回避).
	MsgAssessorIsCandidate = "考评人员不得作为本场次考生"
)

// SittingAssessors checks a sitting's panel, chosen by key, against the assessors the
// enterprise declared in its latest submitted application and the sitting's candidates (by
// ID-number lookup hash): every member declared (不得授权或委托其他机构开展), none chosen twice,
// none a candidate of the same sitting (回避), at least three and an odd number. The form
// declares no conflicts of interest for assessors, so there are none to exclude. A refusal
// about one member names it ("assessor_ids[1]"), one about the panel "assessor_ids".
func SittingAssessors(declared []DeclaredAssessor, chosen, candidates []string) validate.Errors {
	var errs validate.Errors
	byKey := map[string]DeclaredAssessor{}
	for _, d := range declared {
		if d.Key != "" {
			byKey[d.Key] = d
		}
	}
	seen := map[string]bool{}
	for i, k := range chosen {
		field := fmt.Sprintf("assessor_ids[%d]", i)
		d, ok := byKey[k]
		switch {
		case !ok:
			errs.Add(field, "undeclared_assessor", msgUndeclaredAssessor+"。")
		case seen[k]:
			errs.Add(field, "duplicate_assessor", "考评人员 "+d.Name+" 重复选择。")
		case slices.Contains(candidates, k):
			errs.Add(field, "assessor_is_candidate", "考评人员 "+d.Name+" 是本场次考生，应当回避："+MsgAssessorIsCandidate+"。")
		}
		seen[k] = true
	}
	if n := len(chosen); n < 3 || n%2 == 0 {
		errs.Add("assessor_ids", "assessor_count", "考评人员应不少于 3 人且为单数。")
	}
	return errs
}

// CandidateRecusal checks a candidate (by ID-number lookup hash) against the keys of the
// sitting's panel: an assessor of the sitting may not sit it (回避). It answers the message of a
// refusal, or "".
func CandidateRecusal(panel []string, candidate string) string {
	if candidate != "" && slices.Contains(panel, candidate) {
		return MsgAssessorIsCandidate
	}
	return ""
}

// CandidatesPerAssessor is the most candidates one assessor may assess in a sitting.
const CandidatesPerAssessor = 5

// AssessorsNeeded is the number of assessors a sitting of n candidates needs.
func AssessorsNeeded(candidates int) int {
	return (candidates + CandidatesPerAssessor - 1) / CandidatesPerAssessor
}
