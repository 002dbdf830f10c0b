package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"skillcert/domain"
)

// Roles a user can hold (domain.Role*). Each user holds exactly one, bound to one jurisdiction
// or, for enterprise users, one enterprise.
const (
	RoleRegionOfficial = domain.RoleRegionOfficial
	RoleRegionCentre   = domain.RoleRegionCentre
	RoleLeagueOfficial = domain.RoleLeagueOfficial
	RoleCountyOfficial = domain.RoleCountyOfficial
	RoleEnterpriseUser = domain.RoleEnterpriseUser
	RoleExpert         = domain.RoleExpert
	RoleSupervisor     = domain.RoleSupervisor
	RoleSysadmin       = domain.RoleSysadmin
	RoleSecAdmin       = domain.RoleSecAdmin
	RoleAuditAdmin     = domain.RoleAuditAdmin
)

// RoleNames maps each role to its Chinese name.
var RoleNames = domain.RoleNames

// bcryptCost is the work factor for password hashes.
var bcryptCost = bcrypt.DefaultCost

// User is an account.
type User struct {
	ID               string     `gorm:"primaryKey" json:"id"`
	Username         string     `json:"username"`
	DisplayName      string     `json:"display_name"`
	PasswordHash     string     `json:"-"`
	Role             string     `json:"role"`
	JurisdictionCode *string    `json:"jurisdiction_code,omitempty"`
	EnterpriseID     *string    `json:"enterprise_id,omitempty"`
	Email            string     `json:"email,omitempty"`
	Phone            string     `json:"phone,omitempty"`
	Active           bool       `json:"active"`
	LastLoginAt      *time.Time `json:"last_login_at,omitempty"`
	// MustChangePassword: the account's sessions can do nothing but change the password.
	MustChangePassword bool `json:"must_change_password"`
	// PasswordChangedAt is when the password was last set (nil: before it was recorded).
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
	// ResetExpiresAt is set while the password is a one-time reset code: the code logs in
	// once, and only before this time.
	ResetExpiresAt *time.Time `json:"-"`
	// TOTPSecret is the sealed TOTP secret (package pii), set at enrolment; TOTPEnabledAt is
	// when its confirmation switched two-factor login on (nil: off). TOTPLastStep is the last
	// time step whose code was accepted (no code is accepted twice).
	TOTPSecret    string     `gorm:"column:totp_secret" json:"-"`
	TOTPEnabledAt *time.Time `gorm:"column:totp_enabled_at" json:"totp_enabled_at,omitempty"`
	TOTPLastStep  int64      `gorm:"column:totp_last_step" json:"-"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
}

// Jurisdiction returns the user's jurisdiction code, empty if none.
func (u User) Jurisdiction() string {
	if u.JurisdictionCode == nil {
		return ""
	}
	return *u.JurisdictionCode
}

// Enterprise returns the user's enterprise ID, empty if none.
func (u User) Enterprise() string {
	if u.EnterpriseID == nil {
		return ""
	}
	return *u.EnterpriseID
}

// SetPassword stores a bcrypt hash of password.
func (u *User) SetPassword(password string) error {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcryptCost)
	if err != nil {
		return err
	}
	u.PasswordHash = string(h)
	return nil
}

// CheckPassword reports whether password matches the stored hash.
func (u User) CheckPassword(password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) == nil
}

// dummyHash is compared against when the username does not exist, so that a wrong username
// costs the same time as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("skillcert-timing-equaliser"), bcrypt.DefaultCost)

// EqualiseTiming spends the time of one password comparison.
func EqualiseTiming(password string) {
	_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
}

// CreateUser inserts a user; a taken username is ErrConflict.
func (db *DB) CreateUser(ctx context.Context, u *User) error {
	if u.ID == "" {
		u.ID = NewID()
	}
	return conflict(db.WithContext(ctx).Create(u).Error)
}

// UserByUsername returns the user with that username.
func (db *DB) UserByUsername(ctx context.Context, username string) (User, error) {
	var u User
	err := db.WithContext(ctx).First(&u, "username = ?", username).Error
	return u, notFound(err)
}

// UserByID returns one user.
func (db *DB) UserByID(ctx context.Context, id string) (User, error) {
	var u User
	err := db.WithContext(ctx).First(&u, "id = ?", id).Error
	return u, notFound(err)
}

// UserFilter narrows a user list; Jurisdictions is the caller's subtree and is always applied.
type UserFilter struct {
	Jurisdictions []string
	Role          string
	Limit, Offset int
}

// Users lists users whose jurisdiction (or enterprise's jurisdiction) lies in the filter's subtree.
func (db *DB) Users(ctx context.Context, f UserFilter) ([]User, int64, error) {
	q := db.WithContext(ctx).Model(&User{}).
		Where("users.jurisdiction_code IN ? OR users.enterprise_id IN (SELECT id FROM enterprises WHERE jurisdiction_code IN ?)",
			f.Jurisdictions, f.Jurisdictions)
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var us []User
	err := q.Order("username").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&us).Error
	return us, total, err
}

// AllGrantsSource returns every active user with the jurisdiction of their enterprise, for
// loading authorization grants at start.
func (db *DB) ActiveUsers(ctx context.Context) ([]User, error) {
	var us []User
	err := db.WithContext(ctx).Where("active = ?", true).Find(&us).Error
	return us, err
}

func clampLimit(n int) int {
	if n <= 0 || n > 200 {
		return 50
	}
	return n
}

// Session is a logged-in browser or API client.
type Session struct {
	TokenHash  string `gorm:"primaryKey"`
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	UserAgent  string
	RemoteAddr string
	// Method is how the session was opened: SessionPassword, SessionRegistration or SessionOIDC.
	Method string
}

// How a session was opened (Session.Method).
const (
	SessionPassword     = "password"
	SessionRegistration = "registration"
	SessionOIDC         = "oidc"
)

// HashToken returns the hex SHA-256 of a secret token; only hashes are stored.
func HashToken(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// CreateSession stores a session for the token.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	return db.WithContext(ctx).Create(s).Error
}

// SessionUser returns the live session for a token hash and its active user.
func (db *DB) SessionUser(ctx context.Context, tokenHash string, now time.Time) (Session, User, error) {
	var s Session
	if err := db.WithContext(ctx).First(&s, "token_hash = ? AND expires_at > ?", tokenHash, now).Error; err != nil {
		return s, User{}, notFound(err)
	}
	u, err := db.UserByID(ctx, s.UserID)
	if err != nil {
		return s, u, err
	}
	if !u.Active {
		return s, u, ErrNotFound
	}
	return s, u, nil
}

// TouchSession extends an idle session.
func (db *DB) TouchSession(ctx context.Context, tokenHash string, now, expires time.Time) error {
	return db.WithContext(ctx).Model(&Session{}).Where("token_hash = ?", tokenHash).
		Updates(map[string]any{"last_seen_at": now, "expires_at": expires}).Error
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, tokenHash string) error {
	return db.WithContext(ctx).Delete(&Session{}, "token_hash = ?", tokenHash).Error
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int64, error) {
	res := db.WithContext(ctx).Delete(&Session{}, "expires_at <= ?", now)
	return res.RowsAffected, res.Error
}

// APIToken is a bearer token for the JSON API.
type APIToken struct {
	ID         string     `gorm:"primaryKey" json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	TokenHash  string     `json:"-"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
}

// CreateAPIToken stores a token.
func (db *DB) CreateAPIToken(ctx context.Context, t *APIToken) error {
	if t.ID == "" {
		t.ID = NewID()
	}
	return db.WithContext(ctx).Create(t).Error
}

// TokenUser returns the user of a live, unrevoked bearer token.
func (db *DB) TokenUser(ctx context.Context, tokenHash string, now time.Time) (APIToken, User, error) {
	var t APIToken
	err := db.WithContext(ctx).First(&t, "token_hash = ? AND revoked_at IS NULL AND expires_at > ?", tokenHash, now).Error
	if err != nil {
		return t, User{}, notFound(err)
	}
	u, err := db.UserByID(ctx, t.UserID)
	if err == nil && !u.Active {
		err = ErrNotFound
	}
	return t, u, err
}

// RevokeAPIToken revokes one of the user's tokens.
func (db *DB) RevokeAPIToken(ctx context.Context, userID, id string, now time.Time) error {
	res := db.WithContext(ctx).Model(&APIToken{}).Where("id = ? AND user_id = ? AND revoked_at IS NULL", id, userID).
		Update("revoked_at", now)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// MarkLogin records a successful login time.
func (db *DB) MarkLogin(ctx context.Context, userID string, at time.Time) error {
	return db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).Update("last_login_at", at).Error
}

// Enterprise is a registered enterprise (applicant).
type Enterprise struct {
	ID               string  `gorm:"primaryKey" json:"id"`
	Name             string  `json:"name"`
	CreditCode       string  `json:"credit_code"`
	JurisdictionCode string  `json:"jurisdiction_code"`
	Address          string  `json:"address"`
	SiteSerial       *string `json:"site_serial,omitempty"`
	// FilingCode is the organisation's filing code with the national centre (备案编码), sent
	// with its certificates to the national query; set by the region.
	FilingCode string    `json:"filing_code"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// CreateEnterprise inserts an enterprise; a taken credit code is ErrConflict.
func (db *DB) CreateEnterprise(ctx context.Context, e *Enterprise) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	return conflict(db.WithContext(ctx).Create(e).Error)
}

// EnterpriseByID returns one enterprise.
func (db *DB) EnterpriseByID(ctx context.Context, id string) (Enterprise, error) {
	var e Enterprise
	err := db.WithContext(ctx).First(&e, "id = ?", id).Error
	return e, notFound(err)
}

// CountUsers returns the number of users.
func (db *DB) CountUsers(ctx context.Context) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&User{}).Count(&n).Error
	return n, err
}

// Tx runs fn in a transaction.
func (db *DB) Tx(ctx context.Context, fn func(tx *DB) error) error {
	return db.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		return fn(&DB{DB: g, Dialect: db.Dialect, audit: db.audit})
	})
}
