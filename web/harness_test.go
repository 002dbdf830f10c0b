package web

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/service"
)

// stack is a test's whole HTTP side: the use cases, the JSON API and the pages.
type stack struct {
	svc   *service.Service
	api   *api.Server
	pages *Pages
}

// Handler serves the JSON API and the pages on one engine, as the binary does.
func (s *stack) Handler() http.Handler { return s.api.Handler(s.pages) }

// newServer builds a test's service over d, and its HTTP server with cfg.
func newServer(t *testing.T, d service.Deps, cfg api.Config) *stack {
	t.Helper()
	svc, err := service.New(d)
	require.NoError(t, err)
	srv, err := api.New(api.Deps{Service: svc, Config: cfg})
	require.NoError(t, err)
	pages, err := New(Deps{API: srv, Service: svc, Config: Config{PublicURL: cfg.PublicURL}})
	require.NoError(t, err)
	return &stack{svc: svc, api: srv, pages: pages}
}
