package models

import (
	"context"
	"crypto"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"

	"skillcert/internal/cryptosuite"
)

// AuditChain keys the audit chain and signs its checkpoints. The key and the signing key come
// from the configuration, never from the database, so someone who can write the database but
// does not hold them cannot edit rows and recompute the chain, nor forge a checkpoint.
type AuditChain struct {
	// Suite's HMAC hashes new rows (HMAC-SHA256 or HMAC-SM3) under Key (32 bytes).
	Suite cryptosuite.Suite
	Key   []byte
	// Signer signs checkpoints (Ed25519 or SM2); Trusted verifies them (every configured
	// signing key, so checkpoints signed under an earlier suite still verify).
	Signer  crypto.Signer
	Trusted cryptosuite.PublicKeys
	// A checkpoint is written on the first row after EveryRows rows or Every time since the
	// last one (and on the first keyed row). Defaults: 1000 rows, 10 minutes.
	EveryRows int
	Every     time.Duration
	// OnCheckpoint, if set, is told of each checkpoint written (the process logs it, which
	// keeps a copy outside the database).
	OnCheckpoint func(AuditCheckpoint)
}

// hashAlg names the chain's keyed hash: hmac-sha256 (intl) or hmac-sm3 (gm).
func (c *AuditChain) hashAlg() string {
	if c.Suite.Name() == cryptosuite.GM {
		return "hmac-sm3"
	}
	return "hmac-sha256"
}

// SetAuditChain keys this handle's audit appends and verification. Call it once at start,
// before the handle is shared.
func (db *DB) SetAuditChain(c *AuditChain) error {
	if c == nil {
		db.audit = nil
		return nil
	}
	if c.Suite == nil || len(c.Key) != cryptosuite.KeySize {
		return fmt.Errorf("audit chain: a suite and a %d-byte key are required", cryptosuite.KeySize)
	}
	if cryptosuite.SignerAlg(c.Signer) == "" {
		return errors.New("audit chain: a checkpoint signing key is required")
	}
	cc := *c
	if cc.EveryRows <= 0 {
		cc.EveryRows = 1000
	}
	if cc.Every <= 0 {
		cc.Every = 10 * time.Minute
	}
	own := cryptosuite.PublicOf(c.Signer)
	if _, ok := cc.Trusted.Find(own.Alg, own.ID); !ok {
		cc.Trusted = append(cryptosuite.PublicKeys{own}, cc.Trusted...)
	}
	db.audit = &cc
	return nil
}

// AuditCheckpoint is one signed checkpoint of the audit chain, in the append-only
// audit_checkpoints table.
type AuditCheckpoint struct {
	ID        int64     `gorm:"primaryKey;autoIncrement:false" json:"id"`
	Seq       int64     `json:"seq"`
	LastHash  string    `json:"last_hash"`
	At        time.Time `json:"at"`
	KeyedFrom int64     `json:"keyed_from"`
	SigAlg    string    `json:"sig_alg"`
	SigKey    string    `json:"sig_key"`
	Signature string    `json:"signature"`
}

// TableName is the checkpoint table.
func (AuditCheckpoint) TableName() string { return "audit_checkpoints" }

// payload is what a checkpoint's signature covers.
func (cp AuditCheckpoint) payload() []byte {
	return []byte("skillcert/audit-checkpoint/v1\n" + strconv.FormatInt(cp.ID, 10) + "\n" + strconv.FormatInt(cp.Seq, 10) + "\n" +
		cp.LastHash + "\n" + cp.At.UTC().Format("2006-01-02T15:04:05.000000Z") + "\n" + strconv.FormatInt(cp.KeyedFrom, 10))
}

// maybeCheckpoint writes a checkpoint after the row e, inside the append's transaction (so under
// the chain's lock), when one is due.
func (db *DB) maybeCheckpoint(ctx context.Context, e AuditEntry) error {
	c := db.audit
	var last AuditCheckpoint
	err := db.WithContext(ctx).Order("id DESC").Limit(1).Take(&last).Error
	if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
		return fmt.Errorf("read last audit checkpoint: %w", err)
	}
	keyedFrom := last.KeyedFrom
	if keyedFrom == 0 {
		// The first keyed row: the earliest row not hashed unkeyed.
		var first AuditEntry
		if err := db.WithContext(ctx).Where("hash_alg <> ?", HashUnkeyed).Order("seq").Limit(1).Take(&first).Error; err == nil {
			keyedFrom = first.Seq
		}
	}
	due := last.ID == 0 || last.KeyedFrom != keyedFrom || e.Seq-last.Seq >= int64(c.EveryRows) || e.At.Sub(last.At) >= c.Every
	if !due {
		return nil
	}
	cp := AuditCheckpoint{ID: last.ID + 1, Seq: e.Seq, LastHash: e.Hash, At: e.At, KeyedFrom: keyedFrom}
	alg, sig, err := cryptosuite.Sign(c.Signer, cp.payload())
	if err != nil {
		return fmt.Errorf("sign audit checkpoint: %w", err)
	}
	cp.SigAlg, cp.SigKey, cp.Signature = alg, cryptosuite.PublicOf(c.Signer).ID, base64.StdEncoding.EncodeToString(sig)
	if err := db.WithContext(ctx).Create(&cp).Error; err != nil {
		return fmt.Errorf("write audit checkpoint: %w", err)
	}
	if c.OnCheckpoint != nil {
		c.OnCheckpoint(cp)
	}
	return nil
}

// AuditCheckpoints lists the checkpoints in order.
func (db *DB) AuditCheckpoints(ctx context.Context) ([]AuditCheckpoint, error) {
	var cps []AuditCheckpoint
	err := db.WithContext(ctx).Order("id").Find(&cps).Error
	return cps, err
}

// verifiedCheckpoints loads the checkpoints and checks them: numbered 1, 2, 3 … without a gap,
// rows and times never going back, each signature valid under a trusted key. bad describes the
// first fault. Without a configured chain the signatures cannot be checked: checkpoints are
// then reported as a fault only if present (a keyed log needs its key to be verified).
func (db *DB) verifiedCheckpoints(ctx context.Context) (cps []AuditCheckpoint, bad string, err error) {
	cps, err = db.AuditCheckpoints(ctx)
	if err != nil || len(cps) == 0 {
		return cps, "", err
	}
	if db.audit == nil {
		return nil, "", errors.New("the audit log has signed checkpoints and no audit key is configured: set SKILLCERT_AUDIT_KEY and the signing keys")
	}
	for i, cp := range cps {
		sig, err := base64.StdEncoding.DecodeString(cp.Signature)
		switch {
		case cp.ID != int64(i+1):
			return cps, fmt.Sprintf("checkpoint %d is missing", i+1), nil
		case err != nil || !db.audit.Trusted.Verify(cp.SigAlg, cp.SigKey, cp.payload(), sig):
			return cps, fmt.Sprintf("checkpoint %d has no valid signature of a configured key", cp.ID), nil
		case i > 0 && (cp.Seq < cps[i-1].Seq || cp.At.Before(cps[i-1].At)):
			return cps, fmt.Sprintf("checkpoint %d goes back in rows or time", cp.ID), nil
		}
	}
	return cps, "", nil
}

// protectCheckpoints makes audit_checkpoints append-only in the database too: triggers refuse
// UPDATE and DELETE. The statements differ by dialect, so they run here rather than in a
// migration; they are idempotent.
func (db *DB) protectCheckpoints(ctx context.Context) error {
	var stmts []string
	switch db.Dialect {
	case Postgres:
		stmts = []string{
			`CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_checkpoints is append-only: % refused', TG_OP;
END $$`,
			`DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON audit_checkpoints`,
			`CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only()`,
		}
	default:
		stmts = []string{
			`CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: UPDATE refused'); END`,
			`CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only: DELETE refused'); END`,
		}
	}
	for _, q := range stmts {
		if err := db.WithContext(ctx).Exec(q).Error; err != nil {
			return fmt.Errorf("protect audit checkpoints: %w", err)
		}
	}
	return nil
}
