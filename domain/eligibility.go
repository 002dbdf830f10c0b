package domain

import (
	"fmt"
	"slices"
	"strings"

	"skillcert/models/validate"
)

// Eligibility by level (申报条件). The national occupational skill standards follow one common
// template (国家职业技能标准编制技术规程, 2018): for each level a candidate qualifies by any one of
// a few routes built from the same facts — years worked in the occupation (or a related one), the
// lower-level certificate held and the years since, and schooling in the field. An occupation's
// own standard may differ, so the routes are data: CommonTemplate is the default and an
// occupation's override replaces the routes of one level (table eligibility_rules).

// Education is a candidate's schooling in the occupation's field, as the template names it.
const (
	EduNone = "none"
	// EduTechnicalSchool: 技工学校本专业毕业，或经评估论证以中级技能为培养目标的中等及以上职业学校本专业毕业.
	EduTechnicalSchool = "technical_school"
	// EduSeniorTechnical: 高级技工学校、技师学院本专业毕业，或经评估论证以高级技能为培养目标的高等职业学校本专业毕业.
	EduSeniorTechnical = "senior_technical"
	// EduPreparatoryTechnician: 技师学院预备技师（班）毕业，持预备技师证书.
	EduPreparatoryTechnician = "preparatory_technician"
	// EduCollege: 大专及以上本专业或相关专业毕业.
	EduCollege = "college"
)

// Educations lists the schooling codes in the order forms offer them.
var Educations = []string{EduNone, EduTechnicalSchool, EduSeniorTechnical, EduPreparatoryTechnician, EduCollege}

// EducationNames are the schooling codes' Chinese names.
var EducationNames = map[string]string{
	EduNone:                  "无本专业（相关专业）学历",
	EduTechnicalSchool:       "技工学校或中等及以上职业学校本专业毕业",
	EduSeniorTechnical:       "高级技工学校、技师学院或高等职业学校（高级技能培养目标）本专业毕业",
	EduPreparatoryTechnician: "技师学院预备技师班毕业（持预备技师证书）",
	EduCollege:               "大专及以上本专业或相关专业毕业",
}

// EligibilityRoute is one way to qualify for a level; every condition it sets must hold.
type EligibilityRoute struct {
	// Held is the certificate level the candidate must hold in the occupation or a related one
	// (5 = 五级 …); 0 asks for none. A higher certificate (a smaller digit) also counts.
	Held int `json:"held,omitempty"`
	// YearsSinceHeld are the years worked in the occupation since that certificate.
	YearsSinceHeld int `json:"years_since_held,omitempty"`
	// Years are the years worked in the occupation (or a related one) in all.
	Years int `json:"years,omitempty"`
	// Education lists the schooling that qualifies (any one of them); empty asks for none.
	Education []string `json:"education,omitempty"`
	// Apprenticeship asks for an apprenticeship completed in the occupation (学徒期满).
	Apprenticeship bool `json:"apprenticeship,omitempty"`
}

// EligibilityRules are the routes per level (5 … 1).
type EligibilityRules map[int][]EligibilityRoute

var seniorOrPrep = []string{EduSeniorTechnical, EduPreparatoryTechnician}

// CommonTemplate is the common template of the national occupational skill standards (domain.md §10).
var CommonTemplate = EligibilityRules{
	5: {{Years: 1}, {Apprenticeship: true}},
	4: {{Held: 5, YearsSinceHeld: 4}, {Years: 6},
		{Education: []string{EduTechnicalSchool, EduSeniorTechnical, EduPreparatoryTechnician}}},
	3: {{Held: 4, YearsSinceHeld: 5}, {Held: 4, Education: seniorOrPrep},
		{Held: 4, YearsSinceHeld: 2, Education: []string{EduCollege}}},
	2: {{Held: 3, YearsSinceHeld: 4}, {Held: 3, Years: 3, Education: seniorOrPrep},
		{Years: 2, Education: []string{EduPreparatoryTechnician}}},
	1: {{Held: 2, YearsSinceHeld: 4}},
}

// RulesFor answers an occupation's rules: the template with the levels the occupation's
// overrides replace.
func RulesFor(overrides map[int][]EligibilityRoute) EligibilityRules {
	out := EligibilityRules{}
	for l, rs := range CommonTemplate {
		out[l] = rs
	}
	for l, rs := range overrides {
		out[l] = rs
	}
	return out
}

// CandidateFacts are what a candidate declares for the eligibility check.
type CandidateFacts struct {
	// Years worked in the occupation or a related one (累计从事本职业或相关职业工作年限).
	Years int `json:"years_in_occupation"`
	// HeldLevel is the highest certificate level held in the occupation or a related one (0: none).
	HeldLevel int `json:"held_level"`
	// HeldYear is the year that certificate was obtained (0 when none is held).
	HeldYear int `json:"held_year"`
	// Education is the schooling in the field (one of Educations).
	Education string `json:"education"`
	// Apprenticeship: an apprenticeship in the occupation completed (学徒期满).
	Apprenticeship bool `json:"apprenticeship"`
}

// Ranges of the eligibility facts.
var (
	YearsInOccupation = Range{Label: "从事本职业（相关职业）工作年限", Min: 0, Max: 60}
	HeldLevel         = Range{Label: "已取得的证书等级", Min: 0, Max: 5}
)

// CheckFacts checks the facts as typed, given the year of the exam: field errors under the JSON names.
func CheckFacts(f CandidateFacts, examYear int) validate.Errors {
	var errs validate.Errors
	if fault := YearsInOccupation.Check(int64(f.Years)); fault != nil {
		errs.AddError("years_in_occupation", fault)
	}
	if fault := HeldLevel.Check(int64(f.HeldLevel)); fault != nil {
		errs.AddError("held_level", fault)
	}
	switch {
	case f.HeldLevel > 0 && f.HeldYear == 0:
		errs.Add("held_year", "required", "请填写取得该等级证书的年份。")
	case f.HeldLevel > 0 && (f.HeldYear < 1950 || f.HeldYear > examYear):
		errs.Add("held_year", CodeOutOfRange, fmt.Sprintf("取证年份应为 1950 至 %d 年之间。", examYear))
	case f.HeldLevel == 0 && f.HeldYear != 0:
		errs.Add("held_year", "not_applicable", "未取得证书时不填取证年份。")
	}
	if f.Education == "" {
		errs.Add("education", "required", "请选择学历（本专业或相关专业）；没有时选“"+EducationNames[EduNone]+"”。")
	} else if !slices.Contains(Educations, f.Education) {
		errs.Add("education", "invalid", "学历选项无效。")
	}
	return errs
}

// met reports whether the facts satisfy a route, with the exam year for the years since the certificate.
func (r EligibilityRoute) met(f CandidateFacts, examYear int) bool {
	if r.Held > 0 {
		if f.HeldLevel == 0 || f.HeldLevel > r.Held {
			return false
		}
		// Years worked since the certificate: no more than the years since it was obtained, nor
		// than all the years worked.
		since := min(f.Years, examYear-f.HeldYear)
		if since < r.YearsSinceHeld {
			return false
		}
	}
	if f.Years < r.Years {
		return false
	}
	if len(r.Education) > 0 && !slices.Contains(r.Education, f.Education) {
		return false
	}
	return !r.Apprenticeship || f.Apprenticeship
}

// Text describes a route in the words of the standards.
func (r EligibilityRoute) Text() string {
	var parts []string
	if r.Held > 0 {
		s := "取得本职业或相关职业" + validate.Level(r.Held).Name() + "证书"
		if r.YearsSinceHeld > 0 {
			s += fmt.Sprintf("后累计从事本职业或相关职业工作满 %d 年", r.YearsSinceHeld)
		}
		parts = append(parts, s)
	}
	if r.Years > 0 {
		parts = append(parts, fmt.Sprintf("累计从事本职业或相关职业工作满 %d 年", r.Years))
	}
	if len(r.Education) > 0 {
		names := make([]string, len(r.Education))
		for i, e := range r.Education {
			names[i] = EducationNames[e]
		}
		parts = append(parts, "具有"+strings.Join(names, "或")+"学历")
	}
	if r.Apprenticeship {
		parts = append(parts, "本职业或相关职业学徒期满")
	}
	return strings.Join(parts, "，")
}

// CheckRoute checks a route of an override for a level: at least one condition, a lower
// certificate than the level, known schooling. It answers the message of a refusal, or "".
func CheckRoute(level int, r EligibilityRoute) string {
	if r.Held == 0 && r.Years == 0 && len(r.Education) == 0 && !r.Apprenticeship && r.YearsSinceHeld == 0 {
		return "每种申报条件至少应规定一项要求"
	}
	if r.Held != 0 && (r.Held <= level || r.Held > 5) {
		return "所需证书应低于申报等级"
	}
	if r.Held == 0 && r.YearsSinceHeld != 0 {
		return "未要求证书时不能规定取证后的年限"
	}
	if r.Years < 0 || r.Years > 60 || r.YearsSinceHeld < 0 || r.YearsSinceHeld > 60 {
		return "年限应为 0 至 60 年"
	}
	for _, e := range r.Education {
		if e == EduNone || !slices.Contains(Educations, e) {
			return "学历选项无效"
		}
	}
	return ""
}

// Eligible checks a candidate's facts against the rules for a level in the exam's year. It
// answers "" when the candidate qualifies by any route, or the reason of the refusal in Chinese:
// the routes of the level and what the candidate declared.
func (rules EligibilityRules) Eligible(level int, f CandidateFacts, examYear int) string {
	routes := rules[level]
	name := validate.Level(level).Name()
	if len(routes) == 0 {
		return "该职业未规定" + name + "的申报条件，不能报名该等级"
	}
	for _, r := range routes {
		if r.met(f, examYear) {
			return ""
		}
	}
	var b strings.Builder
	b.WriteString("不符合申报条件：申报" + name + "须具备下列条件之一：")
	for i, r := range routes {
		if i > 0 {
			b.WriteString("；")
		}
		fmt.Fprintf(&b, "（%d）%s", i+1, r.Text())
	}
	b.WriteString("。考生填报：" + f.Text())
	return b.String()
}

// Text describes the facts as a candidate declared them.
func (f CandidateFacts) Text() string {
	s := fmt.Sprintf("累计从事本职业或相关职业工作 %d 年", f.Years)
	if f.HeldLevel > 0 {
		s += fmt.Sprintf("，%d 年取得%s证书", f.HeldYear, validate.Level(f.HeldLevel).Name())
	} else {
		s += "，未取得本职业或相关职业证书"
	}
	if n := EducationNames[f.Education]; n != "" {
		s += "，" + n
	}
	if f.Apprenticeship {
		s += "，学徒期满"
	}
	return s
}
