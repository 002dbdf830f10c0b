package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // for the benchmark schema's set-up

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
)

// runBench runs one benchmark; each prints one line of figures (see README, Performance).
func runBench(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	if file := os.Getenv("SKILLCERT_BENCH_CPUPROFILE"); file != "" {
		// A CPU profile of the whole process (server, worker and driver alike) for the run.
		f, err := os.Create(file)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if len(args) == 0 {
		return errors.New("usage: skillcert bench inbox|query|lifecycle|decisions")
	}
	switch args[0] {
	case "lifecycle":
		return benchLifecycle(ctx, cfg, log, args[1:], stdout)
	case "inbox":
		return benchInbox(ctx, cfg, log, args[1:], stdout)
	case "query":
		return benchQuery(ctx, cfg, log, args[1:], stdout)
	case "decisions":
		return benchDecisions(ctx, cfg, log, args[1:], stdout)
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

// benchInbox seeds open and closed tasks (by default 100,000 and 1,000,000) across all
// jurisdictions and times the first inbox page (filtered, sorted by due date) of a county, a
// league and the region.
func benchInbox(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench inbox", flag.ContinueOnError)
	open := fs.Int("open", 100_000, "open tasks")
	closed := fs.Int("closed", 1_000_000, "closed tasks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *open < 1 || *closed < 0 {
		return errors.New("--open must be at least 1 and --closed at least 0")
	}
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
	if err := db.SeedBenchTasks(ctx, counties, parents, *open, *closed); err != nil {
		return err
	}
	load := time.Since(start)
	log.Info("seeded tasks", "seconds", load.Seconds())

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
	fmt.Fprintf(stdout, "inbox p50_ms=%.2f p99_ms=%.2f rows=%d queries=%d open=%d closed=%d load_s=%.1f rss_mb=%d\n",
		p(0.50), p(0.99), rows, len(times), *open, *closed, load.Seconds(), peakRSSMB())
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

// benchQuery seeds certificates (by default 1,000,000) and drives the public query by number over HTTP with
// concurrent clients, against the real handler chain and against a bare handler doing the same
// indexed lookup, alternating rounds so that both see the same machine.
func benchQuery(ctx context.Context, cfg Config, log *slog.Logger, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench query", flag.ContinueOnError)
	n := fs.Int("certificates", 1_000_000, "certificates")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return errors.New("--certificates must be at least 1")
	}
	certificates := *n
	const clients, rounds = 8, 4
	const roundTime = 5 * time.Second
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
	ent := models.Enterprise{Name: "基准企业", CreditCode: "91150105MA0N00001B", JurisdictionCode: "150105", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	if err := db.CreateEnterprise(ctx, &ent); err != nil {
		return err
	}
	start := time.Now()
	if err := db.SeedBenchCertificates(ctx, ent.ID, certificates); err != nil {
		return err
	}
	load := time.Since(start)
	log.Info("seeded certificates", "seconds", load.Seconds())

	enf, err := service.NewEnforcer(ctx, db)
	if err != nil {
		return err
	}
	key := func(s string) []byte { b := make([]byte, 32); copy(b, s); return b }
	// Every client of the benchmark shares one loopback address: the per-address throttles
	// (the process's bucket and the database's query budget, which would ask for a CAPTCHA)
	// would measure themselves, so they are set out of reach here.
	svc, err := service.New(service.Deps{DB: db, Enforcer: enf, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DataKey: key("bench-data"), LookupKey: key("bench-lookup"), SigningKey: key("bench-sign"), StorageDir: os.TempDir(),
		Config: service.Config{Throttle: domain.ThrottleBudgets{}}})
	if err != nil {
		return err
	}
	h, err := httpHandler(svc, api.Config{PublicURL: "http://bench", SessionKey: key("bench-session"), PublicQueryBurst: 1 << 30, PublicQueryEvery: time.Nanosecond})
	if err != nil {
		return err
	}
	ours := httptest.NewServer(h)
	defer ours.Close()
	bare := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var row struct {
			Number, HolderName, IDMasked, OccupationName, IssuerName, Status string
			Level                                                            int
			IssueDate                                                        time.Time
		}
		err := db.WithContext(r.Context()).Raw(`SELECT number, holder_name, id_masked, occupation_name, issuer_name, status, level, issue_date
			FROM certificates WHERE number = ? AND holder_name = ?`, r.URL.Query().Get("number"), r.URL.Query().Get("name")).Scan(&row).Error
		if err != nil {
			http.Error(w, "error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": []any{row}})
	}))
	defer bare.Close()

	tr := &http.Transport{MaxIdleConns: clients * 2, MaxIdleConnsPerHost: clients * 2}
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	drive := func(base, path string) (n int, lat []time.Duration, err error) {
		var mu sync.Mutex
		deadline := time.Now().Add(roundTime)
		var wg sync.WaitGroup
		var firstErr error
		for w := 0; w < clients; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
				var local []time.Duration
				for time.Now().Before(deadline) {
					g := r.IntN(certificates)
					url := base + path + models.BenchCertificateNumber(g) + "&name=" + url.QueryEscape(models.BenchHolderName(g))
					t0 := time.Now()
					resp, e := hc.Get(url)
					if e == nil {
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							e = fmt.Errorf("status %d", resp.StatusCode)
						}
					}
					if e != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = e
						}
						mu.Unlock()
						return
					}
					local = append(local, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, local...)
				mu.Unlock()
			}(w)
		}
		wg.Wait()
		return len(lat), lat, firstErr
	}
	var oursN, bareN int
	var oursLat []time.Duration
	for round := 0; round < rounds; round++ {
		n, lat, err := drive(ours.URL, "/api/v1/public/certificates?number=")
		if err != nil {
			return fmt.Errorf("public query: %w", err)
		}
		oursN += n
		oursLat = append(oursLat, lat...)
		n, _, err = drive(bare.URL, "/?number=")
		if err != nil {
			return fmt.Errorf("baseline: %w", err)
		}
		bareN += n
	}
	secs := (rounds * roundTime).Seconds()
	slices.Sort(oursLat)
	pct := func(q float64) float64 { return float64(oursLat[int(q*float64(len(oursLat)-1))].Microseconds()) / 1000 }
	rps, baseRPS := float64(oursN)/secs, float64(bareN)/secs
	fmt.Fprintf(stdout, "query rps=%.0f p99_ms=%.2f baseline_rps=%.0f ratio=%.2f clients=%d certificates=%d p50_ms=%.2f load_s=%.1f rss_mb=%d\n",
		rps, pct(0.99), baseRPS, rps/baseRPS, clients, certificates, pct(0.50), load.Seconds(), peakRSSMB())
	return nil
}
