package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// seedPublicity stores a sitting whose approved results are in publicity until ends, with a
// passed and approved candidate, a failed one, and a passed one rejected at the audit.
func seedPublicity(t *testing.T, db *models.DB, id string, ends time.Time) {
	t.Helper()
	starts := ends.Add(-7 * 24 * time.Hour)
	s := models.AssessmentSession{ID: id, WorkflowID: "session-" + id, CaseID: "c-" + id, EnterpriseID: dairyEnterpriseID, EnterpriseName: dairyEntName,
		JurisdictionCode: "150105", OccupationCode: "6-02-04-01", OccupationName: "乳品加工工", Level: 4, ExamDate: starts, Site: "考场",
		AssessorsJSON: "[]", Status: models.SessionPublicity, PublicityStartsAt: &starts, PublicityEndsAt: &ends, CreatedAt: starts, UpdatedAt: starts}
	require.NoError(t, db.Create(&s).Error)
	for i, c := range []struct{ name, result, audit string }{{"张三丰", "pass", "approved"}, {"李四", "fail", "pending"}, {"王五", "pass", "rejected"}} {
		cand := models.SessionCandidate{ID: id + "-" + string(rune('a'+i)), SessionID: id, Name: c.name, IDCipher: "x", IDLookup: id + c.name,
			IDMasked: "150102********1230", Employee: true, Result: c.result, AuditStatus: c.audit, CreatedAt: starts.Add(time.Duration(i) * time.Second),
			UpdatedAt: starts}
		require.NoError(t, db.Create(&cand).Error)
	}
}

// The public page lists the approved passers with masked names and no ID numbers; the
// objection form needs a name, a contact and a reasoned text, hands the objection to the
// sitting's workflow, and is closed once the period has ended.
func TestPublicityPageAndObjectionForm(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	fake := &fakeTemporal{answer: func(o client.UpdateWorkflowOptions) (any, error) {
		if o.WorkflowID == "session-s-ended" {
			return nil, temporal.NewApplicationError("该场次认定结果不在公示期内，不再受理异议", workflows.ErrWrongState)
		}
		return workflows.ObjectionResult{TaskID: "t-review"}, nil
	}}
	e.api.svc.UseTemporal(fake)
	seedPublicity(t, e.db, "s-open", time.Now().Add(72*time.Hour))
	seedPublicity(t, e.db, "s-ended", time.Now().Add(-time.Hour))

	anon := e.browser()
	page := e.pageOK(anon, "/publicity", http.StatusOK)
	require.Contains(t, page, "张*丰")
	require.NotContains(t, page, "张三丰")
	require.NotContains(t, page, "李", "a failed candidate is not published")
	require.NotContains(t, page, "王*", "a candidate sent back at the audit is not published")
	require.NotContains(t, page, "********", "no ID number, masked or not")
	require.Contains(t, page, `href="/publicity/s-open/objection"`)
	require.NotContains(t, page, `href="/publicity/s-ended/objection"`, "no objection after the period")

	page = e.pageOK(anon, "/publicity/s-open/objection", http.StatusOK)
	form := url.Values{"csrf_token": {csrfOf(t, page)}, "candidate_id": {"s-open-a"}, "objector": {""}, "contact": {"13800000000"},
		"content": {"该人员未实际参加操作技能考核，请核查。"}}
	resp, page := e.postForm(anon, "/publicity/s-open/objection", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, "请填写异议人姓名")
	require.Empty(t, fake.updates(), "nothing reaches the workflow")
	form.Set("objector", "王某")
	resp, page = e.postForm(anon, "/publicity/s-open/objection", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Contains(t, page, "异议已受理")
	sent := fake.updates()
	require.Len(t, sent, 1)
	require.Equal(t, workflows.ObjectionUpdate, sent[0].UpdateName)
	req := sent[0].Args[0].(workflows.ObjectionRequest)
	require.Equal(t, "s-open-a", req.CandidateID)
	o, err := e.db.ObjectionsOfSession(context.Background(), "s-open")
	require.NoError(t, err)
	require.Len(t, o, 1)
	require.Equal(t, "王某", o[0].Objector)

	page = e.pageOK(anon, "/publicity/s-ended/objection", http.StatusOK)
	require.Contains(t, page, "不再受理异议")
	status, out := e.apiDo("", http.MethodPost, "/api/v1/public/publicity/s-ended/objections",
		`{"objector":"王某","contact":"13800000000","content":"该人员未实际参加操作技能考核，请核查。"}`)
	require.Equal(t, http.StatusConflict, status, out)
}

// The region keeps the working-day table and the publicity length; wrong entries are
// explained; others may not open the page.
func TestCalendarPage(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	region := e.login("region")
	page := e.pageOK(region, "/admin/calendar", http.StatusOK)
	require.Contains(t, page, `value="5"`, "the default publicity length")
	post := func(v url.Values) (*http.Response, string) {
		v.Set("csrf_token", csrfOf(t, page))
		return e.postForm(region, "/admin/calendar", v)
	}
	resp, body := post(url.Values{"action": {"set"}, "day": {"2027-10-02"}, "kind": {"holiday"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "无需登记为节假日")
	resp, body = post(url.Values{"action": {"set"}, "day": {"2027-10-01"}, "kind": {"holiday"}, "note": {"国庆节"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	body = e.pageOK(region, "/admin/calendar", http.StatusOK)
	require.Contains(t, body, "2027-10-01")
	require.Contains(t, body, "国庆节")
	resp, body = post(url.Values{"action": {"days"}, "publicity_days": {"0"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "公示期应为 1 至 30 个工作日")
	resp, _ = post(url.Values{"action": {"days"}, "publicity_days": {"7"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	n, err := e.db.PublicityDays(context.Background())
	require.NoError(t, err)
	require.Equal(t, 7, n)
	resp, _ = post(url.Values{"action": {"remove"}, "day": {"2027-10-01"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.NotContains(t, e.pageOK(region, "/admin/calendar", http.StatusOK), "2027-10-01")
	require.Len(t, webtestAudit(t, e, "calendar.set"), 1)

	centre := e.login("centre")
	resp, _ = e.get(centre, "/admin/calendar")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func webtestAudit(t *testing.T, e *appEnv, action string) []models.AuditEntry {
	var rows []models.AuditEntry
	require.NoError(t, e.db.Where("action = ? AND outcome = ?", action, models.OutcomeOK).Find(&rows).Error)
	return rows
}
