package api

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
)

// TestPublicQueryByNumberNeedsName: certificate numbers run in sequence, so a query by number
// alone let anyone walk them and collect holders' names and employers. The number alone now
// answers nothing but a request for the name; with the wrong name it finds nothing.
func TestPublicQueryByNumberNeedsName(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		for _, path := range []string{"/api/v1/public/certificates?number=" + a.Number, "/api/v1/certificates/" + a.Number + "/verify"} {
			code, _, out := e.public(path, nil)
			require.Equal(t, http.StatusBadRequest, code, path)
			require.Equal(t, "missing_name", certErrCode(out), path)
			require.Contains(t, out["error"].(map[string]any)["message"], "请同时填写持证人姓名", path)
			f, fc := certErrField(out)
			require.Equal(t, "name", f)
			require.Equal(t, "missing_name", fc)
			raw := fmt.Sprint(out)
			require.NotContains(t, raw, "张三", path)
			require.NotContains(t, raw, "呼和浩特乳业示范有限公司", path)
		}
		code, _, out := e.public("/api/v1/public/certificates", url.Values{"number": {a.Number}, "name": {"王五"}})
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, certItems(out))
		code, _, _ = e.public("/api/v1/certificates/"+a.Number+"/verify", url.Values{"name": {"王五"}})
		require.Equal(t, http.StatusNotFound, code)
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"number": {a.Number}, "name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Len(t, certItems(out), 1)
	})
}

// TestPublicQueryBudgetIsSharedAcrossReplicas: the in-process bucket let each replica answer
// its own burst. The query budget is counted in the database: queries spread over two replicas
// add up, the eleventh within the hour needs a CAPTCHA, and a CAPTCHA handed out by one replica
// is answered on the other, once.
func TestPublicQueryBudgetIsSharedAcrossReplicas(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		second := httptest.NewServer(newServer(t, e.deps, Config{PublicURL: "https://cert.example",
			SessionKey: []byte("0123456789abcdef0123456789abcdef")}).Handler(nil))
		t.Cleanup(second.Close)
		get := func(base string, q url.Values) (int, map[string]any) {
			t.Helper()
			resp, err := http.Get(base + "/api/v1/public/certificates?" + q.Encode())
			require.NoError(t, err)
			defer resp.Body.Close()
			raw, _ := io.ReadAll(resp.Body)
			var out map[string]any
			require.NoError(t, json.Unmarshal(raw, &out), string(raw))
			return resp.StatusCode, out
		}
		q := url.Values{"number": {a.Number}, "name": {"张三"}}
		for i := 0; i < 10; i++ {
			base := e.srv.URL
			if i%2 == 1 {
				base = second.URL
			}
			code, out := get(base, q)
			require.Equal(t, http.StatusOK, code, "query %d: %v", i+1, out)
		}
		for _, base := range []string{e.srv.URL, second.URL} {
			code, out := get(base, q)
			require.Equal(t, http.StatusPreconditionRequired, code)
			require.Equal(t, "captcha_required", certErrCode(out))
		}
		// A CAPTCHA from the first replica, answered on the second.
		code, _, ch := e.public("/api/v1/captcha", nil)
		require.Equal(t, http.StatusOK, code)
		withCaptcha := url.Values{"number": {a.Number}, "name": {"张三"}, "captcha_id": {ch["captcha_id"].(string)},
			"captcha_answer": {webtest.CaptchaAnswer}}
		code, out := get(second.URL, withCaptcha)
		require.Equal(t, http.StatusOK, code, out)
		require.Len(t, certItems(out), 1)
		code, out = get(e.srv.URL, withCaptcha)
		require.Equal(t, http.StatusPreconditionRequired, code)
		require.Equal(t, "captcha_invalid", certErrCode(out), "each CAPTCHA is answered once")
		// The answer is kept hashed only.
		var stored []models.Captcha
		require.NoError(t, db.Find(&stored).Error)
		for _, c := range stored {
			require.NotContains(t, c.AnswerHash, webtest.CaptchaAnswer)
		}
	})
}
