package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
	"skillcert/service"
	"skillcert/workflows"
)

// Page tests: the pages render from the projection, forms post with CSRF, errors come back next
// to their fields in Chinese, and writes go through the API's own checks. Decisions themselves
// need Temporal and are covered end to end by cmd/skillcert's browser tests.

// pageOK fetches a page, requires the status and checks that no template or Go error text leaked.
func (e *testEnv) pageOK(c *http.Client, path string, status int) string {
	e.t.Helper()
	resp, body := e.get(c, path)
	require.Equal(e.t, status, resp.StatusCode, "GET %s: %s", path, body)
	noLeaks(e.t, body)
	return body
}

func noLeaks(t *testing.T, body string) {
	t.Helper()
	for _, bad := range []string{"<no value>", "%!", "runtime error", "sql:", "record not found", "context deadline"} {
		require.NotContains(t, body, bad)
	}
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	require.NotNil(t, m, "page has a CSRF field")
	return m[1]
}

func (e *testEnv) login(user string) *http.Client {
	e.t.Helper()
	c := e.browser()
	resp, body := e.loginForm(c, user, testPassword)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, body)
	return c
}

// flashOf reads the flash cookie a redirect set.
func flashOf(resp *http.Response) string {
	for _, ck := range resp.Cookies() {
		if ck.Name == flashCookie && len(ck.Value) > 1 {
			_, msg := decodeFlash(ck.Value)
			return msg
		}
	}
	return ""
}

// seedTask writes a case in a stage with one open task, as a workflow step would.
func seedTask(t *testing.T, db *models.DB, caseID, appID, kind, stage, role, domain string, due time.Time) models.Task {
	t.Helper()
	ctx := context.Background()
	ent, err := db.EnterpriseByID(ctx, dairyEnterpriseID)
	require.NoError(t, err)
	task := models.Task{ID: "case-" + caseID + "." + kind + ".1.0", WorkflowID: "case-" + caseID, CaseID: caseID, Kind: kind,
		Title: workflows.Kinds[kind].Title + "：" + ent.Name, Stage: stage, CandidateRole: role, CandidateDomain: domain,
		JurisdictionCode: ent.JurisdictionCode, LeagueCode: "150100", EnterpriseName: ent.Name, CampaignID: "2027", DueAt: due}
	_, err = db.ApplyTransition(ctx, models.Transition{Key: "seed-" + caseID + "-" + kind, Case: &models.Case{ID: caseID, WorkflowID: "case-" + caseID,
		CampaignID: "2027", EnterpriseID: ent.ID, EnterpriseName: ent.Name, ApplicationID: appID, ApplicationVersion: 1,
		JurisdictionCode: ent.JurisdictionCode, LeagueCode: "150100", Stage: stage, Status: "open", WaitingOn: role, SLAState: models.SLAOnTime},
		OpenTasks: []models.Task{task}, Events: []models.CaseEvent{{CaseID: caseID, Kind: "submitted", Stage: stage, Summary: "企业提交申报材料（第 1 版）", Public: true}}})
	require.NoError(t, err)
	got, err := db.TaskByID(ctx, task.ID)
	require.NoError(t, err)
	return got
}

func TestPagesNavigationByRoleAndPublicAccess(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	anon := e.browser()
	for _, path := range []string{"/inbox", "/application", "/status", "/summary", "/campaign", "/admin/stalled", "/admin/cases"} {
		resp, _ := e.get(anon, path)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, path)
		require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login?next="), path)
	}
	body := e.pageOK(anon, "/directory", http.StatusOK)
	require.Contains(t, body, "目录尚未公布")
	require.Contains(t, body, `href="/complaint"`, "the public navigation")
	require.Contains(t, e.pageOK(anon, "/complaint", http.StatusOK), "暂无可投诉的试点企业")

	for _, tc := range []struct {
		user string
		want []string
		not  []string
	}{
		{"hohhot", []string{`href="/inbox"`, `href="/summary"`, `href="/campaign"`}, []string{`href="/application"`, `href="/admin/stalled"`}},
		{"dairy", []string{`href="/application"`, `href="/status"`}, []string{`href="/inbox"`}},
		{"admin", []string{`href="/admin/stalled"`, `href="/admin/cases"`}, []string{`href="/summary"`}},
		{"expert1", []string{`href="/inbox"`}, []string{`href="/campaign"`}},
	} {
		c := e.login(tc.user)
		home := e.pageOK(c, "/", http.StatusOK)
		for _, w := range tc.want {
			require.Contains(t, home, w, tc.user)
		}
		for _, n := range tc.not {
			require.NotContains(t, home, n, tc.user)
		}
	}

	// A page outside the role answers with the Chinese refusal page, not a Go error.
	c := e.login("hohhot")
	require.Contains(t, e.pageOK(c, "/admin/stalled", http.StatusForbidden), "无权")
	require.Contains(t, e.pageOK(c, "/application", http.StatusNotFound), "只有企业用户")
	// Forms refuse a post without the page's token.
	resp, body := e.postForm(c, "/tasks/x/claim", url.Values{"version": {"1"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "表单已过期")
}

func TestInboxTabsFiltersClaimAndScope(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		now := time.Now()
		late := seedTask(t, db, "c-late", "app-late", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100", now.Add(-49*time.Hour))
		soon := seedTask(t, db, "c-soon", "app-soon", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100", now.Add(5*time.Hour))
		seedTask(t, db, "c-later", "app-later", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100", now.Add(9*24*time.Hour))
		// The workflow's timer marks a task overdue at its due time.
		_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "late", UpdateTasks: []models.TaskUpdate{{ID: late.ID, SLAState: models.SLAOverdue}}})
		require.NoError(t, err)
		late, err = db.TaskByID(context.Background(), late.ID)
		require.NoError(t, err)

		c := e.login("hohhot")
		// Nothing claimed yet: the inbox used to open on an empty 我的待办 while the unit's queue
		// had work. It opens on the queue, and each tab says how much it holds.
		body := e.pageOK(c, "/inbox", http.StatusOK)
		require.Contains(t, body, `<a href="/inbox?view=unit" aria-current="page">本单位待认领（3）</a>`)
		require.Contains(t, body, `>我的待办（0）</a>`)
		require.Contains(t, body, `>辖区全部（3）</a>`)
		require.Equal(t, 3, strings.Count(body, ">认领</button>"))
		require.Contains(t, e.pageOK(c, "/inbox?view=mine", http.StatusOK), "当前没有待办事项", "chosen explicitly, mine stays mine")
		body = e.pageOK(c, "/inbox?view=unit", http.StatusOK)
		require.Equal(t, 3, strings.Count(body, ">认领</button>"))
		require.Contains(t, body, `<span class="badge overdue">逾期</span>`)
		require.Contains(t, body, `<span class="badge soon">即将到期</span>`)
		require.Less(t, strings.Index(body, late.ID), strings.Index(body, soon.ID), "sorted by due time")
		require.Contains(t, body, "盟市审核", "stage name")
		require.Contains(t, body, `name="task_id" value="`+late.ID+`"`, "bulk-selectable")
		require.Contains(t, body, "盟市审核申报材料 → 审核通过")
		body = e.pageOK(c, "/inbox?view=unit&sort=-due", http.StatusOK)
		require.Greater(t, strings.Index(body, late.ID), strings.Index(body, soon.ID), "reverse order")

		// Filters.
		body = e.pageOK(c, "/inbox?view=unit&sla=overdue", http.StatusOK)
		require.Contains(t, body, late.ID)
		require.NotContains(t, body, soon.ID)
		body = e.pageOK(c, "/inbox?view=unit&due_before="+now.In(time.UTC).AddDate(0, 0, 3).Format("2006-01-02"), http.StatusOK)
		require.Contains(t, body, soon.ID)
		require.NotContains(t, body, "c-later")
		body = e.pageOK(c, "/inbox?view=unit&due_before=20-5", http.StatusOK)
		require.Contains(t, body, "请输入日期，如 2027-05-20。")

		// Claim with the version shown; a second claim with the same (stale) version is refused
		// with a Chinese message on the page it came from.
		csrf := csrfOf(t, body)
		back := "/inbox?view=unit"
		resp, _ := e.postForm(c, "/tasks/"+late.ID+"/claim", url.Values{"csrf_token": {csrf}, "version": {strconv.Itoa(late.Version)}, "return_to": {back}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, back, resp.Header.Get("Location"))
		require.Contains(t, flashOf(resp), "已认领")
		body = e.pageOK(c, "/inbox?view=mine", http.StatusOK)
		require.Contains(t, body, late.ID)
		require.Contains(t, body, ">释放</button>")
		require.Contains(t, body, "已认领：", "the flash is shown once")
		require.NotContains(t, e.pageOK(c, "/inbox?view=mine", http.StatusOK), "已认领：")
		resp, _ = e.postForm(c, "/tasks/"+late.ID+"/claim", url.Values{"csrf_token": {csrf}, "version": {strconv.Itoa(late.Version)}, "return_to": {back}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Contains(t, flashOf(resp), "已被他人认领或已变更")
		require.Equal(t, int64(1), e.auditCount("task.claim", models.OutcomeOK))

		// Another league sees nothing of it and may not open it.
		b := e.login("baotou")
		require.NotContains(t, e.pageOK(b, "/inbox?view=all", http.StatusOK), late.ID)
		require.Contains(t, e.pageOK(b, "/tasks/"+late.ID, http.StatusForbidden), "无权")

		// Experts see only their own tasks: one tab.
		x := e.login("expert1")
		body = e.pageOK(x, "/inbox?view=all", http.StatusOK)
		require.NotContains(t, body, "辖区全部")
		require.NotContains(t, body, late.ID)
	})
}

func TestTaskPageFormAndValidation(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	refs := e.attachmentsOf("dairy")
	tok := e.bearer("dairy")
	app := e.mine(tok)
	e.submitForm(tok, app.ID, goodForm(refs))
	review := seedTask(t, e.db, app.ID, app.ID, workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100", time.Now().Add(72*time.Hour))

	c := e.login("hohhot")
	body := e.pageOK(c, taskHref(review.ID), http.StatusOK)
	for _, want := range []string{"案件概况", "申报表（第 1 版）", "乳品加工工", "五级至三级", idStaff, "办理记录", "企业提交申报材料",
		"审核通过", "退回", "不予通过", `name="request_key"`, `name="reasons[2].message"`, "规章制度", "/api/v1/attachments/" + refs[models.PurposeRules].ID} {
		require.Contains(t, body, want)
	}
	require.Contains(t, body, `<option value="contact.mobile">联系人手机</option>`)

	// An expert opens no other task than their own; on it they see the same application with
	// ID numbers masked, and not the case's timeline (the panel, the others' notes).
	x := e.login("expert1")
	e.pageOK(x, taskHref(review.ID), http.StatusForbidden)
	_, scoring := webtest.DrawExpert(t, e.db, app.ID, "expert1")
	body = e.pageOK(x, taskHref(scoring), http.StatusOK)
	require.NotContains(t, body, idStaff)
	require.Contains(t, body, idStaff[:6]+"********"+idStaff[14:])
	require.NotContains(t, body, "企业提交申报材料", "no timeline for an expert")
	e.pageOK(e.login("expert2"), taskHref(scoring), http.StatusForbidden)

	// A decision without an outcome, or with a reason row lacking its text, comes back with the
	// errors beside the fields and what was typed kept.
	csrfOf(t, body) // the page carries a token
	_, body = e.get(c, taskHref(review.ID))
	csrf := csrfOf(t, body)
	resp, body := e.postForm(c, taskHref(review.ID)+"/decide", url.Values{"csrf_token": {csrf}, "comment": {"材料齐全但需核实"},
		"reasons[0].field": {"contact.mobile"}, "reasons[0].message": {""}, "request_key": {"k1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "请选择处理结果。")
	require.Contains(t, body, "请填写意见内容")
	require.Contains(t, body, "材料齐全但需核实")
	require.Contains(t, body, `<option value="contact.mobile" selected>联系人手机</option>`)
	require.Contains(t, body, `aria-invalid="true"`)
	// The summary of every fault comes first in the page's content, takes the focus and links
	// to the fields (the form itself is below the whole application).
	requireTopSummary(t, body, "#f-outcome", "#f-reasons-0-message")

	// Out of jurisdiction: refused and audited.
	b := e.login("baotou")
	_, body = e.get(b, "/inbox")
	resp, _ = e.postForm(b, taskHref(review.ID)+"/decide", url.Values{"csrf_token": {csrfOf(t, body)}, "outcome": {"accept"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	_, err := e.db.TaskByID(ctx, review.ID)
	require.NoError(t, err)
}

// formToValues writes a form as the application page's inputs name it.
func formToValues(f appcheck.Form) url.Values {
	v := url.Values{}
	v.Set("applicant.name", f.Applicant.Name)
	v.Set("applicant.address", f.Applicant.Address)
	v.Set("applicant.credit_code", f.Applicant.CreditCode)
	v.Set("contact.name", f.Contact.Name)
	v.Set("contact.post", f.Contact.Post)
	v.Set("contact.landline", f.Contact.Landline)
	v.Set("contact.mobile", f.Contact.Mobile)
	v.Set("contact.email", f.Contact.Email)
	refs := func(p string, rs []models.AttachmentRef) {
		for i, r := range rs {
			q := fmt.Sprintf("%s[%d]", p, i)
			v.Set(q+".id", r.ID)
			v.Set(q+".name", r.Name)
			v.Set(q+".sha256", r.SHA256)
		}
	}
	on := func(k string, b bool) {
		if b {
			v.Set(k, "on")
		}
	}
	refs("rules", f.Rules)
	for i, o := range f.Occupations {
		p := fmt.Sprintf("occupations[%d].", i)
		v.Set(p+"name", o.Name)
		v.Set(p+"code", o.Code)
		v.Set(p+"work_type", o.WorkType)
		v.Set(p+"fee", o.Fee)
		v.Set(p+"levels.low", strconv.Itoa(int(o.Levels.Low)))
		v.Set(p+"levels.high", strconv.Itoa(int(o.Levels.High)))
	}
	v.Set("strengths", f.Strengths)
	v.Set("site.description", f.Site.Description)
	refs("site.ownership", f.Site.Ownership)
	for i, x := range f.Equipment {
		p := fmt.Sprintf("equipment[%d].", i)
		v.Set(p+"name", x.Name)
		v.Set(p+"brand", x.Brand)
		v.Set(p+"model", x.Model)
		v.Set(p+"quantity", strconv.Itoa(x.Quantity))
		v.Set(p+"ownership", x.Ownership)
	}
	v.Set("exam_system", f.ExamSystem)
	for i, s := range f.Staff {
		p := fmt.Sprintf("staff[%d]", i)
		v.Set(p+".name", s.Name)
		v.Set(p+".id_number", s.IDNumber)
		v.Set(p+".title", s.Title)
		v.Set(p+".education", s.Education)
		v.Set(p+".duties", s.Duties)
		on(p+".employee", s.Employee)
		refs(p+".agreement", s.Agreement)
	}
	for _, list := range []struct {
		name string
		rows []appcheck.ExpertRow
	}{{"assessors", f.Assessors}, {"supervisors", f.Supervisors}} {
		for i, x := range list.rows {
			p := fmt.Sprintf("%s[%d]", list.name, i)
			v.Set(p+".name", x.Name)
			v.Set(p+".id_number", x.IDNumber)
			v.Set(p+".employer", x.Employer)
			v.Set(p+".title", x.Title)
			v.Set(p+".education", x.Education)
			v.Set(p+".occupation", x.Occupation)
			on(p+".employee", x.Employee)
			refs(p+".agreement", x.Agreement)
		}
	}
	for i, cnd := range f.Conditions {
		p := fmt.Sprintf("conditions[%d]", i)
		v.Set(p+".explanation", cnd.Explanation)
		refs(p+".evidence", cnd.Evidence)
	}
	return v
}

// postMultipart posts fields and files as the application page's form does.
func (e *testEnv) postMultipart(c *http.Client, path string, v url.Values, files map[string][]byte) (*http.Response, string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range v {
		for _, x := range vs {
			require.NoError(e.t, mw.WriteField(k, x))
		}
	}
	for field, content := range files {
		fw, err := mw.CreateFormFile(field, "佐证材料.pdf")
		require.NoError(e.t, err)
		_, _ = fw.Write(content)
	}
	require.NoError(e.t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// appFormState reads the hidden fields the application page carries.
func appFormState(t *testing.T, body string) url.Values {
	t.Helper()
	v := url.Values{"csrf_token": {csrfOf(t, body)}}
	for _, name := range []string{"application_id", "draft_version"} {
		i := strings.Index(body, `name="`+name+`" value="`)
		require.Positive(t, i, name)
		rest := body[i+len(`name="`+name+`" value="`):]
		v.Set(name, rest[:strings.Index(rest, `"`)])
	}
	return v
}

func merge(a, b url.Values) url.Values {
	out := url.Values{}
	for k, vs := range a {
		out[k] = vs
	}
	for k, vs := range b {
		out[k] = vs
	}
	return out
}

func TestApplicationPageDraftErrorsRowsUploadAndSubmit(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	c := e.login("dairy")
	body := e.pageOK(c, "/application", http.StatusOK)
	require.Contains(t, body, `value="呼和浩特乳业示范有限公司"`, "pre-filled from the registration")
	for _, label := range []string{"一、申报单位基本情况", "二、申报职业（工种）", "四、场地和设备设施", "五、人员情况", "六、基本条件及佐证材料",
		`for="f-staff-0-id_number"`, `for="f-assessors-0-id_number"`, `for="f-supervisors-0-id_number"`, `name="file:conditions[6].evidence"`,
		"增加一行", "保存草稿", "提交申报"} {
		require.Contains(t, body, label)
	}

	// Save a partial draft with a malformed mobile: saved as typed, the fault shown beside it.
	state := appFormState(t, body)
	typed := url.Values{"applicant.name": {"呼和浩特乳业示范有限公司"}, "applicant.credit_code": {"91150105MA0N00001B"},
		"contact.name": {"王敏"}, "contact.mobile": {"1380013"}, "equipment[0].name": {"巴氏杀菌机"}, "occupations[0].name": {""}}
	resp, _ := e.postMultipart(c, "/application/draft", merge(state, typed), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "草稿已保存")
	body = e.pageOK(c, "/application", http.StatusOK)
	require.Contains(t, body, `value="1380013"`)
	require.Contains(t, body, `value="巴氏杀菌机"`)
	require.Contains(t, body, `id="f-contact-mobile-warn"`, "draft fault shown beside the field")

	// 增加一行 saves and shows one more equipment row.
	state = appFormState(t, body)
	resp, _ = e.postMultipart(c, "/application/draft", merge(merge(state, typed), url.Values{"add_row": {"equipment"}}), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/application?add=equipment#f-equipment", resp.Header.Get("Location"))
	body = e.pageOK(c, resp.Header.Get("Location"), http.StatusOK)
	require.Contains(t, body, "设备设施第2行")
	require.Contains(t, body, `name="equipment[1].name"`)

	// Submitting the incomplete form: 422, every fault next to its field in Chinese, a summary
	// linking to them, and the draft kept exactly as typed.
	state = appFormState(t, body)
	resp, body = e.postMultipart(c, "/application/submit", merge(state, typed), nil)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "未能提交；草稿已保存")
	require.Contains(t, body, `href="#f-contact-post"`)
	require.Contains(t, body, "请填写联系人职务")
	require.Contains(t, body, `value="1380013"`)
	require.Contains(t, body, `value="巴氏杀菌机"`)
	mine := e.mine(e.bearer("dairy"))
	require.Equal(t, "1380013", mine.Form.Contact.Mobile, "the draft holds what was typed")
	require.Equal(t, models.ApplicationDraft, mine.Status)

	// Upload evidence for condition 1 with the form; it is attached to the draft.
	state = appFormState(t, body)
	resp, _ = e.postMultipart(c, "/application/upload", merge(merge(state, typed), url.Values{"slot": {"conditions[0].evidence"}}),
		map[string][]byte{"file:conditions[0].evidence": samplePDF("condition 1")})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, flashOf(resp))
	require.Contains(t, flashOf(resp), "已上传 1 个文件")
	mine = e.mine(e.bearer("dairy"))
	require.Len(t, mine.Form.Conditions[0].Evidence, 1)
	require.Equal(t, "佐证材料.pdf", mine.Form.Conditions[0].Evidence[0].Name)
	body = e.pageOK(c, "/application", http.StatusOK)
	require.Contains(t, body, "佐证材料.pdf")

	// A refused upload (not a real PDF) is reported beside its slot; the rest is saved.
	state = appFormState(t, body)
	resp, body = e.postMultipart(c, "/application/upload", merge(merge(state, typed), url.Values{"contact.post": {"部长"}}),
		map[string][]byte{"file:rules": []byte("MZ not a pdf")})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "规章制度（附件）：")
	require.Equal(t, "部长", e.mine(e.bearer("dairy")).Form.Contact.Post)

	// The complete form submits and goes to the status page.
	refs := e.attachmentsOf("dairy")
	state = appFormState(t, body)
	resp, _ = e.postMultipart(c, "/application/submit", merge(state, formToValues(goodForm(refs))), nil)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/status", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "申报表已提交（第 1 版）")
	require.Len(t, e.handedOver(), 1)
	body = e.pageOK(c, "/application", http.StatusOK)
	require.Contains(t, body, "申报表已提交")
	require.NotContains(t, body, `name="draft_version"`)
	body = e.pageOK(c, "/status", http.StatusOK)
	require.Contains(t, body, "已提交版本")
}

func TestApplicationPostOverTheLimitKeepsTheDraft(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	c := e.login("dairy")
	body := e.pageOK(c, "/application", http.StatusOK)
	var before int64
	require.NoError(t, e.db.Model(&models.Attachment{}).Count(&before).Error)
	// Page posts with files take up to the attachment limit (20 MiB); a larger one is refused
	// before anything is read, with the limit in the message, and the saved draft is untouched.
	big := append(samplePDF("big"), bytes.Repeat([]byte{' '}, int(service.MaxAttachmentSize)+1)...)
	resp, page := e.postMultipart(c, "/application/upload", appFormState(t, body), map[string][]byte{"file:rules": big})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "20 MB")
	var after int64
	require.NoError(t, e.db.Model(&models.Attachment{}).Count(&after).Error)
	require.Equal(t, before, after, "nothing stored")
}

func TestStatusAndFormShowReturnReasons(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	tok := e.bearer("dairy")
	app := e.mine(tok)
	e.submitForm(tok, app.ID, goodForm(e.attachmentsOf("dairy")))
	require.NoError(t, e.db.RecordReturn(ctx, app.ID, 1, []models.ReturnReason{{Field: "contact.mobile", Message: "请填写联系人本人的手机号码"},
		{Message: "请补充近三年培训记录"}}, "reviewer", time.Now()))
	seedTask(t, e.db, app.ID, app.ID, workflows.KindCorrection, workflows.StageCorrection, models.RoleEnterpriseUser,
		"150105/E/"+dairyEnterpriseID, time.Now().Add(15*24*time.Hour))

	c := e.login("dairy")
	body := e.pageOK(c, "/status", http.StatusOK)
	for _, want := range []string{"当前阶段：<strong>退回补正</strong>", "退回补正意见", "联系人手机", "请填写联系人本人的手机号码", "整体意见",
		"需要您办理", "按审核意见修改并重新提交", `href="/application"`, "企业提交申报材料"} {
		require.Contains(t, body, want)
	}
	body = e.pageOK(c, "/application", http.StatusOK)
	require.Contains(t, body, `id="f-contact-mobile-rev"`, "the reason beside its field")
	require.Contains(t, body, "审核意见：请填写联系人本人的手机号码")
	require.Contains(t, body, "请补充近三年培训记录", "a reason without a field at the top")
}

func TestDirectoryAndComplaintPages(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	occ := `[{"code":"6-31-01-03","name":"电工","levels":{"low":5,"high":3}}]`
	_, err := e.db.ApplyTransition(ctx, models.Transition{Key: "pub", Directory: []models.DirectoryEntry{{CaseID: "c1", CampaignID: "2027",
		EnterpriseID: dairyEnterpriseID, Batch: 1, EnterpriseName: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号",
		ContactName: "王敏", ContactPhone: "(0471)6606214", JurisdictionCode: "150105", OccupationsJSON: occ, Status: "active"}}})
	require.NoError(t, err)

	anon := e.browser()
	body := e.pageOK(anon, "/directory", http.StatusOK)
	for _, want := range []string{"第一批试点企业", "呼和浩特乳业示范有限公司", "电工（6-31-01-03）五级至三级", "赛罕区", "(0471)6606214"} {
		require.Contains(t, body, want)
	}
	require.Contains(t, e.pageOK(anon, "/directory?q=电工", http.StatusOK), "呼和浩特乳业示范有限公司")
	require.NotContains(t, e.pageOK(anon, "/directory?q=焊工", http.StatusOK), "示范路1号")
	require.NotContains(t, e.pageOK(anon, "/directory?league=150200", http.StatusOK), "示范路1号")
	require.NotContains(t, e.pageOK(anon, "/directory?batch=2", http.StatusOK), "示范路1号")

	// The complaint form, anonymous visitor: errors beside the fields, what was typed kept.
	body = e.pageOK(anon, "/complaint?enterprise="+dairyEnterpriseID, http.StatusOK)
	require.Contains(t, body, `<option value="`+dairyEnterpriseID+`" selected>`)
	resp, body := e.postForm(anon, "/complaint", url.Values{"csrf_token": {csrfOf(t, body)}, "enterprise_id": {dairyEnterpriseID},
		"content": {"太短"}, "complainant": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "投诉内容应为 10 至 5000 字")
	require.Contains(t, body, "实名投诉请填写姓名")
	require.Contains(t, body, `href="#f-content"`)
	require.Contains(t, body, ">太短</textarea>")
}

func TestStalledPageRemindReassignAndCohort(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	task := seedTask(t, e.db, "c-stuck", "app-stuck", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100",
		time.Now().Add(-3*24*time.Hour-time.Hour))
	now := time.Now()
	_, err := e.db.RecordScan(ctx, now, []models.Finding{{FindingKey: "overdue_task:" + task.ID, Kind: models.FindingOverdueTask, CaseID: task.CaseID,
		TaskID: task.ID, JurisdictionCode: task.JurisdictionCode, Detail: "待办「" + task.Title + "」已逾期 3 天", Since: task.DueAt}}, nil)
	require.NoError(t, err)
	hohhot, err := e.db.UserByUsername(ctx, "hohhot")
	require.NoError(t, err)

	c := e.login("admin")
	body := e.pageOK(c, "/admin/stalled", http.StatusOK)
	for _, want := range []string{"待办逾期", "已逾期 3 天", "已 3 天", "发送督办提醒", "改派给", hohhot.DisplayName, "退回单位待认领队列",
		"案件分布", "盟市审核", "呼和浩特市", "/admin/cases?league=150100&amp;stage=league_review"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "包头市人社局", "only those who may decide it")
	csrf := csrfOf(t, body)

	resp, _ := e.postForm(c, "/admin/stalled/remind", url.Values{"csrf_token": {csrf}, "task_id": {task.ID}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "督办提醒")
	require.Equal(t, int64(1), e.auditCount("finding.remind", models.OutcomeOK))
	ns, err := e.db.NotificationsFor(ctx, hohhot.ID, 10)
	require.NoError(t, err)
	require.NotEmpty(t, ns)
	require.Equal(t, "reminder", ns[0].Kind)

	resp, _ = e.postForm(c, "/admin/stalled/reassign", url.Values{"csrf_token": {csrf}, "task_id": {task.ID}, "version": {strconv.Itoa(task.Version)},
		"assignee_id": {hohhot.ID}})
	require.Contains(t, flashOf(resp), "请填写改派理由")
	resp, _ = e.postForm(c, "/admin/stalled/reassign", url.Values{"csrf_token": {csrf}, "task_id": {task.ID}, "version": {strconv.Itoa(task.Version)},
		"assignee_id": {hohhot.ID}, "reason": {"原经办人休假"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已改派给"+hohhot.DisplayName)
	got, err := e.db.TaskByID(ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, hohhot.ID, got.AssigneeID)
	require.Equal(t, int64(1), e.auditCount("task.reassign", models.OutcomeOK))
	// The same (now stale) version again: a Chinese conflict message.
	resp, _ = e.postForm(c, "/admin/stalled/reassign", url.Values{"csrf_token": {csrf}, "task_id": {task.ID}, "version": {strconv.Itoa(task.Version)},
		"assignee_id": {""}, "reason": {"再次改派"}})
	require.Contains(t, flashOf(resp), "待办已变更")

	body = e.pageOK(c, "/admin/cases?league=150100&stage=league_review", http.StatusOK)
	require.Contains(t, body, "呼和浩特乳业示范有限公司")
	require.Contains(t, body, taskHref(task.ID))
}

func TestCampaignAndSummaryPages(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	deadline := time.Date(2027, 5, 20, 23, 59, 59, 0, loc)
	_, err := e.db.ApplyTransition(ctx, models.Transition{Key: "camp", Campaign: &models.Campaign{ID: "2027", Year: 2027, CollectionDeadline: deadline,
		PublicationTarget: deadline.AddDate(0, 0, 16), Status: "collecting"},
		League: &models.LeagueCollection{ID: "2027-150100", CampaignID: "2027", JurisdictionCode: "150100", Status: "collecting"}})
	require.NoError(t, err)
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "camp2", League: &models.LeagueCollection{ID: "2027-150200", CampaignID: "2027",
		JurisdictionCode: "150200", Status: "overdue"}})
	require.NoError(t, err)
	seedTask(t, e.db, "c-in", "app-in", workflows.KindExpertScore, workflows.StageInSummary, models.RoleExpert, models.RegionCode, time.Now().Add(time.Hour))
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "sumtask", OpenTasks: []models.Task{{ID: "league-2027-150100.submit_summary.1.0",
		WorkflowID: "league-2027-150100", Kind: workflows.KindSubmitSummary, Title: "填报并报送汇总表：呼和浩特市", Stage: workflows.StageInSummary,
		CandidateRole: models.RoleLeagueOfficial, CandidateDomain: "150100", JurisdictionCode: "150100", LeagueCode: "150100", CampaignID: "2027",
		DueAt: deadline}}})
	require.NoError(t, err)

	h := e.login("hohhot")
	body := e.pageOK(h, "/campaign", http.StatusOK)
	// The test server shows times in UTC (production: Asia/Shanghai).
	for _, want := range []string{"2027 年度试点征集", deadline.UTC().Format("2006-01-02 15:04"), "呼和浩特市", "汇总中", "包头市", "逾期未报送"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "调整时间安排", "leagues do not move deadlines")

	body = e.pageOK(h, "/summary", http.StatusOK)
	for _, want := range []string{"呼和浩特市 · 2027 年度汇总", "汇总中", "呼和浩特乳业示范有限公司", "报送自治区", `name="contact_phone"`} {
		require.Contains(t, body, want)
	}
	require.Contains(t, body, `href="/api/v1/leagues/150100/summary/export.xlsx"`)
	require.NotContains(t, body, "下载全区汇总表", "a league may not export the region's workbook")
	require.Contains(t, e.pageOK(e.login("baotou"), "/summary", http.StatusOK), "本盟市尚无审核通过的企业")

	r := e.login("region")
	body = e.pageOK(r, "/campaign", http.StatusOK)
	require.Contains(t, body, "调整时间安排")
	resp, body := e.postForm(r, "/campaign/deadline", url.Values{"csrf_token": {csrfOf(t, body)}, "campaign_id": {"2027"}, "which": {"collection"},
		"date": {"5月20日"}, "reason": {"统一部署"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "日期格式应为 2027-05-20。")
	require.Contains(t, body, ">统一部署</textarea>")
	requireTopSummary(t, body, "#f-date")
	// A bad date and a missing reason are both said at once.
	resp, body = e.postForm(r, "/campaign/deadline", url.Values{"csrf_token": {csrfOf(t, body)}, "campaign_id": {"2027"}, "which": {"collection"},
		"date": {"5月20日"}, "reason": {" "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	requireTopSummary(t, body, "#f-date", "#f-reason")
	body = e.pageOK(r, "/summary?league=150200", http.StatusOK)
	require.Contains(t, body, "包头市 · 2027 年度汇总")
	require.Contains(t, body, `href="/api/v1/summaries/export.xlsx"`)

	// The publication asks the region to confirm the two leagues still open.
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "pubtask", OpenTasks: []models.Task{{ID: "campaign-2027.publish_directory.1.1",
		WorkflowID: "campaign-2027", Kind: workflows.KindPublish, Title: "公布 2027 年第一批试点企业目录", Stage: workflows.StageAwaitingPublication,
		CandidateRole: models.RoleRegionOfficial, CandidateDomain: models.RegionCode, JurisdictionCode: models.RegionCode, CampaignID: "2027",
		Batch: 1, DueAt: deadline.AddDate(0, 0, 16)}}})
	require.NoError(t, err)
	body = e.pageOK(r, taskHref("campaign-2027.publish_directory.1.1"), http.StatusOK)
	require.Contains(t, body, `name="confirm_open_leagues" value="2"`)
	require.Contains(t, body, "尚有 2 个盟市未报送汇总表")

	// Once both batches are published the calendar is over: nothing left to move.
	published := time.Now()
	require.NoError(t, e.db.Model(&models.Campaign{}).Where("id = ?", "2027").Updates(map[string]any{"batch1_published_at": published,
		"batch2_published_at": published}).Error)
	body = e.pageOK(r, "/campaign", http.StatusOK)
	require.NotContains(t, body, "调整时间安排")
	require.Contains(t, body, "本年度日程已结束")
}

// requireTopSummary checks that a refused form's page opens with the error summary: before the
// page's heading, focused (autofocus on a focusable alert) and linking to each of hrefs.
func requireTopSummary(t *testing.T, body string, hrefs ...string) {
	t.Helper()
	at := strings.Index(body, `id="error-summary"`)
	require.Positive(t, at, "an error summary")
	require.Less(t, at, strings.Index(body, "<h1"), "the summary comes before the page's heading")
	tag := body[strings.LastIndex(body[:at], "<"):]
	tag = tag[:strings.Index(tag, ">")]
	for _, want := range []string{`role="alert"`, `tabindex="-1"`, "autofocus"} {
		require.Contains(t, tag, want)
	}
	summary := body[at:]
	summary = summary[:strings.Index(summary, "</div>")]
	for _, h := range hrefs {
		require.Contains(t, summary, `href="`+h+`"`)
	}
}

func TestWebHelpers(t *testing.T) {
	for path, want := range map[string]string{
		"contact.mobile":            "联系人手机",
		"staff[1].id_number":        "专职工作人员第2行·身份证号",
		"occupations[0].levels":     "申报职业（工种）第1行·申报等级",
		"conditions[3].explanation": "基本条件（四）情况说明",
		"assessors[0].agreement[0]": "考评人员第1行·服务承诺书或合作协议",
		"unknown.path":              "unknown.path",
	} {
		require.Equal(t, want, fieldLabel(path), path)
	}
	require.Equal(t, "approved[3].levels", remapApproved("approved[1].levels", []int{0, 3}))
	require.Equal(t, "approved", remapApproved("approved[5].code", []int{0}))
	require.Equal(t, "f-occupations-0-levels-high", fieldID("occupations[0].levels.high"))
	require.Equal(t, "/inbox", localPath("//evil.example", "/inbox"))
	require.Equal(t, "联系人手机：请填写；整体", prettyReasons("contact.mobile：请填写；整体"))
	require.Equal(t, "盟市退回补正：联系人手机：请填写；基本条件（四）情况说明：请说明", prettyReasons("盟市退回补正：contact.mobile：请填写；conditions[3].explanation：请说明"))
	require.Equal(t, "x_y：不变", prettyReasons("x_y：不变"))

	// Blank rows go; the others keep their order and their messages move with them.
	f := appcheck.Form{Equipment: []models.EquipmentRow{{}, {Name: "A"}, {}, {Name: "B"}}}
	moved := dropBlankRows(&f)
	require.Equal(t, []models.EquipmentRow{{Name: "A"}, {Name: "B"}}, f.Equipment)
	kept := map[string][]bool{"equipment": {true, true, true, true}}
	errs := moveRowErrors(validate.Errors{{Field: "equipment[3].agreement"}, {Field: "equipment[0].name"}}, kept, moved)
	require.Equal(t, "equipment[1].agreement", errs[0].Field)
	require.Equal(t, "equipment", errs[1].Field)
}
