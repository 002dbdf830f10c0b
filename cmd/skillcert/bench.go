package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"runtime"
	"slices"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // for the benchmark schema's set-up

	"skillcert/models"
	"skillcert/policies"
)

// runBench runs one benchmark; each prints one line of figures (see README, Performance).
func runBench(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: skillcert bench inbox")
	}
	switch args[0] {
	case "inbox":
		return benchInbox(ctx, cfg, log, stdout)
	}
	return fmt.Errorf("unknown benchmark %q", args[0])
}

// benchSchema creates a throwaway schema on the PostgreSQL server of dsn and returns a DSN that
// uses it, and a function that drops it.
func benchSchema(dsn string) (string, func(), error) {
	if models.DialectOf(dsn) != models.Postgres {
		return "", nil, errors.New("benchmarks run on PostgreSQL: set SKILLCERT_DATABASE_URL")
	}
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		admin.Close()
		return "", nil, err
	}
	u, err := url.Parse(dsn)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), func() { _, _ = admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); admin.Close() }, nil
}

// benchInbox seeds 100,000 open and 1,000,000 closed tasks across all jurisdictions and times
// the first inbox page (filtered, sorted by due date) of a county, a league and the region.
func benchInbox(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	dsn, drop, err := benchSchema(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer drop()
	db, err := openDB(ctx, Config{DatabaseURL: dsn}, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.SeedJurisdictions(ctx); err != nil {
		return err
	}
	parents, err := db.JurisdictionParents(ctx)
	if err != nil {
		return err
	}
	tree, err := policies.NewTree(parents)
	if err != nil {
		return err
	}
	var counties []string
	for c, p := range parents {
		if p != "" && p != models.RegionCode {
			counties = append(counties, c)
		}
	}
	slices.Sort(counties)
	start := time.Now()
	if err := db.SeedBenchTasks(ctx, counties, parents, 100_000, 1_000_000); err != nil {
		return err
	}
	log.Info("seeded tasks", "seconds", time.Since(start).Seconds())

	type probe struct {
		role, domain, kind, level string
	}
	probes := []probe{{"county_official", "150102", "county_precheck", models.LevelCounty},
		{"league_official", "150100", "league_review", models.LevelLeague}, {"region_official", models.RegionCode, "region_decision", models.LevelRegion}}
	var times []time.Duration
	rows := 0
	for round := 0; round < 200; round++ {
		for _, p := range probes {
			for _, view := range []string{models.ViewAll, models.ViewUnit} {
				f := models.InboxFilter{View: view, Role: p.role, Domain: p.domain, Jurisdictions: tree.Subtree(p.domain), Limit: 50,
					ScopeLevel: p.level}
				if round%2 == 1 {
					f.Kind = p.kind
				}
				t0 := time.Now()
				ts, _, err := db.InboxPage(ctx, f)
				if err != nil {
					return err
				}
				times = append(times, time.Since(t0))
				rows += len(ts)
			}
		}
	}
	slices.Sort(times)
	p := func(q float64) float64 { return float64(times[int(q*float64(len(times)-1))].Microseconds()) / 1000 }
	fmt.Fprintf(stdout, "inbox p50_ms=%.2f p99_ms=%.2f rows=%d queries=%d open=100000 closed=1000000 rss_mb=%d\n",
		p(0.50), p(0.99), rows, len(times), peakRSSMB())
	return nil
}

// peakRSSMB is the process's peak resident set size.
func peakRSSMB() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	if runtime.GOOS == "darwin" {
		return ru.Maxrss / (1 << 20)
	}
	return ru.Maxrss / 1024
}
