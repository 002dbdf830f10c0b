package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
	"skillcert/workflows"
)

// The officials' inbox and the league and region flows call their use cases directly (pages and
// JSON handlers alike): a write commits with its audit row or not at all, and a use case
// authorizes itself where the page route has no authorize middleware.

// breakAudit makes every audit append fail until repairAudit.
func breakAudit(t *testing.T, db *models.DB) {
	t.Helper()
	if db.Dialect == models.Postgres {
		require.NoError(t, db.Exec(`CREATE OR REPLACE FUNCTION audit_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit down'; END $$`).Error)
		require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_fail()`).Error)
		return
	}
	require.NoError(t, db.Exec(`CREATE TRIGGER audit_fail BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'audit down'); END`).Error)
}

func repairAudit(t *testing.T, db *models.DB) {
	t.Helper()
	if db.Dialect == models.Postgres {
		require.NoError(t, db.Exec(`DROP TRIGGER audit_fail ON audit_log`).Error)
		return
	}
	require.NoError(t, db.Exec(`DROP TRIGGER audit_fail`).Error)
}

func TestTaskChangesCommitWithTheirAuditRow(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		ctx := context.Background()
		task := stalledFinding(t, db, "c-audit", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100")
		hohhot, err := db.UserByUsername(ctx, "hohhot")
		require.NoError(t, err)
		c := e.login("hohhot")
		csrf := csrfOf(t, e.pageOK(c, "/inbox?view=unit", http.StatusOK))
		tok := e.bearer("hohhot")
		admin := e.login("admin")
		adminCSRF := csrfOf(t, e.pageOK(admin, "/admin/stalled", http.StatusOK))
		_, err = db.ApplyTransition(ctx, models.Transition{Key: "pub", Directory: []models.DirectoryEntry{{CaseID: "c1", CampaignID: "2027",
			EnterpriseID: dairyEnterpriseID, Batch: 1, EnterpriseName: dairyEntName, JurisdictionCode: "150105", OccupationsJSON: "[]", Status: "active"}}})
		require.NoError(t, err)
		anon := e.browser()
		anonCSRF := csrfOf(t, e.pageOK(anon, "/complaint", http.StatusOK))
		unchanged := func(assignee string, version int) {
			t.Helper()
			got, err := db.TaskByID(ctx, task.ID)
			require.NoError(t, err)
			require.Equal(t, assignee, got.AssigneeID)
			require.Equal(t, version, got.Version)
		}
		claimForm := func(version int) url.Values {
			return url.Values{"csrf_token": {csrf}, "version": {strconv.Itoa(version)}, "return_to": {"/inbox?view=unit"}}
		}

		// The audit log is down: no claim, reassignment, reminder or complaint is written, from
		// the pages or the API.
		breakAudit(t, db)
		resp, body := e.postForm(c, "/tasks/"+task.ID+"/claim", claimForm(task.Version))
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		noLeaks(t, body)
		unchanged("", task.Version)
		status, _ := e.apiDo(tok, http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", `{"version":`+strconv.Itoa(task.Version)+`}`)
		require.Equal(t, http.StatusInternalServerError, status)
		unchanged("", task.Version)

		resp, _ = e.postForm(admin, "/admin/stalled/reassign", url.Values{"csrf_token": {adminCSRF}, "task_id": {task.ID},
			"version": {strconv.Itoa(task.Version)}, "assignee_id": {hohhot.ID}, "reason": {"原经办人休假"}})
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		unchanged("", task.Version)

		resp, _ = e.postForm(admin, "/admin/stalled/remind", url.Values{"csrf_token": {adminCSRF}, "task_id": {task.ID}})
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		ns, err := db.NotificationsFor(ctx, hohhot.ID, 10)
		require.NoError(t, err)
		require.Empty(t, ns, "no reminder without its audit row")

		resp, _ = e.postForm(anon, "/complaint", url.Values{"csrf_token": {anonCSRF}, "enterprise_id": {dairyEnterpriseID}, "anonymous": {"on"},
			"content": {"考评人员未到场，成绩由企业自行填写，请核查。"}})
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		status, _ = e.apiDo("", http.MethodPost, "/api/v1/complaints", `{"enterprise_id":"`+dairyEnterpriseID+`","anonymous":true,"content":"考评人员未到场，成绩由企业自行填写，请核查。"}`)
		require.Equal(t, http.StatusInternalServerError, status)
		var complaints int64
		require.NoError(t, db.Model(&models.Complaint{}).Count(&complaints).Error)
		require.Zero(t, complaints, "no complaint without its audit row")

		// The log is back: the same claim goes through with its audit row.
		repairAudit(t, db)
		require.Zero(t, e.auditCount("task.claim", models.OutcomeOK))
		resp, _ = e.postForm(c, "/tasks/"+task.ID+"/claim", claimForm(task.Version))
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Contains(t, flashOf(resp), "已认领：")
		unchanged(hohhot.ID, task.Version+1)
		require.Equal(t, int64(1), e.auditCount("task.claim", models.OutcomeOK))

		// Giving it back fails while the log is down, and the task stays claimed.
		breakAudit(t, db)
		resp, _ = e.postForm(c, "/tasks/"+task.ID+"/unclaim", claimForm(task.Version+1))
		require.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		unchanged(hohhot.ID, task.Version+1)
		repairAudit(t, db)
		status, out := e.apiDo(tok, http.MethodPost, "/api/v1/tasks/"+task.ID+"/unclaim", `{"version":`+strconv.Itoa(task.Version+1)+`}`)
		require.Equal(t, http.StatusOK, status, out)
		require.Equal(t, "", out["assignee_id"])
		unchanged("", task.Version+2)
		require.Equal(t, int64(1), e.auditCount("task.unclaim", models.OutcomeOK))
	})
}

func TestFlowUseCasesAuthorizeThemselves(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	actor := func(username string) *service.Actor {
		t.Helper()
		u, err := e.db.UserByUsername(ctx, username)
		require.NoError(t, err)
		a, err := e.api.svc.ActorFor(ctx, u)
		require.NoError(t, err)
		return a
	}
	task := seedTask(t, e.db, "c-scope", "app-scope", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100",
		time.Now().Add(72*time.Hour))

	// Reading another league's summary and moving a deadline are refused by the use cases
	// themselves (the pages that call them have no authorize middleware), audited as the
	// middleware did, before anything else is looked at.
	_, err := e.api.svc.ReadLeagueSummary(ctx, actor("baotou"), "150100")
	require.ErrorIs(t, err, service.ErrForbidden)
	require.Equal(t, int64(1), e.auditCount("summary.read", models.OutcomeDenied))
	_, err = e.api.svc.MoveCampaignDeadline(ctx, actor("hohhot"), service.MoveDeadlineInput{CampaignID: "2027", Which: "collection", Date: "5月20日", Reason: "提前"})
	require.ErrorIs(t, err, service.ErrForbidden)
	require.Equal(t, int64(1), e.auditCount("campaign.manage", models.OutcomeDenied))
	_, err = e.api.svc.ReadLeagueSummary(ctx, nil, "150100")
	require.ErrorIs(t, err, service.ErrUnauthenticated)

	// Through the JSON API, which lost the routes' authorize middleware, and the page.
	status, _ := e.apiDo(e.bearer("baotou"), http.MethodGet, "/api/v1/leagues/150100/summary", "")
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, int64(2), e.auditCount("summary.read", models.OutcomeDenied))
	status, _ = e.apiDo(e.bearer("hohhot"), http.MethodPost, "/api/v1/campaigns/2027/deadlines", `{"which":"collection","date":"2027-05-10","reason":"提前"}`)
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, int64(2), e.auditCount("campaign.manage", models.OutcomeDenied))
	h := e.login("hohhot")
	resp, body := e.postForm(h, "/campaign/deadline", url.Values{"csrf_token": {csrfOf(t, e.pageOK(h, "/campaign", http.StatusOK))},
		"campaign_id": {"2027"}, "which": {"collection"}, "date": {"2027-05-10"}, "reason": {"提前"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	noLeaks(t, body)
	require.Equal(t, int64(3), e.auditCount("campaign.manage", models.OutcomeDenied))

	// A claim is checked against the task's scope before its body: out of scope is 403 whatever
	// the body, in scope a body without a version is 422 naming the field.
	status, _ = e.apiDo(e.bearer("baotou"), http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", `not json`)
	require.Equal(t, http.StatusForbidden, status)
	require.Equal(t, int64(1), e.auditCount("task.claim", models.OutcomeDenied))
	status, out := e.apiDo(e.bearer("hohhot"), http.MethodPost, "/api/v1/tasks/"+task.ID+"/claim", `not json`)
	require.Equal(t, http.StatusUnprocessableEntity, status)
	require.Equal(t, "请提供待办的 version。", out["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["message"])
	// A role that may read but not claim the task is refused by the one claim rule.
	_, err = e.api.svc.ClaimTask(ctx, actor("region"), service.AssignInput{TaskID: task.ID, Version: task.Version})
	require.ErrorIs(t, err, service.ErrForbidden)
	require.Equal(t, int64(2), e.auditCount("task.claim", models.OutcomeDenied))
	got, err := e.db.TaskByID(ctx, task.ID)
	require.NoError(t, err)
	require.Empty(t, got.AssigneeID)
}

// TestDecidingATaskSomeoneElseHolds: the rule "claimed by someone who could decide it too" is
// one function; the API answers 409, the task page shows its own message beside the form.
func TestDecidingATaskSomeoneElseHolds(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	task := seedTask(t, e.db, "c-held", "app-held", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial, "150100",
		time.Now().Add(72*time.Hour))
	// A colleague of the league's official, in the same bureau, holds it.
	league := "150100"
	holder := models.User{Username: "hohhot2", DisplayName: "呼和浩特市人社局 钱科员", Role: models.RoleLeagueOfficial, JurisdictionCode: &league, Active: true}
	require.NoError(t, holder.SetPassword(testPassword))
	require.NoError(t, e.db.CreateUser(ctx, &holder))
	task, err := e.db.ReassignTask(ctx, task.ID, holder.ID, task.Version)
	require.NoError(t, err)

	status, out := e.apiDo(e.bearer("hohhot"), http.MethodPost, "/api/v1/tasks/"+task.ID+"/decision", `{"outcome":"accept"}`)
	require.Equal(t, http.StatusConflict, status)
	require.Equal(t, "该待办已由他人认领。", out["error"].(map[string]any)["message"])

	c := e.login("hohhot")
	body := e.pageOK(c, taskHref(task.ID), http.StatusOK)
	require.Contains(t, body, holder.DisplayName)
	require.NotContains(t, body, `name="request_key"`, "no decision form on a task someone else holds")
	resp, body := e.postForm(c, taskHref(task.ID)+"/decide", url.Values{"csrf_token": {csrfOf(t, body)}, "outcome": {"accept"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.True(t, strings.Contains(body, "该待办已由他人认领，请先由认领人释放或由管理员改派。"), body)
	require.Zero(t, e.auditCount("task.decide", models.OutcomeDenied), "a conflict, not a refusal of rights")
}

// The expert's scoring task offers the region a redraw (never a reassignment), and nobody else.
func TestExpertTaskOffersTheRegionARedraw(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	task := seedTask(t, e.db, "c-panel", "app-panel", workflows.KindExpertScore, workflows.StageExpertEvaluation, models.RoleExpert,
		models.RegionCode, time.Now().Add(72*time.Hour))
	holder, err := e.db.UserByUsername(context.Background(), "expert1")
	require.NoError(t, err)
	_, err = e.db.ReassignTask(context.Background(), task.ID, holder.ID, task.Version)
	require.NoError(t, err)
	body := e.pageOK(e.login("region"), taskHref(task.ID), http.StatusOK)
	require.Contains(t, body, `action="/tasks/`+task.ID+`/redraw"`)
	for _, who := range []string{"hohhot", "saihan"} {
		body = e.pageOK(e.login(who), taskHref(task.ID), http.StatusOK)
		require.NotContains(t, body, "/redraw", who)
	}
}
