package models

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// Throttle is one attempt counter (table throttles): the attempts for a purpose by one key,
// counted since the count was last forgotten.
type Throttle struct {
	Purpose string `gorm:"primaryKey"`
	Subject string `gorm:"primaryKey"`
	Count   int
	FirstAt time.Time
	LastAt  time.Time
}

// Throttles returns the counters of a purpose for the given keys, by key (missing keys have
// none).
func (db *DB) Throttles(ctx context.Context, purpose string, subjects ...string) (map[string]Throttle, error) {
	var rows []Throttle
	if err := db.WithContext(ctx).Where("purpose = ? AND subject IN ?", purpose, subjects).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]Throttle, len(rows))
	for _, r := range rows {
		out[r.Subject] = r
	}
	return out, nil
}

// CountAttempt adds one attempt at `at` to a key's counter in one statement, so that attempts
// on several replicas at once all count. A counter whose last attempt is older than forgetBefore
// starts again at one.
func (db *DB) CountAttempt(ctx context.Context, purpose, subject string, at, forgetBefore time.Time) error {
	at, forgetBefore = at.UTC(), forgetBefore.UTC()
	return db.WithContext(ctx).Exec(`INSERT INTO throttles (purpose, subject, count, first_at, last_at) VALUES (?, ?, 1, ?, ?)
ON CONFLICT (purpose, subject) DO UPDATE SET
  count = CASE WHEN throttles.last_at < ? THEN 1 ELSE throttles.count + 1 END,
  first_at = CASE WHEN throttles.last_at < ? THEN excluded.first_at ELSE throttles.first_at END,
  last_at = excluded.last_at`, purpose, subject, at, at, forgetBefore, forgetBefore).Error
}

// ClearThrottle forgets a key's counter for a purpose and says how many attempts it held.
func (db *DB) ClearThrottle(ctx context.Context, purpose, subject string) (int, error) {
	var n int
	err := db.Tx(ctx, func(tx *DB) error {
		var t Throttle
		err := tx.First(&t, "purpose = ? AND subject = ?", purpose, subject).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		n = t.Count
		return tx.Delete(&Throttle{}, "purpose = ? AND subject = ?", purpose, subject).Error
	})
	return n, err
}

// PruneThrottles deletes the counters last used before a time, and the expired CAPTCHAs.
func (db *DB) PruneThrottles(ctx context.Context, before, now time.Time) error {
	if err := db.WithContext(ctx).Delete(&Throttle{}, "last_at < ?", before.UTC()).Error; err != nil {
		return err
	}
	return db.WithContext(ctx).Delete(&Captcha{}, "expires_at < ?", now.UTC()).Error
}

// Captcha is a CAPTCHA handed out (table captchas): the hash of its ID and answer, never the
// answer itself.
type Captcha struct {
	ID         string `gorm:"primaryKey"`
	AnswerHash string
	ExpiresAt  time.Time
}

// CreateCaptcha stores a CAPTCHA handed out.
func (db *DB) CreateCaptcha(ctx context.Context, c Captcha) error {
	c.ExpiresAt = c.ExpiresAt.UTC()
	return db.WithContext(ctx).Create(&c).Error
}

// TakeCaptcha removes a CAPTCHA and returns it if it was there and unexpired at now. Of
// several concurrent takers of one ID only one gets it, so each CAPTCHA is checked once.
func (db *DB) TakeCaptcha(ctx context.Context, id string, now time.Time) (Captcha, error) {
	var c Captcha
	err := db.Tx(ctx, func(tx *DB) error {
		if err := tx.First(&c, "id = ?", id).Error; err != nil {
			return notFound(err)
		}
		res := tx.Delete(&Captcha{}, "id = ?", id)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return Captcha{}, err
	}
	if !now.UTC().Before(c.ExpiresAt) {
		return Captcha{}, ErrNotFound
	}
	return c, nil
}

// InDirectory tells whether an enterprise has been published in the pilot directory (in any
// batch, still listed or not).
func (db *DB) InDirectory(ctx context.Context, enterpriseID string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&DirectoryEntry{}).Where("enterprise_id = ?", enterpriseID).Limit(1).Count(&n).Error
	return n > 0, err
}
