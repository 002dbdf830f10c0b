package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
)

// The caller's account security: changing one's own password (also the page a session held to
// change it is sent to, api.PasswordChangePage), one's own login history, and the audit
// administrator's view of everyone's.

// accountView is p_account.html's data.
type accountView struct {
	pageView
	// Forced: the session can do nothing else until the password is changed.
	Forced                bool
	Expires               string
	Old, New, Confirm     formField
	Rule                  string
	Logins                []loginRow
	LoginsTitle, LoginsOf string
	// ShowUser: the rows are several accounts' (the audit administrator's view).
	ShowUser bool
	// History: the page is the login history only.
	History bool
	pager
}

type loginRow struct {
	At, Username, Addr, Method, Result string
	OK                                 bool
}

// passwordRule is the strength rule as the form says it.
const passwordRule = "至少 10 位，并包含大写字母、小写字母、数字、其他符号中的三类；或使用至少 16 个字符、由空格分隔的三个以上词语组成的口令短语。不能包含用户名，不能与最近 5 次使用过的密码相同。"

var loginMethods = map[string]string{models.LoginByPassword: "密码", models.LoginByResetCode: "一次性重置码",
	models.LoginByTOTP: "密码＋动态口令", models.LoginByRecovery: "密码＋恢复码", models.LoginByOIDC: "统一身份认证"}

var loginResults = map[string]string{models.LoginOK: "成功", models.LoginBadCredential: "用户名或密码错误",
	models.LoginThrottled: "失败次数过多被限制", models.LoginDisabled: "账户已停用", models.LoginCodeExpired: "重置码已使用或过期"}

func (p *Pages) accountRoutes(r *gin.Engine, login gin.HandlerFunc) {
	r.GET(api.PasswordChangePage, login, p.api.Page(p.passwordPage))
	r.POST(api.PasswordChangePage, login, p.api.CSRF, p.api.Page(p.passwordSubmit))
	r.GET("/account/logins", login, p.api.Page(p.myLoginsPage))
	r.GET("/admin/logins", login, p.api.Authorize("login", "read", api.OwnScope), p.api.Page(p.allLoginsPage))
}

func (p *Pages) passwordView(c *gin.Context, errs *fieldBag) *accountView {
	a := api.ActorFrom(c)
	v := &accountView{pageView: pageView{pageData: pageData{Title: "修改密码"}}, Forced: a.PasswordChangeDue, Rule: passwordRule}
	if t := p.svc.PasswordExpiresAt(a.User); !t.IsZero() {
		v.Expires = p.when(t)
	}
	v.Old = formField{Name: "old_password", ID: "f-old_password", Label: "当前密码", Kind: "password", Required: true,
		Autocomplete: "current-password", Hint: "管理员重置后首次登录的，填写所收到的一次性重置码。", Errors: errs.take("old_password")}
	v.New = formField{Name: "new_password", ID: "f-new_password", Label: "新密码", Kind: "password", Required: true,
		Autocomplete: "new-password", Hint: passwordRule, Errors: errs.take("new_password")}
	v.Confirm = formField{Name: "new_password_confirm", ID: "f-new_password_confirm", Label: "再次输入新密码", Kind: "password",
		Required: true, Autocomplete: "new-password", Errors: errs.take("new_password_confirm")}
	return v
}

// passwordPage shows the form that changes the caller's password.
func (p *Pages) passwordPage(c *gin.Context) error {
	return p.show(c, http.StatusOK, "p_account", p.passwordView(c, newFieldBag()))
}

// passwordSubmit changes the caller's password (service.ChangeOwnPassword); a refusal comes
// back next to its fields, nothing typed kept (they are passwords).
func (p *Pages) passwordSubmit(c *gin.Context) error {
	a := api.ActorFrom(c)
	_, err := p.svc.ChangeOwnPassword(c.Request.Context(), a, service.PasswordChangeInput{Old: c.PostForm("old_password"),
		New: c.PostForm("new_password"), Confirm: c.PostForm("new_password_confirm")})
	if err == nil {
		p.flash(c, flashOK, "密码已修改。您在其他设备上的登录和接口令牌已失效。")
		return seeOther(c, "/")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	v := p.passwordView(c, errs)
	v.Alert = e.Message
	return p.show(c, e.Status, "p_account", v)
}

const loginsPageSize = 50

func (p *Pages) loginsView(c *gin.Context, in service.LoginHistoryQuery, title string) (*accountView, error) {
	q := c.Request.URL.Query()
	v := &accountView{pageView: pageView{pageData: pageData{Title: title}}, History: true, LoginsTitle: title}
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	in.Limit, in.Offset = loginsPageSize, (v.Page-1)*loginsPageSize
	list, err := p.svc.LoginHistory(c.Request.Context(), api.ActorFrom(c), in)
	if err != nil {
		return nil, err
	}
	for _, l := range list.Items {
		v.Logins = append(v.Logins, loginRow{At: p.when(l.At), Username: l.Username, Addr: l.Addr,
			Method: orCode(loginMethods, l.Method), Result: orCode(loginResults, l.Result), OK: l.Result == models.LoginOK})
	}
	v.setTotal(c.Request.URL.Path, q, list.Total, loginsPageSize)
	return v, nil
}

func orCode(names map[string]string, code string) string {
	if n := names[code]; n != "" {
		return n
	}
	return code
}

// myLoginsPage shows the caller's own login history.
func (p *Pages) myLoginsPage(c *gin.Context) error {
	v, err := p.loginsView(c, service.LoginHistoryQuery{}, "我的登录记录")
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_account", v)
}

// allLoginsPage shows every account's login history, or one account's (?user_id=), to the
// audit administrator.
func (p *Pages) allLoginsPage(c *gin.Context) error {
	id := c.Query("user_id")
	in := service.LoginHistoryQuery{UserID: id, All: id == ""}
	title := "全部登录记录"
	if id != "" {
		u, err := p.svc.GetUser(c.Request.Context(), api.ActorFrom(c), id)
		if err != nil {
			return err
		}
		title = u.Username + " 的登录记录"
	}
	v, err := p.loginsView(c, in, title)
	if err != nil {
		return err
	}
	v.ShowUser = true
	if id != "" {
		v.LoginsOf = "/admin/users/" + url.PathEscape(id)
	}
	return p.show(c, http.StatusOK, "p_account", v)
}
