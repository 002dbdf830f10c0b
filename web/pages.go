package web

import (
	"fmt"
	"html/template"
	"log/slog"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
)

// Config is the pages' share of the process configuration.
type Config struct {
	// PublicURL is the externally visible base URL (certificates' QR codes and query address).
	PublicURL string
}

// Deps are what the pages need: the HTTP layer's middleware and sessions, and the use cases.
type Deps struct {
	API     *api.Server
	Service *service.Service
	Config  Config
}

// Pages serves the pages. It implements api.Pages, through which api.Server.Handler mounts
// them beside the JSON API.
type Pages struct {
	api   *api.Server
	svc   *service.Service
	db    *models.DB
	enf   *policies.Enforcer
	log   *slog.Logger
	cfg   Config
	now   func() time.Time
	pages map[string]*template.Template
	// engine is the complete router; hasRoute reads its route list.
	engine *gin.Engine
	// routes are the API's GET routes (hasRoute), read at the first request.
	routesOnce sync.Once
	routes     map[string]bool
}

// New builds the pages and parses their templates.
func New(d Deps) (*Pages, error) {
	if d.API == nil || d.Service == nil {
		return nil, fmt.Errorf("web: API and Service are required")
	}
	svc := d.Service
	p := &Pages{api: d.API, svc: svc, db: svc.DB(), enf: svc.Enforcer(), log: svc.Logger(), cfg: d.Config, now: svc.Clock()}
	if err := p.loadTemplates(); err != nil {
		return nil, err
	}
	return p, nil
}
