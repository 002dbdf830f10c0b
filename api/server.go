// Package api is the JSON API under /api/v1 and the HTTP plumbing the pages share with it:
// authentication (sessions and bearer tokens), CSRF protection, the public routes' throttle,
// request IDs, access logs, the Casbin authorize middleware, and the mapping of errors to
// responses (errors.go). Every JSON route is listed in routes.go with who may call it. The
// handlers decode the request, call a use case of package service and encode its answer; the
// pages (package web) are mounted through the Pages interface, so api never imports web.
package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"skillcert/internal/metrics"
	"skillcert/internal/tracing"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
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
	// Version is shown by /healthz.
	Version string
	// PublicQueryBurst and PublicQueryEvery bound the public certificate routes per client
	// address: a burst, refilled one request per interval (defaults 20 and 3 s).
	PublicQueryBurst int
	PublicQueryEvery time.Duration
	// Metrics, when set, counts and times every request (by route template) and serves
	// /metrics to a scraper presenting MetricsToken (secret) as a bearer token (api/metrics.go).
	Metrics      *metrics.Registry
	MetricsToken string
	// Tracing, when set, makes one server span per request named by its route template
	// (internal/tracing.Middleware); the use cases' Temporal calls continue its trace.
	Tracing *tracing.Provider
}

func (c *Config) applyDefaults() {
	if c.SessionIdle == 0 {
		c.SessionIdle = 2 * time.Hour
	}
	if c.SessionMax == 0 {
		c.SessionMax = 12 * time.Hour
	}
	if c.PublicQueryBurst == 0 {
		c.PublicQueryBurst = publicBurst
	}
	if c.PublicQueryEvery == 0 {
		c.PublicQueryEvery = publicEvery
	}
}

// Deps are what the HTTP layer needs from the process: the use cases and its configuration.
type Deps struct {
	Service *service.Service
	Config  Config
}

// Server serves the API and pages.
type Server struct {
	svc    *service.Service
	db     *models.DB
	enf    *policies.Enforcer
	log    *slog.Logger
	cfg    Config
	now    func() time.Time
	secure bool
	// pages are the server-rendered pages Handler mounts (nil: the JSON API alone).
	pages Pages
	// limiter throttles the public, anonymous routes per client address.
	limiter *publicLimiter
}

// New builds a server.
func New(d Deps) (*Server, error) {
	if d.Service == nil {
		return nil, fmt.Errorf("api: Service is required")
	}
	if len(d.Config.SessionKey) < 32 {
		return nil, fmt.Errorf("api: session key must be at least 32 bytes")
	}
	d.Config.applyDefaults()
	svc := d.Service
	s := &Server{svc: svc, db: svc.DB(), enf: svc.Enforcer(), log: svc.Logger(), cfg: d.Config, now: svc.Clock(),
		secure: strings.HasPrefix(d.Config.PublicURL, "https://")}
	s.limiter = newPublicLimiter(rate.Every(s.cfg.PublicQueryEvery), s.cfg.PublicQueryBurst)
	return s, nil
}

// Pages are the server-rendered pages (package web) that Handler serves beside the JSON API.
type Pages interface {
	// Static registers what is served before authentication: the static assets.
	Static(r *gin.Engine)
	// Routes registers the pages; authentication has run before them.
	Routes(r *gin.Engine)
	// ErrorPage shows an error to a request outside /api/.
	ErrorPage(c *gin.Context, e *service.Error)
}

// Handler returns the HTTP handler with every route: the JSON API, and the pages unless nil.
func (s *Server) Handler(pages Pages) http.Handler {
	s.pages = pages
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true
	// Client addresses (login throttling, the public query's rate limit) come from the
	// connection, not from X-Forwarded-For, unless a proxy is configured in front.
	_ = r.SetTrustedProxies(nil)
	if s.cfg.Tracing != nil {
		r.Use(tracing.Middleware(s.cfg.Tracing))
	}
	if s.cfg.Metrics != nil {
		r.Use(s.cfg.Metrics.Middleware())
	}
	r.Use(s.requestID, s.recoverer, s.accessLog, s.securityHeaders, s.limitBody, s.inputGuard)
	r.NoRoute(s.notFound)

	if pages != nil {
		pages.Static(r)
	}
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	s.mountMetrics(r)

	r.Use(s.authenticate, s.noStoreForCallers, s.passwordGate)
	if pages != nil {
		pages.Routes(r)
	}

	s.mountJSON(r)
	return r
}
