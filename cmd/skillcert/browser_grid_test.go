package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/domain"
	"skillcert/internal/driver"
)

// gridPlans are the candidates of the second sitting each viewport's enterprise imports: the
// last one is registered by mistake and removed again.
var gridPlans = map[string][]sittingCandidate{
	"desktop": {{"导入甲", driver.DemoIDNumber("150105", 711), 88, 91}, {"导入乙", driver.DemoIDNumber("150105", 721), 55, 80},
		{"误登记", driver.DemoIDNumber("150105", 731), 0, 0}},
	"phone": {{"导入丙", driver.DemoIDNumber("150102", 811), 77, 66}, {"误登记", driver.DemoIDNumber("150102", 821), 0, 0}},
}

// candidateWorkbook writes an XLSX of candidates (the sitting workbook's registration columns)
// to dir; bad rows follow the good ones.
func candidateWorkbook(t *testing.T, dir, name string, cands []sittingCandidate, bad bool) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	rows := [][]any{{"序号", "姓名", "证件类型", "证件号码", "性别", "本企业职工", "从事本职业（相关职业）工作年限", "已取得证书等级", "取证年份", "学历", "学徒期满"}}
	for i, c := range cands {
		rows = append(rows, []any{i + 1, c.name, "居民身份证", c.idNumber, "", "是", 3, "未取得", "", "无本专业（相关专业）学历", "否"})
	}
	if bad {
		rows = append(rows, []any{len(rows), "外单位人员", "", driver.DemoIDNumber("150105", 741), "", "否", 3, "", "", "", ""},
			[]any{len(rows) + 1, "新职工", "", driver.DemoIDNumber("150105", 751), "", "是", 0, "", "", "", "否"})
	}
	for r, rec := range rows {
		for i, v := range rec {
			cell, _ := excelize.CoordinatesToCellName(i+1, r+1)
			require.NoError(t, f.SetCellValue("Sheet1", cell, v))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// gridJourney: a published enterprise with an active pilot plans a second sitting (五级, through
// the API) and fills it on its page: an XLSX of candidates with refused rows is refused whole —
// every refusal by row number at the top, focused, nothing registered — then the corrected file
// registers them; a candidate registered by mistake is removed with a reason; the score grid
// takes every candidate's scores in one form, a refused cell refusing the whole form with what
// was typed kept; each candidate then shows its status (待报送). It answers the sitting's ID.
func gridJourney(t *testing.T, s *stack, p *page, user string, cands []sittingCandidate) string {
	caseID := caseOfUser(s, user)
	var assessors struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/cases/"+caseID+"/assessors", nil, &assessors)
	require.GreaterOrEqual(t, len(assessors.Items), 3)
	var planned struct {
		SessionID string `json:"session_id"`
	}
	s.must(http.StatusCreated, user, http.MethodPost, "/api/v1/cases/"+caseID+"/sessions", map[string]any{"occupation_code": "6-31-01-03", "level": 5,
		"exam_date": time.Now().In(domain.Shanghai).Format(time.DateOnly), "site": "公司技能评价中心实操车间",
		"assessor_ids": []string{assessors.Items[0].ID, assessors.Items[1].ID, assessors.Items[2].ID}}, &planned)
	sitting := "/sessions/" + planned.SessionID

	p.login(user)
	p.open(sitting)
	require.Contains(t, p.text(chromedp.CSS("#bulk")), "下载考生和成绩（Excel）")
	dir := t.TempDir()

	// A file with refused rows: refused whole, every refusal by row at the top.
	p.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("f-import-candidates"), []string{candidateWorkbook(t, dir, "bad.xlsx", cands, true)}))
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.CSS(`#bulk form[action$="/import/candidates"] button[type=submit]`)))
	p.checkpoint("import-refused")
	p.refusedAtTop("导入未完成，没有保存任何内容")
	summary := p.text(chromedp.CSS("#error-summary"))
	bad := len(cands) + 2
	require.Contains(t, summary, fmt.Sprintf("第 %d 行“本企业职工”", bad)+"：认定只面向本企业职工")
	require.Contains(t, summary, fmt.Sprintf("第 %d 行：不符合申报条件", bad+1), "eligibility applies to imported candidates")
	require.Contains(t, p.main(), "尚未登记考生", "nothing registered")

	p.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("f-import-candidates"), []string{candidateWorkbook(t, dir, "good.xlsx", cands, false)}))
	p.press(chromedp.CSS(`#bulk form[action$="/import/candidates"] button[type=submit]`))
	require.Contains(t, p.main(), fmt.Sprintf("已导入并登记 %d 名考生", len(cands)))
	p.fits()

	// The one registered by mistake goes, with the reason.
	mistake := len(cands)
	row := fmt.Sprintf("#c-%d", mistake)
	p.do("open the removal", chromedp.Click(chromedp.CSS(row+" details.remove summary")))
	p.set(map[string]string{fmt.Sprintf("f-remove-%d-reason", mistake): "误登记，非本场次考生"})
	p.press(chromedp.CSS(row + ` details.remove button[type=submit]`))
	require.Contains(t, p.main(), "已移除考生 误登记")
	require.NotContains(t, p.text(chromedp.CSS("#candidates")), "误登记")
	cands = cands[:mistake-1]

	// The grid: every score at once; a refused cell refuses all, what was typed kept.
	values := map[string]string{}
	for i, c := range cands {
		values[fmt.Sprintf("f-scores-%d-theory", i)] = fmt.Sprint(c.theory)
		values[fmt.Sprintf("f-scores-%d-skill", i)] = fmt.Sprint(c.skill)
	}
	values["f-scores-0-skill"] = "105"
	p.set(values)
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.CSS(`#grid button[type=submit]`)))
	p.checkpoint("grid-refused")
	p.refusedAtTop(cands[0].name + "：操作技能考核成绩应为 0 至 100 分")
	require.Equal(t, "105", p.value("f-scores-0-skill"))
	require.Equal(t, fmt.Sprint(cands[0].theory), p.value("f-scores-0-theory"))
	p.set(map[string]string{"f-scores-0-skill": fmt.Sprint(cands[0].skill)})
	p.press(chromedp.CSS(`#grid button[type=submit]`))
	body := p.main()
	if len(cands) == 1 {
		require.Contains(t, body, "已保存 "+cands[0].name+" 的成绩")
	} else {
		require.Contains(t, body, fmt.Sprintf("已保存 %d 名考生的成绩", len(cands)))
	}
	require.Contains(t, p.text(chromedp.CSS("#grid")), "待报送")
	p.checkpoint("grid-saved")
	p.fits()
	return planned.SessionID
}

// supervisionJourney: the region draws on its page (the server's seed, shown and re-checked);
// the drawn supervisor finds the sitting under 我的督导报告, files a report and amends it before
// review; the region publishes it from the review page and the public page lists it.
func supervisionJourney(t *testing.T, s *stack, region, supervisor, public *page, vp string) {
	region.login("region")
	region.open("/supervision/draws")
	title := "质量督导（" + vp + "）"
	region.set(map[string]string{"f-title": title, "f-sessions": "200", "f-per_session": "3"})
	region.press(chromedp.CSS(`#draw button[type=submit]`))
	body := region.main()
	require.Contains(t, body, "随机种子")
	require.Contains(t, body, "结果与记录一致")
	region.checkpoint("drawn")
	region.fits()

	supervisor.login("supervisor1")
	supervisor.open("/supervision/mine")
	require.Contains(t, supervisor.text(chromedp.CSS("#assigned")), "待提交报告")
	supervisor.press(`//a[contains(., "填写督导报告")]`)
	findings := "考场秩序良好，考评人员到位（" + vp + "）。"
	supervisor.set(map[string]string{"f-findings": "短"})
	supervisor.do("rating", chromedp.SetValue(chromedp.ID("f-rating"), "good"))
	require.Equal(t, int64(http.StatusUnprocessableEntity), supervisor.press(chromedp.CSS(`#report button[type=submit]`)))
	supervisor.refusedAtTop("督导发现应为 5 至 5000 字")
	supervisor.set(map[string]string{"f-findings": "考场秩序良好。"})
	supervisor.press(chromedp.CSS(`#report button[type=submit]`))
	require.Contains(t, supervisor.main(), "督导报告已提交")
	// Amended before review.
	supervisor.press(`//a[contains(., "修改督导报告")]`)
	supervisor.set(map[string]string{"f-findings": findings})
	supervisor.press(chromedp.CSS(`#report button[type=submit]`))
	require.Contains(t, supervisor.main(), "督导报告已修改")
	supervisor.checkpoint("filed")
	supervisor.fits()

	region.open("/supervision/review")
	item := fmt.Sprintf(`//li[contains(@class, "finding")][contains(., %q)]`, findings)
	region.press(item + `//button[contains(., "审核通过并公开")]`)
	require.Contains(t, region.main(), "督导报告已公开")

	public.open("/supervision")
	require.Contains(t, public.main(), findings)
	public.fits()
}
