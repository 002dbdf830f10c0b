package api

import (
	"net/http"
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
