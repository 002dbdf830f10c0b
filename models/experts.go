package models

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"skillcert/domain"
)

// PoolEntry is an expert account with its pool entry, if it has one (the centre's list).
type PoolEntry struct {
	UserID        string `json:"user_id"`
	Username      string `json:"username"`
	DisplayName   string `json:"display_name"`
	AccountActive bool   `json:"account_active"`
	// InPool says whether the account has a pool entry; an account without one is never drawn.
	InPool      bool       `json:"in_pool"`
	Employer    string     `json:"employer"`
	Field       string     `json:"field"`
	Occupations string     `json:"occupations"`
	Active      bool       `json:"active"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

// Drawable reports whether the expert would be drawn: in the pool, active, account active.
func (r PoolEntry) Drawable() bool { return r.InPool && r.Active && r.AccountActive }

// ExpertRoster lists every expert account with its pool entry, by username.
func (db *DB) ExpertRoster(ctx context.Context) ([]PoolEntry, error) {
	var rows []PoolEntry
	err := db.WithContext(ctx).Raw(`SELECT u.id AS user_id, u.username, u.display_name, u.active AS account_active,
		e.user_id IS NOT NULL AS in_pool, COALESCE(e.employer, '') AS employer, COALESCE(e.speciality, '') AS field,
		COALESCE(e.occupations, '') AS occupations, COALESCE(e.active, ?) AS active, e.updated_at
		FROM users u LEFT JOIN experts e ON e.user_id = u.id WHERE u.role = ? ORDER BY u.username`, false, RoleExpert).
		Scan(&rows).Error
	return rows, err
}

// ExpertAccounts maps the usernames of expert accounts to their user IDs.
func (db *DB) ExpertAccounts(ctx context.Context) (map[string]string, error) {
	var us []User
	if err := db.WithContext(ctx).Select("id", "username").Where("role = ?", RoleExpert).Find(&us).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(us))
	for _, u := range us {
		out[u.Username] = u.ID
	}
	return out, nil
}

// ExpertByUser is the pool entry of a user (ErrNotFound when there is none).
func (db *DB) ExpertByUser(ctx context.Context, userID string) (Expert, error) {
	var e Expert
	err := db.WithContext(ctx).Where("user_id = ?", userID).Take(&e).Error
	return e, notFound(err)
}

// SaveExperts writes pool entries (insert or replace; Conflicts are kept) with their audit rows
// in one transaction: all of them or none.
func (db *DB) SaveExperts(ctx context.Context, es []Expert, audit []AuditEntry) error {
	now := time.Now().UTC()
	return db.Tx(ctx, func(tx *DB) error {
		for i := range es {
			es[i].UpdatedAt = &now
			if err := tx.WithContext(ctx).Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "user_id"}},
				DoUpdates: clause.AssignmentColumns([]string{"employer", "speciality", "occupations", "active", "updated_at"}),
			}).Create(&es[i]).Error; err != nil {
				return err
			}
		}
		for i := range audit {
			if err := tx.AppendAudit(ctx, &audit[i]); err != nil {
				return err
			}
		}
		return nil
	})
}

// CasesWaitingForExperts lists the open cases whose panel draw found too few experts and that
// still wait in the summary stage for another draw: those a change of the pool may unblock.
func (db *DB) CasesWaitingForExperts(ctx context.Context) ([]Case, error) {
	var cs []Case
	err := db.WithContext(ctx).Where(`status = ? AND stage = ? AND (waiting_on = ? OR EXISTS (
		SELECT 1 FROM case_events ev WHERE ev.case_id = cases.id AND ev.kind = ?))`, "open", domain.StageInSummary, WaitingExpertPool, "panel_failed").
		Order("id").Find(&cs).Error
	return cs, err
}

// WaitingExpertPool is the WaitingOn of a case whose panel draw found too few experts.
const WaitingExpertPool = domain.WaitingExpertPool
