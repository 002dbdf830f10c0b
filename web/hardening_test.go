package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// TestSafeNextRefusesOffSiteRedirects runs known open-redirect bypasses through safeNext:
// each must come back as "/", while paths on this site are kept.
func TestSafeNextRefusesOffSiteRedirects(t *testing.T) {
	offSite := []string{
		"", "evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example",
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example", "/ /evil.example",
		"/\x00/evil.example", "/\u00a0/evil.example", "/\u2028/evil.example", "/\\/evil.example",
		"/%2F%2Fevil.example", "/%2f/evil.example", "/%5Cevil.example", "/%09/evil.example",
		"https://evil.example", "http:evil.example", "HTTPS://evil.example/", "javascript:alert(1)",
		"JavaScript:alert(1)", "data:text/html,x", "/\t\\evil.example", "/\\\t/evil.example",
		"/./\t/evil.example", "\x7f//evil.example", "/\xff/evil.example",
	}
	for _, next := range offSite {
		require.Equal(t, "/", safeNext(next), "safeNext(%q)", next)
	}
	for _, next := range []string{"/", "/inbox", "/tasks/12?view=all", "/status#due", "/a/b%20c", "/inbox?q=%E5%8C%85"} {
		require.Equal(t, next, safeNext(next), "safeNext(%q) keeps a path on this site", next)
	}
}

// TestLoginRedirectStaysOnSite logs in with next set to a bypass, over HTTP, and follows
// the logged-in visitor's redirect from /login?next=…: the Location is always "/".
func TestLoginRedirectStaysOnSite(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	_, page := e.get(c, "/login?next=/%09/evil.example")
	require.NotContains(t, page, "evil.example", "the form does not carry the bypass on")
	m := csrfRe.FindStringSubmatch(page)
	require.NotNil(t, m)
	resp, body := e.postForm(c, "/login", url.Values{"csrf_token": {m[1]}, "username": {"hohhot"},
		"password": {testPassword}, "next": {"/\t/evil.example"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, "/", resp.Header.Get("Location"))

	for _, q := range []string{"/%09/evil.example", "/%5Cevil.example", "//evil.example", "https://evil.example",
		"/%2F%2Fevil.example", "/%0A/evil.example", "javascript:alert(1)"} {
		resp, _ := e.get(c, "/login?next="+q)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, q)
		require.Equal(t, "/", resp.Header.Get("Location"), "next=%s", q)
	}
	resp, _ = e.get(c, "/login?next=/inbox%3Fview%3Dall")
	require.Equal(t, "/inbox?view=all", resp.Header.Get("Location"), "a path on this site is kept")
}

// TestLoggedInAnswersAreNotStored requires "Cache-Control: no-store" on what a logged-in
// browser gets: pages, redirects, the print page and error pages.
func TestLoggedInAnswersAreNotStored(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	resp, _ := e.loginForm(c, "dairy", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "the login's redirect")
	for _, path := range []string{"/", "/status", "/application", "/login?next=/status", "/applications/none/print", "/tasks/none", "/no-such-page"} {
		resp, _ := e.get(c, path)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), "GET %s (status %d)", path, resp.StatusCode)
	}
}

// TestStaticListsNoDirectory requires /static/ to serve its files and answer 404 for a
// directory, whatever the spelling, instead of listing it.
func TestStaticListsNoDirectory(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	for _, path := range []string{"/static/", "/static", "/static/.", "/static//", "/static/./", "/static/%2e/"} {
		resp, body := e.get(c, path)
		require.NotContains(t, body, `href="app.css"`, "GET %s lists nothing", path)
		if resp.StatusCode != http.StatusMovedPermanently && resp.StatusCode != http.StatusTemporaryRedirect {
			require.Equal(t, http.StatusNotFound, resp.StatusCode, "GET %s", path)
		}
	}
	resp, body := e.get(c, "/static/app.css")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NotEmpty(t, body)
	resp, _ = e.get(c, "/static/app.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
}

// TestPublicPagesIgnoreBadCredentials: a public page answers a request with an unknown
// bearer token as it answers anyone; a page that needs a caller still refuses it.
func TestPublicPagesIgnoreBadCredentials(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	get := func(path string) int {
		req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer sc_nope")
		resp, err := e.browser().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, path := range []string{"/directory", "/query", "/supervision", "/complaint", "/login", "/register"} {
		require.Equal(t, http.StatusOK, get(path), "GET %s", path)
	}
	require.Equal(t, http.StatusUnauthorized, get("/inbox"))
}

// TestBulkDecisionNamesNoTaskOutsideScope posts bulk decisions on tasks the caller may not
// decide (another jurisdiction, another role, a kind that does not match) and on IDs that do
// not exist: every row answers alike, "无权办理或不存在", and no task title (which names the
// enterprise) appears.
func TestBulkDecisionNamesNoTaskOutsideScope(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	due := time.Now().Add(48 * time.Hour)
	precheck := seedTask(t, e.db, "c-pre", "app-pre", workflows.KindPrecheck, workflows.StagePrecheck, models.RoleCountyOfficial, "150105", due)
	review := seedTask(t, e.db, "c-rev", "app-rev", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100", due)
	require.Contains(t, precheck.Title, "呼和浩特乳业")

	for _, tc := range []struct{ user, outcome string }{
		{"kundulun", workflows.KindPrecheck + ":pass"},     // a county official elsewhere
		{"baotou", workflows.KindLeagueReview + ":accept"}, // a league official elsewhere
		{"baotou", workflows.KindPrecheck + ":pass"},       // … choosing the other kind
		{"dairy", workflows.KindLeagueReview + ":accept"},  // the enterprise itself
		{"expert1", workflows.KindFileWorkPlan + ":file"},  // a kind neither task is
	} {
		c := e.login(tc.user)
		_, inbox := e.get(c, "/inbox")
		if !csrfRe.MatchString(inbox) {
			_, inbox = e.get(c, "/")
		}
		resp, body := e.postForm(c, "/inbox/bulk", url.Values{"csrf_token": {csrfOf(t, inbox)}, "outcome": {tc.outcome},
			"task_id": {precheck.ID, review.ID, "no-such-task"}, "request_key": {"k-" + tc.user}})
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", tc.user, body)
		require.NotContains(t, body, "呼和浩特乳业", "%s sees no enterprise name", tc.user)
		require.NotContains(t, body, precheck.Title, tc.user)
		require.NotContains(t, body, review.Title, tc.user)
		require.Equal(t, 3, strings.Count(body, "无权办理或不存在"), "%s: every row answers alike", tc.user)
	}

	// Within scope, a task of another kind is still named, with why it was not decided.
	c := e.login("saihan")
	_, inbox := e.get(c, "/inbox")
	_, body := e.postForm(c, "/inbox/bulk", url.Values{"csrf_token": {csrfOf(t, inbox)}, "outcome": {workflows.KindFileWorkPlan + ":file"},
		"task_id": {precheck.ID}, "request_key": {"k-saihan"}})
	require.Contains(t, body, precheck.Title)
	require.NotContains(t, body, "无权办理或不存在")
}

// TestEnterprisePagesShowNoExpertPanel puts the dairy enterprise's case in expert evaluation
// (the panel on the case, a scoring task held by each expert) and reads the enterprise's pages:
// no expert's user ID or name appears; an expert's task is refused without naming anyone.
func TestEnterprisePagesShowNoExpertPanel(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	tok := e.bearer("dairy")
	app := e.mine(tok)
	e.submitForm(tok, app.ID, goodForm(e.attachmentsOf("dairy")))
	experts := []string{webtest.UserID(t, e.db, "expert1"), webtest.UserID(t, e.db, "expert2"), webtest.UserID(t, e.db, "expert3")}
	panel, err := json.Marshal(map[string]any{"seed": 7, "members": experts, "candidates": experts})
	require.NoError(t, err)
	due := time.Now().Add(72 * time.Hour)
	var tasks []models.Task
	for i, id := range experts {
		tasks = append(tasks, models.Task{ID: fmt.Sprintf("case-%s.expert_score.%d", app.ID, i), WorkflowID: "case-" + app.ID, CaseID: app.ID,
			Kind: workflows.KindExpertScore, Title: "专家评估打分：呼和浩特乳业示范有限公司", Stage: workflows.StageExpertEvaluation,
			CandidateRole: models.RoleExpert, CandidateDomain: models.RegionCode, JurisdictionCode: "150105", LeagueCode: "150100",
			EnterpriseName: "呼和浩特乳业示范有限公司", CampaignID: "2027", AssigneeID: id, DueAt: due})
	}
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "seed-panel", Case: &models.Case{ID: app.ID, WorkflowID: "case-" + app.ID,
		CampaignID: "2027", EnterpriseID: dairyEnterpriseID, EnterpriseName: "呼和浩特乳业示范有限公司", ApplicationID: app.ID, ApplicationVersion: 1,
		JurisdictionCode: "150105", LeagueCode: "150100", Stage: workflows.StageExpertEvaluation, Status: "open", WaitingOn: models.RoleExpert,
		SLAState: models.SLAOnTime, PanelJSON: string(panel)}, OpenTasks: tasks,
		Events: []models.CaseEvent{{CaseID: app.ID, Kind: "evaluation_started", Stage: workflows.StageExpertEvaluation, Summary: "进入专家评估", Public: true},
			{CaseID: app.ID, Kind: "expert_scored", Stage: workflows.StageExpertEvaluation, Summary: "一位评估专家已提交评分",
				ActorID: experts[0], ActorName: "评估专家 吴教授", ActorRole: models.RoleExpert, Public: false}}})
	require.NoError(t, err)

	c := e.login("dairy")
	for _, path := range []string{"/status", "/", "/inbox", "/application", tasks[0].ID} {
		if strings.HasPrefix(path, "case-") {
			path = "/tasks/" + path
		}
		_, body := e.get(c, path)
		for _, id := range experts {
			require.NotContains(t, body, id, "GET %s shows an expert's user ID", path)
		}
		for _, name := range []string{"吴教授", "郑高工", "冯高工", "评估专家 "} {
			require.NotContains(t, body, name, "GET %s shows an expert's name", path)
		}
	}
	body := e.pageOK(c, "/status", http.StatusOK)
	require.Contains(t, body, "专家评估", "the enterprise sees the stage")
}
