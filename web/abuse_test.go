package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// Abuse resistance of the public forms: CAPTCHAs and growing waits instead of locks, budgets
// per purpose, complaints only about published pilot enterprises (domain/throttle.go,
// service/throttle.go).

// captcha fetches a CAPTCHA from the API; the test servers answer every one webtest.CaptchaAnswer.
func (e *testEnv) captcha() service.Guard {
	e.t.Helper()
	resp, body := e.get(e.browser(), "/api/v1/captcha")
	require.Equal(e.t, http.StatusOK, resp.StatusCode, body)
	var ch service.CaptchaChallenge
	require.NoError(e.t, json.Unmarshal([]byte(body), &ch))
	require.NotEmpty(e.t, ch.ID)
	require.True(e.t, strings.HasPrefix(ch.Image, "data:image/png;base64,"), ch.Image[:min(len(ch.Image), 40)])
	require.Equal(e.t, "请输入图中字符", ch.Prompt)
	return service.Guard{CaptchaID: ch.ID, CaptchaAnswer: webtest.CaptchaAnswer}
}

// captchaForm is a CAPTCHA from the API, answered, as a form's fields.
func (e *testEnv) captchaForm() url.Values {
	g := e.captcha()
	return url.Values{"captcha_id": {g.CaptchaID}, "captcha_answer": {g.CaptchaAnswer}}
}

var captchaIDRe = regexp.MustCompile(`name="captcha_id" value="([^"]+)"`)

// pageCaptcha is the CAPTCHA a page's form shows, answered; it fails when there is none.
func pageCaptcha(t *testing.T, body string) url.Values {
	t.Helper()
	m := captchaIDRe.FindStringSubmatch(body)
	require.NotNil(t, m, "the form shows a CAPTCHA")
	require.Contains(t, body, `<img class="captcha-img" src="data:image/png;base64,`)
	require.Contains(t, body, "请输入图中字符")
	return url.Values{"captcha_id": {m[1]}, "captcha_answer": {webtest.CaptchaAnswer}}
}

// loginWith submits the login form with extra fields (a CAPTCHA).
func (e *testEnv) loginWith(c *http.Client, user, pass string, extra url.Values) (*http.Response, string) {
	e.t.Helper()
	_, page := e.get(c, "/login")
	form := url.Values{"csrf_token": {csrfOf(e.t, page)}, "username": {user}, "password": {pass}, "next": {"/"}}
	for k, v := range extra {
		form[k] = v
	}
	return e.postForm(c, "/login", form)
}

// TestLoginFailuresNeverLockTheOwnerOut: the old login throttle locked an account for 15
// minutes after five wrong passwords, whoever typed them. Now a CAPTCHA is due after three, and
// further failures only make each attempt wait, at most a minute: the owner, with the CAPTCHA
// solved, gets in however many guesses an attacker made.
func TestLoginFailuresNeverLockTheOwnerOut(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.browser()
	for i := 0; i < 3; i++ {
		resp, body := e.loginForm(c, "region", "wrong")
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, body)
	}
	// The fourth attempt needs a CAPTCHA, even with the right password; the form shows one and
	// keeps the username.
	resp, body := e.loginForm(c, "region", testPassword)
	require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode)
	require.Contains(t, body, "请输入图中字符")
	require.Contains(t, body, `value="region"`)
	solved := pageCaptcha(t, body)
	// A wrong answer is refused, and the CAPTCHA is used up.
	resp, body = e.loginWith(c, "region", testPassword, url.Values{"captcha_id": solved["captcha_id"], "captcha_answer": {"00000"}})
	require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode)
	require.Contains(t, body, "验证码错误或已失效")
	resp, _ = e.loginWith(c, "region", testPassword, solved)
	require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode, "single use")
	// Another account from elsewhere is not affected.
	e.now = e.now.Add(time.Second)
	resp, _ = e.loginForm(e.browser(), "baotou", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// An attacker keeps guessing, solving CAPTCHAs and waiting out each delay.
	for i := 0; i < 12; i++ {
		resp, body = e.loginWith(c, "region", "wrong", e.captchaForm())
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "guess %d: %s", i+1, body)
		e.now = e.now.Add(61 * time.Second)
	}
	// Right after a failure the next attempt waits, never more than a minute.
	resp, _ = e.loginWith(c, "region", "wrong", e.captchaForm())
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	resp, body = e.loginWith(c, "region", testPassword, e.captchaForm())
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, body, "登录失败次数过多")
	wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	require.LessOrEqual(t, wait, 60)
	// The owner, a minute later and with the CAPTCHA, is in.
	e.now = e.now.Add(time.Duration(wait) * time.Second)
	owner := e.browser()
	resp, body = e.loginWith(owner, "region", testPassword, e.captchaForm())
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	// The success forgets the account's failures (this address, the attacker's too in the
	// test, still needs a CAPTCHA for its own).
	rows, err := e.db.Throttles(context.Background(), "login", "account:region", "addr:127.0.0.1")
	require.NoError(t, err)
	require.NotContains(t, rows, "account:region")
	require.Equal(t, 16, rows["addr:127.0.0.1"].Count)
}

// TestAdminUnlocksAnAccount: an administrator forgets an account's failed logins from the API
// or the user page; audited.
func TestAdminUnlocksAnAccount(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	fail := func(n int) {
		for i := 0; i < n; i++ {
			resp, _ := e.loginForm(e.browser(), "hohhot", "wrong")
			require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		}
		resp, _ := e.loginForm(e.browser(), "hohhot", testPassword)
		require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode, "a CAPTCHA is due")
	}
	id := webtest.UserID(t, e.db, "hohhot")

	fail(3)
	status, out := e.apiDo(e.bearer("secadmin"), http.MethodPost, "/api/v1/users/"+id+"/unlock", `{"reason":"本人来电"}`)
	require.Equal(t, http.StatusOK, status, out)
	require.EqualValues(t, 3, out["failures_forgotten"])
	rows := webtest.AuditRows(t, e.db, "user.unlock")
	require.Len(t, rows, 1)
	require.Equal(t, id, rows[0].ObjectID)
	require.Equal(t, "failures=3", rows[0].BeforeState)
	require.Equal(t, "本人来电", rows[0].Reason)
	resp, _ := e.loginForm(e.browser(), "hohhot", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "no CAPTCHA, no wait")

	// Only the security administrator may.
	status, _ = e.apiDo(e.bearer("region"), http.MethodPost, "/api/v1/users/"+id+"/unlock", `{}`)
	require.Equal(t, http.StatusForbidden, status)

	// The page shows the failures and the button.
	fail(3)
	admin := e.login("secadmin") // unlocks are the security administrator's (三员分立)
	body := e.pageOK(admin, "/admin/users/"+id, http.StatusOK)
	require.Contains(t, body, "近期登录失败 3 次")
	require.Contains(t, body, `action="/admin/users/`+id+`/unlock"`)
	resp, _ = e.postForm(admin, "/admin/users/"+id+"/unlock", url.Values{"csrf_token": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已解除用户 hohhot 的登录限制")
	require.Len(t, webtest.AuditRows(t, e.db, "user.unlock"), 2)
	require.NotContains(t, e.pageOK(admin, "/admin/users/"+id, http.StatusOK), "近期登录失败")
	resp, _ = e.loginForm(e.browser(), "hohhot", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// TestRegistrationsDoNotSlowLoginsFromTheAddress: registrations used to count against the
// address's login budget, so thirty of them (valid or not) shut every account out of logging in
// from that address. Each purpose has its own budget now.
func TestRegistrationsDoNotSlowLoginsFromTheAddress(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	bad := goodRegistration(t, 1)
	bad.PasswordConfirm = "something-else"
	for i := 0; i < 30; i++ {
		status, _, raw, _ := e.register(e.browser(), bad)
		require.Contains(t, []int{http.StatusUnprocessableEntity, http.StatusTooManyRequests}, status, raw)
	}
	resp, body := e.loginForm(e.browser(), "region", testPassword)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
}

// TestRegistrationAsksForCaptchaThenWaits: after three registrations from an address a CAPTCHA
// is due (the page shows it and keeps what was typed); after twenty, each attempt waits.
func TestRegistrationAsksForCaptchaThenWaits(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	bad := goodRegistration(t, 1)
	bad.PasswordConfirm = "something-else"
	for i := 0; i < 3; i++ {
		status, _, raw, _ := e.register(e.browser(), bad)
		require.Equal(t, http.StatusUnprocessableEntity, status, raw)
	}
	// The JSON API says what it needs.
	good := goodRegistration(t, 2)
	status, got, _, _ := e.register(e.browser(), good)
	require.Equal(t, http.StatusPreconditionRequired, status)
	require.Equal(t, "captcha_required", got.Error.Code)
	require.Equal(t, "captcha_answer", got.Error.Fields[0].Field)
	good.Guard = service.Guard{CaptchaID: e.captcha().CaptchaID, CaptchaAnswer: "11111"}
	status, got, _, _ = e.register(e.browser(), good)
	require.Equal(t, http.StatusPreconditionRequired, status)
	require.Equal(t, "captcha_invalid", got.Error.Code)
	_, err := e.db.UserByUsername(context.Background(), good.Username)
	require.ErrorIs(t, err, models.ErrNotFound, "nothing created without the CAPTCHA")

	// The page shows the CAPTCHA up front, and again with everything typed when it is missing.
	c := e.browser()
	body := e.pageOK(c, "/register", http.StatusOK)
	pageCaptcha(t, body)
	form := registrationForm(good)
	form.Set("csrf_token", csrfOf(t, body))
	resp, body := e.postForm(c, "/register", form)
	require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode)
	require.Contains(t, body, `value="`+good.EnterpriseName+`"`, "what was typed is kept")
	require.Contains(t, body, `href="#f-captcha_answer"`)
	for k, v := range pageCaptcha(t, body) {
		form[k] = v
	}
	resp, body = e.postForm(c, "/register", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, body)
	require.Equal(t, "/application", resp.Header.Get("Location"))

	// Twenty attempts in the hour: each further one waits, with the page saying so.
	for i := 0; i < 16; i++ {
		status, _, raw, _ := e.register(e.browser(), bad)
		require.Equal(t, http.StatusUnprocessableEntity, status, "attempt %d: %s", i+5, raw)
	}
	third := goodRegistration(t, 3)
	third.Guard = e.captcha()
	status, got, raw, resp := e.register(e.browser(), third)
	require.Equal(t, http.StatusTooManyRequests, status, raw)
	require.Equal(t, "throttled", got.Error.Code)
	require.Contains(t, got.Error.Message, "注册尝试次数过多")
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
	require.Equal(t, int64(1), e.auditCount("enterprise.register", models.OutcomeOK))
	c = e.browser()
	form = registrationForm(third)
	form.Set("csrf_token", csrfOf(t, e.pageOK(c, "/register", http.StatusOK)))
	resp, body = e.postForm(c, "/register", form)
	require.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	require.Contains(t, body, "注册尝试次数过多")
	require.Contains(t, body, `value="`+third.EnterpriseName+`"`)
	// Waited out, with a CAPTCHA, it goes through.
	e.now = e.now.Add(31 * time.Second)
	third.Guard = e.captcha()
	status, _, raw, _ = e.register(e.browser(), third)
	require.Equal(t, http.StatusCreated, status, raw)
}

// complaintStarts stands in for Temporal when complaints are filed: it counts the complaint
// workflows started (each opens a county task).
type complaintStarts struct {
	client.Client
	mu  sync.Mutex
	ids []string
}

func (f *complaintStarts) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ids = append(f.ids, o.ID)
	return nil, nil
}

func (f *complaintStarts) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.ids)
}

// publishDairy lists the dairy enterprise in the pilot directory.
func publishDairy(t *testing.T, db *models.DB) {
	t.Helper()
	_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "pub", Directory: []models.DirectoryEntry{{CaseID: "c1",
		CampaignID: "2027", EnterpriseID: dairyEnterpriseID, Batch: 1, EnterpriseName: dairyEntName, JurisdictionCode: "150105",
		OccupationsJSON: "[]", Status: "active"}}})
	require.NoError(t, err)
}

const complaintText = "考评人员未到场，成绩由企业自行填写，请核查。"

// TestComplaintsFromOneAddressNeedCaptcha: 25 anonymous complaints in a few seconds each
// started a workflow and a county task. Now the third from an address needs a CAPTCHA, and
// after five each waits.
func TestComplaintsFromOneAddressNeedCaptcha(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	starts := &complaintStarts{}
	e.api.svc.UseTemporal(starts)
	publishDairy(t, e.db)
	body := `{"enterprise_id":"` + dairyEnterpriseID + `","anonymous":true,"content":"` + complaintText + `"}`
	for i := 0; i < 25; i++ {
		status, _ := e.apiDo("", http.MethodPost, "/api/v1/complaints", body)
		require.Contains(t, []int{http.StatusCreated, http.StatusPreconditionRequired}, status)
	}
	require.Equal(t, 2, starts.count(), "only two complaints without a CAPTCHA")
	status, out := e.apiDo("", http.MethodPost, "/api/v1/complaints", body)
	require.Equal(t, http.StatusPreconditionRequired, status)
	require.Equal(t, "captcha_required", out["error"].(map[string]any)["code"])

	// With CAPTCHAs, three more; then each waits.
	for i := 0; i < 3; i++ {
		g := e.captcha()
		status, out = e.apiDo("", http.MethodPost, "/api/v1/complaints", `{"enterprise_id":"`+dairyEnterpriseID+`","anonymous":true,"content":"`+
			complaintText+`","captcha_id":"`+g.CaptchaID+`","captcha_answer":"`+g.CaptchaAnswer+`"}`)
		require.Equal(t, http.StatusCreated, status, out)
	}
	g := e.captcha()
	status, out = e.apiDo("", http.MethodPost, "/api/v1/complaints", `{"enterprise_id":"`+dairyEnterpriseID+`","anonymous":true,"content":"`+
		complaintText+`","captcha_id":"`+g.CaptchaID+`","captcha_answer":"`+g.CaptchaAnswer+`"}`)
	require.Equal(t, http.StatusTooManyRequests, status, out)
	require.Equal(t, 5, starts.count())

	// The page shows the CAPTCHA and keeps what was typed.
	e.now = e.now.Add(2 * time.Hour)
	anon := e.browser()
	for i := 0; i < 2; i++ {
		status, _ = e.apiDo("", http.MethodPost, "/api/v1/complaints", body)
		require.Equal(t, http.StatusCreated, status)
	}
	page := e.pageOK(anon, "/complaint", http.StatusOK)
	pageCaptcha(t, page)
	form := url.Values{"csrf_token": {csrfOf(t, page)}, "enterprise_id": {dairyEnterpriseID}, "anonymous": {"on"}, "content": {complaintText}}
	resp, page := e.postForm(anon, "/complaint", form)
	require.Equal(t, http.StatusPreconditionRequired, resp.StatusCode)
	require.Contains(t, page, ">"+complaintText+"</textarea>")
	for k, v := range pageCaptcha(t, page) {
		form[k] = v
	}
	resp, page = e.postForm(anon, "/complaint", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, page)
	require.Contains(t, page, "投诉已受理")
	require.Equal(t, 8, starts.count())
}

// TestComplaintAboutUnpublishedEnterpriseIsRefused: a complaint names an enterprise of the
// published pilot directory; a registered enterprise that is not listed is refused with a
// field error, and no workflow starts.
func TestComplaintAboutUnpublishedEnterpriseIsRefused(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	starts := &complaintStarts{}
	e.api.svc.UseTemporal(starts)
	status, out := e.apiDo("", http.MethodPost, "/api/v1/complaints",
		`{"enterprise_id":"`+dairyEnterpriseID+`","anonymous":true,"content":"`+complaintText+`"}`)
	require.Equal(t, http.StatusUnprocessableEntity, status, out)
	fields := out["error"].(map[string]any)["fields"].([]any)
	require.Len(t, fields, 1)
	f := fields[0].(map[string]any)
	require.Equal(t, "enterprise_id", f["field"])
	require.Equal(t, "not_in_directory", f["code"])
	require.Contains(t, f["message"], "试点企业目录")
	require.Zero(t, starts.count())
	var n int64
	require.NoError(t, e.db.Model(&models.Complaint{}).Count(&n).Error)
	require.Zero(t, n)

	// Once published, the same complaint is filed.
	publishDairy(t, e.db)
	status, out = e.apiDo("", http.MethodPost, "/api/v1/complaints",
		`{"enterprise_id":"`+dairyEnterpriseID+`","anonymous":true,"content":"`+complaintText+`"}`)
	require.Equal(t, http.StatusCreated, status, out)
	require.Equal(t, 1, starts.count())
}
