package models

import (
	"context"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// PasswordHistory is one password an account has had (its hash).
type PasswordHistory struct {
	ID           string `gorm:"primaryKey"`
	UserID       string
	PasswordHash string
	CreatedAt    time.Time
}

// TableName is the table of password hashes.
func (PasswordHistory) TableName() string { return "password_history" }

// RecentPasswordHashes returns the account's latest n password hashes, newest first.
func (db *DB) RecentPasswordHashes(ctx context.Context, userID string, n int) ([]string, error) {
	var rows []PasswordHistory
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id DESC").Limit(n).Find(&rows).Error
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.PasswordHash)
	}
	return out, err
}

// MatchesHash reports whether password matches a bcrypt hash.
func MatchesHash(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// PasswordChange is how an account's password is replaced.
type PasswordChange struct {
	Hash string
	// MustChange forces the next session to change it (an administrator set it).
	MustChange bool
	// ResetExpires, when set, makes the password a one-time reset code valid until then.
	ResetExpires *time.Time
	// Keep records the hash in the password history (not for reset codes).
	Keep bool
	// EndAccess ends the account's sessions and tokens except the session KeepSession.
	EndAccess   bool
	KeepSession string
}

// ChangePassword replaces an account's password as ch says, in one transaction, and returns
// the account and what access it ended.
func (db *DB) ChangePassword(ctx context.Context, id string, ch PasswordChange, now time.Time) (User, AccessEnded, error) {
	var (
		u     User
		ended AccessEnded
	)
	now = now.UTC()
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"password_hash": ch.Hash, "updated_at": now,
			"must_change_password": ch.MustChange, "password_changed_at": now, "reset_expires_at": ch.ResetExpires})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if ch.Keep {
			if err := tx.Create(&PasswordHistory{ID: NewID(), UserID: id, PasswordHash: ch.Hash, CreatedAt: now}).Error; err != nil {
				return err
			}
		}
		if ch.EndAccess {
			q := tx.Where("user_id = ?", id)
			if ch.KeepSession != "" {
				q = q.Where("token_hash <> ?", ch.KeepSession)
			}
			r := q.Delete(&Session{})
			if r.Error != nil {
				return r.Error
			}
			ended.Sessions = r.RowsAffected
			r = tx.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", id).Update("revoked_at", now)
			if r.Error != nil {
				return r.Error
			}
			ended.Tokens = r.RowsAffected
		}
		var err error
		u, err = tx.UserByID(ctx, id)
		return err
	})
	return u, ended, err
}

// UseResetCode marks an account's reset code used (it logs in once): it succeeds only for the
// first caller while the code is live.
func (db *DB) UseResetCode(ctx context.Context, id string, now time.Time) (bool, error) {
	res := db.WithContext(ctx).Model(&User{}).Where("id = ? AND reset_expires_at > ?", id, now.UTC()).
		Updates(map[string]any{"reset_expires_at": now.UTC(), "must_change_password": true})
	return res.RowsAffected == 1, res.Error
}

// Login methods and results recorded in the login history.
const (
	LoginByPassword  = "password"
	LoginByResetCode = "reset_code"
	LoginByTOTP      = "totp"
	LoginByRecovery  = "recovery"
	LoginByOIDC      = "oidc"

	LoginOK            = "ok"
	LoginBadCredential = "bad_credentials"
	LoginThrottled     = "throttled"
	LoginDisabled      = "disabled"
	LoginCodeExpired   = "code_expired"
)

// LoginAttempt is one row of the login history.
type LoginAttempt struct {
	ID       string    `gorm:"primaryKey" json:"id"`
	UserID   *string   `json:"user_id,omitempty"`
	Username string    `json:"username"`
	At       time.Time `json:"at"`
	Addr     string    `json:"addr"`
	Method   string    `json:"method"`
	Result   string    `json:"result"`
}

// RecordLoginAttempt appends a row to the login history.
func (db *DB) RecordLoginAttempt(ctx context.Context, l *LoginAttempt) error {
	if l.ID == "" {
		l.ID = NewID()
	}
	l.At = l.At.UTC()
	return db.WithContext(ctx).Create(l).Error
}

// LoginQuery narrows the login history: one account (UserID), or every account (empty).
type LoginQuery struct {
	UserID        string
	Limit, Offset int
}

// LoginAttempts lists the login history of the query with the total before paging.
func (db *DB) LoginAttempts(ctx context.Context, f LoginQuery) ([]LoginAttempt, int64, error) {
	q := db.WithContext(ctx).Model(&LoginAttempt{})
	if f.UserID != "" {
		q = q.Where("user_id = ?", f.UserID)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []LoginAttempt
	err := q.Order("at DESC, id DESC").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&rows).Error
	return rows, total, err
}
