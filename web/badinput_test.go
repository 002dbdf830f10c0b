package web

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
	"skillcert/workflows"
)

// The pages' bad-input test posts every POST form of the pages (the engine's own route table),
// as a user who reaches the form, the inputs that used to end in a 500: 100,000-character
// values, null bytes, invalid UTF-8, dates in the years 0001 and 9999 and integers beyond
// int64, in every field the form's page shows and in the path parameters. No answer may be a
// 5xx, and afterwards every official's inbox page still answers.

// stubTemporal refuses every Update and starts every workflow.
type stubTemporal struct{ client.Client }

func (stubTemporal) UpdateWorkflow(context.Context, client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, temporal.NewApplicationError("测试替身拒绝", workflows.ErrInvalidDecision)
}

func (stubTemporal) ExecuteWorkflow(context.Context, client.StartWorkflowOptions, any, ...any) (client.WorkflowRun, error) {
	return nil, nil
}

func (stubTemporal) NewWithStartWorkflowOperation(client.StartWorkflowOptions, any, ...any) client.WithStartWorkflowOperation {
	return nil
}

func (stubTemporal) UpdateWithStartWorkflow(context.Context, client.UpdateWithStartWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	return nil, temporal.NewApplicationError("测试替身拒绝", workflows.ErrInvalidDecision)
}

var (
	pageJunk = []struct{ kind, value string }{{"long", strings.Repeat("长", 100000)}, {"nul", "a\x00b"}, {"utf8", "a\xff\xfeb"},
		{"huge", "99999999999999999999999"}, {"year1", "0001-01-01"}, {"year9999", "9999-12-31"}}
	formActionRe = regexp.MustCompile(`(?s)<form[^>]*action="([^"]+)"(.*?)</form>`)
	inputNameRe  = regexp.MustCompile(`name="([^"]+)"`)
	pathParamRe  = regexp.MustCompile(`:([a-z]+)`)
)

// pageCaller is who posts a page form: the form's audience, by path.
func pageCaller(path string) string {
	switch {
	case strings.HasPrefix(path, "/application"), strings.HasPrefix(path, "/sessions"):
		return "dairy"
	case strings.HasPrefix(path, "/tasks"), strings.HasPrefix(path, "/inbox"), strings.HasPrefix(path, "/summary"):
		return "hohhot"
	case strings.HasPrefix(path, "/admin/users"), strings.HasPrefix(path, "/admin/jurisdictions"), strings.HasPrefix(path, "/admin/audit"):
		return "admin"
	case path == "/complaint", path == "/register", path == "/query", path == "/login":
		return ""
	}
	return "region"
}

func TestEveryPageFormAnswersBadInputWithout5xx(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		e := &testEnv{t: t, db: db, now: time.Now()}
		deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
		deps.Config = service.Config{Throttle: domain.ThrottleBudgets{}} // no throttles: every request counts
		deps.Temporal = stubTemporal{}
		deps.Logger = slog.New(slog.DiscardHandler)
		s := newServer(t, deps, api.Config{PublicURL: "http://test", SessionKey: webtest.SessionKey, PublicQueryBurst: 1 << 20})
		h := s.Handler()
		e.srv = httptest.NewServer(h)
		t.Cleanup(e.srv.Close)
		task := seedTask(t, db, "c-bad", "app-bad", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial,
			"150100", time.Now().Add(72*time.Hour))
		_, err := db.ApplyTransition(ctx, models.Transition{Key: "pub", Directory: []models.DirectoryEntry{{CaseID: "c1", CampaignID: "2027",
			EnterpriseID: dairyEnterpriseID, Batch: 1, EnterpriseName: "呼和浩特乳业示范有限公司", JurisdictionCode: "150105",
			OccupationsJSON: `[]`, Status: "active"}}})
		require.NoError(t, err)
		victim := models.User{Username: "victim", DisplayName: "受试账户", Role: models.RoleCountyOfficial, JurisdictionCode: ptr("150105"), Active: true}
		require.NoError(t, victim.SetPassword(testPassword))
		require.NoError(t, db.CreateUser(ctx, &victim))
		seedSupervisionReport(t, db, "rectify", "考场未按规定全程录像。") // the region's review form, with its fields
		fixtures := map[string]string{"/tasks/:id": task.ID, "/admin/users/:id": victim.ID, "/admin/jurisdictions/:code": "150105"}
		fill := func(path, junkFor, junkValue string) string {
			return pathParamRe.ReplaceAllStringFunc(path, func(m string) string {
				if m[1:] == junkFor {
					return url.PathEscape(junkValue)
				}
				for prefix, v := range fixtures {
					if strings.HasPrefix(path, prefix) && strings.HasSuffix(prefix, m) {
						return url.PathEscape(v)
					}
				}
				return "x"
			})
		}

		var gets, posts []gin.RouteInfo
		for _, r := range h.(*gin.Engine).Routes() {
			switch {
			case strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/static"):
			case r.Method == http.MethodGet:
				gets = append(gets, r)
			case r.Method == http.MethodPost:
				posts = append(posts, r)
			}
		}
		require.NotEmpty(t, posts)

		// Each caller's browser, CSRF token and the fields of the forms its pages show.
		type browser struct {
			c      *http.Client
			csrf   string
			fields map[string][]string // form action → field names
		}
		browsers := map[string]*browser{}
		browserOf := func(user string) *browser {
			if b, ok := browsers[user]; ok {
				return b
			}
			b := &browser{c: e.browser(), fields: map[string][]string{}}
			if user != "" {
				b.c = e.login(user)
			}
			for _, g := range gets {
				_, body := e.get(b.c, fill(g.Path, "", ""))
				if m := csrfRe.FindStringSubmatch(body); m != nil && b.csrf == "" {
					b.csrf = m[1]
				}
				for _, f := range formActionRe.FindAllStringSubmatch(body, -1) {
					action := html.UnescapeString(f[1])
					for _, n := range inputNameRe.FindAllStringSubmatch(f[2], -1) {
						b.fields[action] = append(b.fields[action], html.UnescapeString(n[1]))
					}
				}
			}
			require.NotEmpty(t, b.csrf, "a page of %q carries a CSRF token", user)
			browsers[user] = b
			return b
		}
		post := func(b *browser, path string, multipartForm bool, v url.Values) int {
			v.Set("csrf_token", b.csrf)
			var req *http.Request
			if multipartForm {
				var buf bytes.Buffer
				mw := multipart.NewWriter(&buf)
				for k, vs := range v {
					for _, x := range vs {
						_ = mw.WriteField(k, x)
					}
				}
				_ = mw.Close()
				req, _ = http.NewRequest(http.MethodPost, e.srv.URL+path, &buf)
				req.Header.Set("Content-Type", mw.FormDataContentType())
			} else {
				req, _ = http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(v.Encode()))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			resp, err := b.c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			return resp.StatusCode
		}

		var failures []string
		sent := 0
		for _, r := range posts {
			if r.Path == "/logout" {
				continue // ends the browser's session; it takes no input
			}
			user := pageCaller(r.Path)
			b := browserOf(user)
			base := fill(r.Path, "", "")
			actionRe := regexp.MustCompile("^" + pathParamRe.ReplaceAllString(regexp.QuoteMeta(r.Path), `[^/?]+`) + `(\?.*)?$`)
			seen := map[string]bool{"csrf_token": true}
			names := []string{}
			for action, fs := range b.fields {
				if actionRe.MatchString(action) {
					for _, n := range fs {
						if !seen[n] {
							seen[n] = true
							names = append(names, n)
						}
					}
				}
			}
			for _, n := range []string{"name", "reason", "q", "batch", "page", "version", "score", "level", "date"} {
				if !seen[n] {
					names = append(names, n)
				}
			}
			sort.Strings(names)
			multi := strings.HasPrefix(r.Path, "/application/") || strings.HasSuffix(r.Path, "/decide")
			example := url.Values{}
			for _, n := range names {
				example.Set(n, "测试")
			}
			try := func(what, path string, v url.Values) {
				sent++
				if status := post(b, path, multi, v); status >= 500 {
					failures = append(failures, fmt.Sprintf("POST %s as %q (%s): %d", r.Path, user, what, status))
				}
			}
			for _, n := range names { // each field too long, the others plausible
				v := merge(url.Values{}, example)
				v.Set(n, pageJunk[0].value)
				try(n+" long", base, v)
			}
			for _, j := range pageJunk { // every field at once
				v := url.Values{}
				for _, n := range names {
					v.Set(n, j.value)
				}
				try("all "+j.kind, base, v)
			}
			for _, m := range pathParamRe.FindAllStringSubmatch(r.Path, -1) {
				for _, j := range pageJunk {
					try("path "+m[1]+" "+j.kind, fill(r.Path, m[1], j.value), merge(url.Values{}, example))
				}
			}
		}
		t.Logf("%d form posts to %d routes", sent, len(posts))
		sort.Strings(failures)
		require.Empty(t, failures, "5xx answers to bad input")

		// Every official's inbox page still answers.
		for _, user := range []string{"region", "centre", "hohhot", "saihan", "expert1", "supervisor1"} {
			resp, body := e.get(e.login(user), "/inbox")
			require.Equal(t, http.StatusOK, resp.StatusCode, "inbox of %s: %.300s", user, body)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// A page refuses a null byte with a message that says what to do; an over-long name is refused
// beside its field, with what was typed kept.
func TestPagesRefuseBadInputWithAClearMessage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "pub", Directory: []models.DirectoryEntry{{CaseID: "c1",
			CampaignID: "2027", EnterpriseID: dairyEnterpriseID, Batch: 1, EnterpriseName: "呼和浩特乳业示范有限公司",
			JurisdictionCode: "150105", OccupationsJSON: `[]`, Status: "active"}}})
		require.NoError(t, err)
		anon := e.browser()
		body := e.pageOK(anon, "/complaint?enterprise="+dairyEnterpriseID, http.StatusOK)
		csrf := csrfOf(t, body)
		content := "企业未按规定组织考核，存在代考现象，请核查。"

		resp, body := e.postForm(anon, "/complaint", url.Values{"csrf_token": {csrf}, "enterprise_id": {dairyEnterpriseID},
			"content": {content}, "complainant": {"张\x00三"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		noLeaks(t, body)
		require.Contains(t, body, "您提交的内容含有空字符、无法识别的字符或超出范围的数字")
		require.Contains(t, body, "浏览器的“后退”会保留您已填写的内容")

		resp, body = e.get(anon, "/directory?q=%E7%94%B5%00")
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, body, "系统没有保存")

		resp, body = e.postForm(anon, "/complaint", url.Values{"csrf_token": {csrf}, "enterprise_id": {dairyEnterpriseID},
			"content": {content}, "complainant": {strings.Repeat("张", 65)}, "contact": {"13800138000"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		noLeaks(t, body)
		require.Contains(t, body, "投诉人姓名不超过 64 个字符（现有 65 个）")
		require.Contains(t, body, ">"+content+"</textarea>")
		require.Contains(t, body, `value="13800138000"`)

		resp, body = e.loginForm(e.browser(), strings.Repeat("a", 100000), testPassword)
		require.Less(t, resp.StatusCode, 500, body)
		require.NotEqual(t, http.StatusSeeOther, resp.StatusCode)
	})
}
