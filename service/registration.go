package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// RegisterRequest is the body of POST /api/v1/enterprises/register.
type RegisterRequest struct {
	EnterpriseName  string `json:"enterprise_name"`
	CreditCode      string `json:"credit_code"`
	CountyCode      string `json:"county_code"`
	Address         string `json:"address"`
	ContactName     string `json:"contact_name"`
	ContactMobile   string `json:"contact_mobile"`
	Username        string `json:"username"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
	// Guard carries captcha_id and captcha_answer once the address's registrations call for a
	// CAPTCHA; the caller sets the address.
	Guard
}

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
	MaxEnterpriseName = 128
	MaxAddress        = 256
	MaxContactName    = 64
)

var (
	// ErrCreditCodeRegistered refuses a second registration of a credit code without saying
	// who holds the existing account.
	ErrCreditCodeRegistered = NewError(http.StatusConflict, "credit_code_registered",
		"该统一社会信用代码已注册过企业账户，不能重复注册。如需找回账户或增加用户，请联系企业所在地旗县（市、区）人力资源和社会保障局。")
	// ErrAlreadyLoggedIn refuses a registration from a logged-in browser, whose session the
	// new one would silently replace.
	ErrAlreadyLoggedIn = NewError(http.StatusConflict, "already_logged_in", "您已登录。如需为另一家企业注册，请先退出登录。")
)

// RegisterEnterprise validates a registration from addr, and creates the enterprise and its
// enterprise user in one transaction (with the audit row). Every attempt from an address
// counts against the address's registration budget (domain.ThrottleRegister; its own, so that
// registrations never slow down logins), successful ones too: bulk registration is what the
// budget is for. Once a few attempts have come from the address a CAPTCHA is due, checked
// after the fields (so that a form with errors keeps its CAPTCHA to answer); after more, each
// attempt waits longer.
func (s *Service) RegisterEnterprise(ctx context.Context, addr string, now time.Time, req RegisterRequest) (models.User, models.Enterprise, error) {
	g := req.Guard
	g.Addr = addr
	refused := models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise"}
	verdict, err := s.admit(ctx, domain.ThrottleRegister, g, "", "注册尝试次数过多", refused)
	if err != nil {
		return models.User{}, models.Enterprise{}, err
	}
	in, county, errs, err := s.checkRegistration(ctx, req)
	if err != nil {
		return models.User{}, models.Enterprise{}, err
	}
	if len(errs) > 0 {
		s.count(ctx, domain.ThrottleRegister, addr, "")
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "invalid: " + errorFields(errs), JurisdictionCode: county.Code})
		return models.User{}, models.Enterprise{}, Invalid(errs)
	}
	if err := s.solve(ctx, verdict, g, refused); err != nil {
		return models.User{}, models.Enterprise{}, err
	}

	u := models.User{ID: models.NewID(), Username: in.Username, DisplayName: in.ContactName, Phone: in.ContactMobile, Active: true}
	if err := u.SetPassword(in.Password); err != nil {
		return models.User{}, models.Enterprise{}, err
	}
	ent := models.Enterprise{ID: models.NewID(), Name: in.EnterpriseName, CreditCode: in.CreditCode,
		JurisdictionCode: county.Code, Address: in.Address}
	// The registration's audit row is written in the same transaction, by the new account;
	// it names the enterprise and the account by ID only (no contact details, no password).
	audit := models.AuditEntry{ActorID: u.ID, ActorName: u.Username, Role: models.RoleEnterpriseUser, JurisdictionCode: county.Code,
		Action: "enterprise.register", AfterState: "jurisdiction=" + county.Code + " user=" + u.ID, Outcome: models.OutcomeOK,
		RequestID: RequestIDFrom(ctx)}
	err = s.db.RegisterEnterprise(ctx, &ent, &u, &audit)
	s.count(ctx, domain.ThrottleRegister, addr, "")
	switch {
	case errors.Is(err, models.ErrCreditCodeTaken):
		// Filed under the existing enterprise, so that its bureau sees the attempt.
		row := models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "credit code already registered", JurisdictionCode: county.Code}
		if old, err := s.db.EnterpriseByCreditCode(ctx, in.CreditCode); err == nil {
			row.ObjectID, row.JurisdictionCode = old.ID, old.JurisdictionCode
		}
		_ = s.Audit(ctx, nil, row)
		return models.User{}, models.Enterprise{}, ErrCreditCodeRegistered
	case errors.Is(err, models.ErrUsernameTaken):
		_ = s.Audit(ctx, nil, models.AuditEntry{Action: "enterprise.register", ObjectType: "enterprise", Outcome: models.OutcomeRejected,
			Reason: "username taken", JurisdictionCode: county.Code})
		return models.User{}, models.Enterprise{}, Invalid(validate.Errors{{Field: "username", Code: "taken", Message: "该用户名已被使用，请换一个。"}})
	case err != nil:
		return models.User{}, models.Enterprise{}, err
	}
	return u, ent, nil
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
func (s *Service) checkRegistration(ctx context.Context, req RegisterRequest) (RegisterRequest, models.Jurisdiction, validate.Errors, error) {
	var errs validate.Errors
	in := req
	in.EnterpriseName = strings.TrimSpace(req.EnterpriseName)
	in.CreditCode = validate.NormalizeCreditCode(req.CreditCode)
	in.CountyCode = strings.TrimSpace(req.CountyCode)
	in.Address = strings.TrimSpace(req.Address)
	in.ContactName = strings.TrimSpace(req.ContactName)
	in.ContactMobile = validate.NormalizeMobile(req.ContactMobile)
	in.Username = strings.TrimSpace(req.Username)

	requiredText(&errs, "enterprise_name", in.EnterpriseName, "企业名称", MaxEnterpriseName)
	if err := checkRegionCreditCode(in.CreditCode); err != nil {
		errs.AddError("credit_code", err)
	}
	js, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return in, models.Jurisdiction{}, nil, err
	}
	county, ok := registrableCounty(js, in.CountyCode, &errs)
	requiredText(&errs, "address", in.Address, "企业地址", MaxAddress)
	requiredText(&errs, "contact_name", in.ContactName, "联系人姓名", MaxContactName)
	if err := validate.CheckMobile(in.ContactMobile); err != nil {
		errs.AddError("contact_mobile", err)
	}
	checkUsername(&errs, "username", in.Username)
	checkPassword(&errs, "password", in.Username, in.Password)
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

// IsRegistrable tells whether an enterprise may be registered in j: a county whose parent is
// a league/city of the region, or a county-level city reporting to the region directly.
func IsRegistrable(byCode map[string]models.Jurisdiction, j models.Jurisdiction) bool {
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
	case !IsRegistrable(byCode, j):
		errs.Add("county_code", "not_county", "“"+j.Name+"”不是旗县（市、区），请选择企业所在的旗县（市、区）。")
		return j, false
	}
	return j, true
}
