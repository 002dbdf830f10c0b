package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

// countyGroup is a league/city with the counties an enterprise may register in (one
// optgroup of the page's select).
type countyGroup struct {
	Label   string
	Options []choice
}

// directCitiesLabel heads the county-level cities that report to the region directly.
const directCitiesLabel = "自治区直接联系的县级市"

// registrableGroups lists where an enterprise may register, by league in display order: the
// counties (旗县市区) under each league/city, then the county-level cities that report to the
// region directly (满洲里, 二连浩特), which act as their own league. selected is marked.
func registrableGroups(js []models.Jurisdiction, selected string) []countyGroup {
	byCode := map[string]models.Jurisdiction{}
	for _, j := range js {
		byCode[j.Code] = j
	}
	var leagues []string
	options := map[string][]choice{}
	var direct []choice
	for _, j := range js {
		if j.Level == models.LevelLeague && !j.ReportsDirectly {
			leagues = append(leagues, j.Code)
		}
		if !service.IsRegistrable(byCode, j) {
			continue
		}
		opt := choice{Value: j.Code, Label: j.Name, Selected: j.Code == selected}
		if j.Level == models.LevelCounty {
			options[j.Parent()] = append(options[j.Parent()], opt)
		} else {
			direct = append(direct, opt)
		}
	}
	var groups []countyGroup
	for _, l := range leagues {
		if len(options[l]) > 0 {
			groups = append(groups, countyGroup{Label: byCode[l].Name, Options: options[l]})
		}
	}
	if len(direct) > 0 {
		groups = append(groups, countyGroup{Label: directCitiesLabel, Options: direct})
	}
	return groups
}

// registerView is register.html's data.
type registerView struct {
	pageView
	EnterpriseName, CreditCode, Address formField
	ContactName, ContactMobile          formField
	Username, Password, PasswordConfirm formField
	County                              countySelect
	ErrorSummary                        []errorLink
}

// countySelect is the county select, its options grouped by league.
type countySelect struct {
	formField
	Groups []countyGroup
}

// registerPage shows the registration form; a logged-in visitor goes to the home page.
func (p *Pages) registerPage(c *gin.Context) error {
	if api.ActorFrom(c) != nil {
		return seeOther(c, "/")
	}
	v, err := p.registerForm(c, service.RegisterRequest{}, nil)
	if err != nil {
		return err
	}
	if v.Captcha, err = p.captchaFor(c, domain.ThrottleRegister, "", nil); err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "register", v)
}

// registerSubmit registers through RegisterEnterprise; on success the new account is logged
// in and lands on its application form, otherwise the form comes back with the errors next to
// their fields and everything typed except the passwords.
func (p *Pages) registerSubmit(c *gin.Context) error {
	in := service.RegisterRequest{EnterpriseName: c.PostForm("enterprise_name"), CreditCode: c.PostForm("credit_code"),
		CountyCode: c.PostForm("county_code"), Address: c.PostForm("address"), ContactName: c.PostForm("contact_name"),
		ContactMobile: c.PostForm("contact_mobile"), Username: c.PostForm("username"), Password: c.PostForm("password"),
		PasswordConfirm: c.PostForm("password_confirm"), Guard: captchaGuard(c)}
	_, ent, err := p.api.RegisterAndLogin(c, in)
	if err == nil {
		p.flash(c, flashOK, "注册成功，欢迎使用！已为“"+ent.Name+"”开通企业账户，请填写试点申报表。")
		return seeOther(c, "/application")
	}
	e := service.UserError(err)
	if e == nil {
		return err
	}
	fields := validate.Errors(e.Fields)
	if e.Code == service.ErrCreditCodeRegistered.Code {
		fields = validate.Errors{{Field: "credit_code", Code: e.Code, Message: e.Message}}
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	in.Password, in.PasswordConfirm = "", ""
	v, verr := p.registerForm(c, in, fields)
	if verr != nil {
		return verr
	}
	if v.Captcha, verr = p.captchaFor(c, domain.ThrottleRegister, "", err); verr != nil {
		return verr
	}
	v.Alert = e.Message
	return p.show(c, e.Status, "register", v)
}

// registerForm lays out the form with the values typed and the field errors.
func (p *Pages) registerForm(c *gin.Context, in service.RegisterRequest, errs validate.Errors) (*registerView, error) {
	js, err := p.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return nil, err
	}
	bag := newFieldBag()
	bag.addAll(errs)
	text := func(name, label, kind, value, hint, autocomplete string) formField {
		return formField{Name: name, ID: fieldID(name), Label: label, Kind: kind, Value: value, Required: true, Hint: hint,
			Autocomplete: autocomplete, Errors: bag.take(name)}
	}
	v := &registerView{pageView: pageView{pageData: pageData{Title: "企业注册"}},
		EnterpriseName: text("enterprise_name", "企业名称", "text", in.EnterpriseName, "与营业执照上的名称一致。", "organization"),
		CreditCode: text("credit_code", "统一社会信用代码", "text", in.CreditCode,
			"18 位，见营业执照；字母大小写均可。每家企业只能注册一次。", "off"),
		Address: text("address", "企业地址", "text", in.Address, "营业执照上的住所或主要经营场所。", "street-address"),
		ContactName: text("contact_name", "联系人姓名", "text", in.ContactName,
			"负责试点申报的联系人，也是本账户的显示名称。", "name"),
		ContactMobile: text("contact_mobile", "联系人手机", "tel", in.ContactMobile, "11 位手机号码。", "tel"),
		Username:      text("username", "用户名", "text", in.Username, "3 至 64 个字符，不含空格和斜杠；登录时使用。", "username"),
		Password:      text("password", "密码", "password", "", "至少 10 位。", "new-password"),
		PasswordConfirm: text("password_confirm", "确认密码", "password", "",
			"再输入一次密码。提交有误时为安全起见需重新输入两次密码。", "new-password"),
	}
	v.EnterpriseName.MaxLength = strconv.Itoa(service.MaxEnterpriseName)
	v.Address.MaxLength = strconv.Itoa(service.MaxAddress)
	v.ContactName.MaxLength = strconv.Itoa(service.MaxContactName)
	v.ContactMobile.InputMode = "tel"
	v.Username.MaxLength = "64"
	v.County = countySelect{formField: formField{Name: "county_code", ID: fieldID("county_code"), Label: "所在旗县（市、区）", Kind: "select",
		Required: true, Hint: "企业住所所在的旗县（市、区），申报材料由当地人社局受理。列表中没有时，请联系所在盟市人社局。",
		Value: in.CountyCode, Errors: bag.take("county_code")},
		Groups: registrableGroups(js, strings.TrimSpace(in.CountyCode))}
	known := map[string]bool{captchaFieldID: true}
	for _, f := range []string{"enterprise_name", "credit_code", "county_code", "address", "contact_name", "contact_mobile",
		"username", "password", "password_confirm"} {
		known[fieldID(f)] = true
	}
	v.ErrorSummary = summaryLinks(errs, known)
	return v, nil
}
