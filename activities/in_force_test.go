package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// After the region suspends or removes a pilot (or its case closes), its open sitting took a
// results submission and the appraisal centre's approval, and certificates were issued that the
// public query showed as valid. The sitting activities now refuse a case that is not an active
// pilot in force: reading the candidates (which every decision of a sitting does first) and
// issuing certificates fail with the non-retryable CaseNotInForce, and nothing is issued.
func TestSittingActivitiesRefuseACaseNotInForce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		a := &activities.Activities{DB: db, Logger: quietLogger(), SigningKey: issueKey}
		s := sealerForTest(t)
		ent := issuingEnterprise(t, db) // case-7 and case-s are active pilots
		for i, stage := range []string{"suspended", "closed", "awaiting_publication", "work_plan_filing"} {
			caseID := "case-" + stage
			pilotCase(t, db, ent, caseID, stage)
			sessionID := "session-" + stage
			_, err := db.ApplyTransition(ctx, models.Transition{Key: "sitting-" + stage, Session: &models.AssessmentSession{ID: sessionID,
				WorkflowID: "session-" + sessionID, CaseID: caseID, EnterpriseID: ent.ID, EnterpriseName: ent.Name, JurisdictionCode: ent.JurisdictionCode,
				OccupationCode: "6-17-07-04", OccupationName: "稀土冶炼工", Level: 4, ExamDate: time.Now().UTC(), Site: "考场", Status: models.SessionSubmitted}})
			require.NoError(t, err)
			require.NoError(t, db.AddCandidate(ctx, &models.SessionCandidate{SessionID: sessionID, Name: "王五"}))

			_, err = a.SessionCandidates(ctx, sessionID)
			requireType(t, err, activities.ErrCaseNotInForce, stage)

			_, err = a.IssueCertificates(ctx, activities.IssueInput{SessionID: sessionID, EnterpriseID: ent.ID, CaseID: caseID,
				IssueDate: time.Now(), Candidates: []activities.IssueCandidate{candidate(t, s, "c1", "王五", holderID, 4)}})
			requireType(t, err, activities.ErrCaseNotInForce, stage)
			var n int64
			require.NoError(t, db.Model(&models.Certificate{}).Where("session_id = ?", sessionID).Count(&n).Error)
			require.Zero(t, n, "no certificate for a case %s (%d)", stage, i)
		}
		// An issue that names no case is refused too.
		_, err := a.IssueCertificates(ctx, activities.IssueInput{SessionID: "s-none", EnterpriseID: ent.ID,
			IssueDate: time.Now(), Candidates: []activities.IssueCandidate{candidate(t, s, "c1", "王五", holderID, 4)}})
		requireType(t, err, activities.ErrCaseNotInForce, "no case")
	})
}

func requireType(t *testing.T, err error, typ, what string) {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%s: %v", what, err)
	require.Equal(t, typ, ae.Type(), what)
	require.True(t, ae.NonRetryable(), what)
}
