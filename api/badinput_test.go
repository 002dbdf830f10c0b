package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
	"skillcert/workflows"
)

// The bad-input test sends every JSON route of jsonRoutes(), as a caller the route admits, the
// inputs that used to end in a 500 or in a workflow step retrying for ever: 100,000-character
// strings, null bytes, invalid UTF-8, dates in the years 0001 and 9999, integers beyond int64,
// in every body field its OpenAPI schema names, every query parameter and every path
// parameter. No answer may be a 5xx, nothing bad may reach a workflow, and afterwards every
// official's inbox still answers.

// junk is one bad value of a kind.
type junk struct{ kind, value string }

var (
	// badUTF8 stands in for invalid UTF-8 while a JSON body is built; JSON cannot carry the bytes.
	badUTF8     = "\uE000bad-utf8\uE000"
	badUTF8JSON = []byte("a\xff\xfeb")
	junkStrings = []junk{{"long", strings.Repeat("长", 100000)}, {"nul", "a\x00b"}, {"utf8", badUTF8}}
	junkDates   = []junk{{"year1", "0001-01-01"}, {"year9999", "9999-12-31"}}
	junkDTs     = []junk{{"year1", "0001-01-01T00:00:00Z"}, {"year9999", "9999-12-31T23:59:59Z"}}
	junkInt     = "99999999999999999999999"
	// junkParams replace a path or query parameter (URL-escaped when sent).
	junkParams = []junk{{"long", strings.Repeat("a", 100000)}, {"nul", "a\x00b"}, {"utf8", "a\xff\xfeb"},
		{"huge", junkInt}, {"year1", "0001-01-01"}, {"year9999", "9999-12-31"}}
)

// fakeTemporal answers every Update with a refusal and starts every workflow, recording the
// arguments, so the test can tell what would have reached a workflow.
type fakeTemporal struct {
	client.Client
	mu   sync.Mutex
	args []any
}

func (f *fakeTemporal) record(args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.args = append(f.args, args...)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.record(map[string]any{o.UpdateName: o.Args})
	return nil, temporal.NewApplicationError("测试替身拒绝", workflows.ErrInvalidDecision)
}

func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, _ client.StartWorkflowOptions, _ any, args ...any) (client.WorkflowRun, error) {
	f.record(args...)
	return nil, nil
}

func (f *fakeTemporal) NewWithStartWorkflowOperation(_ client.StartWorkflowOptions, _ any, args ...any) client.WithStartWorkflowOperation {
	f.record(args...)
	return nil
}

func (f *fakeTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return startedHandle{}, nil
}

// startedHandle answers a Started Update: the workflow runs.
type startedHandle struct{ client.WorkflowUpdateHandle }

func (startedHandle) Get(context.Context, any) error { return nil }

// badStrings returns the strings among the workflow arguments that no column could hold.
func (f *fakeTemporal) badStrings() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, _ := json.Marshal(f.args)
	var v any
	_ = json.Unmarshal(b, &v)
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			if n := utf8.RuneCountInString(x); n > 5000 || strings.ContainsRune(x, 0) || strings.ContainsRune(x, utf8.RuneError) {
				out = append(out, fmt.Sprintf("%.40q… (%d characters)", x, n))
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				before := len(out)
				walk(e)
				for i := before; i < len(out); i++ {
					out[i] = k + ": " + out[i]
				}
			}
		}
	}
	walk(v)
	return out
}

// badInputEnv is a server with fixtures for the path parameters and a bearer token per user.
type badInputEnv struct {
	*testEnv
	api      *Server
	temporal *fakeTemporal
	tokens   map[string]string
	fixtures map[string]string
}

func newBadInputEnv(t *testing.T, db *models.DB) *badInputEnv {
	t.Helper()
	ctx := context.Background()
	e := &badInputEnv{testEnv: &testEnv{t: t, db: db, now: time.Now()}, temporal: &fakeTemporal{}, tokens: map[string]string{}}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
	deps.Config = service.Config{Throttle: domain.ThrottleBudgets{}} // no throttles: every request counts
	deps.Temporal = e.temporal
	deps.Logger = slog.New(slog.DiscardHandler)
	deps.SigningKey = certSigningSeed
	e.api = newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey, PublicQueryBurst: 1 << 20})
	e.srv = httptest.NewServer(e.api.Handler(nil))
	t.Cleanup(e.srv.Close)

	// A case with an open league task, a submitted application and an account to act on.
	ent, err := db.EnterpriseByID(ctx, dairyEnterpriseID)
	require.NoError(t, err)
	seedCaseIn(t, db, "c-bad", ent, "150100")
	var app service.ApplicationView
	status, raw := e.callJSON(e.token("dairy"), http.MethodGet, "/api/v1/applications/mine", &app)
	require.Equal(t, http.StatusOK, status, raw)
	appID := app.ID
	victim := models.User{Username: "victim", DisplayName: "受试账户", Role: models.RoleCountyOfficial, JurisdictionCode: ptr("150105"), Active: true}
	require.NoError(t, victim.SetPassword(testPassword))
	require.NoError(t, db.CreateUser(ctx, &victim))
	// The dairy enterprise's active pilot with an open sitting, for the sittings' routes.
	_, err = db.ApplyTransition(ctx, models.Transition{Key: "pilot", Case: &models.Case{ID: "c-pilot", WorkflowID: "case-c-pilot",
		CampaignID: "2027", EnterpriseID: ent.ID, EnterpriseName: ent.Name, ApplicationID: "app-pilot", ApplicationVersion: 1,
		JurisdictionCode: ent.JurisdictionCode, LeagueCode: "150100", Stage: workflows.StageActive, Status: "open", Batch: 1,
		SLAState: models.SLAOnTime, ApprovedJSON: `[{"code":"6-02-04-01","name":"乳品加工工","levels":{"low":5,"high":3}}]`},
		Session: &models.AssessmentSession{ID: "s-bad", WorkflowID: workflows.SessionWorkflowID("s-bad"), CaseID: "c-pilot",
			EnterpriseID: ent.ID, EnterpriseName: ent.Name, JurisdictionCode: ent.JurisdictionCode, OccupationCode: "6-02-04-01",
			OccupationName: "乳品加工工", Level: 4, ExamDate: time.Now().AddDate(0, 0, 7).UTC().Truncate(24 * time.Hour),
			Site: "公司技能评价中心", AssessorsJSON: `[]`, Status: models.SessionOpen}})
	require.NoError(t, err)
	// A supervision report awaiting review, for the review route.
	sup, err := db.UserByUsername(ctx, "supervisor1")
	require.NoError(t, err)
	draw := models.SupervisionDraw{Title: "督导", JurisdictionCode: models.RegionCode, Seed: 7, PerSession: 1, SessionsJSON: "[]",
		SupervisorsJSON: "[]", AssignmentsJSON: `[{"session_id":"s-bad","supervisors":["` + sup.ID + `"]}]`, CreatedBy: sup.ID, CreatedAt: time.Now()}
	require.NoError(t, db.CreateDraw(ctx, &draw))
	report := models.SupervisionReport{DrawID: draw.ID, SessionID: "s-bad", SupervisorID: sup.ID, Rating: "rectify", Findings: "考评人员不足。",
		Status: domain.ReportSubmitted, CreatedAt: time.Now()}
	require.NoError(t, db.AddSupervisionReport(ctx, &report))
	e.fixtures = map[string]string{
		"/supervision/reports/:id": report.ID, "/supervision/draws/:id": draw.ID,
		"/users/:id": victim.ID, "/applications/:id": appID, "/tasks/:id": "case-c-bad.league_review.1.0", "/cases/:id": "c-bad",
		"/cases/:id/sessions": "c-pilot", "/sessions/:id": "s-bad",
		"/jurisdictions/:code": "150105", "/leagues/:code": "150100", "/campaigns/:id": "2027", "/applications/:id/versions/:v": "1",
	}
	return e
}

// callJSON sends a bodiless request with a bearer token and decodes the answer into out.
func (e *badInputEnv) callJSON(token, method, path string, out any) (int, string) {
	status, body := e.send(token, request{method: method, path: path})
	_ = json.Unmarshal([]byte(body), out)
	return status, body
}

func ptr[T any](v T) *T { return &v }

// token is a bearer token of user, made once.
func (e *badInputEnv) token(user string) string {
	if tok, ok := e.tokens[user]; ok {
		return tok
	}
	e.tokens[user] = e.bearer(user)
	return e.tokens[user]
}

// callers are the demo users a route admits: one per role the Casbin rules give obj/act, or a
// visitor and an official for the routes without a rule.
func (e *badInputEnv) callers(a access) []string {
	users := []string{"admin", "region", "centre", "hohhot", "saihan", "expert1", "supervisor1", "dairy"}
	switch a.kind {
	case kindPublic, kindPreCSRF, kindThrottled:
		return []string{"", "region"}
	case kindLoggedIn:
		return []string{"region", "dairy"}
	}
	var out []string
	for _, u := range users {
		usr, err := e.db.UserByUsername(context.Background(), u)
		require.NoError(e.t, err)
		if e.api.enf.RoleAllows(usr.Role, a.obj, a.act) {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		// No rule names obj/act (the use case checks another, e.g. supervision:manage or
		// report): the officials who hold those.
		out = []string{"region", "supervisor1"}
	}
	return out
}

var routeParam = regexp.MustCompile(`:([a-z]+)`)

// fill puts values into a route's path parameters: the fixture for the route when there is
// one, else "x", and junk for the parameter named junkFor.
func (e *badInputEnv) fill(path, junkFor, junkValue string) string {
	return routeParam.ReplaceAllStringFunc(path, func(m string) string {
		name := m[1:]
		if name == junkFor {
			return url.PathEscape(junkValue)
		}
		best, value := "", "x" // the longest route prefix ending in the parameter
		for prefix, v := range e.fixtures {
			if strings.HasPrefix(path, prefix) && strings.HasSuffix(prefix, m) && len(prefix) > len(best) {
				best, value = prefix, v
			}
		}
		return url.PathEscape(value)
	})
}

// request is one request of the test.
type request struct {
	what, method, path, contentType string
	body                            []byte
}

// openAPISchemas finds an operation's JSON body schema and query parameters in openapi.yaml.
type openAPISchemas struct {
	doc map[string]any
	ops map[string]map[string]any
}

func (o openAPISchemas) resolve(v any) map[string]any {
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = o.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[part]
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

func (o openAPISchemas) operation(method, ginPath string) map[string]any {
	return o.ops[method+" /api/v1"+routeParam.ReplaceAllString(ginPath, "{$1}")]
}

// jsonBody reports whether the operation takes a JSON body.
func (o openAPISchemas) jsonBody(op map[string]any) bool {
	content, _ := o.resolve(op["requestBody"])["content"].(map[string]any)
	_, ok := content["application/json"]
	return ok
}

func (o openAPISchemas) bodySchema(op map[string]any) map[string]any {
	rb := o.resolve(op["requestBody"])
	content, _ := rb["content"].(map[string]any)
	return o.resolve(content["application/json"].(map[string]any)["schema"])
}

func (o openAPISchemas) queryParams(op map[string]any) []string {
	var out []string
	list, _ := op["parameters"].([]any)
	for _, p := range list {
		if pm := o.resolve(p); pm["in"] == "query" {
			out = append(out, pm["name"].(string))
		}
	}
	return out
}

// leaf is one scalar of a body: its path, its schema type and format.
type leaf struct{ path, typ, format string }

// example builds a plausible value of a schema and lists its scalars.
func (o openAPISchemas) example(s map[string]any, path string, leaves *[]leaf) any {
	s = o.resolve(s)
	if all, ok := s["allOf"].([]any); ok {
		merged := map[string]any{}
		for _, part := range all {
			if m, ok := o.example(o.resolve(part), path, leaves).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	typ, _ := s["type"].(string)
	format, _ := s["format"].(string)
	if props, ok := s["properties"].(map[string]any); ok || typ == "object" {
		out := map[string]any{}
		for k, p := range props {
			pm := o.resolve(p)
			if ro, _ := pm["readOnly"].(bool); ro {
				continue
			}
			out[k] = o.example(pm, strings.TrimPrefix(path+"."+k, "."), leaves)
		}
		return out
	}
	if typ == "array" {
		return []any{o.example(o.resolve(s["items"]), path+"[0]", leaves)}
	}
	*leaves = append(*leaves, leaf{path, typ, format})
	if ex, ok := s["example"]; ok {
		return ex
	}
	switch typ {
	case "integer", "number":
		return 1
	case "boolean":
		return true
	}
	switch format {
	case "date":
		return time.Now().AddDate(0, 0, 30).Format("2006-01-02")
	case "date-time":
		return time.Now().AddDate(0, 0, 30).UTC().Format(time.RFC3339)
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	return "测试"
}

// setLeaf replaces the scalar at path in v (a copy made by JSON round trip).
func setLeaf(v any, path string, to any) any {
	b, _ := json.Marshal(v)
	var c any
	_ = json.Unmarshal(b, &c)
	parts := strings.FieldsFunc(path, func(r rune) bool { return r == '.' || r == '[' || r == ']' })
	if len(parts) == 0 {
		return to
	}
	cur := c
	for i, p := range parts {
		last := i == len(parts)-1
		switch x := cur.(type) {
		case map[string]any:
			if last {
				x[p] = to
			}
			cur = x[p]
		case []any:
			if last {
				x[0] = to
			}
			cur = x[0]
		}
	}
	return c
}

// encode marshals a body, putting raw invalid UTF-8 where badUTF8 stands.
func encode(v any) []byte {
	b, _ := json.Marshal(v)
	ph, _ := json.Marshal(badUTF8)
	return bytes.ReplaceAll(b, ph[1:len(ph)-1], badUTF8JSON)
}

// requests lists the bad requests of a route.
func (e *badInputEnv) requests(o openAPISchemas, rt route) []request {
	op := o.operation(rt.method, rt.path)
	require.NotNil(e.t, op, "%s %s is in openapi.yaml", rt.method, rt.path)
	base := "/api/v1" + e.fill(rt.path, "", "")
	var out []request
	add := func(what, path, ct string, body []byte) {
		out = append(out, request{what: what, method: rt.method, path: path, contentType: ct, body: body})
	}

	var body any
	var leaves []leaf
	// A multipart body (a photo) is not JSON: its faults are the route's own tests'.
	hasBody := op["requestBody"] != nil && rt.access.kind != kindUpload && o.jsonBody(op)
	if hasBody {
		body = o.example(o.bodySchema(op), "", &leaves)
	}
	exampleBody := func() []byte {
		if !hasBody {
			return nil
		}
		return encode(body)
	}
	// Path parameters, one at a time.
	for _, m := range routeParam.FindAllStringSubmatch(rt.path, -1) {
		for _, j := range junkParams {
			add("path "+m[1]+" "+j.kind, "/api/v1"+e.fill(rt.path, m[1], j.value), "application/json", exampleBody())
		}
	}
	// Query parameters: those documented one at a time, then the usual ones of any route.
	for _, name := range o.queryParams(op) {
		for _, j := range junkParams {
			add("query "+name+" "+j.kind, base+"?"+url.Values{name: {j.value}}.Encode(), "application/json", exampleBody())
		}
	}
	for _, j := range junkParams {
		q := url.Values{}
		for _, name := range []string{"batch", "page", "limit", "offset", "q"} {
			q.Set(name, j.value)
		}
		add("query any "+j.kind, base+"?"+q.Encode(), "application/json", exampleBody())
	}
	switch {
	case rt.access.kind == kindUpload:
		for _, j := range junkParams {
			for _, field := range []string{"purpose", "replaces", "file name"} {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				name := "a.pdf"
				if field == "file name" {
					name = j.value + ".pdf"
				} else {
					_ = mw.WriteField(field, j.value)
				}
				fw, _ := mw.CreateFormFile("file", name)
				_, _ = fw.Write([]byte("%PDF-1.4\n%%EOF\n"))
				_ = mw.Close()
				add("multipart "+field+" "+j.kind, base, mw.FormDataContentType(), buf.Bytes())
			}
		}
	case hasBody:
		// Every scalar the schema names, one at a time, then all strings at once.
		for _, l := range leaves {
			var js []junk
			switch {
			case l.typ == "integer" || l.typ == "number":
				add("body "+l.path+" huge", base, "application/json", bytes.Replace(encode(setLeaf(body, l.path, "§N§")), []byte(`"§N§"`), []byte(junkInt), 1))
				continue
			case l.format == "date":
				js = append(junkStrings, junkDates...)
			case l.format == "date-time":
				js = append(junkStrings, junkDTs...)
			case l.typ == "string" || l.typ == "":
				js = junkStrings
			}
			for _, j := range js {
				add("body "+l.path+" "+j.kind, base, "application/json", encode(setLeaf(body, l.path, j.value)))
			}
		}
		for _, j := range junkStrings {
			all := body
			for _, l := range leaves {
				if l.typ == "string" {
					all = setLeaf(all, l.path, j.value)
				}
			}
			add("body all strings "+j.kind, base, "application/json", encode(all))
		}
	}
	return out
}

func (e *badInputEnv) send(token string, r request) (int, string) {
	req, err := http.NewRequest(r.method, e.srv.URL+r.path, bytes.NewReader(r.body))
	require.NoError(e.t, err)
	if r.body != nil {
		req.Header.Set("Content-Type", r.contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestEveryJSONRouteAnswersBadInputWithout5xx(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newBadInputEnv(t, db)
		o := openAPISchemas{doc: parseOpenAPI(t)}
		o.ops = docOperations(t, o.doc)
		var failures []string
		sent := 0
		for _, rt := range e.api.jsonRoutes() {
			if rt.path == "/auth/logout" || (rt.method == http.MethodDelete && rt.path == "/tokens/:id") {
				continue // would end the test's own tokens; they take no input beyond the ID
			}
			reqs := e.requests(o, rt)
			for i, user := range e.callers(rt.access) {
				tok := ""
				if user != "" {
					tok = e.token(user)
				}
				for _, r := range reqs {
					if i > 0 && !strings.HasPrefix(r.what, "body") && !strings.HasPrefix(r.what, "multipart") {
						continue // path and query parameters: the first caller is enough
					}
					status, body := e.send(tok, r)
					sent++
					if status >= 500 {
						failures = append(failures, fmt.Sprintf("%s %s as %q (%s): %d %.200s", rt.method, rt.path, user, r.what, status, body))
					}
				}
			}
		}
		t.Logf("%d requests", sent)
		sort.Strings(failures)
		require.Empty(t, failures[:min(len(failures), 30)], "5xx answers to bad input (%d in all)", len(failures))
		require.Empty(t, e.temporal.badStrings(), "bad text reached a workflow")

		// The inbox of every role that has one still answers, with a fresh login.
		for _, user := range []string{"admin", "region", "centre", "hohhot", "saihan", "expert1", "supervisor1", "dairy"} {
			u, err := db.UserByUsername(context.Background(), user)
			require.NoError(t, err)
			status, body := e.apiDo(e.bearer(user), http.MethodGet, "/api/v1/tasks", "")
			if e.api.enf.RoleAllows(u.Role, "task", "read") {
				require.Equal(t, http.StatusOK, status, "inbox of %s: %v", user, body)
			} else {
				require.Less(t, status, 500, "inbox of %s: %v", user, body)
			}
		}
	})
}

// The inputs the issue found, one by one: each is refused with 422 and the field at fault, on
// both databases (each was a 500 on PostgreSQL, or reached a column too small for it).
func TestBadInputFindingsAreRefusedWith422(t *testing.T) {
	long := strings.Repeat("长", 100000)
	js := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	cases := []struct {
		name, user, method, path, body, field string
	}{
		{"null byte in a login name", "", http.MethodPost, "/api/v1/auth/login", js(map[string]string{"username": "reg\x00ion", "password": "x"}), "username"},
		{"over-long login name", "", http.MethodPost, "/api/v1/auth/login", js(map[string]string{"username": long, "password": "x"}), "username"},
		{"null byte in the directory filter", "", http.MethodGet, "/api/v1/directory?campaign=20%0027", "", "campaign"},
		{"huge directory batch", "", http.MethodGet, "/api/v1/directory?batch=99999999999999999999", "", "batch"},
		{"directory batch beyond int32", "", http.MethodGet, "/api/v1/directory?batch=3000000000", "", "batch"},
		{"null byte in the certificate query", "", http.MethodGet, "/api/v1/public/certificates?name=%E5%BC%A0%00&number=Y000015000123263000001", "", "name"},
		{"invalid UTF-8 in the certificate query", "", http.MethodGet, "/api/v1/public/certificates?name=%E5%BC%A0%FF%FE&number=Y000015000123263000001", "", "name"},
		{"over-long display name", "admin", http.MethodPost, "/api/v1/users", js(map[string]string{"username": "newuser", "display_name": long,
			"password": "long-enough-pw1", "role": models.RoleCountyOfficial, "jurisdiction_code": "150105"}), "display_name"},
		{"over-long complainant", "", http.MethodPost, "/api/v1/complaints", js(map[string]any{"enterprise_id": dairyEnterpriseID,
			"content": "企业未按规定组织考核，存在代考现象。", "complainant": long}), "complainant"},
		{"over-long sitting site", "dairy", http.MethodPost, "/api/v1/cases/c-pilot/sessions", js(map[string]any{"occupation_code": "6-02-04-01",
			"level": 4, "exam_date": time.Now().AddDate(0, 0, 7).Format("2006-01-02"), "site": long,
			"assessors": []map[string]string{{"name": "甲"}, {"name": "乙"}, {"name": "丙"}}}), "site"},
		{"over-long candidate name", "dairy", http.MethodPost, "/api/v1/sessions/s-bad/candidates", js(map[string]any{"name": long,
			"id_number": idStaff, "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}), "name"},
		{"huge region decision number", "region", http.MethodPost, "/api/v1/tasks/case-c-bad.league_review.1.0/decision",
			`{"outcome":"batch1","application_version":99999999999999999999}`, "application_version"},
		{"null byte in a JSON string", "hohhot", http.MethodPost, "/api/v1/tasks/case-c-bad.league_review.1.0/decision",
			`{"outcome":"accept","comment":"a\u0000b"}`, "comment"},
	}
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newBadInputEnv(t, db)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tok := ""
				if tc.user != "" {
					tok = e.token(tc.user)
				}
				status, body := e.send(tok, request{method: tc.method, path: tc.path, contentType: "application/json", body: []byte(tc.body)})
				require.Equal(t, http.StatusUnprocessableEntity, status, body)
				var eb errorBody
				require.NoError(t, json.Unmarshal([]byte(body), &eb), body)
				var fields []string
				for _, f := range eb.Error.Fields {
					fields = append(fields, f.Field)
				}
				require.Contains(t, fields, tc.field, body)
				require.Empty(t, e.temporal.badStrings())
			})
		}
	})
}
