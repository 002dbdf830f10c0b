package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
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

// listedCodes are the codes GET /api/v1/jurisdictions answers the token with.
func (e *testEnv) listedCodes(token, query string) []string {
	e.t.Helper()
	code, body := e.apiDo(token, http.MethodGet, "/api/v1/jurisdictions"+query, "")
	require.Equal(e.t, http.StatusOK, code, "%v", body)
	var out []string
	for _, it := range body["items"].([]any) {
		out = append(out, it.(map[string]any)["code"].(string))
	}
	return out
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

func TestCreateCountyRefusesBadInputPerField(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		admin := e.bearer("admin")
		before := e.jurisdictionCount()
		long := strings.Repeat("旗", 65)
		cases := []struct {
			name, body     string
			field, code    string
			messageHas     string
			otherFieldsNil bool
		}{
			{"code not digits", `{"code":"15030a","name":"乌海新区","parent_code":"150300"}`, "code", "bad_code", "以内蒙古自治区的省级代码 15 开头", true},
			{"code of another province", `{"code":"140302","name":"乌海新区","parent_code":"150300"}`, "code", "bad_code", "6 位数字", true},
			{"code too short", `{"code":"15030","name":"乌海新区","parent_code":"150300"}`, "code", "bad_code", "", true},
			{"code missing", `{"name":"乌海新区","parent_code":"150300"}`, "code", "required", "请填写行政区划代码", true},
			{"code outside the parent's block", `{"code":"150499","name":"乌海新区","parent_code":"150300"}`, "code", "outside_block",
				"代码 150499 不在乌海市（150300）的代码段内：按 GB/T 2260，盟市所辖旗县（市、区）代码的前四位与盟市代码相同，乌海市所辖应为 1503xx。", true},
			{"code already used", `{"code":"150102","name":"乌海新区","parent_code":"150300"}`, "code", "taken", "代码 150102 已是“新城区”的代码", true},
			{"code of the league itself", `{"code":"150300","name":"乌海新区","parent_code":"150300"}`, "code", "taken", "乌海市", true},
			{"parent missing", `{"code":"150305","name":"乌海新区"}`, "parent_code", "required", "请选择所属盟市", true},
			{"parent unknown", `{"code":"150305","name":"乌海新区","parent_code":"159900"}`, "parent_code", "unknown_jurisdiction", "不存在", true},
			{"parent a county", `{"code":"150108","name":"某区","parent_code":"150102"}`, "parent_code", "not_league", "“新城区”不是盟市", true},
			{"parent the region", `{"code":"150305","name":"乌海新区","parent_code":"150000"}`, "parent_code", "not_league", "“内蒙古自治区”不是盟市", true},
			{"parent 满洲里", `{"code":"150789","name":"某市","parent_code":"150781"}`, "parent_code", "reports_directly", "自治区直接联系的县级市", true},
			{"parent 二连浩特", `{"code":"152503","name":"某旗","parent_code":"152501"}`, "parent_code", "reports_directly", "二连浩特市", true},
			{"name missing", `{"code":"150305","name":"  ","parent_code":"150300"}`, "name", "required", "请填写名称", true},
			{"name too long", `{"code":"150305","name":"` + long + `","parent_code":"150300"}`, "name", "too_long", "不超过 64 个字", true},
			{"name on two lines", `{"code":"150305","name":"海勃\nX","parent_code":"150300"}`, "name", "bad_name", "控制字符", true},
			{"name taken under the parent", `{"code":"150126","name":"新城区","parent_code":"150100"}`, "name", "taken",
				"呼和浩特市已有名为“新城区”的下级行政区划", true},
			{"area code without 0", `{"code":"150305","name":"乌海新区","parent_code":"150300","area_code":"473"}`, "area_code", "bad_area_code", "以 0 开头", true},
			{"area code too long", `{"code":"150305","name":"乌海新区","parent_code":"150300","area_code":"04731"}`, "area_code", "bad_area_code", "3 至 4 位", true},
		}
		for _, c := range cases {
			code, body := e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", c.body)
			require.Equal(t, http.StatusUnprocessableEntity, code, "%s: %v", c.name, body)
			require.Equal(t, "invalid", errCode(t, body), c.name)
			fields := apiErrFields(t, body)
			require.Equal(t, c.code, fields[c.field], "%s: fields %v", c.name, fields)
			if c.otherFieldsNil {
				require.Len(t, fields, 1, "%s: only the faulty field, got %v", c.name, fields)
			}
			if c.messageHas != "" {
				require.Contains(t, errFields(t, body)[c.field], c.messageHas, c.name)
			}
		}
		// Several faults at once come back together.
		code, body := e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":"x","name":"","parent_code":"150781","area_code":"1"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"code": "bad_code", "name": "required", "parent_code": "reports_directly", "area_code": "bad_area_code"},
			apiErrFields(t, body))
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":`)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "bad_json", errCode(t, body))

		require.Equal(t, before, e.jurisdictionCount(), "nothing inserted")
		require.Empty(t, e.auditRows("jurisdiction.create"))
	})
}

func TestCreateCountyNeedsJurisdictionManage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	before := e.jurisdictionCount()
	body := `{"code":"150305","name":"乌海新区","parent_code":"150300"}`
	for _, user := range []string{"hohhot", "region", "xincheng"} {
		denied := e.auditCount("jurisdiction.manage", models.OutcomeDenied)
		code, resp := e.apiDo(e.bearer(user), http.MethodPost, "/api/v1/jurisdictions", body)
		require.Equal(t, http.StatusForbidden, code, "%s: %v", user, resp)
		require.Equal(t, "forbidden", errCode(t, resp))
		require.Equal(t, denied+1, e.auditCount("jurisdiction.manage", models.OutcomeDenied), "%s's refusal is audited", user)
		code, _ = e.apiDo(e.bearer(user), http.MethodPatch, "/api/v1/jurisdictions/150102", `{"name":"新新城区"}`)
		require.Equal(t, http.StatusForbidden, code, user)
	}
	// Even a league official's invalid body gets no validation answer.
	code, _ := e.apiDo(e.bearer("hohhot"), http.MethodPost, "/api/v1/jurisdictions", `{"code":"x"}`)
	require.Equal(t, http.StatusForbidden, code)
	require.Equal(t, before, e.jurisdictionCount())
	j, err := e.db.JurisdictionByCode(context.Background(), "150102")
	require.NoError(t, err)
	require.Equal(t, "新城区", j.Name)
}

// seedCaseIn writes an open case of an enterprise with one open task for the league bureau,
// as the workflow's first step would.
func seedCaseIn(t *testing.T, db *models.DB, caseID string, ent models.Enterprise, league string) {
	t.Helper()
	task := models.Task{ID: "case-" + caseID + ".league_review.1.0", WorkflowID: "case-" + caseID, CaseID: caseID, Kind: "league_review",
		Title: workflows.Kinds["league_review"].Title + "：" + ent.Name, Stage: "league_review", CandidateRole: models.RoleLeagueOfficial,
		CandidateDomain: league, JurisdictionCode: ent.JurisdictionCode, LeagueCode: league, EnterpriseName: ent.Name, CampaignID: "2027"}
	_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "seed-" + caseID, Case: &models.Case{ID: caseID,
		WorkflowID: "case-" + caseID, CampaignID: "2027", EnterpriseID: ent.ID, EnterpriseName: ent.Name, ApplicationID: "app-" + caseID,
		ApplicationVersion: 1, JurisdictionCode: ent.JurisdictionCode, LeagueCode: league, Stage: "league_review", Status: "open",
		WaitingOn: models.RoleLeagueOfficial, SLAState: models.SLAOnTime}, OpenTasks: []models.Task{task}})
	require.NoError(t, err)
}

func TestCreatedCountyIsListedAuditedAndAuthorizedAtOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		admin, ordos, baotou := e.bearer("admin"), e.bearer("ordos"), e.bearer("baotou")

		// Before: 鄂尔多斯新区 is unknown, so not even 鄂尔多斯 may look at it.
		code, _ := e.apiDo(ordos, http.MethodGet, "/api/v1/jurisdictions?under=150629", "")
		require.Equal(t, http.StatusForbidden, code)

		code, body := e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":" 150629 ","name":" 鄂尔多斯新区 ","parent_code":"150600"}`)
		require.Equal(t, http.StatusCreated, code, "%v", body)
		require.Equal(t, "150629", body["code"])
		require.Equal(t, "鄂尔多斯新区", body["name"], "trimmed")
		require.Equal(t, models.LevelCounty, body["level"])
		require.Equal(t, "150600", body["parent_code"])
		require.Equal(t, "0477", body["area_code"], "the league's area code by default")
		require.Equal(t, false, body["reports_directly"])

		// Stored after its siblings, and listed under its league.
		js, err := db.Jurisdictions(ctx)
		require.NoError(t, err)
		var created models.Jurisdiction
		for _, j := range js {
			if j.Code == "150629" {
				created = j
			}
		}
		require.Equal(t, "150629", created.Code)
		for _, j := range js {
			if j.Parent() == "150600" && j.Code != "150629" {
				require.Greater(t, created.SortOrder, j.SortOrder, "after sibling %s", j.Code)
			}
		}
		require.Contains(t, e.listedCodes(admin, ""), "150629")
		require.Contains(t, e.listedCodes(ordos, ""), "150629", "in the league's own list")
		require.NotContains(t, e.listedCodes(baotou, ""), "150629")

		// Audited, by the administrator, filed under the new county.
		rows := e.auditRows("jurisdiction.create")
		require.Len(t, rows, 1)
		require.Equal(t, "admin", rows[0].ActorName)
		require.Equal(t, models.RoleSysadmin, rows[0].Role)
		require.Equal(t, models.OutcomeOK, rows[0].Outcome)
		require.Equal(t, "jurisdiction", rows[0].ObjectType)
		require.Equal(t, "150629", rows[0].ObjectID)
		require.Equal(t, "150629", rows[0].JurisdictionCode)
		require.Equal(t, "name=鄂尔多斯新区 parent=150600 area_code=0477", rows[0].AfterState)
		rep, err := db.VerifyAudit(ctx)
		require.NoError(t, err)
		require.True(t, rep.OK, "the chain holds")

		// The same code or the same name under the league again: refused.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":"150629","name":"另一旗","parent_code":"150600"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"code": "taken"}, apiErrFields(t, body))
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":"150628","name":"鄂尔多斯新区","parent_code":"150600"}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, map[string]string{"name": "taken"}, apiErrFields(t, body))
		// The same name under another league is another place.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":"150305","name":"鄂尔多斯新区","parent_code":"150300","area_code":"0473"}`)
		require.Equal(t, http.StatusCreated, code, "%v", body)

		// The league's official, granted before the county existed, reaches it at once; a
		// sibling league does not.
		code, _ = e.apiDo(ordos, http.MethodGet, "/api/v1/jurisdictions?under=150629", "")
		require.Equal(t, http.StatusOK, code)
		code, _ = e.apiDo(baotou, http.MethodGet, "/api/v1/jurisdictions?under=150629", "")
		require.Equal(t, http.StatusForbidden, code)

		// A county bureau account can be bound to it and works there.
		code, body = e.apiDo(admin, http.MethodPost, "/api/v1/users",
			`{"username":"dalate","display_name":"鄂尔多斯新区人社局 白干事","password":"county-password-1","role":"county_official","jurisdiction_code":"150629"}`)
		require.Equal(t, http.StatusCreated, code, "%v", body)
		county := e.bearer2("dalate", "county-password-1")
		require.Equal(t, []string{"150629"}, e.listedCodes(county, ""))

		// An enterprise registers in it.
		reg := goodRegistration(t, 21)
		reg.CountyCode, reg.EnterpriseName, reg.Address = "150629", "鄂尔多斯新区示范煤化工有限公司", "鄂尔多斯市鄂尔多斯新区树林召镇示范路1号"
		status, out, raw, _ := e.register(e.browser(), reg)
		require.Equal(t, http.StatusCreated, status, raw)
		require.Equal(t, "150629", out.Enterprise.JurisdictionCode)
		ent, err := db.EnterpriseByID(ctx, out.Enterprise.ID)
		require.NoError(t, err)

		// Its case is read by the county, the league and the region, not by another league.
		seedCaseIn(t, db, "dalate-1", ent, "150600")
		for _, c := range []struct {
			who, token string
			want       int
		}{
			{"ordos", ordos, http.StatusOK}, {"dalate", county, http.StatusOK}, {"region", e.bearer("region"), http.StatusOK},
			{"baotou", baotou, http.StatusForbidden}, {"xincheng", e.bearer("xincheng"), http.StatusForbidden},
		} {
			code, body := e.apiDo(c.token, http.MethodGet, "/api/v1/cases/dalate-1", "")
			require.Equal(t, c.want, code, "%s reads the case: %v", c.who, body)
		}
		code, body = e.apiDo(ordos, http.MethodGet, "/api/v1/tasks/case-dalate-1.league_review.1.0", "")
		require.Equal(t, http.StatusOK, code, "%v", body)
		code, body = e.apiDo(ordos, http.MethodGet, "/api/v1/cases", "")
		require.Equal(t, http.StatusOK, code)
		raw2, _ := json.Marshal(body)
		require.Contains(t, string(raw2), `"dalate-1"`, "in the league's case list")
	})
}
