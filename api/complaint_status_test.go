package api

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// TestComplaintStatusRoute: POST /api/v1/public/complaints/status answers the progress for the
// code and the mobile number's last 4 digits, the same 404 for a wrong code or wrong digits,
// 422 with fields for malformed ones, and is throttled as a public query (a CAPTCHA after 10).
func TestComplaintStatusRoute(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	at := time.Date(2027, 3, 1, 2, 0, 0, 0, time.UTC)
	require.NoError(t, e.db.CreateComplaint(context.Background(), &models.Complaint{ID: models.NewID(), EnterpriseID: models.NewID(),
		JurisdictionCode: "150105", Complainant: "王投诉", Contact: "13912345678", Content: "投诉内容投诉内容。", Status: "open",
		ReceiptCode: "HJKM2345", CreatedAt: at, UpdatedAt: at}))
	const path = "/api/v1/public/complaints/status"

	status, out := e.apiDo("", http.MethodPost, path, `{"code":"hjkm-2345","check":"5678"}`)
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, "HJKM-2345", out["code"])
	require.Equal(t, "received", out["state"])
	require.Equal(t, "已受理", out["status"])
	steps := out["steps"].([]any)
	require.Len(t, steps, 1)
	require.Equal(t, map[string]any{"name": "受理", "date": "2027-03-01", "text": "投诉已受理，已转属地人力资源社会保障部门核查。"}, steps[0])
	require.Len(t, out, 4, "code, state, status, steps: nothing of the parties")

	status, byDigits := e.apiDo("", http.MethodPost, path, `{"code":"HJKM-2345","check":"5679"}`)
	require.Equal(t, http.StatusNotFound, status)
	status, byCode := e.apiDo("", http.MethodPost, path, `{"code":"HJKM-2346","check":"5678"}`)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, byCode["error"], byDigits["error"], "one and the same answer")
	require.Equal(t, "complaint_not_found", byCode["error"].(map[string]any)["code"])

	status, out = e.apiDo("", http.MethodPost, path, `{"code":"HJKM-234","check":"56"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, out)

	// 3 queries counted so far; 7 more pass, then a CAPTCHA is due.
	for range 7 {
		status, _ = e.apiDo("", http.MethodPost, path, `{"code":"HJKM-2346","check":"5678"}`)
		require.Equal(t, http.StatusNotFound, status)
	}
	status, out = e.apiDo("", http.MethodPost, path, `{"code":"HJKM-2345","check":"5678"}`)
	require.Equal(t, http.StatusPreconditionRequired, status, out)
}
