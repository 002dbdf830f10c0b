// Package service holds the use cases of skillcert: Service methods of the form
//
//	func (s *Service) VerbNoun(ctx context.Context, a *Actor, in Input) (Output, error)
//
// that the JSON API (package api) and the pages (package web) both call. Each authorizes
// (Require), validates, writes and audits on its own, whoever calls it, and returns the error
// vocabulary of errors.go, which the HTTP layer maps to responses in one place. Nothing here
// knows about HTTP requests.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/policies"
	"skillcert/storage"
	"skillcert/workflows"
)

// Config is the use cases' share of the process configuration.
type Config struct {
	// Location is the time zone of deadlines and of the days people type (Asia/Shanghai).
	Location *time.Location
	// Throttle are the budgets of the public routes (logins, registrations, complaints,
	// certificate queries); nil means domain.DefaultThrottleBudgets. A purpose left out is
	// not throttled (benchmarks, whose clients share one address).
	Throttle domain.ThrottleBudgets
	// TemporalTimeout bounds each call to Temporal made while serving a request (default
	// DefaultTemporalTimeout); past it the request answers 503 with Retry-After.
	TemporalTimeout time.Duration
	// PasswordMaxAge is how long officials' and administrators' passwords last before the
	// next login must change them: 0 means domain.DefaultPasswordMaxAge (90 days), a negative
	// value never.
	PasswordMaxAge time.Duration
	// TwoFactorRequired holds accounts whose role requires a second factor
	// (domain.SecondFactorRequired) to enrol in TOTP before anything else.
	TwoFactorRequired bool
	// PublicationNumberPattern and FilingNumberPattern make the 文号 of directory publications
	// and the 备案号 of filed work plans (domain.CheckNumberPattern); empty means the domain's
	// defaults.
	PublicationNumberPattern, FilingNumberPattern string
	// OIDC configures login through the region's unified identity platform (统一身份认证), per
	// audience (models.AudienceEnterprise, models.AudienceOfficial); an audience left out has
	// none (oidc.go).
	OIDC map[string]OIDCConfig
}

func (c *Config) applyDefaults() {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.TemporalTimeout <= 0 {
		c.TemporalTimeout = DefaultTemporalTimeout
	}
	if c.PublicationNumberPattern == "" {
		c.PublicationNumberPattern = domain.DefaultPublicationNumberPattern
	}
	if c.FilingNumberPattern == "" {
		c.FilingNumberPattern = domain.DefaultFilingNumberPattern
	}
}

// Deps are what the use cases need from the process.
type Deps struct {
	DB       *models.DB
	Enforcer *policies.Enforcer
	Temporal client.Client // may be nil in tests that need no workflow
	Logger   *slog.Logger
	Config   Config
	// Now is the clock (tests move it); defaults to time.Now.
	Now func() time.Time
	// DataKey (AES-256-GCM or SM4-GCM) and LookupKey (HMAC) protect ID numbers; 32 bytes each.
	DataKey, LookupKey []byte
	// CryptoSuite seals new ID numbers (cryptosuite.Intl, the default, or GM); KeyVersion is
	// the version of DataKey and LookupKey (default 1); RetiredKeys are older versions, kept to
	// open and find what they sealed (see package pii).
	CryptoSuite string
	KeyVersion  int
	RetiredKeys []pii.Generation
	// SigningKey is the Ed25519 seed (32 bytes) and SM2SigningKey the SM2 private key (32
	// bytes) whose public keys verify certificate signatures; either may be empty.
	SigningKey, SM2SigningKey []byte
	// StorageDir is where attachments are stored.
	StorageDir string
	// Store, when set, holds attachments, photos and original records instead of StorageDir
	// (the S3 backend, shared by every replica; see package storage).
	Store storage.Store
	// TaskQueue is where workflows are started; Timing configures their waits.
	TaskQueue string
	Timing    workflows.Timing
	// CaptchaAnswer draws the answer of each CAPTCHA handed out; tests fix it. Defaults to
	// five random digits.
	CaptchaAnswer func() string
}

// Service runs the use cases.
type Service struct {
	db        *models.DB
	enf       *policies.Enforcer
	temporal  client.Client
	log       *slog.Logger
	cfg       Config
	now       func() time.Time
	apps      applicationState
	att       attachmentState
	certs     certificateState
	excl      exclusionCache
	taskQueue string
	timing    workflows.Timing
	// decisions serialises the decisions sent to one workflow (SendDecision).
	decisions keyedMutex
	// jcache caches each jurisdiction's level and name for pages and inboxes.
	jcache jurisdictionCache
	// thr holds the throttles' budgets and the CAPTCHAs' answer source (throttle.go).
	thr throttleState
	// oidc caches the unified identity platforms' discovery documents (oidc.go).
	oidc oidcState
}

// New builds the service: it loads the occupation dictionary and the exclusion list, opens the
// attachment store and lets the enforcer follow the jurisdictions table.
func New(d Deps) (*Service, error) {
	if d.DB == nil || d.Enforcer == nil {
		return nil, fmt.Errorf("service: DB and Enforcer are required")
	}
	d.Config.applyDefaults()
	for kind, p := range map[string]string{domain.DocPublication: d.Config.PublicationNumberPattern, domain.DocFiling: d.Config.FilingNumberPattern} {
		if err := domain.CheckNumberPattern(kind, p); err != nil {
			return nil, fmt.Errorf("service: %w", err)
		}
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Service{db: d.DB, enf: d.Enforcer, temporal: withDeadline(d.Temporal, d.Config.TemporalTimeout), log: d.Logger, cfg: d.Config, now: d.Now,
		taskQueue: d.TaskQueue, timing: d.Timing}
	if s.taskQueue == "" {
		s.taskQueue = workflows.TaskQueue
	}
	s.initThrottle(d)
	if err := s.initApplications(d); err != nil {
		return nil, err
	}
	if err := s.initCertificates(d); err != nil {
		return nil, err
	}
	if err := s.initAttachments(d); err != nil {
		return nil, err
	}
	s.followJurisdictions()
	return s, nil
}

func (s *Service) initApplications(d Deps) error {
	sealer, err := pii.NewKeyring(pii.Keys{Suite: d.CryptoSuite,
		Current: pii.Generation{Version: d.KeyVersion, Data: d.DataKey, Lookup: d.LookupKey}, Retired: d.RetiredKeys})
	if err != nil {
		return fmt.Errorf("service: keys for ID numbers: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dict, err := s.db.OccupationDictionary(ctx)
	if err != nil {
		return fmt.Errorf("service: occupation dictionary: %w", err)
	}
	s.apps = applicationState{sealer: sealer, dict: dict, excluded: s.isExcluded, submitted: s.onApplicationSubmitted}
	return s.refreshExclusions(ctx)
}

func (s *Service) initCertificates(d Deps) error {
	keys, err := cryptosuite.VerifyingKeys(d.SigningKey, d.SM2SigningKey)
	if err != nil {
		return fmt.Errorf("service: %w", err)
	}
	suite, _ := cryptosuite.ByName(s.apps.sealer.Suite())
	s.certs = certificateState{sealer: s.apps.sealer, keys: keys, alg: suite.SignatureAlg()}
	return nil
}

func (s *Service) initAttachments(d Deps) error {
	if d.Store != nil {
		s.att = attachmentState{store: d.Store, maxSize: MaxAttachmentSize}
		return nil
	}
	if d.StorageDir == "" {
		return errors.New("service: StorageDir is required for attachments")
	}
	st, err := storage.NewLocal(d.StorageDir)
	if err != nil {
		return err
	}
	s.att = attachmentState{store: st, maxSize: MaxAttachmentSize}
	return nil
}

// followJurisdictions lets the enforcer keep its tree in step with the jurisdictions table by
// itself (see policies.Enforcer.RefreshTree): this replica installs a county it adds at once,
// the others learn of it on their own.
func (s *Service) followJurisdictions() {
	s.enf.RefreshTree(policies.TreeRefresh{
		// Reloads run inside authorization checks, which have no request context of their own
		// to pass down; the timeout bounds how long one such check can wait.
		Load: func() (map[string]string, error) {
			ctx, cancel := context.WithTimeout(context.Background(), treeLoadTimeout)
			defer cancel()
			return s.db.JurisdictionParents(ctx)
		},
		MinGap:  treeMinGap,
		MaxAge:  treeMaxAge,
		OnError: func(err error) { s.log.Error("reload jurisdiction tree", "err", err) },
	})
}

// The process's parts, for the HTTP layer: its middleware (sessions, tokens, the authorize
// check) and the list reads of pages and handlers use them directly.

// DB is the application database.
func (s *Service) DB() *models.DB { return s.db }

// Enforcer is the authorization enforcer.
func (s *Service) Enforcer() *policies.Enforcer { return s.enf }

// Temporal is the Temporal client (nil when none is configured).
func (s *Service) Temporal() client.Client { return s.temporal }

// Logger is the process's logger.
func (s *Service) Logger() *slog.Logger { return s.log }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// Clock is the service's clock as a function (tests move it).
func (s *Service) Clock() func() time.Time { return s.now }

// Location is the time zone of deadlines and displayed times.
func (s *Service) Location() *time.Location { return s.cfg.Location }

// Timing is the workflows' timing (due dates, reminders).
func (s *Service) Timing() workflows.Timing { return s.timing }

// UseTemporal replaces the Temporal client: tests stand a fake in for the workflows. It must
// be called before the service serves.
func (s *Service) UseTemporal(tc client.Client) { s.temporal = withDeadline(tc, s.cfg.TemporalTimeout) }
