package nationalsync_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/models/validate"
	"skillcert/nationalsync"
)

var issueKey = ed25519.NewKeyFromSeed([]byte("certificate-signing-seed-32bytes"))

const holderID = "150102199003070015" // valid, computed with validate.IDNumberCheckChar

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// nationalFake is the national query system: it fails the first `failures` requests with 503
// and records every request.
type nationalFake struct {
	mu       sync.Mutex
	failures int
	status   int // answer after the failures; default 200
	requests []*http.Request
	bodies   []nationalsync.NationalRecord
	raw      []string
	accepted map[string]int // idempotency key → successful deliveries
}

func (f *nationalFake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var rec nationalsync.NationalRecord
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

func sealer(t *testing.T) *pii.Sealer {
	t.Helper()
	s, err := pii.New([]byte("data-key-data-key-data-key-32byt"), []byte("lookup-key-lookup-key-lookup-key"))
	require.NoError(t, err)
	return s
}

// issueOne issues a certificate to 王五 in the test enterprise (created on first use).
func issueOne(t *testing.T, db *models.DB, key string) models.Certificate {
	t.Helper()
	ctx := context.Background()
	var ent models.Enterprise
	if err := db.Where("credit_code = ?", "91150203MA0N00002N").First(&ent).Error; err != nil {
		ent = models.Enterprise{Name: "包头稀土冶炼示范股份有限公司", CreditCode: "91150203MA0N00002N", JurisdictionCode: "150203",
			CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		require.NoError(t, db.CreateEnterprise(ctx, &ent))
	}
	id, err := sealer(t).Seal(holderID)
	require.NoError(t, err)
	cs, err := db.IssueCertificates(ctx, issueKey, []models.CertificateDraft{{EnterpriseID: ent.ID, CaseID: "case-s", SessionID: "s",
		CandidateKey: "s/" + key, HolderName: "王五", ID: models.PersonID{Cipher: id.Cipher, Lookup: id.Lookup, Masked: id.Masked},
		OccupationCode: "6-17-07-04", OccupationName: "稀土冶炼工", Level: validate.Level3, IssueDate: time.Date(2026, 6, 1, 2, 0, 0, 0, time.UTC)}})
	require.NoError(t, err)
	return cs[0]
}

// deliverUntil runs DeliverDue until cond holds or a few seconds pass.
func deliverUntil(t *testing.T, syncer *nationalsync.CertificateSync, cond func() bool) {
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
		srv := httptest.NewTLSServer(fake)
		t.Cleanup(srv.Close)
		var logs bytes.Buffer
		syncer := &nationalsync.CertificateSync{DB: db, IDs: sealer(t), FilingCode: "S1500000001", Endpoint: srv.URL + "/api/certificates?key=secret-token", Client: srv.Client(),
			Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), RetryDelay: time.Millisecond}
		c := issueOne(t, db, "c1")
		// The holder's identity as recorded at issue (copied from the candidate).
		require.NoError(t, db.Model(&models.Certificate{}).Where("id = ?", c.ID).Updates(map[string]any{"gender": "male",
			"photo_sha256": strings.Repeat("ab", 32), "photo_key": "photo-1", "photo_type": "image/jpeg"}).Error)

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
		require.Equal(t, nationalsync.NationalRecord{Action: "issue", Number: c.Number, HolderName: "王五", IDType: "resident_id",
			IDTypeName: "居民身份证", IDNumber: holderID, IDMasked: "150102********0015", Gender: "1", PhotoRef: "sha256:" + strings.Repeat("ab", 32),
			FilingCode: "S1500000001", Occupation: "稀土冶炼工", OccupationCode: "6-17-07-04", WorkType: "--", Level: 3, IssueDate: "2026-06-01",
			Issuer: "包头稀土冶炼示范股份有限公司", Status: "valid"}, got, "the full ID number, ID type, gender, photo and filing code")
		require.Equal(t, "application/json", fake.requests[2].Header.Get("Content-Type"))
		require.NotNil(t, fake.requests[2].TLS, "sent over HTTPS")
		for _, raw := range fake.raw {
			require.NotContains(t, raw, c.IDCipher, "never the sealed form")
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
		require.NotContains(t, out, holderID, "the full ID number is never logged")
		require.NotContains(t, out, "王五", "no names in logs")
		require.NotContains(t, out, "secret-token", "no endpoint credentials in logs")
		require.Contains(t, out, "will retry")
	})
}

func TestCertificateSyncPermanentRefusalAndRevocationOrder(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	fake := &nationalFake{status: http.StatusBadRequest}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	syncer := &nationalsync.CertificateSync{DB: db, IDs: sealer(t), FilingCode: "S1500000001", Endpoint: srv.URL, Client: srv.Client(), Logger: quietLogger(), RetryDelay: time.Millisecond}
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

	// Misconfigured, it refuses to run rather than drop rows: no opener, or plain HTTP.
	require.Error(t, (&nationalsync.CertificateSync{DB: db, Endpoint: srv.URL}).Run(context.Background()))
	_, err = (&nationalsync.CertificateSync{DB: db, IDs: sealer(t), Endpoint: "http://national.example/api"}).DeliverDue(context.Background())
	require.ErrorContains(t, err, "https://")
}

func TestCertificateSyncGivesUpAfterMaxAttempts(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	fake := &nationalFake{failures: 100}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	syncer := &nationalsync.CertificateSync{DB: db, IDs: sealer(t), FilingCode: "S1500000001", Endpoint: srv.URL, Client: srv.Client(), Logger: quietLogger(), RetryDelay: time.Millisecond, MaxAttempts: 3}
	c := issueOne(t, db, "c1")
	deliverUntil(t, syncer, func() bool {
		rows, _ := db.CertificateSyncs(context.Background(), c.ID)
		return rows[0].Status == models.SyncFailed
	})
	require.Equal(t, 3, fake.count())
}

// Without an endpoint there is no guessed default: delivery is disabled, the worker says so in
// its log with the number waiting, and the rows stay pending until an endpoint is configured.
func TestCertificateSyncDisabledWithoutEndpoint(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	c := issueOne(t, db, "c1")
	var logs bytes.Buffer
	syncer := &nationalsync.CertificateSync{DB: db, IDs: sealer(t), Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	_, err := syncer.DeliverDue(context.Background())
	require.ErrorIs(t, err, nationalsync.ErrDisabled)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	require.NoError(t, syncer.Run(ctx), "a disabled sync waits instead of failing the worker")
	require.Contains(t, logs.String(), "national certificate sync disabled")
	require.Contains(t, logs.String(), "status=disabled waiting=1")
	rows, err := db.CertificateSyncs(context.Background(), c.ID)
	require.NoError(t, err)
	require.Equal(t, models.SyncPending, rows[0].Status)
	require.Zero(t, rows[0].Attempts)
}

// An organisation without a filing code (its own or the configured default) is not sent: the
// row waits with the reason, and goes once the region has set the code.
func TestCertificateSyncWaitsForTheFilingCode(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	fake := &nationalFake{}
	srv := httptest.NewTLSServer(fake)
	t.Cleanup(srv.Close)
	syncer := &nationalsync.CertificateSync{DB: db, IDs: sealer(t), Endpoint: srv.URL, Client: srv.Client(), Logger: quietLogger(), RetryDelay: time.Millisecond}
	c := issueOne(t, db, "c1")
	_, err := syncer.DeliverDue(context.Background())
	require.NoError(t, err)
	require.Zero(t, fake.count())
	rows, err := db.CertificateSyncs(context.Background(), c.ID)
	require.NoError(t, err)
	require.Equal(t, models.SyncPending, rows[0].Status)
	require.Contains(t, rows[0].LastError, "no filing code")
	require.NoError(t, db.Model(&models.Enterprise{}).Where("id = ?", c.EnterpriseID).Update("filing_code", "S1500000123").Error)
	deliverUntil(t, syncer, func() bool { return fake.count() == 1 })
	require.Equal(t, "S1500000123", fake.bodies[0].FilingCode, "the enterprise's own code")
	require.Equal(t, holderID, fake.bodies[0].IDNumber)
}
