package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/workflows"
)

// candidateRowOf is the sitting page's row of a candidate in the candidates table.
func candidateRowOf(t *testing.T, body, name string) string {
	t.Helper()
	i := strings.Index(body, `<td data-label="姓名">`+name+`</td>`)
	require.NotEqual(t, -1, i, name)
	end := strings.Index(body[i:], "</tr>")
	return body[i : i+end]
}

// A defect: after the centre's audit a candidate who failed still showed 待审核 (the centre
// audits the passes only, so the failed candidate's audit status stays pending). Every
// candidate now has a final status: 未通过, 通过，公示中, 通过，已发证.
func TestSittingShowsTheFinalStatusOfAFailedCandidateAfterTheAudit(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	tok := e.bearer("dairy")
	ids := map[string]string{}
	for _, x := range []struct {
		name, id      string
		theory, skill int
	}{{"考生甲", idStaff, 80, 75}, {"考生乙", idOther, 50, 90}} {
		var cand models.SessionCandidate
		code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": x.name, "id_number": x.id, "employee": true,
			"years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &cand)
		require.Equal(t, http.StatusCreated, code, raw)
		ids[x.name] = cand.ID
		code, raw = e.call(tok, http.MethodPut, "/api/v1/sessions/s1/candidates/"+cand.ID+"/scores", map[string]any{"theory": x.theory, "skill": x.skill}, nil)
		require.Equal(t, http.StatusOK, code, raw)
	}
	c := e.login("dairy")
	row := candidateRowOf(t, e.pageOK(c, "/sessions/s1", http.StatusOK), "考生乙")
	require.Contains(t, row, "待报送")

	// The centre approves: 考生甲 approved (its publicity runs), 考生乙 untouched (failed).
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionPublicity},
		Candidates: []models.CandidateUpdate{{ID: ids["考生甲"], AuditStatus: "approved"}}})
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	row = candidateRowOf(t, body, "考生乙")
	require.Contains(t, row, "未通过")
	require.NotContains(t, row, "待审核", "a failed candidate is not still awaiting the audit")
	require.Contains(t, candidateRowOf(t, body, "考生甲"), "通过，公示中")
	// The league reads the same.
	require.Contains(t, candidateRowOf(t, e.pageOK(e.login("hohhot"), "/sessions/s1", http.StatusOK), "考生乙"), "未通过")

	// The API says it too.
	var sd struct {
		Candidates []struct{ Name, Status, StatusName string } `json:"candidates"`
	}
	code, raw := e.call(tok, http.MethodGet, "/api/v1/sessions/s1", nil, nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, raw, `"status":"failed","status_name":"未通过"`)
	_ = sd
}

// The score grid saves every candidate's scores in one form; any refused cell refuses the
// whole form (nothing saved), every refusal at the top linked to its cell, everything typed kept.
func TestSittingScoreGridAllOrNothing(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	tok := e.bearer("dairy")
	for _, x := range [][2]string{{"考生甲", idStaff}, {"考生乙", idOther}, {"考生丙", idSuper}} {
		code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": x[0], "id_number": x[1], "employee": true,
			"years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, nil)
		require.Equal(t, http.StatusCreated, code, raw)
	}
	cands, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	csrf := csrfOf(t, body)
	for i := range cands {
		require.Contains(t, body, `name="scores[`+string(rune('0'+i))+`].theory"`)
	}
	form := url.Values{"csrf_token": {csrf}}
	for i, x := range cands {
		p := "scores[" + string(rune('0'+i)) + "]."
		form.Set(p+"candidate_id", x.ID)
	}
	form.Set("scores[0].theory", "80")
	form.Set("scores[0].skill", "75")
	form.Set("scores[0].notes", "表现良好")
	form.Set("scores[1].theory", "101") // out of range
	form.Set("scores[1].skill", "90")
	form.Set("scores[2].theory", "七十") // not a number
	form.Set("scores[2].skill", "65")
	resp, body := e.postForm(c, "/sessions/s1/scores", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `href="#f-scores-2-theory"`)
	require.Contains(t, body, "考生丙：请填写 0 至 100 的整数分数")
	require.Contains(t, body, `value="101"`)
	require.Contains(t, body, `value="七十"`)
	require.Contains(t, body, `value="表现良好"`)
	saved, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	for _, x := range saved {
		require.Equal(t, "pending", x.Result, "nothing saved while a cell is refused")
	}
	// The number fixed, the range error remains: reported with the candidate's name, still nothing saved.
	form.Set("scores[2].theory", "70")
	resp, body = e.postForm(c, "/sessions/s1/scores", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `id="f-scores-1-theory-err"><p>考生乙：理论知识考试成绩应为 0 至 100 分。</p>`)
	require.Contains(t, body, `href="#f-scores-1-theory"`)
	form.Set("scores[1].theory", "50")
	resp, _ = e.postForm(c, "/sessions/s1/scores", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已保存 3 名考生的成绩（合格 2 名，不合格 1 名）")
	saved, err = e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Equal(t, []string{"pass", "fail", "pass"}, []string{saved[0].Result, saved[1].Result, saved[2].Result})
	require.Equal(t, "表现良好", saved[0].Notes)
	// Posting the same again changes nothing.
	resp, _ = e.postForm(c, "/sessions/s1/scores", form)
	require.Contains(t, flashOf(resp), "成绩没有变化")

	// The API: the same rule, the same refusals.
	code, raw := e.call(tok, http.MethodPut, "/api/v1/sessions/s1/scores", map[string]any{"scores": []map[string]any{
		{"candidate_id": cands[0].ID, "theory": 120, "skill": 80}, {"candidate_id": "nope", "theory": 60, "skill": 60}}}, nil)
	require.Equal(t, http.StatusUnprocessableEntity, code, raw)
	require.Contains(t, raw, `"field":"scores[0].theory"`)
	require.Contains(t, raw, `"field":"scores[1].candidate_id"`)
}

// A candidate registered by mistake is removed with a reason (audited) while the sitting is
// open; after the results are submitted the removal is refused.
func TestSittingRemovesACandidateBeforeSubmission(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	tok := e.bearer("dairy")
	var cand models.SessionCandidate
	code, raw := e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": "误登记", "id_number": idStaff, "employee": true,
		"years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &cand)
	require.Equal(t, http.StatusCreated, code, raw)
	c := e.login("dairy")
	body := e.pageOK(c, "/sessions/s1", http.StatusOK)
	action := "/sessions/s1/candidates/" + cand.ID + "/remove"
	require.Contains(t, body, `action="`+action+`"`)
	csrf := csrfOf(t, body)

	resp, body := e.postForm(c, action, url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "请填写移除考生的原因")
	require.Contains(t, body, `<details class="remove" open>`)
	resp, _ = e.postForm(c, action, url.Values{"csrf_token": {csrf}, "reason": {"误登记，非本场次考生"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已移除考生 误登记")
	left, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Empty(t, left)
	var n int64
	require.NoError(t, e.db.Model(&models.AuditEntry{}).Where("action = ? AND object_id = ? AND reason = ?", "session.candidate_remove", "s1", "误登记，非本场次考生").Count(&n).Error)
	require.EqualValues(t, 1, n, "the removal is audited with its reason")

	// Registered again, the results submitted: removal refused, by the page and the API.
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates", map[string]any{"name": "考生甲", "id_number": idStaff, "employee": true,
		"years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &cand)
	require.Equal(t, http.StatusCreated, code, raw)
	e.apply(models.Transition{Session: &models.AssessmentSession{ID: "s1", Status: models.SessionSubmitted}})
	body = e.pageOK(c, "/sessions/s1", http.StatusOK)
	require.NotContains(t, body, "/remove\"", "no removal once submitted")
	resp, body = e.postForm(c, "/sessions/s1/candidates/"+cand.ID+"/remove", url.Values{"csrf_token": {csrf}, "reason": {"误登记"}})
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Contains(t, body, "认定结果已报送审核，不能再移除考生")
	code, raw = e.call(tok, http.MethodPost, "/api/v1/sessions/s1/candidates/"+cand.ID+"/remove", map[string]any{"reason": "误登记"}, nil)
	require.Equal(t, http.StatusConflict, code, raw)
	require.Contains(t, raw, "candidate_locked")
	left, err = e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, left, 1)
	// Another enterprise cannot remove anyone.
	code, _ = e.call(e.bearer("power"), http.MethodPost, "/api/v1/sessions/s1/candidates/"+cand.ID+"/remove", map[string]any{"reason": "误登记"}, nil)
	require.Equal(t, http.StatusForbidden, code)
}

// workbook builds an XLSX with a header row and rows.
func workbook(t *testing.T, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for r, rec := range rows {
		for i, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+1)
			require.NoError(t, f.SetCellValue("Sheet1", cell, v))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// postWorkbook uploads an XLSX from the sitting page's import form.
func (e *sittingEnv) postWorkbook(c *http.Client, path, csrf string, content []byte) (*http.Response, string) {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(e.t, mw.WriteField("csrf_token", csrf))
	fw, err := mw.CreateFormFile("file", "考生.xlsx")
	require.NoError(e.t, err)
	_, _ = fw.Write(content)
	require.NoError(e.t, mw.Close())
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, &buf)
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// The XLSX import of candidates checks every row as the registration form does — eligibility
// included — and answers every refusal at once by row number; nothing is registered while any
// row is refused. The import of scores finds the candidates of the exported workbook by the
// masked number and name.
func TestSittingImportsCandidatesAndScoresFromXLSX(t *testing.T) {
	e := newSittingEnv(t, workflows.StageActive)
	e.seedSitting("s1", models.SessionOpen, 4, e.panelOfThree())
	c := e.login("dairy")
	csrf := csrfOf(t, e.pageOK(c, "/sessions/s1", http.StatusOK))
	header := []string{"序号", "姓名", "证件类型", "证件号码", "性别", "本企业职工", "从事本职业（相关职业）工作年限", "已取得证书等级", "取证年份", "学历", "学徒期满"}
	good1 := []string{"1", "考生甲", "居民身份证", idStaff, "", "是", "20", "二级", "2010", "无本专业（相关专业）学历", "否"}
	good2 := []string{"2", "考生乙", "", idOther, "", "是", "7", "未取得", "", "", "否"}
	notEligible := []string{"3", "考生丙", "", idSuper, "", "是", "1", "未取得", "", "", "否"}
	notEmployee := []string{"4", "外单位", "", "110101199003071234", "", "否", "八", "", "", "博士", "否"}
	dup := []string{"5", "考生甲", "", idStaff, "", "是", "20", "二级", "2010", "", "否"}

	resp, body := e.postWorkbook(c, "/sessions/s1/import/candidates", csrf, workbook(t, header, good1, good2, notEligible, notEmployee, dup))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, "导入未完成，没有保存任何内容")
	for _, want := range []string{
		"第 4 行：不符合申报条件：申报四级/中级工须具备下列条件之一", // eligibility, as the form
		"第 5 行“从事本职业（相关职业）工作年限”：请填写整数",
		"第 5 行“学历”：学历应为",
		"第 6 行“证件号码”：与第 2 行是同一证件号码",
	} {
		require.Contains(t, body, want)
	}
	require.Less(t, strings.Index(body, "第 4 行"), strings.Index(body, "第 6 行"), "by row")
	none, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Empty(t, none, "nothing registered while a row is refused")

	resp, _ = e.postWorkbook(c, "/sessions/s1/import/candidates", csrf, workbook(t, header, good1, good2))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已导入并登记 2 名考生")
	cands, err := e.db.Candidates(context.Background(), "s1")
	require.NoError(t, err)
	require.Len(t, cands, 2)
	require.Equal(t, 7, cands[1].YearsInOccupation)

	// The export: the candidates with masked numbers, the score columns empty.
	resp, err = c.Get(e.srv.URL + "/sessions/s1/workbook.xlsx")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	book, err := excelize.OpenReader(bytes.NewReader(raw))
	require.NoError(t, err)
	rows, err := book.GetRows(book.GetSheetList()[0])
	require.NoError(t, err)
	require.Len(t, rows, 3)
	require.Equal(t, "理论知识考试", rows[0][11])
	require.Equal(t, cands[0].IDMasked, rows[1][3])
	require.NotContains(t, string(raw), idStaff)

	// Scores into the exported file: one refused row refuses the file.
	for r := 1; r <= 2; r++ {
		for len(rows[r]) < 14 {
			rows[r] = append(rows[r], "")
		}
	}
	rows[1][11], rows[1][12] = "88", "92"
	rows[2][11], rows[2][12] = "59", "abc"
	resp, body = e.postWorkbook(c, "/sessions/s1/import/scores", csrf, workbook(t, rows...))
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "第 3 行“操作技能考核”：请填写 0 至 100 的整数分数")
	cands, _ = e.db.Candidates(context.Background(), "s1")
	require.Equal(t, "pending", cands[0].Result, "nothing saved")
	rows[2][12] = "70"
	resp, _ = e.postWorkbook(c, "/sessions/s1/import/scores", csrf, workbook(t, rows...))
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已导入 2 名考生的成绩")
	cands, _ = e.db.Candidates(context.Background(), "s1")
	require.Equal(t, []string{"pass", "fail"}, []string{cands[0].Result, cands[1].Result})
}
