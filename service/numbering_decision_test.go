package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// fakeDecider stands for the workflows: it applies what the decision would to the projection
// and answers the Update.
type fakeDecider struct {
	client.Client
	apply func(o client.UpdateWorkflowOptions)
}

func (f fakeDecider) UpdateWorkflow(_ context.Context, o client.UpdateWorkflowOptions) (client.WorkflowUpdateHandle, error) {
	f.apply(o)
	return decidedHandle{}, nil
}

type decidedHandle struct{ client.WorkflowUpdateHandle }

func (decidedHandle) Get(context.Context, any) error { return nil }

// The region's decisions give their documents numbers as soon as the workflow accepts them:
// 准予备案 a 备案号 for the case, 公布 a 文号 for the batch, both recorded as the region's.
func TestNumbersAllocatedAfterTheDecision(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		ctx := context.Background()
		cs := seedPublishedCase(t, db)
		require.NoError(t, db.Where("id = ?", "task-file").Delete(&models.Task{}).Error) // not filed yet
		now := time.Now().UTC()
		open := func(id, kind, caseID string, batch int) models.Task {
			tk := models.Task{ID: id, WorkflowID: "wf-" + id, CaseID: caseID, Kind: kind, Title: kind, Stage: "x",
				CandidateRole: models.RoleRegionOfficial, CandidateDomain: models.RegionCode, JurisdictionCode: models.RegionCode,
				LeagueCode: cs.LeagueCode, CampaignID: "2027", Batch: batch, Status: models.TaskOpen, SLAState: models.SLAOnTime,
				DueAt: now.Add(time.Hour), Version: 1, CreatedAt: now, UpdatedAt: now}
			require.NoError(t, db.Create(&tk).Error)
			return tk
		}
		fileTask := open("t-file", workflows.KindFileWorkPlan, cs.ID, 0)
		pubTask := open("t-pub", workflows.KindPublish, "", 2)
		e.s.UseTemporal(fakeDecider{apply: func(o client.UpdateWorkflowOptions) {
			req := o.Args[0].(workflows.DecisionRequest)
			at := time.Now().UTC()
			require.NoError(t, db.Model(&models.Task{}).Where("id = ?", req.TaskID).Updates(map[string]any{
				"status": models.TaskDone, "outcome": req.Outcome, "decided_at": at}).Error)
			if req.Outcome == "publish" {
				require.NoError(t, db.Model(&models.Campaign{}).Where("id = ?", "2027").Update("batch2_published_at", at).Error)
			}
		}})
		region := e.actor("region")

		n, err := db.DocumentNumberOf(ctx, domain.DocFiling, cs.ID)
		require.ErrorIs(t, err, models.ErrNotFound)
		_, err = e.s.SendDecision(ctx, region, fileTask, workflows.DecisionRequest{Outcome: "file"}, "k1")
		require.NoError(t, err)
		n, err = db.DocumentNumberOf(ctx, domain.DocFiling, cs.ID)
		require.NoError(t, err)
		require.Equal(t, domain.FormatDocumentNumber(domain.DefaultFilingNumberPattern, time.Now().In(time.UTC).Year(), "150100", 1), n.Number)
		require.Equal(t, region.User.ID, n.IssuedBy)

		_, err = e.s.SendDecision(ctx, region, pubTask, workflows.DecisionRequest{Outcome: "publish", Batch: 2}, "k2")
		require.NoError(t, err)
		n, err = db.DocumentNumberOf(ctx, domain.DocPublication, models.PublicationSubject("2027", 2))
		require.NoError(t, err)
		require.Equal(t, region.User.ID, n.IssuedBy)
		require.Contains(t, n.Number, "内人社办发〔")

		// The same request again (a retry) keeps the numbers.
		_, err = e.s.SendDecision(ctx, region, fileTask, workflows.DecisionRequest{Outcome: "file"}, "k1")
		require.Error(t, err, "closed task: the fake keeps no request key")
		var count int64
		require.NoError(t, db.Model(&models.DocumentNumber{}).Count(&count).Error)
		require.EqualValues(t, 2, count)
	})
}
