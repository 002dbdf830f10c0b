package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/internal/fixtures"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/workflows"
)

// Sitting pages: planning, candidates and scores go through the sittings API in-process, and
// the sitting tasks' decisions through SendDecision. Temporal is replaced by fakeTemporal,
// which answers the two Updates these pages send the way the workflows do (the rules
// themselves are tested in workflows/ and end to end in cmd/skillcert).

// fakeTemporal records the Updates sent and answers them with answer.
type fakeTemporal struct {
	client.Client
	mu     sync.Mutex
	sent   []client.UpdateWorkflowOptions
	answer func(client.UpdateWorkflowOptions) (any, error)
}

func (f *fakeTemporal) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.mu.Lock()
	f.sent = append(f.sent, o)
	answer := f.answer
	f.mu.Unlock()
	res, err := answer(o)
	return fakeUpdate{res: res, err: err}, nil
}

// updates returns the Updates sent so far and forgets them.
func (f *fakeTemporal) updates() []client.UpdateWorkflowOptions {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.sent
	f.sent = nil
	return out
}

type fakeUpdate struct {
	client.WorkflowUpdateHandle
	res any
	err error
}

func (u fakeUpdate) Get(_ context.Context, out any) error {
	if u.err != nil {
		return u.err
	}
	b, err := json.Marshal(u.res)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// refusal is a workflow's business refusal as the SDK reports it.
func refusal(msg string) error {
	return temporal.NewApplicationError(msg, workflows.ErrInvalidDecision)
}

// fieldRefusal is a workflow's refusal about one field, named in its details.
func fieldRefusal(field, msg string) error {
	return temporal.NewApplicationError(msg, workflows.ErrInvalidDecision, []workflows.FieldError{{Field: field, Message: msg}})
}

const (
	dairyCase    = "c-dairy"
	dairyDomain  = "150105/E/" + dairyEnterpriseID
	dairyEntName = "呼和浩特乳业示范有限公司"
)

// sittingEnv is a test server with the dairy enterprise's pilot case (approved: 乳品加工工
// 五级至三级), on its submitted application (fixtures.GoodForm: 考评人员 赵刚, 孙丽, 钱伟), and a
// fake Temporal.
type sittingEnv struct {
	*appEnv
	temporal *fakeTemporal
	seq      int
	// key is each declared assessor's key (the lookup hash of their ID number), by name.
	key map[string]string
}

func newSittingEnv(t *testing.T, stage string) *sittingEnv {
	t.Helper()
	e := &sittingEnv{appEnv: newAppEnv(t, dbtest.New(t, models.SQLite)), temporal: &fakeTemporal{}}
	e.api.svc.UseTemporal(e.temporal)
	e.temporal.answer = e.workflowStandIn
	tok := e.bearer("dairy")
	app := e.mine(tok)
	e.submitForm(tok, app.ID, goodForm(e.attachmentsOf("dairy")))
	sealer, err := pii.New(webtest.DataKey, webtest.LookupKey)
	require.NoError(t, err)
	e.key = map[string]string{"赵刚": sealer.LookupKey(idAssessor1), "孙丽": sealer.LookupKey(idAssessor2), "钱伟": sealer.LookupKey(fixtures.IDAssessor3)}
	_, err = e.db.ApplyTransition(context.Background(), models.Transition{Key: "case", Case: &models.Case{ID: dairyCase, WorkflowID: "case-" + dairyCase,
		CampaignID: "2027", EnterpriseID: dairyEnterpriseID, EnterpriseName: dairyEntName, ApplicationID: app.ID, ApplicationVersion: 1,
		JurisdictionCode: "150105", LeagueCode: "150100", Stage: stage, Status: "open", Batch: 1, SLAState: models.SLAOnTime,
		ApprovedJSON: `[{"code":"6-02-04-01","name":"乳品加工工","levels":{"low":5,"high":3}}]`}})
	require.NoError(t, err)
	return e
}

// workflowStandIn answers like the workflows for what these tests send: a plan inside the
// approved scope with a panel of an odd number (≥3) starts a sitting (its projection row
// written at once); anything else is refused with the workflow's message. Decisions succeed.
func (e *sittingEnv) workflowStandIn(o client.UpdateWorkflowOptions) (any, error) {
	switch o.UpdateName {
	case workflows.PlanSessionUpdate:
		req := o.Args[0].(workflows.PlanSessionRequest)
		switch {
		case req.OccupationCode != "6-02-04-01":
			return nil, fieldRefusal("occupation_code", fmt.Sprintf("职业 %s 不在核准的认定范围内，不得超范围认定", req.OccupationCode))
		case req.Level < 3:
			return nil, fieldRefusal("level", "乳品加工工 核准等级为五级至三级，不得认定二级/技师")
		case len(req.Assessors) < 3 || len(req.Assessors)%2 == 0:
			return nil, fieldRefusal("assessors", "考评人员应不少于 3 人且为单数")
		}
		assessors, _ := json.Marshal(req.Assessors)
		e.seedSitting(req.SessionID, models.SessionOpen, req.Level, string(assessors))
		return workflows.PlanSessionResult{SessionID: req.SessionID, WorkflowID: workflows.SessionWorkflowID(req.SessionID)}, nil
	case workflows.DecideUpdate:
		req := o.Args[0].(workflows.DecisionRequest)
		return workflows.DecisionResult{TaskID: req.TaskID, Outcome: req.Outcome, Stage: models.SessionSubmitted}, nil
	}
	return nil, fmt.Errorf("unexpected update %s", o.UpdateName)
}

func (e *sittingEnv) apply(tr models.Transition) {
	e.t.Helper()
	e.seq++
	tr.Key = fmt.Sprintf("t%d", e.seq)
	_, err := e.db.ApplyTransition(context.Background(), tr)
	require.NoError(e.t, err)
}

// seedSitting writes a sitting of 乳品加工工 with its submit_results task, as the sitting
// workflow's first step does.
func (e *sittingEnv) seedSitting(id, status string, level int, assessors string) models.Task {
	e.t.Helper()
	t := e.sittingTask(id, workflows.KindSubmitResults, models.RoleEnterpriseUser, dairyDomain)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: id, WorkflowID: workflows.SessionWorkflowID(id), CaseID: dairyCase,
		EnterpriseID: dairyEnterpriseID, EnterpriseName: dairyEntName, JurisdictionCode: "150105", OccupationCode: "6-02-04-01",
		OccupationName: "乳品加工工", Level: level, ExamDate: time.Now().AddDate(0, 0, 7).UTC().Truncate(24 * time.Hour),
		Site: "公司技能评价中心", AssessorsJSON: assessors, Status: status}, OpenTasks: []models.Task{t}})
	return t
}

func (e *sittingEnv) sittingTask(id, kind, role, domain string) models.Task {
	return models.Task{ID: workflows.SessionWorkflowID(id) + "." + kind + ".1.0", WorkflowID: workflows.SessionWorkflowID(id), CaseID: dairyCase,
		Kind: kind, Title: workflows.Kinds[kind].Title + "：" + dairyEntName + " 乳品加工工（四级/中级工）", Stage: workflows.StageActive,
		CandidateRole: role, CandidateDomain: domain, JurisdictionCode: "150105", EnterpriseName: dairyEntName, DueAt: time.Now().Add(15 * 24 * time.Hour)}
}

// panelOfThree is a sitting's panel of the three declared assessors, as the case workflow
// stores it.
func (e *sittingEnv) panelOfThree() string {
	return `[{"key":"` + e.key["赵刚"] + `","name":"赵刚","id_masked":"150203********0045","title":"高级技师"},` +
		`{"key":"` + e.key["钱伟"] + `","name":"钱伟","title":"技师"},{"key":"` + e.key["孙丽"] + `","name":"孙丽","title":"教授"}]`
}

// legacyPanel is a panel typed as free text before panels were chosen from the declaration.
const legacyPanel = `[{"name":"赵刚","role":"考评员"},{"name":"钱伟","role":"考评员"},{"name":"孙丽","role":"考评员"}]`

func TestSessionsPageExplainsStageThenPlansWithinScope(t *testing.T) {
	e := newSittingEnv(t, workflows.StagePreparation)
	c := e.login("dairy")

	// Before the work plan is filed: where the case stands and when sittings can be planned.
	body := e.pageOK(c, "/sessions", http.StatusOK)
	require.Contains(t, body, "贵单位当前处于“前期准备”阶段")
	require.Contains(t, body, "工作方案经自治区备案")
	require.Contains(t, body, "乳品加工工（6-02-04-01）五级至三级", "the approved scope")
	require.NotContains(t, body, `action="/sessions/plan"`)

	require.NoError(t, e.db.Model(&models.Case{}).Where("id = ?", dairyCase).Update("stage", workflows.StageActive).Error)
	body = e.pageOK(c, "/sessions", http.StatusOK)
	require.Contains(t, body, "尚未安排考核批次")
	for _, want := range []string{`action="/sessions/plan"`, `<option value="6-02-04-01">乳品加工工（6-02-04-01）五级至三级</option>`,
		`<option value="4">四级/中级工</option>`, `for="f-exam_date"`, `for="f-site"`, `id="f-assessor_ids"`,
		// The declared 考评人员 as checkboxes: name, title as declared, ID number masked.
		`name="assessor_ids" value="` + e.key["赵刚"] + `">`, "赵刚", "高级技师", "150203********0045",
		`name="assessor_ids" value="` + e.key["孙丽"] + `">`, "孙丽", "教授", `name="assessor_ids" value="` + e.key["钱伟"] + `">`} {
		require.Contains(t, body, want)
	}
	noLeaks(t, body)
	require.NotContains(t, body, idAssessor1, "ID numbers only masked")
	require.NotContains(t, body, `name="assessors[0].name"`, "no free-text assessors")
	require.NotContains(t, body, `<option value="2">`, "levels outside the approved range are not offered")
	require.Contains(t, body, `name="request_key" value="`)
	csrf := csrfOf(t, body)

	tomorrow := time.Now().AddDate(0, 0, 1).Format("2006-01-02")
	typed := url.Values{"csrf_token": {csrf}, "occupation_code": {"6-02-04-01"}, "level": {"4"}, "exam_date": {tomorrow}, "site": {"理论考场一"},
		"assessor_ids": {e.key["赵刚"], e.key["孙丽"]}}
	three := url.Values{"assessor_ids": {e.key["赵刚"], e.key["孙丽"], e.key["钱伟"]}}

	// Outside the approved scope (a forged post): refused with the workflow's Chinese message
	// beside the occupation, everything typed and ticked kept.
	resp, body := e.postForm(c, "/sessions/plan", merge(merge(typed, three), url.Values{"occupation_code": {"6-31-03-01"}}))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `id="f-occupation_code-err"><p>职业 6-31-03-01 不在核准的认定范围内，不得超范围认定。</p>`)
	require.Contains(t, body, `href="#f-occupation_code"`, "the summary links to the field")
	for _, want := range []string{`value="理论考场一"`, `value="` + tomorrow + `"`, `<option value="4" selected>`,
		`value="` + e.key["赵刚"] + `" checked`, `value="` + e.key["孙丽"] + `" checked`, `value="` + e.key["钱伟"] + `" checked`} {
		require.Contains(t, body, want)
	}
	// A level outside the range: beside its field.
	_, body = e.postForm(c, "/sessions/plan", merge(merge(typed, three), url.Values{"level": {"2"}}))
	require.Contains(t, body, `id="f-level-err"><p>乳品加工工 核准等级为五级至三级，不得认定二级/技师。</p>`)
	e.temporal.updates()
	// An even panel: refused beside the assessors, the ticks kept, the workflow not asked.
	resp, body = e.postForm(c, "/sessions/plan", typed)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="f-assessor_ids-err"><p>考评人员应不少于 3 人且为单数。</p>`)
	require.Contains(t, body, `value="`+e.key["孙丽"]+`" checked`)
	require.NotContains(t, body, `value="`+e.key["钱伟"]+`" checked`)
	require.Contains(t, body, `href="#f-assessor_ids"`, "the summary links to the assessors")
	// Someone not declared (a forged key or a typed name): 不得授权或委托其他机构开展.
	resp, body = e.postForm(c, "/sessions/plan", merge(typed, url.Values{"assessor_ids": {e.key["赵刚"], e.key["孙丽"], "张三"}}))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `id="f-assessor_ids-err"><p>所选考评人员不是本企业申报表（附件1）中申报的考评人员；认定工作不得授权或委托其他机构或人员开展。</p>`)
	require.Empty(t, e.temporal.updates())
	// Nothing chosen: the page says what to choose without asking the workflow.
	_, body = e.postForm(c, "/sessions/plan", merge(typed, url.Values{"occupation_code": {""}, "level": {""}}))
	require.Contains(t, body, "请选择认定的职业（工种）。")
	require.Contains(t, body, "请选择认定等级。")
	require.Empty(t, e.temporal.updates())

	// Three declared assessors: planned with the panel as declared, and the new sitting's page is next.
	resp, _ = e.postForm(c, "/sessions/plan", merge(merge(typed, three), url.Values{"request_key": {"plan-k1"}}))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "考核批次已安排")
	sent := e.temporal.updates()
	require.Len(t, sent, 1)
	req := sent[0].Args[0].(workflows.PlanSessionRequest)
	require.Equal(t, "case-"+dairyCase, sent[0].WorkflowID)
	require.Equal(t, "plan:"+dairyCase+":plan-k1", sent[0].UpdateID, "the page's request key makes a repeat the same Update")
	panel, _ := json.Marshal(req.Assessors)
	require.JSONEq(t, `[{"key":"`+e.key["赵刚"]+`","name":"赵刚","id_masked":"150203********0045","title":"高级技师","occupation":"乳品加工工"},`+
		`{"key":"`+e.key["孙丽"]+`","name":"孙丽","id_masked":"110105********002X","title":"教授","occupation":"乳品评鉴师"},`+
		`{"key":"`+e.key["钱伟"]+`","name":"钱伟","id_masked":"150105********0037","title":"技师","occupation":"乳品加工工"}]`, string(panel))
	require.Equal(t, 4, req.Level)
	require.Equal(t, sessionHref(req.SessionID), resp.Header.Get("Location"))
	require.Contains(t, e.pageOK(c, sessionHref(req.SessionID), http.StatusOK), "赵刚（高级技师，150203********0045）")

	body = e.pageOK(c, "/sessions", http.StatusOK)
	require.Contains(t, body, `href="`+sessionHref(req.SessionID)+`"`)
	require.Contains(t, body, "登记考生、录入成绩中")
	require.Contains(t, body, "提交认定结果", "the sitting's open task")

	// Officials have no sitting list of their own.
	require.Contains(t, e.pageOK(e.login("hohhot"), "/sessions", http.StatusNotFound), "只有试点企业用户")
}

func TestSessionPageCandidatesScoresAndScope(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	submit := e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	for _, want := range []string{"乳品加工工 四级/中级工", "赵刚（高级技师，150203********0045）", "尚未登记考生", `href="` + taskHref(submit.ID) + `"`, "去办理：提交认定结果",
		`action="/sessions/s1/candidates#add"`, `for="f-name"`, `for="f-id_number"`, `for="f-employee"`} {
		require.Contains(t, body, want)
	}
	csrf := csrfOf(t, body)
	add := func(name, id string, employee bool) (*http.Response, string) {
		v := url.Values{"csrf_token": {csrf}, "name": {name}, "id_number": {id}, "years_in_occupation": {"20"}, "held_level": {"2"},
			"held_year": {"2010"}, "education": {"none"}}
		if employee {
			v.Set("employee", "on")
		}
		return e.postForm(c, "/sessions/s1/candidates", v)
	}

	// Refusals come back beside the fields with what was typed.
	resp, body := add("外单位人员", idOther, false)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `id="f-employee-err"><p>认定只面向本企业职工，非本企业职工不得报名。</p>`)
	require.Contains(t, body, `value="外单位人员"`)
	require.Contains(t, body, `value="`+idOther+`"`)
	_, body = add("错号", "340524198001010013", true)
	require.Contains(t, body, `id="f-id_number-err"`)
	require.Contains(t, body, "未通过校验")
	require.Contains(t, body, `id="f-employee" name="employee" value="on" checked`, "the checkbox kept")

	resp, _ = add("考生甲", idStaff, true)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已登记考生 考生甲")
	resp, body = add("考生甲", idStaff, true)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "该考生已在本场次登记。")
	// Registered in another open sitting of the same occupation and level.
	e.seedSitting("s2", models.SessionOpen, 4, e.panelOfThree())
	_, body = e.postForm(c, "/sessions/s2/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生甲"}, "id_number": {idStaff}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Contains(t, body, "不得重复报名")

	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, "考生甲")
	require.Contains(t, body, idStaff[:6]+"********"+idStaff[14:], "masked")
	require.NotContains(t, body, idStaff)
	require.Contains(t, body, "未录入成绩")
	cands, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, cands, 1)
	scoreURL := "/sessions/s1/candidates/" + cands[0].ID + "/scores"
	// The score grid: one row per candidate, the row's inputs named by its index.
	require.Contains(t, body, `action="/sessions/s1/scores"`)
	require.Contains(t, body, `name="scores[0].candidate_id" value="`+cands[0].ID+`"`)
	require.Contains(t, body, `for="f-scores-0-theory"`)

	// Scores: out of range and not a number, beside the fields and kept.
	resp, body = e.postForm(c, scoreURL, url.Values{"csrf_token": {csrf}, "theory": {"101"}, "skill": {"80"}, "notes": {"表现良好"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `id="f-scores-0-theory-err"><p>考生甲：理论知识考试成绩应为 0 至 100 分。</p>`)
	require.Contains(t, body, `value="101"`)
	require.Contains(t, body, `value="表现良好"`)
	require.Contains(t, body, `id="error-summary"`, "the refusal at the top, linked to the cell")
	require.Contains(t, body, `href="#f-scores-0-theory"`)
	_, body = e.postForm(c, scoreURL, url.Values{"csrf_token": {csrf}, "theory": {"八十"}, "skill": {"80"}})
	require.Contains(t, body, "请填写 0 至 100 的整数分数")
	require.Contains(t, body, `value="八十"`)
	resp, _ = e.postForm(c, scoreURL, url.Values{"csrf_token": {csrf}, "theory": {"80"}, "skill": {"75"}, "notes": {"表现良好"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已保存 考生甲 的成绩：合格")
	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, `<td data-label="理论">80</td>`)
	require.Contains(t, body, `<span class="result-pass">合格</span>`)

	// With the centre: an approved candidate's scores cannot change; the refusal is shown.
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionCorrecting},
		Candidates: []models.CandidateUpdate{{ID: cands[0].ID, AuditStatus: "approved"}}})
	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.NotContains(t, body, `name="scores[0].candidate_id"`, "no score inputs for an approved candidate")
	require.NotContains(t, body, `action="/sessions/s1/candidates#add"`, "registration closed")
	resp, body = e.postForm(c, scoreURL, url.Values{"csrf_token": {csrf}, "theory": {"90"}, "skill": {"90"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "只有被退回的考生可以更正成绩")
	require.Contains(t, body, `value="90"`)

	// Scope: the league over it reads (no forms); another league and other enterprises get the
	// refusal page, also when posting.
	h := e.login("hohhot")
	body = e.pageOK(h, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, "考生甲")
	require.NotContains(t, body, "/candidates/"+cands[0].ID+"/scores")
	require.NotContains(t, body, `action="/sessions/s1/candidates`)
	for _, user := range []string{"baotou", "rare", "power"} {
		require.Contains(t, e.pageOK(e.login(user), "/sessions/s1", http.StatusForbidden), "无权", user)
	}
	other := e.login("power")
	_, b := e.get(other, "/")
	resp, body = e.postForm(other, "/sessions/s2/candidates", url.Values{"csrf_token": {csrfOf(t, b)}, "name": {"张三"}, "id_number": {idSuper}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	noLeaks(t, body)
	n, err := e.db.Candidates(context.Background(), "s2")
	require.NoError(t, err)
	require.Empty(t, n)
	require.Contains(t, e.pageOK(c, "/sessions/nope", http.StatusNotFound), "未找到")
	resp, body = e.postForm(c, "/sessions/s1/candidates/nope/scores", url.Values{"csrf_token": {csrf}, "theory": {"60"}, "skill": {"60"}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, body, "未找到")
	resp, _ = e.postForm(c, "/sessions/s1/candidates", url.Values{"name": {"无令牌"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "forms need the page's CSRF token")
}

func TestSittingTasksSubmitAuditAndCorrect(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	submit := e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	tok := e.bearer("dairy")
	ids := map[string]string{}
	for _, x := range []struct {
		name, id      string
		theory, skill int
	}{{"考生甲", idStaff, 80, 75}, {"考生乙", idOther, 50, 90}, {"考生丙", idSuper, 70, 65}} {
		var cand models.SessionCandidate
		code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": x.name, "id_number": x.id, "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &cand)
		require.Equal(t, http.StatusCreated, code, raw)
		ids[x.name] = cand.ID
		code, raw = e.call(tok, http.MethodPut, "/api/v1/sessions/s1/candidates/"+cand.ID+"/scores", map[string]any{"theory": x.theory, "skill": x.skill}, nil)
		require.Equal(t, http.StatusOK, code, raw)
	}

	// The enterprise submits from the task page, which shows the sitting; a refusal of the
	// sitting as a whole is shown above the form.
	c := e.login("dairy")
	body := e.pageOK(c, taskHref(submit.ID), http.StatusOK)
	for _, want := range []string{"考核批次和考生成绩", "考生乙", `<span class="result-fail">不合格</span>`, `href="/sessions/s1"`, "报送自治区职业技能鉴定管理中心审核",
		"报送前请在考核批次页面登记全部考生"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, "申报表（", "the application is not repeated on a sitting task")
	// Without the sitting's original records the results are refused before the workflow is
	// asked, naming every record missing.
	before := len(e.temporal.updates())
	resp, body := e.postForm(c, taskHref(submit.ID)+"/decide", url.Values{"csrf_token": {csrfOf(t, body)}, "request_key": {"k0"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "报送认定结果前须上传本场次的原始记录，尚缺：签到表、试卷或答题记录、成绩登记表、视频监控录像索引。")
	require.Len(t, e.temporal.updates(), before, "refused before the workflow")
	// The enterprise uploads them on the sitting page; a second upload of a kind is its next version.
	for i, k := range append(domain.RecordKinds, domain.RecordSignIn) {
		page := e.pageOK(c, "/sessions/s1", http.StatusOK)
		resp := e.postRecord(c, "/sessions/s1/records", csrfOf(t, page), k, domain.RecordNames[k]+".pdf")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		want := "（第 1 版）"
		if i == len(domain.RecordKinds) {
			want = "（第 2 版）"
		}
		require.Contains(t, flashOf(resp), "已上传"+domain.RecordNames[k]+want)
	}
	page := e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, page, "视频监控录像索引.pdf")
	require.Contains(t, page, "第 2 版")
	require.NotContains(t, page, "尚缺原始记录")
	resp = e.postRecord(c, "/sessions/s1/records", csrfOf(t, page), "rules", "规章制度.pdf")
	require.Contains(t, flashOf(resp), "原始记录类别“rules”无效")
	// Another enterprise can neither see the sitting nor add to it.
	o := e.login("rare")
	e.pageOK(o, "/sessions/s1", http.StatusForbidden)
	_, home := e.get(o, "/")
	resp = e.postRecord(o, "/sessions/s1/records", csrfOf(t, home), domain.RecordSignIn, "签到表.pdf")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	recs, err := e.db.SittingRecords(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, recs, 4, "nothing stored for the other enterprise")
	for _, r := range recs {
		require.Equal(t, dairyEnterpriseID, r.EnterpriseID)
	}
	body = e.pageOK(c, taskHref(submit.ID), http.StatusOK)

	e.temporal.answer = func(client.UpdateWorkflowOptions) (any, error) {
		return nil, refusal("考生 考生乙 尚未录入全部成绩")
	}
	resp, body = e.postForm(c, taskHref(submit.ID)+"/decide", url.Values{"csrf_token": {csrfOf(t, body)}, "request_key": {"k1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `<div class="error" role="alert"><p>考生 考生乙 尚未录入全部成绩。</p></div>`)
	e.temporal.answer = e.workflowStandIn
	resp, _ = e.postForm(c, taskHref(submit.ID)+"/decide", url.Values{"csrf_token": {csrfOf(t, body)}, "request_key": {"k2"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/sessions/s1", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "考核批次状态：结果待自治区职业技能鉴定管理中心审核")
	sent := e.temporal.updates()
	require.Equal(t, "submit", sent[len(sent)-1].Args[0].(workflows.DecisionRequest).Outcome)

	// As the workflow does: results with the centre.
	audit := e.sittingTask("s1", workflows.KindAuditResults, models.RoleRegionCentre, models.RegionCode)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionSubmitted},
		CloseTasks: []models.TaskClose{{ID: submit.ID, Status: models.TaskDone, Outcome: "submit"}}, OpenTasks: []models.Task{audit}})

	// The centre's audit form: scores of every candidate, a reject row for each who passed, and
	// the original records with their downloads.
	r := e.login("centre")
	body = e.pageOK(r, taskHref(audit.ID), http.StatusOK)
	require.Contains(t, body, "成绩登记表.pdf")
	require.Contains(t, body, `href="/api/v1/attachments/`)
	for _, want := range []string{"考生甲", "考生乙", "考生丙", `<td data-label="技能">75</td>`, "审核通过，进入公示", "退回勾选的考生更正",
		`name="rejects.` + ids["考生甲"] + `.on"`, `name="rejects.` + ids["考生丙"] + `.reason"`, `for="f-rejects-` + ids["考生丙"] + `-reason"`} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, `name="rejects.`+ids["考生乙"]+`.on"`, "a candidate who failed is not audited")
	require.NotContains(t, body, `name="reasons[0].field"`, "no application-field reasons")
	csrf := csrfOf(t, body)
	decide := func(v url.Values) (*http.Response, string) {
		return e.postForm(r, taskHref(audit.ID)+"/decide", merge(url.Values{"csrf_token": {csrf}, "request_key": {"a1"}}, v))
	}

	// Reject without choosing anyone; a chosen candidate without a reason and a reason without
	// the box: refused beside the rows, nothing sent, what was typed kept.
	resp, body = decide(url.Values{"outcome": {"reject"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "请勾选要退回更正的考生，并逐一填写退回理由。")
	resp, body = decide(url.Values{"outcome": {"reject"}, "rejects." + ids["考生丙"] + ".on": {"on"},
		"rejects." + ids["考生甲"] + ".reason": {"签到表缺失"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "请填写退回 考生丙 的理由。")
	require.Contains(t, body, "已填写理由但未勾选退回：考生甲")
	require.Contains(t, body, `value="签到表缺失"`)
	require.Contains(t, body, `id="f-rejects-`+ids["考生丙"]+`-on" name="rejects.`+ids["考生丙"]+`.on" value="on" checked`)
	_, body = decide(url.Values{"outcome": {"approve"}, "rejects." + ids["考生丙"] + ".on": {"on"}, "rejects." + ids["考生丙"] + ".reason": {"x"}})
	require.Contains(t, body, "选择“审核通过”时不能勾选退回的考生")
	require.Empty(t, e.temporal.updates())

	// One candidate sent back with a reason: the decision carries {field: candidate ID, message}.
	resp, _ = decide(url.Values{"outcome": {"reject"}, "comment": {"请更正后重新报送"}, "rejects." + ids["考生丙"] + ".on": {"on"},
		"rejects." + ids["考生丙"] + ".reason": {"操作技能考核评分记录不完整"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, taskHref(audit.ID), resp.Header.Get("Location"))
	sent = e.temporal.updates()
	require.Len(t, sent, 1)
	req := sent[0].Args[0].(workflows.DecisionRequest)
	require.Equal(t, workflows.SessionWorkflowID("s1"), sent[0].WorkflowID)
	require.Equal(t, "reject", req.Outcome)
	require.Equal(t, []workflows.Reason{{Field: ids["考生丙"], Message: "操作技能考核评分记录不完整"}}, req.Reasons)
	require.Equal(t, "请更正后重新报送", req.Comment)

	// As the workflow does: 考生丙 back to the enterprise, the others approved.
	correct := e.sittingTask("s1", workflows.KindCorrectResults, models.RoleEnterpriseUser, dairyDomain)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionCorrecting},
		Candidates: []models.CandidateUpdate{{ID: ids["考生丙"], AuditStatus: "rejected", AuditReason: "操作技能考核评分记录不完整"},
			{ID: ids["考生甲"], AuditStatus: "approved"}},
		CloseTasks: []models.TaskClose{{ID: audit.ID, Status: models.TaskDone, Outcome: "reject", Reasons: "请更正后重新报送；" + ids["考生丙"] + "：操作技能考核评分记录不完整"}},
		OpenTasks:  []models.Task{correct}})
	body = e.pageOK(r, taskHref(audit.ID), http.StatusOK)
	require.Contains(t, body, "考生丙：操作技能考核评分记录不完整", "reasons name the candidate")

	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, "退回理由：操作技能考核评分记录不完整")
	require.Contains(t, body, `href="`+taskHref(correct.ID)+`"`)
	require.Contains(t, body, "去办理：按审核意见更正认定结果")
	require.Contains(t, body, `name="scores[2].candidate_id" value="`+ids["考生丙"]+`"`, "the returned candidate's row of the grid has inputs")
	require.NotContains(t, body, `name="scores[0].candidate_id"`, "an approved candidate's has none")
	require.NotContains(t, body, `action="/sessions/s1/candidates/`+ids["考生甲"]+`/scores`)
	body = e.pageOK(c, taskHref(correct.ID), http.StatusOK)
	require.Contains(t, body, "更正后重新报送审核")
	require.Contains(t, body, "请先在考核批次页面按退回理由更正")

	// Issued: the certificate number links to the certificate.
	number := "Y000015000123263000001"
	require.NoError(t, e.db.Create(&models.Certificate{ID: "cert-1", Number: number, EnterpriseID: dairyEnterpriseID, CaseID: dairyCase, SessionID: "s1",
		CandidateKey: ids["考生甲"], HolderName: "考生甲", IDCipher: "x", IDLookup: "x", IDMasked: "x", OccupationCode: "6-02-04-01",
		OccupationName: "乳品加工工", WorkType: "--", Level: 4, IssueDate: time.Now().UTC(), IssuerName: dairyEntName, Status: models.CertificateValid,
		Token: "tok-1", Signature: "sig", CreatedAt: time.Now().UTC()}).Error)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionIssued},
		Candidates: []models.CandidateUpdate{{ID: ids["考生甲"], CertificateNumber: number}}, CloseTasks: []models.TaskClose{{ID: correct.ID, Status: models.TaskDone}}})
	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, `<a href="/certificates/cert-1">`+number+`</a>`)
	require.Contains(t, body, "认定结果已审核通过并发证")
	require.NotContains(t, body, "去办理")
}

// After the region suspended (or removed) a pilot, its open sitting still took candidates and
// scores. A sitting of a pilot not in force takes neither: the page says why and nothing is stored.
func TestSittingRefusesCandidatesAndScoresWhenThePilotIsNotInForce(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	c := e.login("dairy")
	csrf := csrfOf(t, e.pageOK(c, "/sessions/s1", http.StatusOK))
	resp, _ := e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生甲"}, "id_number": {idStaff}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	cands, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, cands, 1)

	// The region suspends the pilot.
	cs, err := e.db.CaseByID(context.Background(), dairyCase)
	require.NoError(t, err)
	cs.Stage = workflows.StageSuspended
	e.apply(models.Transition{Case: &cs})

	resp, body := e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrf}, "name": {"考生乙"}, "id_number": {idOther}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "该企业的试点已暂停、已移出目录或已结束，不得登记考生或录入成绩。")
	resp, body = e.postForm(c, "/sessions/s1/candidates/"+cands[0].ID+"/scores", url.Values{"csrf_token": {csrf}, "theory": {"80"}, "skill": {"80"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "不得登记考生或录入成绩")
	after, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, after, 1, "no candidate added")
	require.Equal(t, "pending", after[0].Result, "no score stored")
}

// The panel comes from the 考评人员 the enterprise declared (不得授权或委托其他机构开展): a
// free-text panel, or a key not declared, is refused through the JSON API as on the page.
func TestSittingPanelComesFromTheDeclaredAssessors(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	tok := e.bearer("dairy")
	plan := func(body map[string]any) (int, string) {
		return e.call(tok, http.MethodPost, "/api/v1/cases/"+dairyCase+"/sessions", merged(map[string]any{"occupation_code": "6-02-04-01", "level": 4,
			"exam_date": time.Now().AddDate(0, 0, 1).Format("2006-01-02"), "site": "理论考场一"}, body), nil)
	}

	// Names typed in, as the API took them before: refused, the workflow not asked.
	code, raw := plan(map[string]any{"assessors": []map[string]string{{"name": "赵刚", "role": "考评员"}, {"name": "钱伟", "role": "考评员"}, {"name": "张三", "role": "考评员"}}})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, raw, "考评人员应不少于 3 人且为单数")
	// A name (or any key) not declared, even beside declared ones: refused beside it.
	code, raw = plan(map[string]any{"assessor_ids": []string{e.key["赵刚"], "张三", e.key["孙丽"]}})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, raw, `"field":"assessor_ids[1]"`)
	require.Contains(t, raw, `"code":"undeclared_assessor"`)
	require.Contains(t, raw, "不得授权或委托其他机构或人员开展")
	code, raw = plan(map[string]any{"assessor_ids": []string{e.key["赵刚"], e.key["孙丽"], e.key["赵刚"]}})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, raw, `"code":"duplicate_assessor"`)
	require.Empty(t, e.temporal.updates())

	// The declared assessors, their keys and masked numbers only.
	var declared struct {
		Items []map[string]string `json:"items"`
	}
	code, raw = e.call(tok, http.MethodGet, "/api/v1/cases/"+dairyCase+"/assessors", nil, &declared)
	require.Equal(t, http.StatusOK, code, raw)
	require.Len(t, declared.Items, 3)
	require.Equal(t, map[string]string{"id": e.key["赵刚"], "name": "赵刚", "id_masked": "150203********0045", "employer": "本单位",
		"title": "高级技师", "occupation": "乳品加工工"}, declared.Items[0])
	for _, id := range []string{idAssessor1, idAssessor2, fixtures.IDAssessor3} {
		require.NotContains(t, raw, id)
	}
	code, _ = e.call(e.bearer("power"), http.MethodGet, "/api/v1/cases/"+dairyCase+"/assessors", nil, nil)
	require.Equal(t, http.StatusForbidden, code, "another enterprise's declaration")

	// Declared: planned.
	code, raw = plan(map[string]any{"assessor_ids": []string{declared.Items[0]["id"], declared.Items[1]["id"], declared.Items[2]["id"]}})
	require.Equal(t, http.StatusCreated, code, raw)
	var res workflows.PlanSessionResult
	require.NoError(t, json.Unmarshal([]byte(raw), &res))
	sent := e.temporal.updates()
	require.Len(t, sent, 1)
	require.Len(t, sent[0].Args[0].(workflows.PlanSessionRequest).Assessors, 3)
	s, err := e.db.SessionByID(context.Background(), res.SessionID)
	require.NoError(t, err)
	require.Contains(t, s.AssessorsJSON, e.key["赵刚"], "the sitting keeps its panel's keys")
	require.NotContains(t, s.AssessorsJSON, idAssessor1)
}

// 回避: an assessor of a sitting is refused as its candidate (by the ID number's lookup hash,
// however the number is typed), through the JSON API and the page, nothing stored; someone
// else is registered, and a sitting planned before panels came from the declaration still
// takes candidates.
func TestSittingAssessorIsNotItsCandidate(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	tok := e.bearer("dairy")
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	res := workflows.PlanSessionResult{SessionID: "s1"}
	code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/"+res.SessionID+"/candidates", map[string]any{"name": "赵刚", "id_number": idAssessor1, "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, raw, `"field":"id_number"`)
	require.Contains(t, raw, `"code":"assessor_is_candidate"`)
	require.Contains(t, raw, "考评人员不得作为本场次考生")
	c := e.login("dairy")
	csrf := csrfOf(t, e.pageOK(c, sessionHref(res.SessionID), http.StatusOK))
	resp, body := e.postForm(c, sessionHref(res.SessionID)+"/candidates", url.Values{"csrf_token": {csrf}, "name": {"孙丽"},
		"id_number": {strings.ToLower(idAssessor2)}, "employee": {"on"}, "years_in_occupation": {"20"}, "held_level": {"2"}, "held_year": {"2010"}, "education": {"none"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `id="f-id_number-err"><p>考评人员不得作为本场次考生。</p>`)
	require.Contains(t, body, `value="孙丽"`, "what was typed is kept")
	cands, err := e.db.Candidates(context.Background(), res.SessionID)
	require.NoError(t, err)
	require.Empty(t, cands, "no assessor registered as a candidate")
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/"+res.SessionID+"/candidates", map[string]any{"name": "考生甲", "id_number": idStaff, "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, nil)
	require.Equal(t, http.StatusCreated, code, raw)

	// A sitting planned before panels came from the declaration (names only) still takes candidates.
	e.seedSitting("s-old", models.SessionOpen, 3, legacyPanel)
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s-old/candidates", map[string]any{"name": "考生乙", "id_number": idOther, "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, nil)
	require.Equal(t, http.StatusCreated, code, raw)
	require.Contains(t, e.pageOK(c, "/sessions/s-old", http.StatusOK), "赵刚（考评员）")
}

// merged is a JSON body with more fields.
func merged(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out
}

// postRecord uploads a small PDF as an original record of a sitting from the sitting page's form.
func (e *sittingEnv) postRecord(c *http.Client, path, csrf, kind, name string) *http.Response {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(e.t, mw.WriteField("csrf_token", csrf))
	require.NoError(e.t, mw.WriteField("kind", kind))
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(e.t, err)
	_, _ = fw.Write(samplePDF(kind))
	require.NoError(e.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, &buf)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	resp.Body.Close()
	return resp
}
