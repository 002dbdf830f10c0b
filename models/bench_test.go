package models_test

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"testing"
	"time"

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
