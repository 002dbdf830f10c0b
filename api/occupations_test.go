package api

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

func TestOccupationSearchAndRegionEditableExclusions(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	league, region := e.bearer("hohhot"), e.bearer("region")

	code, body := e.apiDo(league, http.MethodGet, "/api/v1/occupations?q=6-31-01-03", "")
	require.Equal(t, http.StatusOK, code)
	items := body["items"].([]any)
	require.Len(t, items, 1)
	require.Equal(t, "电工", items[0].(map[string]any)["name"])
	require.Equal(t, false, items[0].(map[string]any)["excluded"])

	// Only the region edits the list; a reason is required; the change takes effect at once.
	code, _ = e.apiDo(league, http.MethodPost, "/api/v1/occupations/exclusions", `{"code":"6-31-01-03","reason":"x"}`)
	require.Equal(t, http.StatusForbidden, code)
	code, body = e.apiDo(region, http.MethodPost, "/api/v1/occupations/exclusions", `{"code":"6-31-01-03"}`)
	require.Equal(t, http.StatusUnprocessableEntity, code)
	require.Equal(t, "reason", body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"])
	code, _ = e.apiDo(region, http.MethodPost, "/api/v1/occupations/exclusions", `{"code":"6-31-01-03","reason":"纳入准入类职业资格目录"}`)
	require.Equal(t, http.StatusCreated, code)
	_, body = e.apiDo(league, http.MethodGet, "/api/v1/occupations?q=6-31-01-03", "")
	require.Equal(t, true, body["items"].([]any)[0].(map[string]any)["excluded"])
	require.Equal(t, int64(1), e.auditCount("occupation.exclude", models.OutcomeOK))

	code, _ = e.apiDo(region, http.MethodDelete, "/api/v1/occupations/exclusions/电工", "")
	require.Equal(t, http.StatusNoContent, code)
	_, body = e.apiDo(league, http.MethodGet, "/api/v1/occupations?q=6-31-01-03", "")
	require.Equal(t, false, body["items"].([]any)[0].(map[string]any)["excluded"])
}

// Searching 车工 also finds names containing it, such as 汽车工程技术人员 (2-02-07-11), a
// professional occupation outside the skill-type groups: it has no levels, and its level text
// must say so rather than print the zero range as "无效等级(0)".
func TestOccupationSearchNamesNoLevelsForNonSkillOccupations(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	code, body := e.apiDo(e.bearer("hohhot"), http.MethodGet, "/api/v1/occupations?q="+url.QueryEscape("车工")+"&limit=50", "")
	require.Equal(t, http.StatusOK, code)
	byName := map[string]map[string]any{}
	for _, it := range body["items"].([]any) {
		o := it.(map[string]any)
		require.NotContains(t, o["levels_text"], "无效等级", "%s", o["name"])
		byName[o["name"].(string)] = o
	}
	require.Equal(t, "五级至一级", byName["车工"]["levels_text"])
	car, ok := byName["汽车工程技术人员"]
	require.True(t, ok, "汽车工程技术人员 is found by 车工")
	require.Equal(t, false, car["skillType"])
	require.Equal(t, "非技能类职业，不设等级", car["levels_text"])
}
