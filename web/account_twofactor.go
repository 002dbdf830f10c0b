package web

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/service"
)

// Two-factor login (TOTP): the enrolment page of the logged-in user, also where a session of an
// account that must have it is held (api.TwoFactorPage), and the second step of the login.

// twoFactorView is p_twofactor.html's data.
type twoFactorView struct {
	pageView
	// Forced: the session can do nothing else until two-factor login is on.
	Forced  bool
	Enabled bool
	Unused  int64
	Secret  string
	QR      template.URL
	Code    formField
	// Codes are the recovery codes, shown once, right after the confirmation.
	Codes []string
	// CanDisable: two-factor login is on and optional for the account (the form to switch it
	// off with a current code).
	CanDisable bool
	Disable    formField
}

func (p *Pages) twoFactorRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.GET(api.TwoFactorPage, login, p.api.Page(p.twoFactorPage))
	r.POST(api.TwoFactorPage, login, p.api.CSRF, p.api.Page(p.twoFactorSubmit))
	r.POST(api.TwoFactorPage+"/disable", login, p.api.CSRF, p.api.Page(p.twoFactorDisable))
	r.POST("/admin/users/:id/2fa/reset", login, p.api.CSRF, p.api.Authorize("user", "credential", api.OwnScope), p.api.Page(p.twoFactorReset))
	r.GET("/login/2fa", p.api.Page(p.loginCodePage))
	r.POST("/login/2fa", p.api.CSRF, p.api.Page(p.loginCodeSubmit))
}

func (p *Pages) twoFactorView(c *gin.Context, errs *fieldBag) (*twoFactorView, error) {
	a := api.ActorFrom(c)
	en, err := p.svc.BeginTOTP(c.Request.Context(), a)
	if err != nil {
		return nil, err
	}
	v := &twoFactorView{pageView: pageView{pageData: pageData{Title: "双因素登录"}}, Forced: a.SecondFactorSetupDue,
		Enabled: en.Enabled, Unused: en.Unused, Secret: en.Secret}
	if len(en.QRPNG) > 0 {
		v.QR = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QRPNG))
	}
	v.Code = formField{Name: "code", ID: "f-code", Label: "动态口令", Required: true, Autocomplete: "one-time-code",
		InputMode: "numeric", MaxLength: "6", Hint: "手机验证器应用中显示的 6 位数字。", Errors: errs.take("code")}
	v.CanDisable = en.Enabled && p.svc.TOTPDisableAllowed(a.User)
	v.Disable = formField{Name: "code", ID: "f-disable-code", Label: "当前动态口令或恢复码", Required: true, Autocomplete: "one-time-code",
		Hint: "停用前须验证一次，以确认是您本人操作。", Errors: errs.take("disable_code")}
	return v, nil
}

// twoFactorPage shows the enrolment (secret and QR code) or, once on, its state.
func (p *Pages) twoFactorPage(c *gin.Context) error {
	v, err := p.twoFactorView(c, newFieldBag())
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_twofactor", v)
}

// twoFactorSubmit switches two-factor login on with a current code (service.ConfirmTOTP) and
// shows the recovery codes once.
func (p *Pages) twoFactorSubmit(c *gin.Context) error {
	codes, err := p.svc.ConfirmTOTP(c.Request.Context(), api.ActorFrom(c), c.PostForm("code"))
	if err == nil {
		v := &twoFactorView{pageView: pageView{pageData: pageData{Title: "双因素登录"}}, Enabled: true, Codes: codes,
			Unused: int64(len(codes))}
		return p.show(c, http.StatusOK, "p_twofactor", v)
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	v, verr := p.twoFactorView(c, errs)
	if verr != nil {
		return verr
	}
	v.Alert = e.Message
	return p.show(c, e.Status, "p_twofactor", v)
}

// loginCodePage asks for the second factor of a login whose password was right.
func (p *Pages) loginCodePage(c *gin.Context) error {
	if api.ActorFrom(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return nil
	}
	if _, ok := p.api.PendingLogin(c); !ok {
		c.Redirect(http.StatusSeeOther, "/login")
		return nil
	}
	captcha, err := p.captchaFor(c, domain.ThrottleLogin, "", nil)
	if err != nil {
		return err
	}
	p.render(c, "login_2fa", pageData{Title: "双因素登录", Next: safeNext(c.Query("next")), Captcha: captcha})
	return nil
}

// loginCodeSubmit checks the code and opens the session (api.LoginSecondFactor).
func (p *Pages) loginCodeSubmit(c *gin.Context) error {
	next := safeNext(c.PostForm("next"))
	_, err := p.api.LoginSecondFactor(c, c.PostForm("code"), captchaGuard(c))
	if err != nil {
		var e *service.Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return err
		}
		if e.Code == "login_expired" {
			p.flash(c, flashError, e.Message)
			c.Redirect(http.StatusSeeOther, "/login")
			return nil
		}
		captcha, cerr := p.captchaFor(c, domain.ThrottleLogin, "", err)
		if cerr != nil {
			return cerr
		}
		c.Status(e.Status)
		if e.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		p.render(c, "login_2fa", pageData{Title: "双因素登录", Error: e.Message, Next: next, Captcha: captcha})
		return nil
	}
	c.Redirect(http.StatusSeeOther, next)
	return nil
}

// twoFactorDisable switches the caller's optional two-factor login off with a current code
// (service.DisableTOTP).
func (p *Pages) twoFactorDisable(c *gin.Context) error {
	err := p.svc.DisableTOTP(c.Request.Context(), api.ActorFrom(c), c.PostForm("code"))
	if err == nil {
		p.flash(c, flashOK, "双因素登录已停用：此后登录只需密码。如需要，可随时重新启用。")
		return seeOther(c, api.TwoFactorPage)
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	errs := newFieldBag()
	for _, f := range e.Fields {
		if f.Field == "code" {
			f.Field = "disable_code"
		}
		errs.add(f.Field, f.Message)
	}
	v, verr := p.twoFactorView(c, errs)
	if verr != nil {
		return verr
	}
	v.Alert = e.Message
	return p.show(c, e.Status, "p_twofactor", v)
}

// twoFactorReset is the security administrator's reset of another account's two-factor
// login (service.ResetTOTP), from the account's page.
func (p *Pages) twoFactorReset(c *gin.Context) error {
	back := "/admin/users/" + url.PathEscape(c.Param("id"))
	r, err := p.svc.ResetTOTP(c.Request.Context(), api.ActorFrom(c), service.UserAction{ID: c.Param("id"), Reason: c.PostForm("reason")})
	if err != nil {
		return p.backWithError(c, back, err)
	}
	msg := "已重置账户 " + r.User.Username + " 的双因素登录：原密钥和恢复码均已作废。"
	if r.MustEnrol {
		msg += "该账户须使用双因素登录，下次使用前必须重新启用。"
	}
	p.flash(c, flashOK, msg)
	return seeOther(c, back)
}
