package service

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// seedPublishedCase puts a case of the demo dairy enterprise (呼和浩特, 赛罕区) in the directory's
// first batch of campaign 2027 (published 2027-06-05) with its work plan filed on 2027-07-01.
func seedPublishedCase(t *testing.T, db *models.DB) models.Case {
	t.Helper()
	ctx := context.Background()
	pub := time.Date(2026, 6, 5, 2, 0, 0, 0, time.UTC)
	cs := models.Case{ID: "case-dairy", WorkflowID: "case-dairy", CampaignID: "2027", EnterpriseID: "00000000-0000-7000-8000-000000000101",
		EnterpriseName: "呼和浩特乳业示范有限公司", ApplicationID: "app-dairy", ApplicationVersion: 1, JurisdictionCode: "150105",
		LeagueCode: "150100", Stage: "active", Status: "open", Batch: 1, SLAState: models.SLAOnTime}
	_, err := db.ApplyTransition(ctx, models.Transition{Key: "seed-case", At: pub,
		Campaign: &models.Campaign{ID: "2027", Year: 2027, CollectionDeadline: pub.AddDate(0, 0, -20), PublicationTarget: pub,
			Status: "published", Batch1PublishedAt: &pub},
		League: &models.LeagueCollection{ID: "2027-150100", CampaignID: "2027", JurisdictionCode: "150100", Status: "collecting"},
		Case:   &cs,
		Directory: []models.DirectoryEntry{{CaseID: cs.ID, CampaignID: "2027", EnterpriseID: cs.EnterpriseID, Batch: 1,
			EnterpriseName: cs.EnterpriseName, JurisdictionCode: cs.JurisdictionCode, OccupationsJSON: "[]", Status: "active"}}})
	require.NoError(t, err)
	filed := time.Date(2026, 7, 1, 3, 0, 0, 0, time.UTC)
	require.NoError(t, db.Create(&models.Task{ID: "task-file", WorkflowID: cs.WorkflowID, CaseID: cs.ID, Kind: "file_work_plan", Title: "工作方案备案",
		Stage: "filing", CandidateRole: models.RoleRegionOfficial, CandidateDomain: models.RegionCode, JurisdictionCode: cs.JurisdictionCode,
		LeagueCode: cs.LeagueCode, EnterpriseName: cs.EnterpriseName, CampaignID: "2027", Status: models.TaskDone, SLAState: models.SLAOnTime,
		DueAt: filed, Outcome: "file", DecidedAt: &filed, Version: 2, CreatedAt: filed, UpdatedAt: filed}).Error)
	return cs
}

// The numbers of a published batch and a filed work plan come from the configured patterns,
// once, and are shown to whoever may read the case; a batch not published has none.
func TestCaseNumbersFromThePatterns(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		cs := seedPublishedCase(t, db)
		rec, err := e.s.RecordsOfCase(ctx, e.actor("dairy"), cs)
		require.NoError(t, err)
		require.Equal(t, "内人社办发〔2026〕1号", rec.Numbers.Publication)
		require.Equal(t, "内人社技备〔2026〕150100-001号", rec.Numbers.Filing)
		require.False(t, rec.MayRecordPaper, "the enterprise does not record its own paper copy")

		// Read again (by the league): the same numbers, nothing new drawn.
		rec, err = e.s.RecordsOfCase(ctx, e.actor("hohhot"), cs)
		require.NoError(t, err)
		require.Equal(t, "内人社办发〔2026〕1号", rec.Numbers.Publication)
		require.True(t, rec.MayRecordPaper)
		n, err := e.s.PublicationNumber(ctx, e.actor("region"), "2027", 1)
		require.NoError(t, err)
		require.Equal(t, "内人社办发〔2026〕1号", n)
		n, err = e.s.PublicationNumber(ctx, e.actor("region"), "2027", 2)
		require.NoError(t, err)
		require.Empty(t, n, "batch 2 is not published")
		var allocations int64
		require.NoError(t, db.Model(&models.AuditEntry{}).Where("action = ?", "document_number.allocate").Count(&allocations).Error)
		require.EqualValues(t, 2, allocations)

		// Another league's official may not read the case.
		_, err = e.s.RecordsOfCase(ctx, e.actor("baotou"), cs)
		require.Error(t, err)
	})
}

// The league records the receipt of the paper application on the case (checked, audited,
// correctable); the summary lists the cases without one; nobody else records it.
func TestPaperReceiptRecordedByTheLeague(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		cs := seedPublishedCase(t, db)
		sum, err := e.s.ReadLeagueSummary(ctx, e.actor("hohhot"), "150100")
		require.NoError(t, err)
		require.Equal(t, []string{cs.EnterpriseName}, sum.MissingPaper)

		for _, who := range []string{"baotou", "dairy", "saihan", "region"} {
			_, err := e.s.RecordPaperReceipt(ctx, e.actor(who), cs.ID, PaperReceiptInput{ReceivedOn: "2026-06-10", ReceivedBy: "王科员"})
			require.Error(t, err, who)
		}
		_, err = e.s.RecordPaperReceipt(ctx, e.actor("hohhot"), cs.ID, PaperReceiptInput{ReceivedOn: "2099-01-01", ReceivedBy: ""})
		var se *Error
		require.True(t, errors.As(err, &se))
		require.Equal(t, 422, se.Status)
		fields := map[string]bool{}
		for _, f := range se.Fields {
			fields[f.Field] = true
		}
		require.True(t, fields["received_on"] && fields["received_by"], "%v", se.Fields)

		today := time.Now().In(time.UTC).Format("2006-01-02")
		r, err := e.s.RecordPaperReceipt(ctx, e.actor("hohhot"), cs.ID, PaperReceiptInput{ReceivedOn: today, ReceivedBy: " 王科员 ", Remark: "盖章齐全"})
		require.NoError(t, err)
		require.Equal(t, "王科员", r.ReceivedBy)
		_, err = e.s.RecordPaperReceipt(ctx, e.actor("hohhot"), cs.ID, PaperReceiptInput{ReceivedOn: today, ReceivedBy: "李科员"})
		require.NoError(t, err)

		rec, err := e.s.RecordsOfCase(ctx, e.actor("dairy"), cs)
		require.NoError(t, err)
		require.NotNil(t, rec.PaperReceipt)
		require.Equal(t, "李科员", rec.PaperReceipt.ReceivedBy)
		require.Equal(t, today+" 由李科员接收", PaperReceiptText(rec.PaperReceipt))

		sum, err = e.s.ReadLeagueSummary(ctx, e.actor("hohhot"), "150100")
		require.NoError(t, err)
		require.Empty(t, sum.MissingPaper)
		require.Contains(t, sum.PaperReceipts, cs.ID)

		var audits []models.AuditEntry
		require.NoError(t, db.Where("action = ?", "case.paper_receipt").Order("seq").Find(&audits).Error)
		require.Len(t, audits, 2)
		require.Empty(t, audits[0].BeforeState)
		require.Equal(t, today+" 王科员 接收", audits[1].BeforeState)
		require.Equal(t, today+" 李科员 接收", audits[1].AfterState)
	})
}
