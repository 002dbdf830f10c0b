package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/workflows"
)

// Accessibility: axe-core (WCAG 2.1 A and AA, and axe's best practices) over every page each
// demo role reaches by GET links, and the public pages, at 1280 and 390 px, with the pages'
// Content-Security-Policy left on: the test evaluates axe's source in the page rather than
// adding a script tag. axe-core comes from the npm registry at axeVersion; .ci/run fetches it
// and points SKILLCERT_AXE_JS at axe.min.js (default: the path .ci/run installs to).

const axeVersion = "4.11.4"

// axeSource reads axe.min.js; it skips, or fails when the browser tests are required, without it.
func axeSource(t *testing.T) string {
	t.Helper()
	file := os.Getenv("SKILLCERT_AXE_JS")
	if file == "" {
		home, _ := os.UserHomeDir()
		file = filepath.Join(home, ".cache", "skillcert-axe", axeVersion, "node_modules", "axe-core", "axe.min.js")
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		msg := fmt.Sprintf("axe-core: %v (npm install --prefix ~/.cache/skillcert-axe/%s axe-core@%s, or set SKILLCERT_AXE_JS)", err, axeVersion, axeVersion)
		if os.Getenv("SKILLCERT_TEST_BROWSER") == "required" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return string(raw)
}

// axeRun is the configuration of every run: the WCAG 2.0/2.1 A and AA rules and best practices.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]})
	.then(r => JSON.stringify(r.violations.map(v => ({id: v.id, impact: v.impact, targets: v.nodes.map(n => n.target.join(" "))}))))`

type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Targets []string `json:"targets"`
}

// axe runs axe-core on the page as it is and returns its violations as "rule selector (page)".
func (p *page) axe(src, where string) []string {
	p.t.Helper()
	loaded, err := chromedp.Run(p.ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	require.NoError(p.t, err)
	if !loaded {
		_, err = chromedp.Run(p.ctx, chromedp.Evaluate[bool](src+";\ntrue"))
		require.NoError(p.t, err, "evaluate axe-core on %s", where)
	}
	out, err := chromedp.Run(p.ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	require.NoError(p.t, err, "axe.run on %s", where)
	var vs []axeViolation
	require.NoError(p.t, json.Unmarshal([]byte(out), &vs))
	var found []string
	for _, v := range vs {
		for i, sel := range v.Targets {
			if i == 3 {
				found = append(found, fmt.Sprintf("%s (%s) … %d more elements (%s)", v.ID, v.Impact, len(v.Targets)-3, where))
				break
			}
			found = append(found, fmt.Sprintf("%s (%s) %s (%s)", v.ID, v.Impact, sel, where))
		}
	}
	return found
}

var reA11yUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|/[0-9]+(/|$)`)

// skipA11yCrawl leaves out what is not a page: the API, files, downloads and exports, logging
// out, and the paging and sorting variants of a list.
func skipA11yCrawl(path string) bool {
	if !strings.HasPrefix(path, "/") || strings.HasPrefix(path, "//") {
		return true
	}
	for _, s := range []string{"/api/", "/static/", "/logout", ".xlsx", ".csv", ".pdf", "format=", "/download", "/export", "page=", "sort=", "/photo", "/attachments/", "/files/"} {
		if strings.Contains(path, s) {
			return true
		}
	}
	return false
}

// a11yCrawl visits the pages reachable by GET links from start (two of each shape, at most max)
// and runs check on each HTML page.
func (p *page) a11yCrawl(start []string, max int, check func(path string)) int {
	p.t.Helper()
	seen := map[string]bool{}
	perShape := map[string]int{}
	queue := append([]string(nil), start...)
	n := 0
	for len(queue) > 0 && n < max {
		path := queue[0]
		queue = queue[1:]
		if seen[path] {
			continue
		}
		seen[path] = true
		shape := reA11yUUID.ReplaceAllString(strings.SplitN(path, "?", 2)[0], "{id}")
		if perShape[shape]++; perShape[shape] > 1 {
			continue
		}
		resp, err := chromedp.Run(p.ctx, chromedp.NavigateResponse(p.base+path))
		if err != nil || resp.Status != http.StatusOK || !strings.HasPrefix(resp.MimeType, "text/html") {
			continue
		}
		n++
		check(path)
		links, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a[href]"), a => a.getAttribute("href"))`))
		require.NoError(p.t, err)
		for _, l := range links {
			l = strings.SplitN(l, "#", 2)[0]
			if l == "" || skipA11yCrawl(l) || seen[l] {
				continue
			}
			queue = append(queue, l)
		}
	}
	return n
}

// a11yStack starts the stack with work in it: an open campaign, 乳业's application claimed by
// 呼和浩特 for its review, and a certificate with a public page; it returns the certificate's
// public path.
func a11yStack(t *testing.T) (*stack, string) {
	dir := t.TempDir()
	s := startStack(t, dir, filepath.Join(dir, "app.db"))
	t.Cleanup(func() { s.stop() })
	now := time.Now()
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)
	app := s.submit("dairy", s.applicationForm("dairy"))
	s.waitStage(app, workflows.StageLeagueReview)
	review := s.task("hohhot", workflows.KindLeagueReview, app)
	s.must(http.StatusOK, "hohhot", http.MethodPost, "/api/v1/tasks/"+review.ID+"/claim", map[string]any{"version": review.Version}, nil)
	return s, "/c/" + a11yCertificate(t, s, "dairy").Token
}

// a11yCertificate issues a certificate to a holder of user's enterprise (directly, as the
// assessment's activity does).
func a11yCertificate(t *testing.T, s *stack, user string) models.Certificate {
	var me struct {
		User models.User `json:"user"`
	}
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/me", nil, &me)
	require.NotNil(t, me.User.EnterpriseID)
	sealer, err := pii.New([]byte(e2eDataKey), []byte(e2eLookupKey))
	require.NoError(t, err)
	sealed, err := sealer.Seal("110101199003074514")
	require.NoError(t, err)
	cs, err := s.db.IssueCertificates(context.Background(), ed25519.NewKeyFromSeed([]byte("e2e-signing-key-e2e-signing-key!")),
		[]models.CertificateDraft{{EnterpriseID: *me.User.EnterpriseID, SessionID: "a11y-session", CandidateKey: "a11y-session/1",
			HolderName: "王晓梅", ID: sealed, OccupationCode: "6-02-04-01", OccupationName: "乳品加工工", Level: 4, IssueDate: time.Now()}})
	require.NoError(t, err)
	return cs[0]
}

// a11yRoles are the demo users whose pages the axe test reads ("" is a member of the public).
var a11yRoles = []string{"", "admin", "secadmin", "auditadmin", "region", "centre", "hohhot", "saihan", "expert1", "supervisor1", "dairy"}

func TestBrowserAccessibility(t *testing.T) {
	src := axeSource(t)
	browser := startBrowser(t)
	s, certPath := a11yStack(t)
	base := s.http.URL
	// The certificate on a 320 px phone: no field, the certificate number above all, runs out
	// of its box or makes the page scroll sideways.
	t.Run("certificate_320", func(t *testing.T) {
		p := newPage(t, browser, base, viewport{"narrow", 320, 640, true})
		p.open(certPath) // p.fits: the page does not scroll sideways
		over, err := chromedp.Run(p.ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".cert-fields dd, .cert"))
			.filter(d => d.scrollWidth > d.clientWidth || d.getBoundingClientRect().right > document.documentElement.clientWidth)
			.map(d => d.textContent.trim())`))
		require.NoError(t, err)
		require.Empty(t, over, "overflowing at 320 px")
	})
	for _, vp := range viewports {
		t.Run(vp.name, func(t *testing.T) {
			var found []string
			pages := 0
			for _, user := range a11yRoles {
				p := newPage(t, browser, base, vp)
				who := user
				if user == "" {
					who = "公众"
				} else {
					p.login(user)
				}
				check := func(path string) {
					v := p.axe(src, who+" "+path)
					for _, f := range v {
						t.Log("axe: " + f)
					}
					found = append(found, v...)
				}
				start := []string{"/"}
				if user == "" {
					start = append(start, "/login", "/register", "/query", "/directory", "/complaint", certPath)
				}
				n := p.a11yCrawl(start, 60, check)
				t.Logf("%s: %d pages", who, n)
				pages += n
				// Refused forms, where they are cheap to reach.
				switch user {
				case "":
					// The harness sees a fault: an image without a text alternative.
					p.open("/")
					p.do("plant a fault", chromedp.Evaluate[chromedp.Void](`document.querySelector("main").append(document.createElement("img"))`))
					require.Contains(t, strings.Join(p.axe(src, "planted"), "\n"), "image-alt", "axe-core runs and reports")
					p.open("/login")
					p.set(map[string]string{"username": "dairy", "password": "not-the-password"})
					p.press(chromedp.CSS(`main form button[type=submit]`))
					check("/login (refused)")
				case "dairy": // 乳业 has applied; 稀土 (no application yet) is refused
					p = newPage(t, browser, base, vp)
					p.login("rare")
					p.open("/application")
					p.press(chromedp.ID("submit-application"))
					check("/application (refused)")
				case "hohhot":
					p.open("/inbox")
					p.press(chromedp.CSS(`main table a[href^="/tasks/"]`))
					require.Equal(t, int64(422), p.press(chromedp.CSS(`#decide button[type=submit]`)))
					check("task (refused decision)")
				}
			}
			sort.Strings(found)
			t.Logf("axe-core %s: %d pages, %d violations", axeVersion, pages, len(found))
			require.Empty(t, found, "axe-core violations at %d px:\n%s", vp.width, strings.Join(found, "\n"))
		})
	}
}
