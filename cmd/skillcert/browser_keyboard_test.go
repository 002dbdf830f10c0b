package main

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/require"

	"skillcert/workflows"
)

// Keyboard-only journeys: Tab, Shift, Space and Enter and typed characters, no clicks. An
// enterprise logs in, types its application and submits it; a league official reaches the
// decision form of a review within a few tab stops and decides it; the skip link, once
// focused, covers nothing; a refused login puts the focus on its error summary; the header's
// 大字 enlarges the text.

// focused describes the focused element: its id, else its tag and text.
const focusedJS = `(() => { const e = document.activeElement; return e ? (e.id || e.tagName.toLowerCase() + ":" + (e.textContent || "").trim().slice(0, 20)) : ""; })()`

// tabTo presses Tab until the element matching sel (CSS) has the focus; it returns how many
// presses it took and fails beyond max.
func (p *page) tabTo(sel string, max int) int {
	p.t.Helper()
	for n := 1; n <= max; n++ {
		p.do("Tab", chromedp.KeyEvent(kb.Tab))
		ok, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](fmt.Sprintf(`document.activeElement === document.querySelector(%q)`, sel)))
		require.NoError(p.t, err)
		if ok {
			return n
		}
	}
	at, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](focusedJS))
	p.screenshot("tab-not-reached")
	p.t.Fatalf("%s not reached in %d tab stops (focus on %s)", sel, max, at)
	return 0
}

// typeOver erases what the focused field holds (End, then Backspace) and types s.
func (p *page) typeOver(s string) {
	p.t.Helper()
	n, err := chromedp.Run(p.ctx, chromedp.Evaluate[int](`[...(document.activeElement.value || "")].length`))
	require.NoError(p.t, err)
	if n > 0 {
		p.do("erase", chromedp.KeyEvent(kb.End), chromedp.KeyEvent(strings.Repeat(kb.Backspace, n)))
	}
	p.do("type", chromedp.KeyEvent(s))
}

// enter presses Enter on what has the focus and waits for the page it loads; it returns its status.
func (p *page) enter() int64 {
	p.t.Helper()
	resp, err := chromedp.RunResponse(p.ctx, chromedp.KeyEvent(kb.Enter))
	require.NoError(p.t, err, "Enter")
	require.Less(p.t, resp.Status, int64(500))
	p.fits()
	return resp.Status
}

// keyboardLogin logs in with the keyboard alone.
func (p *page) keyboardLogin(user, password string) int64 {
	p.t.Helper()
	p.open("/login")
	p.tabTo("#username", 30)
	p.typeOver(user)
	p.tabTo("#password", 2)
	p.typeOver(password)
	return p.enter()
}

func TestBrowserKeyboard(t *testing.T) {
	browser := startBrowser(t)
	s, _ := a11yStack(t)
	base := s.http.URL
	desktop := viewports[0]

	t.Run("skip_link", func(t *testing.T) {
		for _, vp := range viewports {
			t.Run(vp.name, func(t *testing.T) {
				p := newPage(t, browser, base, vp)
				p.open("/")
				rect := `(sel => { const r = document.querySelector(sel).getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })`
				skip, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](rect+`("a.skip")`))
				require.NoError(t, err)
				require.LessOrEqual(t, skip[2], 0.0, "the skip link is out of sight until focused")
				require.Equal(t, 1, p.tabTo("a.skip", 1), "the skip link is the first tab stop")
				skip, err = chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](rect+`("a.skip")`))
				require.NoError(t, err)
				brand, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]float64](rect+`(".brand")`))
				require.NoError(t, err)
				p.checkpoint("skip-focused")
				require.Greater(t, skip[2]-skip[0], 0.0, "visible when focused")
				require.GreaterOrEqual(t, skip[0], 0.0)
				overlap := skip[0] < brand[2] && brand[0] < skip[2] && skip[1] < brand[3] && brand[1] < skip[3]
				require.False(t, overlap, "the focused skip link %v covers the brand text %v", skip, brand)
			})
		}
	})

	t.Run("refused_login", func(t *testing.T) {
		p := newPage(t, browser, base, desktop)
		require.Equal(t, int64(http.StatusUnauthorized), p.keyboardLogin("dairy", "not-the-password"))
		p.refusedAtTop("用户名或密码错误")
		invalid, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("[aria-invalid=true]"), e => e.id)`))
		require.NoError(t, err)
		require.Subset(t, invalid, []string{"username", "password"})
	})

	t.Run("large_text", func(t *testing.T) {
		p := newPage(t, browser, base, desktop)
		p.open("/query")
		size := func() string {
			v, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("main p.hint")).fontSize`))
			require.NoError(t, err)
			return v
		}
		require.Equal(t, "14px", size())
		p.tabTo(`button[name=size]`, 10)
		p.enter()
		require.Equal(t, "17.5px", size(), "the larger text")
		p.open("/directory")
		root, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](`getComputedStyle(document.documentElement).fontSize`))
		require.NoError(t, err)
		require.Equal(t, "20px", root, "kept on the next page")
	})

	// The enterprise types part of its application (the rest, with the evidence files, is in
	// its draft already: a file chooser is outside the page) and submits it.
	t.Run("enterprise_application", func(t *testing.T) {
		const user = "energy"
		f := s.applicationForm(user)
		typed := map[string]string{"f-applicant-address": f.Applicant.Address, "f-contact-name": f.Contact.Name,
			"f-contact-post": f.Contact.Post, "f-contact-mobile": f.Contact.Mobile, "f-contact-email": f.Contact.Email,
			"f-strengths": f.Strengths, "f-exam_system": f.ExamSystem}
		f.Applicant.Address, f.Contact.Post, f.Contact.Mobile, f.Contact.Email, f.Strengths, f.ExamSystem = "", "", "", "", "", ""
		var v appView
		s.must(http.StatusOK, user, http.MethodGet, "/api/v1/applications/mine", nil, &v)
		s.must(http.StatusOK, user, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", map[string]any{"draft_version": v.DraftVersion, "form": f}, nil)

		p := newPage(t, browser, base, desktop)
		require.Equal(t, int64(http.StatusOK), p.keyboardLogin(user, e2ePassword))
		require.Contains(t, p.main(), "工作台")
		p.open("/application")
		// The fields in the order the Tab key meets them.
		order, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("input, textarea, select"), e => e.id)`))
		require.NoError(t, err)
		at := map[string]int{}
		for i, id := range order {
			at[id] = i
		}
		ids := make([]string, 0, len(typed))
		for id := range typed {
			require.Contains(t, at, id)
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return at[ids[i]] < at[ids[j]] })
		for _, id := range ids {
			p.tabTo("#"+id, 40)
			p.typeOver(typed[id])
			require.Equal(t, typed[id], p.value(id))
		}
		p.tabTo("#submit-application", 400)
		require.Equal(t, int64(http.StatusOK), p.enter())
		p.checkpoint("submitted")
		require.Contains(t, p.main(), "申报表已提交（第 1 版）")
		s.waitStage(v.ID, workflows.StageLeagueReview)
	})

	// 呼和浩特 opens its claimed review from the inbox, reaches the decision form in a few tab
	// stops (跳到办理), chooses 审核通过 with the space bar and submits with Enter.
	t.Run("league_review", func(t *testing.T) {
		p := newPage(t, browser, base, desktop)
		require.Equal(t, int64(http.StatusOK), p.keyboardLogin("hohhot", e2ePassword))
		p.open("/inbox")
		p.tabTo(`main table a[href^="/tasks/"]`, 60)
		p.enter()
		require.Contains(t, p.main(), "申报表（第 1 版）")
		stops := p.tabTo("a.skip[href='#decide']", 10)
		p.do("follow the skip link", chromedp.KeyEvent(kb.Enter))
		stops += p.tabTo("#f-outcome", 10)
		t.Logf("the decision form's first control is %d tab stops from the top of the page", stops)
		require.LessOrEqual(t, stops, 5, "the decision form is a few tab stops away")
		p.do("choose 审核通过", chromedp.KeyEvent(" "))
		checked, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`document.getElementById("f-outcome").checked`))
		require.NoError(t, err)
		require.True(t, checked)
		p.tabTo(`#decide button[type=submit]`, 30)
		p.enter()
		require.Contains(t, p.main(), "已办理：审核通过")
	})
}
