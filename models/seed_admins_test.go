package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// The upgrade path of 三员分立: a database whose only administrator is a sysadmin gets the
// security and audit administrators from seed; the sysadmin stays as it was.
func TestSeedAdminsAddsTheMissingAdministrators(t *testing.T) {
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	_, err := db.SeedJurisdictions(ctx)
	require.NoError(t, err)
	region := models.RegionCode
	old := models.User{Username: "ops", DisplayName: "旧系统管理员", Role: models.RoleSysadmin, JurisdictionCode: &region, Active: true}
	require.NoError(t, old.SetPassword("Old-admin-pass-1"))
	require.NoError(t, db.CreateUser(ctx, &old))

	missing, err := db.MissingAdmins(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{models.RoleSecAdmin, models.RoleAuditAdmin}, missing)
	created, err := db.SeedAdmins(ctx, map[string]string{models.RoleSysadmin: "Sys-pass-123", models.RoleSecAdmin: "Sec-pass-123",
		models.RoleAuditAdmin: "Aud-pass-123"})
	require.NoError(t, err)
	require.Equal(t, []string{"secadmin", "auditadmin"}, created, "no second system administrator")
	sec, err := db.UserByUsername(ctx, "secadmin")
	require.NoError(t, err)
	require.True(t, sec.CheckPassword("Sec-pass-123"))
	require.True(t, sec.MustChangePassword, "changed at the first login")
	missing, err = db.MissingAdmins(ctx)
	require.NoError(t, err)
	require.Empty(t, missing)
	again, err := db.SeedAdmins(ctx, map[string]string{models.RoleSecAdmin: "Sec-pass-456"})
	require.NoError(t, err)
	require.Empty(t, again, "seed is idempotent")
}
