package api

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
)

// The API defects found by checking the API with outside tools (issue 17), one test each.

// TestRevokeCertificateByNumber: a client holds the certificate's number, not its internal ID;
// revoking by the number works, and by the ID still does.
func TestRevokeCertificateByNumber(t *testing.T) {
	e := newCertEnv(t, dbtest.New(t, models.SQLite))
	a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
	b := e.issue(certDairyID, "b", "李四", certHolderB, validate.Level4, "")
	centre := e.bearer("centre")
	code, out := e.apiDo(centre, http.MethodPost, "/api/v1/certificates/"+a.Number+"/revoke", `{"reason":"证书信息有误"}`)
	require.Equal(t, http.StatusOK, code, "%v", out)
	require.Equal(t, a.Number, out["number"])
	require.Equal(t, "revoked", out["status"])
	code, out = e.apiDo(centre, http.MethodPost, "/api/v1/certificates/"+b.ID+"/revoke", `{"reason":"证书信息有误"}`)
	require.Equal(t, http.StatusOK, code, "by internal ID: %v", out)
	code, _ = e.apiDo(centre, http.MethodPost, "/api/v1/certificates/S000000000000000000000/revoke", `{"reason":"x"}`)
	require.Equal(t, http.StatusNotFound, code)
}

// TestMistypedOrMissingFieldIs422WithFields: one status for one kind of mistake; a field of the
// wrong type or a required field left out is 422 naming the field, on every route (the shared
// bodyError), while a body that is not JSON at all stays 400 bad_json.
func TestMistypedOrMissingFieldIs422WithFields(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	admin, baotou := e.bearer("admin"), e.bearer("baotou")
	cases := []struct {
		token, method, path, body, field string
	}{
		{baotou, http.MethodPut, "/api/v1/jurisdictions/150200/precheck", `{"reason":"细则"}`, "enabled"},
		{baotou, http.MethodPut, "/api/v1/jurisdictions/150200/precheck", `{"enabled":"yes"}`, "enabled"},
		{admin, http.MethodPost, "/api/v1/jurisdictions", `{"code":150299,"name":"新区","parent_code":"150200"}`, "code"},
	}
	for _, c := range cases {
		code, body := e.apiDo(c.token, c.method, c.path, c.body)
		require.Equal(t, http.StatusUnprocessableEntity, code, "%s %s %s: %v", c.method, c.path, c.body, body)
		require.Contains(t, apiErrFields(t, body), c.field, "%s %s", c.path, c.body)
	}
	code, body := e.apiDo(baotou, http.MethodPut, "/api/v1/jurisdictions/150200/precheck", `{"enabled":`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "bad_json", errCode(t, body))
}

// TestListsShareOneEnvelope: every list answers items, the total across pages, and the limit
// and offset applied; an empty list is [] (never null).
func TestListsShareOneEnvelope(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	league := e.bearer("hohhot")

	// Occupations: total counts every match, not the page.
	code, body := e.apiDo(league, http.MethodGet, "/api/v1/occupations?q=工&limit=2", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body["items"], 2)
	require.Greater(t, body["total"], float64(2), "total across pages")
	require.Equal(t, float64(2), body["limit"])
	_, second := e.apiDo(league, http.MethodGet, "/api/v1/occupations?q=工&limit=2&offset=2", "")
	require.Equal(t, float64(2), second["offset"])
	require.NotEqual(t, body["items"], second["items"])

	// A whole list: limit is the page size asked for, not the count.
	code, body = e.apiDo(league, http.MethodGet, "/api/v1/jurisdictions?limit=3", "")
	require.Equal(t, http.StatusOK, code)
	require.Len(t, body["items"], 3)
	require.Equal(t, float64(3), body["limit"])
	require.Greater(t, body["total"], float64(3))

	// Notifications page.
	user, err := db.UserByUsername(context.Background(), "hohhot")
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		require.NoError(t, db.Create(&models.Notification{ID: "n-" + string(rune('a'+i)), DedupeKey: "n-" + string(rune('a'+i)), UserID: user.ID, Kind: "new_task", Subject: "新待办",
			CreatedAt: time.Now().Add(time.Duration(i) * time.Minute)}).Error)
	}
	code, body = e.apiDo(league, http.MethodGet, "/api/v1/notifications?limit=2&offset=1", "")
	require.Equal(t, http.StatusOK, code, "%v", body)
	require.Len(t, body["items"], 2)
	require.Equal(t, float64(3), body["total"])
	require.Equal(t, float64(1), body["offset"])

	// An empty public list is [].
	resp, err := http.Get(e.srv.URL + "/api/v1/public/supervision")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, string(raw), `"items":[]`)
}

// TestJSONFieldsAreJSONAndDatesAreDates: stored JSON text is answered as JSON under the field's
// name without _json, and a sitting's exam date as the planned day.
func TestJSONFieldsAreJSONAndDatesAreDates(t *testing.T) {
	in := `{"id":"c1","approved_json":"[{\"code\":\"6-02-04-01\",\"levels\":{\"low\":5,\"high\":3}}]","panel_json":"",` +
		`"items":[{"exam_date":"2027-05-19T16:00:00Z","assessors_json":"[{\"name\":\"甲\"}]"}],` +
		`"assignments":[{"session_id":"s"}],"assignments_json":"[{\"session_id\":\"s\"}]","big":12345678901234567}`
	out, err := reshapeJSON([]byte(in))
	require.NoError(t, err)
	require.JSONEq(t, `{"id":"c1","approved":[{"code":"6-02-04-01","levels":{"low":5,"high":3}}],"panel":null,`+
		`"items":[{"exam_date":"2027-05-20","assessors":[{"name":"甲"}]}],"assignments":[{"session_id":"s"}],"big":12345678901234567}`, string(out))
}

// TestCertificateReportFieldsAreDocumented: every field /reports/certificates answers is in its
// schema (assessed, passed and pass_rate were missing).
func TestCertificateReportFieldsAreDocumented(t *testing.T) {
	e := newCertEnv(t, dbtest.New(t, models.SQLite))
	e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
	code, out := e.apiDo(e.bearer("region"), http.MethodGet, "/api/v1/reports/certificates?group=level", "")
	require.Equal(t, http.StatusOK, code)
	schemas := asMap(t, asMap(t, parseOpenAPI(t)["components"], "components")["schemas"], "schemas")
	documented := func(schema string) map[string]any {
		return asMap(t, asMap(t, schemas[schema], schema)["properties"], schema+".properties")
	}
	for k := range out {
		require.Contains(t, documented("CertificateReport"), k)
	}
	rows := append([]any{out["totals"]}, out["items"].([]any)...)
	for _, r := range rows {
		for k := range r.(map[string]any) {
			require.Contains(t, documented("CertificateCount"), k)
		}
	}
}
