package web

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
)

// sessionStatus is the status of GET /api/v1/me with the client's session.
func (e *testEnv) sessionStatus(c *http.Client) int {
	e.t.Helper()
	resp, _ := e.get(c, "/api/v1/me")
	return resp.StatusCode
}

func (e *testEnv) userID(username string) string {
	e.t.Helper()
	u, err := e.db.UserByUsername(context.Background(), username)
	require.NoError(e.t, err)
	return u.ID
}

// auditRows returns the audit rows of an action, oldest first.
func (e *testEnv) auditRows(action string) []models.AuditEntry {
	e.t.Helper()
	var rows []models.AuditEntry
	require.NoError(e.t, e.db.Where("action = ?", action).Order("seq").Find(&rows).Error)
	return rows
}

// requireNoSecretInAudit checks that no audit row carries the secret anywhere.
func (e *testEnv) requireNoSecretInAudit(secret string) {
	e.t.Helper()
	var rows []models.AuditEntry
	require.NoError(e.t, e.db.Find(&rows).Error)
	for _, r := range rows {
		b, _ := json.Marshal(r)
		require.NotContains(e.t, string(b), secret, "audit row %d (%s) carries a password", r.Seq, r.Action)
	}
}

func errCode(t *testing.T, body map[string]any) string {
	t.Helper()
	e, ok := body["error"].(map[string]any)
	require.True(t, ok, "error body: %v", body)
	return e["code"].(string)
}

var oneTimePasswordRe = regexp.MustCompile(`^[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}-[A-Z2-7]{4}$`)
