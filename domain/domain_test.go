package domain_test

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"skillcert/domain"
	"skillcert/models/validate"
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, domain.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEnterpriseDomain(t *testing.T) {
	d := domain.EnterpriseDomain("150105", "e1")
	if d != "150105/E/e1" || !domain.IsEnterpriseDomain(d) {
		t.Fatalf("domain %q", d)
	}
	for _, tc := range []struct{ in, j, e string }{{"150105/E/e1", "150105", "e1"}, {"150100", "150100", ""}, {"", "", ""}} {
		j, e := domain.SplitDomain(tc.in)
		if j != tc.j || e != tc.e {
			t.Errorf("SplitDomain(%q) = %q, %q", tc.in, j, e)
		}
	}
	if domain.IsEnterpriseDomain("150000") {
		t.Error("a jurisdiction is no enterprise")
	}
	for _, r := range domain.Roles {
		if domain.RoleNames[r] == "" {
			t.Errorf("role %s has no name", r)
		}
	}
}

func TestDueAfterIsEndOfDayInShanghai(t *testing.T) {
	for _, tc := range []struct {
		now  string
		days int
		want string
	}{
		{"2027-03-01 09:00", 0, "2027-03-01 23:59"},
		{"2027-03-01 23:30", 1, "2027-03-02 23:59"},
		{"2027-03-01 00:10", 15, "2027-03-16 23:59"},
		{"2027-03-01 09:00", -1, "2027-02-28 23:59"},
	} {
		got := domain.DueAfter(at(tc.now), tc.days).In(domain.Shanghai).Format("2006-01-02 15:04")
		if got != tc.want {
			t.Errorf("DueAfter(%s, %d) = %s, want %s", tc.now, tc.days, got, tc.want)
		}
	}
}

func TestCampaignFor(t *testing.T) {
	none := func(int) (time.Time, bool) { return time.Time{}, false }
	moved := func(year int, to string) func(int) (time.Time, bool) {
		return func(y int) (time.Time, bool) {
			if y == year {
				return at(to), true
			}
			return time.Time{}, false
		}
	}
	for _, tc := range []struct {
		name    string
		now     string
		running func(int) (time.Time, bool)
		want    int
	}{
		{"before the default deadline", "2027-03-01 09:00", none, 2027},
		{"on the deadline day", "2027-05-20 23:00", none, 2027},
		{"after the default deadline", "2027-05-21 00:10", none, 2028},
		{"the running campaign's deadline was moved later", "2027-05-25 10:00", moved(2027, "2027-06-10 23:59"), 2027},
		{"the running campaign's deadline was moved earlier", "2027-05-15 10:00", moved(2027, "2027-05-10 23:59"), 2028},
		{"after a moved deadline", "2027-06-11 10:00", moved(2027, "2027-06-10 23:59"), 2028},
		{"December", "2027-12-31 10:00", none, 2028},
	} {
		if got := domain.CampaignFor(at(tc.now), tc.running); got != tc.want {
			t.Errorf("%s: CampaignFor(%s) = %d, want %d", tc.name, tc.now, got, tc.want)
		}
	}
}

func lv(lo, hi validate.Level) validate.LevelRange { return validate.LevelRange{Low: lo, High: hi} }

func TestApprovedWithinApplied(t *testing.T) {
	applied := []domain.Occupation{
		{Code: "6-02-04-01", Name: "乳品加工工", Levels: lv(5, 3)},
		{Code: "6-31-01-03", Name: "电工", Levels: lv(4, 2)},
	}
	for _, tc := range []struct {
		name     string
		approved []domain.Occupation
		fields   []string // the fields at fault, in order
	}{
		{"exactly as applied", applied, nil},
		{"narrower", []domain.Occupation{{Code: "6-02-04-01", Levels: lv(4, 3)}}, nil},
		{"nothing approved", nil, []string{"approved"}},
		{"not applied for", []domain.Occupation{{Code: "4-01-01-01", Levels: lv(5, 5)}}, []string{"approved[0].code"}},
		{"a level above the application", []domain.Occupation{{Code: "6-02-04-01", Levels: lv(5, 2)}}, []string{"approved[0].levels"}},
		{"a level below the application", []domain.Occupation{{Code: "6-31-01-03", Levels: lv(5, 3)}}, []string{"approved[0].levels"}},
		{"range written high to low", []domain.Occupation{{Code: "6-02-04-01", Levels: lv(3, 5)}}, []string{"approved[0].levels"}},
		{"twice", []domain.Occupation{applied[0], applied[0]}, []string{"approved[1].code"}},
	} {
		errs := domain.ApprovedWithinApplied(applied, tc.approved)
		var got []string
		for _, e := range errs {
			got = append(got, e.Field)
		}
		if len(got) != len(tc.fields) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
			continue
		}
		for i := range got {
			if got[i] != tc.fields[i] {
				t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fields)
			}
		}
	}
}

func TestSittingWithinApproved(t *testing.T) {
	approved := []domain.Occupation{{Code: "6-02-04-01", Name: "乳品加工工", Levels: lv(5, 4)}}
	for _, tc := range []struct {
		code  string
		level int
		field string
	}{
		{"6-02-04-01", 5, ""}, {"6-02-04-01", 4, ""},
		{"6-02-04-01", 3, "level"}, {"6-02-04-01", 0, "level"},
		{"6-31-01-03", 4, "occupation_code"},
	} {
		field, msg, ok := domain.SittingWithinApproved(approved, tc.code, tc.level)
		if ok != (tc.field == "") || field != tc.field || (!ok && msg == "") {
			t.Errorf("SittingWithinApproved(%s, %d) = %q %q %v, want field %q", tc.code, tc.level, field, msg, ok, tc.field)
		}
	}
}

func TestExamDateRule(t *testing.T) {
	now := at("2027-03-01 09:00")
	for _, tc := range []struct {
		exam string
		ok   bool
	}{
		{"2027-03-01 00:00", true}, // today
		{"2027-02-28 00:00", false},
		{"2027-09-01 00:00", true},
		{"2028-03-01 00:00", true}, // a year ahead (2028 is a leap year: 366 days)
		{"2028-03-03 00:00", false},
		{"9999-12-31 00:00", false},
	} {
		msg := domain.ExamDateRule(now, at(tc.exam))
		if (msg == "") != tc.ok {
			t.Errorf("ExamDateRule(%s) = %q, want ok=%v", tc.exam, msg, tc.ok)
		}
	}
}

func TestAssessorsRule(t *testing.T) {
	for _, tc := range []struct {
		keys []string
		ok   bool
	}{
		{[]string{"k1", "k2", "k3"}, true},
		{[]string{"k1", "k2", "k3", "k4", "k5"}, true},
		{[]string{"k1", "k2"}, false},
		{[]string{"k1", "k2", "k3", "k4"}, false},
		{[]string{"k1", " ", "k3"}, false},
		{[]string{"k1", "k2", "k1"}, false},
		{nil, false},
	} {
		if msg := domain.AssessorsRule(tc.keys); (msg == "") != tc.ok {
			t.Errorf("AssessorsRule(%v) = %q", tc.keys, msg)
		}
	}
	for n, want := range map[int]int{0: 0, 1: 1, 5: 1, 6: 2, 15: 3, 16: 4} {
		if got := domain.AssessorsNeeded(n); got != want {
			t.Errorf("AssessorsNeeded(%d) = %d, want %d", n, got, want)
		}
	}
}

// The panel comes from the declared 考评人员 (不得授权或委托其他机构开展), never a candidate.
func TestSittingAssessors(t *testing.T) {
	declared := []domain.DeclaredAssessor{{Key: "k1", Name: "赵刚"}, {Key: "k2", Name: "钱伟"}, {Key: "k3", Name: "孙丽"},
		{Key: "k4", Name: "李明"}, {Key: "", Name: "未填身份证号"}}
	for _, tc := range []struct {
		name       string
		chosen     []string
		candidates []string
		want       map[string]string // field → code
	}{
		{"three declared", []string{"k1", "k2", "k3"}, nil, nil},
		{"three declared, other candidates", []string{"k1", "k2", "k3"}, []string{"k4", "k9"}, nil},
		{"a name typed in", []string{"k1", "k2", "张三"}, nil, map[string]string{"assessor_ids[2]": "undeclared_assessor"}},
		{"an empty key matches no declared row", []string{"k1", "k2", ""}, nil, map[string]string{"assessor_ids[2]": "undeclared_assessor"}},
		{"chosen twice", []string{"k1", "k2", "k1"}, nil, map[string]string{"assessor_ids[2]": "duplicate_assessor"}},
		{"a candidate of the sitting", []string{"k1", "k2", "k3"}, []string{"k2"}, map[string]string{"assessor_ids[1]": "assessor_is_candidate"}},
		{"even panel", []string{"k1", "k2", "k3", "k4"}, nil, map[string]string{"assessor_ids": "assessor_count"}},
		{"too few", []string{"k1"}, nil, map[string]string{"assessor_ids": "assessor_count"}},
		{"none", nil, nil, map[string]string{"assessor_ids": "assessor_count"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			for _, e := range domain.SittingAssessors(declared, tc.chosen, tc.candidates) {
				got[e.Field] = e.Code
				if e.Message == "" {
					t.Errorf("%s: no message", e.Field)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("SittingAssessors(%v, %v) = %v, want %v", tc.chosen, tc.candidates, got, tc.want)
			}
			for f, c := range tc.want {
				if got[f] != c {
					t.Errorf("field %s: got %q, want %q", f, got[f], c)
				}
			}
		})
	}
}

func TestCandidateRecusal(t *testing.T) {
	panel := []string{"k1", "k2", "k3"}
	if got := domain.CandidateRecusal(panel, "k2"); got != domain.MsgAssessorIsCandidate {
		t.Errorf("CandidateRecusal(assessor) = %q, want %q", got, domain.MsgAssessorIsCandidate)
	}
	for _, c := range []string{"k9", ""} {
		if got := domain.CandidateRecusal(panel, c); got != "" {
			t.Errorf("CandidateRecusal(%q) = %q, want none", c, got)
		}
	}
}

func TestDrawRecusesBeforeDrawingAndReplays(t *testing.T) {
	pool := []domain.Drawable{
		{ID: "a"}, {ID: "b", Employer: "乳业公司"}, {ID: "c", Conflicts: []string{"e1"}}, {ID: "d"}, {ID: "e"}, {ID: "f", Conflicts: []string{"e2"}},
	}
	eligible, recused := domain.Eligible(pool, "e1", "乳业公司")
	if want := []string{"a", "d", "e", "f"}; !equal(eligible, want) {
		t.Fatalf("eligible %v, want %v", eligible, want)
	}
	if want := []string{"b", "c"}; !equal(recused, want) {
		t.Fatalf("recused %v, want %v", recused, want)
	}
	for seed := uint64(0); seed < 50; seed++ {
		got, err := domain.Pick(domain.Rand(seed, domain.PanelSalt), eligible, 3)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := domain.Pick(domain.Rand(seed, domain.PanelSalt), eligible, 3)
		if !equal(got, again) {
			t.Fatalf("seed %d: %v then %v", seed, got, again)
		}
		// The same draw as the panels recorded before the rule had its home here.
		r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
		var old []string
		for _, i := range r.Perm(len(eligible))[:3] {
			old = append(old, eligible[i])
		}
		if !equal(got, old) {
			t.Fatalf("seed %d: %v, recorded draws gave %v", seed, got, old)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] || id == "b" || id == "c" {
				t.Fatalf("seed %d: drew %v", seed, got)
			}
			seen[id] = true
		}
	}
	_, err := domain.Pick(domain.Rand(1, domain.PanelSalt), eligible, 5)
	var few domain.ErrTooFew
	if !errors.As(err, &few) || few.Have != 4 || few.Need != 5 {
		t.Fatalf("err %v", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScoreResult(t *testing.T) {
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		name   string
		level  int
		s      domain.Scores
		result string
		fields []string
	}{
		{"both parts pass", 4, domain.Scores{Theory: n(60), Skill: n(75)}, "pass", nil},
		{"one part under 60", 4, domain.Scores{Theory: n(59), Skill: n(90)}, "fail", nil},
		{"a technician needs the review", 2, domain.Scores{Theory: n(80), Skill: n(80)}, "", []string{"review"}},
		{"a technician passes with it", 2, domain.Scores{Theory: n(80), Skill: n(80), Review: n(60)}, "pass", nil},
		{"a failed review fails", 1, domain.Scores{Theory: n(80), Skill: n(80), Review: n(40)}, "fail", nil},
		{"no review below level 2", 3, domain.Scores{Theory: n(80), Skill: n(80), Review: n(80)}, "", []string{"review"}},
		{"missing and out of range", 5, domain.Scores{Skill: n(101)}, "", []string{"theory", "skill"}},
	} {
		result, errs := domain.ScoreResult(tc.level, tc.s)
		var fields []string
		for _, e := range errs {
			fields = append(fields, e.Field)
		}
		if result != tc.result || !equal(fields, tc.fields) {
			t.Errorf("%s: %q %v, want %q %v", tc.name, result, fields, tc.result, tc.fields)
		}
	}
}

func TestBatchOpen(t *testing.T) {
	for _, tc := range []struct {
		batch     int
		published []int
		ok        bool
	}{
		{1, nil, true}, {2, nil, true},
		{1, []int{1}, false}, {2, []int{1}, true},
		{2, []int{1, 2}, false}, {1, []int{1, 2}, false},
		{3, nil, false},
	} {
		if msg := domain.BatchOpen(tc.batch, tc.published); (msg == "") != tc.ok {
			t.Errorf("BatchOpen(%d, %v) = %q, want ok=%v", tc.batch, tc.published, msg, tc.ok)
		}
	}
}

func TestResultsRule(t *testing.T) {
	exam := at("2027-03-08 00:00")
	for now, ok := range map[string]bool{"2027-03-01 09:00": false, "2027-03-07 23:59": false, "2027-03-08 00:00": true, "2027-03-08 18:00": true, "2027-04-01 09:00": true} {
		if msg := domain.ResultsRule(at(now), exam); (msg == "") != ok {
			t.Errorf("ResultsRule(%s) = %q, want ok=%v", now, msg, ok)
		}
	}
}

func TestAccessTable(t *testing.T) {
	// Officials act in their jurisdiction, enterprises on their own; experts and supervisors only
	// by what they were drawn for.
	cases := []struct {
		role, obj, act string
		rel            domain.Relation
		want           bool
	}{
		{domain.RoleLeagueOfficial, "application", "read", domain.InJurisdiction, true},
		{domain.RoleEnterpriseUser, "application", "read", domain.Own, true},
		{domain.RoleExpert, "application", "read", domain.InJurisdiction, false},
		{domain.RoleExpert, "application", "read", domain.Assigned, true},
		{domain.RoleExpert, "task", "read", domain.InJurisdiction, false},
		{domain.RoleExpert, "task", "reassign", domain.Assigned, false},
		{domain.RoleSupervisor, "supervision", "read", domain.Drawn, true},
		{domain.RoleSupervisor, "supervision", "read", domain.InJurisdiction, false},
		{domain.RoleSupervisor, "application", "read", domain.Drawn, false},
		{domain.RoleSysadmin, "application", "read", domain.InJurisdiction, false},
		{domain.RoleCountyOfficial, "directory", "publish", domain.InJurisdiction, false},
	}
	for _, c := range cases {
		if got := domain.Permits(c.role, c.obj, c.act, c.rel); got != c.want {
			t.Errorf("domain.Permits(%s, %s, %s, %s) = %v, want %v", c.role, c.obj, c.act, c.rel, got, c.want)
		}
	}
	if !domain.DrawnTask(domain.RoleExpert) || domain.DrawnTask(domain.RoleLeagueOfficial) {
		t.Error("only the expert's scoring tasks are drawn")
	}
	// Every row is one right of one role; every role has rows.
	seen := map[[3]string]bool{}
	roles := map[string]bool{}
	for _, r := range domain.AccessTable {
		k := [3]string{r.Role, r.Object, r.Action}
		if seen[k] {
			t.Errorf("%v listed twice", k)
		}
		seen[k] = true
		roles[r.Role] = true
	}
	for _, r := range domain.Roles {
		if !roles[r] {
			t.Errorf("role %s has no rights", r)
		}
	}
}

func TestSelectionOpen(t *testing.T) {
	cases := []struct {
		outcome   string
		published []int
		open      bool
	}{
		{"batch1", nil, true},
		{"batch1", []int{1}, false},
		{"batch2", []int{1}, true},
		{"batch2", []int{1, 2}, false},
		{domain.OutcomeSupplementary, []int{1}, false},
		{domain.OutcomeSupplementary, []int{1, 2}, true},
	}
	for _, c := range cases {
		if got := domain.SelectionOpen(c.outcome, c.published) == ""; got != c.open {
			t.Errorf("SelectionOpen(%s, %v) open = %v, want %v", c.outcome, c.published, got, c.open)
		}
	}
	if domain.SelectionBatch(domain.OutcomeSupplementary) != 2 || domain.SelectionBatch("not_selected") != 0 {
		t.Error("a supplementary publication joins batch 2; a refusal selects none")
	}
}

func TestInputLimits(t *testing.T) {
	long := strings.Repeat("长", domain.SittingSite.Max+1)
	for _, tc := range []struct {
		name string
		rule domain.Text
		v    string
		code string
	}{
		{"at the limit", domain.SittingSite, strings.Repeat("长", domain.SittingSite.Max), ""},
		{"one character over", domain.SittingSite, long, domain.CodeTooLong},
		{"null byte", domain.Complainant, "张\x00三", domain.CodeBadCharacter},
		{"invalid UTF-8", domain.CandidateName, "张\xff三", domain.CodeBadCharacter},
		{"line break in a one-line field", domain.PersonName, "张\n三", domain.CodeBadCharacter},
		{"line break in a text", domain.ComplaintContent, "第一行\n第二行", ""},
		{"control character in a text", domain.ComplaintContent, "第一行\x07", domain.CodeBadCharacter},
	} {
		f := tc.rule.Check(tc.v)
		got := ""
		if f != nil {
			got = f.Code
		}
		if got != tc.code {
			t.Errorf("%s: Check = %q, want %q", tc.name, got, tc.code)
		}
	}

	for _, tc := range []struct {
		v        string
		ok       bool
		wantCode string
	}{
		{"", false, ""}, {"1", true, ""}, {"2", true, ""}, {"3", false, domain.CodeOutOfRange}, {"0", false, domain.CodeOutOfRange},
		{"2147483648", false, domain.CodeOutOfRange}, {"99999999999999999999999", false, domain.CodeOutOfRange},
		{"-99999999999999999999999", false, domain.CodeOutOfRange}, {"abc", false, "not_integer"},
	} {
		_, ok, f := domain.Batch.Parse(tc.v)
		got := ""
		if f != nil {
			got = f.Code
		}
		if ok != tc.ok || got != tc.wantCode {
			t.Errorf("Batch.Parse(%q) = ok %v, fault %q; want ok %v, fault %q", tc.v, ok, got, tc.ok, tc.wantCode)
		}
	}

	for _, d := range []time.Time{at("0001-01-01 00:00"), at("9999-12-31 23:59")} {
		if f := domain.DeadlineDates.Check(d); f == nil || f.Code != domain.CodeOutOfRange {
			t.Errorf("DeadlineDates.Check(%s) = %v, want out_of_range", d, f)
		}
	}
	if f := domain.DeadlineDates.Check(at("2027-05-20 23:59")); f != nil {
		t.Errorf("DeadlineDates.Check(2027-05-20) = %v", f)
	}
}

func TestSupervisionReportReview(t *testing.T) {
	// Submitted reports are reviewed; returned ones refiled; published ones are final.
	cases := []struct {
		from, action, want string
		ok                 bool
	}{
		{domain.ReportSubmitted, domain.ReviewPublish, domain.ReportPublished, true},
		{domain.ReportSubmitted, domain.ReviewReturn, domain.ReportReturned, true},
		{domain.ReportSubmitted, domain.ReportRefile, "", false},
		{domain.ReportReturned, domain.ReportRefile, domain.ReportSubmitted, true},
		{domain.ReportReturned, domain.ReviewPublish, "", false},
		{domain.ReportReturned, domain.ReviewReturn, "", false},
		{domain.ReportPublished, domain.ReviewPublish, "", false},
		{domain.ReportPublished, domain.ReviewReturn, "", false},
		{domain.ReportPublished, domain.ReportRefile, "", false},
		{domain.ReportSubmitted, "approve", "", false},
		{"", domain.ReviewPublish, "", false},
	}
	for _, c := range cases {
		got, ok := domain.NextReportStatus(c.from, c.action)
		if got != c.want || ok != c.ok {
			t.Errorf("NextReportStatus(%q, %q) = %q, %v; want %q, %v", c.from, c.action, got, ok, c.want, c.ok)
		}
	}
	for _, s := range []string{domain.ReportSubmitted, domain.ReportPublished, domain.ReportReturned} {
		if domain.ReportStatusNames[s] == "" {
			t.Errorf("status %s has no name", s)
		}
		if got, want := domain.ReportPublic(s), s == domain.ReportPublished; got != want {
			t.Errorf("ReportPublic(%s) = %v, want %v", s, got, want)
		}
	}
	// Only the regional department reviews; the others who manage draws do not.
	for _, r := range domain.Roles {
		if got, want := domain.ReviewsSupervision(r), r == domain.RoleRegionOfficial; got != want {
			t.Errorf("ReviewsSupervision(%s) = %v, want %v", r, got, want)
		}
	}
	for rating, want := range map[string]bool{"good": false, "acceptable": false, "rectify": true, "serious": true} {
		if got := domain.RatingNeedsFollowUp(rating); got != want {
			t.Errorf("RatingNeedsFollowUp(%s) = %v, want %v", rating, got, want)
		}
	}
}

func TestPassedBy(t *testing.T) {
	if !domain.PassedBy(1, []int{1}) || domain.PassedBy(2, []int{1}) || domain.PassedBy(0, []int{1, 2}) {
		t.Error("a case is passed by only when its own batch is published")
	}
}
