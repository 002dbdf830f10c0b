package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"skillcert/domain"
	"skillcert/internal/cryptosuite"
	"skillcert/internal/metrics"
	"skillcert/internal/tracing"
	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/service"
	"skillcert/storage"
)

// Config is every setting of the process, read once from flags and the environment. Flags
// win over the environment; see the README's configuration table.
type Config struct {
	// Temporal is the TLS / mTLS / API-key setting towards Temporal (temporal_tls.go).
	Temporal           TemporalConn
	HTTPAddr           string
	PublicURL          string
	DataDir            string
	DatabaseURL        string
	TemporalAddress    string
	TemporalNamespace  string
	TaskQueue          string
	DevTemporalPort    int
	LogLevel           string
	LogFormat          string
	TemporalLogLevel   string
	StorageDir         string
	AdminPassword      string
	SecAdminPassword   string
	AuditAdminPassword string
	DemoPassword       string
	// TwoFactorRequired holds administrators, region officials and the appraisal centre to
	// enrol in TOTP (SKILLCERT_2FA_REQUIRED; default on for api, off otherwise).
	TwoFactorRequired bool
	ShutdownTimeout   time.Duration
	TemporalTimeout   time.Duration
	WatchdogInterval  time.Duration
	SMTPAddr          string
	SMTPFrom          string
	SMTPUsername      string
	SMTPPassword      string // secret
	NationalSyncURL   string
	// CryptoSuite seals new ID numbers and signs new certificates and audit checkpoints: intl
	// or gm (package cryptosuite). KeyVersion is the version of DataKey and LookupKey.
	CryptoSuite string
	KeyVersion  int
	// AuditCheckpointRows and AuditCheckpointInterval: a signed checkpoint of the audit chain
	// after this many rows, or on the first row after this long.
	AuditCheckpointRows     int
	AuditCheckpointInterval time.Duration
	// NationalFilingCode is the filing code (备案编码) sent for organisations without their own.
	NationalFilingCode string
	// PublicationNumberPattern and FilingNumberPattern make the 文号 of directory publications
	// and the 备案号 of filed work plans (domain.CheckNumberPattern).
	PublicationNumberPattern, FilingNumberPattern string
	// PublicitySeconds shortens every publicity of results to that many seconds (dev, bench and
	// tests; 0: the region's working days).
	PublicitySeconds int

	// Secrets: never printed.
	DataKey       []byte
	LookupKey     []byte
	SigningKey    []byte // Ed25519 seed
	SM2SigningKey []byte // SM2 private key
	SessionKey    []byte
	AuditKey      []byte // keys the audit chain's HMAC
	// RetiredKeys are older versions of the data and lookup keys.
	RetiredKeys []pii.Generation

	// OIDC is the unified identity platform (统一身份认证) per audience (enterprise, official),
	// from SKILLCERT_OIDC_<AUDIENCE>_*; an audience without an issuer has none. The client
	// secrets are secrets.
	OIDC map[string]service.OIDCConfig
	// Storage selects the attachment store: the file backend in StorageDir or an S3-compatible
	// bucket shared by every replica (its secret key is never printed: S3Config.String).
	Storage storage.Config
	// MetricsAddr is a separate listen address for the api's /metrics; MetricsToken (secret)
	// lets a scraper with that bearer token read /metrics on the main address. Neither set:
	// no metrics on the api. WorkerHTTPAddr is the worker's /healthz and /metrics listener.
	MetricsAddr    string
	MetricsToken   string
	WorkerHTTPAddr string
	// metrics is the api process's registry, made by runAPI (nil: no metrics, as in dev).
	metrics *metrics.Registry
	// Tracing is the OpenTelemetry tracing setting (SKILLCERT_TRACING, OTEL_EXPORTER_OTLP_*);
	// tracer is the process's provider, made by runAPI, runWorker and runDev (nil: off).
	Tracing tracing.Config
	tracer  *tracing.Provider
}

// envDefaults are the documented variables with their defaults.
var envDefaults = []struct{ name, def, help string }{
	{"SKILLCERT_HTTP_ADDR", ":8080", "HTTP listen address"},
	{"SKILLCERT_PUBLIC_URL", "http://localhost:8080", "externally visible base URL (https turns on Secure cookies)"},
	{"SKILLCERT_DATA_DIR", "./var", "dev: directory of the SQLite databases, keys and attachments"},
	{"SKILLCERT_DATABASE_URL", "", "PostgreSQL DSN (required by api, worker, migrate, seed; dev uses SQLite in the data dir when unset)"},
	{"TEMPORAL_ADDRESS", "127.0.0.1:7233", "Temporal frontend host:port (api, worker)"},
	{"TEMPORAL_NAMESPACE", "skillcert", "Temporal namespace"},
	{"TEMPORAL_TLS_CERT", "", "client certificate (PEM file) for mTLS to Temporal; with TEMPORAL_TLS_KEY"},
	{"TEMPORAL_TLS_KEY", "", "secret: private key (PEM file) of TEMPORAL_TLS_CERT"},
	{"TEMPORAL_TLS_CA", "", "CA certificates (PEM file) that verify the Temporal frontend (default: the system roots); setting it turns TLS on"},
	{"TEMPORAL_TLS_SERVER_NAME", "", "server name expected in the Temporal frontend's certificate; setting it turns TLS on"},
	{"TEMPORAL_API_KEY", "", "secret: API key sent to Temporal as a bearer token (turns TLS on)"},
	{"SKILLCERT_TASK_QUEUE", "skillcert", "Temporal task queue"},
	{"SKILLCERT_DEV_TEMPORAL_PORT", "7233", "dev: port of the embedded Temporal frontend on 127.0.0.1 (0 = any free port)"},
	{"SKILLCERT_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"SKILLCERT_LOG_FORMAT", "text", "text or json"},
	{"SKILLCERT_TEMPORAL_LOG_LEVEL", "error", "dev: log level of the embedded Temporal server"},
	{"SKILLCERT_STORAGE_DIR", "", "attachment storage directory (default <data dir>/attachments)"},
	{"SKILLCERT_ADMIN_PASSWORD", "", "seed: initial password of the system administrator account admin (required by seed while no system administrator exists; changed at first login)"},
	{"SKILLCERT_SECADMIN_PASSWORD", "", "seed: initial password of the security administrator account secadmin (required by seed while none exists)"},
	{"SKILLCERT_AUDITADMIN_PASSWORD", "", "seed: initial password of the audit administrator account auditadmin (required by seed while none exists)"},
	{"SKILLCERT_DEMO_PASSWORD", "demo12345", "dev: password of the demo accounts"},
	{"SKILLCERT_2FA_REQUIRED", "", "true or false: administrators, region officials and the appraisal centre must enrol in two-factor login (TOTP) before anything else (default: true for api, false for dev so the demo accounts stay usable)"},
	{"SKILLCERT_SHUTDOWN_TIMEOUT", "20s", "grace period for in-flight requests and activities on SIGTERM"},
	{"SKILLCERT_TEMPORAL_TIMEOUT", "5s", "deadline of each call to Temporal made while serving a request (then 503 with Retry-After)"},
	{"SKILLCERT_WATCHDOG_INTERVAL", "10m", "how often the stalled-case watchdog runs (a Temporal Schedule)"},
	{"SKILLCERT_SMTP_ADDR", "", "SMTP server host:port for notifications (unset: notifications are logged, not mailed)"},
	{"SKILLCERT_SMTP_FROM", "skillcert@localhost", "sender of notification e-mails"},
	{"SKILLCERT_SMTP_USERNAME", "", "SMTP user (AUTH PLAIN over STARTTLS)"},
	{"SKILLCERT_SMTP_PASSWORD", "", "secret: SMTP password"},
	{"SKILLCERT_NATIONAL_SYNC_URL", "", "https:// endpoint of the national certificate query system that receives issued and revoked certificates; no default (unset: delivery disabled, the worker logs it and certificates wait in certificate_sync)"},
	{"SKILLCERT_NATIONAL_FILING_CODE", "", "the assessing organisation's filing code (备案编码) sent to the national system for enterprises without their own (enterprises.filing_code); unset: their records wait"},
	{"SKILLCERT_PUBLICATION_NUMBER_PATTERN", domain.DefaultPublicationNumberPattern, "document number (文号) of each directory publication: {year}, {seq} or {seq:N} (zero-padded), optional {league}"},
	{"SKILLCERT_FILING_NUMBER_PATTERN", domain.DefaultFilingNumberPattern, "filing number (备案号) of each filed work plan: {year}, {seq} or {seq:N}, {league} (the league's division code; the sequence then runs per league and year)"},
	{"SKILLCERT_PUBLICITY_SECONDS", "", "dev, bench and tests: a publicity of results (公示) lasts this many seconds instead of the region's working days (dev: 30 when unset, bench: 1; never set in production)"},
	{"SKILLCERT_DATA_KEY", "", "secret: base64 of 32 bytes, AES-256-GCM key for ID numbers at rest"},
	{"SKILLCERT_LOOKUP_KEY", "", "secret: base64 of 32 bytes, HMAC key for ID-number lookups"},
	{"SKILLCERT_SIGNING_KEY", "", "secret: base64 of a 32-byte Ed25519 seed that signs certificates"},
	{"SKILLCERT_SESSION_KEY", "", "secret: base64 of 32 bytes, keys CSRF tokens"},
	{"SKILLCERT_CRYPTO_SUITE", "intl", "intl (AES-256-GCM, HMAC-SHA256, Ed25519, SHA-256) or gm (SM4-GCM, HMAC-SM3, SM2, SM3): seals new ID numbers, signs new certificates and audit checkpoints, keys the audit chain"},
	{"SKILLCERT_KEY_VERSION", "1", "version of SKILLCERT_DATA_KEY and SKILLCERT_LOOKUP_KEY; raise it when they change (then keys rotate)"},
	{"SKILLCERT_RETIRED_KEYS", "", "secret: older key versions still to open and find, as version:data-key:lookup-key (base64) separated by ;"},
	{"SKILLCERT_SM2_SIGNING_KEY", "", "secret: base64 of a 32-byte SM2 private key that signs certificates and audit checkpoints under gm (required with gm)"},
	{"SKILLCERT_AUDIT_KEY", "", "secret: base64 of 32 bytes, keys the audit chain's HMAC; the database never holds it"},
	{"SKILLCERT_AUDIT_CHECKPOINT_ROWS", "1000", "a signed audit checkpoint after this many audit rows"},
	{"SKILLCERT_AUDIT_CHECKPOINT_INTERVAL", "10m", "a signed audit checkpoint on the first audit row after this long"},
	// Unified identity (统一身份认证, OpenID Connect), one set per audience: ENTERPRISE, OFFICIAL.
	{"SKILLCERT_OIDC_ENTERPRISE_ISSUER", "", "enterprises' unified identity platform: OIDC issuer URL (https://; unset: no platform login for enterprises)"},
	{"SKILLCERT_OIDC_ENTERPRISE_CLIENT_ID", "", "enterprises' platform: client ID"},
	{"SKILLCERT_OIDC_ENTERPRISE_CLIENT_SECRET", "", "secret: enterprises' platform: client secret"},
	{"SKILLCERT_OIDC_ENTERPRISE_REDIRECT_URL", "", "enterprises' platform: callback URL registered there (default <public URL>/login/oidc/enterprise/callback)"},
	{"SKILLCERT_OIDC_ENTERPRISE_CLAIM", "uscc", "enterprises' platform: ID token claim carrying the unified social credit code"},
	{"SKILLCERT_OIDC_ENTERPRISE_SCOPES", "", "enterprises' platform: scopes requested besides openid (space-separated)"},
	{"SKILLCERT_OIDC_ENTERPRISE_SECOND_FACTOR", "false", "true: a login through the enterprises' platform counts as the second factor (no TOTP code asked after it)"},
	{"SKILLCERT_OIDC_OFFICIAL_ISSUER", "", "officials' unified identity platform: OIDC issuer URL (https://; unset: no platform login for officials)"},
	{"SKILLCERT_OIDC_OFFICIAL_CLIENT_ID", "", "officials' platform: client ID"},
	{"SKILLCERT_OIDC_OFFICIAL_CLIENT_SECRET", "", "secret: officials' platform: client secret"},
	{"SKILLCERT_OIDC_OFFICIAL_REDIRECT_URL", "", "officials' platform: callback URL registered there (default <public URL>/login/oidc/official/callback)"},
	{"SKILLCERT_OIDC_OFFICIAL_CLAIM", "staff_id", "officials' platform: ID token claim carrying the staff ID"},
	{"SKILLCERT_OIDC_OFFICIAL_SCOPES", "", "officials' platform: scopes requested besides openid (space-separated)"},
	{"SKILLCERT_OIDC_OFFICIAL_SECOND_FACTOR", "false", "true: a login through the officials' platform counts as the second factor (no TOTP code asked after it)"},
	{"SKILLCERT_STORAGE_BACKEND", "file", "file (attachments in SKILLCERT_STORAGE_DIR, one host) or s3 (an S3-compatible bucket shared by every replica: MinIO, Alibaba OSS, Huawei OBS)"},
	{"SKILLCERT_S3_ENDPOINT", "", "s3: service URL, e.g. http://minio:9000 or https://oss-cn-hangzhou.aliyuncs.com (https when no scheme)"},
	{"SKILLCERT_S3_BUCKET", "", "s3: bucket of the attachments"},
	{"SKILLCERT_S3_REGION", "", "s3: region (e.g. cn-hangzhou; MinIO: us-east-1 or empty)"},
	{"SKILLCERT_S3_PREFIX", "", "s3: key prefix inside the bucket (e.g. skillcert/)"},
	{"SKILLCERT_S3_ACCESS_KEY", "", "s3: access key ID"},
	{"SKILLCERT_S3_SECRET_KEY", "", "secret: s3 secret access key"},
	{"SKILLCERT_S3_PATH_STYLE", "true", "s3: address the bucket as endpoint/bucket (MinIO); false for virtual-host style (OSS, OBS public endpoints)"},
	{"SKILLCERT_S3_CREATE_BUCKET", "false", "s3: create the bucket at start when missing (dev; production buckets are made by the operator)"},
	{"SKILLCERT_METRICS_ADDR", "", "api: separate listen address serving only /metrics (e.g. 127.0.0.1:9090); unset: none"},
	{"SKILLCERT_METRICS_TOKEN", "", "secret: api: bearer token that lets a scraper read /metrics on SKILLCERT_HTTP_ADDR; unset: /metrics is not served there"},
	{"SKILLCERT_WORKER_HTTP", ":9091", "worker: listen address of /healthz and /metrics (empty: none)"},
	{"SKILLCERT_TRACING", "", "true or false: OpenTelemetry tracing exported over OTLP/gRPC (default: on when an OTLP endpoint is set, else off)"},
	{"SKILLCERT_TRACING_SAMPLE_RATIO", "1", "share of new traces recorded, 0 to 1 (parent-based: a request with a sampled traceparent is always recorded)"},
	{"OTEL_EXPORTER_OTLP_ENDPOINT", "", "OTLP/gRPC collector URL for traces, e.g. http://otel-collector:4317 (setting it turns tracing on); the other standard OTEL_EXPORTER_OTLP_* variables apply"},
	{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", "OTLP/gRPC collector URL for traces only (wins over OTEL_EXPORTER_OTLP_ENDPOINT)"},
}

// loadConfig parses flags (for the subcommand) over the environment and validates the result.
// dev fills in missing secrets from <data dir>/keys.json, created on first start.
func loadConfig(cmd string, args []string, getenv func(string) string) (Config, error) {
	env := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		for _, d := range envDefaults {
			if d.name == name {
				return d.def
			}
		}
		return ""
	}
	var c Config
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.StringVar(&c.HTTPAddr, "http", env("SKILLCERT_HTTP_ADDR"), "HTTP listen address")
	fs.StringVar(&c.PublicURL, "public-url", env("SKILLCERT_PUBLIC_URL"), "externally visible base URL")
	fs.StringVar(&c.DataDir, "data", env("SKILLCERT_DATA_DIR"), "dev data directory")
	fs.StringVar(&c.DatabaseURL, "database-url", env("SKILLCERT_DATABASE_URL"), "database DSN")
	fs.StringVar(&c.TemporalAddress, "temporal", env("TEMPORAL_ADDRESS"), "Temporal host:port")
	fs.StringVar(&c.TemporalNamespace, "namespace", env("TEMPORAL_NAMESPACE"), "Temporal namespace")
	fs.StringVar(&c.TaskQueue, "task-queue", env("SKILLCERT_TASK_QUEUE"), "Temporal task queue")
	fs.StringVar(&c.LogLevel, "log-level", env("SKILLCERT_LOG_LEVEL"), "log level")
	fs.StringVar(&c.LogFormat, "log-format", env("SKILLCERT_LOG_FORMAT"), "log format")
	port := fs.String("temporal-port", env("SKILLCERT_DEV_TEMPORAL_PORT"), "dev: embedded Temporal port")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	var err error
	if c.DevTemporalPort, err = strconv.Atoi(*port); err != nil || c.DevTemporalPort < 0 || c.DevTemporalPort > 65535 {
		return c, fmt.Errorf("SKILLCERT_DEV_TEMPORAL_PORT: %q is not a port number", *port)
	}
	if c.ShutdownTimeout, err = time.ParseDuration(env("SKILLCERT_SHUTDOWN_TIMEOUT")); err != nil || c.ShutdownTimeout <= 0 {
		return c, fmt.Errorf("SKILLCERT_SHUTDOWN_TIMEOUT: %q is not a positive duration", env("SKILLCERT_SHUTDOWN_TIMEOUT"))
	}
	if c.TemporalTimeout, err = time.ParseDuration(env("SKILLCERT_TEMPORAL_TIMEOUT")); err != nil || c.TemporalTimeout <= 0 {
		return c, fmt.Errorf("SKILLCERT_TEMPORAL_TIMEOUT: %q is not a positive duration", env("SKILLCERT_TEMPORAL_TIMEOUT"))
	}
	if c.WatchdogInterval, err = time.ParseDuration(env("SKILLCERT_WATCHDOG_INTERVAL")); err != nil || c.WatchdogInterval < 10*time.Second {
		return c, fmt.Errorf("SKILLCERT_WATCHDOG_INTERVAL: %q is not a duration of at least 10s", env("SKILLCERT_WATCHDOG_INTERVAL"))
	}
	c.SMTPAddr, c.SMTPFrom = env("SKILLCERT_SMTP_ADDR"), env("SKILLCERT_SMTP_FROM")
	c.SMTPUsername, c.SMTPPassword = env("SKILLCERT_SMTP_USERNAME"), env("SKILLCERT_SMTP_PASSWORD")
	if c.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
			return c, fmt.Errorf("SKILLCERT_SMTP_ADDR: %q is not host:port", c.SMTPAddr)
		}
	}
	if v := env("SKILLCERT_PUBLICITY_SECONDS"); v != "" {
		if c.PublicitySeconds, err = strconv.Atoi(v); err != nil || c.PublicitySeconds < 0 {
			return c, fmt.Errorf("SKILLCERT_PUBLICITY_SECONDS: %q is not a number of seconds", v)
		}
	}
	c.NationalSyncURL = env("SKILLCERT_NATIONAL_SYNC_URL")
	if c.NationalSyncURL != "" && !strings.HasPrefix(c.NationalSyncURL, "https://") {
		// The records carry full ID numbers: never over plain HTTP. (The URL is not echoed: it may carry credentials.)
		return c, errors.New("SKILLCERT_NATIONAL_SYNC_URL must be an https:// URL")
	}
	c.CryptoSuite = env("SKILLCERT_CRYPTO_SUITE")
	if _, err := cryptosuite.ByName(c.CryptoSuite); err != nil {
		return c, fmt.Errorf("SKILLCERT_CRYPTO_SUITE: %q is neither intl nor gm", c.CryptoSuite)
	}
	if c.KeyVersion, err = strconv.Atoi(env("SKILLCERT_KEY_VERSION")); err != nil || c.KeyVersion < 1 {
		return c, fmt.Errorf("SKILLCERT_KEY_VERSION: %q is not a version number (1, 2, …)", env("SKILLCERT_KEY_VERSION"))
	}
	if c.AuditCheckpointRows, err = strconv.Atoi(env("SKILLCERT_AUDIT_CHECKPOINT_ROWS")); err != nil || c.AuditCheckpointRows < 1 {
		return c, fmt.Errorf("SKILLCERT_AUDIT_CHECKPOINT_ROWS: %q is not a positive number", env("SKILLCERT_AUDIT_CHECKPOINT_ROWS"))
	}
	if c.AuditCheckpointInterval, err = time.ParseDuration(env("SKILLCERT_AUDIT_CHECKPOINT_INTERVAL")); err != nil || c.AuditCheckpointInterval < time.Second {
		return c, fmt.Errorf("SKILLCERT_AUDIT_CHECKPOINT_INTERVAL: %q is not a duration of at least 1s", env("SKILLCERT_AUDIT_CHECKPOINT_INTERVAL"))
	}
	if c.RetiredKeys, err = parseRetiredKeys(getenv("SKILLCERT_RETIRED_KEYS")); err != nil {
		return c, err
	}
	c.NationalFilingCode = env("SKILLCERT_NATIONAL_FILING_CODE")
	c.PublicationNumberPattern, c.FilingNumberPattern = env("SKILLCERT_PUBLICATION_NUMBER_PATTERN"), env("SKILLCERT_FILING_NUMBER_PATTERN")
	for kind, p := range map[string]string{domain.DocPublication: c.PublicationNumberPattern, domain.DocFiling: c.FilingNumberPattern} {
		if err := domain.CheckNumberPattern(kind, p); err != nil {
			return c, fmt.Errorf("number pattern: %w", err)
		}
	}
	if c.Temporal, err = parseTemporalConn(getenv); err != nil {
		return c, err
	}
	c.TemporalLogLevel = env("SKILLCERT_TEMPORAL_LOG_LEVEL")
	c.StorageDir = env("SKILLCERT_STORAGE_DIR")
	c.AdminPassword = env("SKILLCERT_ADMIN_PASSWORD")
	c.SecAdminPassword = env("SKILLCERT_SECADMIN_PASSWORD")
	c.AuditAdminPassword = env("SKILLCERT_AUDITADMIN_PASSWORD")
	c.DemoPassword = env("SKILLCERT_DEMO_PASSWORD")
	c.TwoFactorRequired = cmd == "api"
	if v := strings.TrimSpace(getenv("SKILLCERT_2FA_REQUIRED")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("SKILLCERT_2FA_REQUIRED: %q is neither true nor false", v)
		}
		c.TwoFactorRequired = b
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return c, err
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("SKILLCERT_LOG_FORMAT: %q is neither text nor json", c.LogFormat)
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		return c, fmt.Errorf("SKILLCERT_PUBLIC_URL: %q must start with http:// or https://", c.PublicURL)
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	if cmd == "dev" && getenv("SKILLCERT_PUBLIC_URL") == "" && c.PublicURL == "http://localhost:8080" {
		// In dev the address people open is the one we listen on.
		host, port, err := net.SplitHostPort(c.HTTPAddr)
		if err != nil {
			return c, fmt.Errorf("SKILLCERT_HTTP_ADDR: %q is not host:port", c.HTTPAddr)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.PublicURL = "http://" + net.JoinHostPort(host, port)
	}
	if c.StorageDir == "" {
		c.StorageDir = filepath.Join(c.DataDir, "attachments")
	}
	if c.OIDC, err = loadOIDC(env, c.PublicURL); err != nil {
		return c, err
	}
	if err := c.loadStorageAndMetrics(env); err != nil {
		return c, err
	}
	if c.Tracing, err = tracing.FromEnv(env); err != nil {
		return c, err
	}

	secrets := []struct {
		name string
		dst  *[]byte
	}{
		{"SKILLCERT_DATA_KEY", &c.DataKey}, {"SKILLCERT_LOOKUP_KEY", &c.LookupKey},
		{"SKILLCERT_SIGNING_KEY", &c.SigningKey}, {"SKILLCERT_SESSION_KEY", &c.SessionKey},
		{"SKILLCERT_AUDIT_KEY", &c.AuditKey},
	}
	for _, s := range secrets {
		v := getenv(s.name)
		if v == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != 32 {
			// The value itself is never echoed.
			return c, fmt.Errorf("%s: must be the base64 encoding of exactly 32 bytes", s.name)
		}
		*s.dst = b
	}
	// The SM2 key is needed only under gm (and to verify what gm signed), so it is not in the
	// list every api and worker must have.
	if v := getenv("SKILLCERT_SM2_SIGNING_KEY"); v != "" {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil || len(b) != 32 {
			return c, errors.New("SKILLCERT_SM2_SIGNING_KEY: must be the base64 encoding of exactly 32 bytes")
		}
		if _, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, b); err != nil {
			return c, errors.New("SKILLCERT_SM2_SIGNING_KEY: not a valid SM2 private key (must lie in [1, n-2])")
		}
		c.SM2SigningKey = b
	}

	switch cmd {
	case "dev":
		if err := os.MkdirAll(c.DataDir, 0o750); err != nil {
			return c, fmt.Errorf("SKILLCERT_DATA_DIR: %w", err)
		}
		if c.DatabaseURL == "" {
			c.DatabaseURL = filepath.Join(c.DataDir, "skillcert.db")
		}
		if err := c.fillDevKeys(); err != nil {
			return c, err
		}
	case "api", "worker", "migrate", "seed", "audit", "bench", "occupations", "keys", "bootstrap":
		if c.DatabaseURL == "" {
			return c, errors.New("SKILLCERT_DATABASE_URL is required (a PostgreSQL DSN such as postgres://user:pass@host:5432/skillcert)")
		}
	}
	if cmd == "api" || cmd == "worker" || cmd == "bootstrap" {
		for _, s := range secrets {
			if len(*s.dst) == 0 {
				return c, fmt.Errorf("%s is required (base64 of 32 random bytes, e.g. openssl rand -base64 32)", s.name)
			}
		}
	}
	if (cmd == "api" || cmd == "worker" || cmd == "dev") && c.CryptoSuite == cryptosuite.GM && len(c.SM2SigningKey) == 0 {
		return c, errors.New("SKILLCERT_SM2_SIGNING_KEY is required with SKILLCERT_CRYPTO_SUITE=gm (base64 of a 32-byte SM2 private key, e.g. openssl rand -base64 32)")
	}
	return c, nil
}

// loadOIDC reads the unified identity platforms' settings (SKILLCERT_OIDC_<AUDIENCE>_*). An
// issuer needs a client ID and secret, and must be https:// (http:// only on localhost). No
// secret is echoed.
func loadOIDC(env func(string) string, publicURL string) (map[string]service.OIDCConfig, error) {
	out := map[string]service.OIDCConfig{}
	for _, aud := range []string{models.AudienceEnterprise, models.AudienceOfficial} {
		pre := "SKILLCERT_OIDC_" + strings.ToUpper(aud) + "_"
		o := service.OIDCConfig{Issuer: strings.TrimSpace(env(pre + "ISSUER")), ClientID: env(pre + "CLIENT_ID"),
			ClientSecret: env(pre + "CLIENT_SECRET"), RedirectURL: env(pre + "REDIRECT_URL"), Claim: env(pre + "CLAIM"),
			Scopes: strings.Fields(env(pre + "SCOPES"))}
		if o.Issuer == "" {
			continue
		}
		u, err := url.Parse(o.Issuer)
		local := err == nil && u.Scheme == "http" && (u.Hostname() == "localhost" || u.Hostname() == "127.0.0.1")
		if err != nil || u.Host == "" || (u.Scheme != "https" && !local) {
			return nil, fmt.Errorf("%sISSUER: %q must be an https:// URL", pre, o.Issuer)
		}
		if o.ClientID == "" || o.ClientSecret == "" {
			return nil, fmt.Errorf("%sCLIENT_ID and %sCLIENT_SECRET are required with %sISSUER", pre, pre, pre)
		}
		if o.Claim == "" {
			return nil, fmt.Errorf("%sCLAIM must name a claim", pre)
		}
		if o.RedirectURL == "" {
			o.RedirectURL = publicURL + "/login/oidc/" + aud + "/callback"
		}
		if v := strings.TrimSpace(env(pre + "SECOND_FACTOR")); v != "" {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return nil, fmt.Errorf("%sSECOND_FACTOR: %q is neither true nor false", pre, v)
			}
			o.SecondFactor = b
		}
		out[aud] = o
	}
	return out, nil
}

// parseRetiredKeys reads SKILLCERT_RETIRED_KEYS: generations "version:data:lookup" (keys in
// base64) separated by ";". No key material is echoed in its errors.
func parseRetiredKeys(v string) ([]pii.Generation, error) {
	var out []pii.Generation
	for i, part := range strings.Split(v, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f := strings.Split(strings.TrimSpace(part), ":")
		bad := fmt.Errorf("SKILLCERT_RETIRED_KEYS: entry %d is not version:data-key:lookup-key (base64 of 32 bytes each)", i+1)
		if len(f) != 3 {
			return nil, bad
		}
		ver, err := strconv.Atoi(f[0])
		data, err1 := base64.StdEncoding.DecodeString(f[1])
		lookup, err2 := base64.StdEncoding.DecodeString(f[2])
		if err != nil || err1 != nil || err2 != nil || ver < 1 || len(data) != 32 || len(lookup) != 32 {
			return nil, bad
		}
		out = append(out, pii.Generation{Version: ver, Data: data, Lookup: lookup})
	}
	return out, nil
}

// fillDevKeys loads the dev keys file or creates it with fresh random keys, and uses its keys
// for every secret the environment did not set. The file is readable by its owner only.
func (c *Config) fillDevKeys() error {
	path := filepath.Join(c.DataDir, "keys.json")
	var keys map[string][]byte
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &keys); err != nil {
			return fmt.Errorf("%s is damaged: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
		keys = map[string][]byte{}
		for _, n := range []string{"data", "lookup", "session"} {
			keys[n] = models.RandomToken(32)
		}
		keys["signing"] = ed25519.NewKeyFromSeed(models.RandomToken(32)).Seed()
	default:
		return fmt.Errorf("read %s: %w", path, err)
	}
	// Keys added after a data directory was first created (the audit key, the SM2 key) are
	// generated and written on the first start that needs them.
	added := len(b) == 0
	if len(keys["audit"]) == 0 {
		keys["audit"], added = models.RandomToken(32), true
	}
	for len(keys["sm2-signing"]) == 0 {
		k := models.RandomToken(32)
		if _, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, k); err == nil {
			keys["sm2-signing"], added = k, true
		}
	}
	if added {
		out, _ := json.MarshalIndent(keys, "", "  ")
		if err := os.WriteFile(path, out, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if len(c.SM2SigningKey) == 0 {
		c.SM2SigningKey = keys["sm2-signing"]
	}
	for name, dst := range map[string]*[]byte{"data": &c.DataKey, "lookup": &c.LookupKey, "signing": &c.SigningKey, "session": &c.SessionKey, "audit": &c.AuditKey} {
		if len(*dst) == 0 {
			if len(keys[name]) != 32 {
				return fmt.Errorf("%s: key %q missing or not 32 bytes", path, name)
			}
			*dst = keys[name]
		}
	}
	return nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("SKILLCERT_LOG_LEVEL: %q is not one of debug, info, warn, error", s)
	}
	return l, nil
}

func newLogger(c Config) *slog.Logger {
	lvl, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: lvl}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// loadStorageAndMetrics reads the attachment store's and the metrics endpoints' settings. No
// secret is echoed in its errors.
func (c *Config) loadStorageAndMetrics(env func(string) string) error {
	boolOf := func(name string) (bool, error) {
		b, err := strconv.ParseBool(strings.TrimSpace(env(name)))
		if err != nil {
			return false, fmt.Errorf("%s: %q is neither true nor false", name, env(name))
		}
		return b, nil
	}
	c.Storage = storage.Config{Backend: env("SKILLCERT_STORAGE_BACKEND"), Dir: c.StorageDir}
	switch c.Storage.Backend {
	case "file":
	case "s3":
		s3 := storage.S3Config{Endpoint: env("SKILLCERT_S3_ENDPOINT"), Bucket: env("SKILLCERT_S3_BUCKET"),
			Region: env("SKILLCERT_S3_REGION"), Prefix: env("SKILLCERT_S3_PREFIX"),
			AccessKey: env("SKILLCERT_S3_ACCESS_KEY"), SecretKey: env("SKILLCERT_S3_SECRET_KEY")}
		var err error
		if s3.PathStyle, err = boolOf("SKILLCERT_S3_PATH_STYLE"); err != nil {
			return err
		}
		if s3.CreateBucket, err = boolOf("SKILLCERT_S3_CREATE_BUCKET"); err != nil {
			return err
		}
		if s3.Endpoint == "" || s3.Bucket == "" {
			return errors.New("SKILLCERT_STORAGE_BACKEND=s3 needs SKILLCERT_S3_ENDPOINT and SKILLCERT_S3_BUCKET")
		}
		if s3.AccessKey == "" || s3.SecretKey == "" {
			return errors.New("SKILLCERT_STORAGE_BACKEND=s3 needs SKILLCERT_S3_ACCESS_KEY and SKILLCERT_S3_SECRET_KEY")
		}
		c.Storage.S3 = s3
	default:
		return fmt.Errorf("SKILLCERT_STORAGE_BACKEND: %q is neither file nor s3", c.Storage.Backend)
	}
	c.MetricsAddr, c.MetricsToken, c.WorkerHTTPAddr = env("SKILLCERT_METRICS_ADDR"), env("SKILLCERT_METRICS_TOKEN"), env("SKILLCERT_WORKER_HTTP")
	for _, a := range []struct{ name, v string }{{"SKILLCERT_METRICS_ADDR", c.MetricsAddr}, {"SKILLCERT_WORKER_HTTP", c.WorkerHTTPAddr}} {
		if a.v != "" {
			if _, _, err := net.SplitHostPort(a.v); err != nil {
				return fmt.Errorf("%s: %q is not host:port", a.name, a.v)
			}
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return errors.New("SKILLCERT_METRICS_TOKEN: use at least 16 random characters")
	}
	return nil
}
