package api

import (
	"context"
	"fmt"

	"skillcert/models"
	"skillcert/policies"
)

// NewEnforcer builds the authorization enforcer from the jurisdictions and users tables.
// Grants are also re-synced from each request's user row, so edits on any replica take effect
// on the next request everywhere.
func NewEnforcer(ctx context.Context, db *models.DB) (*policies.Enforcer, error) {
	parents, err := db.JurisdictionParents(ctx)
	if err != nil {
		return nil, fmt.Errorf("load jurisdictions: %w", err)
	}
	tree, err := policies.NewTree(parents)
	if err != nil {
		return nil, err
	}
	users, err := db.ActiveUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("load users: %w", err)
	}
	grants := make([]policies.Grant, 0, len(users))
	for _, u := range users {
		domain := u.Jurisdiction()
		if u.Role == models.RoleEnterpriseUser {
			e, err := db.EnterpriseByID(ctx, u.Enterprise())
			if err != nil {
				return nil, fmt.Errorf("enterprise of user %s: %w", u.ID, err)
			}
			domain = policies.EnterpriseDomain(e.JurisdictionCode, e.ID)
		}
		grants = append(grants, policies.Grant{User: u.ID, Role: u.Role, Domain: domain})
	}
	return policies.NewEnforcer(tree, grants)
}
