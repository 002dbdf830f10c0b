package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"skillcert/internal/cryptosuite"
)

// Audit outcomes.
const (
	OutcomeOK       = "ok"       // the action took effect
	OutcomeDenied   = "denied"   // refused by authorization
	OutcomeRejected = "rejected" // refused by validation or state
)

// genesisHash is the previous hash of the first audit row.
const genesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry is one row of the append-only, hash-chained audit log.
type AuditEntry struct {
	Seq              int64     `gorm:"primaryKey;autoIncrement:false" json:"seq"`
	At               time.Time `json:"at"`
	ActorID          string    `json:"actor_id"`
	ActorName        string    `json:"actor_name"`
	Role             string    `json:"role"`
	JurisdictionCode string    `json:"jurisdiction_code"`
	Action           string    `json:"action"`
	ObjectType       string    `json:"object_type"`
	ObjectID         string    `json:"object_id"`
	BeforeState      string    `json:"before_state"`
	AfterState       string    `json:"after_state"`
	Reason           string    `json:"reason"`
	Outcome          string    `json:"outcome"`
	RequestID        string    `json:"request_id"`
	PrevHash         string    `json:"prev_hash"`
	Hash             string    `json:"hash"`
	// HashAlg is how Hash was made: HashUnkeyed (rows from before the keyed chain) or
	// "hmac-" + the suite's hash (HMAC under the audit key).
	HashAlg string `json:"hash_alg"`
}

// ErrAuditKeyMissing is returned when appending to a keyed chain without the audit key.
var ErrAuditKeyMissing = errors.New("the audit log is keyed and this process has no audit key: set SKILLCERT_AUDIT_KEY")

// HashUnkeyed marks the rows hashed with plain SHA-256, before the chain was keyed.
const HashUnkeyed = "sha256"

// keyedHashSuites maps a keyed row's HashAlg to the suite of its HMAC: rows keyed under either
// suite verify, so a deployment that moves from intl to gm keeps one chain.
var keyedHashSuites = map[string]string{"hmac-sha256": cryptosuite.Intl, "hmac-sm3": cryptosuite.GM}

// TableName is the audit table.
func (AuditEntry) TableName() string { return "audit_log" }

// computeHash hashes the row's content together with the previous hash: SHA-256 for an unkeyed
// row, the chain's HMAC for a keyed one (which also covers HashAlg, so a row cannot be passed
// off as unkeyed). The encoding is fixed (JSON of an ordered struct, times in UTC with
// nanoseconds cut to microseconds) so that any later change to a stored row or to the order of
// rows breaks the chain. ok is false for a keyed row when the chain has no key for it.
func (a AuditEntry) computeHash(c *AuditChain) (h string, ok bool) {
	if a.HashAlg == "" || a.HashAlg == HashUnkeyed {
		return a.unkeyedHash(), true
	}
	suite, known := keyedHashSuites[a.HashAlg]
	if c == nil || !known {
		return "", false
	}
	content := struct {
		Alg                                             string
		Seq                                             int64
		At                                              string
		ActorID, ActorName, Role, Jurisdiction          string
		Action, ObjectType, ObjectID                    string
		Before, After, Reason, Outcome, RequestID, Prev string
	}{a.HashAlg, a.Seq, a.At.UTC().Format("2006-01-02T15:04:05.000000Z"), a.ActorID, a.ActorName, a.Role, a.JurisdictionCode,
		a.Action, a.ObjectType, a.ObjectID, a.BeforeState, a.AfterState, a.Reason, a.Outcome, a.RequestID, a.PrevHash}
	b, _ := json.Marshal(content)
	return hex.EncodeToString(cryptosuite.MAC(cryptosuite.MustByName(suite), c.Key, b)), true
}

// unkeyedHash is the hash of the rows from before the keyed chain.
func (a AuditEntry) unkeyedHash() string {
	content := struct {
		Seq                                             int64
		At                                              string
		ActorID, ActorName, Role, Jurisdiction          string
		Action, ObjectType, ObjectID                    string
		Before, After, Reason, Outcome, RequestID, Prev string
	}{a.Seq, a.At.UTC().Format("2006-01-02T15:04:05.000000Z"), a.ActorID, a.ActorName, a.Role, a.JurisdictionCode,
		a.Action, a.ObjectType, a.ObjectID, a.BeforeState, a.AfterState, a.Reason, a.Outcome, a.RequestID, a.PrevHash}
	b, _ := json.Marshal(content)
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// auditLockKey is the PostgreSQL advisory lock that serialises appends to the chain.
const auditLockKey = 7_201_150_000

// AppendAudit appends an entry to the chain inside the current transaction (or its own one).
// Appends are serialised: on PostgreSQL by a transaction-scoped advisory lock, on SQLite by the
// immediate write transaction, so the chain never forks.
func (db *DB) AppendAudit(ctx context.Context, e *AuditEntry) error {
	return db.Tx(ctx, func(tx *DB) error {
		if tx.Dialect == Postgres {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", auditLockKey).Error; err != nil {
				return fmt.Errorf("lock audit chain: %w", err)
			}
		}
		var last AuditEntry
		err := tx.Order("seq DESC").Limit(1).Take(&last).Error
		switch {
		case errors.Is(err, gorm.ErrRecordNotFound):
			e.Seq, e.PrevHash = 1, genesisHash
		case err != nil:
			return fmt.Errorf("read audit chain head: %w", err)
		default:
			e.Seq, e.PrevHash = last.Seq+1, last.Hash
		}
		if tx.audit == nil && last.HashAlg != "" && last.HashAlg != HashUnkeyed {
			// An unkeyed row after keyed ones would read as a downgrade: refuse rather than
			// break the chain because one process was started without the key.
			return ErrAuditKeyMissing
		}
		if e.At.IsZero() {
			e.At = time.Now()
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.HashAlg = HashUnkeyed
		if tx.audit != nil {
			e.HashAlg = tx.audit.hashAlg()
		}
		e.Hash, _ = e.computeHash(tx.audit)
		if err := tx.Create(e).Error; err != nil {
			return err
		}
		if tx.audit != nil {
			return tx.maybeCheckpoint(ctx, *e)
		}
		return nil
	})
}

// AuditFilter narrows an audit listing.
type AuditFilter struct {
	ObjectType, ObjectID, ActorID, Action string
	Jurisdictions                         []string // caller's subtree; nil means all (sysadmin)
	Limit, Offset                         int
}

// AuditEntries lists audit rows newest first.
func (db *DB) AuditEntries(ctx context.Context, f AuditFilter) ([]AuditEntry, int64, error) {
	q := db.WithContext(ctx).Model(&AuditEntry{})
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		q = q.Where("object_id = ?", f.ObjectID)
	}
	if f.ActorID != "" {
		q = q.Where("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.Jurisdictions != nil {
		q = q.Where("jurisdiction_code IN ?", f.Jurisdictions)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []AuditEntry
	err := q.Order("seq DESC").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&rows).Error
	return rows, total, err
}

// ChainReport is the result of verifying the audit chain.
type ChainReport struct {
	Rows     int64  `json:"rows"`
	OK       bool   `json:"ok"`
	BrokenAt int64  `json:"broken_at,omitempty"` // first bad sequence number
	Problem  string `json:"problem,omitempty"`
	// Checkpoints is the number of signed checkpoints checked; KeyedFrom the first row keyed
	// with the audit key (0: none).
	Checkpoints int   `json:"checkpoints"`
	KeyedFrom   int64 `json:"keyed_from,omitempty"`
}

// VerifyAudit walks the whole chain in batches and reports the first break: a gap in the
// sequence, a previous-hash mismatch, a row whose content no longer matches its hash (keyed rows
// are checked with the audit key, which the database does not hold), an unkeyed row where the
// signed checkpoints say the chain was keyed, a row whose hash differs from the one a signed
// checkpoint recorded for it, or rows a checkpoint counted that are gone (a deleted tail). The
// checkpoints' signatures are checked first; a bad one is reported as such.
func (db *DB) VerifyAudit(ctx context.Context) (ChainReport, error) {
	const batch = 1000
	rep := ChainReport{OK: true}
	cps, bad, err := db.verifiedCheckpoints(ctx)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	if bad != "" {
		rep.OK, rep.Problem = false, bad
		return rep, nil
	}
	at := map[int64]AuditCheckpoint{}
	var last AuditCheckpoint
	for _, cp := range cps {
		at[cp.Seq] = cp
		last = cp
		if cp.KeyedFrom > 0 {
			rep.KeyedFrom = cp.KeyedFrom
		}
	}
	prev := genesisHash
	var next int64 = 1
	for {
		var rows []AuditEntry
		if err := db.WithContext(ctx).Where("seq >= ?", next).Order("seq").Limit(batch).Find(&rows).Error; err != nil {
			return rep, err
		}
		for _, r := range rows {
			rep.Rows++
			h, keyed := r.computeHash(db.audit)
			switch {
			case r.Seq != next:
				rep.OK, rep.BrokenAt, rep.Problem = false, next, fmt.Sprintf("row %d is missing", next)
			case r.PrevHash != prev:
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, "previous-hash link does not match"
			case rep.KeyedFrom > 0 && r.Seq >= rep.KeyedFrom && (r.HashAlg == "" || r.HashAlg == HashUnkeyed):
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, fmt.Sprintf("row is marked unkeyed, but the chain is keyed from row %d on (signed checkpoint)", rep.KeyedFrom)
			case !keyed && db.audit == nil:
				return rep, fmt.Errorf("audit row %d is keyed (%s) and no audit key is configured: set SKILLCERT_AUDIT_KEY", r.Seq, r.HashAlg)
			case !keyed:
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, fmt.Sprintf("row's hash algorithm %q is unknown", r.HashAlg)
			case h != r.Hash:
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, "row content does not match its hash"
			}
			if cp, ok := at[r.Seq]; rep.OK && ok && cp.LastHash != r.Hash {
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, fmt.Sprintf("row's hash differs from the one signed in checkpoint %d at %s", cp.ID, cp.At.UTC().Format(time.RFC3339))
			}
			if !rep.OK {
				return rep, nil
			}
			prev, next = r.Hash, r.Seq+1
		}
		if len(rows) < batch {
			break
		}
	}
	if last.ID > 0 && next-1 < last.Seq {
		rep.OK, rep.BrokenAt = false, next
		rep.Problem = fmt.Sprintf("rows %d to %d are missing: checkpoint %d, signed at %s, counts %d rows (the log was truncated)",
			next, last.Seq, last.ID, last.At.UTC().Format(time.RFC3339), last.Seq)
	}
	return rep, nil
}
