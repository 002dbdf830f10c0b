package web

import (
	"bytes"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/workflows"
)

type apiFieldError struct {
	Error struct {
		Code   string `json:"code"`
		Fields []struct {
			Field, Code, Message string
		} `json:"fields"`
	} `json:"error"`
}

func fieldsOf(t *testing.T, raw string) map[string]string {
	t.Helper()
	var e apiFieldError
	require.NoError(t, json.Unmarshal([]byte(raw), &e), raw)
	out := map[string]string{}
	for _, f := range e.Error.Fields {
		out[f.Field] = f.Code + ": " + f.Message
	}
	return out
}

// A candidate who does not meet the eligibility conditions of the sitting's level (申报条件,
// the common template unless the occupation has its own rule) is refused with the reason in
// Chinese, in the API and on the page; the facts are required; a region override changes the rule.
func TestSittingRefusesIneligibleCandidates(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 3, e.panelOfThree())
	tok := e.bearer("dairy")
	add := func(body map[string]any) (int, string) {
		return e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", merged(map[string]any{"name": "考生甲", "id_number": idStaff, "employee": true}, body), nil)
	}

	// 三级 needs 四级 + 5 years (or a senior technical school, or college + 2 years): 四级 three years ago is not enough.
	code, raw := add(map[string]any{"years_in_occupation": 10, "held_level": 4, "held_year": e.examYear() - 3, "education": "none"})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	f := fieldsOf(t, raw)
	require.Contains(t, f["eligibility"], "not_eligible: 不符合申报条件：申报三级/高级工须具备下列条件之一：（1）取得本职业或相关职业四级/中级工证书后累计从事本职业或相关职业工作满 5 年")
	require.Contains(t, f["eligibility"], "考生填报：累计从事本职业或相关职业工作 10 年")
	cands, err := e.db.Candidates(t.Context(), "s1")
	require.NoError(t, err)
	require.Empty(t, cands, "nothing stored")

	// The facts are required and checked.
	code, raw = add(map[string]any{"years_in_occupation": 3, "held_level": 4})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	f = fieldsOf(t, raw)
	require.Contains(t, f["held_year"], "required")
	require.Contains(t, f["education"], "required")

	// The same candidate with a senior technical school diploma qualifies.
	var cand models.SessionCandidate
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": "考生甲", "id_number": idStaff, "employee": true,
		"years_in_occupation": 10, "held_level": 4, "held_year": e.examYear() - 3, "education": "senior_technical"}, &cand)
	require.Equal(t, http.StatusCreated, code, raw)
	require.Equal(t, "senior_technical", cand.Education)
	require.Equal(t, 4, cand.HeldLevel)

	// The page: the conditions of the level are shown, a refusal comes back with what was typed.
	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.Contains(t, body, "申报条件（具备下列条件之一）")
	require.Contains(t, body, "申报条件：累计从事本职业或相关职业工作 10 年", "the registered candidate's declared facts")
	resp, body := e.postForm(c, "/sessions/s1/candidates", url.Values{"csrf_token": {csrfOf(t, body)}, "name": {"考生乙"}, "id_number": {idOther},
		"employee": {"on"}, "years_in_occupation": {"7"}, "held_level": {"0"}, "education": {"college"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "不符合申报条件：申报三级/高级工")
	require.Contains(t, body, `value="7"`, "the years typed are kept")
	require.Contains(t, body, `<option value="college" selected>`)

	// The region gives the occupation its own rule for 三级 (8 years, no certificate).
	region := e.bearer("region")
	var levels struct {
		Items []struct {
			Level    int      `json:"level"`
			Override bool     `json:"override"`
			Texts    []string `json:"texts"`
		} `json:"items"`
	}
	code, raw = e.call(region, http.MethodPut, "/api/v1/occupations/eligibility/6-02-04-01/3",
		map[string]any{"routes": []map[string]any{{"years": 8}}, "source": "乳品加工工国家职业技能标准", "reason": "该职业标准另有规定"}, &levels)
	require.Equal(t, http.StatusOK, code, raw)
	require.Len(t, levels.Items, 5)
	require.True(t, levels.Items[2].Override)
	require.Equal(t, []string{"累计从事本职业或相关职业工作满 8 年"}, levels.Items[2].Texts)
	code, raw = e.call(tok, http.MethodPut, "/api/v1/occupations/eligibility/6-02-04-01/3",
		map[string]any{"routes": []map[string]any{{"years": 1}}, "source": "x"}, nil)
	require.Equal(t, http.StatusForbidden, code, raw, "only the region sets conditions")
	code, raw = e.call(region, http.MethodPut, "/api/v1/occupations/eligibility/6-02-04-01/3",
		map[string]any{"routes": []map[string]any{{"held": 3}}, "source": "x"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["routes[0]"], "所需证书应低于申报等级")

	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": "考生乙", "id_number": idOther, "employee": true,
		"years_in_occupation": 7, "held_level": 0, "education": "none"}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["eligibility"], "（1）累计从事本职业或相关职业工作满 8 年")
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": "考生乙", "id_number": idOther, "employee": true,
		"years_in_occupation": 8, "held_level": 0, "education": "none"}, nil)
	require.Equal(t, http.StatusCreated, code, raw)
}

// Ethics (品德) and performance (业绩) are recorded with the scores, shown on the sitting page and
// to the appraisal centre; the pass rule stays the scores' (every required part at least 60, the
// comprehensive review for levels 2 and 1).
func TestScoresRecordEthicsAndPerformance(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s2", models.SessionOpen, 2, e.panelOfThree())
	tok := e.bearer("dairy")
	var cand models.SessionCandidate
	code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s2/candidates", map[string]any{"name": "考生甲", "id_number": idStaff, "employee": true,
		"years_in_occupation": 12, "held_level": 3, "held_year": 2015, "education": "none"}, &cand)
	require.Equal(t, http.StatusCreated, code, raw)
	put := func(body map[string]any) (int, string) {
		return e.call(tok, http.MethodPut, "/api/v1/sessions/s2/candidates/"+cand.ID+"/scores", body, &cand)
	}
	code, raw = put(map[string]any{"theory": 80, "skill": 75})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["review"], "required", "二级 has a comprehensive review")
	code, raw = put(map[string]any{"theory": 80, "skill": 75, "review": 59, "ethics": "遵守职业道德", "performance": "主持技改项目一项"})
	require.Equal(t, http.StatusOK, code, raw)
	require.Equal(t, "fail", cand.Result, "a review under 60 fails")
	code, raw = put(map[string]any{"theory": 80, "skill": 75, "review": 60, "ethics": "遵守职业道德，无违纪记录", "performance": "主持技改项目一项，获公司创新奖"})
	require.Equal(t, http.StatusOK, code, raw)
	require.Equal(t, "pass", cand.Result)
	require.Equal(t, "遵守职业道德，无违纪记录", cand.Ethics)
	require.Equal(t, "主持技改项目一项，获公司创新奖", cand.Performance)
	code, raw = put(map[string]any{"theory": 80, "skill": 75, "review": 60, "ethics": strings.Repeat("德", 501)})
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["ethics"], "too_long")

	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s2", http.StatusOK)
	for _, want := range []string{`<th scope="col">综合评审</th>`, `<th scope="col">品德、业绩</th>`, "品德：遵守职业道德，无违纪记录",
		"业绩：主持技改项目一项，获公司创新奖", `name="scores[0].ethics"`, `name="scores[0].performance"`} {
		require.Contains(t, body, want)
	}

	// The centre's audit task shows them.
	audit := e.sittingTask("s2", workflows.KindAuditResults, models.RoleRegionCentre, models.RegionCode)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s2", Status: models.SessionSubmitted}, OpenTasks: []models.Task{audit}})
	body = e.pageOK(e.login("centre"), taskHref(audit.ID), http.StatusOK)
	for _, want := range []string{`<td data-label="综合评审">60</td>`, "品德：遵守职业道德，无违纪记录", "业绩：主持技改项目一项，获公司创新奖"} {
		require.Contains(t, body, want)
	}
}

// examYear is the year (Asia/Shanghai) of the exam date seedSitting gives a sitting.
func (e *sittingEnv) examYear() int {
	return time.Now().AddDate(0, 0, 7).UTC().Truncate(24 * time.Hour).In(domain.Shanghai).Year()
}

// upload sends a photo to the API as multipart/form-data.
func (e *sittingEnv) upload(token, path string, photo []byte) (int, string) {
	e.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, err := w.CreateFormFile("photo", "photo.jpg")
	require.NoError(e.t, err)
	_, _ = part.Write(photo)
	require.NoError(e.t, w.Close())
	req, _ := http.NewRequest(http.MethodPut, e.srv.URL+path, &b)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", w.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

func photoOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, jpeg.Encode(&b, image.NewRGBA(image.Rect(0, 0, w, h)), nil))
	return b.Bytes()
}

// The holder's identity as the national sample prints it: the ID type, the gender (derived from
// a resident ID number, entered for other documents) and a checked photo, shown on the sitting
// and on the certificate page of viewers in scope, never on the public page.
func TestCandidateIdentityPhotoAndCertificate(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	tok := e.bearer("dairy")
	facts := map[string]any{"employee": true, "years_in_occupation": 7, "education": "none"}
	var woman, visitor models.SessionCandidate
	code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", merged(facts, map[string]any{"name": "考生甲", "id_number": idSuper, "gender": "male"}), nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["gender"], "gender_mismatch: 性别与身份证号码不符：按身份证号码应为女")
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", merged(facts, map[string]any{"name": "考生甲", "id_number": idSuper}), &woman)
	require.Equal(t, http.StatusCreated, code, raw)
	require.Equal(t, "resident_id", woman.IDType)
	require.Equal(t, "female", woman.Gender)
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", merged(facts, map[string]any{"name": "陈大文", "id_number": "H01234567", "id_type": "hk_macao_permit"}), nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["gender"], "required")
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", merged(facts, map[string]any{"name": "陈大文", "id_number": "H01234567",
		"id_type": "hk_macao_permit", "gender": "male"}), &visitor)
	require.Equal(t, http.StatusCreated, code, raw)
	require.Equal(t, "male", visitor.Gender)

	// The photo: type, size and pixels checked; only the sitting's readers get it back.
	photoPath := "/api/v1/sessions/s1/candidates/" + woman.ID + "/photo"
	code, raw = e.upload(tok, photoPath, []byte("GIF89a not a photo"))
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["photo"], "JPEG 或 PNG")
	code, raw = e.upload(tok, photoPath, photoOf(t, 413, 295))
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, fieldsOf(t, raw)["photo"], "竖幅")
	photo := photoOf(t, 295, 413)
	code, raw = e.upload(tok, photoPath, photo)
	require.Equal(t, http.StatusOK, code, raw)
	code, raw = e.upload(e.bearer("power"), photoPath, photo)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, code, raw)
	code, got := e.call(tok, http.MethodGet, photoPath, nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, string(photo), got)
	code, _ = e.call(e.bearer("power"), http.MethodGet, photoPath, nil, nil)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, code)
	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	for _, want := range []string{"居民身份证，女", "港澳居民来往内地通行证，男", `<a href="` + photoPath + `">已上传照片</a>`,
		`action="/sessions/s1/candidates/` + woman.ID + `/photo"`, `name="id_type"`, `name="gender"`} {
		require.Contains(t, body, want)
	}

	// Issued with the candidate's identity (as IssueCertificates copies it).
	cand, err := e.db.CandidateByID(t.Context(), woman.ID)
	require.NoError(t, err)
	require.NoError(t, e.db.Create(&models.Certificate{ID: "cert-1", Number: "Y000015000123264000001", EnterpriseID: dairyEnterpriseID, CaseID: dairyCase,
		SessionID: "s1", CandidateKey: "s1/" + woman.ID, HolderName: "考生甲", IDCipher: cand.IDCipher, IDLookup: cand.IDLookup, IDMasked: cand.IDMasked,
		OccupationCode: "6-02-04-01", OccupationName: "乳品加工工", WorkType: "--", Level: 4, IssueDate: time.Now().UTC(), IssuerName: dairyEntName,
		Status: models.CertificateValid, Token: "abcdefghijklmnopqrstuvwxyzABCDEF", Signature: "sig", CreatedAt: time.Now().UTC(),
		HolderIdentity: cand.HolderIdentity}).Error)
	body = e.pageOK(c, "/certificates/cert-1", http.StatusOK)
	for _, want := range []string{"<dt>性别</dt><dd>女</dd>", "<dt>证件类型</dt><dd>居民身份证</dd>", `<img src="/certificates/cert-1/photo" alt="持证人照片"`} {
		require.Contains(t, body, want)
	}
	resp, got := e.get(c, "/certificates/cert-1/photo")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, string(photo), got)
	require.Equal(t, "private, no-store", resp.Header.Get("Cache-Control"))
	resp, _ = e.get(e.login("power"), "/certificates/cert-1/photo")
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, resp.StatusCode)
	// The public page (from the QR code) shows the gender but not the photo.
	resp, body = e.get(e.browser(), "/c/abcdefghijklmnopqrstuvwxyzABCDEF")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "<dt>性别</dt><dd>女</dd>")
	require.NotContains(t, body, "/photo")
}
