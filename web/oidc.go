package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/service"
)

// Login through the region's unified identity platform (统一身份认证, service/oidc.go): the
// login page offers one button per configured audience; /login/oidc/{audience} sends the
// browser to the platform, whose callback /login/oidc/{audience}/callback opens the session
// (api.FinishOIDC) or shows why not, in Chinese.

func (p *Pages) oidcRoutes(r *gin.Engine) {
	r.GET("/login/oidc/:audience", p.api.Page(p.oidcStart))
	r.GET("/login/oidc/:audience/callback", p.api.Page(p.oidcCallback))
}

// oidcLinks are the login page's platform buttons, for the audiences configured.
func (p *Pages) oidcLinks(next string) []link {
	var out []link
	for _, a := range service.OIDCAudiences {
		if !p.svc.OIDCConfigured(a.Audience) {
			continue
		}
		href := "/login/oidc/" + a.Audience
		if next != "" && next != "/" {
			href += "?next=" + url.QueryEscape(next)
		}
		out = append(out, link{Href: href, Label: a.Name + "统一身份认证登录"})
	}
	return out
}

func (p *Pages) oidcStart(c *gin.Context) error {
	next := safeNext(c.Query("next"))
	if api.ActorFrom(c) != nil {
		c.Redirect(http.StatusSeeOther, next)
		return nil
	}
	to, err := p.api.StartOIDC(c, c.Param("audience"), next)
	if err != nil {
		return p.oidcRefused(c, next, err)
	}
	c.Redirect(http.StatusFound, to)
	return nil
}

func (p *Pages) oidcCallback(c *gin.Context) error {
	next, err := p.api.FinishOIDC(c, c.Param("audience"))
	next = safeNext(next)
	if errors.Is(err, service.ErrSecondFactorRequired) {
		// The platform login does not count as the second factor here: the code is asked as
		// after a password (account_twofactor.go).
		c.Redirect(http.StatusSeeOther, "/login/2fa?next="+url.QueryEscape(next))
		return nil
	}
	if err != nil {
		return p.oidcRefused(c, next, err)
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

// oidcRefused shows why a platform login did not succeed, with the ways to try again.
func (p *Pages) oidcRefused(c *gin.Context, next string, err error) error {
	var e *service.Error
	if !errors.As(err, &e) || e.Status >= 500 && e.Status != http.StatusServiceUnavailable {
		return err
	}
	c.Status(e.Status)
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	p.render(c, "login_oidc", pageData{Title: "统一身份认证登录未成功", Error: e.Message, Next: next, Links: p.oidcLinks(next)})
	return nil
}
