package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// Administration pages: users, jurisdictions and the audit log. Every write calls the same use
// case as the JSON API, so these tests check what the pages show and that the API's rules hold
// when driven from a form.

// loginAs logs a browser in with a password of its own.
func (e *testEnv) loginAs(user, pass string) *http.Client {
	e.t.Helper()
	c := e.browser()
	resp, body := e.loginForm(c, user, pass)
	require.Equal(e.t, http.StatusSeeOther, resp.StatusCode, body)
	return c
}

func TestAdminPagesNeedLoginAndAuthority(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	anon := e.browser()
	for _, path := range []string{"/admin/users", "/admin/jurisdictions", "/admin/audit"} {
		resp, _ := e.get(anon, path)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, path)
		require.True(t, strings.HasPrefix(resp.Header.Get("Location"), "/login?next="), path)
	}
	league := e.login("hohhot")
	for _, path := range []string{"/admin/users", "/admin/audit", "/admin/users/" + e.userID("xincheng")} {
		body := e.pageOK(league, path, http.StatusForbidden)
		require.Contains(t, body, "无权", path)
	}
	// A form posted by someone without the authority gets the same page, and nothing changes.
	body := e.pageOK(league, "/inbox", http.StatusOK)
	resp, body := e.postForm(league, "/admin/users/"+e.userID("xincheng")+"/disable", url.Values{"csrf_token": {csrfOf(t, body)}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "无权")
	noLeaks(t, body)
	u, err := e.db.UserByUsername(context.Background(), "xincheng")
	require.NoError(t, err)
	require.True(t, u.Active)
	require.Contains(t, e.pageOK(e.login("expert1"), "/admin/jurisdictions", http.StatusForbidden), "无权")
	// The region sees the audit log but may not run the chain verification.
	region := e.login("region")
	body = e.pageOK(region, "/admin/audit", http.StatusOK)
	require.NotContains(t, body, `action="/admin/audit/verify"`)
	resp, body = e.postForm(region, "/admin/audit/verify", url.Values{"csrf_token": {csrfOf(t, body)}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "无权")
	// Forms refuse a post without the page's token.
	admin := e.login("admin")
	resp, body = e.postForm(admin, "/admin/users", url.Values{"username": {"nocsrf"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, body, "表单已过期")
}

func TestUsersPageCreateFilterDisableEnableReset(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("admin")
	body := e.pageOK(admin, "/admin/users", http.StatusOK)
	require.Contains(t, body, `<a href="/admin/users" aria-current="page">用户管理</a>`)
	require.Contains(t, body, "呼和浩特市人社局 张科长")
	require.Contains(t, body, "呼和浩特乳业示范有限公司", "an enterprise user shows its enterprise")
	require.Contains(t, body, `aria-label="停用 hohhot"`)
	// The accessible name begins with the visible text (axe: label-content-name-mismatch).
	// (The reset is the security administrator's: 三员分立.)
	require.Contains(t, e.pageOK(e.login("secadmin"), "/admin/users", http.StatusOK), `aria-label="重置密码：hohhot">重置密码</a>`)
	require.NotContains(t, body, `aria-label="重置密码：hohhot"`)
	require.NotContains(t, body, `aria-label="停用 admin"`, "no disable button on the own row")
	for _, id := range []string{"f-username", "f-display_name", "f-role", "f-jurisdiction_code", "f-enterprise_id", "f-password", "q-q", "q-role", "q-jurisdiction", "q-state"} {
		require.Contains(t, body, `<label for="`+id+`"`, "labelled field %s", id)
	}
	csrf := csrfOf(t, body)

	// Bad input: Chinese errors next to their fields, what was typed kept (but never the password).
	form := url.Values{"csrf_token": {csrf}, "username": {"bad user"}, "display_name": {""}, "role": {models.RoleCountyOfficial},
		"jurisdiction_code": {"150100"}, "password": {"short-pw"}}
	resp, body := e.postForm(admin, "/admin/users", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	for field, msg := range map[string]string{
		"f-username":          "用户名应为 3 至 64 个字符，且不含空格和斜杠。",
		"f-display_name":      "请填写姓名。",
		"f-password":          "密码强度不足：至少 10 位并包含大写字母、小写字母、数字、其他符号中的三类；或使用至少 16 个字符、由空格分隔的三个以上词语组成的口令短语。",
		"f-jurisdiction_code": "旗县（市、区）人社局不能设在呼和浩特市这一级。",
	} {
		require.Contains(t, body, `<div class="field-error" id="`+field+`-err"><p>`+msg+`</p></div>`, field)
		require.Regexp(t, `aria-describedby="(`+field+`-hint )?`+field+`-err"`, body, field)
	}
	require.Contains(t, body, `id="f-username" name="username" value="bad user"`)
	require.Regexp(t, `<option value="county_official" selected>`, body)
	require.Regexp(t, `<option value="150100" selected>　呼和浩特市</option>`, body)
	require.NotContains(t, body, "short-pw", "the password is not sent back")
	require.Contains(t, body, `id="error-summary"`)
	require.Contains(t, body, `<details class="card create-user" id="create" open>`)

	// A good one: created, and it shows in the list.
	form = url.Values{"csrf_token": {csrf}, "username": {"county9"}, "display_name": {"新城区 测试员"}, "role": {models.RoleCountyOfficial},
		"jurisdiction_code": {"150102"}, "password": {"long-enough-pw1"}}
	resp, _ = e.postForm(admin, "/admin/users", form)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users?q=county9", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "已创建用户 county9")
	body = e.pageOK(admin, "/admin/users?q=county9", http.StatusOK)
	require.Contains(t, body, ">county9</a>")
	require.Contains(t, body, "新城区 测试员")
	require.Contains(t, body, "共 1 条")
	id := e.userID("county9")

	// Filters.
	body = e.pageOK(admin, "/admin/users?role=expert", http.StatusOK)
	require.Contains(t, body, ">expert1</a>")
	require.NotContains(t, body, ">hohhot</a>")
	body = e.pageOK(admin, "/admin/users?jurisdiction=150200", http.StatusOK)
	require.Contains(t, body, ">baotou</a>")
	require.Contains(t, body, ">kundulun</a>", "the subtree")
	require.Contains(t, body, ">rare</a>", "enterprise users of the subtree")
	require.NotContains(t, body, ">hohhot</a>")
	body = e.pageOK(admin, "/admin/users?q="+url.QueryEscape("张科长"), http.StatusOK)
	require.Contains(t, body, ">hohhot</a>")
	require.Contains(t, e.pageOK(admin, "/admin/users?state=disabled", http.StatusOK), "没有符合筛选条件的用户")

	// Disable: the user's open session stops working and they cannot log in.
	victim := e.loginAs("county9", "long-enough-pw1")
	require.Equal(t, http.StatusOK, e.sessionStatus(victim))
	resp, _ = e.postForm(admin, "/admin/users/"+id+"/disable", url.Values{"csrf_token": {csrf}, "confirm": {"yes"}, "return_to": {"/admin/users?q=county9"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users?q=county9", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "已停用用户 county9：不能再登录，已结束其 1 个登录会话")
	resp, _ = e.get(victim, "/inbox")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the session ended")
	resp, body = e.loginForm(e.browser(), "county9", "long-enough-pw1")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	require.Contains(t, body, "用户名或密码错误")
	body = e.pageOK(admin, "/admin/users?state=disabled", http.StatusOK)
	require.Contains(t, body, ">county9</a>")
	require.Contains(t, body, `aria-label="启用 county9"`)

	// Enable: they can log in again.
	resp, _ = e.postForm(admin, "/admin/users/"+id+"/enable", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users/"+id, resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "已启用用户 county9")
	resp, _ = e.loginForm(e.browser(), "county9", "long-enough-pw1")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	// An administrator cannot disable themselves.
	self := e.userID("admin")
	resp, _ = e.postForm(admin, "/admin/users/"+self+"/disable", url.Values{"csrf_token": {csrf}, "confirm": {"yes"}, "return_to": {"/admin/users"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "不能对自己的账户执行此操作")
	u, err := e.db.UserByID(context.Background(), self)
	require.NoError(t, err)
	require.True(t, u.Active)
	body = e.pageOK(admin, "/admin/users/"+self, http.StatusOK)
	require.Contains(t, body, "这是您本人的账户")
	require.NotContains(t, body, `href="/admin/users/`+self+`/disable"`)

	// Reset (the security administrator's): the one-time code is shown once, on this answer
	// only, and works.
	sec := e.login("secadmin")
	secCSRF := csrfOf(t, e.pageOK(sec, "/admin/users", http.StatusOK))
	resp, body = e.postForm(sec, "/admin/users/"+id+"/password", url.Values{"csrf_token": {secCSRF}, "confirm": {"yes"}, "reason": {"本人遗忘"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	noLeaks(t, body)
	require.Contains(t, body, "一次性重置码（只显示这一次）")
	for _, ck := range resp.Cookies() {
		require.NotEqual(t, flashCookie, ck.Name, "the password never goes into a cookie")
	}
	m := regexp.MustCompile(`<code id="otp">([^<]+)</code>`).FindStringSubmatch(body)
	require.NotNil(t, m)
	require.Regexp(t, oneTimePasswordRe, m[1])
	resp, _ = e.loginForm(e.browser(), "county9", "long-enough-pw1")
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the old password")
	resp, _ = e.loginForm(e.browser(), "county9", m[1])
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "the reset code")
	require.NotContains(t, e.pageOK(sec, "/admin/users/"+id, http.StatusOK), m[1], "not shown again")
	e.requireNoSecretInAudit(m[1])
	e.requireNoSecretInAudit("long-enough-pw1")
}

func TestUserPageMovesAnAccount(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("secadmin") // grants are the security administrator's (三员分立)
	id := e.userID("xincheng")
	body := e.pageOK(admin, "/admin/users/"+id, http.StatusOK)
	require.Contains(t, body, "新城区人社局 刘干事")
	require.Contains(t, body, "<dd>新城区</dd>")
	require.Contains(t, body, "从未登录")
	csrf := csrfOf(t, body)

	// No reason, and a level the role does not allow: errors next to the fields, choices kept.
	resp, body := e.postForm(admin, "/admin/users/"+id+"/grant", url.Values{"csrf_token": {csrf}, "role": {models.RoleLeagueOfficial},
		"jurisdiction_code": {"150103"}, "reason": {""}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	noLeaks(t, body)
	require.Contains(t, body, `<div class="field-error" id="f-reason-err"><p>请填写理由。</p></div>`)
	require.Contains(t, body, "盟市人社局不能设在回民区这一级。")
	require.Regexp(t, `<option value="league_official" selected>`, body)
	require.Regexp(t, `<option value="150103" selected>`, body)

	resp, _ = e.postForm(admin, "/admin/users/"+id+"/grant", url.Values{"csrf_token": {csrf}, "role": {models.RoleLeagueOfficial},
		"jurisdiction_code": {"150100"}, "reason": {"调任市局"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已将用户 xincheng 调整为盟市人社局")
	u, err := e.db.UserByID(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, models.RoleLeagueOfficial, u.Role)
	require.Equal(t, "150100", u.Jurisdiction())
	rows := e.auditRows("user.grant")
	require.Equal(t, "调任市局", rows[len(rows)-1].Reason)
}

func TestAuditPageListsFiltersAndVerifiesTheChain(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("admin")
	body := e.pageOK(admin, "/admin/users", http.StatusOK)
	csrf := csrfOf(t, body)
	resp, _ := e.postForm(admin, "/admin/users", url.Values{"csrf_token": {csrf}, "username": {"county9"}, "display_name": {"测试员"},
		"role": {models.RoleCountyOfficial}, "jurisdiction_code": {"150102"}, "password": {"long-enough-pw1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	// A typed reason that carries an ID number and a mobile number is shown masked.
	require.NoError(t, e.db.AppendAudit(context.Background(), &models.AuditEntry{ActorName: "admin", Role: models.RoleSysadmin, Action: "finding.remind",
		ObjectType: "task", ObjectID: "t-1", Outcome: models.OutcomeOK, Reason: "请 150102199003071234 联系 13912345678"}))

	// The log is the audit administrator's (三员分立).
	admin = e.login("auditadmin")
	body = e.pageOK(admin, "/admin/audit", http.StatusOK)
	require.Contains(t, body, `<a href="/admin/audit" aria-current="page">审计日志</a>`)
	require.Contains(t, body, "新建用户")
	require.Contains(t, body, "用户 county9", "the target user by username")
	require.Contains(t, body, `<td data-label="操作" title="login">登录</td>`, "the action by its Chinese name, the code on hover")
	require.Contains(t, body, `<span class="badge ok">成功</span>`)
	require.Contains(t, body, "150102********1234")
	require.Contains(t, body, "139****5678")
	require.NotContains(t, body, "150102199003071234")
	require.NotContains(t, body, "13912345678")
	require.Less(t, strings.Index(body, `id="seq-5"`), strings.Index(body, `id="seq-1"`), "newest first")
	for _, id := range []string{"f-action", "f-actor", "f-outcome", "f-from", "f-to"} {
		require.Contains(t, body, `<label for="`+id+`"`)
	}

	// Filters: by action, by actor, by a day, with errors next to the date fields.
	body = e.pageOK(admin, "/admin/audit?action=user.create", http.StatusOK)
	require.Contains(t, body, `<option value="user.create" selected>新建用户</option>`)
	require.Contains(t, body, "用户 county9")
	require.NotContains(t, body, `title="login"`)
	require.Contains(t, body, "共 1 条")
	body = e.pageOK(admin, "/admin/audit?actor=nobody", http.StatusOK)
	require.Contains(t, body, "没有符合筛选条件的记录")
	body = e.pageOK(admin, "/admin/audit?outcome=ok&from=2020-01-01&to="+e.now.UTC().Format("2006-01-02"), http.StatusOK)
	require.Contains(t, body, "用户 county9")
	body = e.pageOK(admin, "/admin/audit?from=20-5&to=2020-01-01", http.StatusOK)
	require.Contains(t, body, `<div class="field-error" id="f-from-err"><p>请输入日期，如 2027-05-20。</p></div>`)
	body = e.pageOK(admin, "/admin/audit?from=2027-05-20&to=2027-05-19", http.StatusOK)
	require.Contains(t, body, "截止日期不能早于起始日期。")

	// Verify: OK with the number of rows, then a tampered row is found.
	var n int64
	require.NoError(t, e.db.Model(&models.AuditEntry{}).Count(&n).Error)
	csrf = csrfOf(t, e.pageOK(admin, "/admin/audit", http.StatusOK))
	resp, _ = e.postForm(admin, "/admin/audit/verify", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/audit", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "哈希链校验通过：已校验 "+strconv.FormatInt(n, 10)+" 条记录")
	require.Equal(t, int64(1), e.auditCount("audit.verify", models.OutcomeOK))

	var third models.AuditEntry
	require.NoError(t, e.db.First(&third, "seq = ?", 3).Error)
	require.NoError(t, e.db.Exec("UPDATE audit_log SET reason = ? WHERE seq = ?", "事后改动", 3).Error)
	resp, _ = e.postForm(admin, "/admin/audit/verify", url.Values{"csrf_token": {csrf}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	msg := flashOf(resp)
	require.Contains(t, msg, "哈希链校验未通过：序号为 3 的记录有问题——记录内容与其哈希值不符（记录被改动）")
	require.Contains(t, msg, "此前 2 条记录完好")
	// The page after the redirect shows it as an alert.
	body = e.pageOK(admin, "/admin/audit", http.StatusOK)
	require.Contains(t, body, `<p class="error" role="alert" id="page-alert">哈希链校验未通过：序号为 3 的记录`)

	// A deleted row is found as well.
	require.NoError(t, e.db.Exec("UPDATE audit_log SET reason = ? WHERE seq = ?", third.Reason, 3).Error)
	require.NoError(t, e.db.Exec("DELETE FROM audit_log WHERE seq = ?", 2).Error)
	resp, _ = e.postForm(admin, "/admin/audit/verify", url.Values{"csrf_token": {csrf}})
	require.Contains(t, flashOf(resp), "序号为 2 的记录有问题——该条记录缺失")
}

func TestJurisdictionsPageTreeCountsAndPrecheck(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("admin")
	body := e.pageOK(admin, "/admin/jurisdictions", http.StatusOK)
	require.Contains(t, body, `<a href="/admin/jurisdictions" aria-current="page">行政区划</a>`)
	for _, want := range []string{"内蒙古自治区", `id="j-150100"`, "新城区", "满洲里市", "自治区直接联系", "呼和浩特电力检修示范有限公司"} {
		require.Contains(t, body, want)
	}
	require.Less(t, strings.Index(body, `id="j-150100"`), strings.Index(body, `id="j-150102"`), "counties under their league")
	require.Less(t, strings.Index(body, `id="j-150102"`), strings.Index(body, "呼和浩特电力检修示范有限公司"), "enterprises under their county")
	// Accounts per node: 呼和浩特市 has hohhot and supervisor3 itself; with its counties and
	// enterprises 5 (xincheng, saihan, dairy, power).
	require.Contains(t, body, "用户 2，合计 6")
	require.Contains(t, body, `href="/admin/users?jurisdiction=150100"`)
	// The pre-check is the league bureaus' decision: the administrator sees it, without a switch.
	require.Contains(t, body, "旗县初审：未开启")
	require.Contains(t, body, "旗县初审未开启，由呼和浩特市人社局设置。")
	require.NotContains(t, body, `action="/admin/jurisdictions/precheck"`)

	// A league bureau sees its own subtree and switches its pre-check with a reason.
	league := e.login("hohhot")
	body = e.pageOK(league, "/admin/jurisdictions", http.StatusOK)
	require.Contains(t, body, "呼和浩特市")
	require.NotContains(t, body, "包头市")
	require.NotContains(t, body, "用户 2", "no account counts without user:read")
	require.Contains(t, body, `<label for="reason-150100">调整理由`)
	csrf := csrfOf(t, body)
	resp, body := e.postForm(league, "/admin/jurisdictions/precheck", url.Values{"csrf_token": {csrf}, "code": {"150100"}, "enabled": {"true"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, `<div class="field-error" id="reason-150100-err"><p>请填写理由。</p></div>`)
	j, err := e.db.JurisdictionByCode(context.Background(), "150100")
	require.NoError(t, err)
	require.False(t, j.PrecheckEnabled)

	resp, _ = e.postForm(league, "/admin/jurisdictions/precheck", url.Values{"csrf_token": {csrf}, "code": {"150100"}, "enabled": {"true"},
		"reason": {"旗县先行把关"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "已开启呼和浩特市的旗县初审")
	j, err = e.db.JurisdictionByCode(context.Background(), "150100")
	require.NoError(t, err)
	require.True(t, j.PrecheckEnabled)
	rows := e.auditRows("jurisdiction.precheck")
	require.Len(t, rows, 1)
	require.Equal(t, "旗县先行把关", rows[0].Reason)
	require.Contains(t, e.pageOK(league, "/admin/jurisdictions", http.StatusOK), "关闭旗县初审")

	// Another league's setting is refused by the API (and audited).
	resp, _ = e.postForm(league, "/admin/jurisdictions/precheck", url.Values{"csrf_token": {csrf}, "code": {"150200"}, "enabled": {"true"},
		"reason": {"越权"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Contains(t, flashOf(resp), "无权")
	j, err = e.db.JurisdictionByCode(context.Background(), "150200")
	require.NoError(t, err)
	require.False(t, j.PrecheckEnabled)
}

// 停用 and 重置密码 take two steps: the list links to a confirmation page whose form carries
// the confirm field; a post without it (the old one-click button) does nothing and is sent to
// the confirmation page.
func TestDisableAndResetAskForConfirmation(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("admin")
	id := e.userID("xincheng")
	list := e.pageOK(admin, "/admin/users?q=xincheng", http.StatusOK)
	require.Contains(t, list, `<a href="/admin/users/`+id+`/disable?return_to=%2fadmin%2fusers%3fq%3dxincheng"`)
	require.NotContains(t, list, `action="/admin/users/`+id+`/disable"`, "no one-click form")
	csrf := csrfOf(t, list)

	// Without the confirm field: nothing happens, the browser goes to the confirmation page.
	resp, _ := e.postForm(admin, "/admin/users/"+id+"/disable", url.Values{"csrf_token": {csrf}, "return_to": {"/admin/users?q=xincheng"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users/"+id+"/disable?return_to=%2Fadmin%2Fusers%3Fq%3Dxincheng", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "请先确认")
	u, err := e.db.UserByID(context.Background(), id)
	require.NoError(t, err)
	require.True(t, u.Active, "not disabled without confirmation")
	require.Zero(t, e.auditCount("user.disable", models.OutcomeOK))

	page := e.pageOK(admin, resp.Header.Get("Location"), http.StatusOK)
	require.Contains(t, page, "确认停用账户 xincheng？")
	require.Contains(t, page, `<form method="post" action="/admin/users/`+id+`/disable">`)
	require.Contains(t, page, `<input type="hidden" name="confirm" value="yes">`)
	require.Contains(t, page, `<input type="hidden" name="return_to" value="/admin/users?q=xincheng">`)
	resp, _ = e.postForm(admin, "/admin/users/"+id+"/disable", url.Values{"csrf_token": {csrfOf(t, page)}, "confirm": {"yes"}, "return_to": {"/admin/users?q=xincheng"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users?q=xincheng", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "已停用用户 xincheng")
	u, err = e.db.UserByID(context.Background(), id)
	require.NoError(t, err)
	require.False(t, u.Active)

	// The password reset: the same two steps.
	sec := e.login("secadmin")
	target := e.userID("saihan")
	page = e.pageOK(sec, "/admin/users/"+target, http.StatusOK)
	require.Contains(t, page, `href="/admin/users/`+target+`/password"`)
	resp, body := e.postForm(sec, "/admin/users/"+target+"/password", url.Values{"csrf_token": {csrfOf(t, page)}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/users/"+target+"/password", resp.Header.Get("Location"))
	require.NotContains(t, body, "一次性重置码")
	before, err := e.db.UserByID(context.Background(), target)
	require.NoError(t, err)
	page = e.pageOK(sec, "/admin/users/"+target+"/password", http.StatusOK)
	require.Contains(t, page, "确认重置账户 saihan 的密码？")
	after, err := e.db.UserByID(context.Background(), target)
	require.NoError(t, err)
	require.Equal(t, before.PasswordHash, after.PasswordHash, "the confirmation page changes nothing")
	resp, body = e.postForm(sec, "/admin/users/"+target+"/password", url.Values{"csrf_token": {csrfOf(t, page)}, "confirm": {"yes"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, body, "一次性重置码（只显示这一次）")

	// The confirmation pages are the acting roles' only.
	require.Contains(t, e.pageOK(e.login("auditadmin"), "/admin/users/"+target+"/disable", http.StatusForbidden), "无权")
	require.Contains(t, e.pageOK(admin, "/admin/users/"+target+"/password", http.StatusForbidden), "无权")
}
