package models_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// keyedChain keys db's audit chain under suite with a checkpoint every 5 rows.
func keyedChain(t *testing.T, db *models.DB, suite string) *models.AuditChain {
	t.Helper()
	alg := cryptosuite.MustByName(suite).SignatureAlg()
	signer, err := cryptosuite.NewSigner(alg, bytes.Repeat([]byte{9}, 32))
	require.NoError(t, err)
	c := &models.AuditChain{Suite: cryptosuite.MustByName(suite), Key: bytes.Repeat([]byte{5}, 32), Signer: signer, EveryRows: 5, Every: time.Hour}
	require.NoError(t, db.SetAuditChain(c))
	return c
}

func appendRows(t *testing.T, db *models.DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		require.NoError(t, db.AppendAudit(context.Background(), &models.AuditEntry{Action: "test", ObjectType: "case",
			ObjectID: fmt.Sprint("c", i), Outcome: models.OutcomeOK, Reason: "原因"}))
	}
}

// tamper runs a statement on audit_log as an intruder with database access would.
func tamper(t *testing.T, db *models.DB, q string, args ...any) {
	t.Helper()
	require.NoError(t, db.Exec(q, args...).Error)
}

// recompute rewrites the hashes of every row from seq on the way an intruder without the audit
// key can: plain SHA-256 over the row (as the unkeyed chain did), labelled as alg.
func recompute(t *testing.T, db *models.DB, from int64, alg string) {
	t.Helper()
	var rows []models.AuditEntry
	require.NoError(t, db.Order("seq").Find(&rows).Error)
	prev := ""
	for _, r := range rows {
		if r.Seq < from {
			prev = r.Hash
			continue
		}
		r.PrevHash, r.HashAlg = prev, alg
		content := struct {
			Seq                                             int64
			At                                              string
			ActorID, ActorName, Role, Jurisdiction          string
			Action, ObjectType, ObjectID                    string
			Before, After, Reason, Outcome, RequestID, Prev string
		}{r.Seq, r.At.UTC().Format("2006-01-02T15:04:05.000000Z"), r.ActorID, r.ActorName, r.Role, r.JurisdictionCode,
			r.Action, r.ObjectType, r.ObjectID, r.BeforeState, r.AfterState, r.Reason, r.Outcome, r.RequestID, r.PrevHash}
		b, _ := json.Marshal(content)
		h := sha256.Sum256(b)
		r.Hash = hex.EncodeToString(h[:])
		tamper(t, db, "UPDATE audit_log SET prev_hash = ?, hash = ?, hash_alg = ? WHERE seq = ?", r.PrevHash, r.Hash, r.HashAlg, r.Seq)
		prev = r.Hash
	}
}

func verify(t *testing.T, db *models.DB) models.ChainReport {
	t.Helper()
	rep, err := db.VerifyAudit(context.Background())
	require.NoError(t, err)
	return rep
}

func TestKeyedAuditChainDetectsTheFourTamperings(t *testing.T) {
	for _, suite := range []string{cryptosuite.GM, cryptosuite.Intl} {
		t.Run(suite, func(t *testing.T) {
			dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
				// Three rows from before the chain was keyed, then keyed rows.
				appendRows(t, db, 3)
				keyedChain(t, db, suite)
				appendRows(t, db, 17) // rows 4..20; checkpoints at 4 (first keyed), 9, 14, 19
				rep := verify(t, db)
				require.True(t, rep.OK, "%+v", rep)
				require.EqualValues(t, 20, rep.Rows)
				require.EqualValues(t, 4, rep.KeyedFrom)
				require.Equal(t, 4, rep.Checkpoints)
				var row models.AuditEntry
				require.NoError(t, db.First(&row, "seq = ?", 10).Error)
				require.Equal(t, map[string]string{cryptosuite.GM: "hmac-sm3", cryptosuite.Intl: "hmac-sha256"}[suite], row.HashAlg)

				// 1. An edited row is named.
				tamper(t, db, "UPDATE audit_log SET reason = ? WHERE seq = ?", "改过", 12)
				rep = verify(t, db)
				require.False(t, rep.OK)
				require.EqualValues(t, 12, rep.BrokenAt)
				require.Contains(t, rep.Problem, "content does not match")

				// 2. The same edit with the chain recomputed without the key: as keyed rows the HMAC
				// fails at the edited row; relabelled unkeyed, the signed checkpoints say the chain is
				// keyed from row 4, so the edited row is still named.
				recompute(t, db, 12, map[string]string{cryptosuite.GM: "hmac-sm3", cryptosuite.Intl: "hmac-sha256"}[suite])
				rep = verify(t, db)
				require.False(t, rep.OK)
				require.EqualValues(t, 12, rep.BrokenAt, "%+v", rep)
				recompute(t, db, 12, models.HashUnkeyed)
				rep = verify(t, db)
				require.False(t, rep.OK)
				require.EqualValues(t, 12, rep.BrokenAt, "%+v", rep)
				require.Contains(t, rep.Problem, "keyed from row 4")
			})
		})
	}
}

func TestKeyedAuditChainDetectsDeletions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		keyedChain(t, db, cryptosuite.GM)
		appendRows(t, db, 20) // checkpoints at rows 1, 6, 11, 16
		require.True(t, verify(t, db).OK)

		// 3. A deleted tail: rows 14..20 go; the chain that is left is whole, but checkpoint 4
		// counts 16 rows.
		tamper(t, db, "DELETE FROM audit_log WHERE seq >= ?", 14)
		rep := verify(t, db)
		require.False(t, rep.OK)
		require.EqualValues(t, 14, rep.BrokenAt, "%+v", rep)
		require.Contains(t, rep.Problem, "truncated")

		// 4. A deleted middle row is named as missing.
		tamper(t, db, "DELETE FROM audit_log WHERE seq = ?", 7)
		rep = verify(t, db)
		require.False(t, rep.OK)
		require.EqualValues(t, 7, rep.BrokenAt)
		require.Contains(t, rep.Problem, "row 7 is missing")
	})
}

func TestAuditCheckpointsAreAppendOnlyAndSigned(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		c := keyedChain(t, db, cryptosuite.GM)
		var seen []models.AuditCheckpoint
		c.OnCheckpoint = func(cp models.AuditCheckpoint) { seen = append(seen, cp) }
		require.NoError(t, db.SetAuditChain(c))
		appendRows(t, db, 6)
		cps, err := db.AuditCheckpoints(context.Background())
		require.NoError(t, err)
		require.Len(t, cps, 2)
		require.Equal(t, cryptosuite.AlgSM2, cps[0].SigAlg)
		require.Len(t, seen, 2)
		require.EqualValues(t, 6, cps[1].Seq)

		// The database refuses to change or remove a checkpoint.
		require.Error(t, db.Exec("UPDATE audit_checkpoints SET seq = 1 WHERE id = 2").Error)
		require.Error(t, db.Exec("DELETE FROM audit_checkpoints WHERE id = 2").Error)

		// A checkpoint that does not verify under the configured keys is reported: here the
		// verifier is configured with another signing key only.
		other, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, bytes.Repeat([]byte{8}, 32))
		require.NoError(t, err)
		require.NoError(t, db.SetAuditChain(&models.AuditChain{Suite: c.Suite, Key: c.Key, Signer: other}))
		rep := verify(t, db)
		require.False(t, rep.OK)
		require.Contains(t, rep.Problem, "checkpoint 1 has no valid signature")

		// Without the audit key a keyed log cannot be verified at all: an error, not "OK".
		require.NoError(t, db.SetAuditChain(nil))
		_, err = db.VerifyAudit(context.Background())
		require.Error(t, err)
	})
}
