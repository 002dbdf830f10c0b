package models_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// BenchmarkAppendAudit measures appending to the hash chain (read the head, hash, insert) on
// SQLite.
func BenchmarkAppendAudit(b *testing.B) {
	db := dbtest.New(b, models.SQLite)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := db.AppendAudit(ctx, &models.AuditEntry{Action: "bench", ObjectType: "case", ObjectID: fmt.Sprint(i), Outcome: models.OutcomeOK}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAudit measures walking a chain of 2,000 rows.
func BenchmarkVerifyAudit(b *testing.B) {
	db := dbtest.New(b, models.SQLite)
	ctx := context.Background()
	for i := 0; i < 2000; i++ {
		if err := db.AppendAudit(ctx, &models.AuditEntry{Action: "bench", Outcome: models.OutcomeOK}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rep, err := db.VerifyAudit(ctx)
		if err != nil || !rep.OK {
			b.Fatal(err, rep)
		}
	}
}

// BenchmarkIssueCertificate measures numbering, signing and storing one certificate on SQLite.
func BenchmarkIssueCertificate(b *testing.B) {
	db := dbtest.New(b, models.SQLite)
	ctx := context.Background()
	ent := models.Enterprise{Name: "基准企业", CreditCode: "91150105MA0N00001B", JurisdictionCode: "150105", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := db.CreateEnterprise(ctx, &ent); err != nil {
		b.Fatal(err)
	}
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		_, err := db.IssueCertificates(ctx, key, []models.CertificateDraft{{EnterpriseID: ent.ID, SessionID: "s", CandidateKey: fmt.Sprint("s/", i),
			HolderName: "考生", ID: models.PersonID{Cipher: "c", Lookup: fmt.Sprint(i), Masked: "150105********000X"},
			OccupationCode: "6-31-01-03", OccupationName: "电工", Level: 4, IssueDate: time.Now()}})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchSeedRebuildsIndexes: the bench data load drops the tables' secondary indexes and
// constraints and builds them again after the rows are in; afterwards the schema is as the
// migrations left it and the rows are there (and the unique constraint holds again).
func TestBenchSeedRebuildsIndexes(t *testing.T) {
	db := dbtest.New(t, models.Postgres)
	ctx := context.Background()
	schema := func(table string) []string {
		var defs []string
		require.NoError(t, db.Raw(`SELECT indexdef FROM pg_indexes WHERE tablename = ? AND schemaname = current_schema() ORDER BY indexname`, table).Scan(&defs).Error)
		var cons []string
		require.NoError(t, db.Raw(`SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ?::regclass ORDER BY conname`, table).Scan(&cons).Error)
		return append(defs, cons...)
	}
	_, err := db.SeedJurisdictions(ctx)
	require.NoError(t, err)
	tasksBefore, certsBefore := schema("tasks"), schema("certificates")
	require.NoError(t, db.SeedBenchTasks(ctx, []string{"150102", "150105"}, map[string]string{"150102": "150100", "150105": "150100"}, 30, 70))
	ent := models.Enterprise{Name: "基准企业", CreditCode: "91150105MA0N00001B", JurisdictionCode: "150105", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	require.NoError(t, db.CreateEnterprise(ctx, &ent))
	require.NoError(t, db.SeedBenchCertificates(ctx, ent.ID, 1200))
	require.Equal(t, tasksBefore, schema("tasks"))
	require.Equal(t, certsBefore, schema("certificates"))
	var open, all, certs int64
	require.NoError(t, db.Raw(`SELECT count(*) FILTER (WHERE status = 'open'), count(*) FROM tasks`).Row().Scan(&open, &all))
	require.EqualValues(t, 30, open)
	require.EqualValues(t, 100, all)
	require.NoError(t, db.Raw(`SELECT count(DISTINCT number) FROM certificates`).Scan(&certs).Error)
	require.EqualValues(t, 1200, certs)
	err = db.Exec(`INSERT INTO certificates SELECT * FROM certificates LIMIT 1`).Error
	require.Error(t, err, "the primary key and unique constraints are back")
}
