package models_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

func TestMigrationsUpOnEveryDialect(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		cur, latest, err := db.MigrationVersion(ctx)
		require.NoError(t, err)
		require.Equal(t, latest, cur, "schema version after migrate")
		require.Greater(t, cur, int64(0))

		// Running again applies nothing.
		again, err := db.Migrate(ctx)
		require.NoError(t, err)
		require.Empty(t, again)

		js, err := db.Jurisdictions(ctx)
		require.NoError(t, err)
		require.Len(t, js, 116, "the region, 12 leagues, 2 direct cities and 101 counties")
		parents, err := db.JurisdictionParents(ctx)
		require.NoError(t, err)
		require.Equal(t, "150000", parents["150781"], "满洲里 reports to the region directly")
		require.Equal(t, "150000", parents["152501"], "二连浩特 reports to the region directly")
		require.Equal(t, "150100", parents["150102"])
		require.Equal(t, "", parents["150000"])

		// Seeding twice inserts nothing more.
		n, err := db.SeedJurisdictions(ctx)
		require.NoError(t, err)
		require.Zero(t, n)
	})
}

func TestSubtreeCodesFollowsParents(t *testing.T) {
	parents := map[string]string{"150000": "", "150700": "150000", "150702": "150700", "150781": "150000"}
	require.ElementsMatch(t, []string{"150700", "150702"}, models.SubtreeCodes(parents, "150700"))
	require.Nil(t, models.SubtreeCodes(parents, "999999"))
}

func TestUsersSessionsAndTokens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		j := "150102"
		u := models.User{Username: "u1", DisplayName: "甲", Role: models.RoleCountyOfficial, JurisdictionCode: &j, Active: true}
		require.NoError(t, u.SetPassword("correct horse"))
		require.NoError(t, db.CreateUser(ctx, &u))
		dup := models.User{Username: "u1", DisplayName: "乙", Role: models.RoleCountyOfficial, JurisdictionCode: &j, Active: true, PasswordHash: "x"}
		require.ErrorIs(t, db.CreateUser(ctx, &dup), models.ErrConflict)

		got, err := db.UserByUsername(ctx, "u1")
		require.NoError(t, err)
		require.True(t, got.CheckPassword("correct horse"))
		require.False(t, got.CheckPassword("wrong"))

		now := time.Now().UTC()
		require.NoError(t, db.CreateSession(ctx, &models.Session{TokenHash: models.HashToken("t"), UserID: u.ID, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)}))
		_, su, err := db.SessionUser(ctx, models.HashToken("t"), now)
		require.NoError(t, err)
		require.Equal(t, u.ID, su.ID)
		_, _, err = db.SessionUser(ctx, models.HashToken("t"), now.Add(2*time.Hour))
		require.ErrorIs(t, err, models.ErrNotFound, "expired session")

		// Users in the subtree only.
		list, total, err := db.Users(ctx, models.UserFilter{Jurisdictions: []string{"150103"}})
		require.NoError(t, err)
		require.Zero(t, total)
		require.Empty(t, list)
		_, total, err = db.Users(ctx, models.UserFilter{Jurisdictions: []string{"150100", "150102"}})
		require.NoError(t, err)
		require.EqualValues(t, 1, total)
	})
}

func TestAuditChainAppendsVerifiesAndDetectsTampering(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		// Concurrent appends never fork the chain.
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.AppendAudit(ctx, &models.AuditEntry{Action: "test", ObjectType: "case", ObjectID: "c1", Outcome: models.OutcomeOK, Reason: "并发"})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		rep, err := db.VerifyAudit(ctx)
		require.NoError(t, err)
		require.True(t, rep.OK, "chain: %+v", rep)
		require.EqualValues(t, 20, rep.Rows)

		// Editing a stored row is detected at that row.
		require.NoError(t, db.Exec("UPDATE audit_log SET reason = ? WHERE seq = ?", "改过", 7).Error)
		rep, err = db.VerifyAudit(ctx)
		require.NoError(t, err)
		require.False(t, rep.OK)
		require.EqualValues(t, 7, rep.BrokenAt)

		// Deleting a row is detected as a gap.
		require.NoError(t, db.Exec("UPDATE audit_log SET reason = ? WHERE seq = ?", "并发", 7).Error)
		require.NoError(t, db.Exec("DELETE FROM audit_log WHERE seq = ?", 12).Error)
		rep, err = db.VerifyAudit(ctx)
		require.NoError(t, err)
		require.False(t, rep.OK)
		require.EqualValues(t, 12, rep.BrokenAt)
	})
}

func TestOccupationImportAndExclusions(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		d, err := db.OccupationDictionary(ctx)
		require.NoError(t, err)
		require.Equal(t, 1639, d.Len(), "embedded dictionary until an import")

		_, err = db.ImportOccupations(ctx, "bad.csv", []byte("code,name,major,middle,minor\n6-31-01-03,电工,6,6-31,6-31-01\nx,坏行,,,\n"), "t")
		require.Error(t, err)
		require.Contains(t, err.Error(), "3", "the error names the bad line")

		n, err := db.ImportOccupations(ctx, "official.csv", []byte("code,name,major,middle,minor\n6-31-01-03,电工,6,6-31,6-31-01\n6-18-02-04,焊工,6,6-18,6-18-02\n"), "t")
		require.NoError(t, err)
		require.Equal(t, 2, n)
		d, err = db.OccupationDictionary(ctx)
		require.NoError(t, err)
		require.Equal(t, 2, d.Len())

		es, err := db.Exclusions(ctx)
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(es), 5, "seeded access-type list")
		require.NoError(t, db.AddExclusion(ctx, models.OccupationExclusion{Code: "6-31-01-03", Name: "电工", Reason: "测试"}))
		require.ErrorIs(t, db.AddExclusion(ctx, models.OccupationExclusion{Name: "电工"}), models.ErrConflict)
		require.NoError(t, db.RemoveExclusion(ctx, "电工"))
		require.ErrorIs(t, db.RemoveExclusion(ctx, "电工"), models.ErrNotFound)
	})
}

func TestSupervisionDrawExcludesConflictsBeforeTheDrawAndReruns(t *testing.T) {
	sessions := []models.DrawSession{{ID: "s1", EnterpriseID: "e1", EnterpriseName: "甲公司"}, {ID: "s2", EnterpriseID: "e2", EnterpriseName: "乙公司"},
		{ID: "s3", EnterpriseID: "e3", EnterpriseName: "丙公司"}}
	sups := []models.DrawSupervisor{{UserID: "a", Employer: "甲公司"}, {UserID: "b", Conflicts: []string{"e2"}}, {UserID: "c"}, {UserID: "d"}, {UserID: "e"}}
	for seed := uint64(1); seed < 200; seed++ {
		as, err := models.RunDraw(seed, sessions, sups, 2, 2)
		require.NoError(t, err)
		require.Len(t, as, 2)
		for _, a := range as {
			require.Len(t, a.Supervisors, 2)
			require.NotEqual(t, a.Supervisors[0], a.Supervisors[1])
			if a.SessionID == "s1" {
				require.NotContains(t, a.Eligible, "a", "same employer excluded")
			}
			if a.SessionID == "s2" {
				require.NotContains(t, a.Eligible, "b", "declared relation excluded")
			}
		}
		again, err := models.RunDraw(seed, sessions, sups, 2, 2)
		require.NoError(t, err)
		require.Equal(t, as, again, "same seed, same draw")
	}
	_, err := models.RunDraw(1, sessions, sups[:2], 3, 2)
	require.ErrorIs(t, err, models.ErrTooFewSupervisors)
}
