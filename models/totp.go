package models

import (
	"context"
	"time"
)

// TOTPRecoveryCode is one recovery code of an account's two-factor login (its SHA-256).
type TOTPRecoveryCode struct {
	ID       string `gorm:"primaryKey"`
	UserID   string
	CodeHash string
	UsedAt   *time.Time
}

// TableName is the table of recovery codes.
func (TOTPRecoveryCode) TableName() string { return "totp_recovery_codes" }

// SetTOTPSecret stores a sealed TOTP secret awaiting confirmation; it fails with ErrConflict
// once two-factor login is on.
func (db *DB) SetTOTPSecret(ctx context.Context, id, sealed string) error {
	res := db.WithContext(ctx).Model(&User{}).Where("id = ? AND totp_enabled_at IS NULL", id).
		Updates(map[string]any{"totp_secret": sealed})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrConflict
	}
	return nil
}

// EnableTOTP switches two-factor login on with the stored secret, recording step as used and
// replacing the recovery codes with codeHashes, in one transaction; ErrConflict if it is on
// already or step was used.
func (db *DB) EnableTOTP(ctx context.Context, id string, step int64, codeHashes []string, now time.Time) error {
	return db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&User{}).Where("id = ? AND totp_enabled_at IS NULL AND totp_secret <> '' AND totp_last_step < ?", id, step).
			Updates(map[string]any{"totp_enabled_at": now.UTC(), "totp_last_step": step})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrConflict
		}
		if err := tx.Where("user_id = ?", id).Delete(&TOTPRecoveryCode{}).Error; err != nil {
			return err
		}
		for _, h := range codeHashes {
			if err := tx.Create(&TOTPRecoveryCode{ID: NewID(), UserID: id, CodeHash: h}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// UseTOTPStep records that the code of time step logged in: it succeeds only if no code of
// that step or a later one was accepted before (replay).
func (db *DB) UseTOTPStep(ctx context.Context, id string, step int64) (bool, error) {
	res := db.WithContext(ctx).Model(&User{}).Where("id = ? AND totp_enabled_at IS NOT NULL AND totp_last_step < ?", id, step).
		Update("totp_last_step", step)
	return res.RowsAffected == 1, res.Error
}

// UseRecoveryCode marks the account's unused recovery code with that hash used; false if
// there is none.
func (db *DB) UseRecoveryCode(ctx context.Context, id, codeHash string, now time.Time) (bool, error) {
	res := db.WithContext(ctx).Model(&TOTPRecoveryCode{}).Where("user_id = ? AND code_hash = ? AND used_at IS NULL", id, codeHash).
		Update("used_at", now.UTC())
	return res.RowsAffected == 1, res.Error
}

// UnusedRecoveryCodes counts the account's recovery codes not yet used.
func (db *DB) UnusedRecoveryCodes(ctx context.Context, id string) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&TOTPRecoveryCode{}).Where("user_id = ? AND used_at IS NULL", id).Count(&n).Error
	return n, err
}
