package api

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// Demo enterprise IDs from models.SeedDemo.
const (
	dairyEnterpriseID = "00000000-0000-7000-8000-000000000101" // 呼和浩特 赛罕区 150105
	rareEnterpriseID  = "00000000-0000-7000-8000-000000000102" // 包头 昆都仑区 150203
)

// upload is one multipart upload request.
type upload struct {
	name string // file name exactly as the client sends it
	// disposition, when set, is the file part's whole Content-Disposition header, for names a
	// client can only send RFC 2231-encoded.
	disposition string
	content     []byte
	purpose     string
	replaces    string
}

// multipartBody encodes u as a browser would: the file in "file", the fields beside it.
func multipartBody(t *testing.T, u upload) (*bytes.Buffer, string) {
	return webtest.MultipartBody(t, webtest.Upload{Name: u.name, Disposition: u.disposition, Content: u.content, Purpose: u.purpose, Replaces: u.replaces})
}

// uploadAs sends u with a bearer token and decodes the JSON answer.
func (e *testEnv) uploadAs(token string, u upload) (int, map[string]any) {
	e.t.Helper()
	body, ctype := multipartBody(e.t, u)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/attachments", body)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", ctype)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// download fetches an attachment with a bearer token.
func (e *testEnv) download(token, id string) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/api/v1/attachments/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(e.t, err)
	return resp, b
}

// fieldError returns the first field error of an error response for field.
func fieldError(t *testing.T, body map[string]any, field string) map[string]any {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "error body: %v", body)
	fields, _ := e["fields"].([]any)
	for _, f := range fields {
		fe := f.(map[string]any)
		if fe["field"] == field {
			return fe
		}
	}
	t.Fatalf("no error on field %q in %v", field, body)
	return nil
}

func samplePDF(text string) []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\n%%EOF\n")
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// officeZip builds a minimal Office Open XML package whose main part lives under dir.
func officeZip(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"[Content_Types].xml", dir + "document.xml"} {
		w, err := zw.Create(name)
		require.NoError(t, err)
		_, err = w.Write([]byte("<?xml version=\"1.0\"?><x/>"))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestAttachmentUploadDownloadRoundTripAndScope(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		dairy := e.bearer("dairy")

		content := samplePDF("营业执照扫描件")
		code, body := e.uploadAs(dairy, upload{name: "营业执照（2025）.pdf", content: content, purpose: models.ConditionPurpose(1)})
		require.Equal(t, http.StatusCreated, code, "%v", body)
		id := body["id"].(string)
		require.Equal(t, sha256Hex(content), body["sha256"], "SHA-256 recorded and returned")
		require.EqualValues(t, len(content), body["size"])
		require.Equal(t, "application/pdf", body["content_type"])
		require.Equal(t, "营业执照（2025）.pdf", body["name"])
		require.EqualValues(t, 1, body["version"])
		require.Equal(t, "基本条件（一）佐证材料", body["purpose_name"])
		require.NotContains(t, body, "storage_key", "storage keys never leave the server")
		require.Equal(t, int64(1), e.auditCount("attachment.upload", models.OutcomeOK))

		// The enterprise, its county, its league and the region may all read the evidence.
		for _, user := range []string{"dairy", "saihan", "hohhot", "region", "centre"} {
			tok := dairy
			if user != "dairy" {
				tok = e.bearer(user)
			}
			resp, got := e.download(tok, id)
			require.Equal(t, http.StatusOK, resp.StatusCode, user)
			require.Equal(t, content, got, user)
			require.Equal(t, sha256Hex(got), resp.Header.Get("X-Content-SHA256"), user)
			require.Equal(t, "application/pdf", resp.Header.Get("Content-Type"), user)
			require.Equal(t, `inline; filename="attachment.pdf"; filename*=UTF-8''%E8%90%A5%E4%B8%9A%E6%89%A7%E7%85%A7%EF%BC%882025%EF%BC%89.pdf`,
				resp.Header.Get("Content-Disposition"), user)
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
		}

		// Another enterprise, another league and another county get 403, audited.
		denied := e.auditCount("application.read", models.OutcomeDenied)
		for _, user := range []string{"rare", "baotou", "kundulun", "xincheng", "ordos", "supervisor3"} {
			resp, got := e.download(e.bearer(user), id)
			require.Equal(t, http.StatusForbidden, resp.StatusCode, user)
			require.NotContains(t, string(got), "PDF", user)
		}
		require.Equal(t, denied+6, e.auditCount("application.read", models.OutcomeDenied))

		// Unknown IDs are 404.
		resp, _ := e.download(dairy, "00000000-0000-7000-8000-00000000ffff")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		// Only enterprise users upload.
		code, _ = e.uploadAs(e.bearer("hohhot"), upload{name: "x.pdf", content: content, purpose: "other"})
		require.Equal(t, http.StatusForbidden, code)
	})
}

func TestAttachmentUploadRejectsBadFiles(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	dairy := e.bearer("dairy")
	pdf := samplePDF("ok")
	exe := append([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), bytes.Repeat([]byte{0}, 200)...)
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")

	cases := []struct {
		name, field, code, says string
		u                       upload
	}{
		{"exe renamed pdf", "file", "file_content", "不是真正的PDF文件", upload{name: "报告.pdf", content: exe, purpose: "rules"}},
		{"html renamed pdf", "file", "file_content", "文件内容与扩展名“.pdf”不符", upload{name: "report.pdf", content: html, purpose: "rules"}},
		{"exe", "file", "file_type", "不支持“.exe”类型的文件。仅支持上传以下类型的文件：PDF、JPG/JPEG、PNG、Word（DOC、DOCX）、Excel（XLS、XLSX）。", upload{name: "setup.exe", content: exe, purpose: "rules"}},
		{"no extension", "file", "file_type", "文件名缺少扩展名", upload{name: "README", content: pdf, purpose: "rules"}},
		{"pdf renamed docx", "file", "file_content", "不是真正的Word（DOCX）文件", upload{name: "a.docx", content: pdf, purpose: "rules"}},
		{"xlsx renamed docx", "file", "file_content", "扩展名“.docx”不符", upload{name: "a.docx", content: officeZip(t, "xl/"), purpose: "rules"}},
		{"plain zip renamed xlsx", "file", "file_content", "扩展名“.xlsx”不符", upload{name: "a.xlsx", content: officeZip(t, "other/"), purpose: "rules"}},
		{"parent path", "file", "file_name", "文件名不能包含路径", upload{name: "../../etc/passwd.pdf", content: pdf, purpose: "rules"}},
		{"directory", "file", "file_name", "请只保留文件名本身", upload{name: "a/b.pdf", content: pdf, purpose: "rules"}},
		{"windows parent path", "file", "file_name", "文件名不能包含路径", upload{name: `..\x.pdf`, content: pdf, purpose: "rules"}},
		{"control character", "file", "file_name", "控制字符", upload{disposition: `form-data; name="file"; filename*=UTF-8''a%01b.pdf`, content: pdf, purpose: "rules"}},
		{"C1 control character", "file", "file_name", "控制字符", upload{name: "a\u0085b.pdf", content: pdf, purpose: "rules"}},
		{"encoded parent path", "file", "file_name", "文件名不能包含路径", upload{disposition: `form-data; name="file"; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd.pdf`, content: pdf, purpose: "rules"}},
		{"right-to-left override", "file", "file_name", "不可见字符", upload{name: "invoice\u202Efdp.exe", content: pdf, purpose: "rules"}},
		{"too long name", "file", "file_name", "文件名过长（205 个字符），最多 200 个字符", upload{name: strings.Repeat("长", 201) + ".pdf", content: pdf, purpose: "rules"}},
		{"only extension", "file", "file_name", "文件名缺少主名", upload{name: ".pdf", content: pdf, purpose: "rules"}},
		{"empty file", "file", "file_empty", "文件是空的", upload{name: "a.pdf", content: nil, purpose: "rules"}},
		{"unknown purpose", "purpose", "invalid", "附件用途“secret”无效", upload{name: "a.pdf", content: pdf, purpose: "secret"}},
		{"missing purpose", "purpose", "required", "请选择附件用途", upload{name: "a.pdf", content: pdf}},
		{"unknown replaces", "replaces", "not_found", "要替换的附件不存在", upload{name: "a.pdf", content: pdf, purpose: "rules", replaces: "nope"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.uploadAs(dairy, tc.u)
			require.Equal(t, http.StatusUnprocessableEntity, code, "%v", body)
			fe := fieldError(t, body, tc.field)
			require.Equal(t, tc.code, fe["code"])
			require.Contains(t, fe["message"], tc.says)
		})
	}
	require.Equal(t, int64(len(cases)), e.auditCount("attachment.upload", models.OutcomeRejected), "refusals are audited")
	require.Zero(t, e.auditCount("attachment.upload", models.OutcomeOK))

	// The real thing of each type is accepted.
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 504)...)
	for _, ok := range []struct {
		name, ctype string
		content     []byte
	}{
		{"申报材料.PDF", "application/pdf", pdf},
		{"photo.jpg", "image/jpeg", append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)},
		{"site.png", "image/png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)},
		{"制度.doc", "application/msword", ole},
		{"花名册.xls", "application/vnd.ms-excel", ole},
		{"方案.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", officeZip(t, "word/")},
		{"设备清单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", officeZip(t, "xl/")},
		{`合同"终稿"?.pdf`, "application/pdf", pdf},
	} {
		code, body := e.uploadAs(dairy, upload{name: ok.name, content: ok.content, purpose: "other"})
		require.Equal(t, http.StatusCreated, code, "%s: %v", ok.name, body)
		require.Equal(t, ok.ctype, body["content_type"], ok.name)
	}
	code, body := e.uploadAs(dairy, upload{name: `合同"终稿"?.pdf`, content: pdf, purpose: "other"})
	require.Equal(t, http.StatusCreated, code)
	require.Equal(t, "合同_终稿__.pdf", body["name"], "characters Windows cannot save are replaced")
}

func TestAttachmentUploadSizeLimit(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	dairy := e.bearer("dairy")
	want := "文件大小超过 20 MB 的上限"

	// One byte over the limit, within the multipart allowance: judged on the file's size.
	big := append(samplePDF("big"), bytes.Repeat([]byte{' '}, int(service.MaxAttachmentSize))...)
	code, body := e.uploadAs(dairy, upload{name: "大文件.pdf", content: big[:service.MaxAttachmentSize+1], purpose: "rules"})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	fe := fieldError(t, body, "file")
	require.Equal(t, "file_too_large", fe["code"])
	require.Contains(t, fe["message"], want)

	// Far over: refused from the declared length before the body is read.
	huge := append(big, bytes.Repeat([]byte{' '}, 2<<20)...)
	code, body = e.uploadAs(dairy, upload{name: "更大.pdf", content: huge, purpose: "rules"})
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Contains(t, fieldError(t, body, "file")["message"], want)

	// Exactly at the limit is fine.
	code, body = e.uploadAs(dairy, upload{name: "刚好.pdf", content: big[:service.MaxAttachmentSize], purpose: "rules"})
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.EqualValues(t, service.MaxAttachmentSize, body["size"])
}

func TestAttachmentVersionsAreKept(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		dairy := e.bearer("dairy")
		v1content, v2content := samplePDF("v1"), samplePDF("v2")

		code, v1 := e.uploadAs(dairy, upload{name: "制度汇编.pdf", content: v1content, purpose: models.PurposeRules})
		require.Equal(t, http.StatusCreated, code, "%v", v1)
		// The new version inherits the purpose when none is given.
		code, v2 := e.uploadAs(dairy, upload{name: "制度汇编（修订）.pdf", content: v2content, replaces: v1["id"].(string)})
		require.Equal(t, http.StatusCreated, code, "%v", v2)
		require.EqualValues(t, 2, v2["version"])
		require.Equal(t, v1["id"], v2["replaces_id"])
		require.Equal(t, models.PurposeRules, v2["purpose"])

		// The list shows the current version; the history keeps both, and v1 still downloads.
		code, list := e.apiDo(dairy, http.MethodGet, "/api/v1/attachments?purpose=rules", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, list["total"])
		require.Equal(t, v2["id"], list["items"].([]any)[0].(map[string]any)["id"])
		code, hist := e.apiDo(dairy, http.MethodGet, "/api/v1/attachments/"+v1["id"].(string)+"/versions", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 2, hist["total"])
		items := hist["items"].([]any)
		require.Equal(t, v1["id"], items[0].(map[string]any)["id"])
		require.Equal(t, v2["id"], items[1].(map[string]any)["id"])
		resp, got := e.download(dairy, v1["id"].(string))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, v1content, got)

		// Replacing an already replaced version would fork the history: refused.
		code, body := e.uploadAs(dairy, upload{name: "分叉.pdf", content: samplePDF("fork"), replaces: v1["id"].(string)})
		require.Equal(t, http.StatusConflict, code, "%v", body)
		require.Equal(t, "attachment_superseded", body["error"].(map[string]any)["code"])
		// A new version keeps its document's purpose.
		code, body = e.uploadAs(dairy, upload{name: "x.pdf", content: samplePDF("x"), purpose: models.PurposeSite, replaces: v2["id"].(string)})
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "purpose_mismatch", fieldError(t, body, "purpose")["code"])
		// Another enterprise can neither replace nor see the document.
		rare := e.bearer("rare")
		code, body = e.uploadAs(rare, upload{name: "x.pdf", content: samplePDF("x"), replaces: v2["id"].(string)})
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "not_found", fieldError(t, body, "replaces")["code"])
		code, _ = e.apiDo(rare, http.MethodGet, "/api/v1/attachments/"+v1["id"].(string)+"/versions", "")
		require.Equal(t, http.StatusForbidden, code)
		code, list = e.apiDo(rare, http.MethodGet, "/api/v1/attachments", "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 0, list["total"])

		// Officials list an enterprise in their jurisdiction by naming it; not one elsewhere.
		code, list = e.apiDo(e.bearer("hohhot"), http.MethodGet, "/api/v1/attachments?enterprise="+dairyEnterpriseID, "")
		require.Equal(t, http.StatusOK, code)
		require.EqualValues(t, 1, list["total"])
		code, _ = e.apiDo(e.bearer("baotou"), http.MethodGet, "/api/v1/attachments?enterprise="+dairyEnterpriseID, "")
		require.Equal(t, http.StatusForbidden, code)
		code, _ = e.apiDo(e.bearer("hohhot"), http.MethodGet, "/api/v1/attachments", "")
		require.Equal(t, http.StatusBadRequest, code)
		code, _ = e.apiDo(dairy, http.MethodGet, "/api/v1/attachments?purpose=bogus", "")
		require.Equal(t, http.StatusUnprocessableEntity, code)
	})
}

func TestFileNameHelpers(t *testing.T) {
	require.Equal(t, "report.pdf", asciiFileName("report.pdf"))
	require.Equal(t, "attachment.pdf", asciiFileName("报告.pdf"))
	require.Equal(t, "attachment", asciiFileName("报告"))
	require.Equal(t, "attachment.pdf", asciiFileName(`a"b.pdf`))
	require.Equal(t, "a%20b%25%22.pdf", rfc5987Escape(`a b%".pdf`))
	got, ferr := service.SanitizeFileName("  制度汇编 v2.pdf  ")
	require.Nil(t, ferr)
	require.Equal(t, "制度汇编 v2.pdf", got)
}

// PDF and images open in the browser (inline, under their name, sandboxed, not sniffed); the
// other accepted types, and any stored type the upload would not accept, are downloads.
func TestAttachmentsOpenInline(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	dairy := e.bearer("dairy")
	pdf := samplePDF("inline")
	ole := append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, bytes.Repeat([]byte{0}, 504)...)
	for _, tc := range []struct {
		name, ctype, disposition, csp string
		content                       []byte
	}{
		{"营业执照.pdf", "application/pdf", "inline", "sandbox", pdf},
		{"photo.jpg", "image/jpeg", "inline", "sandbox", append([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"), bytes.Repeat([]byte{1}, 64)...)},
		{"site.png", "image/png", "inline", "sandbox", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0}, 64)...)},
		{"制度.doc", "application/msword", "attachment", "default-src 'none'; sandbox", ole},
		{"设备清单.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "attachment", "default-src 'none'; sandbox", officeZip(t, "xl/")},
	} {
		code, body := e.uploadAs(dairy, upload{name: tc.name, content: tc.content, purpose: "other"})
		require.Equal(t, http.StatusCreated, code, "%s: %v", tc.name, body)
		resp, got := e.download(dairy, body["id"].(string))
		require.Equal(t, http.StatusOK, resp.StatusCode, tc.name)
		require.Equal(t, tc.content, got, tc.name)
		require.Equal(t, tc.ctype, resp.Header.Get("Content-Type"), tc.name)
		require.Equal(t, tc.disposition+`; filename="`+asciiFileName(tc.name)+`"; filename*=UTF-8''`+rfc5987Escape(tc.name),
			resp.Header.Get("Content-Disposition"), tc.name)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), tc.name)
		require.Equal(t, tc.csp, resp.Header.Get("Content-Security-Policy"), tc.name)
	}

	// A stored type outside the accepted list (an old or altered row) never reaches the
	// browser: it goes out as an octet-stream download.
	code, body := e.uploadAs(dairy, upload{name: "页面.pdf", content: pdf, purpose: "other"})
	require.Equal(t, http.StatusCreated, code)
	id := body["id"].(string)
	require.NoError(t, e.db.Model(&models.Attachment{}).Where("id = ?", id).Update("content_type", "text/html").Error)
	resp, _ := e.download(dairy, id)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "application/octet-stream", resp.Header.Get("Content-Type"))
	require.True(t, strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment; "))
	require.Equal(t, "default-src 'none'; sandbox", resp.Header.Get("Content-Security-Policy"))
}
