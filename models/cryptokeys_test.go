package models_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/dbtest"
)

func TestCheckKeysRefusesAReplicaWithOtherKeys(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		first := []models.KeyInUse{
			{Purpose: "data", Version: 1, Fingerprint: cryptosuite.Fingerprint([]byte("data-1")), Setting: "SKILLCERT_DATA_KEY"},
			{Purpose: "session", Version: 0, Fingerprint: cryptosuite.Fingerprint([]byte("session")), Setting: "SKILLCERT_SESSION_KEY"},
		}
		require.NoError(t, db.CheckKeys(ctx, first))
		// The same keys again (a second replica, a restart): fine.
		require.NoError(t, db.CheckKeys(ctx, first))
		// A new version of the data key is recorded next to the old one.
		require.NoError(t, db.CheckKeys(ctx, []models.KeyInUse{{Purpose: "data", Version: 2, Fingerprint: cryptosuite.Fingerprint([]byte("data-2")), Setting: "SKILLCERT_DATA_KEY"}}))
		// Another data key under version 1: refused, naming the setting, not the key.
		err := db.CheckKeys(ctx, []models.KeyInUse{{Purpose: "data", Version: 1, Fingerprint: cryptosuite.Fingerprint([]byte("other")), Setting: "SKILLCERT_DATA_KEY"}})
		require.Error(t, err)
		require.Contains(t, err.Error(), "SKILLCERT_DATA_KEY (data key, version 1) is not the key this deployment uses")
		require.NotContains(t, err.Error(), "other")
		rows, err := db.KeyFingerprints(ctx)
		require.NoError(t, err)
		require.Len(t, rows, 3)
	})
}
