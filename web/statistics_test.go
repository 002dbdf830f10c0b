package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// seedStatsPage writes sittings of 乳业 (呼和浩特) and 稀土 (包头) with candidates whose derived
// gender and age are set, as RegisterCandidate records them.
func seedStatsPage(t *testing.T, db *models.DB) {
	t.Helper()
	now := time.Now().UTC()
	sitting := func(id, ent, jur string, level int, exam string, cands ...[3]string) {
		d, err := time.Parse("2006-01-02", exam)
		require.NoError(t, err)
		require.NoError(t, db.Create(&models.AssessmentSession{ID: id, WorkflowID: "session-" + id, CaseID: "case-" + id, EnterpriseID: ent,
			EnterpriseName: "企业", JurisdictionCode: jur, OccupationCode: "6-02-04-02", OccupationName: "乳品评鉴师", Level: level,
			ExamDate: d.Add(-8 * time.Hour), Site: "考场", AssessorsJSON: "[]", Status: models.SessionIssued, CreatedAt: now, UpdatedAt: now}).Error)
		for i, c := range cands {
			g, age := c[0], 0
			_, _ = fmt.Sscan(c[1], &age)
			cand := models.SessionCandidate{SessionID: id, Name: "考生", IDCipher: "x", IDLookup: fmt.Sprintf("%s-%d", id, i), IDMasked: "x",
				Employee: true, StatGender: &g, StatAge: &age, CreatedAt: now, UpdatedAt: now}
			require.NoError(t, db.AddCandidate(t.Context(), &cand))
			require.NoError(t, db.Model(&models.SessionCandidate{}).Where("id = ?", cand.ID).Update("result", c[2]).Error)
		}
	}
	sitting("p1", dairyEnterpriseID, "150105", 4, "2026-03-15", [3]string{"M", "23", "pass"}, [3]string{"F", "30", "fail"}, [3]string{"M", "50", "pass"})
	sitting("p2", "00000000-0000-7000-8000-000000000102", "150203", 3, "2026-06-20", [3]string{"F", "40", "pass"})
}

var (
	barRe    = regexp.MustCompile(`<rect class="bar"`)
	svgRe    = regexp.MustCompile(`(?s)<svg id="([a-z-]+)".*?</svg>`)
	styleRe  = regexp.MustCompile(`\sstyle=`)
	scriptRe = regexp.MustCompile(`<script`)
)

// charts returns each chart's SVG by its id.
func charts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range svgRe.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[0]
	}
	return out
}

func TestStatisticsPageChartsTablesAndScope(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	seedStatsPage(t, e.db)
	const period = "/statistics?from=2026-01-01&to=2026-12-31"

	c := e.login("region")
	require.Contains(t, e.pageOK(c, "/", http.StatusOK), `href="/statistics"`, "in the officials' menu")
	resp, body := e.get(c, period)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	noLeaks(t, body)
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'", "the site's CSP is unchanged")
	require.Contains(t, resp.Header.Get("Content-Security-Policy"), "style-src 'self'")
	cs := charts(body)
	require.Len(t, cs, 3)
	require.Len(t, barRe.FindAllString(cs["c-league"], -1), 14, "one bar per league and city under the region")
	require.Len(t, barRe.FindAllString(cs["c-level"], -1), 5, "one bar per level")
	require.Equal(t, 2, strings.Count(cs["c-month"], "<polyline"), "candidates and passes")
	require.Equal(t, 24, strings.Count(cs["c-month"], "<circle"), "twelve months each")
	for id, svg := range cs {
		require.Contains(t, svg, `role="img" aria-labelledby="`+id+`-title `+id+`-desc"`, id)
		require.Contains(t, svg, `<title id="`+id+`-title">`, id)
		require.Contains(t, svg, `<desc id="`+id+`-desc">`, id)
		require.NotRegexp(t, styleRe, svg, "no inline style: CSP style-src 'self'")
	}
	require.Equal(t, len(scriptRe.FindAllString(body, -1)), strings.Count(body, `<script src="/static/`),
		"no inline script and no CDN: only the site's own script file, which the charts do not need")
	require.NotRegexp(t, scriptRe, strings.Join([]string{cs["c-league"], cs["c-level"], cs["c-month"]}, ""))
	// Bars are to scale: 呼和浩特 passed 2 of 3 (66.6%), 包头 1 of 1 (100%, the full width).
	require.Contains(t, cs["c-league"], "呼和浩特市：66.6%")
	require.Contains(t, cs["c-league"], "包头市：100.0%")
	require.Contains(t, cs["c-league"], `width="432" height="18" fill="#1f5fa8"><title>包头市：100.0%`)
	require.Contains(t, cs["c-level"], "四级/中级工：3 人")
	// The tables beside the charts carry the same numbers.
	require.Contains(t, body, `<th scope="row" data-label="分组">男</th>
    <td data-label="报名人数">2</td>
    <td data-label="已出结果人数">2</td>
    <td data-label="合格人数">2</td>
    <td data-label="合格率（%）">100.0</td>`)
	require.Contains(t, body, `<th scope="row" data-label="分组">25—34岁</th>
    <td data-label="报名人数">1</td>`)
	require.Contains(t, body, `href="/api/v1/statistics/export.xlsx?from=2026-01-01&amp;to=2026-12-31"`)

	// The workbook link answers with the workbook.
	resp, _ = e.get(c, "/api/v1/statistics/export.xlsx?from=2026-01-01&to=2026-12-31")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", resp.Header.Get("Content-Type"))

	// A league official's charts have its league only.
	h := e.login("hohhot")
	cs = charts(e.pageOK(h, period, http.StatusOK))
	require.Len(t, barRe.FindAllString(cs["c-league"], -1), 1)
	require.Contains(t, cs["c-league"], "呼和浩特市：66.6%")
	require.NotContains(t, cs["c-league"], "包头市")

	// A bad period comes back beside its field; enterprises have no statistics.
	body = e.pageOK(c, "/statistics?from=2026-12-01&to=2026-01-01", http.StatusUnprocessableEntity)
	require.Contains(t, body, "结束日期不能早于开始日期")
	require.Contains(t, e.pageOK(e.login("dairy"), "/statistics", http.StatusForbidden), "无权")
}

// Registering a candidate derives the statistics columns from the ID number there and then:
// gender from the 17th digit, age on the sitting's exam date from the birth date.
func TestRegisteringACandidateRecordsGenderAndAgeForStatistics(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	c := e.login("dairy")
	csrf := csrfOf(t, e.pageOK(c, "/sessions/s1", http.StatusOK))
	resp, _ := e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生甲"}, "id_number": {idStaff}, "employee": {"on"},
		"years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	ss, err := e.db.SessionByID(t.Context(), "s1")
	require.NoError(t, err)
	cands, err := e.db.Candidates(t.Context(), "s1")
	require.NoError(t, err)
	require.Len(t, cands, 1)
	require.NotNil(t, cands[0].StatGender)
	require.Equal(t, "M", *cands[0].StatGender, "%s: the 17th digit is odd", idStaff)
	require.NotNil(t, cands[0].StatAge)
	birth := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC) // digits 7–14 of idStaff
	require.Equal(t, domain.AgeAt(birth, ss.ExamDate), *cands[0].StatAge)
	require.Greater(t, *cands[0].StatAge, 30)
}
