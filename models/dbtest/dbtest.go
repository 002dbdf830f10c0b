// Package dbtest gives tests a fresh, migrated application database: SQLite in a temporary
// directory, or PostgreSQL in a schema of its own on the server named by
// SKILLCERT_TEST_DATABASE_URL. When SKILLCERT_TEST_POSTGRES=required (as in CI) an unreachable
// PostgreSQL fails the test instead of skipping it.
package dbtest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for schema set-up

	"skillcert/models"
)

// DefaultPostgresURL is used when SKILLCERT_TEST_DATABASE_URL is unset.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Dialects lists the dialects a test should run on, in order.
var Dialects = []models.Dialect{models.SQLite, models.Postgres}

// New returns a migrated database of the dialect, dropped when the test ends.
func New(t testing.TB, d models.Dialect) *models.DB {
	t.Helper()
	ctx := context.Background()
	var dsn string
	switch d {
	case models.Postgres:
		dsn = PostgresSchema(t)
	default:
		dsn = filepath.Join(t.TempDir(), "app.db")
	}
	db, err := models.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", d, err)
	}
	if _, err := db.SeedJurisdictions(ctx); err != nil {
		t.Fatalf("seed jurisdictions: %v", err)
	}
	if err := db.SeedExclusions(ctx); err != nil {
		t.Fatalf("seed exclusions: %v", err)
	}
	return db
}

// PostgresSchema creates an empty schema for the test and returns a DSN whose search_path
// points at it; the schema is dropped at cleanup. It skips, or fails when PostgreSQL is
// required, if the server cannot be reached.
func PostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv("SKILLCERT_TEST_DATABASE_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	admin, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("SKILLCERT_TEST_POSTGRES") == "required" {
			t.Fatalf("PostgreSQL is required but unreachable at SKILLCERT_TEST_DATABASE_URL: %v", err)
		}
		t.Skipf("PostgreSQL unreachable (set SKILLCERT_TEST_DATABASE_URL): %v", err)
	}
	schema := fmt.Sprintf("t_%d_%s", time.Now().UnixNano(), strings.ToLower(sanitize(t.Name())))
	if len(schema) > 60 {
		schema = schema[:60]
	}
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse SKILLCERT_TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func sanitize(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ForEach runs fn as a subtest on every dialect.
func ForEach(t *testing.T, fn func(t *testing.T, db *models.DB)) {
	for _, d := range Dialects {
		t.Run(string(d), func(t *testing.T) { fn(t, New(t, d)) })
	}
}
