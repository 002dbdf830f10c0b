package domain

import "skillcert/models/validate"

// PassMark is the pass mark of every part of an assessment, out of 100 (domain §7).
const PassMark = 60

// Scores are a candidate's marks: theory (理论知识考试) and skill (操作技能考核) for every
// level, and the comprehensive review (综合评审) for 二级/技师 and 一级/高级技师 only.
type Scores struct {
	Theory, Skill, Review *int
}

// NeedsReview reports whether a level has a comprehensive review.
func NeedsReview(level int) bool { return level <= 2 }

// ScoreResult checks a candidate's scores for a level and answers "pass" when every required
// part reaches PassMark, "fail" otherwise; field errors name a missing or out-of-range mark.
func ScoreResult(level int, s Scores) (string, validate.Errors) {
	var errs validate.Errors
	check := func(field, name string, v *int, required bool) {
		switch {
		case v == nil && required:
			errs.Add(field, "required", "请录入"+name+"成绩。")
		case v != nil && (*v < 0 || *v > 100):
			errs.Add(field, "out_of_range", name+"成绩应为 0 至 100 分。")
		}
	}
	review := NeedsReview(level)
	check("theory", "理论知识考试", s.Theory, true)
	check("skill", "操作技能考核", s.Skill, true)
	check("review", "综合评审", s.Review, review)
	if !review && s.Review != nil {
		errs.Add("review", "not_applicable", "三级及以下不设综合评审。")
	}
	if len(errs) > 0 {
		return "", errs
	}
	for _, v := range []*int{s.Theory, s.Skill, s.Review} {
		if v != nil && *v < PassMark {
			return "fail", nil
		}
	}
	return "pass", nil
}
