package web

import (
	"context"
	"html"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// Officials read Chinese. These tests hold the pages to it: every stage, task kind, outcome and
// audited action has a Chinese name, and no page a role can reach shows an English identifier,
// an English word or a UUID where a Chinese label belongs.

// latinAllowed are the Latin words a page may show, each with why.
var latinAllowed = map[string]string{
	"XLSX":  "the spreadsheet format officials choose when exporting or importing",
	"CSV":   "the text format of the audit export",
	"PDF":   "the format of attachments",
	"JSON":  "the audit export format for machines",
	"ID":    "part of 身份证号 hints such as 证件号（ID）, common in official forms",
	"TOTP":  "the name of the authenticator-app standard on the two-factor page",
	"SHA":   "the hash algorithm named on the audit chain page (SHA-256)",
	"HMAC":  "the keyed hash named on the audit chain page",
	"SM":    "the national algorithm family (SM2/SM3) on the security pages",
	"API":   "接口令牌 pages name the API integrators call",
	"OIDC":  "the unified identity platform's protocol on the account page",
	"Ed":    "Ed25519, the certificate signature algorithm, where still shown",
	"JPG":   "the photo format of candidate ID photos",
	"JPEG":  "the photo format of candidate ID photos",
	"PNG":   "the photo format of candidate ID photos",
	"URL":   "the address of the public verification page",
	"HTTPS": "the address of the public verification page",
	"Excel": "the spreadsheet program officials know the import and export files by",
	"Word":  "the document format an attachment may have",
	"xlsx":  "the file extension of the import template and files (.xlsx)",
	"GB":    "the national standard of the jurisdiction codes (GB/T 2260)",
	"MM":    "the occupation code format hint (M-MM-MM-MM)",
}

// usernameAllowed: login names are account data the administrator typed, shown where accounts
// are managed; they are not labels.
func usernameAllowed(w string) bool { return demoUsernames[w] }

var demoUsernames = map[string]bool{}

func init() {
	for _, u := range []string{"admin", "secadmin", "auditadmin", "region", "centre", "hohhot", "baotou", "ordos", "xincheng",
		"saihan", "kundulun", "expert1", "expert2", "expert3", "expert4", "supervisor1", "supervisor2", "supervisor3",
		"dairy", "rare", "energy", "power"} {
		demoUsernames[u] = true
	}
}

var (
	reScript = regexp.MustCompile(`(?is)<(script|style|template)\b.*?</(script|style|template)>`)
	reTag    = regexp.MustCompile(`(?s)<[^>]*>`)
	reUUID   = regexp.MustCompile(`(?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b`)
	// A Latin token: letters, digits and the joiners of identifiers and codes.
	reLatin  = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9_.\-]*[A-Za-z0-9_]|[A-Za-z]`)
	reHref   = regexp.MustCompile(`href="(/[^"#]*)"`)
	reURL    = regexp.MustCompile(`https?://[^\s，。；）]+`)
	reDotted = regexp.MustCompile(`[a-z]\.[a-z]`)
	reWord   = regexp.MustCompile(`[A-Za-z]+`)
)

// visibleText is what a reader sees: the page without scripts, styles, tags and attribute values.
func visibleText(page string) string {
	s := reScript.ReplaceAllString(page, " ")
	s = reTag.ReplaceAllString(s, " ")
	return html.UnescapeString(s)
}

// leakedIdentifiers lists the English identifiers, English words and UUIDs in a page's visible
// text. Codes and numbers pass: a token with a digit and no lowercase word in it (credit codes,
// certificate numbers, occupation codes, dates, 文号), and the allowed words above.
func leakedIdentifiers(page string) []string {
	text := visibleText(page)
	out := reUUID.FindAllString(text, -1)
	text = reUUID.ReplaceAllString(text, " ")
	// A web address is shown to be typed or followed (the national certificate query site on
	// /query); it is not a label.
	text = reURL.ReplaceAllString(text, " ")
	for _, tok := range reLatin.FindAllString(text, -1) {
		tok = strings.Trim(tok, ".-_")
		if usernameAllowed(tok) {
			continue
		}
		if tok == "" || len(tok) == 1 {
			continue // a single letter: a list marker, a grade (A级), a unit
		}
		if strings.ContainsAny(tok, "_") || reDotted.MatchString(tok) {
			out = append(out, tok) // snake_case or dotted: an identifier
			continue
		}
		words := reWord.FindAllString(tok, -1)
		hasDigit := strings.ContainsAny(tok, "0123456789")
		for _, w := range words {
			if _, ok := latinAllowed[w]; ok {
				continue
			}
			if hasDigit && (strings.ToUpper(w) == w || len(w) <= 2) {
				continue // a code: 91150105MA0..., NM-2027-..., 15:04
			}
			if len(w) == 1 {
				continue
			}
			out = append(out, tok)
			break
		}
	}
	return out
}

func TestLeakedIdentifiersCatchesCodesButNotNumbers(t *testing.T) {
	page := `<html><head><style>.a_b{}</style><script>var x_y = "session.scores";</script></head>
	<body><a href="/tasks/case-1.county_precheck.1.0" title="pass">办理</a>
	<td>session.scores</td><td>pass</td><td>91150105MA0N8KXX3T</td><td>2026-12-07 13:04</td>
	<td>4-01-02-01</td><td>内人社发〔2027〕12号</td><td>NM2027000123</td><td>导出 XLSX</td>
	<td>0191c5e2-7a3b-7c4d-8e5f-123456789abc</td><td>complaint</td><td>第 3 稿</td></body></html>`
	require.Equal(t, []string{"0191c5e2-7a3b-7c4d-8e5f-123456789abc", "session.scores", "pass", "complaint"}, leakedIdentifiers(page))
}

// Every name the pages look up has a Chinese entry: the stages, the task kinds, the outcomes of
// each kind, and the audit outcomes. (Audited actions: TestEveryAuditedActionHasAChineseName.)
func TestEveryStageKindAndOutcomeHasAChineseName(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	for _, st := range domain.Stages {
		require.Regexp(t, han, stageName(st), "stage %q", st)
	}
	for st := range processStageNames {
		require.Regexp(t, han, stageName(st), "stage %q", st)
	}
	kinds := kindConstants(t)
	require.Greater(t, len(kinds), 15, "the scan finds the task kinds")
	for _, k := range kinds {
		require.Regexp(t, han, kindName(k), "task kind %q has no Chinese title in workflows.Kinds", k)
		for o := range workflows.Kinds[k].Outcomes {
			require.Regexp(t, han, outcomeName(o), "outcome %q of %s has no Chinese name", o, k)
		}
	}
	for _, o := range []string{models.OutcomeOK, models.OutcomeDenied, models.OutcomeRejected} {
		require.Regexp(t, han, auditOutcomes[o].Text, "audit outcome %q", o)
	}
	for _, m := range []map[string]string{slaNames, candidateResultNames, caseStatusNames, collectionStatusNames, campaignStatusNames, detailWords} {
		for code, name := range m {
			require.Regexp(t, han, name, "%q", code)
		}
	}
}

// kindConstants are the values of the workflows Kind* constants, read from the source.
func kindConstants(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile("../workflows/contract.go")
	require.NoError(t, err)
	b := string(raw)
	re := regexp.MustCompile(`(?m)^\s*Kind[A-Z][A-Za-z]*\s*=\s*"([a-z_]+)"`)
	var out []string
	for _, m := range re.FindAllStringSubmatch(b, -1) {
		out = append(out, m[1])
	}
	return out
}

// Every page a role reaches from its menu, with work in its inbox, a case, a complaint task and
// an audit log of the actions that leaked before, shows Chinese labels: no identifiers, no
// English words, no UUIDs.
func TestPagesShowNoEnglishIdentifiers(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	seedLabelData(t, e)
	roles := []string{"admin", "secadmin", "auditadmin", "region", "centre", "hohhot", "saihan", "expert1", "supervisor1", "dairy"}
	found := map[string][]string{}
	for _, user := range append(roles, "") {
		c := e.browser() // "": the public pages, as a member of the public sees them
		if user != "" {
			c = e.login(user)
		}
		pages := e.crawl(c, 80)
		require.Greater(t, len(pages), 3, "%s reaches its pages", user)
		t.Logf("%s: %d pages", user, len(pages))
		for path, page := range pages {
			for _, tok := range leakedIdentifiers(page) {
				found[tok] = append(found[tok], user+" "+path)
			}
		}
	}
	var msgs []string
	for tok, where := range found {
		if len(where) > 3 {
			where = append(where[:3], "…")
		}
		msgs = append(msgs, tok+" ← "+strings.Join(where, ", "))
	}
	sort.Strings(msgs)
	require.Empty(t, msgs, "English identifiers on pages:\n%s", strings.Join(msgs, "\n"))
}

// crawl fetches the pages reachable by GET links from /, the directory and the login page, within max pages.
func (e *testEnv) crawl(c *http.Client, max int) map[string]string {
	e.t.Helper()
	seen := map[string]string{}
	// A list's rows lead to pages of one shape: read two of each. The public pages link from
	// the directory.
	perShape := map[string]int{}
	queue := []string{"/", "/directory", "/login"}
	for len(queue) > 0 && len(seen) < max {
		path := queue[0]
		queue = queue[1:]
		if _, ok := seen[path]; ok {
			continue
		}
		shape := reUUID.ReplaceAllString(strings.SplitN(path, "?", 2)[0], "{id}")
		if perShape[shape]++; perShape[shape] > 2 {
			continue
		}
		resp, body := e.get(c, path)
		seen[path] = ""
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			continue
		}
		seen[path] = body
		for _, m := range reHref.FindAllStringSubmatch(body, -1) {
			next := html.UnescapeString(m[1])
			if skipCrawl(next) {
				continue
			}
			if _, ok := seen[next]; !ok {
				queue = append(queue, next)
			}
		}
	}
	return seen
}

// skipCrawl leaves out what is not a page to read: the API, downloads, logging out, static
// files, and the filter and paging variants of a list (the list itself is read).
func skipCrawl(path string) bool {
	for _, p := range []string{"/api/", "/static/", "/logout", ".xlsx", ".csv", ".pdf", "format=", "/download", "/export", "page=", "sort="} {
		if strings.Contains(path, p) {
			return true
		}
	}
	return false
}

// seedLabelData puts work where the crawl reads it: open tasks of several kinds (one a
// complaint's verification), and audit rows of the actions and details that leaked before.
func seedLabelData(t *testing.T, e *testEnv) {
	t.Helper()
	due := e.now.Add(72 * time.Hour)
	seedTask(t, e.db, "lbl-1", "app-lbl-1", workflows.KindPrecheck, domain.StagePrecheck, models.RoleCountyOfficial, "150105", due)
	seedTask(t, e.db, "lbl-2", "app-lbl-2", workflows.KindLeagueReview, domain.StageLeagueReview, models.RoleLeagueOfficial, "150100", due)
	seedTask(t, e.db, "lbl-3", "app-lbl-3", workflows.KindRegionDecision, domain.StageRegionDecision, models.RoleRegionOfficial, "150000", due)
	seedTask(t, e.db, "lbl-4", "app-lbl-4", workflows.KindVerifyComplaint, "complaint", models.RoleCountyOfficial, "150105", due)
	ctx := context.Background()
	for _, a := range []struct{ action, obj, after string }{
		{"session.scores", "session", `{"result":"pass"}`},
		{"session.candidate_add", "session", `{"status":"issued"}`},
		{"task.decide:county_precheck", "task", `{"outcome":"pass"}`},
	} {
		require.NoError(t, e.db.AppendAudit(ctx, &models.AuditEntry{At: e.now, ActorName: "赛罕区人社局 陈干事", Role: models.RoleCountyOfficial,
			JurisdictionCode: "150105", Action: a.action, ObjectType: a.obj, ObjectID: "0191c5e2-7a3b-7c4d-8e5f-123456789abc",
			AfterState: a.after, Outcome: models.OutcomeOK}))
	}
}

// The audit details read in Chinese: the issue found "pass", "issued" and UUIDs there.
func TestAuditDetailsReadInChinese(t *testing.T) {
	require.Equal(t, "结果：初审通过", detailText(`{"result":"pass"}`))
	require.Equal(t, "状态：已颁发证书", detailText(`{"status":"issued"}`))
	require.Equal(t, "已停用 结束会话数：2 撤销令牌数：1", detailText("disabled sessions=2 tokens=1"))
	require.Equal(t, "用户 （内部编号）", detailText("user 0191c5e2-7a3b-7c4d-8e5f-123456789abc"))
	require.Equal(t, "合格", candidateResultNames["pass"])
	require.True(t, internalID("case-1.county_precheck.1.0"))
	require.False(t, internalID("150102"))
}

// The audit log showed codes (session.scores, session.candidate_add, later case.paper_receipt,
// keys.rotate) where officials read Chinese. TestEveryAuditActionHasAName reads the audited
// actions from the source (the Action of every audit entry written, and the case, campaign and
// supervision actions built from a prefix) and finds each in the one table of names
// (domain.Name), so the log never shows a code.
func TestEveryAuditActionHasAName(t *testing.T) {
	literal := regexp.MustCompile(`Action:\s*"([a-z_]+\.[a-z_.]+)"`)
	var actions []string
	for _, dir := range []string{"../service", "../workflows", "../api", "../web", "../activities", "../cmd/skillcert", "../models"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			raw, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range literal.FindAllStringSubmatch(string(raw), -1) {
				if !strings.HasSuffix(m[1], "_") { // a prefix; its actions are listed below
					actions = append(actions, m[1])
				}
			}
		}
	}
	require.Greater(t, len(actions), 40, "the scan finds the audited actions")
	for _, a := range []string{"withdraw", "suspend", "resume", "remove", "return", "redraw", "draw_panel", "publish_late"} {
		actions = append(actions, "case."+a)
	}
	for _, w := range []string{"collection", "publication"} {
		actions = append(actions, "campaign.move_"+w)
	}
	for _, a := range []string{"report", "refile", "review", "amend"} {
		actions = append(actions, "supervision."+a)
	}
	for k := range workflows.Kinds {
		actions = append(actions, "task.decide:"+k)
	}
	var missing []string
	for _, a := range actions {
		if _, ok := domain.Name(domain.NameAuditAction, a); !ok {
			missing = append(missing, a)
		}
	}
	require.Empty(t, missing, "audited actions without a Chinese name in domain.AuditActionNames")
	require.Equal(t, "投诉核查", stageName("complaint"), "the complaint's stage in the inbox")
}

// TestNamesTableIsChinese checks every name in the one table.
func TestNamesTableIsChinese(t *testing.T) {
	han := regexp.MustCompile(`\p{Han}`)
	for kind, m := range domain.Names {
		require.NotEmpty(t, m, kind)
		for code, name := range m {
			require.Regexp(t, han, name, "%s %q", kind, code)
		}
	}
}
