// Package webtest holds the HTTP test helpers that the JSON API's and the pages' tests share:
// bearer tokens, JSON calls, multipart uploads as a browser sends them, and audit checks.
package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/service"
)

// Bearer logs user in through the JSON API of the server at base and returns a new bearer token.
func Bearer(t testing.TB, base, user, password string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Post(base+"/api/v1/auth/login", "application/json", strings.NewReader(`{"username":"`+user+`","password":"`+password+`"}`))
	require.NoError(t, err)
	var me struct {
		CSRFToken string `json:"csrf_token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&me))
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/tokens", strings.NewReader(`{"name":"test","ttl_days":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", me.CSRFToken)
	resp, err = c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	var tok struct {
		Token string `json:"token"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tok))
	require.True(t, strings.HasPrefix(tok.Token, service.TokenPrefix))
	return tok.Token
}

// APIDo sends a JSON request with a bearer token and decodes the JSON answer.
func APIDo(t testing.TB, base, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// Upload is one multipart upload request.
type Upload struct {
	Name string // file name exactly as the client sends it
	// Disposition, when set, is the file part's whole Content-Disposition header, for names a
	// client can only send RFC 2231-encoded.
	Disposition string
	Content     []byte
	Purpose     string
	Replaces    string
}

// MultipartBody encodes u as a browser would: the file in "file", the fields beside it.
func MultipartBody(t testing.TB, u Upload) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if u.Purpose != "" {
		require.NoError(t, mw.WriteField("purpose", u.Purpose))
	}
	if u.Replaces != "" {
		require.NoError(t, mw.WriteField("replaces", u.Replaces))
	}
	var fw io.Writer
	var err error
	if u.Disposition != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", u.Disposition)
		h.Set("Content-Type", "application/octet-stream")
		fw, err = mw.CreatePart(h)
	} else {
		fw, err = mw.CreateFormFile("file", u.Name)
	}
	require.NoError(t, err)
	_, err = fw.Write(u.Content)
	require.NoError(t, err)
	require.NoError(t, mw.Close())
	return &buf, mw.FormDataContentType()
}

// UserID is the ID of a user.
func UserID(t testing.TB, db *models.DB, username string) string {
	t.Helper()
	u, err := db.UserByUsername(context.Background(), username)
	require.NoError(t, err)
	return u.ID
}

// AuditRows returns the audit rows of an action, oldest first.
func AuditRows(t testing.TB, db *models.DB, action string) []models.AuditEntry {
	t.Helper()
	var rows []models.AuditEntry
	require.NoError(t, db.Where("action = ?", action).Order("seq").Find(&rows).Error)
	return rows
}

// RequireNoSecretInAudit checks that no audit row carries the secret anywhere.
func RequireNoSecretInAudit(t testing.TB, db *models.DB, secret string) {
	t.Helper()
	var rows []models.AuditEntry
	require.NoError(t, db.Find(&rows).Error)
	for _, r := range rows {
		b, _ := json.Marshal(r)
		require.NotContains(t, string(b), secret, "audit row %d (%s) carries a password", r.Seq, r.Action)
	}
}

// Test keys of the services the tests build (never used outside tests).
var (
	DataKey    = []byte("data-key-data-key-data-key-32byt")
	LookupKey  = []byte("lookup-key-lookup-key-lookup-key")
	SessionKey = []byte("0123456789abcdef0123456789abcdef")
)

// CaptchaAnswer is the answer of every CAPTCHA the test servers of Deps hand out.
const CaptchaAnswer = "24680"

// Deps seeds the demo data (accounts with password) into db and returns the service's
// dependencies with the test keys, now as the clock, a temporary storage directory and
// CAPTCHAs answered CaptchaAnswer.
func Deps(t testing.TB, db *models.DB, password string, now func() time.Time) service.Deps {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, password)
	require.NoError(t, err)
	enf, err := service.NewEnforcer(ctx, db)
	require.NoError(t, err)
	return service.Deps{DB: db, Enforcer: enf, Now: now, DataKey: DataKey, LookupKey: LookupKey, StorageDir: t.TempDir(),
		CaptchaAnswer: func() string { return CaptchaAnswer }}
}

// DrawExpert makes the expert a scorer of the application, as a panel draw does: a case of the
// application (created if it has none) and an open scoring task held by the expert. It returns
// the case's and the task's IDs.
func DrawExpert(t testing.TB, db *models.DB, applicationID, expert string) (caseID, taskID string) {
	t.Helper()
	ctx := context.Background()
	app, err := db.ApplicationByID(ctx, applicationID)
	require.NoError(t, err)
	ent, err := db.EnterpriseByID(ctx, app.EnterpriseID)
	require.NoError(t, err)
	var cs models.Case
	err = db.Where("application_id = ?", applicationID).First(&cs).Error
	if err != nil {
		now := time.Now().UTC()
		cs = models.Case{ID: models.NewID(), WorkflowID: "case-" + applicationID, CampaignID: app.CampaignID, EnterpriseID: ent.ID,
			EnterpriseName: ent.Name, ApplicationID: applicationID, ApplicationVersion: 1, JurisdictionCode: ent.JurisdictionCode,
			Stage: "expert_evaluation", Status: "open", LastEventAt: now, CreatedAt: now, UpdatedAt: now}
		require.NoError(t, db.Create(&cs).Error)
	}
	task := models.Task{ID: models.NewID(), WorkflowID: cs.WorkflowID, CaseID: cs.ID, Kind: "expert_score", Title: "专家评估打分：" + ent.Name,
		Stage: cs.Stage, CandidateRole: models.RoleExpert, CandidateDomain: models.RegionCode, JurisdictionCode: ent.JurisdictionCode,
		EnterpriseName: ent.Name, CampaignID: cs.CampaignID, AssigneeID: UserID(t, db, expert), Status: models.TaskOpen,
		DueAt: time.Now().Add(72 * time.Hour), Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, db.Create(&task).Error)
	return cs.ID, task.ID
}
