package service

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	dom "skillcert/domain"
	"skillcert/exports"
	"skillcert/models"
	"skillcert/models/validate"
)

// StatsQuery is a statistics request: a period of calendar days (2026-01-01; empty bounds take
// the current pilot year's).
type StatsQuery struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// StatsRow is one row of a statistics table: the candidates of a group, those with a result,
// those who passed, and the pass rate (percent of those with a result).
type StatsRow struct {
	Key        string  `json:"key"`
	Name       string  `json:"name"`
	Candidates int64   `json:"candidates"`
	Assessed   int64   `json:"assessed"`
	Passed     int64   `json:"passed"`
	PassRate   float64 `json:"pass_rate"`
}

func (r *StatsRow) add(c models.StatsCell) {
	r.Candidates += c.Candidates
	r.Assessed += c.Assessed
	r.Passed += c.Passed
}

// StatsCount is a count of one group.
type StatsCount struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// HighSkillStats are the highly skilled workers (高技能人才): valid certificates of levels 3 to 1
// issued in the period, by level and by league/city, and their distinct holders.
type HighSkillStats struct {
	Certificates int64        `json:"certificates"`
	Holders      int64        `json:"holders"`
	ByLevel      []StatsCount `json:"by_level"`
	ByLeague     []StatsCount `json:"by_league"`
}

// Statistics answer a statistics request for the caller's jurisdiction.
type Statistics struct {
	From      string         `json:"from"`
	To        string         `json:"to"`
	Scope     string         `json:"scope"`
	ScopeName string         `json:"scope_name"`
	Totals    StatsRow       `json:"totals"`
	Tables    []StatsTable   `json:"tables"`
	HighSkill HighSkillStats `json:"high_skill"`
}

// StatsTable is one breakdown: occupation, level, league, gender, age_band or month.
type StatsTable struct {
	Dimension string     `json:"dimension"`
	Title     string     `json:"title"`
	Rows      []StatsRow `json:"rows"`
}

// Table returns the breakdown by a dimension (empty if unknown).
func (st Statistics) Table(dimension string) StatsTable {
	for _, t := range st.Tables {
		if t.Dimension == dimension {
			return t
		}
	}
	return StatsTable{Dimension: dimension}
}

// Statistics dimensions, in the order the tables are shown.
const (
	StatsByOccupation = "occupation"
	StatsByLevel      = "level"
	StatsByLeague     = "league"
	StatsByGender     = "gender"
	StatsByAgeBand    = "age_band"
	StatsByMonth      = "month"
)

// Statistics counts candidates, passes and pass rates of the sittings held in the period in the
// caller's jurisdiction (the region sees all, a league/city its own, a county its own; others
// have no right to statistics), by occupation, level, league/city, gender, age band at the exam
// date and month, and the highly skilled workers certified in the period. The pages, the JSON
// API and the XLSX export all read it. Gender and age come from columns derived when each
// candidate was recorded: no ID number is opened.
func (s *Service) Statistics(ctx context.Context, a *Actor, q StatsQuery) (Statistics, error) {
	if a == nil {
		return Statistics{}, ErrUnauthenticated
	}
	if err := s.Require(ctx, a, "statistics", "read", a.Domain); err != nil {
		return Statistics{}, err
	}
	loc := s.cfg.Location
	period, errs := dom.ParseStatsPeriod(strings.TrimSpace(q.From), strings.TrimSpace(q.To), s.now(), loc)
	if len(errs) > 0 {
		return Statistics{}, Invalid(errs)
	}
	js, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return Statistics{}, err
	}
	byCode := make(map[string]models.Jurisdiction, len(js))
	for _, j := range js {
		byCode[j.Code] = j
	}
	st := Statistics{From: period.From.Format("2006-01-02"), To: period.To.Format("2006-01-02"), Scope: a.Jurisdiction,
		ScopeName: byCode[a.Jurisdiction].Name}
	f := models.StatsFilter{
		ExamFrom:  period.From,
		ExamTo:    period.To.AddDate(0, 0, 1),
		IssueFrom: time.Date(period.From.Year(), period.From.Month(), period.From.Day(), 0, 0, 0, 0, time.UTC),
		IssueTo:   time.Date(period.To.Year(), period.To.Month(), period.To.Day()+1, 0, 0, 0, 0, time.UTC),
	}
	if byCode[a.Jurisdiction].Level != models.LevelRegion {
		f.Jurisdictions = s.enf.Tree().Subtree(a.Jurisdiction)
	}
	cells, err := s.db.CandidateStatsCube(ctx, f)
	if err != nil {
		return Statistics{}, err
	}
	hs, holders, err := s.db.HighSkillCounts(ctx, f)
	if err != nil {
		return Statistics{}, err
	}
	leagueOf := func(code string) string { return leagueAncestor(byCode, code) }

	// The leagues shown: every league/city in the caller's jurisdiction, in the seed's order.
	var leagues []string
	for _, j := range js {
		if j.Level == models.LevelLeague && (f.Jurisdictions == nil || slices.Contains(f.Jurisdictions, j.Code)) {
			leagues = append(leagues, j.Code)
		}
	}
	if len(leagues) == 0 { // a county: its league's row only
		if l := leagueOf(a.Jurisdiction); l != "" {
			leagues = append(leagues, l)
		}
	}

	occ := newRollup()
	lvl := newRollup()
	for _, l := range []int{5, 4, 3, 2, 1} {
		lvl.ensure(strconv.Itoa(l), validate.Level(l).Name())
	}
	lg := newRollup()
	for _, l := range leagues {
		lg.ensure(l, byCode[l].Name)
	}
	gen := newRollup()
	for _, g := range dom.GenderOrder[:2] {
		gen.ensure(g, dom.StatGenderNames[g])
	}
	age := newRollup()
	for _, b := range dom.AgeBands {
		age.ensure(b.Key, b.Label)
	}
	mon := newRollup()
	for _, m := range period.Months() {
		mon.ensure(m, monthName(m))
	}
	for _, c := range cells {
		st.Totals.add(c)
		occ.ensure(c.OccupationCode, c.OccupationName).add(c)
		lvl.ensure(strconv.Itoa(c.Level), validate.Level(c.Level).Name()).add(c)
		l := leagueOf(c.JurisdictionCode)
		lg.ensure(l, byCode[l].Name).add(c)
		g := ""
		if c.Gender != nil {
			g = *c.Gender
		}
		gen.ensure(g, dom.StatGenderNames[g]).add(c)
		b := dom.AgeBandOf(c.Age)
		age.ensure(b.Key, b.Label).add(c)
		m := c.ExamDate.In(loc).Format("2006-01")
		mon.ensure(m, monthName(m)).add(c)
	}
	st.Totals.Key, st.Totals.Name = "total", "合计"
	st.Totals.PassRate = dom.PassRate(st.Totals.Passed, st.Totals.Assessed)
	slices.SortStableFunc(occ.order, strings.Compare)
	st.Tables = []StatsTable{
		{Dimension: StatsByOccupation, Title: "按职业（工种）", Rows: occ.rows()},
		{Dimension: StatsByLevel, Title: "按等级", Rows: lvl.rows()},
		{Dimension: StatsByLeague, Title: "按盟市", Rows: lg.rows()},
		{Dimension: StatsByGender, Title: "按性别", Rows: gen.rows()},
		{Dimension: StatsByAgeBand, Title: "按年龄段（考核当日）", Rows: age.rows()},
		{Dimension: StatsByMonth, Title: "按月份（考核日期）", Rows: mon.rows()},
	}

	st.HighSkill.Holders = holders
	hl := map[string]int64{}
	hg := map[string]int64{}
	for _, c := range hs {
		st.HighSkill.Certificates += c.Certificates
		hl[strconv.Itoa(c.Level)] += c.Certificates
		hg[leagueOf(c.JurisdictionCode)] += c.Certificates
	}
	for _, l := range dom.HighSkillLevels {
		k := strconv.Itoa(l)
		st.HighSkill.ByLevel = append(st.HighSkill.ByLevel, StatsCount{Key: k, Name: validate.Level(l).Name(), Count: hl[k]})
	}
	for _, l := range lg.order {
		st.HighSkill.ByLeague = append(st.HighSkill.ByLeague, StatsCount{Key: l, Name: byCode[l].Name, Count: hg[l]})
	}
	return st, nil
}

// leagueAncestor is the league/city a jurisdiction reports through: itself if it is one (the
// two county-level cities under the region are), else its nearest ancestor that is.
func leagueAncestor(byCode map[string]models.Jurisdiction, code string) string {
	for range 8 {
		j, ok := byCode[code]
		if !ok {
			return ""
		}
		if j.Level == models.LevelLeague {
			return j.Code
		}
		if j.ParentCode == nil {
			return ""
		}
		code = *j.ParentCode
	}
	return ""
}

func monthName(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return strconv.Itoa(t.Year()) + "年" + strconv.Itoa(int(t.Month())) + "月"
}

// rollup sums cube cells into the rows of one breakdown, keeping the order rows were first named.
type rollup struct {
	order []string
	by    map[string]*StatsRow
}

func newRollup() *rollup { return &rollup{by: map[string]*StatsRow{}} }

func (r *rollup) ensure(key, name string) *StatsRow {
	row, ok := r.by[key]
	if !ok {
		if name == "" {
			name = "未知"
		}
		row = &StatsRow{Key: key, Name: name}
		r.by[key] = row
		r.order = append(r.order, key)
	}
	return row
}

func (r *rollup) rows() []StatsRow {
	out := make([]StatsRow, 0, len(r.order))
	for _, k := range r.order {
		row := *r.by[k]
		row.PassRate = dom.PassRate(row.Passed, row.Assessed)
		out = append(out, row)
	}
	return out
}

// candidateStats derives the statistics columns of a candidate from the ID number, at the time
// the candidate is recorded: gender from the 17th digit, age on the exam date from the birth date.
func candidateStats(id string, exam time.Time, loc *time.Location) (gender *string, age *int) {
	g := dom.GenderFromID(id)
	gender = &g
	if n, ok := dom.AgeAtExam(id, exam, loc); ok {
		age = &n
	}
	return gender, age
}

// BackfillCandidateStats derives the statistics columns of candidates recorded before they
// existed (migration 00015), opening each ID number once with the data key; it returns how many
// rows it filled. It is idempotent and runs when the API process starts.
func (s *Service) BackfillCandidateStats(ctx context.Context) (int, error) {
	const batch = 500
	n, after := 0, ""
	for {
		rows, err := s.db.CandidatesToDerive(ctx, after, batch)
		if err != nil {
			return n, err
		}
		for _, r := range rows {
			after = r.ID
			id, err := s.apps.sealer.Open(models.PersonID{Cipher: r.IDCipher, Lookup: r.IDLookup, Masked: r.IDMasked})
			if err != nil {
				continue // sealed under another key: left for a process that has it
			}
			g, age := candidateStats(id, r.ExamDate, s.cfg.Location)
			if err := s.db.SetCandidateStats(ctx, r.ID, *g, age); err != nil {
				return n, err
			}
			n++
		}
		if len(rows) < batch {
			return n, nil
		}
	}
}

// RunCandidateStatsBackfill runs BackfillCandidateStats once and logs what it did.
func (s *Service) RunCandidateStatsBackfill(ctx context.Context) {
	n, err := s.BackfillCandidateStats(ctx)
	if err != nil {
		s.log.ErrorContext(ctx, "candidate statistics backfill failed", "filled", n, "err", err)
		return
	}
	if n > 0 {
		s.log.InfoContext(ctx, "candidate statistics backfilled", "filled", n)
	}
}

// Workbook lays the statistics out as StatisticsXLSX writes them: the overview's facts and one
// sheet per table (with its 合计 row), then the highly skilled workers by level and by league.
func (st Statistics) Workbook() (title string, facts [][2]string, sheets []exports.StatsSheet) {
	title = st.ScopeName + "职业技能等级认定统计表"
	facts = [][2]string{
		{"统计期间", st.From + " 至 " + st.To},
		{"统计范围", st.ScopeName},
		{"报名人数", strconv.FormatInt(st.Totals.Candidates, 10)},
		{"已出结果人数", strconv.FormatInt(st.Totals.Assessed, 10)},
		{"合格人数", strconv.FormatInt(st.Totals.Passed, 10)},
		{"合格率（%）", strconv.FormatFloat(st.Totals.PassRate, 'f', 1, 64)},
		{"高技能人才证书数（三级及以上）", strconv.FormatInt(st.HighSkill.Certificates, 10)},
		{"高技能人才人数（三级及以上）", strconv.FormatInt(st.HighSkill.Holders, 10)},
	}
	row := func(r StatsRow) []any { return []any{r.Name, r.Candidates, r.Assessed, r.Passed, r.PassRate} }
	for _, t := range st.Tables {
		sh := exports.StatsSheet{Name: t.Title, Title: title + "（" + t.Title + "）", Header: exports.StatsHeader}
		for _, r := range t.Rows {
			sh.Rows = append(sh.Rows, row(r))
		}
		sh.Rows = append(sh.Rows, row(st.Totals))
		sheets = append(sheets, sh)
	}
	counts := func(name string, cs []StatsCount) exports.StatsSheet {
		sh := exports.StatsSheet{Name: name, Title: title + "（" + name + "）", Header: []string{"分组", "证书数"}}
		var total int64
		for _, c := range cs {
			sh.Rows = append(sh.Rows, []any{c.Name, c.Count})
			total += c.Count
		}
		sh.Rows = append(sh.Rows, []any{"合计", total})
		return sh
	}
	sheets = append(sheets, counts("高技能人才按等级", st.HighSkill.ByLevel), counts("高技能人才按盟市", st.HighSkill.ByLeague))
	return title, facts, sheets
}

// StatisticsXLSX is Statistics as a workbook, with its file name; the export is audited.
func (s *Service) StatisticsXLSX(ctx context.Context, a *Actor, q StatsQuery) ([]byte, string, error) {
	st, err := s.Statistics(ctx, a, q)
	if err != nil {
		return nil, "", err
	}
	title, facts, sheets := st.Workbook()
	b, err := exports.StatisticsXLSX(title, facts, sheets)
	if err != nil {
		return nil, "", err
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "statistics.export", ObjectType: "statistics", ObjectID: st.From + "~" + st.To})
	return b, fmt.Sprintf("%s（%s至%s）.xlsx", title, st.From, st.To), nil
}
