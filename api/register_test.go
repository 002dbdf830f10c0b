package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

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
	RegisterResponse
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

func (e *testEnv) enterpriseCount() int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.Enterprise{}).Count(&n).Error)
	return n
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

func TestRegisterAPIRefusesBadInputPerField(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	before := e.enterpriseCount()
	good := goodRegistration(t, 1)
	badCheck := good.CreditCode[:17] + map[bool]string{true: "1", false: "0"}[good.CreditCode[17] == '0']
	individual := func() string { // a valid code of an individual business (92…)
		c, _ := validate.CreditCodeCheckChar("92150203MA0R00001")
		return "92150203MA0R00001" + string(c)
	}()

	for _, tc := range []struct {
		name         string
		edit         func(*service.RegisterRequest)
		field, code  string
		wantInMessge string
	}{
		{"check character", func(r *service.RegisterRequest) { r.CreditCode = badCheck }, "credit_code", "credit_code_check", "统一社会信用代码未通过校验"},
		{"length", func(r *service.RegisterRequest) { r.CreditCode = "91150203MA0R" }, "credit_code", "credit_code_length", "应为18位"},
		{"outside the region", func(r *service.RegisterRequest) { r.CreditCode = "91440101MA5CJQ4N59" }, "credit_code", "credit_code_region", "应以“15”开头"},
		{"not an enterprise", func(r *service.RegisterRequest) { r.CreditCode = individual }, "credit_code", "credit_code_not_enterprise", "不是企业的代码"},
		{"unknown county", func(r *service.RegisterRequest) { r.CountyCode = "150199" }, "county_code", "unknown_jurisdiction", "所选旗县（市、区）不存在"},
		{"a league is not a county", func(r *service.RegisterRequest) { r.CountyCode = "150100" }, "county_code", "not_county", "“呼和浩特市”不是旗县（市、区）"},
		{"the region is not a county", func(r *service.RegisterRequest) { r.CountyCode = "150000" }, "county_code", "not_county", "不是旗县（市、区）"},
		{"no county", func(r *service.RegisterRequest) { r.CountyCode = "" }, "county_code", "required", "请选择企业所在的旗县（市、区）"},
		{"password mismatch", func(r *service.RegisterRequest) { r.PasswordConfirm = "register-pw-2" }, "password_confirm", "password_mismatch", "两次输入的密码不一致"},
		{"short password", func(r *service.RegisterRequest) { r.Password, r.PasswordConfirm = "short", "short" }, "password", "weak_password", "密码强度不足"},
		{"mobile", func(r *service.RegisterRequest) { r.ContactMobile = "0471-6606214" }, "contact_mobile", "mobile_format", "手机号码"},
		{"username", func(r *service.RegisterRequest) { r.Username = "bt/jx" }, "username", "invalid_username", "用户名应为 3 至 64 个字符"},
		{"name", func(r *service.RegisterRequest) { r.EnterpriseName = "  " }, "enterprise_name", "required", "请填写企业名称"},
		{"address too long", func(r *service.RegisterRequest) { r.Address = strings.Repeat("路", 257) }, "address", "too_long", "企业地址不超过 256 个字符"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := good
			tc.edit(&req)
			status, got, raw, _ := e.register(e.browser(), req)
			require.Equal(t, http.StatusUnprocessableEntity, status, raw)
			require.Equal(t, "invalid", got.Error.Code)
			require.Contains(t, fieldErr(t, got.Error, tc.field, tc.code), tc.wantInMessge)
			require.Len(t, got.Error.Fields, 1, "only the broken field is reported: %+v", got.Error.Fields)
		})
	}
	require.Equal(t, before, e.enterpriseCount(), "nothing was created")
	require.Equal(t, int64(14), e.auditCount("enterprise.register", models.OutcomeRejected), "every refusal is audited")
	e.requireNoSecretInAudit("register-pw-1")
	e.requireNoSecretInAudit("13947100001")

	// Every field at once: one error each, in the API's structured format.
	status, got, _, _ := e.register(e.browser(), service.RegisterRequest{})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	var fields []string
	for _, f := range got.Error.Fields {
		fields = append(fields, f.Field)
	}
	require.Equal(t, []string{"enterprise_name", "credit_code", "county_code", "address", "contact_name", "contact_mobile",
		"username", "password", "password_confirm"}, fields)

	// Only JSON is accepted (a cross-site form cannot send it), and it must parse.
	resp, err := http.PostForm(e.srv.URL+"/api/v1/enterprises/register", url.Values{"enterprise_name": {"x"}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	resp, err = http.Post(e.srv.URL+"/api/v1/enterprises/register", "application/json", strings.NewReader("{"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
}
