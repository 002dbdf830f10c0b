package service

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
)

const testPassword = "test-password-1"

// testEnv is a service over a database holding the demo data, whose use cases a test calls
// directly, with no route and no middleware in front of them.
type testEnv struct {
	t  *testing.T
	db *models.DB
	s  *Service
}

func newTestEnv(t *testing.T, db *models.DB) *testEnv {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, testPassword)
	require.NoError(t, err)
	enf, err := NewEnforcer(ctx, db)
	require.NoError(t, err)
	s, err := New(Deps{DB: db, Enforcer: enf, Now: time.Now, DataKey: []byte("data-key-data-key-data-key-32byt"),
		LookupKey: []byte("lookup-key-lookup-key-lookup-key"), StorageDir: t.TempDir()})
	require.NoError(t, err)
	return &testEnv{t: t, db: db, s: s}
}

// actor is the actor of a demo account.
func (e *testEnv) actor(username string) *Actor {
	e.t.Helper()
	a, err := e.s.ActorFor(context.Background(), e.user(username))
	require.NoError(e.t, err)
	return a
}

func (e *testEnv) user(username string) models.User {
	e.t.Helper()
	u, err := e.db.UserByUsername(context.Background(), username)
	require.NoError(e.t, err)
	return u
}

func (e *testEnv) userCount(username string) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db.Model(&models.User{}).Where("username = ?", username).Count(&n).Error)
	return n
}

func (e *testEnv) precheck(code string) bool {
	e.t.Helper()
	j, err := e.db.JurisdictionByCode(context.Background(), code)
	require.NoError(e.t, err)
	return j.PrecheckEnabled
}
