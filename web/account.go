package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/service"
	"skillcert/workflows"
)

// safeNext keeps post-login redirects on this site: it returns next only if it is a path on
// this origin, and "/" otherwise. Browsers drop tabs and newlines from a URL and read a
// backslash as a slash, so "/\t/evil.example" or "/\\evil.example" would leave the site as
// "//evil.example" does; anything with a control character, white space or a backslash is
// refused outright, as is anything with a scheme or host, or whose path, decoded, does not
// start with exactly one slash.
func safeNext(next string) string {
	const home = "/"
	if next == "" || len(next) > 2048 || !strings.HasPrefix(next, "/") {
		return home
	}
	if strings.ContainsFunc(next, unsafeInURL) {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return home
	}
	if strings.HasPrefix(next, "//") || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") ||
		strings.ContainsFunc(u.Path, func(r rune) bool { return r == '\\' || unicode.IsControl(r) }) {
		return home
	}
	return next
}

// unsafeInURL is a character a browser may strip or reinterpret in a redirect target.
func unsafeInURL(r rune) bool {
	return r == '\\' || unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError
}

func (p *Pages) loginPage(c *gin.Context) error {
	if api.ActorFrom(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return nil
	}
	captcha, err := p.captchaFor(c, domain.ThrottleLogin, "", nil)
	if err != nil {
		return err
	}
	next := safeNext(c.Query("next"))
	p.render(c, "login", pageData{Title: "登录", Next: next, Captcha: captcha, Links: p.oidcLinks(next)})
	return nil
}

// loginSubmit logs in (service.LogIn). A refusal comes back with the username kept, and with a
// fresh CAPTCHA when the next attempt needs one.
func (p *Pages) loginSubmit(c *gin.Context) error {
	username, next := c.PostForm("username"), safeNext(c.PostForm("next"))
	_, err := p.api.Login(c, service.LoginInput{Username: username, Password: c.PostForm("password"), Guard: captchaGuard(c)})
	if errors.Is(err, service.ErrSecondFactorRequired) {
		// The password was right; the code is asked on its own page (account_twofactor.go).
		c.Redirect(http.StatusSeeOther, "/login/2fa?next="+url.QueryEscape(next))
		return nil
	}
	if err != nil {
		var e *service.Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return err
		}
		captcha, cerr := p.captchaFor(c, domain.ThrottleLogin, username, err)
		if cerr != nil {
			return cerr
		}
		c.Status(e.Status)
		if e.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		// Keep what the user typed (except the password) so they need not type it again.
		p.render(c, "login", pageData{Title: "登录", Error: e.Message, Username: username, Next: next, Captcha: captcha, Links: p.oidcLinks(next)})
		return nil
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

func (p *Pages) logoutSubmit(c *gin.Context) error {
	if err := p.api.Logout(c); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}

// roleLinks are the entry points each role's home page offers.
var roleLinks = map[string][]link{
	models.RoleSysadmin: {{"/api/v1/users", "用户列表（JSON）"}, {"/api/v1/jurisdictions", "行政区划（JSON）"}},
}

// homeView is home.html's data: the account, the role's pages, and the work waiting.
type homeView struct {
	pageView
	// Work is the official's open tasks per inbox view (mine, the unit's queue), each figure
	// linking to the inbox view that lists them.
	Work []workRow
	// WeekEnd is the last day that "due this week" counts (Sunday).
	WeekEnd string
	// App is the enterprise's application: where it stands and what is due.
	App *homeApp
}

// workRow is one inbox view's counts on the home page.
type workRow struct {
	Label                          string
	Total, Overdue, DueWeek        int64
	Href, OverdueHref, DueWeekHref string
}

// homeApp is the enterprise's application as its home page shows it.
type homeApp struct {
	StatusName, Stage, NextDeadline string
	MyTasks                         []taskLine
	Editable                        bool
}

// homeViews are the inbox views the home page counts for a role, with their labels.
func homeViews(role string) []struct{ view, label string } {
	switch {
	case service.OnlyOwnTasks(role):
		return []struct{ view, label string }{{models.ViewMine, "我的待办"}}
	case role == models.RoleSysadmin:
		return []struct{ view, label string }{{models.ViewAll, "辖区全部"}}
	case role == models.RoleLeagueOfficial || role == models.RoleCountyOfficial || role == models.RoleRegionOfficial || role == models.RoleRegionCentre:
		return []struct{ view, label string }{{models.ViewMine, "我的待办"}, {models.ViewUnit, "本单位待认领"}}
	}
	return nil
}

// rootPage is the public landing page for visitors and the 工作台 for a logged-in user.
func (p *Pages) rootPage(c *gin.Context) error {
	if api.ActorFrom(c) == nil {
		return p.landingPage(c)
	}
	return p.homePage(c)
}

// landingPage is the public entry: what the public may do without an account, and the login.
func (p *Pages) landingPage(c *gin.Context) error {
	v := &pageView{pageData: pageData{Title: "企业职业技能等级认定试点"}}
	return p.show(c, http.StatusOK, "landing", v)
}

func (p *Pages) homePage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	v := &homeView{pageView: pageView{pageData: pageData{Title: "工作台", Links: roleLinks[a.User.Role]}}}
	if a.User.LastLoginAt != nil {
		v.LastLogin = a.User.LastLoginAt.In(p.svc.Location()).Format("2006-01-02 15:04")
	}
	if views := homeViews(a.User.Role); len(views) > 0 {
		// The week ends on Sunday; the inbox's due_before is the next Monday (exclusive).
		now := p.now().In(p.svc.Location())
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, now.Location())
		next := today.AddDate(0, 0, 7-(int(today.Weekday())+6)%7)
		v.WeekEnd = next.AddDate(0, 0, -1).Format("2006-01-02")
		names := make([]string, len(views))
		for i, x := range views {
			names[i] = x.view
		}
		f := service.InboxFilter(a, models.ViewMine, p.api.Subtree(c))
		tallies, err := p.db.InboxTallies(ctx, f, names, next)
		if err != nil {
			return err
		}
		for i, t := range tallies {
			q := url.Values{"view": {t.View}}
			href := "/inbox?" + q.Encode()
			q.Set("sla", models.SLAOverdue)
			overdue := "/inbox?" + q.Encode()
			q.Del("sla")
			q.Set("due_before", next.Format("2006-01-02"))
			v.Work = append(v.Work, workRow{Label: views[i].label, Total: t.Total, Overdue: t.Overdue, DueWeek: t.DueBefore,
				Href: href, OverdueHref: overdue, DueWeekHref: "/inbox?" + q.Encode()})
		}
	}
	if a.User.Role == models.RoleEnterpriseUser && a.User.Enterprise() != "" {
		app, err := p.homeApplication(c, a)
		if err != nil {
			return err
		}
		v.App = app
	}
	return p.show(c, http.StatusOK, "home", v)
}

// homeApplication is where the enterprise's application stands and what it must do next.
func (p *Pages) homeApplication(c *gin.Context, a *service.Actor) (*homeApp, error) {
	ctx := c.Request.Context()
	av, err := p.svc.MyApplication(ctx, a)
	if err != nil {
		return nil, err
	}
	h := &homeApp{StatusName: av.StatusName, Editable: av.Editable}
	cs, err := p.db.CaseByApplication(ctx, av.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return h, nil
	case err != nil:
		return nil, err
	}
	cd, err := p.svc.ReadCase(ctx, a, cs.ID)
	if err != nil {
		return nil, err
	}
	h.Stage, h.NextDeadline = stageName(cd.Stage), p.whenPtr(cd.NextDeadline)
	for _, t := range cd.Tasks {
		if t.CandidateRole != models.RoleEnterpriseUser {
			continue
		}
		line := taskLine{Title: service.KindTitle(t.Kind), Due: p.when(t.DueAt), SLA: p.slaBadge(t.SLAState, t.DueAt),
			Href: taskHref(t.ID), Action: "办理"}
		if t.Kind == workflows.KindCorrection {
			line.Href, line.Action = "/application", "按审核意见修改并重新提交"
		}
		h.MyTasks = append(h.MyTasks, line)
	}
	return h, nil
}
