package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

// Demo enterprises and an enterprise user of the first, from SeedDemo.
const (
	dairyID = "00000000-0000-7000-8000-000000000101"
	rareID  = "00000000-0000-7000-8000-000000000102"
)

func TestAttachmentVersionsAreKept(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		_, _, err := db.SeedDemo(ctx, "demo-password-1")
		require.NoError(t, err)
		user, err := db.UserByUsername(ctx, "dairy")
		require.NoError(t, err)

		newVersion := func(purpose, name, replaces string) *models.Attachment {
			a := &models.Attachment{EnterpriseID: dairyID, JurisdictionCode: "150105", Purpose: purpose,
				Name: name, ContentType: "application/pdf", Size: 42, SHA256: "ab",
				StorageKey: models.NewID(), UploadedBy: user.ID}
			if replaces != "" {
				a.ReplacesID = &replaces
			}
			return a
		}

		v1 := newVersion(models.PurposeRules, "制度汇编.pdf", "")
		require.NoError(t, db.CreateAttachment(ctx, v1))
		require.Equal(t, 1, v1.Version)
		require.Equal(t, v1.ID, v1.SlotID, "a new document's slot is its first version")
		require.Nil(t, v1.ReplacesID)

		v2 := newVersion(models.PurposeRules, "制度汇编（修订）.pdf", v1.ID)
		require.NoError(t, db.CreateAttachment(ctx, v2))
		require.Equal(t, 2, v2.Version)
		require.Equal(t, v1.ID, v2.SlotID)
		v3 := newVersion(models.PurposeRules, "制度汇编（终稿）.pdf", v2.ID)
		require.NoError(t, db.CreateAttachment(ctx, v3))
		require.Equal(t, 3, v3.Version)

		// Another document of another purpose, and one of another enterprise.
		c3 := newVersion(models.ConditionPurpose(3), "行业影响力.pdf", "")
		require.NoError(t, db.CreateAttachment(ctx, c3))
		other := newVersion(models.PurposeRules, "稀土制度.pdf", "")
		other.EnterpriseID, other.JurisdictionCode = rareID, "150203"
		require.NoError(t, db.CreateAttachment(ctx, other))

		// Every version stays, in order, whichever version is asked about.
		for _, id := range []string{v1.ID, v2.ID, v3.ID} {
			vs, err := db.AttachmentVersions(ctx, id)
			require.NoError(t, err)
			require.Len(t, vs, 3)
			for i, v := range vs {
				require.Equal(t, i+1, v.Version)
			}
			require.Equal(t, "制度汇编.pdf", vs[0].Name)
			require.Equal(t, v2.ID, *vs[2].ReplacesID)
		}

		// Lists show the current version of each document of the enterprise only.
		list, err := db.AttachmentsByEnterprise(ctx, dairyID, "")
		require.NoError(t, err)
		require.Len(t, list, 2)
		require.Equal(t, c3.ID, list[0].ID, "condition_3 sorts before rules")
		require.Equal(t, v3.ID, list[1].ID)
		list, err = db.AttachmentsByEnterprise(ctx, dairyID, models.PurposeRules)
		require.NoError(t, err)
		require.Len(t, list, 1)
		require.Equal(t, v3.ID, list[0].ID)
		list, err = db.AttachmentsByEnterprise(ctx, dairyID, models.PurposeWorkPlan)
		require.NoError(t, err)
		require.Empty(t, list)
		require.NotNil(t, list, "an empty list is [] in JSON, not null")

		got, err := db.AttachmentByID(ctx, v2.ID)
		require.NoError(t, err)
		require.Equal(t, "制度汇编（修订）.pdf", got.Name)
		require.Equal(t, v2.StorageKey, got.StorageKey)
		require.Equal(t, "ab", got.SHA256)
		require.False(t, got.CreatedAt.IsZero())

		// A version already replaced cannot be replaced again: the history never forks.
		fork := newVersion(models.PurposeRules, "分叉.pdf", v1.ID)
		require.ErrorIs(t, db.CreateAttachment(ctx, fork), models.ErrConflict)
		// Replacing keeps the purpose, and never crosses enterprises.
		require.ErrorIs(t, db.CreateAttachment(ctx, newVersion(models.PurposeSite, "x.pdf", v3.ID)), models.ErrAttachmentPurpose)
		require.ErrorIs(t, db.CreateAttachment(ctx, newVersion(models.PurposeRules, "x.pdf", other.ID)), models.ErrNotFound)
		require.ErrorIs(t, db.CreateAttachment(ctx, newVersion(models.PurposeRules, "x.pdf", "no-such-id")), models.ErrNotFound)

		_, err = db.AttachmentByID(ctx, "no-such-id")
		require.ErrorIs(t, err, models.ErrNotFound)
		_, err = db.AttachmentVersions(ctx, "no-such-id")
		require.ErrorIs(t, err, models.ErrNotFound)
	})
}

func TestAttachmentPurposes(t *testing.T) {
	require.Equal(t, "condition_1", models.ConditionPurpose(1))
	require.Equal(t, "condition_7", models.ConditionPurpose(7))
	for n := 1; n <= 7; n++ {
		require.Contains(t, models.AttachmentPurposeNames, models.ConditionPurpose(n))
	}
	for _, p := range []string{models.PurposeRules, models.PurposeSite, models.PurposeAgreement, models.PurposeWorkPlan} {
		require.NotEmpty(t, models.AttachmentPurposeNames[p], p)
	}
}
