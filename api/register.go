package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
)

// Enterprise self-registration: POST /api/v1/enterprises/register (JSON) and the /register
// page. Both go through registerEnterprise, so every rule below exists once.

// registerRequest is the body of POST /api/v1/enterprises/register.
type registerRequest struct {
	EnterpriseName  string `json:"enterprise_name"`
	CreditCode      string `json:"credit_code"`
	CountyCode      string `json:"county_code"`
	Address         string `json:"address"`
	ContactName     string `json:"contact_name"`
	ContactMobile   string `json:"contact_mobile"`
	Username        string `json:"username"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

// registerResponse is the answer to a registration: the new session's caller (as GET /me
// gives it, with the CSRF token) and the enterprise.
type registerResponse struct {
	meResponse
	Enterprise models.Enterprise `json:"enterprise"`
}

// registerThrottleKey is the pseudo-username under which registration attempts are counted
// in the login throttle's ledger. No account can be called this (usernames contain no
// slash), so registrations never lock a real username; they share the per-address budget
// (Config.LoginMaxFailuresPerAddr within LoginWindow) with failed logins.
const registerThrottleKey = "/register"

// enterpriseCreditPrefixes are the registering-authority and entity-type characters (the
// first two of a unified social credit code) of the entities that may register: 9 市场监管
// + 1 企业. Individual businesses (92) and farmers' cooperatives (93) are not enterprises, and
// the pilot is for enterprises (domain.md §1, condition 1). Kept as data so that the region
// can widen it without touching the checks.
var enterpriseCreditPrefixes = map[string]bool{"91": true}

// regionDivisionPrefix starts the registration-authority division code (positions 3–8) of
// every unified social credit code issued in Inner Mongolia (GB/T 2260 province 15).
const regionDivisionPrefix = "15"

// Field limits follow the columns of enterprises and users.
const (
	maxEnterpriseName = 128
	maxAddress        = 256
	maxContactName    = 64
	// maxPasswordBytes is bcrypt's limit: longer passwords cannot be hashed.
	maxPasswordBytes = 72
)

var (
	// errCreditCodeRegistered refuses a second registration of a credit code without saying
	// who holds the existing account.
	errCreditCodeRegistered = newError(http.StatusConflict, "credit_code_registered",
		"该统一社会信用代码已注册过企业账户，不能重复注册。如需找回账户或增加用户，请联系企业所在地旗县（市、区）人力资源和社会保障局。")
	// errAlreadyLoggedIn refuses a registration from a logged-in browser, whose session the
	// new one would silently replace.
	errAlreadyLoggedIn = newError(http.StatusConflict, "already_logged_in", "您已登录。如需为另一家企业注册，请先退出登录。")
)

// apiRegister registers an enterprise with its first account and logs that account in. Like
// the JSON login it accepts only JSON bodies, which a cross-site form cannot send.
func (s *Server) apiRegister(c *gin.Context) error {
	if !strings.HasPrefix(c.ContentType(), "application/json") {
		return newError(http.StatusUnsupportedMediaType, "json_required", "请以 JSON 格式提交。")
	}
	var req registerRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	a, ent, err := s.registerEnterprise(c, req)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, registerResponse{meResponse: s.me(c, a), Enterprise: ent})
	return nil
}

// registerEnterprise validates a registration, creates the enterprise and its enterprise user
// in one transaction (with the audit row), and opens a session for the new account. Every
// attempt from an address counts against that address's throttle, successful ones too: bulk
// registration is what the throttle is for.
func (s *Server) registerEnterprise(c *gin.Context, req registerRequest) (*Actor, models.Enterprise, error) {
	ctx := c.Request.Context()
	now := s.now().UTC()
	addr := c.ClientIP()
	if actorFrom(c) != nil {
		return nil, models.Enterprise{}, errAlreadyLoggedIn
	}
	if err := s.registrationThrottle(ctx, addr, now); err != nil {
		return nil, models.Enterprise{}, err
	}
	in, county, errs, err := s.checkRegistration(ctx, req)
	if err != nil {
		return nil, models.Enterprise{}, err
	}
	if len(errs) > 0 {
		s.countRegistration(ctx, addr, now)
		_ = s.audit(ctx, nil, models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "invalid: " + errorFields(errs), JurisdictionCode: county.Code})
		return nil, models.Enterprise{}, invalid(errs)
	}

	u := models.User{ID: models.NewID(), Username: in.Username, DisplayName: in.ContactName, Phone: in.ContactMobile, Active: true}
	if err := u.SetPassword(in.Password); err != nil {
		return nil, models.Enterprise{}, err
	}
	ent := models.Enterprise{ID: models.NewID(), Name: in.EnterpriseName, CreditCode: in.CreditCode,
		JurisdictionCode: county.Code, Address: in.Address}
	// The registration's audit row is written in the same transaction, by the new account;
	// it names the enterprise and the account by ID only (no contact details, no password).
	audit := models.AuditEntry{ActorID: u.ID, ActorName: u.Username, Role: models.RoleEnterpriseUser, JurisdictionCode: county.Code,
		Action: "enterprise.register", AfterState: "jurisdiction=" + county.Code + " user=" + u.ID, Outcome: models.OutcomeOK,
		RequestID: requestIDFrom(ctx)}
	err = s.db.RegisterEnterprise(ctx, &ent, &u, &audit)
	s.countRegistration(ctx, addr, now)
	switch {
	case errors.Is(err, models.ErrCreditCodeTaken):
		// Filed under the existing enterprise, so that its bureau sees the attempt.
		row := models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "credit code already registered", JurisdictionCode: county.Code}
		if old, err := s.db.EnterpriseByCreditCode(ctx, in.CreditCode); err == nil {
			row.ObjectID, row.JurisdictionCode = old.ID, old.JurisdictionCode
		}
		_ = s.audit(ctx, nil, row)
		return nil, models.Enterprise{}, errCreditCodeRegistered
	case errors.Is(err, models.ErrUsernameTaken):
		_ = s.audit(ctx, nil, models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "username taken", JurisdictionCode: county.Code})
		return nil, models.Enterprise{}, invalid(validate.Errors{{Field: "username", Code: "taken", Message: "该用户名已被使用，请换一个。"}})
	case err != nil:
		return nil, models.Enterprise{}, err
	}
	a, err := s.openSession(c, u, now, "registration")
	if err != nil {
		return nil, models.Enterprise{}, err
	}
	return a, ent, nil
}

// registrationThrottle refuses a registration when the address has used up its budget of
// attempts (shared with failed logins) within the window; the refusal is audited.
func (s *Server) registrationThrottle(ctx context.Context, addr string, now time.Time) error {
	_, byAddr, _, err := s.db.LoginFailures(ctx, registerThrottleKey, addr, now.Add(-s.cfg.LoginWindow))
	if err != nil {
		return err
	}
	if byAddr < int64(s.cfg.LoginMaxFailuresPerAddr) {
		return nil
	}
	_ = s.audit(ctx, nil, models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeDenied, Reason: "throttled"})
	wait := s.cfg.LoginWindow
	return &Error{Status: http.StatusTooManyRequests, Code: "throttled", RetryAfter: int(wait.Seconds()) + 1,
		Message: "注册尝试次数过多，请 " + strconv.Itoa(int(wait.Minutes())+1) + " 分钟后再试。"}
}

// countRegistration records an attempt in the throttle's ledger.
func (s *Server) countRegistration(ctx context.Context, addr string, now time.Time) {
	if err := s.db.RecordLoginFailure(ctx, registerThrottleKey, addr, now); err != nil {
		s.log.WarnContext(ctx, "record registration attempt", "err", err)
	}
}

// errorFields lists the faulty fields of a refusal for the audit log (names, never values).
func errorFields(errs validate.Errors) string {
	seen := map[string]bool{}
	var out []string
	for _, e := range errs {
		if !seen[e.Field] {
			seen[e.Field] = true
			out = append(out, e.Field)
		}
	}
	return strings.Join(out, ",")
}

// checkRegistration normalises a registration and checks every field, returning the
// normalised request, the county (when valid) and the field errors. err is a database failure.
func (s *Server) checkRegistration(ctx context.Context, req registerRequest) (registerRequest, models.Jurisdiction, validate.Errors, error) {
	var errs validate.Errors
	in := req
	in.EnterpriseName = strings.TrimSpace(req.EnterpriseName)
	in.CreditCode = validate.NormalizeCreditCode(req.CreditCode)
	in.CountyCode = strings.TrimSpace(req.CountyCode)
	in.Address = strings.TrimSpace(req.Address)
	in.ContactName = strings.TrimSpace(req.ContactName)
	in.ContactMobile = validate.NormalizeMobile(req.ContactMobile)
	in.Username = strings.TrimSpace(req.Username)

	requiredText(&errs, "enterprise_name", in.EnterpriseName, "企业名称", maxEnterpriseName)
	if err := checkRegionCreditCode(in.CreditCode); err != nil {
		errs.AddError("credit_code", err)
	}
	js, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return in, models.Jurisdiction{}, nil, err
	}
	county, ok := registrableCounty(js, in.CountyCode, &errs)
	requiredText(&errs, "address", in.Address, "企业地址", maxAddress)
	requiredText(&errs, "contact_name", in.ContactName, "联系人姓名", maxContactName)
	if err := validate.CheckMobile(in.ContactMobile); err != nil {
		errs.AddError("contact_mobile", err)
	}
	checkUsername(&errs, "username", in.Username)
	checkPassword(&errs, "password", in.Password)
	if len(in.Password) > maxPasswordBytes {
		errs.Add("password", "password_too_long", "密码不超过 72 个字节（约 24 个汉字）。")
	}
	switch {
	case in.PasswordConfirm == "":
		errs.Add("password_confirm", "required", "请再次输入密码。")
	case in.PasswordConfirm != in.Password:
		errs.Add("password_confirm", "password_mismatch", "两次输入的密码不一致。")
	}
	if !ok {
		county = models.Jurisdiction{}
	}
	return in, county, errs, nil
}

// requiredText checks a required free-text field and its length in characters.
func requiredText(errs *validate.Errors, field, value, label string, max int) {
	switch {
	case value == "":
		errs.Add(field, "required", "请填写"+label+"。")
	case utf8.RuneCountInString(value) > max:
		errs.Add(field, "too_long", fmt.Sprintf("%s不超过 %d 个字符。", label, max))
	}
}

// checkUsername applies the username rule of account creation to a username typed for field.
func checkUsername(errs *validate.Errors, field, name string) {
	if n := len(name); n < 3 || n > 64 || strings.ContainsAny(name, " \t/\\") {
		errs.Add(field, "invalid_username", "用户名应为 3 至 64 个字符，且不含空格和斜杠。")
	}
}

// checkRegionCreditCode checks a normalised unified social credit code (format and check
// character, validate.CheckCreditCode) and that it is an enterprise's code issued in the
// region: positions 1–2 name the registering authority and entity type, positions 3–8 the
// registering authority's division code (domain.md §5), which must lie in Inner Mongolia.
//
// The division part is not matched against the county chosen: a code never changes when an
// enterprise moves, so an enterprise registered in 包头 and now based in 呼和浩特 keeps a
// 1502… code. The county decides which bureau handles the application.
func checkRegionCreditCode(code string) error {
	if err := validate.CheckCreditCode(code); err != nil {
		return err
	}
	if p := code[:2]; !enterpriseCreditPrefixes[p] {
		return &validate.Fault{Code: "credit_code_not_enterprise", Message: fmt.Sprintf(
			"统一社会信用代码前两位为“%s”，不是企业的代码（企业为“91”）。本系统受理企业注册，请核对后重新填写。", p)}
	}
	div := code[2:8]
	digits := true
	for i := 0; i < len(div); i++ {
		digits = digits && div[i] >= '0' && div[i] <= '9'
	}
	if !digits || !strings.HasPrefix(div, regionDivisionPrefix) {
		return &validate.Fault{Code: "credit_code_region", Message: fmt.Sprintf(
			"统一社会信用代码第3至8位“%s”是登记机关的行政区划代码，内蒙古自治区登记的企业应以“15”开头。本系统只受理在自治区内登记的企业，请核对后重新填写。", div)}
	}
	return nil
}

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
		if !isRegistrable(byCode, j) {
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

// isRegistrable tells whether an enterprise may be registered in j: a county whose parent is
// a league/city of the region, or a county-level city reporting to the region directly.
func isRegistrable(byCode map[string]models.Jurisdiction, j models.Jurisdiction) bool {
	switch j.Level {
	case models.LevelCounty:
		p, ok := byCode[j.Parent()]
		return ok && p.Level == models.LevelLeague && p.Parent() == models.RegionCode
	case models.LevelLeague:
		return j.ReportsDirectly && j.Parent() == models.RegionCode
	}
	return false
}

// registrableCounty checks the county code of a registration, adding its field error.
func registrableCounty(js []models.Jurisdiction, code string, errs *validate.Errors) (models.Jurisdiction, bool) {
	if code == "" {
		errs.Add("county_code", "required", "请选择企业所在的旗县（市、区）。")
		return models.Jurisdiction{}, false
	}
	byCode := map[string]models.Jurisdiction{}
	for _, j := range js {
		byCode[j.Code] = j
	}
	j, ok := byCode[code]
	switch {
	case !ok:
		errs.Add("county_code", "unknown_jurisdiction", "所选旗县（市、区）不存在，请从列表中选择。")
		return j, false
	case !isRegistrable(byCode, j):
		errs.Add("county_code", "not_county", "“"+j.Name+"”不是旗县（市、区），请选择企业所在的旗县（市、区）。")
		return j, false
	}
	return j, true
}

// ---------------------------------------------------------------------------------------------
// The /register page.

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
func (p *webPages) registerPage(c *gin.Context) error {
	if actorFrom(c) != nil {
		return seeOther(c, "/")
	}
	v, err := p.registerForm(c, registerRequest{}, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "register", v)
}

// registerSubmit registers through registerEnterprise; on success the new account is logged
// in and lands on its application form, otherwise the form comes back with the errors next to
// their fields and everything typed except the passwords.
func (p *webPages) registerSubmit(c *gin.Context) error {
	in := registerRequest{EnterpriseName: c.PostForm("enterprise_name"), CreditCode: c.PostForm("credit_code"),
		CountyCode: c.PostForm("county_code"), Address: c.PostForm("address"), ContactName: c.PostForm("contact_name"),
		ContactMobile: c.PostForm("contact_mobile"), Username: c.PostForm("username"), Password: c.PostForm("password"),
		PasswordConfirm: c.PostForm("password_confirm")}
	_, ent, err := p.registerEnterprise(c, in)
	if err == nil {
		p.flash(c, flashOK, "注册成功，欢迎使用！已为“"+ent.Name+"”开通企业账户，请填写试点申报表。")
		return seeOther(c, "/application")
	}
	e := userError(err)
	if e == nil {
		return err
	}
	fields := validate.Errors(e.Fields)
	if e.Code == errCreditCodeRegistered.Code {
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
	v.Alert = e.Message
	return p.show(c, e.Status, "register", v)
}

// registerForm lays out the form with the values typed and the field errors.
func (p *webPages) registerForm(c *gin.Context, in registerRequest, errs validate.Errors) (*registerView, error) {
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
	v.EnterpriseName.MaxLength = strconv.Itoa(maxEnterpriseName)
	v.Address.MaxLength = strconv.Itoa(maxAddress)
	v.ContactName.MaxLength = strconv.Itoa(maxContactName)
	v.ContactMobile.InputMode = "tel"
	v.Username.MaxLength = "64"
	v.County = countySelect{formField: formField{Name: "county_code", ID: fieldID("county_code"), Label: "所在旗县（市、区）", Kind: "select",
		Required: true, Hint: "企业住所所在的旗县（市、区），申报材料由当地人社局受理。列表中没有时，请联系所在盟市人社局。",
		Value: in.CountyCode, Errors: bag.take("county_code")},
		Groups: registrableGroups(js, strings.TrimSpace(in.CountyCode))}
	known := map[string]bool{}
	for _, f := range []string{"enterprise_name", "credit_code", "county_code", "address", "contact_name", "contact_mobile",
		"username", "password", "password_confirm"} {
		known[fieldID(f)] = true
	}
	v.ErrorSummary = summaryLinks(errs, known)
	return v, nil
}
