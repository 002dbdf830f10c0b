package api

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// adminRoutes registers the administrators' user, jurisdiction and audit log pages. Reads of
// lists go through the API in-process where it filters (users, audit log), so the scope rules
// live in one place; every write goes through the API.
func (p *webPages) adminRoutes(r *gin.Engine, login gin.HandlerFunc) {
	readUsers, manageUsers := p.authorize("user", "read", ownScope), p.authorize("user", "manage", ownScope)
	r.GET("/admin/users", login, readUsers, p.page(p.usersPage))
	r.POST("/admin/users", login, p.csrf, manageUsers, p.page(p.createUser))
	r.GET("/admin/users/:id", login, readUsers, p.page(p.userPage))
	r.POST("/admin/users/:id/disable", login, p.csrf, manageUsers, p.page(p.userSwitch("disable")))
	r.POST("/admin/users/:id/enable", login, p.csrf, manageUsers, p.page(p.userSwitch("enable")))
	r.POST("/admin/users/:id/password", login, p.csrf, manageUsers, p.page(p.resetPassword))
	r.POST("/admin/users/:id/grant", login, p.csrf, manageUsers, p.page(p.changeGrant))

	// The tree is readable by everyone who may read jurisdictions, within their subtree; the
	// pre-check switch shows where the reader may configure it (league bureaus under the
	// current policy), user counts where the reader may read users (administrators).
	areas := p.authorize("jurisdiction", "read", ownScope)
	r.GET("/admin/jurisdictions", login, areas, p.page(p.jurisdictionsPage))
	r.POST("/admin/jurisdictions/precheck", login, p.csrf, areas, p.page(p.setPrecheck))
	r.POST("/admin/jurisdictions", login, p.csrf, p.authorize("jurisdiction", "manage", ownScope), p.page(p.createCounty))

	r.GET("/admin/audit", login, p.authorize("audit", "read", ownScope), p.page(p.auditPage))
	r.POST("/admin/audit/verify", login, p.csrf, p.authorize("audit", "verify", ownScope), p.page(p.verifyAudit))
}

// ---------------------------------------------------------------------------------------------
// The jurisdiction tree as select options.

// levelNames are the Chinese names of jurisdiction levels.
var levelNames = map[string]string{models.LevelRegion: "自治区", models.LevelLeague: "盟市", models.LevelCounty: "旗县（市、区）"}

// areaLine is a jurisdiction in tree order with its depth below the root.
type areaLine struct {
	models.Jurisdiction
	Depth int
}

// areaLines lists the subtree of root depth-first in display order.
func (p *webPages) areaLines(c *gin.Context, root string) ([]areaLine, error) {
	js, err := p.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return nil, err
	}
	children := map[string][]models.Jurisdiction{}
	var top *models.Jurisdiction
	for i, j := range js {
		children[j.Parent()] = append(children[j.Parent()], j)
		if j.Code == root {
			top = &js[i]
		}
	}
	if top == nil {
		return nil, nil
	}
	var out []areaLine
	var walk func(j models.Jurisdiction, depth int)
	walk = func(j models.Jurisdiction, depth int) {
		out = append(out, areaLine{Jurisdiction: j, Depth: depth})
		for _, k := range children[j.Code] {
			walk(k, depth+1)
		}
	}
	walk(*top, 0)
	return out, nil
}

// areaOptions are select choices of the lines, indented by depth, after a first choice.
func areaOptions(lines []areaLine, first choice, selected string) []choice {
	out := []choice{first}
	out[0].Selected = selected == first.Value
	for _, l := range lines {
		out = append(out, choice{Value: l.Code, Label: strings.Repeat("　", l.Depth) + l.Name, Selected: l.Code == selected})
	}
	return out
}

// roleOptions are the roles as select choices, after a first choice.
func roleOptions(first choice, selected string) []choice {
	out := []choice{first}
	out[0].Selected = selected == first.Value
	for _, r := range policies.Roles {
		out = append(out, choice{Value: r, Label: models.RoleNames[r], Selected: r == selected})
	}
	return out
}

// enterpriseOptions are the enterprises as select choices, with their jurisdiction.
func enterpriseOptions(es []models.Enterprise, names map[string]string, selected string) []choice {
	out := []choice{{Value: "", Label: "（仅企业用户选择）", Selected: selected == ""}}
	for _, e := range es {
		out = append(out, choice{Value: e.ID, Label: e.Name + "（" + names[e.JurisdictionCode] + "）", Selected: e.ID == selected})
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Users.

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
	Active, Self, CanManage                                 bool
}

// userForm is the form that creates a user.
type userForm struct {
	Username, DisplayName, Role, Jurisdiction, Enterprise, Password formField
	ErrorSummary                                                    []errorLink
	Open                                                            bool
}

// adminScope is what the administration pages need of the caller's subtree: the jurisdictions
// in tree order, their names and the enterprises registered in them.
type adminScope struct {
	lines       []areaLine
	in          map[string]bool
	names       map[string]string
	enterprises []models.Enterprise
	entNames    map[string]string
}

func (p *webPages) adminScope(c *gin.Context) (*adminScope, error) {
	a := actorFrom(c)
	root, _ := policies.SplitDomain(a.Domain)
	lines, err := p.areaLines(c, root)
	if err != nil {
		return nil, err
	}
	sc := &adminScope{lines: lines, in: map[string]bool{}, names: p.names(c), entNames: map[string]string{}}
	var codes []string
	for _, l := range lines {
		sc.in[l.Code] = true
		codes = append(codes, l.Code)
	}
	if sc.enterprises, err = p.db.EnterprisesIn(c.Request.Context(), codes); err != nil {
		return nil, err
	}
	for _, e := range sc.enterprises {
		sc.entNames[e.ID] = e.Name
	}
	return sc, nil
}

// where describes the place an account is bound to.
func (sc *adminScope) where(u models.User) string {
	if u.Role == models.RoleEnterpriseUser {
		if n := sc.entNames[u.Enterprise()]; n != "" {
			return n
		}
		return "其他企业"
	}
	if n := sc.names[u.Jurisdiction()]; n != "" {
		return n
	}
	return u.Jurisdiction()
}

// usersPage lists the accounts in the caller's subtree with filters and paging, and offers the
// form that creates one.
func (p *webPages) usersPage(c *gin.Context) error {
	v, err := p.usersView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_users", v)
}

func (p *webPages) usersView(c *gin.Context, in *createUserRequest, errs validate.Errors) (*usersView, error) {
	a := actorFrom(c)
	sc, err := p.adminScope(c)
	if err != nil {
		return nil, err
	}
	q := c.Request.URL.Query()
	v := &usersView{pageView: pageView{pageData: pageData{Title: "用户管理"}}, ReturnTo: c.Request.URL.RequestURI()}
	if c.Request.Method != http.MethodGet {
		v.ReturnTo = "/admin/users"
	}
	api := url.Values{"limit": {strconv.Itoa(usersPageSize)}}
	role := q.Get("role")
	if models.RoleNames[role] == "" {
		role = ""
	} else {
		api.Set("role", role)
	}
	area := q.Get("jurisdiction")
	if !sc.in[area] {
		area = ""
	} else {
		api.Set("jurisdiction", area)
	}
	text := strings.TrimSpace(q.Get("q"))
	if text != "" {
		api.Set("q", text)
	}
	state := q.Get("state")
	switch state {
	case "active":
		api.Set("active", "true")
	case "disabled":
		api.Set("active", "false")
	default:
		state = ""
	}
	v.Filtered = role != "" || area != "" || text != "" || state != ""
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	api.Set("offset", strconv.Itoa((v.Page-1)*usersPageSize))

	var list listResponse[models.User]
	if err := p.callAPI(c, http.MethodGet, "/api/v1/users?"+api.Encode(), nil, &list); err != nil {
		return nil, err
	}
	canManage := p.enf.Allowed(a.User.ID, a.Domain, "user", "manage")
	for _, u := range list.Items {
		v.Rows = append(v.Rows, userRow{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Role: models.RoleNames[u.Role],
			Where: sc.where(u), LastLogin: p.whenPtr(u.LastLoginAt), Href: "/admin/users/" + url.PathEscape(u.ID),
			Active: u.Active, Self: u.ID == a.User.ID, CanManage: canManage})
	}
	v.setTotal("/admin/users", q, list.Total, usersPageSize)
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

// userForm builds the creation form with the values typed (never the password) and the API's
// field errors next to their fields.
func (p *webPages) userForm(sc *adminScope, in *createUserRequest, errs validate.Errors) *userForm {
	if in == nil {
		in = &createUserRequest{}
	}
	bag := newFieldBag()
	bag.addAll(errs)
	f := &userForm{Open: len(errs) > 0,
		Username: formField{Name: "username", ID: "f-username", Label: "用户名", Kind: "text", Value: in.Username, Required: true,
			Autocomplete: "off", MaxLength: "64", Hint: "3 至 64 个字符，不含空格和斜杠；登录时使用。", Errors: bag.take("username")},
		DisplayName: formField{Name: "display_name", ID: "f-display_name", Label: "姓名（显示名称）", Kind: "text", Value: in.DisplayName,
			Required: true, Autocomplete: "off", Errors: bag.take("display_name")},
		Role: formField{Name: "role", ID: "f-role", Label: "角色", Kind: "select", Required: true,
			Options: roleOptions(choice{Label: "请选择"}, in.Role), Errors: bag.take("role")},
		Jurisdiction: formField{Name: "jurisdiction_code", ID: "f-jurisdiction_code", Label: "所属行政区划", Kind: "select",
			Options: areaOptions(sc.lines, choice{Label: "请选择"}, in.JurisdictionCode),
			Hint:    "自治区人社厅、鉴定中心和系统管理员设在自治区；盟市人社局设在盟市；旗县人社局设在旗县；评估专家设在自治区或盟市；督导员可设在任一级。",
			Errors:  bag.take("jurisdiction_code")},
		Enterprise: formField{Name: "enterprise_id", ID: "f-enterprise_id", Label: "所属企业", Kind: "select",
			Options: enterpriseOptions(sc.enterprises, sc.names, in.EnterpriseID), Hint: "企业用户选择其企业，不选行政区划。",
			Errors: bag.take("enterprise_id")},
		Password: formField{Name: "password", ID: "f-password", Label: "初始密码", Kind: "password", Required: true,
			Autocomplete: "new-password", Hint: "至少 10 位。请通过安全渠道交给本人；提交有误时为安全起见需重新输入。",
			Errors: bag.take("password")},
	}
	known := map[string]bool{"f-username": true, "f-display_name": true, "f-role": true, "f-jurisdiction_code": true,
		"f-enterprise_id": true, "f-password": true}
	f.ErrorSummary = summaryLinks(errs, known)
	return f
}

// createUser creates an account through the API; refused input comes back next to its fields
// with everything typed except the password.
func (p *webPages) createUser(c *gin.Context) error {
	in := &createUserRequest{Username: strings.TrimSpace(c.PostForm("username")), DisplayName: strings.TrimSpace(c.PostForm("display_name")),
		Role: c.PostForm("role"), Password: c.PostForm("password")}
	if in.Role == models.RoleEnterpriseUser {
		in.EnterpriseID = c.PostForm("enterprise_id")
	} else {
		in.JurisdictionCode = c.PostForm("jurisdiction_code")
	}
	var u models.User
	err := p.callAPI(c, http.MethodPost, "/api/v1/users", in, &u)
	if err == nil {
		p.flash(c, flashOK, "已创建用户 "+u.Username+"（"+models.RoleNames[u.Role]+"）。")
		return seeOther(c, "/admin/users?q="+url.QueryEscape(u.Username))
	}
	e := userError(err)
	if e == nil {
		return err
	}
	if e.Status == http.StatusForbidden {
		return p.backWithError(c, "/admin/users", err)
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
	Active, Self, CanManage                                    bool
	HeldTasks                                                  int64
	OneTimePassword                                            string
	Ended                                                      string
	GrantRole, GrantJurisdiction, GrantEnterprise, GrantReason formField
	GrantErrors                                                []string
	GrantOpen                                                  bool
}

// userPage shows one account with its actions.
func (p *webPages) userPage(c *gin.Context) error {
	v, err := p.userView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_users", v)
}

func (p *webPages) userView(c *gin.Context, in *grantRequest, errs *fieldBag) (*usersView, error) {
	a := actorFrom(c)
	var u models.User
	if err := p.callAPI(c, http.MethodGet, "/api/v1/users/"+url.PathEscape(c.Param("id")), nil, &u); err != nil {
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
	v.CanManage = p.enf.Allowed(a.User.ID, a.Domain, "user", "manage") && !v.Self
	if in == nil {
		in = &grantRequest{Role: u.Role, JurisdictionCode: u.Jurisdiction(), EnterpriseID: u.Enterprise()}
	}
	v.GrantOpen = !errs.empty()
	v.GrantRole = formField{Name: "role", ID: "f-role", Label: "新角色", Kind: "select", Required: true,
		Options: roleOptions(choice{Label: "请选择"}, in.Role), Errors: errs.take("role")}
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

// userSwitch disables or enables an account through the API and goes back to the page the
// button was on.
func (p *webPages) userSwitch(act string) func(*gin.Context) error {
	return func(c *gin.Context) error {
		ctx := c.Request.Context()
		id := c.Param("id")
		back := localPath(c.PostForm("return_to"), userHref(id))
		body := userActionBody{Reason: strings.TrimSpace(c.PostForm("reason"))}
		if act == "enable" {
			var u models.User
			if err := p.callAPI(c, http.MethodPost, "/api/v1/users/"+url.PathEscape(id)+"/enable", body, &u); err != nil {
				return p.backWithError(c, back, err)
			}
			p.flash(c, flashOK, "已启用用户 "+u.Username+"，其可以用原密码登录。")
			return seeOther(c, back)
		}
		var res accessResult
		if err := p.callAPI(c, http.MethodPost, "/api/v1/users/"+url.PathEscape(id)+"/disable", body, &res); err != nil {
			return p.backWithError(c, back, err)
		}
		msg := fmt.Sprintf("已停用用户 %s：不能再登录，已结束其 %d 个登录会话、撤销 %d 个接口令牌。", res.User.Username, res.SessionsEnded, res.TokensRevoked)
		if n, err := p.db.OpenTasksHeldBy(ctx, id); err == nil && n > 0 {
			msg += fmt.Sprintf("其已认领的 %d 项待办请在“停滞案件”中改派。", n)
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, back)
	}
}

// resetPassword gives an account a generated password through the API and shows it on this
// answer only: it is not put in the flash cookie or a redirect, so it exists nowhere but on
// this no-store page and in the hash.
func (p *webPages) resetPassword(c *gin.Context) error {
	id := c.Param("id")
	var res passwordReset
	body := userActionBody{Reason: strings.TrimSpace(c.PostForm("reason"))}
	if err := p.callAPI(c, http.MethodPost, "/api/v1/users/"+url.PathEscape(id)+"/password", body, &res); err != nil {
		return p.backWithError(c, localPath(c.PostForm("return_to"), userHref(id)), err)
	}
	v, err := p.userView(c, nil, nil)
	if err != nil {
		return err
	}
	v.Detail.OneTimePassword = res.Password
	v.Detail.Ended = fmt.Sprintf("已结束其 %d 个登录会话、撤销 %d 个接口令牌。", res.SessionsEnded, res.TokensRevoked)
	return p.show(c, http.StatusOK, "p_users", v)
}

// changeGrant moves an account to another role and jurisdiction or enterprise through the API.
func (p *webPages) changeGrant(c *gin.Context) error {
	id := c.Param("id")
	in := &grantRequest{Role: c.PostForm("role"), JurisdictionCode: c.PostForm("jurisdiction_code"),
		EnterpriseID: c.PostForm("enterprise_id"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	body := *in
	if body.Role == models.RoleEnterpriseUser {
		body.JurisdictionCode = ""
	} else {
		body.EnterpriseID = ""
	}
	var u models.User
	err := p.callAPI(c, http.MethodPut, "/api/v1/users/"+url.PathEscape(id)+"/grant", body, &u)
	if err == nil {
		msg := "已将用户 " + u.Username + " 调整为" + models.RoleNames[u.Role] + "。"
		if n, err := p.db.OpenTasksHeldBy(c.Request.Context(), id); err == nil && n > 0 {
			msg += fmt.Sprintf("其已认领的 %d 项待办仍由其持有，必要时请在“停滞案件”中改派。", n)
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, userHref(id))
	}
	e := userError(err)
	if e == nil {
		return err
	}
	if len(e.Fields) == 0 {
		return p.backWithError(c, userHref(id), err)
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	v, verr := p.userView(c, in, errs)
	if verr != nil {
		return verr
	}
	return p.show(c, e.Status, "p_users", v)
}

// ---------------------------------------------------------------------------------------------
// Jurisdictions.

// jurisdictionsView is p_jurisdictions.html's data: the caller's subtree as nested nodes, and
// for administrators the form that adds a county.
type jurisdictionsView struct {
	pageView
	Root      *areaNode
	ShowUsers bool
	Create    *countyForm
	// leagues are where the caller may add counties (the form's choices).
	leagues []areaLine
}

// countyForm is the form that adds a county-level jurisdiction under a league/city.
type countyForm struct {
	Parent, Code, Name, AreaCode formField
	ErrorSummary                 []errorLink
	Open                         bool
}

// areaNode is a jurisdiction with its accounts, its enterprises and its children.
type areaNode struct {
	Code, Name, Level, LevelName string
	ReportsDirectly, Open        bool
	Users                        models.NodeUsers
	UsersHref                    string
	ShowUsers                    bool
	// League settings.
	League, Precheck, CanToggle bool
	CSRF                        string
	Reason                      formField
	Enterprises                 []entNode
	Children                    []*areaNode
	// Totals of the subtree.
	SubUsers       models.NodeUsers
	SubEnterprises int
}

type entNode struct {
	Name  string
	Users models.NodeUsers
}

// jurisdictionsPage shows the caller's subtree: region → leagues/cities → counties →
// enterprises with the accounts of each node and each league's county pre-check setting.
func (p *webPages) jurisdictionsPage(c *gin.Context) error {
	v, err := p.jurisdictionsView(c, "", "", nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_jurisdictions", v)
}

func (p *webPages) jurisdictionsView(c *gin.Context, errCode, reason string, reasonErrs []string) (*jurisdictionsView, error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	sc, err := p.adminScope(c)
	if err != nil {
		return nil, err
	}
	v := &jurisdictionsView{pageView: pageView{pageData: pageData{Title: "行政区划"}}}
	v.ShowUsers = p.enf.Allowed(a.User.ID, a.Domain, "user", "read")
	var byArea, byEnt map[string]models.NodeUsers
	if v.ShowUsers {
		if byArea, byEnt, err = p.db.UserCounts(ctx); err != nil {
			return nil, err
		}
	}
	csrf := p.csrfToken(p.csrfBinding(c, true))
	nodes := map[string]*areaNode{}
	for _, l := range sc.lines {
		n := &areaNode{Code: l.Code, Name: l.Name, Level: l.Level, LevelName: levelNames[l.Level], ReportsDirectly: l.ReportsDirectly,
			Users: byArea[l.Code], ShowUsers: v.ShowUsers, UsersHref: "/admin/users?jurisdiction=" + url.QueryEscape(l.Code),
			League: l.Level == models.LevelLeague, Precheck: l.PrecheckEnabled, Open: l.Depth == 0 || l.Code == errCode || l.Code == c.Query("open")}
		if n.League {
			n.CanToggle = p.enf.Allowed(a.User.ID, l.Code, "jurisdiction", "configure")
		}
		if n.CanToggle {
			n.CSRF = csrf
			n.Reason = formField{Name: "reason", ID: "reason-" + l.Code, Label: "调整理由", Kind: "text", Required: true}
			if l.Code == errCode {
				n.Reason.Value, n.Reason.Errors = reason, reasonErrs
			}
		}
		nodes[l.Code] = n
		if l.Depth == 0 {
			v.Root = n
		} else if parent := nodes[l.Parent()]; parent != nil {
			parent.Children = append(parent.Children, n)
		}
	}
	for _, e := range sc.enterprises {
		if n := nodes[e.JurisdictionCode]; n != nil {
			n.Enterprises = append(n.Enterprises, entNode{Name: e.Name, Users: byEnt[e.ID]})
		}
	}
	if v.Root != nil {
		v.Root.total()
	}
	if p.enf.Allowed(a.User.ID, a.Domain, "jurisdiction", "manage") {
		for _, l := range sc.lines {
			if l.Level == models.LevelLeague && !l.ReportsDirectly && p.enf.Allowed(a.User.ID, l.Code, "jurisdiction", "manage") {
				v.leagues = append(v.leagues, l)
			}
		}
		v.Create = countyFormOf(v.leagues, nil, nil)
	}
	return v, nil
}

// countyFormOf builds the form that adds a county with the values typed and the API's field
// errors next to their fields.
func countyFormOf(leagues []areaLine, in *countyRequest, errs validate.Errors) *countyForm {
	if in == nil {
		in = &countyRequest{}
	}
	bag := newFieldBag()
	bag.addAll(errs)
	opts := []choice{{Label: "请选择", Selected: in.ParentCode == ""}}
	for _, l := range leagues {
		label := l.Name + "（" + l.Code
		if l.AreaCode != "" {
			label += "，区号 " + l.AreaCode
		}
		opts = append(opts, choice{Value: l.Code, Label: label + "）", Selected: l.Code == in.ParentCode})
	}
	f := &countyForm{Open: len(errs) > 0,
		Parent: formField{Name: "parent_code", ID: "f-parent_code", Label: "所属盟市", Kind: "select", Required: true, Options: opts,
			Hint: "满洲里市、二连浩特市由自治区直接联系，本身相当于旗县，其下不设旗县（市、区）。", Errors: bag.take("parent_code")},
		Code: formField{Name: "code", ID: "f-code", Label: "行政区划代码", Kind: "text", Value: in.Code, Required: true,
			InputMode: "numeric", MaxLength: "6", Autocomplete: "off",
			Hint:   "GB/T 2260 的 6 位代码，前四位与所属盟市相同，如乌海市（150300）所辖海勃湾区为 150302。创建后不能修改。",
			Errors: bag.take("code")},
		Name: formField{Name: "name", ID: "f-name", Label: "名称", Kind: "text", Value: in.Name, Required: true,
			MaxLength: "64", Autocomplete: "off", Hint: "如 海勃湾区、达拉特旗、霍林郭勒市。", Errors: bag.take("name")},
		AreaCode: formField{Name: "area_code", ID: "f-area_code", Label: "长途区号", Kind: "text", Value: in.AreaCode,
			InputMode: "numeric", MaxLength: "4", Autocomplete: "off", Hint: "可不填，不填则沿用所属盟市的区号。",
			Errors: bag.take("area_code")},
	}
	known := map[string]bool{"f-parent_code": true, "f-code": true, "f-name": true, "f-area_code": true}
	f.ErrorSummary = summaryLinks(errs, known)
	return f
}

// createCounty adds a county through the API; refused input comes back next to its fields with
// everything typed, and the new county is shown open in the tree.
func (p *webPages) createCounty(c *gin.Context) error {
	in := &countyRequest{ParentCode: strings.TrimSpace(c.PostForm("parent_code")), Code: strings.TrimSpace(c.PostForm("code")),
		Name: strings.TrimSpace(c.PostForm("name")), AreaCode: strings.TrimSpace(c.PostForm("area_code"))}
	var j models.Jurisdiction
	err := p.callAPI(c, http.MethodPost, "/api/v1/jurisdictions", in, &j)
	if err == nil {
		p.flash(c, flashOK, "已新增"+p.names(c)[j.Parent()]+j.Name+"（"+j.Code+"）。企业现在可以在此注册，也可以为其设置旗县人社局账户。")
		return seeOther(c, "/admin/jurisdictions?open="+url.QueryEscape(j.Code)+"#j-"+url.QueryEscape(j.Code))
	}
	e := userError(err)
	if e == nil {
		return err
	}
	if len(e.Fields) == 0 {
		return p.backWithError(c, "/admin/jurisdictions", err)
	}
	v, verr := p.jurisdictionsView(c, "", "", nil)
	if verr != nil {
		return verr
	}
	v.Create = countyFormOf(v.leagues, in, validate.Errors(e.Fields))
	v.Alert = e.Message
	return p.show(c, e.Status, "p_jurisdictions", v)
}

// total adds up the accounts and enterprises of the node's subtree.
func (n *areaNode) total() {
	n.SubUsers, n.SubEnterprises = n.Users, len(n.Enterprises)
	for _, e := range n.Enterprises {
		n.SubUsers.Active += e.Users.Active
		n.SubUsers.Disabled += e.Users.Disabled
	}
	for _, k := range n.Children {
		k.total()
		n.SubUsers.Active += k.SubUsers.Active
		n.SubUsers.Disabled += k.SubUsers.Disabled
		n.SubEnterprises += k.SubEnterprises
		n.Open = n.Open || k.Open
	}
}

// setPrecheck turns a league's county pre-check on or off through the API, with a reason that
// the page requires (it goes to the audit log).
func (p *webPages) setPrecheck(c *gin.Context) error {
	code := c.PostForm("code")
	enabled := c.PostForm("enabled") == "true"
	reason := strings.TrimSpace(c.PostForm("reason"))
	back := "/admin/jurisdictions?open=" + url.QueryEscape(code) + "#j-" + url.QueryEscape(code)
	if _, err := checkReason(reason, true); err != nil {
		var msgs []string
		for _, f := range userError(err).Fields {
			msgs = append(msgs, f.Message)
		}
		v, verr := p.jurisdictionsView(c, code, reason, msgs)
		if verr != nil {
			return verr
		}
		v.Alert = "请填写调整旗县初审的理由。"
		return p.show(c, http.StatusUnprocessableEntity, "p_jurisdictions", v)
	}
	var out struct {
		Enabled bool `json:"precheck_enabled"`
	}
	if err := p.callAPI(c, http.MethodPut, "/api/v1/jurisdictions/"+url.PathEscape(code)+"/precheck",
		precheckBody{Enabled: &enabled, Reason: reason}, &out); err != nil {
		return p.backWithError(c, back, err)
	}
	state := "关闭"
	if out.Enabled {
		state = "开启"
	}
	p.flash(c, flashOK, "已"+state+p.names(c)[code]+"的旗县初审，自此后提交的申报起生效。")
	return seeOther(c, back)
}

// ---------------------------------------------------------------------------------------------
// Audit log.

const auditPageSize = 50

// auditView is p_audit.html's data.
type auditView struct {
	pageView
	Filters  []formField
	Filtered bool
	Rows     []auditRow
	pager
	CanVerify bool
}

type auditRow struct {
	Seq                                    int64
	At, Actor, Role, Action, ActionCode    string
	Target, Outcome, OutcomeClass, Details string
	Reason, Jurisdiction                   string
}

// actionNames are the Chinese names of the audited actions the log shows most.
var actionNames = map[string]string{
	"login": "登录", "logout": "退出登录", "token.create": "创建接口令牌", "token.revoke": "撤销接口令牌",
	"user.create": "新建用户", "user.disable": "停用用户", "user.enable": "启用用户", "user.password_reset": "重置密码",
	"user.grant": "调整角色", "user.manage": "管理用户", "user.read": "查看用户", "audit.verify": "校验哈希链",
	"audit.read": "查看审计日志", "jurisdiction.precheck": "设置旗县初审", "jurisdiction.read": "查看行政区划",
	"jurisdiction.create": "新增旗县（市、区）", "jurisdiction.update": "修改旗县（市、区）", "jurisdiction.manage": "管理行政区划",
	"task.claim": "认领待办", "task.unclaim": "释放待办", "task.reassign": "改派待办", "task.decide": "办理待办",
	"task.escalate": "逾期上报", "finding.remind": "督办提醒", "application.create": "创建申报表",
	"application.save_draft": "保存草稿", "application.submit": "提交申报", "attachment.upload": "上传附件",
	"attachment.download": "下载附件", "personal_data.read": "查看个人信息", "case.start": "案件开始",
	"case.suspend": "暂停试点", "case.resume": "恢复试点", "case.remove": "移出试点", "campaign.start": "启动年度计划",
	"campaign.move_collection": "调整汇总截止时间", "campaign.move_publication": "调整目录公布时间",
	"complaint.file": "投诉举报", "certificate.revoke": "吊销证书", "summary.export": "导出汇总表",
}

// actionName is the Chinese name of an action; decisions ("task.decide:league_review") are
// named by their task kind.
func actionName(action string) string {
	if n, ok := actionNames[action]; ok {
		return n
	}
	if kind, ok := strings.CutPrefix(action, "task.decide:"); ok {
		return "办理：" + kindTitle(kind)
	}
	return ""
}

// actionOptions are the known actions as select choices by code, plus the selected one when
// it is not among them (a link may name any action).
func actionOptions(selected string) []choice {
	codes := make([]string, 0, len(actionNames))
	for code := range actionNames {
		codes = append(codes, code)
	}
	sort.Strings(codes)
	out := []choice{{Value: "", Label: "全部操作", Selected: selected == ""}}
	if selected != "" && actionNames[selected] == "" {
		out = append(out, choice{Value: selected, Label: selected, Selected: true})
	}
	for _, code := range codes {
		out = append(out, choice{Value: code, Label: actionNames[code] + "（" + code + "）", Selected: code == selected})
	}
	return out
}

// auditOutcomes are the Chinese names of audit outcomes with their badge classes.
var auditOutcomes = map[string]marker{
	models.OutcomeOK:       {"badge ok", "成功"},
	models.OutcomeDenied:   {"badge overdue", "无权拒绝"},
	models.OutcomeRejected: {"badge soon", "未通过"},
}

// objectNames are the Chinese names of audited object types.
var objectNames = map[string]string{
	"user": "用户", "api_token": "接口令牌", "task": "待办", "case": "案件", "application": "申报表", "attachment": "附件",
	"jurisdiction": "行政区划", "audit_log": "审计日志", "campaign": "年度计划", "complaint": "投诉", "certificate": "证书",
	"session": "考核场次", "candidate": "考生", "occupation": "职业（工种）", "finding": "巡检问题",
}

// idNumberRe and mobileRe find ID and mobile numbers that a typed reason may carry; the audit
// page shows them masked (audit rows are meant to hold none, this is the second line).
var (
	idNumberRe = regexp.MustCompile(`\b\d{17}[\dXx]\b`)
	mobileRe   = regexp.MustCompile(`\b1[3-9]\d{9}\b`)
)

func maskPersonal(s string) string {
	s = idNumberRe.ReplaceAllStringFunc(s, validate.MaskIDNumber)
	return mobileRe.ReplaceAllStringFunc(s, func(m string) string { return m[:3] + "****" + m[7:] })
}

// auditPage lists the audit log in the caller's scope, newest first, with filters and paging.
func (p *webPages) auditPage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
	q := c.Request.URL.Query()
	v := &auditView{pageView: pageView{pageData: pageData{Title: "审计日志"}}}
	v.CanVerify = p.enf.Allowed(a.User.ID, a.Domain, "audit", "verify")
	errs := newFieldBag()
	api := url.Values{"limit": {strconv.Itoa(auditPageSize)}}
	action, actor := strings.TrimSpace(q.Get("action")), strings.TrimSpace(q.Get("actor"))
	if action != "" {
		api.Set("action", action)
	}
	if actor != "" {
		api.Set("actor", actor)
	}
	outcome := q.Get("outcome")
	if _, ok := auditOutcomes[outcome]; ok {
		api.Set("outcome", outcome)
	} else {
		outcome = ""
	}
	var from, to time.Time
	for _, d := range []struct {
		name string
		at   *time.Time
	}{{"from", &from}, {"to", &to}} {
		val := strings.TrimSpace(q.Get(d.name))
		if val == "" {
			continue
		}
		t, err := time.ParseInLocation("2006-01-02", val, p.cfg.Location)
		if err != nil {
			errs.add(d.name, "请输入日期，如 2027-05-20。")
			continue
		}
		*d.at = t
		api.Set(d.name, val)
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		errs.add("to", "截止日期不能早于起始日期。")
		api.Del("to")
	}
	v.Filtered = action != "" || actor != "" || outcome != "" || q.Get("from") != "" || q.Get("to") != ""
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	api.Set("offset", strconv.Itoa((v.Page-1)*auditPageSize))

	v.Filters = []formField{
		{Name: "action", ID: "f-action", Label: "操作", Kind: "select", Options: actionOptions(action)},
		{Name: "actor", ID: "f-actor", Label: "操作人用户名", Kind: "text", Value: actor, Autocomplete: "off"},
		{Name: "outcome", ID: "f-outcome", Label: "结果", Kind: "select", Options: choices(outcome, "", "全部",
			models.OutcomeOK, "成功", models.OutcomeDenied, "无权拒绝", models.OutcomeRejected, "未通过")},
		{Name: "from", ID: "f-from", Label: "起始日期", Kind: "date", Value: q.Get("from"), Errors: errs.take("from")},
		{Name: "to", ID: "f-to", Label: "截止日期（含当日）", Kind: "date", Value: q.Get("to"), Errors: errs.take("to")},
	}
	var list listResponse[models.AuditEntry]
	if err := p.callAPI(c, http.MethodGet, "/api/v1/audit?"+api.Encode(), nil, &list); err != nil {
		return err
	}
	var userIDs []string
	for _, e := range list.Items {
		if e.ObjectType == "user" && e.ObjectID != "" {
			userIDs = append(userIDs, e.ObjectID)
		}
	}
	usernames, err := p.db.UsernamesByID(ctx, userIDs)
	if err != nil {
		return err
	}
	names := p.names(c)
	for _, e := range list.Items {
		row := auditRow{Seq: e.Seq, At: p.when(e.At), Actor: e.ActorName, Role: models.RoleNames[e.Role], ActionCode: e.Action,
			Action: actionName(e.Action), Jurisdiction: names[e.JurisdictionCode], Reason: maskPersonal(e.Reason)}
		if row.Actor == "" {
			row.Actor = "（未登录）"
		}
		o, ok := auditOutcomes[e.Outcome]
		if !ok {
			o = marker{"badge", e.Outcome}
		}
		row.OutcomeClass, row.Outcome = o.Class, o.Text
		target := e.ObjectID
		if n := usernames[e.ObjectID]; e.ObjectType == "user" && n != "" {
			target = n
		} else if n := names[e.ObjectID]; e.ObjectType == "jurisdiction" && n != "" {
			target = n
		}
		if typ := objectNames[e.ObjectType]; typ != "" {
			target = strings.TrimSpace(typ + " " + target)
		} else if e.ObjectType != "" {
			target = strings.TrimSpace(e.ObjectType + " " + target)
		}
		row.Target = maskPersonal(target)
		switch {
		case e.BeforeState != "" && e.AfterState != "":
			row.Details = e.BeforeState + " → " + e.AfterState
		default:
			row.Details = e.BeforeState + e.AfterState
		}
		row.Details = maskPersonal(row.Details)
		v.Rows = append(v.Rows, row)
	}
	v.setTotal("/admin/audit", q, list.Total, auditPageSize)
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return p.show(c, http.StatusOK, "p_audit", v)
}

// chainProblems are the Chinese explanations of the chain verifier's findings.
var chainProblems = []struct{ prefix, text string }{
	{"row content", "记录内容与其哈希值不符（记录被改动）"},
	{"previous-hash", "前一条记录的哈希与本条记录中的不一致（记录被删除、插入或调换）"},
	{"row ", "该条记录缺失（记录被删除）"},
}

// verifyAudit runs the chain verification through the API and reports it on the audit page.
func (p *webPages) verifyAudit(c *gin.Context) error {
	var rep models.ChainReport
	if err := p.callAPI(c, http.MethodPost, "/api/v1/audit/verify", nil, &rep); err != nil {
		return p.backWithError(c, "/admin/audit", err)
	}
	if rep.OK {
		p.flash(c, flashOK, fmt.Sprintf("哈希链校验通过：已校验 %d 条记录，未发现篡改。", rep.Rows))
		return seeOther(c, "/admin/audit")
	}
	why := rep.Problem
	for _, cp := range chainProblems {
		if strings.HasPrefix(rep.Problem, cp.prefix) {
			why = cp.text
			break
		}
	}
	p.flash(c, flashError, fmt.Sprintf("哈希链校验未通过：序号为 %d 的记录有问题——%s。此前 %d 条记录完好；请立即报告安全负责人。",
		rep.BrokenAt, why, max(rep.Rows-1, 0)))
	return seeOther(c, "/admin/audit")
}
