package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

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
func (p *Pages) jurisdictionsPage(c *gin.Context) error {
	v, err := p.jurisdictionsView(c, "", "", nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_jurisdictions", v)
}

func (p *Pages) jurisdictionsView(c *gin.Context, errCode, reason string, reasonErrs []string) (*jurisdictionsView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
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
	csrf := p.api.CSRFToken(p.api.CSRFBinding(c, true))
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

// countyFormOf builds the form that adds a county with the values typed and the field errors
// next to their fields.
func countyFormOf(leagues []areaLine, in *service.CountyRequest, errs validate.Errors) *countyForm {
	if in == nil {
		in = &service.CountyRequest{}
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

// createCountySubmit adds a county; refused input comes back next to its fields with
// everything typed, and the new county is shown open in the tree.
func (p *Pages) createCountySubmit(c *gin.Context) error {
	in := &service.CountyRequest{ParentCode: strings.TrimSpace(c.PostForm("parent_code")), Code: strings.TrimSpace(c.PostForm("code")),
		Name: strings.TrimSpace(c.PostForm("name")), AreaCode: strings.TrimSpace(c.PostForm("area_code"))}
	j, err := p.svc.CreateCounty(c.Request.Context(), api.ActorFrom(c), *in)
	if err == nil {
		p.flash(c, flashOK, "已新增"+p.names(c)[j.Parent()]+j.Name+"（"+j.Code+"）。企业现在可以在此注册，也可以为其设置旗县人社局账户。")
		return seeOther(c, "/admin/jurisdictions?open="+url.QueryEscape(j.Code)+"#j-"+url.QueryEscape(j.Code))
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	if len(e.Fields) == 0 {
		return p.backWithError(c, "/admin/jurisdictions", e)
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

// precheckSubmit turns a league's county pre-check on or off, with a reason that the page
// requires (it goes to the audit log).
func (p *Pages) precheckSubmit(c *gin.Context) error {
	code := c.PostForm("code")
	enabled := c.PostForm("enabled") == "true"
	reason := strings.TrimSpace(c.PostForm("reason"))
	back := "/admin/jurisdictions?open=" + url.QueryEscape(code) + "#j-" + url.QueryEscape(code)
	if _, err := service.CheckReason(reason, true); err != nil {
		var msgs []string
		for _, f := range service.UserError(err).Fields {
			msgs = append(msgs, f.Message)
		}
		v, verr := p.jurisdictionsView(c, code, reason, msgs)
		if verr != nil {
			return verr
		}
		v.Alert = "请填写调整旗县初审的理由。"
		return p.show(c, http.StatusUnprocessableEntity, "p_jurisdictions", v)
	}
	out, err := p.svc.SetPrecheck(c.Request.Context(), api.ActorFrom(c), service.PrecheckInput{Code: code, Enabled: enabled, Reason: reason})
	if err != nil {
		return p.backWithError(c, back, service.ToError(err))
	}
	state := "关闭"
	if out.Enabled {
		state = "开启"
	}
	p.flash(c, flashOK, "已"+state+p.names(c)[code]+"的旗县初审，自此后提交的申报起生效。")
	return seeOther(c, back)
}
