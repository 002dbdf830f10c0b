package web

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The appraisal centre keeps the expert pool on a page: an expert account created through user
// administration is listed as not entered, the form enters it, a wrong entry shows its fault
// next to the field, and other officials cannot reach the page.
func TestExpertPoolPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	centre := e.login("centre")
	body := e.pageOK(centre, "/admin/experts", http.StatusOK)
	require.Contains(t, body, "评估专家库")
	require.Contains(t, body, "expert1")
	require.Contains(t, body, `action="/admin/experts/import"`)

	resp, body := e.postForm(centre, "/admin/experts", url.Values{"csrf_token": {csrfOf(t, body)}, "username": {"expert1"}, "field": {""}, "active": {"1"}})
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	require.Contains(t, body, "请填写专业领域。")

	resp, _ = e.postForm(centre, "/admin/experts", url.Values{"csrf_token": {csrfOf(t, body)}, "username": {"expert1"}, "field": {"乳品加工"},
		"occupations": {"6-02-04-01"}, "employer": {"某乳业公司"}, "active": {"1"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	u, err := e.db.UserByUsername(ctx, "expert1")
	require.NoError(t, err)
	ex, err := e.db.ExpertByUser(ctx, u.ID)
	require.NoError(t, err)
	require.Equal(t, "乳品加工", ex.Field)
	require.True(t, ex.Active)
	body = e.pageOK(centre, "/admin/experts", http.StatusOK)
	require.Contains(t, body, "已保存专家 expert1 的入库信息")

	require.Contains(t, e.pageOK(e.login("hohhot"), "/admin/experts", http.StatusForbidden), "无权")
}
