package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Actions and states of the national sync queue.
const (
	SyncIssue   = "issue"
	SyncRevoke  = "revoke"
	SyncPending = "pending" // waiting for (another) delivery attempt
	SyncSending = "sending" // claimed by one replica, being delivered
	SyncSent    = "sent"    // accepted by the national endpoint
	SyncFailed  = "failed"  // given up: refused permanently or too many attempts
)

// CertificateSyncEntry is one delivery of a certificate event to the national query system.
type CertificateSyncEntry struct {
	CertificateID string     `gorm:"primaryKey" json:"certificate_id"`
	Action        string     `gorm:"primaryKey" json:"action"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     string     `json:"last_error,omitempty"`
	NextAttemptAt time.Time  `json:"next_attempt_at"`
	ClaimedAt     *time.Time `json:"claimed_at,omitempty"`
	ClaimToken    string     `json:"-"`
	DeliveredAt   *time.Time `json:"delivered_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// TableName is the sync queue table.
func (CertificateSyncEntry) TableName() string { return "certificate_sync" }

// CertificateSyncs returns the sync rows of a certificate, issue first.
func (db *DB) CertificateSyncs(ctx context.Context, certificateID string) ([]CertificateSyncEntry, error) {
	var es []CertificateSyncEntry
	err := db.WithContext(ctx).Where("certificate_id = ?", certificateID).Order("created_at, action").Find(&es).Error
	return es, err
}

// DueCertificateSyncs returns up to n pending rows due at now, oldest first. A revocation waits
// until the certificate's issue was delivered, so the national system never hears of the
// revocation of a certificate it does not know. Reading claims nothing.
func (db *DB) DueCertificateSyncs(ctx context.Context, now time.Time, n int) ([]CertificateSyncEntry, error) {
	var es []CertificateSyncEntry
	err := db.WithContext(ctx).Table("certificate_sync AS s").Select("s.*").
		Where("s.status = ? AND s.next_attempt_at <= ?", SyncPending, now.UTC()).
		Where("s.action = ? OR NOT EXISTS (SELECT 1 FROM certificate_sync i WHERE i.certificate_id = s.certificate_id AND i.action = ? AND i.status <> ?)",
			SyncIssue, SyncIssue, SyncSent).
		Order("s.next_attempt_at, s.created_at, s.certificate_id, s.action").Limit(n).Find(&es).Error
	return es, err
}

// ClaimCertificateSync moves a due pending row to sending under token with one conditional
// UPDATE: of two replicas that read the same row exactly one gets true.
func (db *DB) ClaimCertificateSync(ctx context.Context, certificateID, action, token string, now time.Time) (bool, error) {
	now = now.UTC()
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("certificate_id = ? AND action = ? AND status = ? AND next_attempt_at <= ?", certificateID, action, SyncPending, now).
		Updates(map[string]any{"status": SyncSending, "claimed_at": now, "claim_token": token})
	return res.RowsAffected == 1, res.Error
}

// ReleaseStaleCertificateSyncs puts rows claimed before `before` and still sending back to
// pending (their sender died mid-delivery), counting the lost attempt, or to failed once
// maxAttempts are spent. The national endpoint may have received the lost attempt, so delivery is
// at-least-once; the Idempotency-Key sent with each request lets it fold repeats.
func (db *DB) ReleaseStaleCertificateSyncs(ctx context.Context, before, now time.Time, maxAttempts int) (int64, error) {
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("status = ? AND claimed_at < ?", SyncSending, before.UTC()).
		Updates(map[string]any{
			"status":          gorm.Expr("CASE WHEN attempts + 1 >= ? THEN ? ELSE ? END", maxAttempts, SyncFailed, SyncPending),
			"attempts":        gorm.Expr("attempts + 1"),
			"last_error":      "claim expired: the sender stopped during delivery",
			"next_attempt_at": now.UTC(),
			"claim_token":     "",
		})
	return res.RowsAffected, res.Error
}

// SyncResult is the outcome of one delivery attempt.
type SyncResult struct {
	// Status is SyncSent, SyncPending (retry at NextAttemptAt) or SyncFailed.
	Status        string
	At            time.Time
	NextAttemptAt time.Time
	Error         string
}

// FinishCertificateSync records the outcome of the attempt made under the claim token and
// counts it. It reports false when the claim was lost meanwhile: the later claim's outcome stands.
func (db *DB) FinishCertificateSync(ctx context.Context, certificateID, action, token string, r SyncResult) (bool, error) {
	set := map[string]any{"status": r.Status, "attempts": gorm.Expr("attempts + 1"), "claim_token": ""}
	switch r.Status {
	case SyncSent:
		set["delivered_at"] = r.At.UTC()
	case SyncPending:
		set["next_attempt_at"] = r.NextAttemptAt.UTC()
	}
	if r.Error != "" {
		set["last_error"] = truncateRunes(r.Error, 500)
	}
	res := db.WithContext(ctx).Model(&CertificateSyncEntry{}).
		Where("certificate_id = ? AND action = ? AND status = ? AND claim_token = ?", certificateID, action, SyncSending, token).
		Updates(set)
	return res.RowsAffected == 1, res.Error
}

// PendingCertificateSyncs counts the deliveries waiting (pending or being sent).
func (db *DB) PendingCertificateSyncs(ctx context.Context) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&CertificateSyncEntry{}).Where("status IN ?", []string{SyncPending, SyncSending}).Count(&n).Error
	return n, err
}
