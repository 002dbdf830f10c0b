package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The audit administrator exports the filtered audit log from the audit page; others cannot.
func TestAuditExportPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.login("auditadmin")
	resp, page := e.get(c, "/admin/audit?action=login")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, "导出 Excel")
	require.Contains(t, page, `href="/admin/audit/export?action=login&amp;format=csv"`)
	resp, body := e.get(c, "/admin/audit/export?action=login&format=csv")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/csv")
	require.Contains(t, resp.Header.Get("Content-Disposition"), "attachment")
	require.Contains(t, body, "序号,时间,操作人")
	require.Contains(t, body, "auditadmin", "the login rows")
	resp, _ = e.get(c, "/admin/audit/export?format=xlsx")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "spreadsheetml")
	require.Equal(t, int64(2), e.auditCount("audit.export", models.OutcomeOK))

	resp, _ = e.get(c, "/admin/audit/export?from=2027-99-01&action=login")
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	require.Equal(t, "/admin/audit?action=login&from=2027-99-01", resp.Header.Get("Location"))
	require.Contains(t, flashOf(resp), "日期")

	for _, who := range []string{"admin", "secadmin", "region"} {
		cl := e.login(who)
		resp, _ = e.get(cl, "/admin/audit/export?format=csv")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, who)
	}
	_, page = e.get(e.login("region"), "/admin/audit")
	require.NotContains(t, page, "导出 Excel", "the region reads the log but does not export it")
}

// The security administrator's policy page shows the effective policy; no other role reaches it.
func TestSecurityPolicyPage(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	c := e.login("secadmin")
	resp, page := e.get(c, "/")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, page, `href="/admin/security-policy"`)
	resp, page = e.get(c, "/admin/security-policy")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, want := range []string{"安全策略", "口令有效期", "90 天", "最近 5 次", "双因素登录", "未配置", "不设硬锁定", "国际算法"} {
		require.Contains(t, page, want)
	}
	require.False(t, strings.Contains(page, "SKILLCERT_"), "no variable names on the page")
	require.Equal(t, int64(1), e.auditCount("policy.read", models.OutcomeOK))
	for _, who := range []string{"admin", "auditadmin", "region", "dairy"} {
		resp, _ = e.get(e.login(who), "/admin/security-policy")
		require.Equal(t, http.StatusForbidden, resp.StatusCode, who)
	}
}
