package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/fixtures"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// The need-to-know test walks every JSON route × every role × objects in every relation to the
// caller (own, in jurisdiction, another county, another league, assigned, not assigned, drawn)
// and checks the answer against domain.AccessTable: what the table refuses answers 401, 403 or
// 404 — never 2xx, never a validation answer that tells what exists — and what it allows is
// not refused (reads; writes that the table allows are exercised by the use-case tests, which
// can check their effects).

// target is one object a route can name, with how callers stand to it.
type target struct {
	name     string
	path     string   // the route's path with its parameters filled in
	domain   string   // the object's authorization domain
	assigned []string // users holding an open task on it (or the task itself)
	drawn    []string // supervisors drawn for it
}

// ntkFixture holds the objects of the test: two enterprises in two leagues, their cases,
// tasks, sittings, certificates, attachments and a supervision draw.
type ntkFixture struct {
	users             map[string]models.User
	app, otherApp     string
	att, otherAtt     string
	cs, otherCase     string
	countyTask        string
	expertTask        string
	enterpriseTask    string
	otherTask         string
	session, otherSes string
	cert, otherCert   string
	draw              string
	report            string
	campaign          string
}

const (
	dairyDomain = "150105/E/00000000-0000-7000-8000-000000000101"
	rareDomain  = "150203/E/00000000-0000-7000-8000-000000000102"
)

func newNTKFixture(t *testing.T, e *testEnv) ntkFixture {
	ctx := context.Background()
	f := ntkFixture{users: map[string]models.User{}}
	var us []models.User
	require.NoError(t, e.db.Find(&us).Error)
	for _, u := range us {
		f.users[u.Username] = u
	}
	appOf := func(user string) string {
		code, body := e.apiDo(e.bearer(user), http.MethodGet, "/api/v1/applications/mine", "")
		require.Equal(t, http.StatusOK, code, body)
		return body["id"].(string)
	}
	f.app, f.otherApp = appOf("dairy"), appOf("rare")
	f.att = fixtures.Attachments(t, e.db, "dairy")[models.PurposeRules].ID
	f.otherAtt = fixtures.Attachments(t, e.db, "rare")[models.PurposeRules].ID
	var expertTask string
	f.cs, expertTask = webtest.DrawExpert(t, e.db, f.app, "expert1")
	f.expertTask = expertTask
	var otherExpert string
	f.otherCase, otherExpert = webtest.DrawExpert(t, e.db, f.otherApp, "expert2")
	_ = otherExpert
	var cs models.Case
	require.NoError(t, e.db.Where("id = ?", f.cs).First(&cs).Error)
	f.campaign = cs.CampaignID

	task := func(caseID, kind, role, candidate, jurisdiction string) string {
		tk := models.Task{ID: models.NewID(), WorkflowID: "case-x", CaseID: caseID, Kind: kind, Title: "待办", Stage: "x",
			CandidateRole: role, CandidateDomain: candidate, JurisdictionCode: jurisdiction, CampaignID: f.campaign,
			Status: models.TaskOpen, DueAt: time.Now().Add(time.Hour), Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(t, e.db.Create(&tk).Error)
		return tk.ID
	}
	f.countyTask = task(f.cs, "county_precheck", models.RoleCountyOfficial, "150105", "150105")
	f.enterpriseTask = task(f.cs, "correct_application", models.RoleEnterpriseUser, dairyDomain, "150105")
	f.otherTask = task(f.otherCase, "county_precheck", models.RoleCountyOfficial, "150203", "150203")

	session := func(caseID, ent, jurisdiction string) string {
		s := models.AssessmentSession{ID: models.NewID(), WorkflowID: "session-" + caseID, CaseID: caseID, EnterpriseID: ent,
			EnterpriseName: "企业", JurisdictionCode: jurisdiction, OccupationCode: "6-01-02-01", OccupationName: "工种", Level: 3,
			ExamDate: time.Now(), Site: "考点", AssessorsJSON: "[]", Status: "open", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(t, e.db.Create(&s).Error)
		return s.ID
	}
	f.session = session(f.cs, "00000000-0000-7000-8000-000000000101", "150105")
	f.otherSes = session(f.otherCase, "00000000-0000-7000-8000-000000000102", "150203")

	cert := func(caseID, sessionID, ent, number string) string {
		c := models.Certificate{ID: models.NewID(), Number: number, EnterpriseID: ent, CaseID: caseID, SessionID: sessionID, CandidateKey: models.NewID(),
			HolderName: "持证人", IDMasked: "150102********1230", OccupationCode: "6-01-02-01", OccupationName: "工种", Level: 3,
			IssueDate: time.Now().UTC().Truncate(24 * time.Hour), IssuerName: "企业", Status: "valid", Token: strings.ReplaceAll(models.NewID(), "-", ""), CreatedAt: time.Now()}
		require.NoError(t, e.db.Create(&c).Error)
		return c.ID
	}
	f.cert = cert(f.cs, f.session, "00000000-0000-7000-8000-000000000101", "Y0000000000000001")
	f.otherCert = cert(f.otherCase, f.otherSes, "00000000-0000-7000-8000-000000000102", "Y0000000000000002")

	as, _ := json.Marshal([]models.DrawAssignment{{SessionID: f.session, Supervisors: []string{f.users["supervisor1"].ID}}})
	d := models.SupervisionDraw{Title: "督导", JurisdictionCode: models.RegionCode, Seed: 7, PerSession: 1, SessionsJSON: "[]",
		SupervisorsJSON: "[]", AssignmentsJSON: string(as), CreatedBy: f.users["region"].ID, CreatedAt: time.Now()}
	require.NoError(t, e.db.CreateDraw(ctx, &d))
	f.draw = d.ID
	r := models.SupervisionReport{DrawID: d.ID, SessionID: f.session, SupervisorID: f.users["supervisor1"].ID, Rating: "rectify",
		Findings: "考评人员不足三人。", Status: domain.ReportSubmitted, CreatedAt: time.Now()}
	require.NoError(t, e.db.AddSupervisionReport(ctx, &r))
	f.report = r.ID
	return f
}

// targets returns the objects a route can name: the same route with each fixture object in
// its parameters. A route missing here fails the test, so every new route gets its row.
func (f ntkFixture) targets(path string) ([]target, bool) {
	fill := func(name, domain string, assigned, drawn []string, pairs ...string) target {
		p := path
		for i := 0; i+1 < len(pairs); i += 2 {
			p = strings.ReplaceAll(p, pairs[i], pairs[i+1])
		}
		return target{name: name, path: p, domain: domain, assigned: assigned, drawn: drawn}
	}
	expert1 := []string{f.users["expert1"].ID}
	expert2 := []string{f.users["expert2"].ID}
	supervisor1 := []string{f.users["supervisor1"].ID}
	own := []target{{name: "own", path: path}}
	byQuery := func(param string) []target {
		return []target{
			{name: "own", path: path},
			{name: "county 150105", path: path + "?" + param + "=150105", domain: "150105"},
			{name: "county 150203", path: path + "?" + param + "=150203", domain: "150203"},
		}
	}
	switch path {
	// What is the caller's own, or anyone's.
	case "/auth/login", "/enterprises/register", "/auth/logout", "/me", "/me/password", "/me/logins", "/logins", "/tokens", "/occupations", "/occupations/exclusions",
		"/campaigns/current", "/notifications", "/public/certificates", "/certificates/public-key", "/public/supervision",
		"/complaints", "/directory", "/openapi.yaml", "/captcha", "/applications/mine", "/attachments", "/tasks", "/cases", "/findings",
		"/jurisdictions", "/users", "/audit", "/audit/verify", "/campaigns", "/supervision/draws", "/reports/certificates",
		"/supervision/reports", "/public/publicity", "/public/complaints/status":
		switch path {
		case "/jurisdictions":
			return byQuery("under"), true
		case "/users", "/audit":
			return byQuery("jurisdiction"), true
		}
		return own, true
	case "/statistics", "/statistics/export.xlsx":
		return own, true
	case "/summaries/export.xlsx", "/experts", "/experts/import", "/experts/template.xlsx", "/calendar", "/calendar/days", "/calendar/publicity-days":
		return []target{{name: "region", path: path, domain: models.RegionCode}}, true
	case "/tokens/:id":
		return []target{fill("unknown token", "", nil, nil, ":id", models.NewID())}, true
	case "/occupations/exclusions/:name":
		return []target{fill("exclusion", "", nil, nil, ":name", "x")}, true
	case "/occupations/eligibility/:code", "/occupations/eligibility/:code/:level":
		return []target{fill("occupation", "", nil, nil, ":code", "6-31-01-03", ":level", "4")}, true
	case "/certificates/:id/verify":
		return []target{fill("certificate", dairyDomain, nil, nil, ":id", f.cert)}, true
	case "/jurisdictions/:code", "/jurisdictions/:code/precheck":
		return []target{fill("county 150105", "150105", nil, nil, ":code", "150105"), fill("county 150203", "150203", nil, nil, ":code", "150203")}, true
	case "/users/:id", "/users/:id/disable", "/users/:id/enable", "/users/:id/password", "/users/:id/unlock", "/users/:id/grant":
		return []target{fill("user in 150105", "150105", nil, nil, ":id", f.users["saihan"].ID),
			fill("user in 150203", "150203", nil, nil, ":id", f.users["kundulun"].ID)}, true
	case "/applications/:id", "/applications/:id/draft", "/applications/:id/submit", "/applications/:id/versions",
		"/applications/:id/versions/:v", "/applications/:id/compare", "/applications/:id/credit-code-override", "/applications/:id/export.xlsx":
		return []target{fill("dairy application", dairyDomain, expert1, nil, ":id", f.app, ":v", "1"),
			fill("rare application", rareDomain, expert2, nil, ":id", f.otherApp, ":v", "1")}, true
	case "/attachments/:id", "/attachments/:id/versions":
		return []target{fill("dairy attachment", dairyDomain, expert1, nil, ":id", f.att),
			fill("rare attachment", rareDomain, expert2, nil, ":id", f.otherAtt)}, true
	case "/tasks/:id", "/tasks/:id/claim", "/tasks/:id/unclaim", "/tasks/:id/reassign", "/tasks/:id/decision":
		return []target{fill("county task", "150105", nil, nil, ":id", f.countyTask),
			fill("expert task", "150105", expert1, nil, ":id", f.expertTask),
			fill("enterprise task", dairyDomain, nil, nil, ":id", f.enterpriseTask),
			fill("other league's task", "150203", nil, nil, ":id", f.otherTask)}, true
	case "/cases/:id", "/cases/:id/adjust", "/cases/:id/sessions", "/cases/:id/assessors":
		return []target{fill("dairy case", dairyDomain, nil, nil, ":id", f.cs), fill("rare case", rareDomain, nil, nil, ":id", f.otherCase)}, true
	case "/cases/:id/paper-receipt":
		return []target{fill("dairy case", dairyDomain, nil, nil, ":id", f.cs), fill("rare case", rareDomain, nil, nil, ":id", f.otherCase)}, true
	case "/enterprises/:id/ledger.xlsx", "/enterprises/:id/filing-code":
		return []target{fill("dairy", dairyDomain, nil, nil, ":id", "00000000-0000-7000-8000-000000000101"), fill("rare", rareDomain, nil, nil, ":id", "00000000-0000-7000-8000-000000000102")}, true
	case "/filing-codes":
		return []target{{name: "region", path: path, domain: models.RegionCode}}, true
	case "/public/publicity/:id", "/public/publicity/:id/objections":
		// Anyone's: a sitting in publicity (or none, answered 404).
		return []target{fill("dairy sitting", "", nil, nil, ":id", f.session)}, true
	case "/sessions/:id", "/sessions/:id/candidates", "/sessions/:id/candidates/:cid/scores", "/sessions/:id/objections", "/sessions/:id/candidates/:cid/photo",
		"/sessions/:id/records", "/sessions/:id/scores", "/sessions/:id/candidates/:cid/remove", "/sessions/:id/workbook.xlsx",
		"/sessions/:id/candidates/import", "/sessions/:id/scores/import":
		return []target{fill("dairy sitting", dairyDomain, nil, supervisor1, ":id", f.session, ":cid", models.NewID()),
			fill("rare sitting", rareDomain, nil, nil, ":id", f.otherSes, ":cid", models.NewID())}, true
	case "/certificates/:id/revoke":
		return []target{fill("dairy certificate", dairyDomain, nil, nil, ":id", f.cert), fill("rare certificate", rareDomain, nil, nil, ":id", f.otherCert)}, true
	case "/campaigns/:id/deadlines":
		return []target{fill("campaign", models.RegionCode, nil, nil, ":id", f.campaign)}, true
	case "/leagues/:code/summary", "/leagues/:code/summary/export.xlsx":
		return []target{fill("league 150100", "150100", nil, nil, ":code", "150100"), fill("league 150200", "150200", nil, nil, ":code", "150200")}, true
	case "/supervision/draws/:id", "/supervision/draws/:id/verify", "/supervision/draws/:id/reports":
		return []target{fill("region draw", models.RegionCode, nil, supervisor1, ":id", f.draw)}, true
	case "/supervision/reports/:id/review":
		// The report of supervisor1 in the region's draw: only a reviewer of the region's
		// jurisdiction may review it, not the supervisor who filed it.
		return []target{fill("report in the region's draw", models.RegionCode, nil, nil, ":id", f.report)}, true
	}
	return nil, false
}

// relations returns how user stands to the target.
func (e *ntkEnv) relations(u models.User, tg target) []domain.Relation {
	var rels []domain.Relation
	if tg.domain == "" {
		// The caller's own list: filtered by the relation that grants it.
		return []domain.Relation{domain.Own, domain.InJurisdiction, domain.Assigned, domain.Drawn}
	}
	grant := u.Jurisdiction()
	if u.Role == models.RoleEnterpriseUser {
		ent, _ := e.db.EnterpriseByID(context.Background(), u.Enterprise())
		grant = domain.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	}
	if e.tree.Within(tg.domain, grant) {
		rels = append(rels, domain.InJurisdiction, domain.Own)
	}
	if slices.Contains(tg.assigned, u.ID) {
		rels = append(rels, domain.Assigned)
	}
	if slices.Contains(tg.drawn, u.ID) {
		rels = append(rels, domain.Drawn)
	}
	return rels
}

type ntkEnv struct {
	*testEnv
	tree interface {
		Within(request, grant string) bool
	}
}

func TestNeedToKnowOnEveryRoute(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		te := newTestEnv(t, db)
		s := te.api
		e := &ntkEnv{testEnv: te, tree: s.enf.Tree()}
		f := newNTKFixture(t, te)
		callers := []string{"region", "centre", "hohhot", "baotou", "saihan", "xincheng", "kundulun", "dairy", "rare",
			"expert1", "expert2", "supervisor1", "supervisor2", "admin", "secadmin", "auditadmin"}
		tokens := map[string]string{}
		for _, c := range callers {
			tokens[c] = te.bearer(c)
		}
		checked, refused := 0, 0
		for _, rt := range s.jsonRoutes() {
			tgs, ok := f.targets(rt.path)
			if !ok {
				t.Errorf("route %s %s has no row in the need-to-know test: add its objects to targets", rt.method, rt.path)
				continue
			}
			write := rt.method != http.MethodGet
			for _, tg := range tgs {
				for _, c := range callers {
					u := f.users[c]
					allowed := true
					switch rt.access.kind {
					case kindUseCase, kindPolicy, kindUpload:
						allowed = false
						for _, rel := range e.relations(u, tg) {
							allowed = allowed || domain.Permits(u.Role, rt.access.obj, rt.access.act, rel)
						}
					}
					if allowed && write {
						continue // writes the table allows: the use-case tests check them with their effects
					}
					code, body := te.apiDo(tokens[c], rt.method, "/api/v1"+tg.path, "{}")
					checked++
					label := rt.method + " " + tg.path + " (" + tg.name + ") as " + c + " (" + u.Role + ")"
					if allowed {
						if code == http.StatusUnauthorized || code == http.StatusForbidden {
							t.Errorf("%s: answered %d, but the table allows it: %v", label, code, body["error"])
						}
						continue
					}
					refused++
					if code != http.StatusUnauthorized && code != http.StatusForbidden && code != http.StatusNotFound {
						t.Errorf("%s: answered %d, but the table refuses %s/%s here", label, code, rt.access.obj, rt.access.act)
					}
				}
			}
		}
		t.Logf("need-to-know: %d requests, %d refused as the table says", checked, refused)
		require.Greater(t, refused, 300)
	})
}

func TestDrawnExpertTaskStaysWithTheDrawnExpert(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	f := newNTKFixture(t, e)
	var task models.Task
	require.NoError(t, e.db.Where("id = ?", f.expertTask).First(&task).Error)
	body := `{"version":1,"assignee_id":"` + f.users["expert2"].ID + `","reason":"专家请假"}`

	// Neither the league, nor the administrator, nor the region may hand it to another expert.
	for _, who := range []string{"hohhot", "admin", "region"} {
		code, resp := e.apiDo(e.bearer(who), http.MethodPost, "/api/v1/tasks/"+task.ID+"/reassign", body)
		require.Equal(t, http.StatusConflict, code, who)
		require.Equal(t, "drawn_task", resp["error"].(map[string]any)["code"], who)
	}
	// The drawn expert may not release it to a queue another expert could take it from.
	code, _ := e.apiDo(e.bearer("expert1"), http.MethodPost, "/api/v1/tasks/"+task.ID+"/unclaim", `{"version":1}`)
	require.Equal(t, http.StatusForbidden, code)
	// Another expert neither reads it nor the application behind it.
	code, _ = e.apiDo(e.bearer("expert2"), http.MethodGet, "/api/v1/tasks/"+task.ID, "")
	require.Equal(t, http.StatusForbidden, code)
	code, _ = e.apiDo(e.bearer("expert2"), http.MethodGet, "/api/v1/applications/"+f.app, "")
	require.Equal(t, http.StatusForbidden, code)

	require.NoError(t, e.db.Where("id = ?", task.ID).First(&task).Error)
	require.Equal(t, f.users["expert1"].ID, task.AssigneeID)
	require.Equal(t, 1, task.Version)
	require.Len(t, webtest.AuditRows(t, e.db, "task.reassign"), 3)
	code, _ = e.apiDo(e.bearer("expert1"), http.MethodGet, "/api/v1/tasks/"+task.ID, "")
	require.Equal(t, http.StatusOK, code)

	// Once the expert has scored (the task is closed), the application is out of reach again.
	require.NoError(t, e.db.Model(&models.Task{}).Where("id = ?", task.ID).Update("status", models.TaskDone).Error)
	code, _ = e.apiDo(e.bearer("expert1"), http.MethodGet, "/api/v1/applications/"+f.app, "")
	require.Equal(t, http.StatusForbidden, code)
	code, _ = e.apiDo(e.bearer("expert1"), http.MethodGet, "/api/v1/attachments/"+f.att, "")
	require.Equal(t, http.StatusForbidden, code)
}

func TestSupervisionDrawSeedIsTheServers(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	f := newNTKFixture(t, e)
	region := e.bearer("region")
	// A seed chosen by whoever draws would let them steer the draw: refused, nothing drawn.
	code, resp := e.apiDo(region, http.MethodPost, "/api/v1/supervision/draws", `{"title":"第一轮","sessions":1,"per_session":2,"seed":42}`)
	require.Equal(t, http.StatusUnprocessableEntity, code, resp)
	require.Equal(t, "seed", resp["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"])
	var n int64
	require.NoError(t, e.db.Model(&models.SupervisionDraw{}).Count(&n).Error)
	require.EqualValues(t, 1, n) // the fixture's

	code, resp = e.apiDo(region, http.MethodPost, "/api/v1/supervision/draws", `{"title":"第一轮","sessions":1,"per_session":2}`)
	require.Equal(t, http.StatusCreated, code, resp)
	id := resp["id"].(string)
	seed := resp["seed"].(float64)
	require.NotZero(t, seed)
	code, resp = e.apiDo(region, http.MethodGet, "/api/v1/supervision/draws/"+id+"/verify", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, resp["match"])
	require.Equal(t, seed, resp["seed"])

	// A drawn supervisor sees the sittings drawn for them, not the pool; one not drawn sees nothing.
	code, resp = e.apiDo(e.bearer("supervisor1"), http.MethodGet, "/api/v1/supervision/draws/"+f.draw, "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, resp["assignments"], 1)
	require.Empty(t, resp["supervisors_json"])
	code, _ = e.apiDo(e.bearer("supervisor2"), http.MethodGet, "/api/v1/supervision/draws/"+f.draw, "")
	require.Equal(t, http.StatusForbidden, code)
}
