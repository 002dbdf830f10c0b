package web

import (
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
)

// sessionStatus is the status of GET /api/v1/me with the client's session.
func (e *testEnv) sessionStatus(c *http.Client) int {
	e.t.Helper()
	resp, _ := e.get(c, "/api/v1/me")
	return resp.StatusCode
}

func (e *testEnv) userID(username string) string { return webtest.UserID(e.t, e.db, username) }

// auditRows returns the audit rows of an action, oldest first.
func (e *testEnv) auditRows(action string) []models.AuditEntry {
	return webtest.AuditRows(e.t, e.db, action)
}

// requireNoSecretInAudit checks that no audit row carries the secret anywhere.
func (e *testEnv) requireNoSecretInAudit(secret string) {
	webtest.RequireNoSecretInAudit(e.t, e.db, secret)
}

func errCode(t *testing.T, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "error body: %v", body)
	return e["code"].(string)
}

var oneTimePasswordRe = regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`)
