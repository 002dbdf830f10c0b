package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	return loc
}

// TestAuditDaysInShanghai checks that the audit list's from/to are whole days in the configured
// zone: 20 May in Asia/Shanghai is 19 May 16:00 to 20 May 16:00 UTC, on both databases.
func TestAuditDaysInShanghai(t *testing.T) {
	sh := shanghai(t)
	s := &Service{cfg: Config{Location: sh}}
	from, err := s.auditDay("2027-05-20", "from", 0)
	require.NoError(t, err)
	to, err := s.auditDay("2027-05-20", "to", 1)
	require.NoError(t, err)
	require.Equal(t, time.Date(2027, 5, 19, 16, 0, 0, 0, time.UTC), from.UTC())
	require.Equal(t, time.Date(2027, 5, 20, 16, 0, 0, 0, time.UTC), to.UTC())
	_, err = s.auditDay("2027/05/20", "from", 0)
	require.Error(t, err)

	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		for _, at := range []time.Time{
			time.Date(2027, 5, 19, 15, 59, 59, 999000000, time.UTC), // 19 May 23:59:59.999 in Shanghai
			time.Date(2027, 5, 19, 16, 0, 0, 0, time.UTC),           // 20 May 00:00
			time.Date(2027, 5, 20, 15, 59, 59, 0, time.UTC),         // 20 May 23:59:59
			time.Date(2027, 5, 20, 16, 0, 0, 0, time.UTC),           // 21 May 00:00
		} {
			require.NoError(t, db.AppendAudit(ctx, &models.AuditEntry{At: at, Action: "probe", ActorName: "probe"}))
		}
		rows, total, err := db.SearchAudit(ctx, models.AuditQuery{AuditFilter: models.AuditFilter{Action: "probe"}, ActorName: "probe", From: from, To: to})
		require.NoError(t, err)
		require.EqualValues(t, 2, total)
		require.Equal(t, []int64{3, 2}, []int64{rows[0].Seq, rows[1].Seq}, "newest first")
	})
}
