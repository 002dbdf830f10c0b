package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// Jurisdiction administration: adding counties (旗县、市、区) under a league/city and renaming
// them, through the API and the /admin/jurisdictions form, and the authorization tree learning
// the new county at once.

// jurisdictionCount counts the jurisdictions on file.
func (e *testEnv) jurisdictionCount() int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.Jurisdiction{}).Count(&n).Error)
	return n
}

// apiErrFields are the field → code pairs of an error answer.
func apiErrFields(t *testing.T, body map[string]any) map[string]string {
	t.Helper()
	out := map[string]string{}
	fs, _ := body["error"].(map[string]any)["fields"].([]any)
	for _, f := range fs {
		m := f.(map[string]any)
		out[m["field"].(string)] = m["code"].(string)
	}
	return out
}

func TestUpdateCountyRenamesAndChangesAreaCode(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		admin := e.bearer("admin")
		code, body := e.apiDo(admin, http.MethodPatch, "/api/v1/jurisdictions/150103", `{"name":"回民区（新）","area_code":"0470"}`)
		require.Equal(t, http.StatusOK, code, "%v", body)
		require.Equal(t, "回民区（新）", body["name"])
		require.Equal(t, "0470", body["area_code"])
		rows := e.auditRows("jurisdiction.update")
		require.Len(t, rows, 1)
		require.Equal(t, "name=回民区 area_code=0471", rows[0].BeforeState)
		require.Equal(t, "name=回民区（新） area_code=0470", rows[0].AfterState)
		require.Equal(t, "150103", rows[0].ObjectID)

		// An empty area code goes back to the league's; no change writes nothing.
		code, body = e.apiDo(admin, http.MethodPatch, "/api/v1/jurisdictions/150103", `{"area_code":""}`)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "0471", body["area_code"])
		require.Equal(t, "回民区（新）", body["name"], "absent name kept")
		code, _ = e.apiDo(admin, http.MethodPatch, "/api/v1/jurisdictions/150103", `{"area_code":"0471"}`)
		require.Equal(t, http.StatusOK, code)
		require.Len(t, e.auditRows("jurisdiction.update"), 2)

		for _, c := range []struct {
			path, body  string
			status      int
			field, code string
		}{
			{"150103", `{"name":"新城区"}`, http.StatusUnprocessableEntity, "name", "taken"},
			{"150103", `{"name":""}`, http.StatusUnprocessableEntity, "name", "required"},
			{"150103", `{"area_code":"47"}`, http.StatusUnprocessableEntity, "area_code", "bad_area_code"},
			{"150100", `{"name":"青城"}`, http.StatusUnprocessableEntity, "code", "not_county"},
			{"150781", `{"name":"满洲里"}`, http.StatusUnprocessableEntity, "code", "not_county"},
			{"150000", `{"name":"自治区"}`, http.StatusUnprocessableEntity, "code", "not_county"},
			{"159999", `{"name":"无"}`, http.StatusNotFound, "", ""},
			{"150103", `{}`, http.StatusBadRequest, "", ""},
		} {
			code, body := e.apiDo(admin, http.MethodPatch, "/api/v1/jurisdictions/"+c.path, c.body)
			require.Equal(t, c.status, code, "%s %s: %v", c.path, c.body, body)
			if c.field != "" {
				require.Equal(t, map[string]string{c.field: c.code}, apiErrFields(t, body), "%s %s", c.path, c.body)
			}
		}
		require.Len(t, e.auditRows("jurisdiction.update"), 2)
		// The page shows the new name.
		require.Contains(t, e.pageOK(e.login("admin"), "/admin/jurisdictions", http.StatusOK), "回民区（新）")
	})
}

func TestJurisdictionsPageAddsCounty(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin := e.login("admin")
	body := e.pageOK(admin, "/admin/jurisdictions", http.StatusOK)
	require.Contains(t, body, `<summary>新增旗县（市、区）</summary>`)
	require.Contains(t, body, `<form method="post" action="/admin/jurisdictions" class="grid"`)
	for _, f := range []string{"parent_code", "code", "name", "area_code"} {
		require.Contains(t, body, `<label for="f-`+f+`"`, "labelled field %s", f)
	}
	require.Contains(t, body, `<option value="150300">乌海市（150300，区号 0473）</option>`)
	require.Contains(t, body, `<option value="152900">阿拉善盟（152900，区号 0483）</option>`)
	require.NotContains(t, body, `<option value="150781"`, "满洲里 is no parent")
	require.NotContains(t, body, `<option value="150102"`, "nor is a county")
	require.NotContains(t, body, `<details class="card create-user create-county" id="create" open>`, "closed until there are errors")
	csrf := csrfOf(t, body)
	before := e.jurisdictionCount()

	// Without the page's token nothing happens.
	resp, page := e.postForm(admin, "/admin/jurisdictions", url.Values{"parent_code": {"150300"}, "code": {"150305"}, "name": {"乌海新区"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, page, "表单已过期")

	// Refused input: errors next to the fields and in the summary, typed values kept.
	resp, page = e.postForm(admin, "/admin/jurisdictions", url.Values{"csrf_token": {csrf}, "parent_code": {"150300"},
		"code": {"150499"}, "name": {"乌海新区"}, "area_code": {"473"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, page)
	noLeaks(t, page)
	require.Contains(t, page, `<details class="card create-user create-county" id="create" open>`)
	require.Contains(t, page, `<div class="field-error" id="f-code-err"><p>代码 150499 不在乌海市（150300）的代码段内`)
	require.Contains(t, page, `<div class="field-error" id="f-area_code-err"><p>长途区号应为以 0 开头的 3 至 4 位数字`)
	require.Contains(t, page, `<a href="#f-code">代码 150499 不在乌海市（150300）的代码段内`)
	require.Contains(t, page, `id="f-code" name="code" value="150499"`)
	require.Contains(t, page, `id="f-name" name="name" value="乌海新区"`)
	require.Contains(t, page, `id="f-area_code" name="area_code" value="473"`)
	require.Contains(t, page, `<option value="150300" selected>乌海市（150300，区号 0473）</option>`)
	require.Contains(t, page, "提交的内容有误")

	resp, page = e.postForm(admin, "/admin/jurisdictions", url.Values{"csrf_token": {csrf}, "parent_code": {"150102"},
		"code": {"150108"}, "name": {"新城区"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `<div class="field-error" id="f-parent_code-err"><p>“新城区”不是盟市`)
	resp, page = e.postForm(admin, "/admin/jurisdictions", url.Values{"csrf_token": {csrf}, "parent_code": {"150100"},
		"code": {"150102"}, "name": {"新城区"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, page, `<div class="field-error" id="f-code-err"><p>代码 150102 已是“新城区”的代码`)
	require.Contains(t, page, `<div class="field-error" id="f-name-err"><p>呼和浩特市已有名为“新城区”的下级行政区划`)
	require.Equal(t, before, e.jurisdictionCount())

	// Accepted: a flash, the county open in the tree under its league, a choice on /register.
	resp, _ = e.postForm(admin, "/admin/jurisdictions", url.Values{"csrf_token": {csrf}, "parent_code": {"150300"},
		"code": {"150305"}, "name": {"乌海新区"}, "area_code": {""}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/jurisdictions?open=150305#j-150305", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "已新增乌海市乌海新区（150305）")
	require.Len(t, e.auditRows("jurisdiction.create"), 1)
	body = e.pageOK(admin, "/admin/jurisdictions?open=150305", http.StatusOK)
	require.Contains(t, body, `id="j-150305"`)
	require.Less(t, strings.Index(body, `id="j-150300"`), strings.Index(body, `id="j-150305"`), "under 乌海市")
	require.Less(t, strings.Index(body, `id="j-150305"`), strings.Index(body, `id="j-150400"`), "before the next league")
	require.Contains(t, body, `<strong>乌海新区</strong> <span class="code">150305</span> <span class="chip">旗县（市、区）</span>`)
	reg := e.pageOK(e.browser(), "/register", http.StatusOK)
	require.Contains(t, reg, `<option value="150304">乌达区</option><option value="150305">乌海新区</option></optgroup>`)

	// The audit page (the audit administrator's) names the action.
	require.Contains(t, e.pageOK(e.login("auditadmin"), "/admin/audit?action=jurisdiction.create", http.StatusOK), "新增旗县（市、区）")

	// A league bureau sees no form and cannot post one.
	league := e.login("hohhot")
	body = e.pageOK(league, "/admin/jurisdictions", http.StatusOK)
	require.NotContains(t, body, "新增旗县（市、区）</summary>")
	resp, page = e.postForm(league, "/admin/jurisdictions", url.Values{"csrf_token": {csrfOf(t, body)}, "parent_code": {"150100"},
		"code": {"150126"}, "name": {"测试区"}})
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	require.Contains(t, page, "无权")
	_, err := e.db.JurisdictionByCode(context.Background(), "150126")
	require.ErrorIs(t, err, models.ErrNotFound)
}
