package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/workflows"
)

// TestBrowserVersionComparison: the league returns an application, the enterprise changes a
// staff member's ID number and the contact's mobile and resubmits; the league's task page links
// to a comparison in Chinese (labels, not paths; changed rows highlighted; ID numbers in full
// for those who may read personal data) and the county, which may not, sees them masked.
func TestBrowserVersionComparison(t *testing.T) {
	browser := startBrowser(t)
	dir := t.TempDir()
	s := startStack(t, dir, filepath.Join(dir, "app.db"))
	defer func() { s.stop() }()
	now := time.Now()
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)

	form := s.applicationForm("dairy")
	require.NotEmpty(t, form.Staff)
	app := s.submit("dairy", form)
	s.waitStage(app, workflows.StageLeagueReview)
	review := s.task("hohhot", workflows.KindLeagueReview, app)
	var claimed models.Task
	s.must(http.StatusOK, "hohhot", http.MethodPost, "/api/v1/tasks/"+review.ID+"/claim", map[string]any{"version": review.Version}, &claimed)
	s.decide("hohhot", claimed, map[string]any{"outcome": "return", "reasons": []map[string]string{{"field": "staff", "message": "请核对身份证号"}}, "request_key": "cmp1"})
	s.waitStage(app, workflows.StageCorrection)

	fixed := form
	fixed.Staff = append(fixed.Staff[:0:0], form.Staff...)
	fixed.Staff[0].IDNumber = "110101190001010014" // another valid number (GB 11643 check digit)
	fixed.Contact.Mobile = "13900139000"
	s.submit("dairy", fixed)
	s.waitStage(app, workflows.StageLeagueReview)
	second := s.task("hohhot", workflows.KindLeagueReview, app)

	// The JSON API keeps the structured diff, by field path.
	var cv struct {
		From, To string
		Changes  []struct{ Field, Before, After string }
	}
	s.must(http.StatusOK, "hohhot", http.MethodGet, "/api/v1/applications/"+app+"/compare", nil, &cv)
	fields := []string{}
	for _, c := range cv.Changes {
		fields = append(fields, c.Field)
	}
	require.Contains(t, fields, "staff[0].id_number")
	require.Contains(t, fields, "contact.mobile")

	p := newPage(t, browser, s.http.URL, viewports[0])
	p.login("hohhot")
	p.open("/tasks/" + second.ID)
	require.Contains(t, p.main(), "申报表（第 2 版）")
	p.press(`//a[contains(., "与上一版比较")]`)
	p.checkpoint("compare")
	body := p.main()
	require.Contains(t, body, "第 1 版与第 2 版的不同之处")
	require.Contains(t, body, "专职工作人员第1行·身份证号")
	require.Contains(t, body, "联系人手机")
	require.Contains(t, body, "13900139000")
	require.Contains(t, body, form.Staff[0].IDNumber, "a league may read personal data: the numbers in full")
	require.NotContains(t, body, "staff[")
	require.NotContains(t, body, "id_number")
	highlighted, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`(() => { const c = document.querySelector("table.compare tr.changed td.after");
		return !!c && getComputedStyle(c).backgroundColor !== "rgba(0, 0, 0, 0)" && getComputedStyle(c).backgroundColor !== "rgb(255, 255, 255)"; })()`))
	require.NoError(t, err)
	require.True(t, highlighted, "changed rows are highlighted")

	// 赛罕区 may read the application but not personal data: the same comparison, masked.
	q := newPage(t, browser, s.http.URL, viewports[1])
	q.login("saihan")
	q.open("/applications/" + app + "/compare")
	body = q.main()
	require.Contains(t, body, "专职工作人员第1行·身份证号")
	require.Contains(t, body, "身份证号已按规定部分隐藏")
	require.NotContains(t, body, form.Staff[0].IDNumber)
	require.True(t, strings.Contains(body, "*"), "masked numbers")
}
