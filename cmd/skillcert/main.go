// Command skillcert runs the enterprise skill-level certification pilot system.
//
//	skillcert dev      everything in one process on an embedded Temporal server and SQLite
//	skillcert api      the HTTP server (production)
//	skillcert worker   the Temporal worker (production)
//	skillcert migrate  apply database migrations
//	skillcert seed     load reference data and the three administrators
//	skillcert audit verify   check the audit log's hash chain
//	skillcert bootstrap  bring a region up: namespace, schema, seed, officials, experts, campaign
//	skillcert temporal the embedded Temporal server alone (tests, one-host trials)
//	skillcert version  print the version
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"
	_ "time/tzdata" // deadlines are computed in Asia/Shanghai even on images without tzdata

	"skillcert/web"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"skillcert/api"
	"skillcert/internal/metrics"
	"skillcert/internal/tracing"
	"skillcert/models"
	"skillcert/nationalsync"
	"skillcert/notify"
	"skillcert/service"
	"skillcert/storage"
	"skillcert/worker"
	"skillcert/workflows"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `skillcert — 企业职业技能等级认定试点管理系统

usage: skillcert <command> [flags]

commands:
  dev       run everything in one process (embedded Temporal + SQLite in ./var)
  api       run the HTTP server against TEMPORAL_ADDRESS and SKILLCERT_DATABASE_URL
  worker    run the Temporal worker
  migrate   apply database migrations and exit
  seed      load reference data and the three administrators (三员), then exit
  audit     audit verify: check the audit log's keyed hash chain and its signed checkpoints
  keys rotate [-batch N]   reseal every stored ID number under the configured suite and key
            version, in batches; safe while serving, resumable (run again after a stop)
  keys fingerprints        list the key fingerprints the deployment recorded
  occupations import FILE.csv   replace the occupation dictionary with an official CSV
            (header code,name,major,middle,minor); running servers pick it up on restart
  bench inbox   measure the inbox on PostgreSQL (100,000 open and 1,000,000 closed tasks)
  bench query   measure the public certificate query on PostgreSQL (1,000,000 certificates)
  bench decisions  measure decision latency: concurrent officials deciding tasks (embedded stack or --target URL)
  bench lifecycle [--cases N]   drive N cases to issued certificates on the embedded stack
                and compare with bare workflows doing the same Temporal work
  simulate [--seed S] [--checks N] [--steps M]   the randomized model test, long: N random
            sequences of up to M actions over the real case workflow; prints the seed and, on a
            violation, the shortest failing sequence, and exits non-zero
  bootstrap [-officials FILE] [-experts FILE.xlsx] [-year N [-collection D -publication D]] [-codes-out FILE]
            bring a region up, idempotently: Temporal namespace and search attributes, migrate,
            seed, officials from a roster (.xlsx/.csv), the expert pool, the campaign
  temporal [--port 7233] [--db-file var/temporal.db] [--namespace default]
            the embedded Temporal server as a process of its own, until SIGTERM (tests and
            one-host trials; production runs a Temporal cluster)
  version   print the version

Configuration comes from flags and SKILLCERT_* / TEMPORAL_* environment variables (see README).
`

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout))
}

func run(args []string, getenv func(string) string, stdout io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if cmd == "version" {
		fmt.Fprintln(stdout, "skillcert", version)
		return 0
	}
	if cmd == "help" || cmd == "-h" || cmd == "--help" {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if cmd == "simulate" {
		return runSimulate(rest, stdout) // its own temporary database; no configuration
	}
	if cmd == "temporal" {
		return runTemporalServer(rest, getenv, stdout) // the embedded Temporal server alone; no configuration
	}
	sub := ""
	switch cmd {
	case "audit":
		if len(rest) == 0 || rest[0] != "verify" {
			fmt.Fprintln(os.Stderr, "usage: skillcert audit verify")
			return 2
		}
		sub, rest = rest[0], rest[1:]
	case "keys":
		if len(rest) == 0 || (rest[0] != "rotate" && rest[0] != "fingerprints") {
			fmt.Fprintln(os.Stderr, "usage: skillcert keys rotate [-batch N] | skillcert keys fingerprints")
			return 2
		}
		sub, rest = rest[0], rest[1:]
	case "occupations":
		if len(rest) < 2 || rest[0] != "import" {
			fmt.Fprintln(os.Stderr, "usage: skillcert occupations import FILE.csv")
			return 2
		}
		sub, rest = rest[1], rest[2:]
	}
	var bopts bootstrapOptions
	if cmd == "bootstrap" {
		var err error
		if bopts, rest, err = splitBootstrapArgs(rest); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
	}
	configFor := cmd
	if cmd == "bench" && len(rest) > 0 && (rest[0] == "lifecycle" || rest[0] == "decisions") {
		configFor = "bench lifecycle" // the embedded stack on its own data directory: no database URL
	}
	cfg, err := loadConfig(configFor, rest, getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "configuration error:", err)
		return 2
	}
	log := newLogger(cfg)
	slog.SetDefault(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch cmd {
	case "dev":
		err = runDev(ctx, cfg, log, stdout)
	case "api":
		err = runAPI(ctx, cfg, log)
	case "worker":
		err = runWorker(ctx, cfg, log)
	case "migrate":
		err = runMigrate(ctx, cfg, log)
	case "seed":
		err = runSeed(ctx, cfg, log)
	case "audit":
		err = runAuditVerify(ctx, cfg, log, stdout)
	case "keys":
		err = runKeys(ctx, cfg, log, sub, rest, stdout)
	case "occupations":
		err = runImportOccupations(ctx, cfg, log, sub, stdout)
	case "bench":
		err = runBench(ctx, cfg, log, rest, stdout)
	case "bootstrap":
		err = runBootstrap(ctx, cfg, log, bopts, stdout)
	default:
		fmt.Fprintf(os.Stderr, "unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	if err != nil {
		log.Error("skillcert stopped with an error", "command", cmd, "err", err)
		return 1
	}
	return 0
}

// openDB opens the application database and, when migrate is set, brings its schema up to date;
// otherwise it refuses to run against an out-of-date schema.
func openDB(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (*models.DB, error) {
	db, err := models.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrate {
		applied, err := db.Migrate(ctx)
		if err != nil {
			db.Close()
			return nil, err
		}
		if len(applied) > 0 {
			log.Info("database migrated", "versions", applied)
		}
		if err := setupCrypto(ctx, cfg, log, db); err != nil {
			db.Close()
			return nil, err
		}
		return db, nil
	}
	cur, latest, err := db.MigrationVersion(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if cur < latest {
		db.Close()
		return nil, fmt.Errorf("database schema is at version %d, this build needs %d: run `skillcert migrate` first", cur, latest)
	}
	if err := setupCrypto(ctx, cfg, log, db); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

func temporalClientOptions(cfg Config, log *slog.Logger, hostPort string) client.Options {
	o := client.Options{
		HostPort:  hostPort,
		Namespace: cfg.TemporalNamespace,
		Logger:    sdklog.NewStructuredLogger(log.With("component", "temporal-sdk")),
	}
	cfg.Temporal.apply(&o) // TLS, mTLS, API key (TEMPORAL_TLS_*, TEMPORAL_API_KEY)
	if cfg.tracer != nil {
		// The trace continues from the request into the workflows and activities (and the
		// workers built on this client trace them).
		ti, err := tracing.TemporalInterceptor(cfg.tracer)
		if err != nil {
			log.Warn("temporal tracing interceptor not installed", "err", err)
		} else {
			o.Interceptors = append(o.Interceptors, ti)
		}
	}
	return o
}

// startTracing makes the process's tracer provider when tracing is configured (cfg.tracer) and
// answers the function that flushes it on the way out.
func startTracing(ctx context.Context, cfg *Config, log *slog.Logger, service string) (func(), error) {
	tp, err := tracing.Start(ctx, cfg.Tracing, service, version)
	if err != nil || tp == nil {
		return func() {}, err
	}
	cfg.tracer = tp
	log.Info("tracing on", "service", service, "sample_ratio", cfg.Tracing.SampleRatio)
	return func() {
		if err := tp.Shutdown(5 * time.Second); err != nil {
			log.Warn("tracing not flushed", "err", err)
		}
	}, nil
}

func runMigrate(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, log, true)
	if err != nil {
		return err
	}
	defer db.Close()
	cur, _, err := db.MigrationVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("schema up to date", "version", cur)
	return nil
}

func runSeed(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	n, created, err := seedDatabase(ctx, cfg, db)
	if err != nil {
		return err
	}
	log.Info("jurisdictions seeded", "inserted", n)
	log.Info("administrator accounts", "created", created)
	return nil
}

// seedDatabase inserts the missing reference jurisdictions and exclusions and the accounts of
// the administrator roles no account holds (seed, bootstrap).
func seedDatabase(ctx context.Context, cfg Config, db *models.DB) (int, []string, error) {
	n, err := db.SeedJurisdictions(ctx)
	if err != nil {
		return 0, nil, err
	}
	if err := db.SeedExclusions(ctx); err != nil {
		return n, nil, err
	}
	// 三员分立: each administrator role that no account holds gets its account, with its own
	// password (SKILLCERT_ADMIN_PASSWORD, SKILLCERT_SECADMIN_PASSWORD,
	// SKILLCERT_AUDITADMIN_PASSWORD). A database from before the split keeps its sysadmin
	// accounts as system administrators; seed then adds the other two.
	missing, err := db.MissingAdmins(ctx)
	if err != nil {
		return n, nil, err
	}
	passwords := map[string]string{models.RoleSysadmin: cfg.AdminPassword, models.RoleSecAdmin: cfg.SecAdminPassword,
		models.RoleAuditAdmin: cfg.AuditAdminPassword}
	envOf := map[string]string{models.RoleSysadmin: "SKILLCERT_ADMIN_PASSWORD", models.RoleSecAdmin: "SKILLCERT_SECADMIN_PASSWORD",
		models.RoleAuditAdmin: "SKILLCERT_AUDITADMIN_PASSWORD"}
	seen := map[string]string{}
	for _, role := range missing {
		pw := passwords[role]
		if pw == "" {
			return n, nil, fmt.Errorf("%s is required to create the %s account", envOf[role], role)
		}
		if len(pw) < 10 {
			return n, nil, fmt.Errorf("%s must be at least 10 characters", envOf[role])
		}
		if other, dup := seen[pw]; dup {
			return n, nil, fmt.Errorf("%s and %s must differ: one person must not hold two administrator accounts", other, envOf[role])
		}
		seen[pw] = envOf[role]
	}
	created, err := db.SeedAdmins(ctx, passwords)
	return n, created, err
}

func runImportOccupations(ctx context.Context, cfg Config, log *slog.Logger, file string, stdout io.Writer) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.ImportOccupations(ctx, filepath.Base(file), b, "cli")
	if err != nil {
		return fmt.Errorf("import %s: %w", file, err)
	}
	if err := db.AppendAudit(ctx, &models.AuditEntry{ActorName: "cli", Action: "occupation.import", ObjectType: "occupation_dictionary",
		ObjectID: filepath.Base(file), AfterState: fmt.Sprintf("%d occupations", n), Outcome: models.OutcomeOK}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d occupations from %s; restart api processes to use them\n", n, file)
	return nil
}

func runAuditVerify(ctx context.Context, cfg Config, log *slog.Logger, stdout io.Writer) error {
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, err := db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if !rep.OK {
		if rep.BrokenAt == 0 {
			fmt.Fprintf(stdout, "audit chain BROKEN: %s\n", rep.Problem)
		} else {
			fmt.Fprintf(stdout, "audit chain BROKEN at row %d: %s (%d rows read)\n", rep.BrokenAt, rep.Problem, rep.Rows)
		}
		return errors.New("audit chain broken")
	}
	fmt.Fprintf(stdout, "audit chain ok: %d rows, %d signed checkpoints, keyed from row %d\n", rep.Rows, rep.Checkpoints, rep.KeyedFrom)
	return nil
}

// apiServer builds the HTTP server.
func apiServer(ctx context.Context, cfg Config, log *slog.Logger, db *models.DB, tc client.Client) (*http.Server, error) {
	enf, err := service.NewEnforcer(ctx, db)
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return nil, err
	}
	store, err := openStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	svc, err := service.New(service.Deps{DB: db, Enforcer: enf, Temporal: tc, Logger: log, Config: service.Config{Location: loc, TemporalTimeout: cfg.TemporalTimeout, TwoFactorRequired: cfg.TwoFactorRequired,
		PublicationNumberPattern: cfg.PublicationNumberPattern, FilingNumberPattern: cfg.FilingNumberPattern, OIDC: cfg.OIDC},
		DataKey: cfg.DataKey, LookupKey: cfg.LookupKey, SigningKey: cfg.SigningKey, StorageDir: cfg.StorageDir, Store: store, TaskQueue: cfg.TaskQueue,
		CryptoSuite: cfg.CryptoSuite, KeyVersion: cfg.KeyVersion, RetiredKeys: cfg.RetiredKeys, SM2SigningKey: cfg.SM2SigningKey,
		Timing: workflows.Timing{PublicitySeconds: cfg.PublicitySeconds}})
	if err != nil {
		return nil, err
	}
	h, err := httpHandler(svc, api.Config{PublicURL: cfg.PublicURL, SessionKey: cfg.SessionKey, Version: version,
		Metrics: cfg.metrics, MetricsToken: cfg.MetricsToken, Tracing: cfg.tracer})
	if err != nil {
		return nil, err
	}
	// Submissions stored just before a crash, whose case never started, are handed over.
	go svc.RunHandOverRecovery(ctx, time.Minute)
	// Candidates recorded before migration 00015 get their statistics columns (gender, age at
	// the exam date) derived once; only a process holding the data key can.
	go svc.RunCandidateStatsBackfill(ctx)
	return &http.Server{Addr: cfg.HTTPAddr, Handler: h, ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout: 60 * time.Second, WriteTimeout: 120 * time.Second, IdleTimeout: 120 * time.Second}, nil
}

// httpHandler mounts the JSON API (package api) and the pages (package web) over the use cases
// on one engine.
func httpHandler(svc *service.Service, cfg api.Config) (http.Handler, error) {
	srv, err := api.New(api.Deps{Service: svc, Config: cfg})
	if err != nil {
		return nil, err
	}
	pages, err := web.New(web.Deps{API: srv, Service: svc, Config: web.Config{PublicURL: cfg.PublicURL}})
	if err != nil {
		return nil, err
	}
	return srv.Handler(pages), nil
}

// serveHTTP runs hs until ctx ends, then drains in-flight requests.
func serveHTTP(ctx context.Context, hs *http.Server, grace time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down http server")
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	return hs.Shutdown(sctx)
}

func runAPI(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	flush, err := startTracing(ctx, &cfg, log, "skillcert-api")
	if err != nil {
		return err
	}
	defer flush()
	cfg.metrics = metrics.New()
	topts := temporalClientOptions(cfg, log, cfg.TemporalAddress)
	topts.MetricsHandler = cfg.metrics.Temporal()
	// A lazy client lets the API start (and /readyz say why it is not ready) while Temporal is down.
	tc, err := client.NewLazyClient(topts)
	if err != nil {
		return err
	}
	defer tc.Close()
	hs, err := apiServer(ctx, cfg, log, db, tc)
	if err != nil {
		return err
	}
	if cfg.MetricsAddr != "" {
		ms := &http.Server{Addr: cfg.MetricsAddr, Handler: metricsOnly(cfg.metrics), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := serveHTTP(ctx, ms, cfg.ShutdownTimeout, log); err != nil {
				log.Error("metrics listener stopped", "addr", cfg.MetricsAddr, "err", err)
			}
		}()
		log.Info("api metrics listening", "addr", cfg.MetricsAddr)
	}
	log.Info("api listening", "addr", cfg.HTTPAddr)
	return serveHTTP(ctx, hs, cfg.ShutdownTimeout, log)
}

func runWorker(ctx context.Context, cfg Config, log *slog.Logger) error {
	db, err := openDB(ctx, cfg, log, false)
	if err != nil {
		return err
	}
	defer db.Close()
	flush, err := startTracing(ctx, &cfg, log, "skillcert-worker")
	if err != nil {
		return err
	}
	defer flush()
	reg := metrics.New()
	reg.WatchDatabase(db)
	topts := temporalClientOptions(cfg, log, cfg.TemporalAddress)
	topts.MetricsHandler = reg.Temporal()
	tc, err := client.DialContext(ctx, topts)
	if err != nil {
		return fmt.Errorf("dial temporal at %s: %w", cfg.TemporalAddress, err)
	}
	defer tc.Close()
	if cfg.WorkerHTTPAddr != "" {
		addr, err := worker.ServeHTTP(ctx, cfg.WorkerHTTPAddr, reg, log)
		if err != nil {
			return err
		}
		log.Info("worker http listening", "addr", addr.String(), "paths", "/healthz /metrics")
	}
	if err := worker.EnsureSearchAttributes(ctx, tc, cfg.TemporalNamespace); err != nil {
		return err
	}
	stopBackground, err := startWorkerSide(ctx, cfg, log, db, tc)
	if err != nil {
		return err
	}
	defer stopBackground()
	log.Info("worker started", "taskQueue", cfg.TaskQueue, "namespace", cfg.TemporalNamespace)
	<-ctx.Done()
	return nil
}

// startWorkerSide starts the Temporal worker, makes sure the watchdog schedule exists, and runs
// the notification outbox. The returned function stops them (outbox first drains its send).
func startWorkerSide(ctx context.Context, cfg Config, log *slog.Logger, db *models.DB, tc client.Client) (func(), error) {
	signer, err := certSigner(cfg)
	if err != nil {
		return nil, err
	}
	ids, err := sealerOf(cfg) // the national sync opens ID numbers here, in the worker only
	if err != nil {
		return nil, fmt.Errorf("national sync: %w", err)
	}
	w := worker.New(tc, cfg.TaskQueue, worker.Deps{DB: db, Logger: log, Temporal: tc, Namespace: cfg.TemporalNamespace,
		SigningKey: signer})
	if err := w.Start(); err != nil {
		return nil, fmt.Errorf("start worker: %w", err)
	}
	if err := worker.EnsureWatchdogSchedule(ctx, tc, cfg.TaskQueue, cfg.WatchdogInterval); err != nil {
		// The watchdog only observes; cases go on without it, so this is not fatal.
		log.Warn("watchdog schedule not set up", "err", err)
	}
	var sender notify.Sender = notify.LogSender{Logger: log.With("component", "notify")}
	if cfg.SMTPAddr != "" {
		sender = notify.SMTPSender{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword}
	}
	octx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := (&notify.Outbox{DB: db, Sender: sender, Logger: log.With("component", "outbox")}).Run(octx); err != nil && octx.Err() == nil {
			log.Error("outbox stopped", "err", err)
		}
	})
	// The national sync always runs: without an endpoint it delivers nothing and says so in the
	// log, while the certificates wait in certificate_sync. Only the worker opens ID numbers.
	wg.Go(func() {
		cs := &nationalsync.CertificateSync{DB: db, Endpoint: cfg.NationalSyncURL, IDs: ids, FilingCode: cfg.NationalFilingCode,
			Logger: log.With("component", "national-sync")}
		if err := cs.Run(octx); err != nil && octx.Err() == nil {
			log.Error("national certificate sync stopped", "err", err)
		}
	})
	return func() {
		cancel()
		wg.Wait()
		w.Stop()
	}, nil
}

// openStore opens the attachment store the configuration selects (the secret key is never
// logged: S3Config.String leaves it out).
func openStore(ctx context.Context, cfg Config, log *slog.Logger) (storage.Store, error) {
	if cfg.Storage.Backend == "s3" {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		log.Info("attachments in object storage", "store", cfg.Storage.S3.String())
		return storage.Open(sctx, cfg.Storage)
	}
	return storage.Open(ctx, storage.Config{Dir: cfg.StorageDir})
}

// metricsOnly serves the registry at /metrics and nothing else (SKILLCERT_METRICS_ADDR).
func metricsOnly(reg *metrics.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler())
	return mux
}
