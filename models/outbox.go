package models

import (
	"context"
	"time"

	"gorm.io/gorm"
)

// Delivery states of a notification. The in-app list shows every row whatever its state; the
// states only track delivery through the outbox's Sender (e-mail).
const (
	NotificationPending = "pending" // waiting for (another) delivery attempt
	NotificationSending = "sending" // claimed by one worker replica, being delivered
	NotificationSent    = "sent"    // delivered, or nothing to deliver to (see OutboxEntry.DeliveryNote)
	NotificationFailed  = "failed"  // given up: a permanent error or too many attempts
)

// OutboxEntry is a notification with the delivery bookkeeping that in-app views do not need.
type OutboxEntry struct {
	Notification
	NextAttemptAt *time.Time `json:"next_attempt_at,omitempty"`
	ClaimedAt     *time.Time `json:"claimed_at,omitempty"`
	ClaimToken    string     `json:"-"`
	DeliveryNote  string     `json:"delivery_note,omitempty"`
}

// TableName maps OutboxEntry to the notifications table.
func (OutboxEntry) TableName() string { return "notifications" }

// OutboxEntryByID returns one notification with its delivery bookkeeping.
func (db *DB) OutboxEntryByID(ctx context.Context, id string) (OutboxEntry, error) {
	var e OutboxEntry
	err := db.WithContext(ctx).First(&e, "id = ?", id).Error
	return e, notFound(err)
}

// DueNotifications returns up to n pending notifications whose next attempt is due at now,
// oldest first. Reading them claims nothing: ClaimNotification decides who sends each.
func (db *DB) DueNotifications(ctx context.Context, now time.Time, n int) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).Where("status = ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", NotificationPending, now.UTC()).
		Order("created_at, id").Limit(n).Find(&ns).Error
	return ns, err
}

// ClaimNotification moves a due pending notification to sending under token. It is one
// conditional UPDATE, so of two replicas that read the same row exactly one wins; it reports
// false to the other (and for a row that is no longer pending or not yet due).
func (db *DB) ClaimNotification(ctx context.Context, id, token string, now time.Time) (bool, error) {
	now = now.UTC()
	res := db.WithContext(ctx).Model(&Notification{}).
		Where("id = ? AND status = ? AND (next_attempt_at IS NULL OR next_attempt_at <= ?)", id, NotificationPending, now).
		Updates(map[string]any{"status": NotificationSending, "claimed_at": now, "claim_token": token})
	return res.RowsAffected == 1, res.Error
}

// ReleaseStaleClaims puts notifications claimed before `before` and still sending back to
// pending: their sender died mid-delivery. The lost attempt counts, so a row that kills its
// sender every time ends as failed after maxAttempts instead of looping forever. The message
// may have left before the crash, so a release can mean a second delivery: the outbox is
// at-least-once, and a Message-ID derived from the notification ID lets mail clients fold
// duplicates.
func (db *DB) ReleaseStaleClaims(ctx context.Context, before, now time.Time, maxAttempts int) (int64, error) {
	res := db.WithContext(ctx).Model(&Notification{}).
		Where("status = ? AND claimed_at < ?", NotificationSending, before.UTC()).
		Updates(map[string]any{
			"status":          gorm.Expr("CASE WHEN attempts + 1 >= ? THEN ? ELSE ? END", maxAttempts, NotificationFailed, NotificationPending),
			"attempts":        gorm.Expr("attempts + 1"),
			"last_error":      "claim expired: the sender stopped during delivery",
			"next_attempt_at": now.UTC(),
			"claim_token":     "",
		})
	return res.RowsAffected, res.Error
}

// DeliveryResult is the outcome of one delivery attempt.
type DeliveryResult struct {
	// Status is NotificationSent, NotificationPending (retry at NextAttemptAt) or NotificationFailed.
	Status        string
	At            time.Time
	NextAttemptAt time.Time
	Error         string
	Note          string
}

// FinishNotification records the outcome of the attempt made under the claim token and counts
// the attempt. It reports false when the claim was lost (released as stale and claimed again):
// the later claim's outcome stands.
func (db *DB) FinishNotification(ctx context.Context, id, token string, r DeliveryResult) (bool, error) {
	at := r.At.UTC()
	set := map[string]any{"status": r.Status, "attempts": gorm.Expr("attempts + 1"), "claim_token": ""}
	switch r.Status {
	case NotificationSent:
		set["sent_at"], set["delivery_note"] = at, truncateRunes(r.Note, 200)
	case NotificationPending:
		set["next_attempt_at"] = r.NextAttemptAt.UTC()
	}
	if r.Error != "" {
		set["last_error"] = truncateRunes(r.Error, 500)
	}
	res := db.WithContext(ctx).Model(&Notification{}).
		Where("id = ? AND status = ? AND claim_token = ?", id, NotificationSending, token).Updates(set)
	return res.RowsAffected == 1, res.Error
}

// truncateRunes cuts s to at most n characters without splitting one (PostgreSQL rejects
// invalid UTF-8, and VARCHAR lengths count characters).
func truncateRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}
