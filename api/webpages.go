package api

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
	"skillcert/workflows"
)

// webPages serves the server-rendered pages of the officials', enterprises' and public
// journeys. The pages are a thin layer over the same use cases as the JSON API (the methods
// of service.Service taking the actor), so that no rule, check or audit row exists twice and
// no page goes through the JSON router. Every page works without JavaScript.
type webPages struct {
	*Server
	// engine is the complete router; hasRoute reads its route list.
	engine *gin.Engine
	// routes are the API's GET routes (hasRoute), read at the first request.
	routesOnce sync.Once
	routes     map[string]bool
}

// pageRoutes registers the server-rendered pages of the officials', enterprises' and public
// journeys.
func (s *Server) pageRoutes(r *gin.Engine) {
	p := &webPages{Server: s, engine: r}
	login := s.requirePageLogin

	// Logging in and out, and the home page.
	r.GET("/login", s.page(s.loginPage))
	r.POST("/login", s.csrf, s.page(s.loginSubmit))
	r.POST("/logout", s.csrf, s.page(s.logoutSubmit))
	r.GET("/", login, s.page(s.homePage))

	// Officials: inbox, task, decisions.
	r.GET("/inbox", login, s.authorize("task", "read", ownScope), s.page(p.inbox))
	r.POST("/inbox/bulk", login, s.csrf, s.page(p.bulkDecide))
	r.GET("/tasks/:id", login, s.page(p.taskPage))
	r.POST("/tasks/:id/decide", login, s.limitUpload, p.readMultipart, s.csrf, s.page(p.decide))
	r.POST("/tasks/:id/claim", login, s.csrf, s.page(p.claim))
	r.POST("/tasks/:id/unclaim", login, s.csrf, s.page(p.unclaim))

	// Enterprises: the application form and the case's progress. The form posts multipart
	// (evidence files travel with the typed fields, so nothing typed is lost by an upload).
	r.GET("/application", login, s.page(p.applicationPage))
	form := func(m appMode) []gin.HandlerFunc {
		return []gin.HandlerFunc{login, s.limitUpload, p.readMultipart, s.csrf, s.page(p.applicationPost(m))}
	}
	r.POST("/application/draft", form(modeDraft)...)
	r.POST("/application/upload", form(modeUpload)...)
	r.POST("/application/submit", form(modeSubmit)...)
	r.GET("/status", login, s.page(p.statusPage))

	// Leagues and the region.
	r.GET("/summary", login, s.page(p.summaryPage))
	r.POST("/summary/submit", login, s.csrf, s.page(p.summarySubmit))
	r.GET("/campaign", login, s.authorize("campaign", "read", ownScope), s.page(p.campaignPage))
	r.POST("/campaign/deadline", login, s.csrf, s.page(p.moveDeadline))
	r.GET("/admin/stalled", login, s.authorize("finding", "read", ownScope), s.page(p.stalledPage))
	r.POST("/admin/stalled/remind", login, s.csrf, s.authorize("finding", "act", ownScope), s.page(p.remind))
	r.POST("/admin/stalled/reassign", login, s.csrf, s.authorize("finding", "act", ownScope), s.page(p.reassign))
	r.POST("/admin/stalled/return", login, s.csrf, s.authorize("finding", "act", ownScope), s.page(p.returnCase))
	r.GET("/admin/cases", login, s.authorize("case", "read", ownScope), s.page(p.casesPage))

	// The public.
	r.GET("/directory", s.page(p.directoryPage))
	r.GET("/supervision", s.page(p.supervisionPage))
	r.GET("/complaint", s.page(p.complaintPage))
	r.POST("/complaint", s.csrf, s.page(p.complaintSubmit))
	r.GET("/register", s.page(p.registerPage))
	r.POST("/register", s.csrf, s.page(p.registerSubmit))

	// Certificates: the public query and e-certificate, the logged-in view and revocation.
	throttle := s.publicThrottle
	r.GET("/query", s.page(s.certQueryPage))
	r.POST("/query", s.csrf, throttle, s.page(s.certQuerySubmit))
	r.GET("/c/:token", throttle, s.page(s.publicCertificatePage))
	r.GET("/certificates/:id", login, s.authorize("certificate", "read", s.certificateScope), s.page(s.certificatePage))
	r.POST("/certificates/:id/revoke", login, s.csrf, s.authorize("certificate", "revoke", s.certificateScope), s.page(s.certificateRevokeSubmit))
	// The application form laid out like 附件1, for the browser's print.
	r.GET("/applications/:id/print", login, s.page(s.applicationPrintPage))

	// Enterprises' sittings, candidates, scores and certificates (webpages_sessions.go).
	p.assessmentRoutes(r, login)
	// Administrators: users, jurisdictions, the audit log (webpages_admin.go).
	p.adminRoutes(r, login)
}

// ---------------------------------------------------------------------------------------------
// Navigation.

// navLink is an entry of the main navigation and of the home page.
type navLink struct{ Href, Label, Desc string }

var (
	navHome        = navLink{"/", "工作台", "账户信息和常用功能。"}
	navInbox       = navLink{"/inbox", "待办事项", "认领、办理和批量处理待办，查看逾期和即将到期的事项。"}
	navDirectory   = navLink{"/directory", "试点企业目录", "已公布的试点企业及其认定职业（工种）和等级范围。"}
	navSupervision = navLink{"/supervision", "督导结果公开", "“双随机、一公开”质量督导的抽查结果。"}
	navCampaign    = navLink{"/campaign", "年度日程", "汇总截止时间、目录公布时间和各盟市报送情况。"}
	navStalled     = navLink{"/admin/stalled", "停滞案件", "逾期待办、长期无进展和处理异常的案件，提醒或改派。"}
	navCases       = navLink{"/admin/cases", "案件统计", "按阶段、盟市和批次统计的案件数量和名单。"}
	navComplaint   = navLink{"/complaint", "投诉举报", "对试点企业的认定工作进行投诉举报，可匿名。"}
	navQuery       = navLink{"/query", "证书查询", "查询职业技能等级证书的真伪和状态。"}
	navRegister    = navLink{"/register", "企业注册", "企业注册账户后在线填写和提交试点申报表。"}
	navSessions    = navLink{"/sessions", "评价考核", "在批准范围内安排考核、登记考生、录入成绩，查看证书。"}
	navUsers       = navLink{"/admin/users", "用户管理", "账户的新建、停用、启用和重置密码。"}
	navAreas       = navLink{"/admin/jurisdictions", "行政区划", "自治区、盟市、旗县区和试点企业的层级。"}
	navAudit       = navLink{"/admin/audit", "审计日志", "全部操作记录及其哈希链校验。"}
)

// roleNav is the main navigation of each role; the first entry is the home page.
var roleNav = map[string][]navLink{
	models.RoleEnterpriseUser: {navHome, {"/application", "申报表", "填写、保存和提交试点申报表（附件1），上传佐证材料。"},
		{"/status", "申报进度", "当前所处阶段、办理时限、审核意见和办理记录。"}, navSessions, navDirectory},
	models.RoleLeagueOfficial: {navHome, navInbox, {"/summary", "盟市汇总", "本盟市审核通过的企业汇总表（附件2），报送自治区。"},
		navCampaign, navAreas, navDirectory},
	models.RoleCountyOfficial: {navHome, navInbox, navCampaign, navDirectory},
	models.RoleRegionOfficial: {navHome, navInbox, navCampaign, navStalled, navCases, navAudit, navDirectory},
	models.RoleRegionCentre:   {navHome, navInbox, navCampaign, navCases, navDirectory},
	models.RoleExpert:         {navHome, navInbox, navDirectory},
	models.RoleSupervisor:     {navHome, navInbox, navDirectory},
	models.RoleSysadmin:       {navHome, navStalled, navCases, navUsers, navAreas, navAudit, navInbox, navCampaign},
}

// publicNav is the navigation of visitors who are not logged in.
var publicNav = []navLink{navDirectory, navQuery, navSupervision, navComplaint, navRegister}

// Nav is the main navigation for the page's user (the layout and the home page show it).
func (d pageData) Nav() []navLink {
	if d.User == nil {
		return publicNav
	}
	return roleNav[d.User.Role]
}

// HomeLinks are the role's pages as the home page lists them (without the home page itself).
func (d pageData) HomeLinks() []navLink {
	nav := d.Nav()
	if len(nav) > 0 && nav[0].Href == "/" {
		return nav[1:]
	}
	return nav
}

// ---------------------------------------------------------------------------------------------
// Rendering.

// pageView is the part every page of this file set shares: the layout's fields and an alert.
type pageView struct {
	pageData
	// Alert is an error message shown above the page's content (role="alert").
	Alert string
}

func (v *pageView) base() *pageView { return v }

// pager is the paging of a list page (the layout's "pager" template).
type pager struct {
	Total              int64
	Page, Pages        int
	PrevHref, NextHref string
}

// setTotal fills the page count and the links to the neighbouring pages, which keep the
// request's query q (filters) and change its page.
func (g *pager) setTotal(path string, q url.Values, total int64, size int) {
	g.Total = total
	g.Pages = max(int((total+int64(size)-1)/int64(size)), 1)
	href := func(n int) string {
		nq := url.Values{}
		for k, vs := range q {
			nq[k] = vs
		}
		nq.Set("page", strconv.Itoa(n))
		return path + "?" + nq.Encode()
	}
	if g.Page > 1 {
		g.PrevHref = href(g.Page - 1)
	}
	if g.Page < g.Pages {
		g.NextHref = href(g.Page + 1)
	}
}

// viewModel is a page's data: a struct embedding pageView.
type viewModel interface{ base() *pageView }

// show renders a page template with the layout, filling the common fields and the flash the
// previous request left. It mirrors render (pages.go), whose pageData has no room for a page's
// own data.
func (p *webPages) show(c *gin.Context, status int, name string, v viewModel) error {
	t, ok := p.pages[name]
	if !ok {
		return fmt.Errorf("missing template %s", name)
	}
	b := v.base()
	p.fillPage(c, &b.pageData)
	if kind, msg := p.takeFlash(c); msg != "" {
		if kind == flashError && b.Alert == "" {
			b.Alert = msg
		} else if kind != flashError {
			b.Flash = msg
		}
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Status(status)
	_, _ = c.Writer.Write(buf.Bytes())
	return nil
}

// Flash messages survive one redirect in a short-lived cookie: the kind, then the message.
const flashCookie = "skillcert_flash"

const (
	flashOK    = "o"
	flashError = "e"
)

func (p *webPages) flash(c *gin.Context, kind, msg string) {
	p.setCookie(c, flashCookie, kind+base64.RawURLEncoding.EncodeToString([]byte(msg)), 120)
}

func (p *webPages) takeFlash(c *gin.Context) (kind, msg string) {
	v, err := c.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	p.clearCookie(c, flashCookie)
	return decodeFlash(v)
}

func decodeFlash(v string) (kind, msg string) {
	if len(v) < 2 {
		return "", ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(v[1:])
	if err != nil {
		return "", ""
	}
	return v[:1], string(raw)
}

// seeOther answers 303 See Other, the answer to a form post.
func seeOther(c *gin.Context, to string) error {
	c.Redirect(http.StatusSeeOther, to)
	return nil
}

// backWithError shows a refused action's message on the page it came from; internal failures
// get the error page instead.
func (p *webPages) backWithError(c *gin.Context, to string, err error) error {
	e := service.UserError(err)
	if e == nil {
		return err
	}
	p.flash(c, flashError, e.Message)
	return seeOther(c, to)
}

// localPath returns v if it is a path on this site, else fallback.
func localPath(v, fallback string) string {
	if v == "" || !strings.HasPrefix(v, "/") || strings.HasPrefix(v, "//") || strings.HasPrefix(v, "/\\") {
		return fallback
	}
	return v
}

// ---------------------------------------------------------------------------------------------
// Forms: fields, options and field errors.

// formField is one labelled input. Kind is an input type ("text", "tel", "email", "number",
// "date"), "textarea", "select" or "checkbox".
type formField struct {
	Name, ID, Label, Kind, Value string
	Checked, Required, Wide      bool
	Options                      []choice
	Hint                         string
	Autocomplete, InputMode      string
	Min, Max, MaxLength          string
	Rows                         int
	Errors, Warnings, Reviews    []string
}

// Describedby lists the IDs of the hint and messages that describe the input.
func (f formField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if len(f.Reviews) > 0 {
		ids = append(ids, f.ID+"-rev")
	}
	if len(f.Errors) > 0 {
		ids = append(ids, f.ID+"-err")
	}
	if len(f.Warnings) > 0 {
		ids = append(ids, f.ID+"-warn")
	}
	return strings.Join(ids, " ")
}

// choice is one choice of a select or radio group.
type choice struct {
	Value, Label string
	Selected     bool
}

func choices(selected string, pairs ...string) []choice {
	out := make([]choice, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, choice{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == selected})
	}
	return out
}

var fieldIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// fieldID turns a field path ("occupations[0].code") into an element ID ("f-occupations-0-code").
func fieldID(path string) string {
	return "f-" + strings.Trim(fieldIDUnsafe.ReplaceAllString(path, "-"), "-")
}

// fieldBag holds messages by field path; each consumer takes its own, and what no field took
// is shown in the page's summary.
type fieldBag struct {
	order []string
	msgs  map[string][]string
	taken map[string]bool
}

func newFieldBag() *fieldBag {
	return &fieldBag{msgs: map[string][]string{}, taken: map[string]bool{}}
}

func (b *fieldBag) add(path, msg string) {
	if _, ok := b.msgs[path]; !ok {
		b.order = append(b.order, path)
	}
	b.msgs[path] = append(b.msgs[path], msg)
}

func (b *fieldBag) addAll(fs validate.Errors) {
	for _, f := range fs {
		b.add(f.Field, f.Message)
	}
}

func (b *fieldBag) empty() bool { return b == nil || len(b.order) == 0 }

// take returns the messages of exactly these paths.
func (b *fieldBag) take(paths ...string) []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range paths {
		if m, ok := b.msgs[p]; ok && !b.taken[p] {
			b.taken[p] = true
			out = append(out, m...)
		}
	}
	return out
}

// takeUnder returns the messages of path and of every path below it ("rules", "rules[0]").
func (b *fieldBag) takeUnder(path string) []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range b.order {
		if b.taken[p] {
			continue
		}
		if p == path || strings.HasPrefix(p, path+"[") || strings.HasPrefix(p, path+".") {
			b.taken[p] = true
			out = append(out, b.msgs[p]...)
		}
	}
	return out
}

// rest returns the messages no field took.
func (b *fieldBag) rest() []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range b.order {
		if !b.taken[p] {
			b.taken[p] = true
			out = append(out, b.msgs[p]...)
		}
	}
	return out
}

// errorLink is an entry of a form's error summary: the message and the field it is about.
type errorLink struct{ Href, Message string }

// summaryLinks lists every field error with a link to the nearest element that exists.
func summaryLinks(errs validate.Errors, known map[string]bool) []errorLink {
	var out []errorLink
	for _, e := range errs {
		href := ""
		for p := e.Field; p != ""; p = parentPath(p) {
			if known[fieldID(p)] {
				href = "#" + fieldID(p)
				break
			}
		}
		out = append(out, errorLink{Href: href, Message: e.Message})
	}
	return out
}

// parentPath drops the last element of a field path: "staff[1].name" → "staff[1]" → "staff".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// ---------------------------------------------------------------------------------------------
// Display helpers: times in Asia/Shanghai, SLA badges, names.

func (p *webPages) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.svc.Location()).Format("2006-01-02 15:04")
}

func (p *webPages) whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return p.when(*t)
}

func (p *webPages) day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(p.svc.Location()).Format("2006-01-02")
}

// marker is a small coloured label; an empty Text shows nothing.
type marker struct{ Class, Text string }

// slaBadge labels a due time: 逾期 past it, 即将到期 within the reminder window before it.
func (p *webPages) slaBadge(state string, due time.Time) marker {
	now := p.now()
	window := time.Duration(p.svc.Timing().WithDefaults().RemindBeforeHours) * time.Hour
	switch {
	case state == models.SLAOverdue || (!due.IsZero() && due.Before(now)):
		return marker{"badge overdue", "逾期"}
	case state == models.SLADueSoon || (!due.IsZero() && due.Sub(now) < window):
		return marker{"badge soon", "即将到期"}
	}
	return marker{}
}

// ageText writes a duration as people say it: 3 天, 5 小时, 不足 1 小时.
func ageText(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return strconv.Itoa(int(d/(24*time.Hour))) + " 天"
	case d >= time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " 小时"
	case d > 0:
		return "不足 1 小时"
	}
	return "—"
}

// slaNames are the Chinese names of SLA states.
var slaNames = map[string]string{models.SLAOnTime: "正常", models.SLADueSoon: "即将到期", models.SLAOverdue: "逾期"}

// collectionStatusNames are the Chinese names of a league collection's states.
var collectionStatusNames = map[string]string{"collecting": "汇总中", "submitted": "已报送", "overdue": "逾期未报送"}

// campaignStatusNames are the Chinese names of a campaign's states.
var campaignStatusNames = map[string]string{"collecting": "征集汇总中", "evaluating": "评估审定中", "published": "目录已公布"}

// caseStatusNames are the Chinese names of a case's status.
var caseStatusNames = map[string]string{"open": "办理中", "closed": "已结束"}

func stageName(stage string) string {
	if n, ok := workflows.StageNames[stage]; ok {
		return n
	}
	return stage
}

func outcomeName(o string) string {
	if n, ok := workflows.OutcomeNames[o]; ok {
		return n
	}
	return o
}

// levelOptions are the choices of a level select, lowest grade first, with selected marked.
func levelOptions(selected validate.Level) []choice {
	out := []choice{{Value: "", Label: "请选择", Selected: selected == 0}}
	for l := validate.Level5; l >= validate.Level1; l-- {
		out = append(out, choice{Value: strconv.Itoa(int(l)), Label: l.Name(), Selected: l == selected})
	}
	return out
}

func parseLevel(v string) validate.Level {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || !validate.Level(n).Valid() {
		return 0
	}
	return validate.Level(n)
}

// levelText writes a level range, or "" for none.
func levelText(r validate.LevelRange) string {
	if r.Validate() != nil {
		return ""
	}
	return r.String()
}

// names maps jurisdiction codes to names for display; a failed lookup shows codes.
func (p *webPages) names(c *gin.Context) map[string]string {
	m, err := p.db.JurisdictionNames(c.Request.Context())
	if err != nil {
		p.log.WarnContext(c.Request.Context(), "jurisdiction names", "err", err)
		return map[string]string{}
	}
	return m
}

// leaguesUnder lists the leagues/cities within a jurisdiction's subtree (for filters).
func (p *webPages) leaguesUnder(c *gin.Context, code string) []models.Jurisdiction {
	js, err := p.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return nil
	}
	in := map[string]bool{}
	for _, x := range p.enf.Tree().Subtree(code) {
		in[x] = true
	}
	var out []models.Jurisdiction
	for _, j := range js {
		if j.Level == models.LevelLeague && in[j.Code] {
			out = append(out, j)
		}
	}
	return out
}

// attachmentHref is the download link of an attachment.
func attachmentHref(id string) string { return "/api/v1/attachments/" + url.PathEscape(id) }

// taskHref is the page of a task.
func taskHref(id string) string { return "/tasks/" + url.PathEscape(id) }
