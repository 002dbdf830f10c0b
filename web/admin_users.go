package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

const usersPageSize = 50

// usersView is p_users.html's data: the list with its filters, and the form that creates a user.
type usersView struct {
	pageView
	Filters  []formField
	Filtered bool
	Rows     []userRow
	pager
	ReturnTo string
	Create   *userForm
	// Detail, when set, is one account's page instead of the list.
	Detail *userDetail
}

type userRow struct {
	ID, Username, DisplayName, Role, Where, LastLogin, Href string
	Active, Self, CanManage, CanCredential                  bool
}

// userForm is the form that creates a user.
type userForm struct {
	Username, DisplayName, Role, Jurisdiction, Enterprise, Password formField
	ErrorSummary                                                    []errorLink
	Open                                                            bool
}

// usersPage lists the accounts in the caller's subtree with filters and paging, and offers the
// form that creates one.
func (p *Pages) usersPage(c *gin.Context) error {
	v, err := p.usersView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_users", v)
}

func (p *Pages) usersView(c *gin.Context, in *service.CreateUserRequest, errs validate.Errors) (*usersView, error) {
	a := api.ActorFrom(c)
	sc, err := p.adminScope(c)
	if err != nil {
		return nil, err
	}
	q := c.Request.URL.Query()
	v := &usersView{pageView: pageView{pageData: pageData{Title: "用户管理"}}, ReturnTo: c.Request.URL.RequestURI()}
	if c.Request.Method != http.MethodGet {
		v.ReturnTo = "/admin/users"
	}
	list := service.UserListQuery{Limit: usersPageSize}
	role := q.Get("role")
	if models.RoleNames[role] == "" {
		role = ""
	}
	area := q.Get("jurisdiction")
	if !sc.in[area] {
		area = ""
	}
	text := strings.TrimSpace(q.Get("q"))
	state := q.Get("state")
	switch state {
	case "active", "disabled":
		active := state == "active"
		list.Active = &active
	default:
		state = ""
	}
	list.Role, list.Jurisdiction, list.Text = role, area, text
	v.Filtered = role != "" || area != "" || text != "" || state != ""
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	list.Offset = (v.Page - 1) * usersPageSize

	users, err := p.svc.ListUsers(c.Request.Context(), a, list)
	if err != nil {
		return nil, err
	}
	canManage := p.enf.Allowed(a.User.ID, a.Domain, "user", "manage")
	canCredential := p.enf.Allowed(a.User.ID, a.Domain, "user", "credential")
	for _, u := range users.Items {
		v.Rows = append(v.Rows, userRow{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: models.RoleNames[u.Role],
			Where: sc.where(u), LastLogin: p.whenPtr(u.LastLoginAt), Href: "/admin/users/" + url.PathEscape(u.ID),
			Active: u.Active, Self: u.ID == a.User.ID, CanManage: canManage, CanCredential: canCredential})
	}
	v.setTotal("/admin/users", q, users.Total, usersPageSize)
	v.Filters = []formField{
		{Name: "q", ID: "q-q", Label: "用户名或姓名", Kind: "search", Value: text},
		{Name: "role", ID: "q-role", Label: "角色", Kind: "select", Options: roleOptions(choice{Label: "全部角色"}, role)},
		{Name: "jurisdiction", ID: "q-jurisdiction", Label: "所属地区（含下级）", Kind: "select",
			Options: areaOptions(sc.lines, choice{Label: "全部地区"}, area)},
		{Name: "state", ID: "q-state", Label: "状态", Kind: "select", Options: choices(state, "", "全部", "active", "启用", "disabled", "已停用")},
	}
	if canManage {
		v.Create = p.userForm(sc, in, errs)
	}
	return v, nil
}

// userForm builds the creation form with the values typed (never the password) and the field
// errors next to their fields.
func (p *Pages) userForm(sc *adminScope, in *service.CreateUserRequest, errs validate.Errors) *userForm {
	if in == nil {
		in = &service.CreateUserRequest{}
	}
	bag := newFieldBag()
	bag.addAll(errs)
	f := &userForm{Open: len(errs) > 0,
		Username: formField{Name: "username", ID: "f-username", Label: "用户名", Kind: "text", Value: in.Username, Required: true,
			Autocomplete: "off", MaxLength: "64", Hint: "3 至 64 个字符，不含空格和斜杠；登录时使用。", Errors: bag.take("username")},
		DisplayName: formField{Name: "display_name", ID: "f-display_name", Label: "姓名（显示名称）", Kind: "text", Value: in.DisplayName,
			Required: true, Autocomplete: "off", Errors: bag.take("display_name")},
		Role: formField{Name: "role", ID: "f-role", Label: "角色", Kind: "select", Required: true,
			Options: grantableRoleOptions(choice{Label: "请选择"}, in.Role), Errors: bag.take("role")},
		Jurisdiction: formField{Name: "jurisdiction_code", ID: "f-jurisdiction_code", Label: "所属行政区划", Kind: "select",
			Options: areaOptions(sc.lines, choice{Label: "请选择"}, in.JurisdictionCode),
			Hint:    "自治区人社厅、自治区职业技能鉴定管理中心和系统管理员设在自治区；盟市人社局设在盟市；旗县人社局设在旗县；评估专家设在自治区或盟市；督导员可设在任一级。",
			Errors:  bag.take("jurisdiction_code")},
		Enterprise: formField{Name: "enterprise_id", ID: "f-enterprise_id", Label: "所属企业", Kind: "select",
			Options: enterpriseOptions(sc.enterprises, sc.names, in.EnterpriseID), Hint: "企业用户选择其企业，不选行政区划。",
			Errors: bag.take("enterprise_id")},
		Password: formField{Name: "password", ID: "f-password", Label: "初始密码", Kind: "password",
			Autocomplete: "new-password", Hint: "自治区人社厅、鉴定中心的账户不填：系统生成一次性初始码。其他账户：" + passwordRule + "请通过安全渠道交给本人，本人首次登录后须修改；提交有误时为安全起见需重新输入。",
			Errors: bag.take("password")},
	}
	known := map[string]bool{"f-username": true, "f-display_name": true, "f-role": true, "f-jurisdiction_code": true,
		"f-enterprise_id": true, "f-password": true}
	f.ErrorSummary = summaryLinks(errs, known)
	return f
}

// createUserSubmit creates an account; refused input comes back next to its fields with
// everything typed except the password.
func (p *Pages) createUserSubmit(c *gin.Context) error {
	in := &service.CreateUserRequest{Username: strings.TrimSpace(c.PostForm("username")), DisplayName: strings.TrimSpace(c.PostForm("display_name")),
		Role: c.PostForm("role"), Password: c.PostForm("password")}
	if in.Role == models.RoleEnterpriseUser {
		in.EnterpriseID = c.PostForm("enterprise_id")
	} else {
		in.JurisdictionCode = c.PostForm("jurisdiction_code")
	}
	u, err := p.svc.CreateUser(c.Request.Context(), api.ActorFrom(c), *in)
	if err == nil && u.InitialCode != "" {
		// The initial code is shown on this answer only (never in the flash cookie or a
		// redirect), like a reset code.
		c.Params = append(c.Params, gin.Param{Key: "id", Value: u.ID})
		v, err := p.userView(c, nil, nil)
		if err != nil {
			return err
		}
		v.Detail.ResetCode, v.Detail.NewAccount = u.InitialCode, true
		if u.CodeExpiresAt != nil {
			v.Detail.ResetExpires = p.when(*u.CodeExpiresAt)
		}
		v.Flash = "已创建用户 " + u.Username + "（" + models.RoleNames[u.Role] + "）。"
		return p.show(c, http.StatusCreated, "p_users", v)
	}
	if err == nil {
		p.flash(c, flashOK, "已创建用户 "+u.Username+"（"+models.RoleNames[u.Role]+"），本人首次登录后须修改初始密码。")
		return seeOther(c, "/admin/users?q="+url.QueryEscape(u.Username))
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	if e.Status == http.StatusForbidden {
		return p.backWithError(c, "/admin/users", e)
	}
	fields := validate.Errors(e.Fields)
	if len(fields) == 0 {
		fields = validate.Errors{{Message: e.Message}}
	}
	// Keep what was typed in both places, so that switching the role keeps the other choice.
	in.JurisdictionCode, in.EnterpriseID, in.Password = c.PostForm("jurisdiction_code"), c.PostForm("enterprise_id"), ""
	v, verr := p.usersView(c, in, fields)
	if verr != nil {
		return verr
	}
	v.Alert = e.Message
	return p.show(c, e.Status, "p_users", v)
}

// userDetail is one account, its actions and the form that moves it (p_users.html shows it
// instead of the list).
type userDetail struct {
	ID, Username, DisplayName, Role, Where, Created, LastLogin string
	Active, Self, CanManage, CanCredential, CanGrant           bool
	HeldTasks                                                  int64
	// LoginFailures are the failed logins counted against the account now (a CAPTCHA and
	// waits follow them); the unlock button forgets them.
	LoginFailures                                              int
	ResetCode, ResetExpires                                    string
	NewAccount, CanReadLogins                                  bool
	Ended                                                      string
	GrantRole, GrantJurisdiction, GrantEnterprise, GrantReason formField
	GrantErrors                                                []string
	GrantOpen                                                  bool
}

// userPage shows one account with its actions.
func (p *Pages) userPage(c *gin.Context) error {
	v, err := p.userView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_users", v)
}

func (p *Pages) userView(c *gin.Context, in *service.GrantRequest, errs *fieldBag) (*usersView, error) {
	a := api.ActorFrom(c)
	u, err := p.svc.GetUser(c.Request.Context(), a, c.Param("id"))
	if err != nil {
		return nil, err
	}
	sc, err := p.adminScope(c)
	if err != nil {
		return nil, err
	}
	v := &userDetail{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName,
		Role: models.RoleNames[u.Role], Where: sc.where(u), Created: p.when(u.CreatedAt), LastLogin: p.whenPtr(u.LastLoginAt),
		Active: u.Active, Self: u.ID == a.User.ID}
	if v.HeldTasks, err = p.db.OpenTasksHeldBy(c.Request.Context(), u.ID); err != nil {
		return nil, err
	}
	if v.LoginFailures, err = p.svc.LoginFailures(c.Request.Context(), u.Username); err != nil {
		return nil, err
	}
	v.CanManage = p.enf.Allowed(a.User.ID, a.Domain, "user", "manage") && !v.Self
	v.CanCredential = p.enf.Allowed(a.User.ID, a.Domain, "user", "credential") && !v.Self
	v.CanReadLogins = p.enf.Allowed(a.User.ID, a.Domain, "login", "read")
	// An administrator's role is fixed (三员分立): no grant form for it.
	v.CanGrant = p.enf.Allowed(a.User.ID, a.Domain, "user", "grant") && !v.Self && !domain.IsAdminRole(u.Role)
	if in == nil {
		in = &service.GrantRequest{Role: u.Role, JurisdictionCode: u.Jurisdiction(), EnterpriseID: u.Enterprise()}
	}
	v.GrantOpen = !errs.empty()
	v.GrantRole = formField{Name: "role", ID: "f-role", Label: "新角色", Kind: "select", Required: true,
		Options: grantableRoleOptions(choice{Label: "请选择"}, in.Role), Errors: errs.take("role")}
	v.GrantJurisdiction = formField{Name: "jurisdiction_code", ID: "f-jurisdiction_code", Label: "所属行政区划", Kind: "select",
		Options: areaOptions(sc.lines, choice{Label: "请选择"}, in.JurisdictionCode), Errors: errs.take("jurisdiction_code")}
	v.GrantEnterprise = formField{Name: "enterprise_id", ID: "f-enterprise_id", Label: "所属企业", Kind: "select",
		Options: enterpriseOptions(sc.enterprises, sc.names, in.EnterpriseID), Hint: "企业用户选择其企业。", Errors: errs.take("enterprise_id")}
	v.GrantReason = formField{Name: "reason", ID: "f-reason", Label: "调整理由", Kind: "textarea", Rows: 2, Value: in.Reason, Required: true,
		Wide: true, Errors: errs.take("reason")}
	v.GrantErrors = errs.rest()
	return &usersView{pageView: pageView{pageData: pageData{Title: "用户管理"}}, Detail: v}, nil
}

// userHref is the page of one account.
func userHref(id string) string { return "/admin/users/" + url.PathEscape(id) }

// userSwitch disables or enables an account and goes back to the page the button was on.
func (p *Pages) userSwitch(act string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		id := c.Param("id")
		back := localPath(c.PostForm("return_to"), userHref(id))
		in := service.UserAction{ID: id, Reason: strings.TrimSpace(c.PostForm("reason"))}
		if act == "enable" {
			u, err := p.svc.EnableUser(ctx, api.ActorFrom(c), in)
			if err != nil {
				return p.backWithError(c, back, service.ToError(err))
			}
			p.flash(c, flashOK, "已启用用户 "+u.Username+"，其可以用原密码登录。")
			return seeOther(c, back)
		}
		if !p.confirmed(c, "disable") {
			return nil
		}
		res, err := p.svc.DisableUser(ctx, api.ActorFrom(c), in)
		if err != nil {
			return p.backWithError(c, back, service.ToError(err))
		}
		msg := fmt.Sprintf("已停用用户 %s：不能再登录，已结束其 %d 个登录会话、撤销 %d 个接口令牌。", res.User.Username, res.SessionsEnded, res.TokensRevoked)
		if n, err := p.db.OpenTasksHeldBy(ctx, id); err == nil && n > 0 {
			msg += fmt.Sprintf("其已认领的 %d 项待办请在“停滞案件”中改派。", n)
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, back)
	}
}

// resetPasswordSubmit gives an account a generated password and shows it on this answer only:
// it is not put in the flash cookie or a redirect, so it exists nowhere but on this no-store
// page and in the hash.
func (p *Pages) resetPasswordSubmit(c *gin.Context) error {
	id := c.Param("id")
	if !p.confirmed(c, "password") {
		return nil
	}
	res, err := p.svc.ResetPassword(c.Request.Context(), api.ActorFrom(c), service.UserAction{ID: id, Reason: strings.TrimSpace(c.PostForm("reason"))})
	if err != nil {
		return p.backWithError(c, localPath(c.PostForm("return_to"), userHref(id)), service.ToError(err))
	}
	v, err := p.userView(c, nil, nil)
	if err != nil {
		return err
	}
	v.Detail.ResetCode, v.Detail.ResetExpires = res.ResetCode, p.when(res.ExpiresAt)
	v.Detail.Ended = fmt.Sprintf("已结束其 %d 个登录会话、撤销 %d 个接口令牌。", res.SessionsEnded, res.TokensRevoked)
	return p.show(c, http.StatusOK, "p_users", v)
}

// unlockSubmit forgets an account's failed logins (service.UnlockUser, audited), so that its
// owner logs in again without a CAPTCHA or a wait.
func (p *Pages) unlockSubmit(c *gin.Context) error {
	id := c.Param("id")
	back := localPath(c.PostForm("return_to"), userHref(id))
	res, err := p.svc.UnlockUser(c.Request.Context(), api.ActorFrom(c), service.UserAction{ID: id, Reason: strings.TrimSpace(c.PostForm("reason"))})
	if err != nil {
		return p.backWithError(c, back, service.ToError(err))
	}
	msg := "已解除用户 " + res.User.Username + " 的登录限制，其可以直接登录。"
	if res.Failures > 0 {
		msg = fmt.Sprintf("已解除用户 %s 的登录限制（清除近期 %d 次登录失败记录），其可以直接登录，无需验证码或等待。", res.User.Username, res.Failures)
	}
	p.flash(c, flashOK, msg)
	return seeOther(c, back)
}

// changeGrant moves an account to another role and jurisdiction or enterprise.
func (p *Pages) changeGrant(c *gin.Context) error {
	id := c.Param("id")
	in := &service.GrantRequest{Role: c.PostForm("role"), JurisdictionCode: c.PostForm("jurisdiction_code"),
		EnterpriseID: c.PostForm("enterprise_id"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	body := *in
	if body.Role == models.RoleEnterpriseUser {
		body.JurisdictionCode = ""
	} else {
		body.EnterpriseID = ""
	}
	u, err := p.svc.SetUserGrant(c.Request.Context(), api.ActorFrom(c), service.GrantInput{ID: id, GrantRequest: body})
	if err == nil {
		msg := "已将用户 " + u.Username + " 调整为" + models.RoleNames[u.Role] + "。"
		if n, err := p.db.OpenTasksHeldBy(c.Request.Context(), id); err == nil && n > 0 {
			msg += fmt.Sprintf("其已认领的 %d 项待办仍由其持有，必要时请在“停滞案件”中改派。", n)
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, userHref(id))
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	if len(e.Fields) == 0 {
		return p.backWithError(c, userHref(id), e)
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	v, verr := p.userView(c, in, errs)
	if verr != nil {
		return verr
	}
	return p.show(c, e.Status, "p_users", v)
}

// userConfirmView is p_user_confirm.html's data: the step that confirms disabling an account
// or resetting its password, which a single click on the list must not do.
type userConfirmView struct {
	pageView
	Heading, Action, Button, Hint, ReasonLabel string
	Username, DisplayName, Role, Where         string
	ReturnTo                                   string
}

// confirmField is the form field the disable and reset posts must carry: it is set only by the
// confirmation page, so a post from anywhere else (the old one-click buttons) is not acted on.
const confirmField = "confirm"

// confirmed says whether a post came from the confirmation page; otherwise it sends the
// browser to that page (303) and nothing is done.
func (p *Pages) confirmed(c *gin.Context, act string) bool {
	if c.PostForm(confirmField) == "yes" {
		return true
	}
	q := url.Values{}
	if back := localPath(c.PostForm("return_to"), ""); back != "" {
		q.Set("return_to", back)
	}
	target := userHref(c.Param("id")) + "/" + act
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	p.flash(c, flashError, "请先确认：本操作须在确认页面上再次确认后才会执行。")
	c.Redirect(http.StatusSeeOther, target)
	return false
}

// userConfirmPage asks the administrator to confirm disabling an account (act "disable") or
// resetting its password (act "password"); the page's form posts with the confirm field.
func (p *Pages) userConfirmPage(act string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		uv, err := p.userView(c, nil, nil)
		if err != nil {
			return err
		}
		d := uv.Detail
		v := &userConfirmView{Username: d.Username, DisplayName: d.DisplayName, Role: d.Role, Where: d.Where,
			ReturnTo: localPath(c.Query("return_to"), userHref(d.ID)), Action: userHref(d.ID) + "/" + act}
		switch act {
		case "disable":
			v.Title, v.Heading, v.Button, v.ReasonLabel = "确认停用账户", "确认停用账户 "+d.Username+"？", "确认停用", "停用理由（可选）"
			v.Hint = "停用后该账户不能登录；已登录的会话和接口令牌立即失效。可随时重新启用。"
			if !d.Active {
				v.Alert = "该账户已停用。"
			}
		default:
			v.Title, v.Heading, v.Button, v.ReasonLabel = "确认重置密码", "确认重置账户 "+d.Username+" 的密码？", "确认重置密码", "重置理由（可选）"
			v.Hint = "系统随机生成一次性重置码并只显示一次（24 小时内有效，只能登录一次，登录后须设置新密码）；原密码、已登录的会话和接口令牌随即失效。"
		}
		if d.Self {
			v.Alert = "这是您本人的账户：停用和重置密码须由其他管理员办理。"
		}
		return p.show(c, http.StatusOK, "p_user_confirm", v)
	}
}
