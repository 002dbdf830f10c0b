package web

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/exports"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// seedPilot puts the demo dairy enterprise's case in the published directory (batch 1).
func seedPilot(t *testing.T, db *models.DB) models.Case {
	t.Helper()
	pub := time.Date(2026, 6, 5, 2, 0, 0, 0, time.UTC)
	cs := models.Case{ID: "case-dairy", WorkflowID: "case-dairy", CampaignID: "2026", EnterpriseID: "00000000-0000-7000-8000-000000000101",
		EnterpriseName: "呼和浩特乳业示范有限公司", ApplicationID: "app-dairy", ApplicationVersion: 1, JurisdictionCode: "150105",
		LeagueCode: "150100", Stage: "active", Status: "open", Batch: 1, SLAState: models.SLAOnTime}
	_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "seed-pilot", At: pub,
		Campaign: &models.Campaign{ID: "2026", Year: 2026, CollectionDeadline: pub.AddDate(0, 0, -20), PublicationTarget: pub,
			Status: "published", Batch1PublishedAt: &pub},
		League: &models.LeagueCollection{ID: "2026-150100", CampaignID: "2026", JurisdictionCode: "150100", Status: "collecting"},
		Case:   &cs,
		Directory: []models.DirectoryEntry{{CaseID: cs.ID, CampaignID: "2026", EnterpriseID: cs.EnterpriseID, Batch: 1,
			EnterpriseName: cs.EnterpriseName, JurisdictionCode: cs.JurisdictionCode, OccupationsJSON: "[]", Status: "active"}}})
	require.NoError(t, err)
	return cs
}

// The region keeps the filing codes on its page: a bad code is refused with the typed value
// kept, a good one saved (upper-cased) and audited; a league has no such page.
func TestFilingCodePage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	seedPilot(t, e.db)
	c := e.login("centre")
	require.Contains(t, e.pageOK(c, "/", http.StatusOK), `href="/admin/filing-codes"`)
	body := e.pageOK(c, "/admin/filing-codes", http.StatusOK)
	require.Contains(t, body, "呼和浩特乳业示范有限公司")
	noLeaks(t, body)
	form := url.Values{"csrf_token": {csrfOf(t, body)}, "enterprise_id": {"00000000-0000-7000-8000-000000000101"}, "filing_code": {"A 1"}}
	resp, body := e.postForm(c, "/admin/filing-codes", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "备案编码应为 4 至 32 位")
	require.Contains(t, body, `value="A 1"`, "what was typed is kept")
	form.Set("filing_code", "s1500-0001")
	resp, _ = e.postForm(c, "/admin/filing-codes", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, e.pageOK(c, "/admin/filing-codes", http.StatusOK), `value="S1500-0001"`)
	ent, err := e.db.EnterpriseByID(context.Background(), "00000000-0000-7000-8000-000000000101")
	require.NoError(t, err)
	require.Equal(t, "S1500-0001", ent.FilingCode)
	require.EqualValues(t, 1, e.auditCount("enterprise.filing_code", models.OutcomeOK))

	h := e.login("hohhot")
	resp, _ = e.get(h, "/admin/filing-codes")
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
}

// The league records the paper copy on its summary page (refused input kept with its error);
// the summary warns until then; the directory, the status page and the ledger carry the numbers.
func TestPaperReceiptNumbersAndLedgerPages(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	seedPilot(t, e.db)
	h := e.login("hohhot")
	body := e.pageOK(h, "/summary", http.StatusOK)
	require.Contains(t, body, "以下 1 家企业尚未登记纸质申报表接收：呼和浩特乳业示范有限公司")
	require.Contains(t, body, `action="/summary/paper"`)
	form := url.Values{"csrf_token": {csrfOf(t, body)}, "case_id": {"case-dairy"}, "received_on": {"2099-01-01"}, "received_by": {"王科员"}}
	resp, body := e.postForm(h, "/summary/paper", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "接收日期不能晚于今天")
	require.Contains(t, body, `value="王科员"`)
	// Today in the test service's zone (service.Config's default, UTC): in China's zone the date
	// is tomorrow from 16:00 UTC, which the page rightly refuses as later than today.
	form.Set("received_on", time.Now().UTC().Format("2006-01-02"))
	resp, _ = e.postForm(h, "/summary/paper", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	body = e.pageOK(h, "/summary", http.StatusOK)
	require.Contains(t, body, "由王科员接收")
	require.NotContains(t, body, "尚未登记纸质申报表接收")

	// Another league may not record it.
	b := e.login("baotou")
	resp, _ = e.postForm(b, "/summary/paper", url.Values{"csrf_token": {csrfOf(t, e.pageOK(b, "/summary", http.StatusOK))},
		"case_id": {"case-dairy"}, "received_on": {"2026-06-01"}, "received_by": {"赵"}})
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, resp.StatusCode)

	// The public directory shows the publication's 文号.
	require.Contains(t, e.pageOK(e.browser(), "/directory", http.StatusOK), "内人社办发〔2026〕1号")

	// The enterprise: its status page and its ledger.
	d := e.login("dairy")
	e.pageOK(d, "/status", http.StatusOK) // makes the enterprise's application
	var appID string
	require.NoError(t, e.db.Raw("SELECT id FROM applications WHERE enterprise_id = ?", "00000000-0000-7000-8000-000000000101").Scan(&appID).Error)
	require.NotEmpty(t, appID)
	require.NoError(t, e.db.Model(&models.Case{}).Where("id = ?", "case-dairy").Update("application_id", appID).Error)
	body = e.pageOK(d, "/status", http.StatusOK)
	require.Contains(t, body, "内人社办发〔2026〕1号")
	require.Contains(t, body, "由王科员接收")
	resp, xlsx := e.get(d, "/ledger.xlsx")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	f, err := excelize.OpenReader(bytes.NewReader([]byte(xlsx)))
	require.NoError(t, err)
	defer f.Close()
	v, err := f.GetCellValue(exports.LedgerOverviewSheet, "B4")
	require.NoError(t, err)
	require.Equal(t, "内人社办发〔2026〕1号", v)
	resp, _ = e.get(b, "/ledger.xlsx?enterprise=00000000-0000-7000-8000-000000000101")
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, resp.StatusCode)
}
