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
}

// TableName is the audit table.
func (AuditEntry) TableName() string { return "audit_log" }

// computeHash hashes the row's content together with the previous hash. The encoding is fixed
// (JSON of an ordered struct, times in UTC with nanoseconds cut to microseconds) so that any
// later change to a stored row or to the order of rows breaks the chain.
func (a AuditEntry) computeHash() string {
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
		if e.At.IsZero() {
			e.At = time.Now()
		}
		e.At = e.At.UTC().Truncate(time.Microsecond)
		e.Hash = e.computeHash()
		return tx.Create(e).Error
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
}

// VerifyAudit walks the whole chain in batches and reports the first break: a gap in the
// sequence, a previous-hash mismatch, or a row whose content no longer matches its hash.
func (db *DB) VerifyAudit(ctx context.Context) (ChainReport, error) {
	const batch = 1000
	rep := ChainReport{OK: true}
	prev := genesisHash
	var next int64 = 1
	for {
		var rows []AuditEntry
		if err := db.WithContext(ctx).Where("seq >= ?", next).Order("seq").Limit(batch).Find(&rows).Error; err != nil {
			return rep, err
		}
		for _, r := range rows {
			rep.Rows++
			switch {
			case r.Seq != next:
				rep.OK, rep.BrokenAt, rep.Problem = false, next, fmt.Sprintf("row %d is missing", next)
			case r.PrevHash != prev:
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, "previous-hash link does not match"
			case r.computeHash() != r.Hash:
				rep.OK, rep.BrokenAt, rep.Problem = false, r.Seq, "row content does not match its hash"
			}
			if !rep.OK {
				return rep, nil
			}
			prev, next = r.Hash, r.Seq+1
		}
		if len(rows) < batch {
			return rep, nil
		}
	}
}
