package models_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/models/validate"
)

var certTestKey = ed25519.NewKeyFromSeed([]byte("certificate-signing-seed-32bytes"))

func testSealer(t testing.TB) *pii.Sealer {
	t.Helper()
	s, err := pii.New([]byte("data-key-data-key-data-key-32byt"), []byte("lookup-key-lookup-key-lookup-key"))
	require.NoError(t, err)
	return s
}

// certEnterprises creates n enterprises in 150105 (赛罕区, 呼和浩特) without site serials.
func certEnterprises(t *testing.T, db *models.DB, n int) []models.Enterprise {
	t.Helper()
	out := make([]models.Enterprise, n)
	for i := range out {
		e := models.Enterprise{Name: fmt.Sprintf("证书测试企业%d有限公司", i+1), CreditCode: fmt.Sprintf("91150105MA0CERT%03d", i),
			JurisdictionCode: "150105", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
		require.NoError(t, db.CreateEnterprise(context.Background(), &e))
		out[i] = e
	}
	return out
}

// testID returns a valid ID number, different for each i.
func testID(i int) string {
	first := fmt.Sprintf("150102199%d%02d%02d%03d", i%10, 1+i%12, 1+i%28, i%1000)
	c, _ := validate.IDNumberCheckChar(first)
	return first + string(c)
}

func draft(t testing.TB, s *pii.Sealer, e models.Enterprise, key string, level validate.Level, i int) models.CertificateDraft {
	t.Helper()
	id, err := s.Seal(testID(i))
	require.NoError(t, err)
	return models.CertificateDraft{EnterpriseID: e.ID, CaseID: "case-1", SessionID: "session-1", CandidateKey: key,
		HolderName: "张 三", ID: id, OccupationCode: "6-31-01-03", OccupationName: "电工", Level: level,
		IssueDate: time.Date(2026, 6, 30, 20, 0, 0, 0, time.UTC)} // 1 July 04:00 in Shanghai
}

func TestIssueCertificatesNumbersSignsAndIsIdempotent(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		ents := certEnterprises(t, db, 1)
		d1 := draft(t, s, ents[0], "session-1:cand-1", validate.Level3, 1)
		d2 := draft(t, s, ents[0], "session-1:cand-2", validate.Level3, 2)
		d2.WorkType = "维修电工"
		cs, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{d1, d2})
		require.NoError(t, err)
		require.Len(t, cs, 2)

		ent, err := db.EnterpriseByID(ctx, ents[0].ID)
		require.NoError(t, err)
		require.NotNil(t, ent.SiteSerial, "the region assigned a site serial")
		site := *ent.SiteSerial
		require.Equal(t, "Y000015"+site+"263000001", cs[0].Number)
		require.Equal(t, "Y000015"+site+"263000002", cs[1].Number)
		c := cs[0]
		require.Equal(t, "张 三", c.HolderName)
		require.Equal(t, models.NoWorkType, c.WorkType, "an undivided occupation prints --")
		require.Equal(t, "维修电工", cs[1].WorkType)
		require.Equal(t, "2026-07-01", c.IssueDateString(), "the issue day is the Shanghai calendar day")
		require.Equal(t, ent.Name, c.IssuerName)
		require.Equal(t, models.CertificateValid, c.Status)
		require.Len(t, c.Token, 32)
		require.NotEqual(t, cs[0].Token, cs[1].Token)
		require.Equal(t, validate.MaskIDNumber(testID(1)), c.IDMasked)
		require.True(t, models.VerifyCertificate(certTestKey.Public().(ed25519.PublicKey), c))

		// Issuing again (a retried activity) returns the same certificates and numbers nothing new;
		// a new candidate in the same call gets the next serial.
		d3 := draft(t, s, ents[0], "session-1:cand-3", validate.Level3, 3)
		again, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{d2, d3, d1, d3})
		require.NoError(t, err)
		require.Equal(t, cs[1].Number, again[0].Number)
		require.Equal(t, cs[0].ID, again[2].ID)
		require.Equal(t, "Y000015"+site+"263000003", again[1].Number)
		require.Equal(t, again[1].ID, again[3].ID, "a key twice in one call is one certificate")

		stored, err := db.CertificateByNumber(ctx, c.Number)
		require.NoError(t, err)
		require.Equal(t, c.ID, stored.ID)
		byToken, err := db.CertificateByToken(ctx, c.Token)
		require.NoError(t, err)
		require.Equal(t, c.ID, byToken.ID)
		_, err = db.CertificateByToken(ctx, "nope")
		require.ErrorIs(t, err, models.ErrNotFound)

		syncs, err := db.CertificateSyncs(ctx, c.ID)
		require.NoError(t, err)
		require.Len(t, syncs, 1)
		require.Equal(t, models.SyncIssue, syncs[0].Action)
		require.Equal(t, models.SyncPending, syncs[0].Status)

		// The opened ID number is the one sealed.
		clear, err := s.Open(stored.PersonID())
		require.NoError(t, err)
		require.Equal(t, testID(1), clear)
	})
}

func TestTamperedCertificateFailsVerification(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	s := testSealer(t)
	ents := certEnterprises(t, db, 1)
	cs, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{draft(t, s, ents[0], "k", validate.Level2, 1)})
	require.NoError(t, err)
	pub := certTestKey.Public().(ed25519.PublicKey)
	c := cs[0]
	require.True(t, models.VerifyCertificate(pub, c))
	for name, tamper := range map[string]func(*models.Certificate){
		"name":       func(c *models.Certificate) { c.HolderName = "李四" },
		"level":      func(c *models.Certificate) { c.Level = validate.Level1 },
		"number":     func(c *models.Certificate) { c.Number = c.Number[:21] + "9" },
		"occupation": func(c *models.Certificate) { c.OccupationName = "焊工" },
		"work type":  func(c *models.Certificate) { c.WorkType = "高压电工" },
		"date":       func(c *models.Certificate) { c.IssueDate = c.IssueDate.AddDate(0, 0, 1) },
		"issuer":     func(c *models.Certificate) { c.IssuerName = "别的公司" },
		"masked id":  func(c *models.Certificate) { c.IDMasked = "110105********002X" },
		"signature":  func(c *models.Certificate) { c.Signature = c.Signature[:10] },
	} {
		x := c
		tamper(&x)
		require.False(t, models.VerifyCertificate(pub, x), "tampered %s still verifies", name)
	}
	// Another key's signature does not verify.
	other := ed25519.NewKeyFromSeed([]byte("another-signing-seed-of-32-bytes"))
	require.False(t, models.VerifyCertificate(other.Public().(ed25519.PublicKey), c))
	// The status is not signed: revocation does not break the seal.
	c.Status = models.CertificateRevoked
	require.True(t, models.VerifyCertificate(pub, c))
}

func TestIssueCertificatesRefusesBadDrafts(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	s := testSealer(t)
	ents := certEnterprises(t, db, 1)
	for name, edit := range map[string]func(*models.CertificateDraft){
		"no name":         func(d *models.CertificateDraft) { d.HolderName = "  " },
		"no id":           func(d *models.CertificateDraft) { d.ID = models.PersonID{} },
		"bad level":       func(d *models.CertificateDraft) { d.Level = 6 },
		"bad code":        func(d *models.CertificateDraft) { d.OccupationCode = "63101" },
		"no key":          func(d *models.CertificateDraft) { d.CandidateKey = "" },
		"wrong year":      func(d *models.CertificateDraft) { d.Year = 2025 },
		"unknown company": func(d *models.CertificateDraft) { d.EnterpriseID = models.NewID() },
	} {
		d := draft(t, s, ents[0], "k-"+name, validate.Level4, 1)
		edit(&d)
		_, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{d})
		require.ErrorIs(t, err, models.ErrInvalidCertificate, name)
		require.NotContains(t, err.Error(), testID(1), "no ID number in errors")
	}
	_, err := db.IssueCertificates(ctx, nil, []models.CertificateDraft{draft(t, s, ents[0], "k", validate.Level4, 1)})
	require.Error(t, err, "no certificate without a signing key")
	var n int64
	require.NoError(t, db.Model(&models.Certificate{}).Count(&n).Error)
	require.Zero(t, n)
}

// TestConcurrentIssuanceNumbersWithoutGapsOrDuplicates issues 1,000 certificates in 1,000
// single-candidate calls from 20 goroutines across 4 enterprises (none has a site serial yet)
// and 2 levels, on SQLite and PostgreSQL.
func TestConcurrentIssuanceNumbersWithoutGapsOrDuplicates(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		ents := certEnterprises(t, db, 4)
		levels := []validate.Level{validate.Level4, validate.Level3}
		const total, workers = 1000, 20
		drafts := make([]models.CertificateDraft, total)
		for i := range drafts {
			drafts[i] = draft(t, s, ents[i%len(ents)], "session-c:"+strconv.Itoa(i), levels[(i/len(ents))%len(levels)], i)
		}
		numbers := make([]string, total)
		errs := make(chan error, total)
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < total; i += workers {
					cs, err := db.IssueCertificates(ctx, certTestKey, drafts[i:i+1])
					if err != nil {
						errs <- err
						return
					}
					numbers[i] = cs[0].Number
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}

		distinct := map[string]bool{}
		serials := map[string][]int{} // site + year + level → serials
		sites := map[string]bool{}
		for i, n := range numbers {
			require.NoError(t, validate.CheckCertificateNumber(n), n)
			require.False(t, distinct[n], "duplicate number %s", n)
			distinct[n] = true
			p, err := validate.ParseCertificateNumber(n)
			require.NoError(t, err)
			require.Equal(t, 2026, p.Year)
			require.Equal(t, drafts[i].Level, p.Level)
			sites[p.Site] = true
			k := p.Site + "/" + strconv.Itoa(p.Year) + "/" + strconv.Itoa(int(p.Level))
			serials[k] = append(serials[k], p.Serial)
		}
		require.Len(t, distinct, total)
		require.Len(t, sites, 4, "each enterprise got a site serial of its own")
		require.Len(t, serials, 8)
		for k, ss := range serials {
			sort.Ints(ss)
			for j, v := range ss {
				require.Equal(t, j+1, v, "serials of %s must run 1..%d without gap or duplicate", k, len(ss))
			}
		}
		var n int64
		require.NoError(t, db.Model(&models.CertificateSyncEntry{}).Where("action = ?", models.SyncIssue).Count(&n).Error)
		require.EqualValues(t, total, n, "one sync row per certificate")

		// The same candidates issued again, concurrently, get the same numbers.
		var again sync.WaitGroup
		for w := 0; w < 4; w++ {
			again.Add(1)
			go func() {
				defer again.Done()
				cs, err := db.IssueCertificates(ctx, certTestKey, drafts[w*10:w*10+10])
				if err != nil {
					errs := err
					t.Error(errs)
					return
				}
				for j, c := range cs {
					if c.Number != numbers[w*10+j] {
						t.Errorf("re-issue of %d: got %s, want %s", w*10+j, c.Number, numbers[w*10+j])
					}
				}
			}()
		}
		again.Wait()
	})
}

// TestConcurrentSameCandidateIssuesOnce races several calls for the same candidates.
func TestConcurrentSameCandidateIssuesOnce(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		ents := certEnterprises(t, db, 2)
		ds := []models.CertificateDraft{draft(t, s, ents[0], "race:1", validate.Level5, 1), draft(t, s, ents[0], "race:2", validate.Level5, 2)}
		got := make([][]models.Certificate, 8)
		// Open the pool's connections first, so the racing calls really overlap.
		var wg sync.WaitGroup
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{draft(t, s, ents[1], "warm:"+strconv.Itoa(i), validate.Level5, 10+i)})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		for i := range got {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cs, err := db.IssueCertificates(ctx, certTestKey, ds)
				if err != nil {
					t.Error(err)
				}
				got[i] = cs
			}()
		}
		wg.Wait()
		for _, cs := range got {
			require.Len(t, cs, 2)
			require.Equal(t, got[0][0].Number, cs[0].Number)
			require.Equal(t, got[0][1].Number, cs[1].Number)
		}
		var n int64
		require.NoError(t, db.Model(&models.Certificate{}).Count(&n).Error)
		require.EqualValues(t, 10, n)
		p, _ := validate.ParseCertificateNumber(got[0][1].Number)
		require.Equal(t, 2, p.Serial)
		var last int
		require.NoError(t, db.Raw("SELECT last_serial FROM certificate_serials WHERE enterprise_id = ? AND year = 2026 AND level = 5", ents[0].ID).Scan(&last).Error)
		require.Equal(t, 2, last, "the losing calls' serials were rolled back")
	})
}

func TestSiteSerialSkipsSerialsTheRegionAssignedByHand(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	s := testSealer(t)
	ents := certEnterprises(t, db, 2)
	require.NoError(t, db.Model(&models.Enterprise{}).Where("id = ?", ents[0].ID).Update("site_serial", "000001").Error)
	cs, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{draft(t, s, ents[1], "a", validate.Level5, 1)})
	require.NoError(t, err)
	p, err := validate.ParseCertificateNumber(cs[0].Number)
	require.NoError(t, err)
	require.Equal(t, "000002", p.Site)
	cs, err = db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{draft(t, s, ents[0], "b", validate.Level5, 2)})
	require.NoError(t, err)
	require.Equal(t, "Y000015000001265000001", cs[0].Number)
}

func TestQueryRevokeAndReport(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		ents := certEnterprises(t, db, 2)
		// The second enterprise is in 包头 (昆都仑区).
		require.NoError(t, db.Model(&models.Enterprise{}).Where("id = ?", ents[1].ID).Update("jurisdiction_code", "150203").Error)
		d1 := draft(t, s, ents[0], "q:1", validate.Level3, 7)
		d1.HolderName = "巴特尔・额尔德尼"
		d2 := draft(t, s, ents[0], "q:2", validate.Level2, 7) // same person, another level
		d2.HolderName = "巴特尔·额尔德尼"
		d3 := draft(t, s, ents[1], "q:3", validate.Level3, 8)
		d3.OccupationCode, d3.OccupationName = "6-17-07-04", "稀土冶炼工"
		cs, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{d1, d2, d3})
		require.NoError(t, err)

		got, err := db.QueryCertificates(ctx, " 巴特尔.额尔德尼 ", s.LookupKey(testID(7)))
		require.NoError(t, err)
		require.Len(t, got, 2, "both certificates of the holder, whatever middle dot was typed")
		got, err = db.QueryCertificates(ctx, "巴特尔", s.LookupKey(testID(7)))
		require.NoError(t, err)
		require.Empty(t, got, "the name must match too")
		got, err = db.QueryCertificates(ctx, "巴特尔·额尔德尼", s.LookupKey(testID(8)))
		require.NoError(t, err)
		require.Empty(t, got)

		at := time.Date(2026, 8, 1, 2, 0, 0, 0, time.UTC)
		r, err := db.RevokeCertificate(ctx, cs[0].ID, "考核记录造假", at)
		require.NoError(t, err)
		require.Equal(t, models.CertificateRevoked, r.Status)
		require.Equal(t, "考核记录造假", r.RevokeReason)
		require.True(t, r.RevokedAt.Equal(at))
		_, err = db.RevokeCertificate(ctx, cs[0].ID, "again", at)
		require.ErrorIs(t, err, models.ErrAlreadyRevoked)
		require.ErrorIs(t, err, models.ErrConflict)
		_, err = db.RevokeCertificate(ctx, models.NewID(), "x", at)
		require.ErrorIs(t, err, models.ErrNotFound)
		got, err = db.QueryCertificates(ctx, "巴特尔·额尔德尼", s.LookupKey(testID(7)))
		require.NoError(t, err)
		statuses := map[string]string{}
		for _, c := range got {
			statuses[c.Number] = c.Status
		}
		require.Equal(t, models.CertificateRevoked, statuses[cs[0].Number])
		require.Equal(t, models.CertificateValid, statuses[cs[1].Number])
		syncs, err := db.CertificateSyncs(ctx, cs[0].ID)
		require.NoError(t, err)
		require.Len(t, syncs, 2)

		parents, err := db.JurisdictionParents(ctx)
		require.NoError(t, err)
		leagues := map[string][]string{"150100": models.SubtreeCodes(parents, "150100"), "150200": models.SubtreeCodes(parents, "150200")}
		all := models.SubtreeCodes(parents, models.RegionCode)
		for _, tc := range []struct {
			group         string
			jurisdictions []string
			want          []models.CertificateCount
		}{
			{models.GroupByOccupation, all, []models.CertificateCount{
				{Key: "6-17-07-04", Name: "稀土冶炼工", Valid: 1, Total: 1},
				{Key: "6-31-01-03", Name: "电工", Valid: 1, Revoked: 1, Total: 2}}},
			{models.GroupByLevel, all, []models.CertificateCount{
				{Key: "3", Name: "三级/高级工", Valid: 1, Revoked: 1, Total: 2},
				{Key: "2", Name: "二级/技师", Valid: 1, Total: 1}}},
			{models.GroupByEnterprise, leagues["150100"], []models.CertificateCount{
				{Key: ents[0].ID, Name: ents[0].Name, Valid: 1, Revoked: 1, Total: 2}}},
			{models.GroupByLeague, all, []models.CertificateCount{
				{Key: "150100", Name: "呼和浩特市", Valid: 1, Revoked: 1, Total: 2},
				{Key: "150200", Name: "包头市", Valid: 1, Total: 1}}},
			{models.GroupByLeague, leagues["150200"], []models.CertificateCount{
				{Key: "150200", Name: "包头市", Valid: 1, Total: 1}}},
			{models.GroupByLevel, []string{}, []models.CertificateCount{}},
		} {
			rows, err := db.CertificateReport(ctx, models.CertificateReportFilter{Group: tc.group, Jurisdictions: tc.jurisdictions, Leagues: leagues})
			require.NoError(t, err)
			require.Equal(t, tc.want, rows, "group by %s", tc.group)
		}
		rows, err := db.CertificateReport(ctx, models.CertificateReportFilter{Group: models.GroupByLevel, Year: 2025})
		require.NoError(t, err)
		require.Empty(t, rows, "nothing issued in 2025")
		_, err = db.CertificateReport(ctx, models.CertificateReportFilter{Group: "colour"})
		require.Error(t, err)
	})
}

func TestCertificateSyncQueue(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		s := testSealer(t)
		ents := certEnterprises(t, db, 1)
		cs, err := db.IssueCertificates(ctx, certTestKey, []models.CertificateDraft{draft(t, s, ents[0], "s:1", validate.Level4, 1)})
		require.NoError(t, err)
		id := cs[0].ID
		_, err = db.RevokeCertificate(ctx, id, "错误颁发", time.Now())
		require.NoError(t, err)
		now := time.Now().Add(time.Second)

		// Only the issue is due: the revocation waits for it.
		due, err := db.DueCertificateSyncs(ctx, now, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		require.Equal(t, models.SyncIssue, due[0].Action)

		ok, err := db.ClaimCertificateSync(ctx, id, models.SyncIssue, "t1", now)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.ClaimCertificateSync(ctx, id, models.SyncIssue, "t2", now)
		require.NoError(t, err)
		require.False(t, ok, "a claimed row cannot be claimed twice")

		// A failed attempt is retried later; a stale finish does nothing.
		ok, err = db.FinishCertificateSync(ctx, id, models.SyncIssue, "t1", models.SyncResult{Status: models.SyncPending, At: now,
			NextAttemptAt: now.Add(time.Minute), Error: "503"})
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.FinishCertificateSync(ctx, id, models.SyncIssue, "t1", models.SyncResult{Status: models.SyncSent, At: now})
		require.NoError(t, err)
		require.False(t, ok)
		due, err = db.DueCertificateSyncs(ctx, now, 10)
		require.NoError(t, err)
		require.Empty(t, due)

		later := now.Add(2 * time.Minute)
		ok, err = db.ClaimCertificateSync(ctx, id, models.SyncIssue, "t3", later)
		require.NoError(t, err)
		require.True(t, ok)
		// The claimer dies; its claim is released and the lost attempt counts.
		n, err := db.ReleaseStaleCertificateSyncs(ctx, later.Add(time.Second), later, 10)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		ok, err = db.ClaimCertificateSync(ctx, id, models.SyncIssue, "t4", later)
		require.NoError(t, err)
		require.True(t, ok)
		ok, err = db.FinishCertificateSync(ctx, id, models.SyncIssue, "t4", models.SyncResult{Status: models.SyncSent, At: later})
		require.NoError(t, err)
		require.True(t, ok)

		due, err = db.DueCertificateSyncs(ctx, later, 10)
		require.NoError(t, err)
		require.Len(t, due, 1)
		require.Equal(t, models.SyncRevoke, due[0].Action, "the revocation follows the delivered issue")

		rows, err := db.CertificateSyncs(ctx, id)
		require.NoError(t, err)
		require.Equal(t, models.SyncSent, rows[0].Status)
		require.Equal(t, 3, rows[0].Attempts)
		require.NotNil(t, rows[0].DeliveredAt)
		require.False(t, errors.Is(err, models.ErrNotFound))
	})
}
