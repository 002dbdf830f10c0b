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

func TestThrottleCountsAcrossConnectionsAndForgets(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		// Concurrent attempts (as from several replicas) all count: one upsert each.
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Go(func() {
				require.NoError(t, db.CountAttempt(ctx, "login", "account:a", now, now.Add(-15*time.Minute)))
			})
		}
		wg.Wait()
		require.NoError(t, db.CountAttempt(ctx, "register", "addr:1.2.3.4", now, now.Add(-time.Hour)))
		got, err := db.Throttles(ctx, "login", "account:a", "addr:1.2.3.4")
		require.NoError(t, err)
		require.Len(t, got, 1, "purposes are counted apart")
		require.Equal(t, 8, got["account:a"].Count)
		require.WithinDuration(t, now, got["account:a"].LastAt, time.Millisecond)

		// Once the window has passed since the last attempt, the count starts again.
		later := now.Add(20 * time.Minute)
		require.NoError(t, db.CountAttempt(ctx, "login", "account:a", later, later.Add(-15*time.Minute)))
		got, err = db.Throttles(ctx, "login", "account:a")
		require.NoError(t, err)
		require.Equal(t, 1, got["account:a"].Count)
		require.WithinDuration(t, later, got["account:a"].FirstAt, time.Millisecond)

		n, err := db.ClearThrottle(ctx, "login", "account:a")
		require.NoError(t, err)
		require.Equal(t, 1, n)
		got, err = db.Throttles(ctx, "login", "account:a")
		require.NoError(t, err)
		require.Empty(t, got)

		require.NoError(t, db.PruneThrottles(ctx, now.Add(time.Minute), now))
		got, err = db.Throttles(ctx, "register", "addr:1.2.3.4")
		require.NoError(t, err)
		require.Empty(t, got, "pruned")
	})
}

func TestCaptchaIsTakenOnceAndExpires(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)
		require.NoError(t, db.CreateCaptcha(ctx, models.Captcha{ID: "c1", AnswerHash: "h1", ExpiresAt: now.Add(5 * time.Minute)}))
		require.NoError(t, db.CreateCaptcha(ctx, models.Captcha{ID: "c2", AnswerHash: "h2", ExpiresAt: now.Add(5 * time.Minute)}))
		c, err := db.TakeCaptcha(ctx, "c1", now)
		require.NoError(t, err)
		require.Equal(t, "h1", c.AnswerHash)
		_, err = db.TakeCaptcha(ctx, "c1", now)
		require.ErrorIs(t, err, models.ErrNotFound, "single use")
		_, err = db.TakeCaptcha(ctx, "c2", now.Add(6*time.Minute))
		require.ErrorIs(t, err, models.ErrNotFound, "expired")
		_, err = db.TakeCaptcha(ctx, "c2", now)
		require.ErrorIs(t, err, models.ErrNotFound, "an expired CAPTCHA is gone after the attempt")
	})
}
