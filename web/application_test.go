package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
	"skillcert/service"
)

// Valid ID numbers used in the forms below (domain.md §5 and computed independently).
const (
	idStaff     = "150102199001011230"
	idAssessor1 = "150203198512310045"
	idAssessor2 = "11010519491231002X"
	idSuper     = "15010220000229002X"
	idOther     = "110101190001010014"
)

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// appEnv is a test server whose lifecycle hand-over is recorded instead of starting a
// Temporal workflow, with its logs captured.
type appEnv struct {
	*testEnv
	api    *stack
	logs   *lockedBuffer
	mu     sync.Mutex
	handed []service.SubmittedApplication
	// handOverErr, when set, makes the hand-over fail.
	handOverErr error
	// storage is the attachment store's directory.
	storage string
}

func newAppEnv(t *testing.T, db *models.DB) *appEnv {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, testPassword)
	require.NoError(t, err)
	enf, err := service.NewEnforcer(ctx, db)
	require.NoError(t, err)
	e := &appEnv{testEnv: &testEnv{t: t, db: db, now: time.Now()}, logs: &lockedBuffer{}, storage: t.TempDir()}
	s := newServer(t, service.Deps{DB: db, Enforcer: enf, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:     func() time.Time { return e.now },
		DataKey: []byte("data-key-data-key-data-key-32byt"), LookupKey: []byte("lookup-key-lookup-key-lookup-key"), StorageDir: e.storage},
		api.Config{PublicURL: "http://test", SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	s.svc.SetHandOver(func(_ context.Context, _ *service.Actor, sub service.SubmittedApplication) error {
		e.mu.Lock()
		defer e.mu.Unlock()
		if e.handOverErr != nil {
			return e.handOverErr
		}
		e.handed = append(e.handed, sub)
		return nil
	})
	e.api = s
	e.srv = httptest.NewServer(s.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

func (e *appEnv) handedOver() []service.SubmittedApplication {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]service.SubmittedApplication(nil), e.handed...)
}

// call sends a JSON request and decodes the answer into out (if not nil); it returns the
// status and the raw body.
func (e *appEnv) call(token, method, path string, body, out any) (int, string) {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(e.t, err)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+path, r)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && len(raw) > 0 {
		require.NoError(e.t, json.Unmarshal(raw, out), "body: %s", raw)
	}
	return resp.StatusCode, string(raw)
}

// attachmentsOf stores one attachment per purpose for the enterprise, as an upload would.
func (e *appEnv) attachmentsOf(username string) map[string]models.AttachmentRef {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.db.UserByUsername(ctx, username)
	require.NoError(e.t, err)
	ent, err := e.db.EnterpriseByID(ctx, u.Enterprise())
	require.NoError(e.t, err)
	purposes := []string{models.PurposeRules, models.PurposeSite, models.PurposeAgreement}
	for i := 1; i <= 7; i++ {
		purposes = append(purposes, models.ConditionPurpose(i))
	}
	refs := map[string]models.AttachmentRef{}
	for _, p := range purposes {
		a := &models.Attachment{EnterpriseID: ent.ID, JurisdictionCode: ent.JurisdictionCode, Purpose: p, Name: p + ".pdf",
			ContentType: "application/pdf", Size: 42, SHA256: strings.Repeat("a", 64), StorageKey: models.NewID(), UploadedBy: u.ID}
		require.NoError(e.t, e.db.CreateAttachment(ctx, a))
		refs[p] = models.AttachmentRef{ID: a.ID, Name: a.Name, SHA256: a.SHA256}
	}
	return refs
}

// goodForm is a complete, correct application of 呼和浩特乳业示范有限公司 citing refs.
func goodForm(refs map[string]models.AttachmentRef) appcheck.Form {
	one := func(p string) []models.AttachmentRef { return []models.AttachmentRef{refs[p]} }
	f := appcheck.Form{
		Applicant: models.Applicant{Name: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号", CreditCode: "91150105MA0N00001B"},
		Contact:   models.Contact{Name: "王敏", Post: "人力资源部部长", Landline: "(0471)6606214", Mobile: "13800138000", Email: "hr@example.com"},
		Rules:     one(models.PurposeRules),
		Occupations: []models.OccupationRow{
			{Name: "乳品加工工", Code: "6-02-04-01", Fee: "300", Levels: validate.LevelRange{Low: validate.Level5, High: validate.Level3}},
			{Name: "乳品评鉴师", Code: "6-02-04-02", Fee: "500", Levels: validate.LevelRange{Low: validate.Level3, High: validate.Level1}},
		},
		Strengths:  "设有技能人才评价中心，乳品加工技术全区领先。",
		Site:       models.Site{Description: "实训基地2000平方米，理论考场3间。", Ownership: one(models.PurposeSite)},
		Equipment:  []models.EquipmentRow{{Name: "巴氏杀菌机", Brand: "伊科", Model: "PS-2000", Quantity: 2, Ownership: "自有"}},
		ExamSystem: "机考系统一套，考场全覆盖高清视频监控。",
		Staff:      []appcheck.StaffRow{{Name: "李强", IDNumber: idStaff, Title: "评价中心主任", Education: "本科", Duties: "统筹评价工作", Employee: true}},
		Assessors: []appcheck.ExpertRow{
			{Name: "赵刚", IDNumber: idAssessor1, Employer: "本单位", Title: "高级技师", Education: "大专", Occupation: "乳品加工工", Employee: true},
			{Name: "孙丽", IDNumber: idAssessor2, Employer: "内蒙古农业大学", Title: "教授", Education: "博士", Occupation: "乳品评鉴师",
				Agreement: one(models.PurposeAgreement)},
		},
		Supervisors: []appcheck.ExpertRow{{Name: "周平", IDNumber: idSuper, Employer: "本单位", Title: "质量部经理", Education: "本科",
			Occupation: "乳品加工工", Employee: true}},
	}
	for i := range f.Conditions {
		f.Conditions[i] = models.Condition{Explanation: "符合，详见佐证材料。", Evidence: one(models.ConditionPurpose(i + 1))}
	}
	return f
}

// mine opens the enterprise user's application.
func (e *appEnv) mine(token string) service.ApplicationView {
	e.t.Helper()
	var v service.ApplicationView
	code, body := e.call(token, http.MethodGet, "/api/v1/applications/mine", nil, &v)
	require.Equal(e.t, http.StatusOK, code, body)
	return v
}

// submitForm saves the form over the current draft and submits it, expecting success.
func (e *appEnv) submitForm(token, id string, f appcheck.Form) service.SubmitResponse {
	e.t.Helper()
	var v service.ApplicationView
	code, body := e.call(token, http.MethodGet, "/api/v1/applications/"+id, nil, &v)
	require.Equal(e.t, http.StatusOK, code, body)
	var saved service.DraftResponse
	code, body = e.call(token, http.MethodPut, "/api/v1/applications/"+id+"/draft", service.DraftRequest{DraftVersion: v.DraftVersion, Form: f}, &saved)
	require.Equal(e.t, http.StatusOK, code, body)
	var sub service.SubmitResponse
	code, body = e.call(token, http.MethodPost, "/api/v1/applications/"+id+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &sub)
	require.Equal(e.t, http.StatusCreated, code, body)
	return sub
}
