package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// seedSupervisionReport writes a sitting of the dairy enterprise, a draw of supervisor1 for it
// and supervisor1's report awaiting review.
func seedSupervisionReport(t *testing.T, db *models.DB, rating, findings string) models.SupervisionReport {
	t.Helper()
	ctx := context.Background()
	sup, err := db.UserByUsername(ctx, "supervisor1")
	require.NoError(t, err)
	s := models.AssessmentSession{ID: models.NewID(), WorkflowID: "session-x", CaseID: "c-sup", EnterpriseID: dairyEnterpriseID,
		EnterpriseName: "呼和浩特乳业示范有限公司", JurisdictionCode: "150105", OccupationCode: "6-02-04-01", OccupationName: "乳品加工工",
		Level: 4, ExamDate: time.Now(), Site: "考点", AssessorsJSON: "[]", Status: models.SessionOpen, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, db.Create(&s).Error)
	d := models.SupervisionDraw{Title: "第一轮质量督导", JurisdictionCode: models.RegionCode, Seed: 7, PerSession: 1, SessionsJSON: "[]",
		SupervisorsJSON: "[]", AssignmentsJSON: `[{"session_id":"` + s.ID + `","supervisors":["` + sup.ID + `"]}]`, CreatedBy: sup.ID, CreatedAt: time.Now()}
	require.NoError(t, db.CreateDraw(ctx, &d))
	r := models.SupervisionReport{DrawID: d.ID, SessionID: s.ID, SupervisorID: sup.ID, Rating: rating, Findings: findings,
		Status: domain.ReportSubmitted, CreatedAt: time.Now()}
	require.NoError(t, db.AddSupervisionReport(ctx, &r))
	return r
}

// The region's review page lists the reports awaiting review; a return without a reason comes
// back with the message beside the reason; publishing puts the report on the public page; the
// supervisor sees the status of their reports; no one else reviews.
func TestSupervisionReviewPage(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		r := seedSupervisionReport(t, db, "rectify", "考场未按规定全程录像。")
		anon := e.browser()
		require.NotContains(t, e.pageOK(anon, "/supervision", http.StatusOK), "考场未按规定全程录像", "not public before review")

		region := e.login("region")
		require.Contains(t, e.pageOK(region, "/", http.StatusOK), `href="/supervision/review"`)
		page := e.pageOK(region, "/supervision/review", http.StatusOK)
		require.Contains(t, page, "考场未按规定全程录像")
		require.Contains(t, page, "呼和浩特乳业示范有限公司")
		csrf := csrfOf(t, page)

		// A return needs a reason, shown beside the report's reason field.
		resp, body := e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrf}, "report_id": {r.ID}, "action": {"return"}, "reason": {" "}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, body)
		noLeaks(t, body)
		require.Regexp(t, `(?s)id="return-`+r.ID+`" open.*退回督导员补充须填写退回理由.*id="reason-`+r.ID+`"[^>]*aria-invalid="true"`, body)
		// Without the page's token nothing happens.
		resp, _ = e.postForm(region, "/supervision/review", url.Values{"report_id": {r.ID}, "action": {"publish"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)

		// Neither the league nor the supervisor reviews; the refusal is audited.
		hohhot := e.login("hohhot")
		e.pageOK(hohhot, "/supervision/review", http.StatusForbidden)
		resp, _ = e.postForm(hohhot, "/supervision/review", url.Values{"csrf_token": {csrfOf(t, e.pageOK(hohhot, "/", http.StatusOK))},
			"report_id": {r.ID}, "action": {"publish"}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.NotEmpty(t, webtest.AuditRows(t, db, "supervision.review"))

		sup := e.login("supervisor1")
		require.Contains(t, e.pageOK(sup, "/", http.StatusOK), `href="/supervision/mine"`)
		require.Contains(t, e.pageOK(sup, "/supervision/mine", http.StatusOK), "待审核")

		resp, body = e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrf}, "report_id": {r.ID}, "action": {"publish"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
		require.Equal(t, "督导报告已公开。", flashOf(resp))
		require.NotContains(t, e.pageOK(region, "/supervision/review", http.StatusOK), "考场未按规定全程录像", "reviewed: off the queue")
		pub := e.pageOK(anon, "/supervision", http.StatusOK)
		require.Contains(t, pub, "考场未按规定全程录像")
		require.Contains(t, pub, "需整改")
		require.Contains(t, e.pageOK(sup, "/supervision/mine", http.StatusOK), "已公开")
		// Reviewed by someone already: the message comes above the list.
		resp, body = e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrf}, "report_id": {r.ID}, "action": {"return"}, "reason": {"补充"}})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		require.Contains(t, body, "不在待审核状态")
	})
}

// A returned report shows its supervisor the reason.
func TestSupervisorSeesTheReturnReason(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	r := seedSupervisionReport(t, e.db, "good", "考场秩序良好。")
	region := e.login("region")
	csrf := csrfOf(t, e.pageOK(region, "/supervision/review", http.StatusOK))
	resp, body := e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrf}, "report_id": {r.ID}, "action": {"return"},
		"reason": {"请补充考评人员名单。"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	page := e.pageOK(e.login("supervisor1"), "/supervision/mine", http.StatusOK)
	require.Contains(t, page, "已退回补充")
	require.Contains(t, page, "请补充考评人员名单。")
	require.NotContains(t, e.pageOK(e.browser(), "/supervision", http.StatusOK), "考场秩序良好")
	e.pageOK(e.login("hohhot"), "/supervision/mine", http.StatusNotFound)
}
