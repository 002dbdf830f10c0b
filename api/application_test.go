package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/fixtures"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
	"skillcert/service"
)

// Valid ID numbers used in the forms below (domain.md §5 and computed independently).
const (
	idStaff     = fixtures.IDStaff
	idAssessor1 = fixtures.IDAssessor1
	idAssessor2 = fixtures.IDAssessor2
	idSuper     = fixtures.IDSuper
	idOther     = fixtures.IDOther
)

var allTestIDs = []string{idStaff, idAssessor1, idAssessor2, idSuper, idOther, "340524198001010013"}

// lockedBuffer collects log output written from the server's goroutines.
type lockedBuffer = fixtures.LockedBuffer

// appEnv is a test server whose lifecycle hand-over is recorded instead of starting a
// Temporal workflow, with its logs captured.
type appEnv struct {
	*testEnv
	api    *Server
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
	e := &appEnv{testEnv: &testEnv{t: t, db: db, now: time.Now()}, logs: &lockedBuffer{}}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return e.now })
	deps.Logger = slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.storage = deps.StorageDir
	s := newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey})
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
	e.srv = httptest.NewServer(s.Handler(nil))
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

// errorBody is the shape of an error answer.
type errorBody struct {
	Error struct {
		Code    string                `json:"code"`
		Message string                `json:"message"`
		Fields  []validate.FieldError `json:"fields"`
	} `json:"error"`
}

// attachmentsOf stores one attachment per purpose for the enterprise, as an upload would.
func (e *appEnv) attachmentsOf(username string) map[string]models.AttachmentRef {
	return fixtures.Attachments(e.t, e.db, username)
}

// goodForm is a complete, correct application of 呼和浩特乳业示范有限公司 citing refs.
func goodForm(refs map[string]models.AttachmentRef) appcheck.Form { return fixtures.GoodForm(refs) }

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

func TestApplicationTenFieldErrorsThenCorrectedSubmission(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		dairy := e.bearer("dairy")

		// The first visit creates a draft pre-filled from the enterprise's registration.
		v := e.mine(dairy)
		require.Equal(t, models.ApplicationDraft, v.Status)
		require.True(t, v.Editable)
		require.Equal(t, 1, v.DraftVersion)
		require.Equal(t, "draft", v.FormSource)
		require.Equal(t, "呼和浩特乳业示范有限公司", v.Form.Applicant.Name)
		require.Equal(t, "91150105MA0N00001B", v.Form.Applicant.CreditCode)
		require.Equal(t, "呼和浩特市赛罕区金桥开发区示范路1号", v.Form.Applicant.Address)
		require.Empty(t, v.Warnings, "an empty draft has nothing wrong yet")
		require.Equal(t, v.ID, e.mine(dairy).ID, "the second visit finds the same draft")
		require.Equal(t, int64(1), e.auditCount("application.create", models.OutcomeOK))

		refs := e.attachmentsOf("dairy")
		good := goodForm(refs)
		bad := goodForm(refs)
		bad.Applicant.CreditCode = "91150105MA0N00001A"                                                                     // 1 check character
		bad.Contact.Landline = "6606214"                                                                                    // 2 no area code
		bad.Contact.Mobile = "12345"                                                                                        // 3
		bad.Contact.Email = "hr#example.com"                                                                                // 4
		bad.Occupations[0] = models.OccupationRow{Name: "焊工", Code: "6-18-02-04", Fee: "300", Levels: validate.FullRange()} // 5 access-type
		bad.Occupations[1].Levels = validate.LevelRange{Low: validate.Level5, High: validate.Level3}                        // 6 乳品评鉴师 has only 三级至一级
		bad.Equipment[0].Quantity = 0                                                                                       // 7
		bad.Staff[0].IDNumber = "340524198001010013"                                                                        // 8 should end in X
		bad.Assessors[1].Agreement = nil                                                                                    // 9 non-employee
		bad.Conditions[3].Explanation = ""                                                                                  // 10
		wantFields := []string{"applicant.credit_code", "contact.landline", "contact.mobile", "contact.email",
			"occupations[0].code", "occupations[1].levels", "equipment[0].quantity", "staff[0].id_number",
			"assessors[1].agreement", "conditions[3].explanation"}

		// A draft saves whatever was typed; it only warns about what is malformed.
		var saved service.DraftResponse
		code, body := e.call(dairy, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", service.DraftRequest{DraftVersion: 1, Form: bad}, &saved)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, 2, saved.DraftVersion)
		warned := map[string]bool{}
		for _, w := range saved.Warnings {
			warned[w.Field] = true
		}
		require.True(t, warned["contact.mobile"] && warned["staff[0].id_number"], "warnings: %v", saved.Warnings)
		require.False(t, warned["equipment[0].quantity"] || warned["conditions[3].explanation"], "nothing is required of a draft")

		// Submitting reports exactly the ten faults, each on its field, in Chinese.
		var eb errorBody
		code, body = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 2}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code, body)
		require.Equal(t, "invalid", eb.Error.Code)
		var got []string
		for _, f := range eb.Error.Fields {
			got = append(got, f.Field)
			require.NotEmpty(t, f.Message)
			require.Regexp(t, `\p{Han}`, f.Message, "message in Chinese")
		}
		require.Equal(t, wantFields, got, "fields: %+v", eb.Error.Fields)
		byField := map[string]validate.FieldError{}
		for _, f := range eb.Error.Fields {
			byField[f.Field] = f
		}
		require.Equal(t, "credit_code_check", byField["applicant.credit_code"].Code)
		require.Equal(t, "occupation_excluded", byField["occupations[0].code"].Code)
		require.Equal(t, "id_check", byField["staff[0].id_number"].Code)
		require.Contains(t, byField["conditions[3].explanation"].Message, "足额提取职工教育经费")
		require.Equal(t, int64(1), e.auditCount("application.submit", models.OutcomeRejected))

		// The draft is intact: same version, same content, nothing submitted.
		var after service.ApplicationView
		code, body = e.call(dairy, http.MethodGet, "/api/v1/applications/"+v.ID, nil, &after)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, models.ApplicationDraft, after.Status)
		require.Equal(t, 2, after.DraftVersion)
		require.Zero(t, after.CurrentVersion)
		require.False(t, after.IDsMasked, "the enterprise sees its own people's ID numbers")
		require.Equal(t, bad.Contact.Mobile, after.Form.Contact.Mobile)
		require.Equal(t, bad.Staff[0].IDNumber, after.Form.Staff[0].IDNumber)
		require.Equal(t, bad.Assessors[1].IDNumber, after.Form.Assessors[1].IDNumber)
		require.Equal(t, 0, after.Form.Equipment[0].Quantity)
		require.Equal(t, "焊工", after.Form.Occupations[0].Name)
		require.Empty(t, after.Form.Conditions[3].Explanation)
		require.NotEmpty(t, after.Warnings)
		var versions service.ListResponse[models.ApplicationVersionInfo]
		e.call(dairy, http.MethodGet, "/api/v1/applications/"+v.ID+"/versions", nil, &versions)
		require.Zero(t, versions.Total)
		require.Empty(t, e.handedOver())

		// The corrected form is accepted as version 1 and handed to the lifecycle.
		code, body = e.call(dairy, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", service.DraftRequest{DraftVersion: 2, Form: good}, &saved)
		require.Equal(t, http.StatusOK, code, body)
		require.Empty(t, saved.Warnings)
		var sub service.SubmitResponse
		code, body = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 3}, &sub)
		require.Equal(t, http.StatusCreated, code, body)
		require.Equal(t, 1, sub.Version)
		require.Equal(t, models.ApplicationSubmitted, sub.Status)
		require.Equal(t, 4, sub.DraftVersion)
		campaign, _ := e.api.svc.CampaignFor(context.Background(), e.now)
		require.Equal(t, []service.SubmittedApplication{{ApplicationID: v.ID, Version: 1, EnterpriseID: v.EnterpriseID, CampaignID: campaign}}, e.handedOver())
		require.Equal(t, int64(1), e.auditCount("application.submit", models.OutcomeOK))

		// A double click stores nothing more and answers the same version.
		code, body = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 3}, &sub)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, 1, sub.Version)
		e.call(dairy, http.MethodGet, "/api/v1/applications/"+v.ID+"/versions", nil, &versions)
		require.EqualValues(t, 1, versions.Total)
		require.Equal(t, "乳业公司 人力资源部", versions.Items[0].SubmittedByName)

		// Submitted: locked for the enterprise until returned.
		code, body = e.call(dairy, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", service.DraftRequest{DraftVersion: 4, Form: good}, &eb)
		require.Equal(t, http.StatusConflict, code, body)
		require.Equal(t, "not_editable", eb.Error.Code)
		code, _ = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 4}, &eb)
		require.Equal(t, http.StatusConflict, code)

		// No ID number ever reached a log line or an audit row.
		var rows []models.AuditEntry
		require.NoError(t, db.Find(&rows).Error)
		audit, _ := json.Marshal(rows)
		for _, id := range allTestIDs {
			require.NotContains(t, e.logs.String(), id)
			require.NotContains(t, string(audit), id)
		}
	})
}

func TestApplicationAccessByRoleAndMasking(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		dairy := e.bearer("dairy")
		v := e.mine(dairy)
		e.submitForm(dairy, v.ID, goodForm(e.attachmentsOf("dairy")))
		path := "/api/v1/applications/" + v.ID

		// The league of the enterprise's county sees the submitted version with clear IDs, audited.
		hohhot := e.bearer("hohhot")
		var got service.ApplicationView
		code, body := e.call(hohhot, http.MethodGet, path, nil, &got)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, "version", got.FormSource)
		require.Equal(t, 1, got.FormVersion)
		require.False(t, got.Editable)
		require.False(t, got.IDsMasked)
		require.Equal(t, idStaff, got.Form.Staff[0].IDNumber)
		require.Equal(t, int64(1), e.auditCount("personal_data.read", models.OutcomeOK))

		// An expert not drawn for the application may not read it, nor its print page or export.
		expert := e.bearer("expert1")
		for _, p := range []string{path, path + "/versions", path + "/versions/1", path + "/compare?from=1&to=1", path + "/export.xlsx"} {
			code, body = e.call(expert, http.MethodGet, p, nil, nil)
			require.Equal(t, http.StatusForbidden, code, p+": "+body)
		}
		// Drawn onto its panel, the expert reads it, but not personal data: masked everywhere.
		webtest.DrawExpert(t, e.db, v.ID, "expert1")
		code, body = e.call(expert, http.MethodGet, path, nil, &got)
		require.Equal(t, http.StatusOK, code, body)
		require.True(t, got.IDsMasked)
		require.Equal(t, "150102********1230", got.Form.Staff[0].IDNumber)
		require.Equal(t, "110105********002X", got.Form.Assessors[1].IDNumber)
		var ver service.VersionView
		code, body2 := e.call(expert, http.MethodGet, path+"/versions/1", nil, &ver)
		require.Equal(t, http.StatusOK, code, body2)
		require.True(t, ver.IDsMasked)
		for _, id := range allTestIDs {
			require.NotContains(t, body, id)
			require.NotContains(t, body2, id)
		}
		// The county (pre-check) also sees masked numbers only.
		code, body = e.call(e.bearer("saihan"), http.MethodGet, path, nil, &got)
		require.Equal(t, http.StatusOK, code, body)
		require.True(t, got.IDsMasked)
		require.Equal(t, int64(1), e.auditCount("personal_data.read", models.OutcomeOK), "masked views are not personal-data reads")

		// The enterprise sees its own draft with clear IDs.
		code, body = e.call(dairy, http.MethodGet, path, nil, &got)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, "draft", got.FormSource)
		require.False(t, got.IDsMasked)
		require.Equal(t, idAssessor2, got.Form.Assessors[1].IDNumber)

		// Another league's official is refused, and the refusal is audited.
		baotou := e.bearer("baotou")
		before := e.auditCount("application.read", models.OutcomeDenied)
		var eb errorBody
		code, _ = e.call(baotou, http.MethodGet, path, nil, &eb)
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, "forbidden", eb.Error.Code)
		code, _ = e.call(baotou, http.MethodGet, path+"/versions/1", nil, nil)
		require.Equal(t, http.StatusForbidden, code)
		code, _ = e.call(baotou, http.MethodGet, path+"/compare?from=1&to=1", nil, nil)
		require.Equal(t, http.StatusForbidden, code)
		require.Equal(t, before+3, e.auditCount("application.read", models.OutcomeDenied))
		var denial models.AuditEntry
		require.NoError(t, db.Where("action = ? AND outcome = ?", "application.read", models.OutcomeDenied).Order("seq DESC").First(&denial).Error)
		require.Equal(t, "baotou", denial.ActorName)
		require.Equal(t, "150105", denial.JurisdictionCode)

		// Another enterprise cannot read it; officials and experts cannot edit or submit it.
		code, _ = e.call(e.bearer("rare"), http.MethodGet, path, nil, nil)
		require.Equal(t, http.StatusForbidden, code)
		code, _ = e.call(hohhot, http.MethodPut, path+"/draft", service.DraftRequest{DraftVersion: got.DraftVersion}, nil)
		require.Equal(t, http.StatusForbidden, code)
		code, _ = e.call(expert, http.MethodPost, path+"/submit", service.SubmitRequest{DraftVersion: got.DraftVersion}, nil)
		require.Equal(t, http.StatusForbidden, code)
		code, _ = e.call(expert, http.MethodGet, path+"/compare?from=1&to=draft", nil, nil)
		require.Equal(t, http.StatusForbidden, code, "drafts are for the enterprise only")
		code, _ = e.call(hohhot, http.MethodGet, "/api/v1/applications/no-such-id", nil, nil)
		require.Equal(t, http.StatusNotFound, code)
		code, _ = e.call(hohhot, http.MethodGet, "/api/v1/applications/mine", nil, &eb)
		require.Equal(t, http.StatusNotFound, code)
		require.Equal(t, "no_enterprise", eb.Error.Code)
	})
}

func TestDraftOptimisticLocking(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		dairy := e.bearer("dairy")
		v := e.mine(dairy)
		path := "/api/v1/applications/" + v.ID + "/draft"

		first, second := *v.Form, *v.Form
		first.Strengths, second.Strengths = "第一个窗口的内容", "第二个窗口的内容"
		var saved service.DraftResponse
		code, body := e.call(dairy, http.MethodPut, path, service.DraftRequest{DraftVersion: 1, Form: first}, &saved)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, 2, saved.DraftVersion)

		// The second window still holds version 1: refused, not overwritten.
		var eb errorBody
		code, body = e.call(dairy, http.MethodPut, path, service.DraftRequest{DraftVersion: 1, Form: second}, &eb)
		require.Equal(t, http.StatusConflict, code, body)
		require.Equal(t, "stale_draft", eb.Error.Code)
		require.Contains(t, eb.Error.Message, "第2稿")
		got := e.mine(dairy)
		require.Equal(t, "第一个窗口的内容", got.Form.Strengths)
		require.Equal(t, 2, got.DraftVersion)

		// After reloading it saves; submitting a stale version is refused the same way.
		code, _ = e.call(dairy, http.MethodPut, path, service.DraftRequest{DraftVersion: 2, Form: second}, &saved)
		require.Equal(t, http.StatusOK, code)
		code, _ = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 2}, &eb)
		require.Equal(t, http.StatusConflict, code)
		require.Equal(t, "stale_draft", eb.Error.Code)

		// Malformed bodies are refused before anything is stored: an unknown field or a
		// missing draft_version is 422 naming the field, a body that is not JSON 400.
		for raw, want := range map[string]int{`{"draft_version":3,"form":{"staff":[{"id":"x"}]}}`: http.StatusUnprocessableEntity,
			`{"form":{}}`: http.StatusUnprocessableEntity, `not json`: http.StatusBadRequest} {
			code, _ := e.apiDo(dairy, http.MethodPut, path, raw)
			require.Equal(t, want, code, raw)
		}
		require.Equal(t, 3, e.mine(dairy).DraftVersion)
	})
}

func TestVersionsCompareAndReturnReasons(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		ctx := context.Background()
		dairy := e.bearer("dairy")
		v := e.mine(dairy)
		path := "/api/v1/applications/" + v.ID
		refs := e.attachmentsOf("dairy")
		e.submitForm(dairy, v.ID, goodForm(refs))

		// The league returns version 1 for correction (as the lifecycle does).
		official, err := db.UserByUsername(ctx, "hohhot")
		require.NoError(t, err)
		reasons := []models.ReturnReason{
			{Field: "contact.mobile", Message: "联系人手机号码无法接通，请更正"},
			{Field: "staff[0].id_number", Message: "身份证号码与花名册不一致"},
			{Field: "contact.mobile", Message: "请同时确认座机"},
		}
		require.NoError(t, db.RecordReturn(ctx, v.ID, 1, reasons, official.ID, e.now))
		got := e.mine(dairy)
		require.Equal(t, models.ApplicationReturned, got.Status)
		require.True(t, got.Editable)
		require.NotNil(t, got.Return)
		require.Equal(t, 1, got.Return.Version)
		require.Equal(t, []string{"联系人手机号码无法接通，请更正", "请同时确认座机"}, got.Return.ByField["contact.mobile"])
		require.Len(t, got.Return.Reasons, 3)

		// Corrected and resubmitted as version 2.
		fixed := goodForm(refs)
		fixed.Contact.Mobile = "13900139000"
		fixed.Staff[0].IDNumber = idOther
		sub := e.submitForm(dairy, v.ID, fixed)
		require.Equal(t, 2, sub.Version)
		require.Len(t, e.handedOver(), 2)
		require.Equal(t, 2, e.handedOver()[1].Version)

		var versions service.ListResponse[models.ApplicationVersionInfo]
		code, body := e.call(dairy, http.MethodGet, path+"/versions", nil, &versions)
		require.Equal(t, http.StatusOK, code, body)
		require.EqualValues(t, 2, versions.Total)
		var v1 service.VersionView
		code, body = e.call(dairy, http.MethodGet, path+"/versions/1", nil, &v1)
		require.Equal(t, http.StatusOK, code, body)
		require.Equal(t, "13800138000", v1.Form.Contact.Mobile)
		require.Equal(t, idStaff, v1.Form.Staff[0].IDNumber)
		code, _ = e.call(dairy, http.MethodGet, path+"/versions/3", nil, nil)
		require.Equal(t, http.StatusNotFound, code)

		// The comparison lists exactly the changed fields; changed ID numbers in full only for
		// those who may read personal data (the enterprise's own, the league), masked for the rest.
		masked := []appcheck.Change{
			{Field: "contact.mobile", Before: "13800138000", After: "13900139000"},
			{Field: "staff[0].id_number", Before: "150102********1230", After: "110101********0014"},
		}
		full := []appcheck.Change{
			{Field: "contact.mobile", Before: "13800138000", After: "13900139000"},
			{Field: "staff[0].id_number", Before: "150102199001011230", After: "110101190001010014"},
		}
		webtest.DrawExpert(t, e.db, v.ID, "expert1")
		for who, reveal := range map[string]bool{"dairy": true, "hohhot": true, "expert1": false} {
			var cmp service.CompareView
			code, body = e.call(e.bearer(who), http.MethodGet, path+"/compare?from=1&to=2", nil, &cmp)
			require.Equal(t, http.StatusOK, code, body)
			require.Equal(t, !reveal, cmp.IDsMasked, who)
			if reveal {
				require.Equal(t, full, cmp.Changes, who)
				continue
			}
			require.Equal(t, masked, cmp.Changes, who)
			for _, id := range allTestIDs {
				require.NotContains(t, body, id)
			}
		}
		var cmp service.CompareView
		code, _ = e.call(dairy, http.MethodGet, path+"/compare", nil, &cmp)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "1", cmp.From)
		require.Equal(t, full, cmp.Changes, "default: the latest version against the one before")
		code, _ = e.call(dairy, http.MethodGet, path+"/compare?from=2&to=draft", nil, &cmp)
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, cmp.Changes, "after submitting, the draft is the submitted version")
		code, _ = e.call(dairy, http.MethodGet, path+"/compare?from=x&to=2", nil, nil)
		require.Equal(t, http.StatusBadRequest, code)
	})
}

func TestCreditCodeOverrideByRegionOnly(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		dairy := e.bearer("dairy")
		v := e.mine(dairy)
		path := "/api/v1/applications/" + v.ID
		f := goodForm(e.attachmentsOf("dairy"))
		f.Applicant.CreditCode = "91150105MA0N00001A" // a genuine code whose check character fails
		f.Applicant.CreditCodeOverride = true         // the enterprise cannot set this itself
		var saved service.DraftResponse
		code, body := e.call(dairy, http.MethodPut, path+"/draft", service.DraftRequest{DraftVersion: 1, Form: f}, &saved)
		require.Equal(t, http.StatusOK, code, body)
		var eb errorBody
		code, _ = e.call(dairy, http.MethodPost, path+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Len(t, eb.Error.Fields, 1)
		require.Equal(t, "credit_code_check", eb.Error.Fields[0].Code)

		// Neither the enterprise nor a league may override; the refusals are audited.
		override := service.OverrideRequest{Reason: "已核对营业执照原件，代码真实有效"}
		for _, who := range []string{"dairy", "hohhot"} {
			code, _ = e.call(e.bearer(who), http.MethodPost, path+"/credit-code-override", override, nil)
			require.Equal(t, http.StatusForbidden, code, who)
		}
		require.Equal(t, int64(2), e.auditCount("application.override", models.OutcomeDenied))

		region := e.bearer("region")
		code, _ = e.call(region, http.MethodPost, path+"/credit-code-override", service.OverrideRequest{}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "reason", eb.Error.Fields[0].Field)
		code, _ = e.call(region, http.MethodPost, path+"/credit-code-override", service.OverrideRequest{Reason: "x", CreditCode: "91150105MA0N00001B"}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "override_not_needed", eb.Error.Fields[0].Code)
		code, _ = e.call(region, http.MethodPost, path+"/credit-code-override", service.OverrideRequest{Reason: "x", CreditCode: "9115010IMA0N00001B"}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code, "a malformed code cannot be excused")
		require.Equal(t, "credit_code_char", eb.Error.Fields[0].Code)

		code, body = e.call(region, http.MethodPost, path+"/credit-code-override", override, nil)
		require.Equal(t, http.StatusOK, code, body)
		var row models.AuditEntry
		require.NoError(t, db.Where("action = ? AND outcome = ?", "application.credit_code_override", models.OutcomeOK).First(&row).Error)
		require.Equal(t, "region", row.ActorName)
		require.Equal(t, "91150105MA0N00001A", row.AfterState)
		require.Equal(t, override.Reason, row.Reason)

		got := e.mine(dairy)
		require.Equal(t, "91150105MA0N00001A", got.CreditCodeOverride)
		require.True(t, got.Form.Applicant.CreditCodeOverride)
		var sub service.SubmitResponse
		code, body = e.call(dairy, http.MethodPost, path+"/submit", service.SubmitRequest{DraftVersion: got.DraftVersion}, &sub)
		require.Equal(t, http.StatusCreated, code, body)
		var v1 service.VersionView
		e.call(e.bearer("hohhot"), http.MethodGet, path+"/versions/1", nil, &v1)
		require.True(t, v1.Form.Applicant.CreditCodeOverride, "reviewers see that the code was accepted by override")
		var submitted models.AuditEntry
		require.NoError(t, db.Where("action = ? AND outcome = ?", "application.submit", models.OutcomeOK).First(&submitted).Error)
		require.Contains(t, submitted.Reason, "overridden")
	})
}

func TestDuplicateCreditCodeInCampaignIsRefused(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newAppEnv(t, db)
		dairy, rare := e.bearer("dairy"), e.bearer("rare")
		const shared = "91440101MA5CJQ4N59" // valid and registered to no enterprise
		d := e.mine(dairy)
		f := goodForm(e.attachmentsOf("dairy"))
		f.Applicant.CreditCode = shared
		e.submitForm(dairy, d.ID, f)

		r := e.mine(rare)
		require.NotEqual(t, d.ID, r.ID)
		g := goodForm(e.attachmentsOf("rare"))
		g.Applicant = models.Applicant{Name: "包头稀土冶炼示范股份有限公司", Address: "包头市昆都仑区钢铁大街示范路2号", CreditCode: shared}
		var saved service.DraftResponse
		code, body := e.call(rare, http.MethodPut, "/api/v1/applications/"+r.ID+"/draft", service.DraftRequest{DraftVersion: 1, Form: g}, &saved)
		require.Equal(t, http.StatusOK, code, body)
		var eb errorBody
		code, body = e.call(rare, http.MethodPost, "/api/v1/applications/"+r.ID+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code, body)
		require.Equal(t, []validate.FieldError{{Field: "applicant.credit_code", Code: "duplicate_application", Message: eb.Error.Fields[0].Message}}, eb.Error.Fields)
		require.Contains(t, eb.Error.Fields[0].Message, "已有申报")

		// Another enterprise's registered code is refused too.
		g.Applicant.CreditCode = "91150105MA0N00001B"
		code, _ = e.call(rare, http.MethodPut, "/api/v1/applications/"+r.ID+"/draft", service.DraftRequest{DraftVersion: saved.DraftVersion, Form: g}, &saved)
		require.Equal(t, http.StatusOK, code)
		code, _ = e.call(rare, http.MethodPost, "/api/v1/applications/"+r.ID+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "credit_code_taken", eb.Error.Fields[0].Code)
		require.Equal(t, models.ApplicationDraft, e.mine(rare).Status)

		// Citing another enterprise's attachment is refused on submit.
		g.Applicant.CreditCode = "91150203MA0N00002N"
		g.Rules = f.Rules
		code, _ = e.call(rare, http.MethodPut, "/api/v1/applications/"+r.ID+"/draft", service.DraftRequest{DraftVersion: saved.DraftVersion, Form: g}, &saved)
		require.Equal(t, http.StatusOK, code)
		code, _ = e.call(rare, http.MethodPost, "/api/v1/applications/"+r.ID+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &eb)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "rules[0]", eb.Error.Fields[0].Field)
	})
}

func TestFailedHandOverIsRetriedWithoutANewVersion(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	dairy := e.bearer("dairy")
	v := e.mine(dairy)
	var saved service.DraftResponse
	code, body := e.call(dairy, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", service.DraftRequest{DraftVersion: 1, Form: goodForm(e.attachmentsOf("dairy"))}, &saved)
	require.Equal(t, http.StatusOK, code, body)

	e.handOverErr = errors.New("temporal unreachable")
	var eb errorBody
	code, _ = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &eb)
	require.Equal(t, http.StatusServiceUnavailable, code)
	require.Equal(t, "handoff_pending", eb.Error.Code)
	require.Contains(t, eb.Error.Message, "第1版")
	require.NotContains(t, eb.Error.Message, "temporal", "internals stay in the log")
	require.Contains(t, e.logs.String(), "temporal unreachable")

	e.handOverErr = nil
	var sub service.SubmitResponse
	code, body = e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: saved.DraftVersion}, &sub)
	require.Equal(t, http.StatusOK, code, body)
	require.Equal(t, 1, sub.Version)
	require.Len(t, e.handedOver(), 1)
	var versions service.ListResponse[models.ApplicationVersionInfo]
	e.call(dairy, http.MethodGet, "/api/v1/applications/"+v.ID+"/versions", nil, &versions)
	require.EqualValues(t, 1, versions.Total)
	require.Equal(t, int64(1), e.auditCount("application.submit", models.OutcomeOK))
}

// fieldsOf lists the fields of an error answer, sorted.
func fieldsOf(eb errorBody) []string {
	var out []string
	for _, f := range eb.Error.Fields {
		out = append(out, f.Field)
	}
	sort.Strings(out)
	return out
}

func TestEmptyDraftSubmitListsEveryMissingField(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	dairy := e.bearer("dairy")
	v := e.mine(dairy)
	var eb errorBody
	code, _ := e.call(dairy, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", service.SubmitRequest{DraftVersion: 1}, &eb)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	fields := fieldsOf(eb)
	require.NotContains(t, fields, "applicant.name", "pre-filled from the registration")
	require.Contains(t, fields, "contact.mobile")
	require.NotContains(t, fields, "contact.name", "pre-filled from the registering account")
	require.Contains(t, fields, "conditions[6].evidence")
	require.Len(t, fields, 28)
}
