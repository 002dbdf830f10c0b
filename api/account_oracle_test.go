package api

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// TestUserAdminAuthorizesBeforeValidating sends account requests from callers who may not
// manage accounts: each answers 403, whatever the body (valid, invalid, malformed, naming an
// existing username, an unknown enterprise or account), so the answer reveals neither the
// rules nor what exists. The administrator still gets the validation errors.
func TestUserAdminAuthorizesBeforeValidating(t *testing.T) {
	e := newTestEnv(t, dbtest.New(t, models.SQLite))
	bodies := map[string]string{
		"valid":              `{"username":"county9","display_name":"新账户","password":"long-enough-pw1","role":"county_official","jurisdiction_code":"150103"}`,
		"invalid":            `{"username":"x","display_name":"","password":"short","role":"county_official","jurisdiction_code":"150100"}`,
		"existing username":  `{"username":"saihan","display_name":"重名","password":"long-enough-pw1","role":"county_official","jurisdiction_code":"150105"}`,
		"unknown enterprise": `{"username":"ent9","display_name":"企业","password":"long-enough-pw1","role":"enterprise_user","enterprise_id":"no-such-enterprise"}`,
		"unknown role":       `{"username":"role9","display_name":"角色","password":"long-enough-pw1","role":"emperor","jurisdiction_code":"150000"}`,
		"malformed":          `{"username":`,
		"empty":              ``,
	}
	saihan := webtest.UserID(t, e.db, "saihan")
	for _, user := range []string{"hohhot", "region", "dairy", "expert1"} {
		tok := e.bearer(user)
		for name, body := range bodies {
			code, _ := e.apiDo(tok, http.MethodPost, "/api/v1/users", body)
			require.Equal(t, http.StatusForbidden, code, "%s creates a user with a %s body", user, name)
		}
		for _, id := range []string{saihan, "no-such-user"} {
			for _, body := range []string{``, `{"reason":"调离"}`, `{"reason":`, `{"role":"emperor"}`} {
				for _, action := range []string{"disable", "enable", "password"} {
					code, _ := e.apiDo(tok, http.MethodPost, "/api/v1/users/"+id+"/"+action, body)
					require.Equal(t, http.StatusForbidden, code, "%s: %s %s with %q", user, action, id, body)
				}
				code, _ := e.apiDo(tok, http.MethodPut, "/api/v1/users/"+id+"/grant", body)
				require.Equal(t, http.StatusForbidden, code, "%s: grant %s with %q", user, id, body)
			}
		}
	}
	require.Equal(t, int64(0), countUsers(t, e, "county9"), "nothing was created")

	admin := e.bearer("admin")
	code, _ := e.apiDo(admin, http.MethodPost, "/api/v1/users", bodies["invalid"])
	require.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = e.apiDo(admin, http.MethodPost, "/api/v1/users", bodies["existing username"])
	require.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = e.apiDo(admin, http.MethodPost, "/api/v1/users", bodies["valid"])
	require.Equal(t, http.StatusCreated, code)
}

func countUsers(t *testing.T, e *testEnv, username string) int64 {
	var n int64
	require.NoError(t, e.db.Model(&models.User{}).Where("username = ?", username).Count(&n).Error)
	return n
}
