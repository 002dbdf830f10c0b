package web

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
)

// loadTemplates parses every page template together with the layout.
func (p *Pages) loadTemplates() error {
	funcs := template.FuncMap{
		"fmtTime": func(t time.Time) string { return t.In(p.svc.Location()).Format("2006-01-02 15:04") },
	}
	names, err := fs.Glob(Templates, "templates/*.html")
	if err != nil {
		return err
	}
	p.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(Templates, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("parse template %s: %w", n, err)
		}
		p.pages[base] = t
	}
	return nil
}

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
	navStatistics  = navLink{"/statistics", "认定统计", "报名、合格人数和合格率（按职业、等级、盟市、性别、年龄段、月份），高技能人才，图表和 Excel。"}
	navComplaint   = navLink{"/complaint", "投诉举报", "对试点企业的认定工作进行投诉举报，可匿名。"}
	navPublicity   = navLink{"/publicity", "认定结果公示", "审核通过的认定结果公示，公示期内可实名提出异议。"}
	navCalendar    = navLink{"/admin/calendar", "工作日表", "登记节假日和调休上班日，设置认定结果公示期（工作日）。"}
	navQuery       = navLink{"/query", "证书查询", "查询职业技能等级证书的真伪和状态。"}
	navRegister    = navLink{"/register", "企业注册", "企业注册账户后在线填写和提交试点申报表。"}
	navSessions    = navLink{"/sessions", "评价考核", "在批准范围内安排考核、登记考生、录入成绩，查看证书。"}
	navUsers       = navLink{"/admin/users", "用户管理", "账户的新建、停用、启用，角色授予，解除登录限制和重置密码（按三员分立各管其事）。"}
	navAreas       = navLink{"/admin/jurisdictions", "行政区划", "自治区、盟市、旗县区和试点企业的层级。"}
	navAudit       = navLink{"/admin/audit", "审计日志", "全部操作记录及其哈希链校验。"}
	navReview      = navLink{"/supervision/review", "督导报告审核", "督导员提交的质量督导报告，审核后公开或退回督导员补充。"}
	navMyReports   = navLink{"/supervision/mine", "我的督导报告", "已提交督导报告的审核状态和退回理由。"}
	navPolicy      = navLink{"/admin/security-policy", "安全策略", "当前生效的口令、双因素登录、登录失败处理、统一身份认证和密码算法策略。"}
	navExperts     = navLink{"/admin/experts", "评估专家库", "专家入库、停用和批量导入；等待专家的申报重新抽取专家组。"}
	navDraws       = navLink{"/supervision/draws", "督导抽查", "“双随机”抽取认定场次和督导员（系统生成并记录随机种子），查看各场次的督导报告。"}
)

// roleNav is the main navigation of each role; the first entry is the home page.
var roleNav = map[string][]navLink{
	models.RoleEnterpriseUser: {navHome, {"/application", "申报表", "填写、保存和提交试点申报表（附件1），上传佐证材料。"},
		{"/status", "申报进度", "当前所处阶段、办理时限、审核意见和办理记录。"}, navSessions, navDirectory},
	models.RoleLeagueOfficial: {navHome, navInbox, {"/summary", "盟市汇总", "本盟市审核通过的企业汇总表（附件2），报送自治区职业技能鉴定管理中心。"},
		navCampaign, navStatistics, navAreas, navDirectory, navDraws},
	models.RoleCountyOfficial: {navHome, navInbox, navCampaign, navStatistics, navDirectory},
	models.RoleRegionOfficial: {navHome, navInbox, navCampaign, navStalled, navCases, navStatistics, navReview, navExperts, navAudit, navCalendar, navDirectory, navDraws},
	models.RoleRegionCentre:   {navHome, navInbox, navCampaign, navCases, navStatistics, navExperts, navPublicity, navDirectory, navDraws},
	models.RoleExpert:         {navHome, navInbox, navDirectory},
	models.RoleSupervisor:     {navHome, navInbox, navMyReports, navDirectory},
	models.RoleSysadmin:       {navHome, navStalled, navCases, navUsers, navAreas, navInbox, navCampaign},
	models.RoleSecAdmin:       {navHome, navUsers, navAreas, navPolicy},
	models.RoleAuditAdmin:     {navHome, navAudit, navUsers},
}

// publicNav is the navigation of visitors who are not logged in.
var publicNav = []navLink{navDirectory, navPublicity, navQuery, navSupervision, navComplaint, navRegister}

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
// previous request left. It mirrors render, whose pageData has no room for a page's
// own data.
func (p *Pages) show(c *gin.Context, status int, name string, v viewModel) error {
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

func (p *Pages) flash(c *gin.Context, kind, msg string) {
	p.api.SetCookie(c, flashCookie, kind+base64.RawURLEncoding.EncodeToString([]byte(msg)), 120)
}

func (p *Pages) takeFlash(c *gin.Context) (kind, msg string) {
	v, err := c.Cookie(flashCookie)
	if err != nil {
		return "", ""
	}
	p.api.ClearCookie(c, flashCookie)
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
func (p *Pages) backWithError(c *gin.Context, to string, err error) error {
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

// pageData is what every page template receives; pages add their own fields through Data.
type pageData struct {
	Title     string
	User      *models.User
	RoleName  string
	ScopeName string
	CSRF      string
	Flash     string
	// TopErrors is a refused form's error summary, shown first in the page's main content with
	// the focus on it; each entry links to its field.
	TopErrors []errorLink
	Error     string
	Message   string
	// Unread counts the user's unread in-app notifications (the header's bell).
	Unread int64
	// LargeText: the larger text is on (text_size.go); Path is the page to come back to after
	// switching it (a GET page's own address).
	LargeText bool
	Path      string
	// SkipLinks are the page's own skip links after 跳到正文 (e.g. 跳到办理 on a task page).
	SkipLinks []link
	// Login form.
	Username, Next string
	// Captcha, when set, is the CAPTCHA of the page's form (captcha.go).
	Captcha *captchaField
	// Home.
	LastLogin string
	Links     []link
}

type link struct{ Href, Label string }

// render executes a page with the layout, filling in the common fields.
func (p *Pages) render(c *gin.Context, name string, d pageData) {
	t, ok := p.pages[name]
	if !ok {
		p.log.ErrorContext(c.Request.Context(), "missing template", "template", name)
		c.String(http.StatusInternalServerError, service.ErrInternal.Message)
		return
	}
	p.fillPage(c, &d)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(c.Writer, "layout", d); err != nil {
		p.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}

// ErrorPage shows an error as the Chinese error page (api.Pages).
func (p *Pages) ErrorPage(c *gin.Context, e *service.Error) {
	title := map[int]string{401: "需要登录", 403: "无权访问", 404: "页面不存在", 409: "数据冲突", 422: "内容有误", 429: "请求过于频繁"}[e.Status]
	if title == "" {
		title = "出错了"
	}
	c.Status(e.Status)
	p.render(c, "error", pageData{Title: title, Message: e.Message})
}

// fillPage sets the fields every page shows: the user, their role and jurisdiction names, and
// the CSRF token of the request's session (unless the page set one).
func (p *Pages) fillPage(c *gin.Context, d *pageData) {
	if a := api.ActorFrom(c); a != nil {
		d.User = &a.User
		d.RoleName = models.RoleNames[a.User.Role]
		d.ScopeName = p.svc.JurisdictionName(a.Jurisdiction)
		n, err := p.db.UnreadNotifications(c.Request.Context(), a.User.ID)
		if err != nil {
			p.log.WarnContext(c.Request.Context(), "unread notifications", "err", err)
		}
		d.Unread = n
	}
	if d.CSRF == "" {
		d.CSRF = p.api.CSRFToken(p.api.CSRFBinding(c, true))
	}
	d.LargeText = largeText(c)
	if c.Request.Method == http.MethodGet {
		d.Path = c.Request.URL.Path // not the query: it may carry what a page refused (e.g. a login's next)
	}
}
