package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// A supervision report is public only once the region has reviewed and published it: filed,
// it waits (待审核); only a reviewer may publish or return it (others are refused with 403 and
// audited); a return needs a reason, which the supervisor sees with the status and answers by
// refiling; publishing a rectify or serious report notifies the enterprise.
func TestSupervisionReportIsPublicOnlyAfterTheRegionPublishesIt(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		f := newNTKFixture(t, e)
		// The fixture's report is replaced by one filed through the API.
		require.NoError(t, db.Delete(&models.SupervisionReport{}, "id = ?", f.report).Error)
		sup := e.bearer("supervisor1")
		code, resp := e.apiDo(sup, http.MethodPost, "/api/v1/supervision/draws/"+f.draw+"/reports",
			`{"session_id":"`+f.session+`","rating":"rectify","findings":"考评人员不足三人，考场未全程录像。"}`)
		require.Equal(t, http.StatusCreated, code, resp)
		require.Equal(t, domain.ReportSubmitted, resp["status"])
		id := resp["id"].(string)

		public := func() []any {
			t.Helper()
			code, resp := e.apiDo("", http.MethodGet, "/api/v1/public/supervision", "")
			require.Equal(t, http.StatusOK, code)
			items, _ := resp["items"].([]any)
			return items
		}
		require.Empty(t, public(), "a report awaiting review is not public")
		_, raw := e.apiDo("", http.MethodGet, "/api/v1/public/supervision", "")
		require.NotNil(t, raw["items"], `an empty list is "items":[], not null`)

		review := "/api/v1/supervision/reports/" + id + "/review"
		// Only the region reviews: the centre and the league manage draws, the supervisor filed
		// it, the enterprise is its subject, the administrator runs the system.
		for _, who := range []string{"centre", "hohhot", "supervisor1", "dairy", "admin", "saihan"} {
			code, resp := e.apiDo(e.bearer(who), http.MethodPost, review, `{"action":"publish"}`)
			require.Equal(t, http.StatusForbidden, code, "%s: %v", who, resp)
		}
		denied := 0
		for _, r := range webtest.AuditRows(t, db, "supervision.review") {
			require.Equal(t, models.OutcomeDenied, r.Outcome)
			denied++
		}
		require.Equal(t, 6, denied, "every refusal is audited")
		require.Empty(t, public())

		region := e.bearer("region")
		code, resp = e.apiDo(region, http.MethodPost, review, `{"action":"return","reason":"  "}`)
		require.Equal(t, http.StatusUnprocessableEntity, code, resp)
		require.Equal(t, "reason", resp["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"])
		code, resp = e.apiDo(region, http.MethodPost, review, `{"action":"approve"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code, resp)
		code, resp = e.apiDo(region, http.MethodPost, review, `{"action":"return","reason":"请补充考评人员名单及考场录像情况。"}`)
		require.Equal(t, http.StatusOK, code, resp)
		require.Equal(t, domain.ReportReturned, resp["status"])
		require.Empty(t, public(), "a returned report is not public")

		// The supervisor who filed it sees the status and the reason; another supervisor sees nothing.
		mine := func(who string) []any {
			t.Helper()
			code, resp := e.apiDo(e.bearer(who), http.MethodGet, "/api/v1/supervision/reports", "")
			require.Equal(t, http.StatusOK, code, resp)
			items, _ := resp["items"].([]any)
			return items
		}
		got := mine("supervisor1")
		require.Len(t, got, 1)
		require.Equal(t, domain.ReportReturned, got[0].(map[string]any)["status"])
		require.Equal(t, "请补充考评人员名单及考场录像情况。", got[0].(map[string]any)["return_reason"])
		require.Empty(t, mine("supervisor2"))
		code, _ = e.apiDo(e.bearer("dairy"), http.MethodGet, "/api/v1/supervision/reports", "")
		require.Equal(t, http.StatusForbidden, code)

		// A returned report is not published as it stood; the supervisor amends it.
		code, resp = e.apiDo(region, http.MethodPost, review, `{"action":"publish"}`)
		require.Equal(t, http.StatusConflict, code, resp)
		code, resp = e.apiDo(sup, http.MethodPost, "/api/v1/supervision/draws/"+f.draw+"/reports",
			`{"session_id":"`+f.session+`","rating":"serious","findings":"考评人员仅两人，考场未录像，已补充名单。"}`)
		require.Equal(t, http.StatusOK, code, resp)
		require.Equal(t, domain.ReportSubmitted, resp["status"])
		require.Equal(t, id, resp["id"])
		require.Empty(t, public())

		code, resp = e.apiDo(region, http.MethodPost, review, `{"action":"publish"}`)
		require.Equal(t, http.StatusOK, code, resp)
		require.Equal(t, domain.ReportPublished, resp["status"])
		items := public()
		require.Len(t, items, 1, "after publication the report is public")
		require.Equal(t, "serious", items[0].(map[string]any)["rating"])
		require.Contains(t, items[0].(map[string]any)["findings"], "已补充名单")
		require.Equal(t, domain.ReportPublished, mine("supervisor1")[0].(map[string]any)["status"])
		// Published is final; a second publication is refused and notifies no one again.
		code, _ = e.apiDo(region, http.MethodPost, review, `{"action":"publish"}`)
		require.Equal(t, http.StatusConflict, code)
		code, _ = e.apiDo(sup, http.MethodPost, "/api/v1/supervision/draws/"+f.draw+"/reports",
			`{"session_id":"`+f.session+`","rating":"good","findings":"改为良好，请忽略前述问题。"}`)
		require.Equal(t, http.StatusConflict, code, "a published report cannot be rewritten")

		// The enterprise is told, once, to rectify.
		var notes []models.Notification
		require.NoError(t, db.Where("kind = ?", "supervision_rectify").Find(&notes).Error)
		require.Len(t, notes, 1)
		require.Equal(t, f.users["dairy"].ID, notes[0].UserID)
		require.Contains(t, notes[0].Subject, "存在严重问题")

		var ok int
		for _, r := range webtest.AuditRows(t, db, "supervision.review") {
			if r.Outcome == models.OutcomeOK {
				ok++
			}
		}
		require.Equal(t, 2, ok, "the return and the publication are audited")
		require.Len(t, webtest.AuditRows(t, db, "supervision.refile"), 1)
	})
}

// A report rated good or acceptable is published without a message to the enterprise.
func TestPublishingAGoodSupervisionReportNotifiesNoOne(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	f := newNTKFixture(t, e)
	require.NoError(t, e.db.Model(&models.SupervisionReport{}).Where("id = ?", f.report).Update("rating", "good").Error)
	code, resp := e.apiDo(e.bearer("region"), http.MethodPost, "/api/v1/supervision/reports/"+f.report+"/review", `{"action":"publish"}`)
	require.Equal(t, http.StatusOK, code, resp)
	var n int64
	require.NoError(t, e.db.Model(&models.Notification{}).Where("kind = ?", "supervision_rectify").Count(&n).Error)
	require.Zero(t, n)
}
