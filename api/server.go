// Package api is the HTTP layer: the JSON API under /api/v1, the server-rendered pages,
// authentication (sessions and bearer tokens), CSRF protection, login throttling and the
// Casbin authorization middleware. Handlers return errors; one adapter maps them to responses.
package api

import (
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"skillcert/models"
	"skillcert/policies"
	"skillcert/web"
	"skillcert/workflows"
)

// Config is the HTTP layer's share of the process configuration.
type Config struct {
	// PublicURL is the externally visible base URL; https turns on Secure cookies.
	PublicURL string
	// SessionKey keys the CSRF tokens (HMAC-SHA256).
	SessionKey []byte
	// SessionIdle ends a session after this long without a request (default 2h).
	SessionIdle time.Duration
	// SessionMax ends a session this long after login whatever the activity (default 12h).
	SessionMax time.Duration
	// LoginMaxFailures per username within LoginWindow before logins are refused (default 5).
	LoginMaxFailures int
	// LoginMaxFailuresPerAddr per client address within LoginWindow (default 30).
	LoginMaxFailuresPerAddr int
	// LoginWindow is the throttling window (default 15 min).
	LoginWindow time.Duration
	// Location is the time zone for display and deadlines (Asia/Shanghai).
	Location *time.Location
	// Version is shown by /healthz.
	Version string
	// PublicQueryBurst and PublicQueryEvery bound the public certificate routes per client
	// address: a burst, refilled one request per interval (defaults 20 and 3 s).
	PublicQueryBurst int
	PublicQueryEvery time.Duration
}

func (c *Config) applyDefaults() {
	if c.SessionIdle == 0 {
		c.SessionIdle = 2 * time.Hour
	}
	if c.SessionMax == 0 {
		c.SessionMax = 12 * time.Hour
	}
	if c.LoginMaxFailures == 0 {
		c.LoginMaxFailures = 5
	}
	if c.LoginMaxFailuresPerAddr == 0 {
		c.LoginMaxFailuresPerAddr = 30
	}
	if c.LoginWindow == 0 {
		c.LoginWindow = 15 * time.Minute
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.PublicQueryBurst == 0 {
		c.PublicQueryBurst = publicBurst
	}
	if c.PublicQueryEvery == 0 {
		c.PublicQueryEvery = publicEvery
	}
}

// Deps are what the HTTP layer needs from the process.
type Deps struct {
	DB       *models.DB
	Enforcer *policies.Enforcer
	Temporal client.Client // may be nil in tests that need no workflow
	Logger   *slog.Logger
	Config   Config
	// Now is the clock (tests move it); defaults to time.Now.
	Now func() time.Time
	// DataKey (AES-256-GCM) and LookupKey (HMAC) protect ID numbers; 32 bytes each.
	DataKey, LookupKey []byte
	// SigningKey is the Ed25519 seed (32 bytes) that signs certificates.
	SigningKey []byte
	// StorageDir is where attachments are stored.
	StorageDir string
	// TaskQueue is where workflows are started; Timing configures their waits.
	TaskQueue string
	Timing    workflows.Timing
}

// Server serves the API and pages.
type Server struct {
	db        *models.DB
	enf       *policies.Enforcer
	temporal  client.Client
	log       *slog.Logger
	cfg       Config
	now       func() time.Time
	pages     map[string]*template.Template
	secure    bool
	apps      applicationState
	att       attachmentState
	certs     certificateState
	excl      exclusionCache
	taskQueue string
	timing    workflows.Timing
	decisions keyedMutex
	// jcache caches each jurisdiction's level and name for pages and inboxes.
	jcache jurisdictionCache
}

// New builds a server.
func New(d Deps) (*Server, error) {
	if d.DB == nil || d.Enforcer == nil {
		return nil, fmt.Errorf("api: DB and Enforcer are required")
	}
	if len(d.Config.SessionKey) < 32 {
		return nil, fmt.Errorf("api: session key must be at least 32 bytes")
	}
	d.Config.applyDefaults()
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &Server{db: d.DB, enf: d.Enforcer, temporal: d.Temporal, log: d.Logger, cfg: d.Config, now: d.Now,
		secure: strings.HasPrefix(d.Config.PublicURL, "https://"), taskQueue: d.TaskQueue, timing: d.Timing}
	if s.taskQueue == "" {
		s.taskQueue = workflows.TaskQueue
	}
	if err := s.loadTemplates(); err != nil {
		return nil, err
	}
	if err := s.initExtensions(d); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) loadTemplates() error {
	funcs := template.FuncMap{
		"fmtTime": func(t time.Time) string { return t.In(s.cfg.Location).Format("2006-01-02 15:04") },
	}
	names, err := fs.Glob(web.Templates, "templates/*.html")
	if err != nil {
		return err
	}
	s.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(web.Templates, "templates/layout.html", n)
		if err != nil {
			return fmt.Errorf("parse template %s: %w", n, err)
		}
		s.pages[base] = t
	}
	return nil
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	// Client addresses (login throttling, the public query's rate limit) come from the
	// connection, not from X-Forwarded-For, unless a proxy is configured in front.
	_ = r.SetTrustedProxies(nil)
	r.Use(s.requestID, s.recoverer, s.accessLog, s.securityHeaders, s.limitBody)
	r.NoRoute(s.notFound)

	static, _ := fs.Sub(web.Static, "static")
	r.StaticFS("/static", http.FS(static))
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)

	// Pages.
	r.Use(s.authenticate)
	r.GET("/login", s.page(s.loginPage))
	r.POST("/login", s.csrf, s.page(s.loginSubmit))
	r.POST("/logout", s.csrf, s.page(s.logoutSubmit))
	r.GET("/", s.requirePageLogin, s.page(s.homePage))

	// JSON API.
	v1 := r.Group("/api/v1")
	v1.POST("/auth/login", s.json(s.apiLogin))
	v1.POST("/enterprises/register", s.json(s.apiRegister))
	v1.Use(s.csrf)
	v1.POST("/auth/logout", s.requireAPILogin, s.json(s.apiLogout))
	v1.GET("/me", s.requireAPILogin, s.json(s.apiMe))
	v1.POST("/tokens", s.requireAPILogin, s.json(s.apiCreateToken))
	v1.DELETE("/tokens/:id", s.requireAPILogin, s.json(s.apiRevokeToken))
	v1.GET("/jurisdictions", s.requireAPILogin, s.authorize("jurisdiction", "read", scopeFromQuery("under")), s.json(s.apiJurisdictions))
	s.jurisdictionRoutes(v1)
	v1.GET("/users", s.requireAPILogin, s.authorize("user", "read", scopeFromQuery("jurisdiction")), s.json(s.apiUsers))
	v1.POST("/users", s.requireAPILogin, s.json(s.apiCreateUser))
	s.userAdminRoutes(v1)
	v1.GET("/audit", s.requireAPILogin, s.authorize("audit", "read", scopeFromQuery("jurisdiction")), s.json(s.apiAudit))
	v1.POST("/audit/verify", s.requireAPILogin, s.authorize("audit", "verify", ownScope), s.json(s.apiAuditVerify))
	s.extensionRoutes(r, v1)
	s.openAPIRoutes(r)
	return r
}

// audit appends to the audit log; a failure is logged, and the caller decides whether it is fatal.
func (s *Server) audit(ctx context.Context, a *Actor, e models.AuditEntry) error {
	s.fillAudit(ctx, a, &e)
	if err := s.db.AppendAudit(ctx, &e); err != nil {
		s.log.ErrorContext(ctx, "audit append failed", "action", e.Action, "err", err)
		return err
	}
	return nil
}

// fillAudit completes an audit row with the actor, the request ID and the default outcome.
func (s *Server) fillAudit(ctx context.Context, a *Actor, e *models.AuditEntry) {
	if a != nil {
		e.ActorID, e.ActorName, e.Role = a.User.ID, a.User.Username, a.User.Role
		if e.JurisdictionCode == "" {
			e.JurisdictionCode = a.Jurisdiction
		}
	}
	e.RequestID = requestIDFrom(ctx)
	if e.Outcome == "" {
		e.Outcome = models.OutcomeOK
	}
}
