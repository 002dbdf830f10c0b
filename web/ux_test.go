package web

import (
	"context"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/dbtest"
	"skillcert/service"
	"skillcert/workflows"
)

// TestNotificationsReachTheNextActor: a step that hands a case to the league writes a
// notification for its officials; they see the unread count in the header of every page, the
// message in the list, and can mark it read. Other users see nothing of it.
func TestNotificationsReachTheNextActor(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	_, err := e.db.ApplyTransition(ctx, models.Transition{Key: "step-notify", Notify: []models.NotifyRequest{{Role: models.RoleLeagueOfficial,
		Domain: "150100", Kind: "task_opened", Subject: "新的待办：" + workflows.Kinds[workflows.KindLeagueReview].Title,
		Body: "呼和浩特乳业示范有限公司的申报材料已提交，请在办理时限内审核。"}}})
	require.NoError(t, err)

	h := e.login("hohhot")
	body := e.pageOK(h, "/", http.StatusOK)
	require.Contains(t, body, `<a href="/notifications" class="bell unread">通知<span class="count">（1 条未读）</span></a>`)
	body = e.pageOK(h, "/notifications", http.StatusOK)
	require.Contains(t, body, "新的待办："+workflows.Kinds[workflows.KindLeagueReview].Title)
	require.Contains(t, body, "请在办理时限内审核")
	require.Contains(t, body, "（未读）")

	// Not for another league.
	b := e.login("baotou")
	body = e.pageOK(b, "/notifications", http.StatusOK)
	require.Contains(t, body, "暂无通知")
	require.Contains(t, body, `class="bell">通知</a>`)
	resp, _ := e.postForm(b, "/notifications/read", url.Values{"csrf_token": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	body = e.pageOK(h, "/notifications", http.StatusOK)
	resp, _ = e.postForm(h, "/notifications/read", url.Values{"csrf_token": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/notifications", resp.Header.Get("Location"))
	require.Equal(t, "已标记为已读。", flashOf(resp))
	body = e.pageOK(h, "/notifications", http.StatusOK)
	require.NotContains(t, body, "（未读）")
	require.Contains(t, body, `class="bell">通知</a>`)
	require.Contains(t, body, "请在办理时限内审核", "a read notification stays listed")
}

// TestFocusRingContrast checks the focus outline against the white of the cards and the grey
// of the page: WCAG 1.4.11 asks 3:1 for the parts needed to see the focus.
func TestFocusRingContrast(t *testing.T) {
	css, err := Static.ReadFile("static/app.css")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^:focus-visible \{ outline: 3px solid (#[0-9a-f]{6});`).FindSubmatch(css)
	require.NotNil(t, m, "a focus-visible rule with a colour")
	for _, bg := range []string{"#ffffff", "#f5f7fa"} {
		got := contrast(string(m[1]), bg)
		require.GreaterOrEqual(t, got, 3.0, "focus ring %s on %s: %.2f:1", m[1], bg, got)
	}
	// The skip link, once focused, takes its own line instead of covering the brand text.
	require.Regexp(t, `\.skip:focus \{ position:static;`, string(css))
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(h string) float64 {
		var c [3]float64
		for i := range c {
			n, _ := strconv.ParseUint(h[1+2*i:3+2*i], 16, 8)
			x := float64(n) / 255
			if x <= 0.03928 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	x, y := lum(a), lum(b)
	return (max(x, y) + 0.05) / (min(x, y) + 0.05)
}

// TestDraftApplicationHeadingHasNoNestedBrackets: the task page titles the application
// "申报表（…）"; a draft's source reads "草稿，第 3 稿" inside it, not "申报表（草稿（第 3 稿））".
func TestDraftApplicationHeadingHasNoNestedBrackets(t *testing.T) {
	r := readApplication(appcheck.Form{}, service.ApplicationView{ID: "a1", FormSource: "draft", DraftVersion: 3})
	require.Equal(t, "草稿，第 3 稿", r.Source)
	require.NotContains(t, r.Source, "（")
}
