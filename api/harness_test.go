package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/service"
)

// newServer builds a test's service over d and its HTTP server with cfg.
func newServer(t *testing.T, d service.Deps, cfg Config) *Server {
	t.Helper()
	svc, err := service.New(d)
	require.NoError(t, err)
	s, err := New(Deps{Service: svc, Config: cfg})
	require.NoError(t, err)
	return s
}
