package service

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/exports"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
)

// The ledger (工作台账) of the dairy enterprise, read back from its XLSX: sittings, candidates
// with results and certificates, its 文号 and 备案号; ID numbers in full for the enterprise and
// its league, masked for the county; another league and another enterprise are refused.
func TestEnterpriseLedgerXLSX(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		cs := seedPublishedCase(t, db)
		now := time.Now().UTC()
		exam := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
		require.NoError(t, db.Create(&models.AssessmentSession{ID: "sitting-0001", WorkflowID: "session-sitting-0001", CaseID: cs.ID,
			EnterpriseID: cs.EnterpriseID, EnterpriseName: cs.EnterpriseName, JurisdictionCode: cs.JurisdictionCode, OccupationCode: "6-02-04-01",
			OccupationName: "乳品加工工", Level: 4, ExamDate: exam, Site: "=HYPERLINK(\"x\")", AssessorsJSON: `[{"name":"考评员甲"}]`,
			Status: models.SessionIssued, CreatedAt: now, UpdatedAt: now}).Error)
		sealed, err := e.s.apps.sealer.Seal("11010519491231002X")
		require.NoError(t, err)
		theory, skill := 82, 75
		cand := models.SessionCandidate{SessionID: "sitting-0001", Name: "考生甲", IDCipher: sealed.Cipher, IDLookup: sealed.Lookup,
			IDMasked: sealed.Masked, Employee: true, Theory: &theory, Skill: &skill, Ethics: "良好", CreatedAt: now, UpdatedAt: now}
		require.NoError(t, db.AddCandidate(ctx, &cand))
		require.NoError(t, db.Model(&models.SessionCandidate{}).Where("id = ?", cand.ID).Updates(map[string]any{"result": "pass",
			"audit_status": "approved", "certificate_number": "Y000015000123264000001"}).Error)
		require.NoError(t, db.Create(&models.Certificate{ID: models.NewID(), Number: "Y000015000123264000001", EnterpriseID: cs.EnterpriseID,
			CaseID: cs.ID, SessionID: "sitting-0001", CandidateKey: "k1", HolderName: "考生甲", IDCipher: sealed.Cipher, IDLookup: sealed.Lookup,
			IDMasked: sealed.Masked, OccupationCode: "6-02-04-01", OccupationName: "乳品加工工", WorkType: "--", Level: validate.Level(4),
			IssueDate: time.Date(2026, 10, 9, 0, 0, 0, 0, time.UTC), IssuerName: cs.EnterpriseName, Status: models.CertificateValid,
			Token: "tok1", Signature: "s", CreatedAt: now}).Error)

		read := func(who string) *excelize.File {
			l, err := e.s.EnterpriseLedger(ctx, e.actor(who), cs.EnterpriseID)
			require.NoError(t, err, who)
			b, err := exports.LedgerXLSX(l)
			require.NoError(t, err)
			f, err := excelize.OpenReader(bytesReader(b))
			require.NoError(t, err)
			t.Cleanup(func() { _ = f.Close() })
			return f
		}
		cell := func(f *excelize.File, sheet, ref string) string {
			v, err := f.GetCellValue(sheet, ref)
			require.NoError(t, err)
			return v
		}
		f := read("dairy")
		require.Equal(t, []string{exports.LedgerOverviewSheet, exports.LedgerSittingsSheet, exports.LedgerCandidatesSheet, exports.LedgerCertificateSheet}, f.GetSheetList())
		require.Equal(t, "呼和浩特乳业示范有限公司职业技能等级认定工作台账", cell(f, exports.LedgerOverviewSheet, "A1"))
		require.Equal(t, "内人社办发〔2026〕1号", cell(f, exports.LedgerOverviewSheet, "B4"))
		require.Equal(t, "内人社技备〔2026〕150100-001号", cell(f, exports.LedgerOverviewSheet, "B5"))
		rows, err := f.GetRows(exports.LedgerSittingsSheet)
		require.NoError(t, err)
		require.Equal(t, exports.LedgerSittingsHeader, rows[1])
		require.Equal(t, []string{"1", "sitting-", "乳品加工工", "6-02-04-01", validate.Level(4).Name(), "2026-09-01", "=HYPERLINK(\"x\")", "考评员甲", "1", "1", "已发证"}, rows[2])
		rows, err = f.GetRows(exports.LedgerCandidatesSheet)
		require.NoError(t, err)
		require.Equal(t, exports.LedgerCandidatesHeader, rows[1])
		require.Equal(t, []string{"1", "sitting-", "乳品加工工", validate.Level(4).Name(), "考生甲", "11010519491231002X", "82", "75", "", "良好", "",
			"合格", "审核通过", "Y000015000123264000001"}, rows[2])
		rows, err = f.GetRows(exports.LedgerCertificateSheet)
		require.NoError(t, err)
		require.Equal(t, []string{"1", "Y000015000123264000001", "考生甲", "11010519491231002X", "乳品加工工（--）", validate.Level(4).Name(),
			"2026-10-09", "有效", "sitting-"}, rows[2])

		// The league: full numbers, audited as a reading of personal data.
		f = read("hohhot")
		require.Equal(t, "11010519491231002X", cell(f, exports.LedgerCandidatesSheet, "F3"))
		var reads int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ? AND object_id = ?", "personal_data.read", cs.EnterpriseID).Count(&reads).Error)
		require.EqualValues(t, 1, reads)
		// The county: masked.
		f = read("saihan")
		require.Equal(t, sealed.Masked, cell(f, exports.LedgerCandidatesSheet, "F3"))
		require.Equal(t, sealed.Masked, cell(f, exports.LedgerCertificateSheet, "D3"))
		require.NotContains(t, sealed.Masked, "19491231")

		for _, who := range []string{"baotou", "rare", "kundulun"} {
			_, err := e.s.EnterpriseLedger(ctx, e.actor(who), cs.EnterpriseID)
			require.Error(t, err, who)
		}
	})
}

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
