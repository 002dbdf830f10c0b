package models

import (
	"context"
	"strings"
	"time"
)

// Audiences of the unified identity platform (统一身份认证): enterprises log in with their
// unified social credit code, officials with their staff ID.
const (
	AudienceEnterprise = "enterprise"
	AudienceOfficial   = "official"
)

// How a platform identity was first matched to an account.
const (
	MatchedByCreditCode = "credit_code"
	MatchedByStaffID    = "staff_id"
)

// IdentityLink ties a subject of the unified identity platform (issuer + subject) to an account.
type IdentityLink struct {
	ID          string     `gorm:"primaryKey" json:"id"`
	Audience    string     `json:"audience"`
	Issuer      string     `json:"issuer"`
	Subject     string     `json:"subject"`
	UserID      string     `json:"user_id"`
	MatchedBy   string     `json:"matched_by"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at,omitempty"`
}

// TableName is the table of identity links.
func (IdentityLink) TableName() string { return "identity_links" }

// IdentityLinkFor returns the link of a platform subject; ErrNotFound if it has none.
func (db *DB) IdentityLinkFor(ctx context.Context, issuer, subject string) (IdentityLink, error) {
	var l IdentityLink
	err := db.WithContext(ctx).First(&l, "issuer = ? AND subject = ?", issuer, subject).Error
	return l, notFound(err)
}

// CreateIdentityLink records a link; ErrConflict when the subject, or the account at this
// issuer, is linked already.
func (db *DB) CreateIdentityLink(ctx context.Context, l *IdentityLink) error {
	if l.ID == "" {
		l.ID = NewID()
	}
	l.CreatedAt = l.CreatedAt.UTC()
	return conflict(db.WithContext(ctx).Create(l).Error)
}

// TouchIdentityLink records a login through the link.
func (db *DB) TouchIdentityLink(ctx context.Context, id string, now time.Time) error {
	return db.WithContext(ctx).Model(&IdentityLink{}).Where("id = ?", id).Update("last_login_at", now.UTC()).Error
}

// IdentityLinksOf lists the platform identities linked to an account.
func (db *DB) IdentityLinksOf(ctx context.Context, userID string) ([]IdentityLink, error) {
	var out []IdentityLink
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at").Find(&out).Error
	return out, err
}

// EnterpriseAccounts lists the active enterprise-user accounts of an enterprise.
func (db *DB) EnterpriseAccounts(ctx context.Context, enterpriseID string) ([]User, error) {
	var out []User
	err := db.WithContext(ctx).Where("enterprise_id = ? AND role = ? AND active", enterpriseID, RoleEnterpriseUser).
		Order("created_at").Find(&out).Error
	return out, err
}

// UserByStaffID returns the account with that staff ID (users.staff_id); ErrNotFound if none.
func (db *DB) UserByStaffID(ctx context.Context, staffID string) (User, error) {
	var u User
	err := db.WithContext(ctx).First(&u, "staff_id = ?", strings.TrimSpace(staffID)).Error
	return u, notFound(err)
}

// SetStaffID records an account's staff ID (empty clears it); ErrConflict when another
// account holds it.
func (db *DB) SetStaffID(ctx context.Context, userID, staffID string) error {
	var v any
	if s := strings.TrimSpace(staffID); s != "" {
		v = s
	}
	res := db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).Update("staff_id", v)
	if res.Error != nil {
		return conflict(res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// StaffIDOf returns an account's staff ID ("" if none).
func (db *DB) StaffIDOf(ctx context.Context, userID string) (string, error) {
	var s *string
	err := db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).Select("staff_id").Scan(&s).Error
	if err != nil || s == nil {
		return "", err
	}
	return *s, nil
}

// DisableTOTP switches an account's two-factor login off: the secret, the enrolment and the
// recovery codes go (the last accepted time step stays, so no old code counts again). It
// reports whether two-factor login was on or a secret was pending.
func (db *DB) DisableTOTP(ctx context.Context, id string) (bool, error) {
	var changed bool
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&User{}).Where("id = ? AND (totp_enabled_at IS NOT NULL OR totp_secret <> '')", id).
			Updates(map[string]any{"totp_enabled_at": nil, "totp_secret": ""})
		if res.Error != nil {
			return res.Error
		}
		changed = res.RowsAffected == 1
		return tx.Where("user_id = ?", id).Delete(&TOTPRecoveryCode{}).Error
	})
	return changed, err
}
