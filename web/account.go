package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/service"
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
	p.render(c, "login", pageData{Title: "登录", Next: safeNext(c.Query("next")), Captcha: captcha})
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
		p.render(c, "login", pageData{Title: "登录", Error: e.Message, Username: username, Next: next, Captcha: captcha})
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

func (p *Pages) homePage(c *gin.Context) error {
	a := api.ActorFrom(c)
	d := pageData{Title: "工作台", Links: roleLinks[a.User.Role]}
	if a.User.LastLoginAt != nil {
		d.LastLogin = a.User.LastLoginAt.In(p.svc.Location()).Format("2006-01-02 15:04")
	}
	p.render(c, "home", d)
	return nil
}
