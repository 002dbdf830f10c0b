package models

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"
)

// UserQuery narrows the administrators' user list. Jurisdictions is the caller's subtree and
// is always applied; the other fields are optional.
type UserQuery struct {
	Jurisdictions []string
	Role          string
	// Text matches part of the username or the display name (case-insensitive for ASCII).
	Text string
	// Active, when set, keeps only enabled (true) or disabled (false) accounts.
	Active        *bool
	Limit, Offset int
}

// SearchUsers lists the users of the query, by username, with the total before paging. A user
// belongs to the jurisdiction it is bound to, an enterprise user to its enterprise's.
func (db *DB) SearchUsers(ctx context.Context, f UserQuery) ([]User, int64, error) {
	q := db.WithContext(ctx).Model(&User{}).
		Where("users.jurisdiction_code IN ? OR users.enterprise_id IN (SELECT id FROM enterprises WHERE jurisdiction_code IN ?)",
			f.Jurisdictions, f.Jurisdictions)
	if f.Role != "" {
		q = q.Where("users.role = ?", f.Role)
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		pat := likeContains(strings.ToLower(t))
		q = q.Where(`LOWER(users.username) LIKE ? ESCAPE '\' OR LOWER(users.display_name) LIKE ? ESCAPE '\'`, pat, pat)
	}
	if f.Active != nil {
		q = q.Where("users.active = ?", *f.Active)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var us []User
	err := q.Order("users.username").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&us).Error
	return us, total, err
}

// likeContains is a LIKE pattern (with '\' as escape) matching s anywhere: s's own % and _
// are matched literally.
func likeContains(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return "%" + r.Replace(s) + "%"
}

// AccessEnded counts what a change to an account ended: its browser sessions and API tokens.
type AccessEnded struct {
	Sessions, Tokens int64
}

// endAccess deletes a user's sessions and revokes their live API tokens.
func (db *DB) endAccess(userID string, now time.Time) (AccessEnded, error) {
	var out AccessEnded
	res := db.Where("user_id = ?", userID).Delete(&Session{})
	if res.Error != nil {
		return out, res.Error
	}
	out.Sessions = res.RowsAffected
	res = db.Model(&APIToken{}).Where("user_id = ? AND revoked_at IS NULL", userID).Update("revoked_at", now.UTC())
	if res.Error != nil {
		return out, res.Error
	}
	out.Tokens = res.RowsAffected
	return out, nil
}

// SetUserActive enables or disables an account. Disabling also ends every session and revokes
// every API token of the account in the same transaction, so nothing issued before keeps
// working (authentication checks the active flag as well).
func (db *DB) SetUserActive(ctx context.Context, id string, active bool, now time.Time) (User, AccessEnded, error) {
	var (
		u     User
		ended AccessEnded
	)
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"active": active, "updated_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if !active {
			var err error
			if ended, err = tx.endAccess(id, now); err != nil {
				return err
			}
		}
		var err error
		u, err = tx.UserByID(ctx, id)
		return err
	})
	return u, ended, err
}

// SetUserPassword replaces an account's password hash and ends its sessions and tokens
// (whoever held the old password may have opened them), in one transaction.
func (db *DB) SetUserPassword(ctx context.Context, id, hash string, now time.Time) (User, AccessEnded, error) {
	var (
		u     User
		ended AccessEnded
	)
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&User{}).Where("id = ?", id).Updates(map[string]any{"password_hash": hash, "updated_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		var err error
		if ended, err = tx.endAccess(id, now); err != nil {
			return err
		}
		u, err = tx.UserByID(ctx, id)
		return err
	})
	return u, ended, err
}

// SetUserGrant binds an account to another role and jurisdiction (officials) or enterprise
// (enterprise users); exactly one of jurisdiction and enterprise is set.
func (db *DB) SetUserGrant(ctx context.Context, id, role string, jurisdiction, enterprise *string, now time.Time) (User, error) {
	res := db.WithContext(ctx).Model(&User{}).Where("id = ?", id).Updates(map[string]any{
		"role": role, "jurisdiction_code": jurisdiction, "enterprise_id": enterprise, "updated_at": now.UTC()})
	if res.Error != nil {
		return User{}, res.Error
	}
	if res.RowsAffected == 0 {
		return User{}, ErrNotFound
	}
	return db.UserByID(ctx, id)
}

// NodeUsers counts the accounts bound to one jurisdiction or enterprise.
type NodeUsers struct {
	Active, Disabled int64
}

// UserCounts counts accounts per jurisdiction code (officials) and per enterprise ID
// (enterprise users).
func (db *DB) UserCounts(ctx context.Context) (byJurisdiction, byEnterprise map[string]NodeUsers, err error) {
	var rows []struct {
		JurisdictionCode *string
		EnterpriseID     *string
		Active           bool
		N                int64
	}
	err = db.WithContext(ctx).Model(&User{}).
		Select("jurisdiction_code, enterprise_id, active, COUNT(*) AS n").
		Group("jurisdiction_code, enterprise_id, active").Scan(&rows).Error
	if err != nil {
		return nil, nil, err
	}
	byJurisdiction, byEnterprise = map[string]NodeUsers{}, map[string]NodeUsers{}
	for _, r := range rows {
		m, key := byJurisdiction, ""
		switch {
		case r.EnterpriseID != nil && *r.EnterpriseID != "":
			m, key = byEnterprise, *r.EnterpriseID
		case r.JurisdictionCode != nil:
			key = *r.JurisdictionCode
		default:
			continue
		}
		n := m[key]
		if r.Active {
			n.Active += r.N
		} else {
			n.Disabled += r.N
		}
		m[key] = n
	}
	return byJurisdiction, byEnterprise, nil
}

// EnterprisesIn lists the enterprises registered in the given jurisdictions, by jurisdiction
// and name.
func (db *DB) EnterprisesIn(ctx context.Context, jurisdictions []string) ([]Enterprise, error) {
	var es []Enterprise
	err := db.WithContext(ctx).Where("jurisdiction_code IN ?", jurisdictions).Order("jurisdiction_code, name").Find(&es).Error
	return es, err
}

// UsernamesByID maps the given user IDs to usernames (unknown IDs are left out).
func (db *DB) UsernamesByID(ctx context.Context, ids []string) (map[string]string, error) {
	out := map[string]string{}
	if len(ids) == 0 {
		return out, nil
	}
	var us []User
	if err := db.WithContext(ctx).Select("id, username").Where("id IN ?", ids).Find(&us).Error; err != nil {
		return nil, err
	}
	for _, u := range us {
		out[u.ID] = u.Username
	}
	return out, nil
}

// OpenTasksHeldBy counts the open tasks a user has claimed: after a user is disabled or moved
// they wait for someone to reassign them.
func (db *DB) OpenTasksHeldBy(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Task{}).Where("assignee_id = ? AND status = ?", userID, TaskOpen).Count(&n).Error
	return n, err
}

// AuditQuery narrows the audit log beyond AuditFilter: by the actor's username, the outcome
// and a time range [From, To) (zero times are open ends).
type AuditQuery struct {
	AuditFilter
	ActorName, Outcome string
	From, To           time.Time
}

// SearchAudit lists audit rows newest first, with the total before paging.
func (db *DB) SearchAudit(ctx context.Context, f AuditQuery) ([]AuditEntry, int64, error) {
	q := db.auditMatching(ctx, f)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var rows []AuditEntry
	err := q.Order("seq DESC").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&rows).Error
	return rows, total, err
}

// auditMatching is the audit rows a query names: the page, the API and the export read the
// log through it.
func (db *DB) auditMatching(ctx context.Context, f AuditQuery) *gorm.DB {
	q := db.WithContext(ctx).Model(&AuditEntry{})
	for _, eq := range [][2]string{{"object_type", f.ObjectType}, {"object_id", f.ObjectID}, {"actor_id", f.ActorID},
		{"action", f.Action}, {"actor_name", f.ActorName}, {"outcome", f.Outcome}} {
		if eq[1] != "" {
			q = q.Where(eq[0]+" = ?", eq[1])
		}
	}
	if f.Jurisdictions != nil {
		q = q.Where("jurisdiction_code IN ?", f.Jurisdictions)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	return q
}
