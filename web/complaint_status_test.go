package web

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

var receiptCodeRe = regexp.MustCompile(`受理编号：<strong class="id">([A-Z2-9]{4}-[A-Z2-9]{4})</strong>`)
var receiptPINRe = regexp.MustCompile(`查询密码：<strong class="id">([0-9]{4})</strong>`)

// TestComplaintReceiptAndProgressPage: the receipt of an anonymous complaint shows a short code
// and a query PIN and links the progress page; there a wrong PIN and a wrong code get the same
// answer with what was typed kept, and the right pair shows the state and its dated step.
// Through the API, a named complaint's receipt code and the mobile number's last 4 digits.
func TestComplaintReceiptAndProgressPage(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	e.api.svc.UseTemporal(&complaintStarts{})
	publishDairy(t, e.db)
	anon := e.browser()

	page := e.pageOK(anon, "/complaint", http.StatusOK)
	resp, page := e.postForm(anon, "/complaint", url.Values{"csrf_token": {csrfOf(t, page)}, "enterprise_id": {dairyEnterpriseID},
		"anonymous": {"on"}, "content": {complaintText}})
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	m := receiptCodeRe.FindStringSubmatch(page)
	require.NotNil(t, m, page)
	code := m[1]
	pm := receiptPINRe.FindStringSubmatch(page)
	require.NotNil(t, pm, "an anonymous complaint gets a query PIN")
	pin := pm[1]
	require.Contains(t, page, `href="/complaint/status"`)
	require.Contains(t, e.pageOK(anon, "/", http.StatusOK), `href="/complaint/status"`, "the landing page links the progress page")

	page = e.pageOK(anon, "/complaint/status", http.StatusOK)
	require.Contains(t, page, "投诉办理进度查询")
	wrong := "0000"
	if pin == wrong {
		wrong = "1111"
	}
	resp, wrongPIN := e.postForm(anon, "/complaint/status", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code}, "check": {wrong}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, wrongPIN, "未查到与该受理编号和验证码相符的投诉")
	require.Contains(t, wrongPIN, `value="`+code+`"`, "what was typed is kept")
	require.NotContains(t, wrongPIN, "已受理")
	resp, wrongCode := e.postForm(anon, "/complaint/status", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {"ZZZZ-ZZZZ"}, "check": {pin}})
	require.Equal(t, http.StatusNotFound, resp.StatusCode)
	require.Contains(t, wrongCode, "未查到与该受理编号和验证码相符的投诉")
	resp, body := e.postForm(anon, "/complaint/status", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {code}, "check": {pin}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	require.Contains(t, body, "受理编号 "+code+"：已受理")
	require.Contains(t, body, "投诉已受理，已转属地人力资源社会保障部门核查。")
	require.NotContains(t, body, complaintText, "the complaint's content is not shown")
	resp, body = e.postForm(anon, "/complaint/status", url.Values{"csrf_token": {csrfOf(t, page)}, "code": {"AB"}, "check": {"12"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `href="#f-code"`)
	require.Contains(t, body, `href="#f-check"`)

	// The API: a named complaint with a mobile number.
	status, out := e.apiDo("", http.MethodPost, "/api/v1/complaints", `{"enterprise_id":"`+dairyEnterpriseID+
		`","complainant":"王投诉","contact":"13912345678","content":"`+complaintText+`"}`)
	require.Equal(t, http.StatusCreated, status, out)
	apiCode, _ := out["receipt_code"].(string)
	require.Regexp(t, `^[A-Z2-9]{4}-[A-Z2-9]{4}$`, apiCode)
	require.Nil(t, out["pin"], "the mobile number's last digits are the second factor")
	status, out = e.apiDo("", http.MethodPost, "/api/v1/public/complaints/status", `{"code":"`+apiCode+`","check":"5678"}`)
	require.Equal(t, http.StatusOK, status, out)
	require.Equal(t, "received", out["state"])
	require.Equal(t, "已受理", out["status"])
	require.NotContains(t, out, "complainant")
	status, byDigits := e.apiDo("", http.MethodPost, "/api/v1/public/complaints/status", `{"code":"`+apiCode+`","check":"5679"}`)
	require.Equal(t, http.StatusNotFound, status)
	status, byCode := e.apiDo("", http.MethodPost, "/api/v1/public/complaints/status", `{"code":"ZZZZ-ZZZZ","check":"5678"}`)
	require.Equal(t, http.StatusNotFound, status)
	require.Equal(t, byCode["error"], byDigits["error"], "one and the same answer")
	require.Equal(t, "complaint_not_found", byCode["error"].(map[string]any)["code"])
}
