package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

func sittingJourney(t *testing.T, s *stack, browser context.Context, p *page, user string, plan sittingPlan) issuedCertificate {
	caseID := caseOfUser(s, user)
	name := driver.DemoEnterprises[user].Name
	docs := []map[string]string{}
	for kind, purpose := range map[string]string{"work_plan": models.PurposeWorkPlan, "evaluation_spec": models.PurposeEvaluationSpec} {
		ref := s.upload(user, purpose, models.AttachmentPurposeNames[purpose]+".pdf")
		docs = append(docs, map[string]string{"kind": kind, "attachment_id": ref.ID, "name": ref.Name})
	}
	s.decide(user, s.task(user, workflows.KindWorkPlan, caseID), map[string]any{"outcome": "submit", "documents": docs})
	s.decide("region", s.task("region", workflows.KindFileWorkPlan, caseID), map[string]any{"outcome": "file"})
	s.waitStage(caseID, workflows.StageActive)

	// Plan: 三级 is outside 电工's approved 五级至四级 (化学检验员 reaches 二级, so the form offers it).
	p.login(user)
	p.open("/sessions")
	body := p.main()
	require.Contains(t, body, "电工（6-31-01-03）五级至四级")
	require.Contains(t, body, "尚未安排考核批次")
	examDate := time.Now().In(domain.Shanghai).Format(time.DateOnly) // results are taken from the exam day on
	// The panel: the 考评人员 declared in the application, offered as checkboxes (ID numbers masked).
	require.Contains(t, p.text(chromedp.CSS("#f-assessor_ids")), "赵刚")
	require.Contains(t, p.text(chromedp.CSS("#f-assessor_ids")), "********")
	p.set(map[string]string{"f-occupation_code": "6-31-01-03", "f-level": "3", "f-exam_date": examDate, "f-site": "公司技能评价中心理论考场"})
	p.do("two assessors", chromedp.Click(chromedp.ID("f-assessor_ids-0")), chromedp.Click(chromedp.ID("f-assessor_ids-1")))
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.CSS(`#plan .actions button[type=submit]`)))
	p.checkpoint("even-panel")
	require.Contains(t, p.text(chromedp.CSS("#f-assessor_ids-err")), "考评人员应不少于 3 人且为单数")
	p.do("a third", chromedp.Click(chromedp.ID("f-assessor_ids-2")))
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.CSS(`#plan .actions button[type=submit]`)))
	p.checkpoint("out-of-scope")
	require.Contains(t, p.text(chromedp.CSS("#f-level-err")), "电工 核准等级为五级至四级，不得认定三级")
	require.Contains(t, p.text(chromedp.CSS("#error-summary")), "不得认定三级")
	ticked, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#f-assessor_ids input:checked").length`))
	require.NoError(t, err)
	require.Equal(t, 3, ticked, "the ticks are kept")
	require.Equal(t, examDate, p.value("f-exam_date"))
	p.set(map[string]string{"f-level": "4"})
	p.press(chromedp.CSS(`#plan .actions button[type=submit]`))
	require.Contains(t, p.main(), "考核批次已安排")
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	require.NoError(t, err)
	u, err := url.Parse(loc)
	require.NoError(t, err)
	sessionID := strings.TrimPrefix(u.Path, "/sessions/")
	sitting := "/sessions/" + sessionID

	// Candidates: a wrong check digit is refused beside the field, everything typed kept.
	first := plan.candidates[0]
	p.set(map[string]string{"f-name": first.name, "f-id_number": "340524198001010013", "f-years_in_occupation": "7"})
	p.do("employee", chromedp.Click(chromedp.ID("f-employee")))
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.CSS(`#add button[type=submit]`)))
	p.checkpoint("bad-id")
	require.Contains(t, p.text(chromedp.CSS("#f-id_number-err")), "未通过校验")
	require.Equal(t, first.name, p.value("f-name"))
	require.Equal(t, "340524198001010013", p.value("f-id_number"))
	kept, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.getElementById("f-employee").checked`))
	require.NoError(t, err)
	require.True(t, kept, "the employee box stays ticked")
	p.set(map[string]string{"f-id_number": first.idNumber})
	p.press(chromedp.CSS(`#add button[type=submit]`))
	require.Contains(t, p.main(), "已登记考生 "+first.name)
	for _, c := range plan.candidates[1:] {
		p.set(map[string]string{"f-name": c.name, "f-id_number": c.idNumber, "f-years_in_occupation": "7"})
		p.do("employee", chromedp.Click(chromedp.ID("f-employee")))
		p.press(chromedp.CSS(`#add button[type=submit]`))
		require.Contains(t, p.main(), "已登记考生 "+c.name)
	}
	require.NotContains(t, p.main(), first.idNumber, "the page shows ID numbers masked")

	score := func(i, theory, skill int) string {
		p.set(map[string]string{fmt.Sprintf("f-scores-%d-theory", i): fmt.Sprint(theory), fmt.Sprintf("f-scores-%d-skill", i): fmt.Sprint(skill)})
		p.press(chromedp.CSS(`#grid button[type=submit]`)) // the score grid saves the row that changed
		return p.main()
	}
	for i, c := range plan.candidates {
		want := "合格"
		if c.theory < 60 || c.skill < 60 {
			want = "不合格"
		}
		require.Contains(t, score(i, c.theory, c.skill), "已保存 "+c.name+" 的成绩："+want)
	}
	p.checkpoint("scored")

	// The original records (签到表, 试卷, 成绩登记表, 录像索引) go with the results: the sitting
	// page names the missing ones, then lists them with their downloads.
	require.Contains(t, p.text(chromedp.CSS("#records")), "尚缺原始记录：签到表、试卷或答题记录、成绩登记表、视频监控录像索引")
	s.uploadSittingRecords(user, sessionID)
	p.open(sitting)
	records := p.text(chromedp.CSS("#records"))
	require.Contains(t, records, "视频监控录像索引.pdf")
	require.NotContains(t, records, "尚缺原始记录")

	// The results go to the appraisal centre from the sitting's task page.
	submit := func(task string) {
		p.press(fmt.Sprintf(`//a[contains(., "去办理：%s")]`, task))
		require.Contains(t, p.main(), "考核批次和考生成绩")
		p.press(chromedp.CSS(`#decide button[type=submit]`))
		require.Contains(t, p.main(), "结果待自治区职业技能鉴定管理中心审核", "back on the sitting page")
	}
	submit(workflows.Kinds[workflows.KindSubmitResults].Title)

	centre := newPage(t, browser, p.base, p.vp)
	centre.login("centre")
	audit := func() {
		s.task("centre", workflows.KindAuditResults, caseID)
		centre.open("/inbox")
		centre.press(`//nav[contains(@class, "tabs")]//a[contains(., "本单位待认领")]`)
		centre.press(fmt.Sprintf(`//table//a[contains(., "审核认定结果") and contains(., %q)]`, name))
		body := centre.main()
		require.Contains(t, body, "考核批次和考生成绩")
		for _, c := range plan.candidates {
			require.Contains(t, body, c.name)
		}
		require.Contains(t, body, "签到表.pdf", "the centre sees the original records")
	}
	audit()
	if who := plan.reject; who != "" {
		row := fmt.Sprintf(`//div[contains(@class, "reject-row")][contains(., %q)]`, who)
		centre.do("send back without a reason", chromedp.Click(chromedp.CSS(`input[name=outcome][value=reject]`)), chromedp.Click(row+`//input[@type="checkbox"]`))
		require.Equal(t, int64(http.StatusUnprocessableEntity), centre.press(chromedp.CSS(`#decide button[type=submit]`)))
		require.Contains(t, centre.main(), "请填写退回 "+who+" 的理由")
		ticked, err := chromedp.Run(centre.ctx, chromedp.Evaluate[bool](`document.querySelector(".reject-row input[type=checkbox]:checked") !== null`))
		require.NoError(t, err)
		require.True(t, ticked, "the ticked candidate stays ticked")
		centre.do("reason", chromedp.SendKeys(row+`//input[@type="text"]`, "操作技能考核评分记录不完整"))
		centre.checkpoint("rejecting")
		centre.press(chromedp.CSS(`#decide button[type=submit]`))
		require.Contains(t, centre.main(), "已办理：退回勾选的考生更正")

		s.task(user, workflows.KindCorrectResults, caseID)
		p.open(sitting)
		body := p.main()
		require.Contains(t, body, "退回更正中")
		require.Contains(t, body, "退回理由：操作技能考核评分记录不完整")
		for i, c := range plan.candidates {
			if c.name == who {
				require.Contains(t, score(i, c.theory+2, c.skill+3), "已保存 "+who+" 的成绩：合格")
			}
		}
		submit(workflows.Kinds[workflows.KindCorrectResults].Title)
		audit()
	}
	centre.do("approve", chromedp.Click(chromedp.CSS(`input[name=outcome][value=approve]`)))
	centre.press(chromedp.CSS(`#decide button[type=submit]`))
	centre.checkpoint("approved")
	require.Contains(t, centre.main(), "已办理：审核通过，进入公示")

	// The certificates are issued; the enterprise sees their numbers on the sitting page.
	var sess struct {
		Status     string                    `json:"status"`
		Candidates []models.SessionCandidate `json:"candidates"`
	}
	s.eventually(func() bool {
		s.must(http.StatusOK, user, http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
		return sess.Status == models.SessionIssued
	}, "certificates of sitting %s", sessionID)
	p.open(sitting)
	p.checkpoint("issued")
	body = p.main()
	require.Contains(t, body, "审核通过，已发证")
	var out issuedCertificate
	for _, x := range sess.Candidates {
		var c sittingCandidate
		for _, y := range plan.candidates {
			if y.name == x.Name {
				c = y
			}
		}
		if c.theory < 60 || c.skill < 60 {
			require.Empty(t, x.CertificateNumber, "a failed candidate gets no certificate")
			continue
		}
		require.NoError(t, validate.CheckCertificateNumber(x.CertificateNumber))
		require.Contains(t, body, x.CertificateNumber)
		if out.number == "" {
			out = issuedCertificate{name: c.name, idNumber: c.idNumber, number: x.CertificateNumber}
		}
	}
	require.NotEmpty(t, out.number)
	p.press(fmt.Sprintf(`//a[contains(., %q)]`, out.number))
	body = p.main()
	require.Contains(t, body, "职业技能等级证书")
	require.Contains(t, body, out.name)
	return out
}

// certificateQueryJourney: a visitor, not logged in, finds a certificate in the public query by
// name and ID number and by name and number (the number alone is not enough), sees it valid with the ID number masked, and follows
// it to the e-certificate page, whose signature checks out.
func certificateQueryJourney(t *testing.T, p *page, c issuedCertificate) {
	// The public starts at the landing page, which lists the public services.
	p.open("/")
	landing := p.main()
	for _, service := range []string{"试点企业目录", "证书查询", "认定结果公示", "督导结果公开", "投诉举报", "投诉办理进度"} {
		require.Contains(t, landing, service, "the landing page lists %s", service)
	}
	p.press(chromedp.CSS(`main a[href="/query"]`))
	require.Contains(t, p.main(), "证书查询")
	p.set(map[string]string{"q-name": c.name, "q-id": c.idNumber})
	p.press(chromedp.CSS(`main form[action="/query"] button[type=submit]`))
	p.checkpoint("by-id")
	results := p.text(chromedp.CSS(`section[aria-labelledby=r-title]`))
	require.Contains(t, results, "共 1 本证书")
	require.Contains(t, results, c.number)
	require.Contains(t, results, c.name)
	require.Contains(t, results, "有效")
	require.NotContains(t, p.main(), c.idNumber, "the public sees the ID number masked")
	require.Contains(t, results, c.idNumber[:6]+"********"+c.idNumber[14:])

	// By the number: alone it is refused with a request for the name, which the form keeps
	// the number for; with the name it finds the certificate.
	p.open("/query")
	p.set(map[string]string{"q-number": c.number})
	p.press(chromedp.CSS(`main form[action="/query"] button[type=submit]`))
	require.Contains(t, p.text(chromedp.CSS(`#q-alert`)), "请同时填写持证人姓名")
	p.set(map[string]string{"q-name": c.name})
	p.press(chromedp.CSS(`main form[action="/query"] button[type=submit]`))
	p.checkpoint("by-number")
	results = p.text(chromedp.CSS(`section[aria-labelledby=r-title]`))
	require.Contains(t, results, c.name)
	require.Contains(t, results, "有效")

	p.press(`//section[@aria-labelledby="r-title"]//a[contains(., "查看电子证书")]`)
	p.checkpoint("certificate")
	loc, err := chromedp.Run(p.ctx, chromedp.Location())
	require.NoError(t, err)
	require.Contains(t, loc, "/c/", "the e-certificate page of its QR code")
	body := p.main()
	require.Contains(t, body, "职业技能等级证书")
	require.Contains(t, body, c.name)
	require.Contains(t, body, c.number)
	require.Contains(t, body, "电工")
	require.Contains(t, body, "校验通过")
	require.NotContains(t, body, "已注销")
	require.NotContains(t, body, c.idNumber)
}

// stalledJourney: a review task is made overdue and the watchdog's scan records it; the
// administrator finds it in /admin/stalled and reassigns it to the league's official.
func stalledJourney(t *testing.T, s *stack, p *page, applicant, leagueUser string) {
	ctx := context.Background()
	var v appView
	s.must(http.StatusOK, applicant, http.MethodGet, "/api/v1/applications/mine", nil, &v)
	if _, err := s.db.CaseByApplication(ctx, v.ID); err != nil {
		v.ID = s.submit(applicant, s.applicationForm(applicant)) // the application journey did not get that far
	}
	s.waitStage(v.ID, workflows.StageLeagueReview)
	task := s.task(leagueUser, workflows.KindLeagueReview, v.ID)
	past := time.Now().Add(-50 * time.Hour)
	_, err := s.db.ApplyTransition(ctx, models.Transition{Key: "browser-overdue-" + task.ID, UpdateTasks: []models.TaskUpdate{{ID: task.ID, DueAt: &past}}})
	require.NoError(t, err)
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestActivityEnvironment()
	acts := &activities.Activities{DB: s.db}
	env.RegisterActivity(acts)
	_, err = env.ExecuteActivity(acts.ScanStalled, activities.ScanInput{Now: time.Now(), StageNames: workflows.StageNames})
	require.NoError(t, err)

	official, err := s.db.UserByUsername(ctx, leagueUser)
	require.NoError(t, err)
	name := driver.DemoEnterprises[applicant].Name
	p.login("admin")
	p.open("/admin/stalled")
	require.Contains(t, p.main(), "待办逾期")
	finding := fmt.Sprintf(`//li[contains(@class, "finding")][contains(., %q)]`, name)
	p.do("open the reassignment", chromedp.Click(finding+`//summary`))
	p.do("reassign",
		chromedp.SetValue(finding+`//select[@name="assignee_id"]`, official.ID),
		chromedp.SendKeys(finding+`//input[@name="reason"]`, "原经办人外出，改由科长办理"))
	p.checkpoint("reassigning")
	p.press(finding + `//button[contains(., "确认改派")]`)
	require.Contains(t, p.main(), "已改派给"+official.DisplayName)
	got, err := s.db.TaskByID(ctx, task.ID)
	require.NoError(t, err)
	require.Equal(t, official.ID, got.AssigneeID)
	var n int64
	require.NoError(t, s.db.Model(&models.AuditEntry{}).Where("action = ? AND object_id = ?", "task.reassign", task.ID).Count(&n).Error)
	require.EqualValues(t, 1, n, "the reassignment is audited")
}
