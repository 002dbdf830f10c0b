package activities_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
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

// nationalFake is the national query system: it fails the first `failures` requests with 503
// and records every request.
type nationalFake struct {
	mu       sync.Mutex
	failures int
	status   int // answer after the failures; default 200
	requests []*http.Request
	bodies   []activities.NationalRecord
	raw      []string
	accepted map[string]int // idempotency key → successful deliveries
}

func (f *nationalFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var rec activities.NationalRecord
	_ = json.Unmarshal(b, &rec)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, rec)
	f.raw = append(f.raw, string(b))
	if len(f.requests) <= f.failures {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("busy: " + rec.HolderName)) // an echo that must not end up in last_error
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		return
	}
	if f.accepted == nil {
		f.accepted = map[string]int{}
	}
	f.accepted[r.Header.Get("Idempotency-Key")]++
	w.WriteHeader(http.StatusOK)
}

func (f *nationalFake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func issueOne(t *testing.T, db *models.DB, key string) models.Certificate {
	t.Helper()
	s := sealerForTest(t)
	var ent models.Enterprise
	if err := db.Where("credit_code = ?", "91150203MA0N00002N").First(&ent).Error; err != nil {
		ent = issuingEnterprise(t, db)
	}
	a := &activities.Activities{DB: db, SigningKey: issueKey}
	res, err := a.IssueCertificates(context.Background(), activities.IssueInput{SessionID: "s", EnterpriseID: ent.ID, CaseID: "case-s",
		IssueDate: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC), Candidates: []activities.IssueCandidate{candidate(t, s, key, "王五", holderID, 3)}})
	require.NoError(t, err)
	c, err := db.CertificateByID(context.Background(), res.CertificateIDs[0])
	require.NoError(t, err)
	return c
}

// deliverUntil runs DeliverDue until cond holds or a few seconds pass.
func deliverUntil(t *testing.T, syncer *activities.CertificateSync, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition not reached")
		_, err := syncer.DeliverDue(context.Background())
		require.NoError(t, err)
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCertificateSyncRetriesThenDeliversOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		fake := &nationalFake{failures: 2}
		srv := httptest.NewServer(fake)
		t.Cleanup(srv.Close)
		var logs bytes.Buffer
		syncer := &activities.CertificateSync{DB: db, Endpoint: srv.URL + "/api/certificates?key=secret-token", Client: srv.Client(),
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), RetryDelay: time.Millisecond}
		c := issueOne(t, db, "c1")

		rowOf := func(action string) models.CertificateSyncEntry {
			rows, err := db.CertificateSyncs(context.Background(), c.ID)
			require.NoError(t, err)
			for _, r := range rows {
				if r.Action == action {
					return r
				}
			}
			t.Fatalf("no %s row", action)
			return models.CertificateSyncEntry{}
		}
		deliverUntil(t, syncer, func() bool { return rowOf(models.SyncIssue).Status == models.SyncSent })

		row := rowOf(models.SyncIssue)
		require.Equal(t, 3, row.Attempts, "two failures and the delivery")
		require.NotNil(t, row.DeliveredAt)
		require.Equal(t, "national query system answered HTTP 503", row.LastError, "the last failure is kept, without the endpoint's body")
		require.Equal(t, 3, fake.count())
		require.Equal(t, map[string]int{c.ID + ":issue": 1}, fake.accepted, "delivered exactly once")

		// Nothing more is due: another pass sends nothing.
		n, err := syncer.DeliverDue(context.Background())
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, 3, fake.count())

		got := fake.bodies[2]
		require.Equal(t, activities.NationalRecord{Action: "issue", Number: c.Number, HolderName: "王五", IDMasked: "150102********0015",
			Occupation: "稀土冶炼工", OccupationCode: "6-17-07-04", WorkType: "--", Level: 3, IssueDate: "2026-06-01",
			Issuer: "包头稀土冶炼示范股份有限公司", Status: "valid"}, got)
		require.Equal(t, "application/json", fake.requests[2].Header.Get("Content-Type"))
		for _, raw := range fake.raw {
			require.NotContains(t, raw, holderID, "the clear ID number never leaves")
			require.NotContains(t, raw, c.IDCipher)
		}

		// A revocation is delivered after the issue, with the revoked status.
		_, err = db.RevokeCertificate(context.Background(), c.ID, "考核舞弊", time.Now())
		require.NoError(t, err)
		deliverUntil(t, syncer, func() bool { return rowOf(models.SyncRevoke).Status == models.SyncSent })
		require.Equal(t, 4, fake.count())
		require.Equal(t, "revoke", fake.bodies[3].Action)
		require.Equal(t, "revoked", fake.bodies[3].Status)
		require.Equal(t, 1, rowOf(models.SyncRevoke).Attempts)

		out := logs.String()
		require.NotContains(t, out, holderID)
		require.NotContains(t, out, "王五", "no names in logs")
		require.NotContains(t, out, "secret-token", "no endpoint credentials in logs")
		require.Contains(t, out, "will retry")
	})
}

func TestCertificateSyncPermanentRefusalAndRevocationOrder(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	fake := &nationalFake{status: http.StatusBadRequest}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	syncer := &activities.CertificateSync{DB: db, Endpoint: srv.URL, Client: srv.Client(), Logger: quietLogger(), RetryDelay: time.Millisecond}
	c := issueOne(t, db, "c1")
	_, err := db.RevokeCertificate(context.Background(), c.ID, "重复颁发", time.Now())
	require.NoError(t, err)

	n, err := syncer.DeliverDue(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the issue is attempted: the revocation waits for it")
	rows, err := db.CertificateSyncs(context.Background(), c.ID)
	require.NoError(t, err)
	byAction := map[string]models.CertificateSyncEntry{}
	for _, r := range rows {
		byAction[r.Action] = r
	}
	require.Equal(t, models.SyncFailed, byAction["issue"].Status, "a 400 is not retried")
	require.Equal(t, 1, byAction["issue"].Attempts)
	require.True(t, strings.Contains(byAction["issue"].LastError, "HTTP 400"))
	require.Equal(t, models.SyncPending, byAction["revoke"].Status)
	n, err = syncer.DeliverDue(context.Background())
	require.NoError(t, err)
	require.Zero(t, n)
	require.Equal(t, 1, fake.count())

	// Unconfigured, it refuses to run rather than drop rows.
	require.Error(t, (&activities.CertificateSync{DB: db}).Run(context.Background()))
}

func TestCertificateSyncGivesUpAfterMaxAttempts(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	fake := &nationalFake{failures: 100}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	syncer := &activities.CertificateSync{DB: db, Endpoint: srv.URL, Client: srv.Client(), Logger: quietLogger(), RetryDelay: time.Millisecond, MaxAttempts: 3}
	c := issueOne(t, db, "c1")
	deliverUntil(t, syncer, func() bool {
		rows, _ := db.CertificateSyncs(context.Background(), c.ID)
		return rows[0].Status == models.SyncFailed
	})
	require.Equal(t, 3, fake.count())
}
