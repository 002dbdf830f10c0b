package web

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
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

func samplePDF(text string) []byte {
	return []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n% " + text + "\n%%EOF\n")
}

func TestAttachmentUploadFromBrowserNeedsCSRF(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	resp, _ := e.loginForm(c, "dairy", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	send := func(token string, withField bool) int {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		if withField {
			require.NoError(t, mw.WriteField("csrf_token", token))
		}
		require.NoError(t, mw.WriteField("purpose", "rules"))
		fw, _ := mw.CreateFormFile("file", "制度.pdf")
		fw.Write(samplePDF("browser"))
		require.NoError(t, mw.Close())
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/attachments", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		if !withField && token != "" {
			req.Header.Set("X-CSRF-Token", token)
		}
		r, err := c.Do(req)
		require.NoError(t, err)
		r.Body.Close()
		return r.StatusCode
	}
	require.Equal(t, http.StatusForbidden, send("", false), "no token")
	_, me := e.get(c, "/api/v1/me")
	var m api.MeResponse
	require.NoError(t, json.Unmarshal([]byte(me), &m))
	require.Equal(t, http.StatusCreated, send(m.CSRFToken, false), "token in the header")
	require.Equal(t, http.StatusCreated, send(m.CSRFToken, true), "token in the form, as a plain HTML form sends it")
}
