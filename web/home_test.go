package web

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// The 工作台 counts the official's open tasks (mine, the unit's queue; overdue; due this
// week) in one query, each figure linking to the inbox view that lists the same tasks.
func TestHomeCountsWorkAndLinksToInbox(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		loc := time.UTC // the test server's zone (service.Config.Location's default)
		now := time.Now().In(loc)
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
		monday := today.AddDate(0, 0, 7-(int(today.Weekday())+6)%7)
		thisWeek, past, later := monday.Add(-time.Minute), now.Add(-24*time.Hour), monday.AddDate(0, 0, 10)
		hohhot := e.userID("hohhot")

		seed := func(id, role, domain, assignee, sla string, due time.Time, status string) {
			task := seedTask(t, e.db, id, "app-"+id, workflows.KindLeagueReview, workflows.StageLeagueReview, role, domain, due)
			upd := map[string]any{"assignee_id": assignee, "sla_state": sla}
			if status != "" {
				upd["status"] = status
			}
			require.NoError(t, e.db.WithContext(ctx).Model(&models.Task{}).Where("id = ?", task.ID).Updates(upd).Error)
		}
		league, county := models.RoleLeagueOfficial, models.RoleCountyOfficial
		seed("u1", league, "150100", "", models.SLAOnTime, thisWeek, "")
		seed("u2", league, "150100", "", models.SLAOverdue, past, "")
		seed("u3", league, "150100", "", models.SLAOnTime, later, "")
		seed("m1", league, "150100", hohhot, models.SLAOnTime, thisWeek, "")
		seed("m2", league, "150100", hohhot, models.SLAOverdue, past, "")
		seed("o1", league, "150100", e.userID("baotou"), models.SLAOverdue, past, "")  // someone else's
		seed("c1", county, "150105", "", models.SLAOverdue, past, "")                  // the county's queue
		seed("d1", league, "150100", hohhot, models.SLAOverdue, past, models.TaskDone) // done

		c := e.login("hohhot")
		home := e.pageOK(c, "/", http.StatusOK)
		due := monday.Format("2006-01-02")
		for _, w := range []string{
			`<a href="/inbox?view=mine" aria-label="我的待办合计 2 件">2</a>`,
			`<a href="/inbox?sla=overdue&amp;view=mine" aria-label="我的待办逾期 1 件">1</a>`,
			fmt.Sprintf(`<a href="/inbox?due_before=%s&amp;view=mine" aria-label="我的待办本周到期 2 件">2</a>`, due),
			`<a href="/inbox?view=unit" aria-label="本单位待认领合计 3 件">3</a>`,
			`<a href="/inbox?sla=overdue&amp;view=unit" aria-label="本单位待认领逾期 1 件">1</a>`,
			fmt.Sprintf(`<a href="/inbox?due_before=%s&amp;view=unit" aria-label="本单位待认领本周到期 2 件">2</a>`, due),
			"截至 " + monday.AddDate(0, 0, -1).Format("2006-01-02") + "（星期日）",
		} {
			require.Contains(t, home, w)
		}
		// The links open inbox views holding as many tasks as the home page said.
		require.Contains(t, e.pageOK(c, "/inbox?view=unit&sla=overdue", http.StatusOK), "本单位待认领（1）")
		require.Contains(t, e.pageOK(c, "/inbox?view=unit&due_before="+due, http.StatusOK), "本单位待认领（2）")
		require.Contains(t, e.pageOK(c, "/inbox?view=mine&due_before="+due, http.StatusOK), "我的待办（2）")

		// The county official sees the county's queue; an expert only their own tasks.
		body := e.pageOK(e.login("saihan"), "/", http.StatusOK)
		require.Contains(t, body, `aria-label="本单位待认领逾期 1 件"`)
		body = e.pageOK(e.login("expert1"), "/", http.StatusOK)
		require.Contains(t, body, `aria-label="我的待办合计 0 件"`)
		require.NotContains(t, body, "本单位待认领")
	})
}

// An enterprise's 工作台 says where its application stands and what it must do by when.
func TestHomeShowsEnterpriseApplication(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.login("dairy")
	body := e.pageOK(c, "/", http.StatusOK)
	require.Contains(t, body, "我的申报")
	require.Contains(t, body, "填写或修改申报表")

	var app models.ApplicationRecord
	require.NoError(t, e.db.Where("enterprise_id = ?", dairyEnterpriseID).First(&app).Error)
	due := time.Now().Add(72 * time.Hour)
	seedTask(t, e.db, "c-corr", app.ID, workflows.KindCorrection, workflows.StageCorrection, models.RoleEnterpriseUser,
		"150105/E/"+dairyEnterpriseID, due)
	body = e.pageOK(c, "/", http.StatusOK)
	require.Contains(t, body, "当前阶段</dt><dd>"+stageName(workflows.StageCorrection))
	require.Contains(t, body, `<a href="/application">按审核意见修改并重新提交：`+workflows.Kinds[workflows.KindCorrection].Title+`</a>`)
	require.Contains(t, body, due.UTC().Format("2006-01-02 15:04"))
}

// "/" is the public landing page for visitors: the public services and the login. A
// logged-in user gets their 工作台 there (the header's 工作台 link).
func TestLandingPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	anon := e.browser()
	body := e.pageOK(anon, "/", http.StatusOK)
	for _, href := range []string{"/directory", "/query", "/publicity", "/supervision", "/complaint", "/login", "/register"} {
		require.Contains(t, body, `href="`+href+`"`, href)
	}
	require.NotContains(t, body, "<h1>工作台</h1>")
	for _, href := range []string{"/directory", "/query", "/publicity", "/supervision", "/complaint", "/login"} {
		e.pageOK(anon, href, http.StatusOK)
	}

	c := e.login("hohhot")
	body = e.pageOK(c, "/", http.StatusOK)
	require.Contains(t, body, "<h1>工作台</h1>")
	require.Contains(t, body, `<a href="/" aria-current="page">工作台</a>`)
}
