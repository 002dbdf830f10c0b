package activities_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/models/validate"
)

var issueKey = ed25519.NewKeyFromSeed([]byte("certificate-signing-seed-32bytes"))

const (
	holderID  = "150102199003070015" // valid, computed with validate.IDNumberCheckChar
	holderID2 = "11010519491231002X"
)

func sealerForTest(t *testing.T) *pii.Sealer {
	t.Helper()
	s, err := pii.New([]byte("data-key-data-key-data-key-32byt"), []byte("lookup-key-lookup-key-lookup-key"))
	require.NoError(t, err)
	return s
}

func issuingEnterprise(t *testing.T, db *models.DB) models.Enterprise {
	t.Helper()
	e := models.Enterprise{Name: "包头稀土冶炼示范股份有限公司", CreditCode: "91150203MA0N00002N", JurisdictionCode: "150203",
		CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	require.NoError(t, db.CreateEnterprise(context.Background(), &e))
	// Its pilot is in force: certificates may be issued in its cases.
	for _, id := range []string{"case-7", "case-s"} {
		pilotCase(t, db, e, id, "active_pilot")
	}
	return e
}

// pilotCase stores the projection row of an enterprise's case in a stage.
func pilotCase(t *testing.T, db *models.DB, e models.Enterprise, id, stage string) {
	t.Helper()
	_, err := db.ApplyTransition(context.Background(), models.Transition{Key: "case-row-" + id, Case: &models.Case{ID: id, WorkflowID: "case-" + id,
		CampaignID: "2027", EnterpriseID: e.ID, EnterpriseName: e.Name, ApplicationID: id, ApplicationVersion: 1,
		JurisdictionCode: e.JurisdictionCode, LeagueCode: "150200", Stage: stage, Status: "open", SLAState: models.SLAOnTime}})
	require.NoError(t, err)
}

func candidate(t *testing.T, s *pii.Sealer, key, name, id string, level int) activities.IssueCandidate {
	t.Helper()
	p, err := s.Seal(id)
	require.NoError(t, err)
	return activities.IssueCandidate{Key: key, Name: name, IDCipher: p.Cipher, IDLookup: p.Lookup, IDMasked: p.Masked,
		OccupationCode: "6-17-07-04", OccupationName: "稀土冶炼工", Level: level}
}

func TestIssueCertificatesActivity(t *testing.T) {
	c17, _ := validate.IDNumberCheckChar(holderID[:17])
	require.Equal(t, holderID[17], c17, "test ID number is valid")
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		var ts testsuite.WorkflowTestSuite
		ts.SetLogger(sdklog.NewStructuredLogger(quietLogger()))
		env := ts.NewTestActivityEnvironment()
		a := &activities.Activities{DB: db, Logger: quietLogger(), SigningKey: issueKey}
		env.RegisterActivity(a)
		s := sealerForTest(t)
		ent := issuingEnterprise(t, db)
		in := activities.IssueInput{SessionID: "session-7", EnterpriseID: ent.ID, CaseID: "case-7",
			IssueDate:  time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), // 1 January 2027 in Shanghai
			Candidates: []activities.IssueCandidate{candidate(t, s, "c1", "王五", holderID, 4), candidate(t, s, "c2", "赵六", holderID2, 4)}}

		v, err := env.ExecuteActivity(a.IssueCertificates, in)
		require.NoError(t, err)
		var res activities.IssueResult
		require.NoError(t, v.Get(&res))
		require.Len(t, res.Numbers, 2)
		for i, n := range res.Numbers {
			p, err := validate.ParseCertificateNumber(n)
			require.NoError(t, err)
			require.Equal(t, 2027, p.Year, "the year is the Shanghai issue day's")
			require.Equal(t, validate.Level4, p.Level)
			require.Equal(t, i+1, p.Serial)
			c, err := db.CertificateByNumber(context.Background(), n)
			require.NoError(t, err)
			require.Equal(t, res.CertificateIDs[i], c.ID)
			require.True(t, models.VerifyCertificate(issueKey.Public().(ed25519.PublicKey), c), "signed with the worker's key")
			require.Equal(t, "session-7", c.SessionID)
		}

		// A retry (or a workflow asking again) gets the same numbers.
		v, err = env.ExecuteActivity(a.IssueCertificates, in)
		require.NoError(t, err)
		var again activities.IssueResult
		require.NoError(t, v.Get(&again))
		require.Equal(t, res, again)

		// Bad input is a non-retryable business error.
		bad := in
		bad.Candidates = []activities.IssueCandidate{candidate(t, s, "c3", "", holderID, 4)}
		_, err = env.ExecuteActivity(a.IssueCertificates, bad)
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "got %v", err)
		require.Equal(t, activities.ErrCertificateInvalid, appErr.Type())
		require.True(t, appErr.NonRetryable())
		require.NotContains(t, err.Error(), holderID)

		bad = in
		bad.Year = 2026
		_, err = env.ExecuteActivity(a.IssueCertificates, bad)
		require.True(t, errors.As(err, &appErr))
		require.Equal(t, activities.ErrCertificateInvalid, appErr.Type())

		// Without a key the worker issues nothing (and the error is retried).
		noKey := &activities.Activities{DB: db}
		_, err = noKey.IssueCertificates(context.Background(), in)
		require.Error(t, err)
	})
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// The certificate carries the holder's ID type, gender and photo from the candidate's record
// (the candidate key is the candidate's ID); a key that names no candidate of the session gets
// a resident ID type and no gender or photo.
func TestIssueCertificatesCopiesTheHolderIdentity(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	s := sealerForTest(t)
	ent := issuingEnterprise(t, db)
	pilotCase(t, db, ent, "case-8", "active_pilot")
	require.NoError(t, db.Create(&models.AssessmentSession{ID: "session-8", WorkflowID: "session-8", CaseID: "case-8", EnterpriseID: ent.ID,
		EnterpriseName: ent.Name, JurisdictionCode: "150203", OccupationCode: "6-17-07-04", OccupationName: "稀土冶炼工", Level: 4,
		ExamDate: time.Now(), Site: "考点", AssessorsJSON: "[]", Status: "submitted", CreatedAt: time.Now(), UpdatedAt: time.Now()}).Error)
	p, err := s.Seal("H01234567")
	require.NoError(t, err)
	cand := models.SessionCandidate{SessionID: "session-8", Name: "陈大文", IDCipher: p.Cipher, IDLookup: p.Lookup, IDMasked: p.Masked, Employee: true,
		HolderIdentity: models.HolderIdentity{IDType: "hk_macao_permit", Gender: "male", PhotoKey: "photo-k", PhotoType: "image/png", PhotoSHA256: "ab12"},
		CreatedAt:      time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, db.AddCandidate(ctx, &cand))
	a := &activities.Activities{DB: db, Logger: quietLogger(), SigningKey: issueKey}
	in := activities.IssueInput{SessionID: "session-8", EnterpriseID: ent.ID, CaseID: "case-8", IssueDate: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC),
		Candidates: []activities.IssueCandidate{
			{Key: cand.ID, Name: "陈大文", IDCipher: p.Cipher, IDLookup: p.Lookup, IDMasked: p.Masked, OccupationCode: "6-17-07-04", OccupationName: "稀土冶炼工", Level: 4},
			candidate(t, s, "no-such-candidate", "王五", holderID, 4)}}
	res, err := a.IssueCertificates(ctx, in)
	require.NoError(t, err)
	c, err := db.CertificateByID(ctx, res.CertificateIDs[0])
	require.NoError(t, err)
	require.Equal(t, models.HolderIdentity{IDType: "hk_macao_permit", Gender: "male", PhotoKey: "photo-k", PhotoType: "image/png", PhotoSHA256: "ab12"}, c.HolderIdentity)
	require.True(t, models.VerifyCertificate(issueKey.Public().(ed25519.PublicKey), c), "signed with the ID type's name")
	other, err := db.CertificateByID(ctx, res.CertificateIDs[1])
	require.NoError(t, err)
	require.Equal(t, models.HolderIdentity{IDType: "resident_id"}, other.HolderIdentity)
}
