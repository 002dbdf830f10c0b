package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/workflows"
)

// Browser tests: the journeys of an enterprise (its application and its sittings), a league
// official, the region (publishing the directory), the appraisal centre (auditing results), the
// public (the directory and the certificate query) and an administrator, in headless Chromium
// against the whole stack (embedded Temporal, worker and HTTP server), each at desktop width and
// at 390 px (a phone). Set
// SKILLCERT_TEST_BROWSER=required to fail instead of skipping where Chromium is missing, and
// SKILLCERT_BROWSER_SCREENSHOTS=all to keep a screenshot of every step (failures always get one)
// in testdata/screenshots at the repository root.

const chromiumPath = "/usr/bin/chromium"

// screenshotDir is testdata/screenshots at the repository root (git-ignored).
var screenshotDir = filepath.Join("..", "..", "testdata", "screenshots")

// viewport is a screen the journeys run on.
type viewport struct {
	name          string
	width, height int64
	mobile        bool
}

var viewports = []viewport{{"desktop", 1280, 900, false}, {"phone", 390, 844, true}}

// startBrowser launches Chromium for the test; it skips (or fails when required) without one.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("SKILLCERT_TEST_BROWSER") == "required" {
			t.Fatalf("browser tests: %s is missing (apt-get install -y chromium)", chromiumPath)
		}
		t.Skipf("browser tests: %s is missing; set SKILLCERT_TEST_BROWSER=required to fail instead", chromiumPath)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	require.NoError(t, chromedp.Do(ctx), "start %s", chromiumPath)
	return ctx
}

// page is one browser tab in a browser context of its own (its own cookies), on a viewport.
type page struct {
	t    *testing.T
	ctx  context.Context
	base string
	vp   viewport
}

// shots numbers each test's screenshots (a test may use several pages).
var shots = map[string]int{}

func newPage(t *testing.T, browser context.Context, base string, vp viewport) *page {
	t.Helper()
	tab, cancelTab := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	ctx, cancel := context.WithTimeout(tab, 3*time.Minute)
	p := &page{t: t, ctx: ctx, base: base, vp: vp}
	t.Cleanup(func() { cancel(); cancelTab() })
	t.Cleanup(func() {
		if t.Failed() {
			p.screenshot("failure")
		}
	})
	opts := []chromedp.EmulateViewportOption{}
	if vp.mobile {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(2))
	}
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(vp.width, vp.height, opts...)))
	return p
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// screenshot saves the whole page as testdata/screenshots/<test>-<step>-<what>.png.
func (p *page) screenshot(what string) {
	buf, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100)) // 100: PNG (lower qualities give JPEG)
	if err != nil {
		p.t.Logf("screenshot %s: %v", what, err)
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		p.t.Logf("screenshot dir: %v", err)
		return
	}
	shots[p.t.Name()]++
	name := fmt.Sprintf("%s-%02d-%s.png", unsafeName.ReplaceAllString(p.t.Name(), "_"), shots[p.t.Name()], what)
	file := filepath.Join(screenshotDir, name)
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		p.t.Logf("screenshot %s: %v", what, err)
		return
	}
	p.t.Logf("screenshot: %s", file)
}

// checkpoint keeps a screenshot of a step when SKILLCERT_BROWSER_SCREENSHOTS=all.
func (p *page) checkpoint(what string) {
	if os.Getenv("SKILLCERT_BROWSER_SCREENSHOTS") == "all" {
		p.screenshot(what)
	}
}

func (p *page) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	require.NoError(p.t, chromedp.Do(p.ctx, steps...), what)
}

// open loads a page and requires a status below 400; it returns the status.
func (p *page) open(path string) int64 {
	p.t.Helper()
	resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.base+path))
	require.NoError(p.t, err, "open %s", path)
	require.Less(p.t, resp.Status, int64(400), "open %s: %d", path, resp.Status)
	p.fits()
	return resp.Status
}

// press clicks what submits a form and waits for the next page; it returns its status.
func (p *page) press(sel any) int64 {
	p.t.Helper()
	var click chromedp.Action[chromedp.Void]
	switch s := sel.(type) {
	case chromedp.CSS:
		click = chromedp.Click(s)
	case chromedp.ID:
		click = chromedp.Click(s)
	case string:
		click = chromedp.Click(s)
	default:
		p.t.Fatalf("selector %T", sel)
	}
	resp, err := chromedp.RunResponse(p.ctx, click)
	require.NoError(p.t, err, "press %v", sel)
	require.Less(p.t, resp.Status, int64(500), "press %v: %d", sel, resp.Status)
	p.fits()
	return resp.Status
}

// main returns the text of the page's main element.
func (p *page) main() string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(chromedp.CSS("main")))
	require.NoError(p.t, err)
	return s
}

func (p *page) text(sel chromedp.CSS) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Text(sel))
	require.NoError(p.t, err, "text of %s", sel)
	return s
}

func (p *page) value(id string) string {
	p.t.Helper()
	s, err := chromedp.Run(p.ctx, chromedp.Value(chromedp.ID(id)))
	require.NoError(p.t, err, "value of #%s", id)
	return s
}

// set fills inputs, text areas and selects by element ID.
func (p *page) set(values map[string]string) {
	p.t.Helper()
	for id, v := range values {
		p.do("set #"+id, chromedp.SetValue(chromedp.ID(id), v))
	}
}

// fits requires the page not to scroll sideways (phone-width friendliness). It compares with
// the layout viewport (the root's clientWidth): an emulated phone zooms out to show content too
// wide for it, which widens window.innerWidth with it.
func (p *page) fits() {
	p.t.Helper()
	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= Math.min(window.innerWidth, document.documentElement.clientWidth) + 1`))
	require.NoError(p.t, err)
	if !ok {
		p.screenshot("too-wide")
	}
	require.True(p.t, ok, "the page scrolls sideways at %d px", p.vp.width)
}

// refusedAtTop requires the page of a refused form to show its error summary, naming want,
// inside the first viewport and focused.
func (p *page) refusedAtTop(want string) {
	p.t.Helper()
	require.Contains(p.t, p.text(chromedp.CSS("#error-summary")), want)
	ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`(() => { const s = document.getElementById("error-summary");
		const r = s.getBoundingClientRect(); return document.activeElement === s && r.top >= 0 && r.top < window.innerHeight; })()`))
	require.NoError(p.t, err)
	if !ok {
		p.screenshot("summary-not-at-top")
	}
	require.True(p.t, ok, "the error summary is focused and in the first viewport")
}

// notified requires the header to count unread notifications and /notifications to list one
// with subject and body text: the next actor learns of a step in the app, without mail.
func (p *page) notified(subject, body string) {
	p.t.Helper()
	require.Contains(p.t, p.text(chromedp.CSS("a.bell")), "条未读", "the header counts the unread notifications")
	p.press(chromedp.CSS("a.bell"))
	list := p.main()
	require.Contains(p.t, list, subject)
	require.Contains(p.t, list, body)
}

func (p *page) login(user string) {
	p.t.Helper()
	p.open("/login")
	p.set(map[string]string{"username": user, "password": e2ePassword})
	p.press(chromedp.CSS(`main form button[type=submit]`))
	require.Contains(p.t, p.main(), "工作台", "logged in as %s", user)
}

func TestBrowserJourneys(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	s := startStack(t, dir, filepath.Join(dir, "app.db"))
	defer func() { s.stop() }()
	base := s.http.URL
	now := time.Now()
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)
	s.task("hohhot", workflows.KindSubmitSummary, "")

	// Each run needs an application of its own: the enterprises apply themselves in 鄂尔多斯 and
	// 包头; 呼和浩特 reviews 乳业 and 电力检修, which the publication then lists.
	applicants := map[string]string{"desktop": "energy", "phone": "rare"}
	reviewed := map[string]string{"desktop": "dairy", "phone": "power"}
	leagueOf := map[string]string{"energy": "ordos", "rare": "baotou"}

	t.Run("enterprise_application", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) { applicationJourney(t, s, newPage(t, browser, base, vp), applicants[vp.name]) })
		}
	})
	t.Run("league_review", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) { reviewJourney(t, s, browser, newPage(t, browser, base, vp), reviewed[vp.name]) })
		}
	})
	// The region selects 乳业 for the first batch and 电力检修 for the second: each viewport's
	// region official publishes one batch through the publish_directory task page.
	batchOf := map[string]int{"desktop": 1, "phone": 2}
	t.Run("public_directory", func(t *testing.T) {
		selectForPublication(t, s, map[string]int{reviewed["desktop"]: batchOf["desktop"], reviewed["phone"]: batchOf["phone"]})
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				publishJourney(t, s, newPage(t, browser, base, vp), batchOf[vp.name], reviewed[vp.name])
				directoryJourney(t, newPage(t, browser, base, vp), batchOf[vp.name])
			})
		}
	})
	// Each published enterprise holds a sitting through its pages; the certificates it leads to
	// are what the public then finds at the same viewport.
	issued := map[string]issuedCertificate{}
	t.Run("assessment_sitting", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				issued[vp.name] = sittingJourney(t, s, browser, newPage(t, browser, base, vp), reviewed[vp.name], sittingPlans[vp.name])
			})
		}
	})
	// The score grid and the XLSX import on a second sitting, then a supervision draw → report →
	// review → public (browser_grid_test.go).
	t.Run("score_grid_supervision", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				gridJourney(t, s, newPage(t, browser, base, vp), reviewed[vp.name], gridPlans[vp.name])
				supervisionJourney(t, s, newPage(t, browser, base, vp), newPage(t, browser, base, vp), newPage(t, browser, base, vp), vp.name)
			})
		}
	})
	t.Run("certificate_query", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				c, ok := issued[vp.name]
				require.True(t, ok, "the sitting journey issued no certificate at this viewport")
				certificateQueryJourney(t, newPage(t, browser, base, vp), c)
			})
		}
	})
	t.Run("rectification", func(t *testing.T) {
		countyOf := map[string]string{"dairy": "saihan", "power": "xincheng"}
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				u := reviewed[vp.name]
				rectificationJourney(t, s, newPage(t, browser, base, vp), newPage(t, browser, base, vp), u, countyOf[u])
			})
		}
	})
	t.Run("late_selection", func(t *testing.T) {
		bench, err := s.db.SeedBenchEnterprises(context.Background(), 4, e2ePassword)
		require.NoError(t, err)
		late := map[string]models.BenchEnterprise{"desktop": bench[0], "phone": bench[3]} // both in 赛罕区, 呼和浩特
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				lateSelectionJourney(t, s, newPage(t, browser, base, vp), newPage(t, browser, base, vp), late[vp.name])
			})
		}
	})
	t.Run("admin_stalled", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				user := applicants[vp.name]
				stalledJourney(t, s, newPage(t, browser, base, vp), user, leagueOf[user])
			})
		}
	})
}

// samplePDFFile writes a small PDF to upload.
func samplePDFFile(t *testing.T, name string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(file, []byte("%PDF-1.4\n% 佐证材料\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"), 0o644))
	return file
}

// applicationJourney: the enterprise fills in its application (adding a row without
// JavaScript), submits it with a malformed mobile number and no evidence, sees each fault in
// Chinese beside its field with everything typed still there, corrects it, uploads the
// evidence and submits.
func applicationJourney(t *testing.T, s *stack, p *page, user string) {
	f, err := driver.DemoForm(user, func(purpose, name string) (models.AttachmentRef, error) { return models.AttachmentRef{}, nil })
	require.NoError(t, err)
	p.login(user)
	p.open("/application")
	require.Equal(t, f.Applicant.Name, p.value("f-applicant-name"), "pre-filled from the registration")
	fields := map[string]string{
		"f-applicant-address": f.Applicant.Address, "f-applicant-credit_code": f.Applicant.CreditCode,
		"f-contact-name": f.Contact.Name, "f-contact-post": f.Contact.Post, "f-contact-landline": f.Contact.Landline,
		"f-contact-mobile": "1380013", "f-contact-email": f.Contact.Email,
		"f-occupations-0-name": f.Occupations[0].Name, "f-occupations-0-code": f.Occupations[0].Code, "f-occupations-0-fee": f.Occupations[0].Fee,
		"f-occupations-0-levels": "5", "f-occupations-0-levels-high": "3",
		"f-strengths": f.Strengths, "f-site-description": f.Site.Description, "f-exam_system": f.ExamSystem,
		"f-equipment-0-name": f.Equipment[0].Name, "f-equipment-0-brand": f.Equipment[0].Brand, "f-equipment-0-model": f.Equipment[0].Model,
		"f-equipment-0-quantity": "10", "f-equipment-0-ownership": f.Equipment[0].Ownership,
	}
	person := func(list string, i int, r appcheck.ExpertRow) {
		pre := fmt.Sprintf("f-%s-%d-", list, i)
		for k, v := range map[string]string{"name": r.Name, "id_number": r.IDNumber, "employer": r.Employer, "title": r.Title,
			"education": r.Education, "occupation": r.Occupation} {
			fields[pre+k] = v
		}
	}
	st := f.Staff[0]
	for k, v := range map[string]string{"name": st.Name, "id_number": st.IDNumber, "title": st.Title, "education": st.Education, "duties": st.Duties} {
		fields["f-staff-0-"+k] = v
	}
	person("assessors", 0, f.Assessors[0])
	person("supervisors", 0, f.Supervisors[0])
	for i, c := range f.Conditions {
		fields[fmt.Sprintf("f-conditions-%d-explanation", i)] = c.Explanation
	}
	p.set(fields)
	p.checkpoint("typed")

	// A second assessor: 增加一行 saves the draft and comes back with an empty row.
	p.press(chromedp.CSS(`button[name=add_row][value=assessors]`))
	require.Contains(t, p.main(), "草稿已保存")
	require.Equal(t, f.Strengths, p.value("f-strengths"), "what was typed before is kept")
	fields = map[string]string{}
	person("assessors", 1, f.Assessors[1])
	p.set(fields)
	p.do("not an employee", chromedp.Click(chromedp.ID("f-assessors-1-employee")))

	// Submitting with a malformed mobile and no evidence is refused field by field.
	require.Equal(t, int64(http.StatusUnprocessableEntity), p.press(chromedp.ID("submit-application")))
	p.checkpoint("refused")
	body := p.main()
	require.Contains(t, body, "未能提交；草稿已保存")
	require.Contains(t, p.text(chromedp.CSS("#f-contact-mobile-err")), "手机")
	require.Contains(t, p.text(chromedp.CSS("#f-rules-err")), "请上传单位规章制度文件")
	require.Contains(t, p.text(chromedp.CSS("#f-conditions-3-evidence-err")), "请上传佐证材料")
	require.Contains(t, p.text(chromedp.CSS("#f-assessors-1-agreement-err")), "服务承诺书或合作协议")
	require.Contains(t, p.text(chromedp.CSS("#error-summary")), "请上传单位规章制度文件")
	require.Equal(t, "1380013", p.value("f-contact-mobile"), "what was typed is kept")
	require.Equal(t, f.Assessors[1].Name, p.value("f-assessors-1-name"))
	require.Equal(t, f.Conditions[6].Explanation, p.value("f-conditions-6-explanation"))
	var saved appView
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/applications/mine", nil, &saved)
	require.Equal(t, "1380013", saved.Form.Contact.Mobile, "the draft holds what was typed")
	require.Len(t, saved.Form.Assessors, 2)

	// Corrected, with the evidence chosen, it goes in.
	p.do("correct the mobile", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-contact-mobile").value = ""`),
		chromedp.SendKeys(chromedp.ID("f-contact-mobile"), f.Contact.Mobile))
	pdf := samplePDFFile(t, "佐证材料.pdf")
	files := []string{"f-rules-file", "f-site-ownership-file", "f-assessors-1-agreement-file"}
	for i := range f.Conditions {
		files = append(files, fmt.Sprintf("f-conditions-%d-evidence-file", i))
	}
	for _, id := range files {
		p.do("choose "+id, chromedp.SetUploadFiles(chromedp.ID(id), []string{pdf}))
	}
	require.Equal(t, int64(http.StatusOK), p.press(chromedp.ID("submit-application")))
	p.checkpoint("submitted")
	body = p.main()
	require.Contains(t, body, "申报表已提交（第 1 版）")
	require.Contains(t, body, "盟市审核")
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/applications/mine", nil, &saved)
	require.Equal(t, models.ApplicationSubmitted, saved.Status)
	s.waitStage(saved.ID, workflows.StageLeagueReview)
}

// reviewJourney: 呼和浩特 claims the review of an application in its inbox and returns it with
// a reason tied to a field; the enterprise corrects and resubmits (through the API); the league
// claims the new review and accepts it (on the phone, through the inbox's bulk approval).
func reviewJourney(t *testing.T, s *stack, browser context.Context, p *page, user string) {
	form := s.applicationForm(user)
	app := s.submit(user, form)
	s.waitStage(app, workflows.StageLeagueReview)
	name := driver.DemoEnterprises[user].Name

	claim := func() {
		p.open("/inbox?view=unit")
		require.Contains(t, p.main(), name)
		p.press(fmt.Sprintf(`//tr[contains(., %q)]//button[contains(., "认领")]`, name))
		require.Contains(t, p.main(), "已认领")
		p.open("/inbox")
		require.Contains(t, p.main(), "我已认领")
	}

	p.login("hohhot")
	// The submission told the league: the header counts it, the list names the enterprise.
	p.notified("新待办："+workflows.Kinds[workflows.KindLeagueReview].Title, name)
	claim()
	p.checkpoint("claimed")
	p.press(fmt.Sprintf(`//table//a[contains(., %q)]`, name))
	require.Contains(t, p.main(), "申报表（第 1 版）")
	require.Contains(t, p.main(), form.Staff[0].IDNumber, "a league may read the ID numbers")
	// A decision without an outcome is refused: the summary of its faults is the first thing
	// on the page, in the first viewport, with the focus.
	require.Equal(t, int64(422), p.press(chromedp.CSS(`#decide button[type=submit]`)))
	p.refusedAtTop("请选择处理结果")
	p.do("return with a reason",
		chromedp.Click(chromedp.ID("f-outcome-return")),
		chromedp.SetValue(chromedp.ID("f-reasons-0-field"), "contact.mobile"),
		chromedp.SendKeys(chromedp.ID("f-reasons-0-message"), "请填写联系人本人的手机号码"))
	p.checkpoint("returning")
	p.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, p.main(), "已办理：退回")
	require.Contains(t, p.main(), "已办结")
	s.waitStage(app, workflows.StageCorrection)

	// The enterprise sees the reason beside the field it is about.
	if !p.vp.mobile {
		e := newPage(t, browser, p.base, p.vp)
		e.login(user)
		e.notified("申报材料被退回补正", "联系人手机：请填写联系人本人的手机号码")
		require.NotContains(t, e.main(), "contact.mobile", "the reason's field by its Chinese name")
		e.open("/status")
		e.checkpoint("returned")
		body := e.main()
		require.Contains(t, body, "退回补正意见")
		require.Contains(t, body, "联系人手机")
		require.Contains(t, body, "请填写联系人本人的手机号码")
		require.Contains(t, body, "按审核意见修改并重新提交")
		e.open("/application")
		require.Contains(t, e.text(chromedp.CSS("#f-contact-mobile-rev")), "请填写联系人本人的手机号码")
	}

	fixed := form
	fixed.Contact.Mobile = "13900139000"
	s.submit(user, fixed)
	s.waitStage(app, workflows.StageLeagueReview)

	claim()
	if p.vp.mobile {
		review := s.task("hohhot", workflows.KindLeagueReview, app)
		p.do("select for bulk approval",
			chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=task_id][value=%q]`, review.ID))),
			chromedp.SetValue(chromedp.ID("bulk-outcome"), workflows.KindLeagueReview+":accept"))
		p.press(chromedp.CSS(`fieldset.bulk button[type=submit]`))
		p.checkpoint("bulk")
		require.Contains(t, p.main(), "成功 1 项")
	} else {
		p.press(fmt.Sprintf(`//table//a[contains(., %q)]`, name))
		require.Contains(t, p.main(), "申报表（第 2 版）")
		p.do("accept", chromedp.Click(chromedp.ID("f-outcome")))
		p.press(chromedp.CSS(`#decide button[type=submit]`))
		require.Contains(t, p.main(), "已办理：审核通过")
	}
	s.waitStage(app, workflows.StageInSummary)
	p.open("/summary")
	p.checkpoint("summary")
	require.Contains(t, p.main(), name)
	require.Contains(t, p.main(), "报送自治区")
}

// pilotScope is what the region approves for 呼和浩特's enterprises: 电工 五级至四级 and 化学检验员
// 四级至二级 (applied for: 五级至三级 and 四级至二级).
var pilotScope = []map[string]any{
	{"code": "6-31-01-03", "name": "电工", "levels": map[string]int{"low": 5, "high": 4}},
	{"code": "6-31-03-01", "name": "化学检验员", "levels": map[string]int{"low": 4, "high": 2}},
}

// selectForPublication takes 呼和浩特's accepted enterprises through the summary and the
// experts' scores to the region's decision, which lists each in the batch given, through the API.
func selectForPublication(t *testing.T, s *stack, batches map[string]int) {
	apps := map[string]string{}
	for u := range batches {
		var v appView
		s.must(http.StatusOK, u, http.MethodGet, "/api/v1/applications/mine", nil, &v)
		s.waitStage(v.ID, workflows.StageInSummary)
		apps[u] = v.ID
	}
	s.decide("hohhot", s.task("hohhot", workflows.KindSubmitSummary, ""), map[string]any{"outcome": "submit",
		"contact_name": "张科长", "contact_phone": "(0471)6606214"})
	s.eventually(func() bool {
		for _, u := range []string{"expert1", "expert2", "expert3", "expert4"} {
			var mine taskList
			s.must(http.StatusOK, u, http.MethodGet, "/api/v1/tasks?view=unit", nil, &mine)
			for _, task := range mine.Items {
				s.decide(u, task, map[string]any{"outcome": "score", "score": 88})
			}
		}
		for _, id := range apps {
			if s.stage(id) != workflows.StageRegionDecision {
				return false
			}
		}
		return true
	}, "experts to score")
	for u, id := range apps {
		s.decide("region", s.task("region", workflows.KindRegionDecision, id), map[string]any{"outcome": fmt.Sprintf("batch%d", batches[u]), "approved": pilotScope})
		s.waitStage(id, workflows.StageAwaitingPublication)
	}
}

// caseOfUser is the pilot case of a demo enterprise (its ID is its application's).
func caseOfUser(s *stack, user string) string {
	var v appView
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/applications/mine", nil, &v)
	return v.ID
}

// publishJourney: the region official finds the publication of a batch in the unit's inbox,
// sees which enterprises it lists and publishes it through the task page.
func publishJourney(t *testing.T, s *stack, p *page, batch int, user string) {
	id := caseOfUser(s, user)
	name := driver.DemoEnterprises[user].Name
	p.login("region")
	p.open("/inbox")
	p.press(`//nav[contains(@class, "tabs")]//a[contains(., "本单位待认领")]`)
	p.press(fmt.Sprintf(`//table//a[contains(., "%s试点企业目录")]`, map[int]string{1: "第一批", 2: "第二批"}[batch]))
	listed := p.text(chromedp.CSS(`section[aria-labelledby=pub-h]`))
	require.Contains(t, listed, name, "the batch lists the enterprise")
	for u, e := range driver.DemoEnterprises {
		if u != user {
			require.NotContains(t, listed, e.Name, "only the batch's enterprises")
		}
	}
	p.checkpoint("publishing")
	if strings.Contains(p.main(), "个盟市未报送汇总表") {
		// Leagues are still collecting: publishing without confirming their number is refused,
		// with the reason beside the confirmation.
		p.press(chromedp.CSS(`#decide button[type=submit]`))
		require.Contains(t, p.main(), "如确认公布，请勾选确认")
		p.do("confirm", chromedp.Click(chromedp.ID("f-confirm_open_leagues")))
		p.press(chromedp.CSS(`#decide button[type=submit]`))
	} else {
		p.press(chromedp.CSS(`#decide button[type=submit]`))
	}
	p.checkpoint("published")
	body := p.main()
	require.Contains(t, body, "已办理：已公布")
	require.Contains(t, body, "已办结")
	s.waitStage(id, workflows.StagePreparation)
}

// directoryJourney: a visitor finds a published enterprise in the directory by name and by
// league, and (on the desktop) files an anonymous complaint about it. published is the last
// batch published: 乳业 is in the first, 电力检修 in the second.
func directoryJourney(t *testing.T, p *page, published int) {
	p.open("/directory")
	body := p.main()
	require.Contains(t, body, "第一批试点企业")
	require.Contains(t, body, "呼和浩特乳业示范有限公司")
	if published == 1 {
		require.NotContains(t, body, "呼和浩特电力检修示范有限公司", "the second batch is not published yet")
	} else {
		require.Contains(t, body, "第二批试点企业")
		require.Contains(t, body, "呼和浩特电力检修示范有限公司")
	}
	p.do("search", chromedp.SendKeys(chromedp.ID("f-q"), "乳业"))
	p.press(chromedp.CSS(`form[role=search] button[type=submit]`))
	p.checkpoint("found")
	body = p.main()
	require.Contains(t, body, "呼和浩特乳业示范有限公司")
	require.Contains(t, body, "电工（6-31-01-03）五级至四级")
	require.NotContains(t, body, "呼和浩特电力检修示范有限公司")
	if p.vp.mobile {
		p.open("/directory")
		p.do("league", chromedp.SetValue(chromedp.ID("f-league"), "150200"))
		p.press(chromedp.CSS(`form[role=search] button[type=submit]`))
		require.Contains(t, p.main(), "没有符合条件的试点企业")
		return
	}
	p.press(`//li[contains(., "呼和浩特乳业示范有限公司")]//a[contains(., "投诉举报")]`)
	chosen, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.getElementById("f-enterprise_id").selectedOptions[0].textContent`))
	require.NoError(t, err)
	require.Equal(t, "呼和浩特乳业示范有限公司", chosen, "the enterprise is chosen already")
	p.do("complain", chromedp.Click(chromedp.ID("f-anonymous")),
		chromedp.SendKeys(chromedp.ID("f-content"), "该企业为非本企业职工组织电工认定并收取费用。"))
	require.Equal(t, int64(http.StatusOK), p.press(chromedp.CSS(`main form button[type=submit]`)))
	p.checkpoint("complained")
	require.Contains(t, p.main(), "投诉已受理")
}

// sittingCandidate is a candidate of a sitting with the scores entered for them.
type sittingCandidate struct {
	name, idNumber string
	theory, skill  int
}

// sittingPlan is what an enterprise's sitting holds at a viewport. reject names the candidate
// the appraisal centre sends back (none: it approves at once).
type sittingPlan struct {
	candidates []sittingCandidate
	reject     string
}

var sittingPlans = map[string]sittingPlan{
	"desktop": {candidates: []sittingCandidate{{"考生甲", driver.DemoIDNumber("150105", 511), 80, 75}, {"考生乙", driver.DemoIDNumber("150105", 521), 50, 90},
		{"考生丙", driver.DemoIDNumber("150105", 531), 70, 65}}, reject: "考生丙"},
	"phone": {candidates: []sittingCandidate{{"考生丁", driver.DemoIDNumber("150102", 611), 85, 82}, {"考生戊", driver.DemoIDNumber("150102", 621), 40, 70}}},
}

// issuedCertificate is a certificate a sitting led to, as the public may look it up.
type issuedCertificate struct {
	name, idNumber, number string
}

// sittingJourney: once its work plan is filed (through the API), a published enterprise plans
// a sitting on its pages — a level outside the approved scope is refused in Chinese beside the
// field, then a valid one — registers candidates (an ID number with a wrong check digit is
// refused, with what was typed kept), enters their scores and submits the results from the
// task page. The appraisal centre audits them on its task page: on the desktop it first sends
// one candidate back with a reason, the enterprise corrects the scores and resubmits; then it
// approves. The enterprise sees the certificate numbers on the sitting page.
