// Package models holds the GORM models, the queries and the versioned migrations of the
// application database. It is the only package that builds SQL. The same code runs on SQLite
// (the embedded default) and PostgreSQL (production).
package models

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/google/uuid"
	sqlite "github.com/libtnb/sqlite"
	"github.com/pressly/goose/v3"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Dialect names the SQL dialect of a database.
type Dialect string

// Dialects the application runs on.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the application database handle.
type DB struct {
	*gorm.DB
	Dialect Dialect
	// audit keys and checkpoints the audit chain (SetAuditChain); nil appends unkeyed rows.
	audit *AuditChain
}

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned when a versioned update lost a race or a unique key is taken.
var ErrConflict = errors.New("conflict")

// DialectOf tells the dialect from a DSN: postgres:// or postgresql:// URLs and key=value
// strings are PostgreSQL, anything else is a SQLite file path or file: URI.
func DialectOf(dsn string) Dialect {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || strings.Contains(dsn, "host=") {
		return Postgres
	}
	return SQLite
}

// SQLiteDSN turns a file path into a DSN with the pragmas the application relies on: WAL so
// readers do not block the writer, a busy timeout, foreign keys, and immediate write transactions
// so two writers queue instead of failing to upgrade a read lock.
func SQLiteDSN(path string) string {
	return "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// Open connects to the database named by dsn.
func Open(ctx context.Context, dsn string) (*DB, error) {
	d := DialectOf(dsn)
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		NowFunc:                func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) },
		SkipDefaultTransaction: true,
		TranslateError:         true,
	}
	var (
		g   *gorm.DB
		err error
	)
	switch d {
	case Postgres:
		g, err = gorm.Open(postgres.Open(dsn), cfg)
	default:
		if !strings.HasPrefix(dsn, "file:") {
			dsn = SQLiteDSN(dsn)
		}
		g, err = gorm.Open(sqlite.Open(dsn), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", d, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	if d == Postgres {
		sqlDB.SetMaxOpenConns(32)
		sqlDB.SetMaxIdleConns(32) // as many as may be open: a busy pool must not close and reopen connections
	} else {
		sqlDB.SetMaxOpenConns(8)
		sqlDB.SetMaxIdleConns(8) // the default two: a busy pool reopened files, pragmas and schema all the time
	}
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		return nil, fmt.Errorf("reach %s database: %w", d, err)
	}
	return &DB{DB: g, Dialect: d}, nil
}

// Close closes the underlying connection pool.
func (db *DB) Close() error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	sqlDB, err := db.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.PingContext(ctx)
}

func (db *DB) sqlDB() (*sql.DB, error) { return db.DB.DB() }

// Migrate applies every pending migration and returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int64, error) {
	p, err := db.migrationProvider()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	var applied []int64
	for _, r := range results {
		applied = append(applied, r.Source.Version)
	}
	if err := db.protectCheckpoints(ctx); err != nil {
		return applied, err
	}
	return applied, nil
}

// MigrateTo applies the pending migrations up to and including version (for upgrade tests
// that start from an older schema).
func (db *DB) MigrateTo(ctx context.Context, version int64) error {
	p, err := db.migrationProvider()
	if err != nil {
		return err
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		return fmt.Errorf("migrate up to %d: %w", version, err)
	}
	return nil
}

// MigrationVersion returns the current schema version and the newest one this build knows.
func (db *DB) MigrationVersion(ctx context.Context) (current, latest int64, err error) {
	p, err := db.migrationProvider()
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	sources := p.ListSources()
	if len(sources) > 0 {
		latest = sources[len(sources)-1].Version
	}
	return current, latest, nil
}

func (db *DB) migrationProvider() (*goose.Provider, error) {
	sqlDB, err := db.sqlDB()
	if err != nil {
		return nil, err
	}
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	return goose.NewProvider(dialect, sqlDB, sub)
}

// NewID returns a new time-ordered unique identifier (UUIDv7).
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}

// RandomToken returns n random bytes for secrets such as session tokens.
func RandomToken(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return b
}

// notFound maps gorm's record-not-found error to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) || errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// conflict maps a unique-key violation to ErrConflict.
func conflict(err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("%w: %v", ErrConflict, err)
	}
	return err
}
