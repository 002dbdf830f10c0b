package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
	"skillcert/service"
)

// Enterprise self-registration: the JSON API's rules, the transaction, the session it opens,
// the throttle, and the /register page that drives the same code.

// regionCreditCode builds a valid enterprise credit code registered in 包头市昆都仑区 (150203),
// distinct for each n.
func regionCreditCode(t *testing.T, n int) string {
	t.Helper()
	first := fmt.Sprintf("91150203MA0R%05d", n)
	check, err := validate.CreditCodeCheckChar(first)
	require.NoError(t, err)
	return first + string(check)
}

// goodRegistration is a registration that passes every check.
func goodRegistration(t *testing.T, n int) service.RegisterRequest {
	return service.RegisterRequest{EnterpriseName: fmt.Sprintf("包头示范机械制造有限公司%d", n), CreditCode: regionCreditCode(t, n),
		CountyCode: "150203", Address: "包头市昆都仑区钢铁大街示范路8号", ContactName: "李联系", ContactMobile: "13947100001",
		Username: fmt.Sprintf("btjx%d", n), Password: "register-pw-1", PasswordConfirm: "register-pw-1"}
}

// registered is an answer of POST /api/v1/enterprises/register: the success body or the error.
type registered struct {
	api.RegisterResponse
	Error *service.Error `json:"error"`
}

// register posts a registration as JSON with the client (and its cookies).
func (e *testEnv) register(c *http.Client, body any) (int, registered, string, *http.Response) {
	e.t.Helper()
	b, err := json.Marshal(body)
	require.NoError(e.t, err)
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/enterprises/register", bytes.NewReader(b))
	require.NoError(e.t, err)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out registered
	require.NoError(e.t, json.Unmarshal(raw, &out), string(raw))
	return resp.StatusCode, out, string(raw), resp
}

// fieldErr returns the message of the field's error with the code, or fails.
func fieldErr(t *testing.T, e *service.Error, field, code string) string {
	t.Helper()
	require.NotNil(t, e, "an error answer")
	for _, f := range e.Fields {
		if f.Field == field && f.Code == code {
			return f.Message
		}
	}
	require.Failf(t, "missing field error", "want %s/%s, got %+v", field, code, e.Fields)
	return ""
}

func TestRegisterCreatesEnterpriseAndLogsIn(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		c := e.browser()
		req := goodRegistration(t, 7)
		want := req.CreditCode
		// Typed as people type: lower case with spaces, the mobile with +86 and hyphens.
		req.CreditCode = strings.ToLower(want[:9]) + " " + want[9:]
		req.ContactMobile = "+86 139-4710-0001"

		status, got, raw, resp := e.register(c, req)
		require.Equal(t, http.StatusCreated, status, raw)
		require.Equal(t, models.RoleEnterpriseUser, got.User.Role)
		require.Equal(t, "150203", got.Jurisdiction, "the enterprise's county")
		require.NotEmpty(t, got.CSRFToken)
		require.Equal(t, want, got.Enterprise.CreditCode, "normalised")
		require.Equal(t, "150203", got.Enterprise.JurisdictionCode)
		require.NotContains(t, raw, "register-pw-1")
		var session *http.Cookie
		for _, ck := range resp.Cookies() {
			if ck.Name == api.SessionCookie {
				session = ck
			}
		}
		require.NotNil(t, session, "logged in")
		require.True(t, session.HttpOnly)

		// The rows: the enterprise in its county, its account bound to it.
		ent, err := db.EnterpriseByCreditCode(ctx, want)
		require.NoError(t, err)
		require.Equal(t, got.Enterprise.ID, ent.ID)
		require.Equal(t, req.EnterpriseName, ent.Name)
		require.Equal(t, req.Address, ent.Address)
		require.Equal(t, "150203", ent.JurisdictionCode)
		u, err := db.UserByUsername(ctx, req.Username)
		require.NoError(t, err)
		require.Equal(t, ent.ID, u.Enterprise())
		require.Empty(t, u.Jurisdiction())
		require.Equal(t, models.RoleEnterpriseUser, u.Role)
		require.Equal(t, "李联系", u.DisplayName)
		require.Equal(t, "13947100001", u.Phone)
		require.True(t, u.Active)
		require.True(t, u.CheckPassword("register-pw-1"))
		require.NotNil(t, u.LastLoginAt)

		// The session works: its domain is the new enterprise, the application opens pre-filled.
		_, me := e.get(c, "/api/v1/me")
		var meResp api.MeResponse
		require.NoError(t, json.Unmarshal([]byte(me), &meResp))
		require.Equal(t, u.ID, meResp.User.ID)
		mineResp, mine := e.get(c, "/api/v1/applications/mine")
		require.Equal(t, http.StatusOK, mineResp.StatusCode, mine)
		var av service.ApplicationView
		require.NoError(t, json.Unmarshal([]byte(mine), &av))
		require.Equal(t, ent.ID, av.EnterpriseID)
		require.True(t, av.Editable)
		require.NotNil(t, av.Form)
		require.Equal(t, want, av.Form.Applicant.CreditCode)
		require.Equal(t, req.EnterpriseName, av.Form.Applicant.Name)
		// The registration's contact person is the application's contact, prefilled.
		require.Equal(t, "李联系", av.Form.Contact.Name)
		require.Equal(t, "13947100001", av.Form.Contact.Mobile)
		body := e.pageOK(c, "/application", http.StatusOK)
		require.Contains(t, body, req.EnterpriseName)
		require.Contains(t, e.pageOK(c, "/", http.StatusOK), "李联系（企业用户 · 昆都仑区）")
		// Its domain is its own enterprise: another enterprise's application is out of reach.
		dairy := e.login("dairy")
		_, dairyMine := e.get(dairy, "/api/v1/applications/mine")
		var dairyApp service.ApplicationView
		require.NoError(t, json.Unmarshal([]byte(dairyMine), &dairyApp))
		require.NotEmpty(t, dairyApp.ID)
		foreign, _ := e.get(c, "/api/v1/applications/"+dairyApp.ID)
		require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, foreign.StatusCode)

		// Audited in the transaction: one row by the new account, IDs only.
		rows := e.auditRows("enterprise.register")
		require.Len(t, rows, 1)
		require.Equal(t, models.OutcomeOK, rows[0].Outcome)
		require.Equal(t, "enterprise", rows[0].ObjectType)
		require.Equal(t, ent.ID, rows[0].ObjectID)
		require.Equal(t, u.ID, rows[0].ActorID)
		require.Equal(t, "150203", rows[0].JurisdictionCode)
		for _, secret := range []string{"register-pw-1", "13947100001", "李联系"} {
			e.requireNoSecretInAudit(secret)
		}
		rep, err := db.VerifyAudit(ctx)
		require.NoError(t, err)
		require.True(t, rep.OK, rep.Problem)

		// A logged-in browser cannot register another enterprise over its session.
		other := goodRegistration(t, 8)
		status, got, _, _ = e.register(c, other)
		require.Equal(t, http.StatusConflict, status)
		require.Equal(t, "already_logged_in", got.Error.Code)

		// The same credit code again: 409, pointing to the county bureau, naming no account.
		dup := goodRegistration(t, 9)
		dup.CreditCode = want
		status, got, raw, _ = e.register(e.browser(), dup)
		require.Equal(t, http.StatusConflict, status, raw)
		require.Equal(t, "credit_code_registered", got.Error.Code)
		require.Contains(t, got.Error.Message, "已注册")
		require.Contains(t, got.Error.Message, "旗县（市、区）人力资源和社会保障局")
		require.NotContains(t, raw, req.Username)
		rows = e.auditRows("enterprise.register")
		require.Equal(t, models.OutcomeRejected, rows[len(rows)-1].Outcome)
		require.Equal(t, ent.ID, rows[len(rows)-1].ObjectID, "filed under the existing enterprise")
		_, err = db.UserByUsername(ctx, dup.Username)
		require.ErrorIs(t, err, models.ErrNotFound)
		// A demo enterprise's code is refused the same way.
		dup.CreditCode = "91150105MA0N00001B"
		status, _, _, _ = e.register(e.browser(), dup)
		require.Equal(t, http.StatusConflict, status)

		// The same username with a new credit code: refused, and the enterprise is rolled back.
		// (This is the address's fourth registration within the hour: a CAPTCHA is due.)
		again := goodRegistration(t, 10)
		again.Username = req.Username
		status, got, _, _ = e.register(e.browser(), again)
		require.Equal(t, http.StatusPreconditionRequired, status)
		require.Equal(t, "captcha_required", got.Error.Code)
		again.Guard = e.captcha()
		status, got, raw, _ = e.register(e.browser(), again)
		require.Equal(t, http.StatusUnprocessableEntity, status, raw)
		require.Contains(t, fieldErr(t, got.Error, "username", "taken"), "该用户名已被使用")
		_, err = db.EnterpriseByCreditCode(ctx, again.CreditCode)
		require.ErrorIs(t, err, models.ErrNotFound, "no enterprise without its account")
		// An existing official's username is taken too.
		again.Username = "hohhot"
		again.Guard = e.captcha()
		status, _, _, _ = e.register(e.browser(), again)
		require.Equal(t, http.StatusUnprocessableEntity, status)

		// The account logs in with its password like any other.
		resp, body = e.loginForm(e.browser(), req.Username, "register-pw-1")
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	})
}

func registrationForm(r service.RegisterRequest) url.Values {
	return url.Values{"enterprise_name": {r.EnterpriseName}, "credit_code": {r.CreditCode}, "county_code": {r.CountyCode},
		"address": {r.Address}, "contact_name": {r.ContactName}, "contact_mobile": {r.ContactMobile}, "username": {r.Username},
		"password": {r.Password}, "password_confirm": {r.PasswordConfirm}}
}

func TestRegisterPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	anon := e.browser()

	// Linked from the login page and the public navigation.
	require.Contains(t, e.pageOK(anon, "/login", http.StatusOK), `<a href="/register">企业注册</a>`)
	require.Contains(t, e.pageOK(anon, "/directory", http.StatusOK), `<li><a href="/register">企业注册</a></li>`)

	body := e.pageOK(anon, "/register", http.StatusOK)
	require.Contains(t, body, `<a href="/register" aria-current="page">企业注册</a>`)
	for _, f := range []string{"enterprise_name", "credit_code", "county_code", "address", "contact_name", "contact_mobile",
		"username", "password", "password_confirm"} {
		require.Contains(t, body, `<label for="f-`+f+`"`, "labelled field %s", f)
		require.Contains(t, body, `id="f-`+f+`" name="`+f+`"`, f)
	}
	// Counties grouped by league; leagues and the region are not choices; the county-level
	// cities that report to the region directly are.
	require.Contains(t, body, `<optgroup label="呼和浩特市"><option value="150102">新城区</option>`)
	require.Contains(t, body, `<optgroup label="包头市">`)
	require.Contains(t, body, `<optgroup label="自治区直接联系的县级市"><option value="150781">满洲里市</option><option value="152501">二连浩特市</option></optgroup>`)
	require.Less(t, strings.Index(body, `label="呼和浩特市"`), strings.Index(body, `label="包头市"`), "leagues in order")
	require.NotContains(t, body, `<option value="150100"`)
	require.NotContains(t, body, `<option value="150000"`)
	// Every league has its counties (the reference tree), 乌海市 and 阿拉善盟 included.
	require.Contains(t, body, `<optgroup label="乌海市"><option value="150302">海勃湾区</option><option value="150303">海南区</option><option value="150304">乌达区</option></optgroup>`)
	require.Contains(t, body, `<optgroup label="阿拉善盟"><option value="152921">阿拉善左旗</option>`)
	require.Contains(t, body, `autocomplete="new-password"`)
	require.Contains(t, body, `type="tel" id="f-contact_mobile"`)
	csrf := csrfOf(t, body)

	// Errors next to their fields and in a linked summary; typed values kept, passwords never.
	bad := goodRegistration(t, 3)
	bad.CreditCode = bad.CreditCode[:17] + map[bool]string{true: "1", false: "0"}[bad.CreditCode[17] == '0']
	bad.CountyCode = "150105"
	bad.Password, bad.PasswordConfirm = "first-secret-1", "second-secret-2"
	form := registrationForm(bad)
	form.Set("csrf_token", csrf)
	resp, body := e.postForm(anon, "/register", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `<p class="error" role="alert" id="page-alert">提交的内容有误，请按提示修改。</p>`)
	require.Contains(t, body, `id="error-summary"`)
	require.Contains(t, body, `<a href="#f-credit_code">统一社会信用代码未通过校验`)
	require.Contains(t, body, `<a href="#f-password_confirm">两次输入的密码不一致。</a>`)
	require.Regexp(t, `<div class="field-error" id="f-credit_code-err"><p>统一社会信用代码未通过校验[^<]*</p></div>`, body)
	require.Contains(t, body, `<div class="field-error" id="f-password_confirm-err"><p>两次输入的密码不一致。</p></div>`)
	require.Regexp(t, `aria-describedby="f-credit_code-hint f-credit_code-err"`, body)
	require.Contains(t, body, `aria-invalid="true"`)
	for _, kept := range []string{bad.EnterpriseName, bad.CreditCode, bad.Address, bad.ContactName, bad.ContactMobile, bad.Username} {
		require.Contains(t, body, `value="`+kept+`"`, "kept %s", kept)
	}
	require.Contains(t, body, `<option value="150105" selected>赛罕区</option>`)
	require.NotContains(t, body, "first-secret-1", "passwords are not sent back")
	require.NotContains(t, body, "second-secret-2")
	require.Zero(t, e.userCount(bad.Username))

	// A registered credit code: the 409's message next to the credit code field.
	dup := goodRegistration(t, 4)
	dup.CreditCode = "91150105MA0N00001B"
	form = registrationForm(dup)
	form.Set("csrf_token", csrf)
	resp, body = e.postForm(anon, "/register", form)
	require.Equal(t, http.StatusConflict, resp.StatusCode)
	require.Regexp(t, `<div class="field-error" id="f-credit_code-err"><p>该统一社会信用代码已注册过企业账户[^<]*</p></div>`, body)
	require.Contains(t, body, `<a href="#f-credit_code">该统一社会信用代码已注册过企业账户`)
	require.NotContains(t, body, ">dairy<")

	// A form without the page's token is refused.
	resp, body = e.postForm(e.browser(), "/register", registrationForm(goodRegistration(t, 5)))
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "表单已过期")

	// Success: logged in, on the application form, welcomed.
	good := goodRegistration(t, 6)
	good.CountyCode = "150781" // 满洲里, a county-level city reporting to the region directly
	form = registrationForm(good)
	form.Set("csrf_token", csrf)
	resp, _ = e.postForm(anon, "/register", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/application", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "注册成功，欢迎使用")
	body = e.pageOK(anon, "/application", http.StatusOK)
	require.Contains(t, body, `<p class="flash" role="status">注册成功，欢迎使用！已为“`+good.EnterpriseName+`”开通企业账户，请填写试点申报表。</p>`)
	require.Contains(t, body, good.EnterpriseName)
	require.Contains(t, body, `href="/status"`, "the enterprise navigation")
	ent, err := e.db.EnterpriseByCreditCode(context.Background(), good.CreditCode)
	require.NoError(t, err)
	require.Equal(t, "150781", ent.JurisdictionCode)

	// Logged in, the page is not offered.
	resp, _ = e.get(anon, "/register")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/", resp.Header.Get("Location"))
}

// userCount counts the accounts with a username (0 or 1).
func (e *testEnv) userCount(username string) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.User{}).Where("username = ?", username).Count(&n).Error)
	return n
}
