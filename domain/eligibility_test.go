package domain_test

import (
	"strings"
	"testing"

	"skillcert/domain"
)

func TestEligibilityCommonTemplate(t *testing.T) {
	const year = 2026
	type facts = domain.CandidateFacts
	none, tech, senior, prep, college := domain.EduNone, domain.EduTechnicalSchool, domain.EduSeniorTechnical,
		domain.EduPreparatoryTechnician, domain.EduCollege
	cases := []struct {
		name  string
		level int
		f     facts
		ok    bool
	}{
		// 五级: ≥1 year, or an apprenticeship completed.
		{"5: one year", 5, facts{Years: 1, Education: none}, true},
		{"5: apprenticeship, no years", 5, facts{Apprenticeship: true, Education: none}, true},
		{"5: nothing", 5, facts{Education: none}, false},
		// 四级: 五级 + 4 years since; or 6 years; or a technical-school diploma.
		{"4: 五级 + 4 years since", 4, facts{Years: 5, HeldLevel: 5, HeldYear: 2022, Education: none}, true},
		{"4: 五级 but 3 years since", 4, facts{Years: 5, HeldLevel: 5, HeldYear: 2023, Education: none}, false},
		{"4: 五级 long ago but worked 3 years", 4, facts{Years: 3, HeldLevel: 5, HeldYear: 2010, Education: none}, false},
		{"4: six years, no certificate", 4, facts{Years: 6, Education: none}, true},
		{"4: five years, no certificate", 4, facts{Years: 5, Education: none}, false},
		{"4: technical school graduate", 4, facts{Education: tech}, true},
		{"4: college graduate only", 4, facts{Years: 1, Education: college}, false},
		// 三级: 四级 + 5 years; or 四级 + senior technical school; or college + 四级 + 2 years.
		{"3: 四级 + 5 years", 3, facts{Years: 9, HeldLevel: 4, HeldYear: 2021, Education: none}, true},
		{"3: 四级 + 4 years", 3, facts{Years: 9, HeldLevel: 4, HeldYear: 2022, Education: none}, false},
		{"3: 四级 + senior technical", 3, facts{HeldLevel: 4, HeldYear: 2026, Education: senior}, true},
		{"3: senior technical without 四级", 3, facts{Years: 10, Education: senior}, false},
		{"3: college + 四级 + 2 years", 3, facts{Years: 2, HeldLevel: 4, HeldYear: 2024, Education: college}, true},
		{"3: college + 四级 + 1 year", 3, facts{Years: 1, HeldLevel: 4, HeldYear: 2024, Education: college}, false},
		{"3: 五级 only", 3, facts{Years: 20, HeldLevel: 5, HeldYear: 2000, Education: college}, false},
		{"3: higher certificate counts", 3, facts{Years: 6, HeldLevel: 2, HeldYear: 2020, Education: none}, true},
		// 二级: 三级 + 4 years; 三级 + senior technical + 3 years; preparatory technician + 2 years.
		{"2: 三级 + 4 years", 2, facts{Years: 4, HeldLevel: 3, HeldYear: 2022, Education: none}, true},
		{"2: 三级 + 3 years", 2, facts{Years: 10, HeldLevel: 3, HeldYear: 2023, Education: none}, false},
		{"2: 三级 + senior technical + 3 years", 2, facts{Years: 3, HeldLevel: 3, HeldYear: 2025, Education: senior}, true},
		{"2: 三级 + senior technical + 2 years", 2, facts{Years: 2, HeldLevel: 3, HeldYear: 2025, Education: senior}, false},
		{"2: preparatory technician + 2 years", 2, facts{Years: 2, Education: prep}, true},
		{"2: preparatory technician + 1 year", 2, facts{Years: 1, Education: prep}, false},
		// 一级: 二级 + 4 years.
		{"1: 二级 + 4 years", 1, facts{Years: 12, HeldLevel: 2, HeldYear: 2022, Education: none}, true},
		{"1: 二级 + 3 years", 1, facts{Years: 12, HeldLevel: 2, HeldYear: 2023, Education: none}, false},
		{"1: 三级 + 20 years", 1, facts{Years: 20, HeldLevel: 3, HeldYear: 2000, Education: college}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			reason := domain.CommonTemplate.Eligible(c.level, c.f, year)
			if got := reason == ""; got != c.ok {
				t.Fatalf("Eligible(%d, %+v) = %q, want eligible=%v", c.level, c.f, reason, c.ok)
			}
			if !c.ok && !strings.HasPrefix(reason, "不符合申报条件：申报") {
				t.Errorf("reason %q does not say what is missing", reason)
			}
		})
	}
}

func TestEligibilityReasonNamesRoutesAndFacts(t *testing.T) {
	reason := domain.CommonTemplate.Eligible(1, domain.CandidateFacts{Years: 12, HeldLevel: 2, HeldYear: 2024, Education: domain.EduNone}, 2026)
	for _, want := range []string{"一级/高级技师", "取得本职业或相关职业二级/技师证书后累计从事本职业或相关职业工作满 4 年",
		"考生填报：累计从事本职业或相关职业工作 12 年，2024 年取得二级/技师证书"} {
		if !strings.Contains(reason, want) {
			t.Errorf("reason %q lacks %q", reason, want)
		}
	}
}

func TestEligibilityOverridePerOccupation(t *testing.T) {
	// An occupation whose standard asks 8 years for 四级 without a certificate, and opens no 五级.
	rules := domain.RulesFor(map[int][]domain.EligibilityRoute{4: {{Years: 8}}, 5: {}})
	f := domain.CandidateFacts{Years: 6, Education: domain.EduNone}
	if r := domain.CommonTemplate.Eligible(4, f, 2026); r != "" {
		t.Fatalf("template refuses 6 years for 四级: %q", r)
	}
	if r := rules.Eligible(4, f, 2026); !strings.Contains(r, "满 8 年") {
		t.Errorf("override: got %q, want a refusal naming 8 years", r)
	}
	if r := rules.Eligible(5, domain.CandidateFacts{Years: 5, Education: domain.EduNone}, 2026); !strings.Contains(r, "未规定五级/初级工的申报条件") {
		t.Errorf("closed level: got %q", r)
	}
	if r := rules.Eligible(3, domain.CandidateFacts{Years: 9, HeldLevel: 4, HeldYear: 2021, Education: domain.EduNone}, 2026); r != "" {
		t.Errorf("levels without an override keep the template: got %q", r)
	}
}

func TestCheckFactsAndRoutes(t *testing.T) {
	cases := []struct {
		name  string
		f     domain.CandidateFacts
		field string
	}{
		{"negative years", domain.CandidateFacts{Years: -1, Education: domain.EduNone}, "years_in_occupation"},
		{"level 6", domain.CandidateFacts{HeldLevel: 6, HeldYear: 2020, Education: domain.EduNone}, "held_level"},
		{"certificate without year", domain.CandidateFacts{HeldLevel: 4, Education: domain.EduNone}, "held_year"},
		{"year in the future", domain.CandidateFacts{HeldLevel: 4, HeldYear: 2027, Education: domain.EduNone}, "held_year"},
		{"year without certificate", domain.CandidateFacts{HeldYear: 2020, Education: domain.EduNone}, "held_year"},
		{"no education", domain.CandidateFacts{Years: 3}, "education"},
		{"unknown education", domain.CandidateFacts{Years: 3, Education: "phd"}, "education"},
	}
	for _, c := range cases {
		errs := domain.CheckFacts(c.f, 2026)
		if len(errs) != 1 || errs[0].Field != c.field {
			t.Errorf("%s: got %v, want one error on %s", c.name, errs, c.field)
		}
	}
	if errs := domain.CheckFacts(domain.CandidateFacts{Years: 3, HeldLevel: 5, HeldYear: 2024, Education: domain.EduCollege}, 2026); len(errs) != 0 {
		t.Errorf("valid facts refused: %v", errs)
	}
	for _, c := range []struct {
		level int
		r     domain.EligibilityRoute
		bad   bool
	}{
		{4, domain.EligibilityRoute{Years: 8}, false},
		{4, domain.EligibilityRoute{}, true},
		{3, domain.EligibilityRoute{Held: 3, YearsSinceHeld: 2}, true},
		{3, domain.EligibilityRoute{YearsSinceHeld: 2}, true},
		{2, domain.EligibilityRoute{Education: []string{"phd"}}, true},
	} {
		if got := domain.CheckRoute(c.level, c.r) != ""; got != c.bad {
			t.Errorf("CheckRoute(%d, %+v) refused=%v, want %v", c.level, c.r, got, c.bad)
		}
	}
}
