package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// The supervision pages end to end: the region draws (the server's seed, recorded and
// re-checked), the drawn supervisors are told and see their sitting under 我的督导报告 (it was
// empty), file a report and amend it before review; the region returns it, the supervisor
// refiles, the region publishes, and the public page lists it.
func TestSupervisionDrawReportReviewAndPublish(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		s := models.AssessmentSession{ID: models.NewID(), WorkflowID: "session-x", CaseID: "c-sup", EnterpriseID: dairyEnterpriseID,
			EnterpriseName: "呼和浩特乳业示范有限公司", JurisdictionCode: "150105", OccupationCode: "6-02-04-01", OccupationName: "乳品加工工",
			Level: 4, ExamDate: time.Now(), Site: "公司技能评价中心", AssessorsJSON: "[]", Status: models.SessionOpen, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		require.NoError(t, db.Create(&s).Error)

		// Two supervisors in the pool for two a sitting: the draw (a fresh seed each run) takes
		// supervisor1 every time.
		require.NoError(t, db.Model(&models.User{}).Where("username = ?", "supervisor3").Update("active", false).Error)
		sup := e.login("supervisor1")
		mine := e.pageOK(sup, "/supervision/mine", http.StatusOK)
		require.Contains(t, mine, "目前没有分配给您的督导场次")

		region := e.login("region")
		require.Contains(t, e.pageOK(region, "/", http.StatusOK), `href="/supervision/draws"`)
		page := e.pageOK(region, "/supervision/draws", http.StatusOK)
		csrf := csrfOf(t, page)
		// Refusals beside the fields, as typed.
		resp, body := e.postForm(region, "/supervision/draws", url.Values{"csrf_token": {csrf}, "title": {""}, "sessions": {"1"}, "per_session": {"1"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		noLeaks(t, body)
		require.Contains(t, body, `id="f-title-err"><p>请填写督导批次名称。</p>`)
		require.Contains(t, body, `id="f-per_session-err"><p>每个场次至少抽取 2 名督导员（不超过 10 名）。</p>`)
		require.Contains(t, body, `href="#f-per_session"`)
		resp, _ = e.postForm(region, "/supervision/draws", url.Values{"csrf_token": {csrf}, "title": {"2027 年第一轮质量督导"}, "sessions": {"1"}, "per_session": {"2"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Contains(t, flashOf(resp), "随机种子")
		drawHref := resp.Header.Get("Location")
		require.True(t, strings.HasPrefix(drawHref, "/supervision/draws/"), drawHref)
		body = e.pageOK(region, drawHref, http.StatusOK)
		noLeaks(t, body)
		for _, want := range []string{"2027 年第一轮质量督导", "呼和浩特乳业示范有限公司", "乳品加工工 四级/中级工", "结果与记录一致", "尚未提交报告"} {
			require.Contains(t, body, want)
		}
		require.Contains(t, e.pageOK(region, "/supervision/draws", http.StatusOK), "2027 年第一轮质量督导")
		require.Len(t, webtest.AuditRows(t, db, "supervision.draw"), 1)
		// Others: the enterprise and the supervisor do not draw.
		e.pageOK(e.login("dairy"), "/supervision/draws", http.StatusForbidden)
		e.pageOK(sup, "/supervision/draws", http.StatusForbidden)

		// The supervisor is told and sees the sitting.
		var notes []models.Notification
		supUser, err := db.UserByUsername(context.Background(), "supervisor1")
		require.NoError(t, err)
		require.NoError(t, db.Where("kind = ? AND user_id = ?", "supervision_assigned", supUser.ID).Find(&notes).Error)
		require.Len(t, notes, 1)
		require.Contains(t, e.pageOK(sup, "/inbox", http.StatusOK), "您有 1 个随机抽取的督导场次待提交", "the inbox points to it")
		mine = e.pageOK(sup, "/supervision/mine", http.StatusOK)
		require.Contains(t, mine, "1 个待提交报告")
		require.Contains(t, mine, "呼和浩特乳业示范有限公司")
		formHref := drawHref + "/sessions/" + s.ID + "/report"
		require.Contains(t, mine, `href="`+formHref+`"`)
		form := e.pageOK(sup, formHref, http.StatusOK)
		csrf = csrfOf(t, form)
		resp, body = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {""}, "findings": {"短"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		noLeaks(t, body)
		require.Contains(t, body, "请选择督导评价。")
		require.Contains(t, body, ">短</textarea>")
		resp, body = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {"rectify"}, "findings": {"短"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, body, "督导发现应为 5 至 5000 字。")
		resp, _ = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {"rectify"}, "findings": {"考场未按规定全程录像。"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Contains(t, flashOf(resp), "督导报告已提交")
		// Amended before review.
		require.Contains(t, e.pageOK(sup, formHref, http.StatusOK), "考场未按规定全程录像。")
		resp, _ = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {"serious"}, "findings": {"考场未按规定全程录像，考评人员仅两人。"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Contains(t, flashOf(resp), "督导报告已修改")
		require.Len(t, webtest.AuditRows(t, db, "supervision.amend"), 1)
		// The other supervisor does not reach this supervisor's form... but has their own.
		e.pageOK(e.login("hohhot"), formHref, http.StatusForbidden)

		// The region returns, the supervisor refiles, the region publishes.
		review := e.pageOK(region, "/supervision/review", http.StatusOK)
		require.Contains(t, review, "考评人员仅两人")
		var r models.SupervisionReport
		require.NoError(t, db.Where("supervisor_id = ?", supUser.ID).First(&r).Error)
		resp, _ = e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrfOf(t, review)}, "report_id": {r.ID}, "action": {"return"},
			"reason": {"请补充考评人员名单。"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		form = e.pageOK(sup, formHref, http.StatusOK)
		require.Contains(t, form, "请补充考评人员名单。")
		resp, _ = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {"serious"}, "findings": {"考场未全程录像；考评人员仅赵刚、钱伟两人。"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		resp, _ = e.postForm(region, "/supervision/review", url.Values{"csrf_token": {csrfOf(t, review)}, "report_id": {r.ID}, "action": {"publish"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		pub := e.pageOK(e.browser(), "/supervision", http.StatusOK)
		require.Contains(t, pub, "考评人员仅赵刚、钱伟两人")
		require.Contains(t, pub, "存在严重问题")
		// Published is final: the form says so and a post is refused.
		require.Contains(t, e.pageOK(sup, formHref, http.StatusOK), "已审核公开，不能再修改")
		resp, _ = e.postForm(sup, formHref, url.Values{"csrf_token": {csrf}, "rating": {"good"}, "findings": {"改为良好，请忽略。"}})
		require.Equal(t, http.StatusConflict, resp.StatusCode)
		body = e.pageOK(region, drawHref, http.StatusOK)
		require.Contains(t, body, domain.ReportStatusNames[domain.ReportPublished])
	})
}
