package api

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
	"skillcert/web"
)

// pageData is what every page template receives; pages add their own fields through Data.
type pageData struct {
	Title     string
	User      *models.User
	RoleName  string
	ScopeName string
	CSRF      string
	Flash     string
	Error     string
	Message   string
	// Login form.
	Username, Next string
	// Home.
	LastLogin string
	Links     []link
}

type link struct{ Href, Label string }

// render executes a page with the layout, filling in the common fields.
func (s *Server) render(c *gin.Context, name string, d pageData) {
	t, ok := s.pages[name]
	if !ok {
		s.log.ErrorContext(c.Request.Context(), "missing template", "template", name)
		c.String(http.StatusInternalServerError, service.ErrInternal.Message)
		return
	}
	s.fillPage(c, &d)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(c.Writer, "layout", d); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}

// staticRoutes serves the style sheet and the scripts; they need no caller.
func (s *Server) staticRoutes(r *gin.Engine) {
	static, _ := fs.Sub(web.Static, "static")
	r.StaticFS("/static", http.FS(static))
}

// errorPage shows an error as the Chinese error page.
func (s *Server) errorPage(c *gin.Context, e *service.Error) {
	title := map[int]string{401: "需要登录", 403: "无权访问", 404: "页面不存在", 409: "数据冲突", 422: "内容有误", 429: "请求过于频繁"}[e.Status]
	if title == "" {
		title = "出错了"
	}
	c.Status(e.Status)
	s.render(c, "error", pageData{Title: title, Message: e.Message})
}

func (s *Server) loginPage(c *gin.Context) error {
	if actorFrom(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return nil
	}
	s.render(c, "login", pageData{Title: "登录", Next: safeNext(c.Query("next"))})
	return nil
}

func (s *Server) loginSubmit(c *gin.Context) error {
	username, next := c.PostForm("username"), safeNext(c.PostForm("next"))
	_, err := s.login(c, username, c.PostForm("password"))
	if err != nil {
		var e *service.Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return err
		}
		c.Status(e.Status)
		if e.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		// Keep what the user typed (except the password) so they need not type it again.
		s.render(c, "login", pageData{Title: "登录", Error: e.Message, Username: username, Next: next})
		return nil
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

func (s *Server) logoutSubmit(c *gin.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/login")
	return nil
}

// roleLinks are the entry points each role's home page offers.
var roleLinks = map[string][]link{
	models.RoleSysadmin: {{"/api/v1/users", "用户列表（JSON）"}, {"/api/v1/jurisdictions", "行政区划（JSON）"}},
}

func (s *Server) homePage(c *gin.Context) error {
	a := actorFrom(c)
	d := pageData{Title: "工作台", Links: roleLinks[a.User.Role]}
	if a.User.LastLoginAt != nil {
		d.LastLogin = a.User.LastLoginAt.In(s.svc.Location()).Format("2006-01-02 15:04")
	}
	s.render(c, "home", d)
	return nil
}

// fillPage sets the fields every page shows: the user, their role and jurisdiction names, and
// the CSRF token of the request's session (unless the page set one).
func (s *Server) fillPage(c *gin.Context, d *pageData) {
	if a := actorFrom(c); a != nil {
		d.User = &a.User
		d.RoleName = models.RoleNames[a.User.Role]
		d.ScopeName = s.svc.JurisdictionName(a.Jurisdiction)
	}
	if d.CSRF == "" {
		d.CSRF = s.csrfToken(s.csrfBinding(c, true))
	}
}
