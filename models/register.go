package models

import (
	"context"
	"errors"
	"fmt"
)

// ErrUsernameTaken is a registration whose username is already an account's. A credit code
// that is already an enterprise's is ErrCreditCodeTaken. Both match ErrConflict.
var ErrUsernameTaken = fmt.Errorf("%w: username taken", ErrConflict)

// RegisterEnterprise creates an enterprise, its first account (an enterprise user bound to
// it) and the audit row of the registration in one transaction: either all three exist
// afterwards or none does, so a refused username never leaves an enterprise without an
// account behind (which would block its credit code for good). IDs left empty are assigned;
// the audit row's object is the enterprise. The unique keys decide the refusals, so two
// concurrent registrations of one credit code cannot both succeed.
func (db *DB) RegisterEnterprise(ctx context.Context, e *Enterprise, u *User, audit *AuditEntry) error {
	if e.ID == "" {
		e.ID = NewID()
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	u.Role, u.EnterpriseID, u.JurisdictionCode = RoleEnterpriseUser, &e.ID, nil
	return db.Tx(ctx, func(tx *DB) error {
		if err := tx.CreateEnterprise(ctx, e); err != nil {
			if errors.Is(err, ErrConflict) {
				return fmt.Errorf("%w (%v)", ErrCreditCodeTaken, err)
			}
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			if errors.Is(err, ErrConflict) {
				return fmt.Errorf("%w (%v)", ErrUsernameTaken, err)
			}
			return err
		}
		if audit == nil {
			return nil
		}
		audit.ObjectType, audit.ObjectID = "enterprise", e.ID
		return tx.AppendAudit(ctx, audit)
	})
}

// EnterpriseByCreditCode returns the enterprise registered under a unified social credit code.
func (db *DB) EnterpriseByCreditCode(ctx context.Context, code string) (Enterprise, error) {
	var e Enterprise
	err := db.WithContext(ctx).First(&e, "credit_code = ?", code).Error
	return e, notFound(err)
}
