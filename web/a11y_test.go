package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The focus ring on the red header (white there) stands out from the header's red by 3:1 as well.
func TestHeaderFocusRingContrast(t *testing.T) {
	css, err := Static.ReadFile("static/app.css")
	require.NoError(t, err)
	brand := regexp.MustCompile(`--brand:(#[0-9a-f]{6});`).FindSubmatch(css)
	require.NotNil(t, brand, "the header's colour --brand")
	ring := regexp.MustCompile(`(?m)^:focus-visible \{ outline: 3px solid (#[0-9a-f]{6});`).FindSubmatch(css)
	require.NotNil(t, ring)
	onHeader := string(ring[1])
	if m := regexp.MustCompile(`header\.top :focus-visible \{ outline-color: ?(#[0-9a-f]{6}|#fff);`).FindSubmatch(css); m != nil {
		onHeader = string(m[1])
	}
	if onHeader == "#fff" {
		onHeader = "#ffffff"
	}
	got := contrast(onHeader, string(brand[1]))
	require.GreaterOrEqual(t, got, 3.0, "focus ring %s on the header %s: %.2f:1", onHeader, brand[1], got)
}

// 大字 (适老化): the header's button keeps the larger text in a cookie for every page, for a
// visitor as for a user, and turns it off again; app.css sizes text in rem so that the root's
// larger size reaches all of it.
func TestLargeTextOption(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	for _, c := range []*http.Client{e.browser(), e.login("hohhot")} {
		_, body := e.get(c, "/query")
		require.Contains(t, body, `aria-pressed="false"`)
		require.NotContains(t, body, `class="large-text"`)
		resp, _ := e.postForm(c, "/text-size", url.Values{"csrf_token": {csrfOf(t, body)}, "size": {"large"}, "back": {"/query"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/query", resp.Header.Get("Location"))
		_, body = e.get(c, "/query")
		require.Contains(t, body, `<html lang="zh-CN" class="large-text">`)
		require.Contains(t, body, `aria-pressed="true"`)
		_, other := e.get(c, "/directory")
		require.Contains(t, other, `class="large-text"`, "on every page")
		resp, _ = e.postForm(c, "/text-size", url.Values{"csrf_token": {csrfOf(t, body)}, "size": {"normal"}, "back": {"//evil.example/"}})
		require.Equal(t, "/", resp.Header.Get("Location"), "only back to a page of this site")
		_, body = e.get(c, "/query")
		require.NotContains(t, body, `class="large-text"`)
	}
	resp, _ := e.postForm(e.browser(), "/text-size", url.Values{"size": {"large"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "a form of this site only (CSRF)")

	css, err := Static.ReadFile("static/app.css")
	require.NoError(t, err)
	require.Regexp(t, `html\.large-text \{ font-size:1[2-9][0-9]%; \}`, string(css))
	for _, line := range strings.Split(string(css), "\n") {
		require.NotRegexp(t, `font-size: ?[0-9.]+px`, line, "text sized in px does not follow the root's size")
	}
}
