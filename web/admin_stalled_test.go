package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// The stalled-cases page's 退回: the form goes through the adjustment API in-process, so
// Casbin, the workflow's rules and the audit are the API's. Temporal is fakeTemporal; the
// workflow's side of the return is tested in workflows/case_return_test.go.

var returnFormRe = regexp.MustCompile(`name="finding_id" value="([^"]+)">\s*<input type="hidden" name="case_id" value="([^"]+)">`)

// stalledFinding records an overdue-task finding of a seeded task and returns the task.
func stalledFinding(t *testing.T, db *models.DB, caseID, kind, stage, role, domain string) models.Task {
	t.Helper()
	task := seedTask(t, db, caseID, "app-"+caseID, kind, stage, role, domain, time.Now().Add(-3*24*time.Hour))
	_, err := db.RecordScan(context.Background(), time.Now(), []models.Finding{{FindingKey: "overdue_task:" + task.ID, Kind: models.FindingOverdueTask,
		CaseID: caseID, TaskID: task.ID, JurisdictionCode: task.JurisdictionCode, Detail: "待办「" + task.Title + "」已逾期 3 天", Since: task.DueAt}}, nil)
	require.NoError(t, err)
	return task
}

func TestStalledPageReturnsACaseThroughTheAPI(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	fake := &fakeTemporal{}
	e.api.svc.UseTemporal(fake)
	ctx := context.Background()
	review := stalledFinding(t, e.db, "c-review", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100")
	stalledFinding(t, e.db, "c-eval", workflows.KindExpertScore, workflows.StageExpertEvaluation, models.RoleExpert, models.RegionCode)
	region, err := e.db.UserByUsername(ctx, "region")
	require.NoError(t, err)

	// The region is offered the return on the case in review only, labelled for its stage.
	c := e.login("region")
	body := e.pageOK(c, "/admin/stalled", http.StatusOK)
	forms := returnFormRe.FindAllStringSubmatch(body, -1)
	require.Len(t, forms, 1, "no return on a case in expert evaluation")
	findingID := forms[0][1]
	require.Equal(t, "c-review", forms[0][2])
	for _, want := range []string{"<summary>退回企业补正</summary>", "企业重新提交后回到盟市审核", `action="/admin/stalled/return"`,
		`for="f-return-reason-` + findingID + `"`, `<textarea id="f-return-reason-` + findingID + `" name="reason" rows="3" aria-required="true"`,
		"确认退回企业补正", "提醒、改派和退回都会记入审计日志"} {
		require.Contains(t, body, want)
	}
	require.NotContains(t, body, `id="return-`+findingID+`" open`, "folded until used")
	csrf := csrfOf(t, body)
	post := func(client *http.Client, v url.Values) (*http.Response, string) {
		return e.postForm(client, "/admin/stalled/return", merge(url.Values{"csrf_token": {csrf},
			"finding_id": {findingID}, "case_id": {"c-review"}}, v))
	}

	// The administrator watches the page but may not adjust cases: no form.
	admin := e.login("admin")
	adminBody := e.pageOK(admin, "/admin/stalled", http.StatusOK)
	require.Contains(t, adminBody, "发送督办提醒")
	require.NotContains(t, adminBody, "退回企业补正")

	// A blank reason: refused beside the textarea, nothing sent.
	resp, body := post(c, url.Values{"reason": {"  \n "}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `<div class="field-error" id="f-return-reason-`+findingID+`-err"><p>请填写退回理由。</p></div>`)
	require.Contains(t, body, `id="return-`+findingID+`" open`)
	require.Empty(t, fake.updates())

	// The workflow refuses (the case moved on meanwhile): its message beside the form, the typed
	// reason kept, the refusal audited by the API.
	wrongStage := func(client.UpdateWorkflowOptions) (any, error) {
		return nil, temporal.NewApplicationError("该阶段不能退回：只有处于旗县初审或盟市审核阶段的申报可以退回企业补正", workflows.ErrWrongState)
	}
	fake.answer = wrongStage
	const reason = "营业执照副本不清晰，请重新上传"
	resp, body = post(c, url.Values{"reason": {reason}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "该阶段不能退回：只有处于旗县初审或盟市审核阶段的申报可以退回企业补正。")
	require.Contains(t, body, ">"+reason+"</textarea>")
	require.Contains(t, body, `aria-invalid="true"`)
	require.Equal(t, int64(1), e.auditCount("case.return", models.OutcomeRejected))
	sent := fake.updates()
	require.Len(t, sent, 1)
	require.Equal(t, "case-c-review", sent[0].WorkflowID)
	require.Equal(t, workflows.AdjustUpdate, sent[0].UpdateName)
	req := sent[0].Args[0].(workflows.AdjustRequest)
	require.Equal(t, "return", req.Action)
	require.Equal(t, reason, req.Reason)
	require.Equal(t, region.ID, req.Actor.UserID)
	require.Equal(t, models.RoleRegionOfficial, req.Actor.Role)

	// Accepted: the workflow writes the projection (as it does before the Update returns); the
	// page says so in Chinese and no longer offers the return.
	fake.answer = func(o client.UpdateWorkflowOptions) (any, error) {
		r := o.Args[0].(workflows.AdjustRequest)
		corr := review
		corr.ID, corr.Kind, corr.Stage, corr.CandidateRole, corr.CandidateDomain = "case-c-review.correct_application.2.0",
			workflows.KindCorrection, workflows.StageCorrection, models.RoleEnterpriseUser, "150105/E/"+dairyEnterpriseID
		corr.Title = workflows.Kinds[workflows.KindCorrection].Title + "：" + review.EnterpriseName
		_, err := e.db.ApplyTransition(ctx, models.Transition{Key: "return-c-review",
			Case: &models.Case{ID: "c-review", WorkflowID: "case-c-review", CampaignID: "2027", EnterpriseID: dairyEnterpriseID,
				EnterpriseName: review.EnterpriseName, ApplicationID: "app-c-review", ApplicationVersion: 1, JurisdictionCode: review.JurisdictionCode,
				LeagueCode: "150100", Stage: workflows.StageCorrection, Status: "open", WaitingOn: "enterprise", SLAState: models.SLAOnTime},
			CloseTasks: []models.TaskClose{{ID: review.ID, Status: models.TaskCancelled, Outcome: "returned", Reasons: r.Reason}},
			OpenTasks:  []models.Task{corr},
			Audit: []models.AuditEntry{{ActorID: r.Actor.UserID, Role: r.Actor.Role, Action: "case.return", ObjectType: "case", ObjectID: "c-review",
				BeforeState: workflows.StageLeagueReview, AfterState: workflows.StageCorrection, Reason: r.Reason, Outcome: models.OutcomeOK}}})
		return workflows.AdjustResult{Stage: workflows.StageCorrection}, err
	}
	resp, _ = post(c, url.Values{"reason": {"  " + reason + "  "}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/stalled", resp.Header.Get("Location"))
	require.Equal(t, "已将呼和浩特乳业示范有限公司的申报退回企业补正，企业重新提交后回到盟市审核。", flashOf(resp))
	sent = fake.updates()
	require.Len(t, sent, 1)
	require.Equal(t, reason, sent[0].Args[0].(workflows.AdjustRequest).Reason, "the reason is sent trimmed")
	require.Equal(t, int64(1), e.auditCount("case.return", models.OutcomeOK))
	body = e.pageOK(c, "/admin/stalled", http.StatusOK)
	require.Empty(t, returnFormRe.FindAllStringSubmatch(body, -1), "the case is with the enterprise now")
	require.Contains(t, body, "按审核意见补正申报材料", "the finding now points at the enterprise's correction task")

	// The same form posted again (a second tab): the case left review, so the workflow's
	// refusal shows above the page.
	fake.answer = wrongStage
	resp, body = post(c, url.Values{"reason": {reason}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, `<p class="error" role="alert" id="page-alert">该阶段不能退回`)
	require.Len(t, fake.updates(), 1)

	// Forged by someone who may not adjust cases: the API refuses and audits it.
	adminCSRF := csrfOf(t, adminBody)
	resp, body = e.postForm(admin, "/admin/stalled/return", url.Values{"csrf_token": {adminCSRF},
		"finding_id": {findingID}, "case_id": {"c-review"}, "reason": {reason}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "您无权执行此操作")
	require.Equal(t, int64(1), e.auditCount("case.adjust", models.OutcomeDenied))
	require.Empty(t, fake.updates())

	// Without the page's token nothing happens.
	resp, body = e.postForm(c, "/admin/stalled/return", url.Values{"finding_id": {findingID}, "case_id": {"c-review"},
		"reason": {reason}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.True(t, strings.Contains(body, "表单已过期"), body)
	require.Empty(t, fake.updates())
}

// A case waiting for a batch published without it is offered to the region for a supplementary
// publication, which goes to the workflow with the campaign's publication facts.
func TestStalledPagePublishesAPassedByCaseLate(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	fake := &fakeTemporal{}
	e.api.svc.UseTemporal(fake)
	ctx := context.Background()
	published := time.Now().Add(-24 * time.Hour)
	ent, err := e.db.EnterpriseByID(ctx, dairyEnterpriseID)
	require.NoError(t, err)
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "passed-by", Campaign: &models.Campaign{ID: "2027", Year: 2027,
		CollectionDeadline: published, PublicationTarget: published, Status: "published", Batch1PublishedAt: &published},
		Case: &models.Case{ID: "c-late", WorkflowID: "case-c-late", CampaignID: "2027", EnterpriseID: ent.ID, EnterpriseName: ent.Name,
			ApplicationID: "app-c-late", ApplicationVersion: 1, JurisdictionCode: ent.JurisdictionCode, LeagueCode: "150100",
			Stage: workflows.StageAwaitingPublication, Batch: 1, Status: "open", SLAState: models.SLAOnTime}})
	require.NoError(t, err)
	_, err = e.db.RecordScan(ctx, time.Now(), []models.Finding{{FindingKey: "no_next_step:c-late", Kind: models.FindingNoNextStep,
		CaseID: "c-late", JurisdictionCode: ent.JurisdictionCode, Detail: "该批目录已公布而未列入", Since: published}}, nil)
	require.NoError(t, err)

	c := e.login("region")
	body := e.pageOK(c, "/admin/stalled", http.StatusOK)
	require.Contains(t, body, `name="action" value="publish_late"`)
	require.Contains(t, body, "<summary>补充公布</summary>")
	require.NotContains(t, e.pageOK(e.login("admin"), "/admin/stalled", http.StatusOK), "<summary>补充公布</summary>")
	forms := returnFormRe.FindAllStringSubmatch(body, -1)
	require.Len(t, forms, 1)
	fake.answer = func(client.UpdateWorkflowOptions) (any, error) {
		return workflows.AdjustResult{Stage: workflows.StagePreparation}, nil
	}
	resp, _ := e.postForm(c, "/admin/stalled/return", url.Values{"csrf_token": {csrfOf(t, body)}, "finding_id": {forms[0][1]},
		"case_id": {"c-late"}, "action": {"publish_late"}, "reason": {"第一批公布时遗漏"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已补充公布")
	sent := fake.updates()
	require.Len(t, sent, 1)
	req := sent[0].Args[0].(workflows.AdjustRequest)
	require.Equal(t, "publish_late", req.Action)
	require.Equal(t, []int{1}, req.Published, "the campaign's facts, not the form's")
}
