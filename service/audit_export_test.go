package service

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The audit administrator exports a filtered range as XLSX or CSV, and the export is audited;
// every other role is refused.
func TestAuditExport(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	e := newTestEnv(t, db)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		require.NoError(t, e.s.Audit(ctx, e.actor("hohhot"), models.AuditEntry{Action: "task.claim", ObjectType: "task", ObjectID: "t" + string(rune('1'+i)),
			Reason: "=HYPERLINK(\"x\") 电话 13812345678"}))
	}
	require.NoError(t, e.s.Audit(ctx, e.actor("baotou"), models.AuditEntry{Action: "task.decide", ObjectType: "task", ObjectID: "t9"}))

	for _, who := range []string{"admin", "secadmin", "region", "hohhot", "dairy"} {
		_, err := e.s.ExportAudit(ctx, e.actor(who), AuditExportInput{})
		require.Equal(t, "forbidden", errCode(err), who)
	}
	today := time.Now().In(time.UTC).Format("2006-01-02")
	in := AuditExportInput{AuditQuery: AuditQuery{Action: "task.claim", From: today, To: today}, Format: "csv",
		ActionName: func(a string) string { return map[string]string{"task.claim": "认领待办"}[a] }}
	out, err := e.s.ExportAudit(ctx, e.actor("auditadmin"), in)
	require.NoError(t, err)
	require.Equal(t, 3, out.Rows)
	require.True(t, strings.HasSuffix(out.Filename, ".csv"))
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out.Body, []byte("\ufeff")))).ReadAll()
	require.NoError(t, err)
	require.Len(t, recs, 4)
	require.Equal(t, "序号", recs[0][0])
	require.Equal(t, "hohhot", recs[1][2])
	require.Equal(t, "认领待办", recs[1][5])
	require.Equal(t, "t1", recs[1][7], "oldest first")
	require.True(t, strings.HasPrefix(recs[1][9], "'="), "no formula: %q", recs[1][9])
	require.Contains(t, recs[1][9], "138****5678", "mobile numbers masked")
	require.NotEmpty(t, recs[1][15], "the row's hash")

	in.Format = ""
	in.Action = ""
	out, err = e.s.ExportAudit(ctx, e.actor("auditadmin"), in)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(out.Filename, ".xlsx"))
	book, err := excelize.OpenReader(bytes.NewReader(out.Body))
	require.NoError(t, err)
	rows, err := book.GetRows("审计日志")
	require.NoError(t, err)
	require.Equal(t, out.Rows+1, len(rows))
	require.GreaterOrEqual(t, out.Rows, 5, "every action that day, the first export's audit row too")

	var exports []models.AuditEntry
	require.NoError(t, db.Where("action = ? AND outcome = ?", "audit.export", models.OutcomeDenied).Find(&exports).Error)
	require.Len(t, exports, 5, "each refusal audited as denied")
	require.NoError(t, db.Where("action = ? AND outcome = ?", "audit.export", models.OutcomeOK).Order("seq").Find(&exports).Error)
	require.Len(t, exports, 2, "each export audited")
	require.Equal(t, "auditadmin", exports[0].ActorName)
	require.Contains(t, exports[0].AfterState, "format=csv")
	require.Contains(t, exports[0].AfterState, "rows=3")

	_, err = e.s.ExportAudit(ctx, e.actor("auditadmin"), AuditExportInput{Format: "pdf"})
	require.Equal(t, "bad_format", errCode(err))
	_, err = e.s.ExportAudit(ctx, e.actor("auditadmin"), AuditExportInput{AuditQuery: AuditQuery{From: "2027-13-01"}})
	require.Equal(t, "bad_date", errCode(err))
}

// The security policy page's data: the security administrator only.
func TestSecurityPolicy(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	e.s.cfg.TwoFactorRequired = true
	e.s.cfg.OIDC = map[string]OIDCConfig{models.AudienceOfficial: {Issuer: "https://idp.example", ClientID: "c", ClientSecret: "s3cret", Claim: "staff_id"}}
	p, err := e.s.SecurityPolicy(ctx, e.actor("secadmin"))
	require.NoError(t, err)
	require.Equal(t, 90*24*time.Hour, p.PasswordMaxAge)
	require.True(t, p.TwoFactorRequired)
	require.Contains(t, p.SecondFactorRoles, models.RoleRegionOfficial)
	require.True(t, p.LoginThrottled)
	require.Len(t, p.OIDC, 2)
	require.False(t, p.OIDC[0].Configured, "enterprises: none")
	require.True(t, p.OIDC[1].Configured)
	for _, who := range []string{"admin", "auditadmin", "region"} {
		_, err := e.s.SecurityPolicy(ctx, e.actor(who))
		require.Equal(t, "forbidden", errCode(err), who)
	}
}
