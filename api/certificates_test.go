package api

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/models/pii"
	"skillcert/models/validate"
	"skillcert/service"
)

// Demo enterprises (models/seed.go): 乳业 in 赛罕区 (呼和浩特), 稀土 in 昆都仑区 (包头).
const (
	certDairyID = "00000000-0000-7000-8000-000000000101"
	certRareID  = "00000000-0000-7000-8000-000000000102"
)

// Holders' ID numbers (valid check characters).
const (
	certHolderA = "15010219900307004X"
	certHolderB = "150203198512310045"
)

var certSigningSeed = []byte("certificate-signing-seed-32bytes")

// certEnv is a test server with a signing key, its logs captured, and certificates issued
// through the models the way the assessment workflow's activity does.
type certEnv struct {
	*testEnv
	api    *Server
	logs   *lockedBuffer
	sealer *pii.Sealer
	key    ed25519.PrivateKey
	// bodies collects every response body of the public API, to check none holds an ID number.
	bodies []string
	// deps are the service's dependencies, for a second replica on the same database.
	deps service.Deps
}

func newCertEnv(t *testing.T, db *models.DB) *certEnv {
	t.Helper()
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, testPassword)
	require.NoError(t, err)
	enf, err := service.NewEnforcer(ctx, db)
	require.NoError(t, err)
	e := &certEnv{testEnv: &testEnv{t: t, db: db, now: time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC)}, logs: &lockedBuffer{},
		key: ed25519.NewKeyFromSeed(certSigningSeed)}
	dataKey, lookupKey := []byte("data-key-data-key-data-key-32byt"), []byte("lookup-key-lookup-key-lookup-key")
	e.deps = service.Deps{DB: db, Enforcer: enf, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return e.now }, DataKey: dataKey, LookupKey: lookupKey, SigningKey: certSigningSeed, StorageDir: t.TempDir(),
		CaptchaAnswer: func() string { return webtest.CaptchaAnswer }}
	s := newServer(t, e.deps, Config{PublicURL: "https://cert.example", SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	e.sealer, err = pii.New(dataKey, lookupKey)
	require.NoError(t, err)
	e.api = s
	e.srv = httptest.NewServer(s.Handler(nil))
	t.Cleanup(e.srv.Close)
	return e
}

// issue issues one certificate to a holder of an enterprise.
func (e *certEnv) issue(enterprise, key, name, id string, level validate.Level, workType string) models.Certificate {
	e.t.Helper()
	sealed, err := e.sealer.Seal(id)
	require.NoError(e.t, err)
	cs, err := e.db.IssueCertificates(context.Background(), e.key, []models.CertificateDraft{{EnterpriseID: enterprise, SessionID: "session-1",
		CandidateKey: "session-1/" + key, HolderName: name, ID: sealed, OccupationCode: "6-02-04-01", OccupationName: "乳品加工工",
		WorkType: workType, Level: level, IssueDate: time.Date(2026, 6, 1, 1, 0, 0, 0, time.UTC)}})
	require.NoError(e.t, err)
	return cs[0]
}

// public calls the public API anonymously and decodes the answer.
func (e *certEnv) public(path string, query url.Values) (int, http.Header, map[string]any) {
	e.t.Helper()
	u := e.srv.URL + path
	if query != nil {
		u += "?" + query.Encode()
	}
	resp, err := http.Get(u)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	e.bodies = append(e.bodies, string(raw))
	var out map[string]any
	require.NoError(e.t, json.Unmarshal(raw, &out), "body: %s", raw)
	return resp.StatusCode, resp.Header, out
}

func certItems(out map[string]any) []map[string]any {
	var r []map[string]any
	for _, it := range out["items"].([]any) {
		r = append(r, it.(map[string]any))
	}
	return r
}

func certErrCode(out map[string]any) string {
	return out["error"].(map[string]any)["code"].(string)
}

func certErrField(out map[string]any) (field, code string) {
	fs, _ := out["error"].(map[string]any)["fields"].([]any)
	if len(fs) == 0 {
		return "", ""
	}
	f := fs[0].(map[string]any)
	return f["field"].(string), f["code"].(string)
}

// noClearIDs fails if an ID number shows up in any public API answer or in the server's logs.
func (e *certEnv) noClearIDs(ids ...string) {
	e.t.Helper()
	logs := e.logs.String()
	for _, id := range ids {
		for _, form := range []string{id, strings.ToLower(id)} {
			require.NotContains(e.t, logs, form, "ID number in the logs")
			for _, b := range e.bodies {
				require.NotContains(e.t, b, form, "ID number in a public answer")
			}
		}
	}
}

func (e *certEnv) counts() (certs, audit int64) {
	e.t.Helper()
	require.NoError(e.t, e.db.Model(&models.Certificate{}).Where("status = ?", models.CertificateValid).Count(&certs).Error)
	require.NoError(e.t, e.db.Model(&models.AuditEntry{}).Count(&audit).Error)
	return certs, audit
}

func TestPublicCertificateQuery(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		b := e.issue(certDairyID, "b", "李四", certHolderB, validate.Level4, "奶油制作工")

		// Name + ID number, typed with a lowercase x and spaces.
		code, hdr, out := e.public("/api/v1/public/certificates", url.Values{"name": {" 张三 "}, "id_number": {"150102 19900307 004x"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "no-store", hdr.Get("Cache-Control"))
		got := certItems(out)
		require.Len(t, got, 1)
		require.Equal(t, map[string]any{"number": a.Number, "holder_name": "张三", "id_type": "居民身份证", "id_masked": "150102********004X",
			"occupation_code": "6-02-04-01", "occupation_name": "乳品加工工", "work_type": "--", "level": float64(3), "level_name": "三级/高级工",
			"issuer": "呼和浩特乳业示范有限公司", "issue_date": "2026-06-01", "status": "valid", "status_name": "有效"}, got[0])

		// By number with the holder's name; the number alone finds nothing (see
		// TestPublicQueryByNumberNeedsName).
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"number": {strings.ToLower(b.Number)}, "name": {" 李四"}})
		require.Equal(t, http.StatusOK, code)
		require.Len(t, certItems(out), 1)
		require.Equal(t, "奶油制作工", certItems(out)[0]["work_type"])
		require.Equal(t, "四级/中级工", certItems(out)[0]["level_name"])
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"number": {b.Number}, "name": {"李四"}})
		require.Equal(t, http.StatusOK, code)
		require.Len(t, certItems(out), 1)
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"number": {b.Number}, "name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, certItems(out), "a number with another holder's name finds nothing")

		// Nothing found is an empty list, not an error.
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"name": {"张三"}, "id_number": {certHolderB}})
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, certItems(out))
		code, _, out = e.public("/api/v1/public/certificates", url.Values{"number": {"Y000015999999263000001"}, "name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, certItems(out))

		// Malformed and incomplete queries: the right status and code, and nothing changes.
		certs, audit := e.counts()
		for _, tc := range []struct {
			name          string
			q             url.Values
			status        int
			code          string
			field, fcode  string
			messageSubstr string
		}{
			{"bad check digit", url.Values{"name": {"张三"}, "id_number": {"340524198001010013"}}, 422, "invalid", "id_number", "id_check", ""},
			{"short id", url.Values{"name": {"张三"}, "id_number": {"15010219900307"}}, 422, "invalid", "id_number", "id_length", ""},
			{"old number", url.Values{"number": {"1234567890123456"}, "name": {"张三"}}, 422, "old_certificate_number", "number", "certificate_number_old", "2019年以前"},
			{"bad number", url.Values{"number": {"Y00001500012326300000"}, "name": {"张三"}}, 422, "invalid", "number", "certificate_number_length", ""},
			{"bad level digit", url.Values{"number": {"Y000015000123269000001"}, "name": {"张三"}}, 422, "invalid", "number", "certificate_number_level", ""},
			{"number without name", url.Values{"number": {a.Number}}, 400, "missing_name", "name", "missing_name", "请同时填写持证人姓名"},
			{"nothing", url.Values{}, 400, "missing_parameters", "", "", ""},
			{"name only", url.Values{"name": {"张三"}}, 400, "missing_parameters", "", "", ""},
			{"id without name", url.Values{"id_number": {certHolderA}}, 400, "missing_name", "name", "missing_name", ""},
			{"both forms", url.Values{"name": {"张三"}, "id_number": {certHolderA}, "number": {a.Number}}, 400, "ambiguous_query", "", "", ""},
		} {
			code, _, out := e.public("/api/v1/public/certificates", tc.q)
			require.Equal(t, tc.status, code, tc.name)
			require.Equal(t, tc.code, certErrCode(out), tc.name)
			f, fc := certErrField(out)
			require.Equal(t, tc.field, f, tc.name)
			require.Equal(t, tc.fcode, fc, tc.name)
			require.Contains(t, out["error"].(map[string]any)["message"], tc.messageSubstr, tc.name)
		}
		c2, a2 := e.counts()
		require.Equal(t, certs, c2, "queries change no certificate")
		require.Equal(t, audit, a2, "queries write nothing")

		e.noClearIDs(certHolderA, certHolderB)
	})
}

func TestPublicQueryIsRateLimitedPerAddress(t *testing.T) {
	e := newCertEnv(t, dbtest.New(t, models.SQLite))
	e.api.limiter = newPublicLimiter(rate.Every(time.Minute), 3)
	q := url.Values{"number": {"Y000015000123263000001"}, "name": {"张三"}}
	for i := 0; i < 3; i++ {
		code, _, _ := e.public("/api/v1/public/certificates", q)
		require.Equal(t, http.StatusOK, code, "request %d", i+1)
	}
	code, hdr, out := e.public("/api/v1/public/certificates", q)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Equal(t, "rate_limited", certErrCode(out))
	require.Equal(t, "60", hdr.Get("Retry-After"))
	require.Contains(t, out["error"].(map[string]any)["message"], "60 秒后")
	// The bucket is shared by the public routes.
	code, _, _ = e.public("/api/v1/certificates/Y000015000123263000001/verify", url.Values{"name": {"张三"}})
	require.Equal(t, http.StatusTooManyRequests, code)
	// A minute later one more request is allowed.
	e.now = e.now.Add(time.Minute)
	code, _, _ = e.public("/api/v1/public/certificates", q)
	require.Equal(t, http.StatusOK, code)
	// The public key is not throttled.
	code, _, _ = e.public("/api/v1/certificates/public-key", nil)
	require.Equal(t, http.StatusOK, code)
}

func TestCertificateReportIsScoped(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		b := e.issue(certDairyID, "b", "李四", certHolderB, validate.Level4, "")
		e.issue(certRareID, "c", "王五", "11010519491231002X", validate.Level3, "")
		_, err := db.RevokeCertificate(context.Background(), b.ID, "错误", time.Now())
		require.NoError(t, err)

		type row struct {
			Key, Name             string
			Valid, Revoked, Total float64
		}
		report := func(user, query string) (int, []row, map[string]any) {
			code, out := e.apiDo(e.bearer(user), http.MethodGet, "/api/v1/reports/certificates"+query, "")
			var rows []row
			if its, ok := out["items"].([]any); ok {
				for _, it := range its {
					m := it.(map[string]any)
					rows = append(rows, row{m["key"].(string), m["name"].(string), m["valid"].(float64), m["revoked"].(float64), m["total"].(float64)})
				}
			}
			return code, rows, out
		}
		code, rows, out := report("region", "?group=league")
		require.Equal(t, http.StatusOK, code, "%v", out)
		require.Equal(t, []row{{"150100", "呼和浩特市", 1, 1, 2}, {"150200", "包头市", 1, 0, 1}}, rows)
		// No sittings in this test: nobody assessed, so no pass rate.
		require.Equal(t, map[string]any{"key": "total", "name": "合计", "valid": float64(2), "revoked": float64(1), "total": float64(3),
			"assessed": float64(0), "passed": float64(0), "pass_rate": float64(0)}, out["totals"])

		code, rows, _ = report("hohhot", "?group=level")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, []row{{"4", "四级/中级工", 0, 1, 1}, {"3", "三级/高级工", 1, 0, 1}}, rows, "呼和浩特 sees its own enterprises only")
		code, rows, _ = report("centre", "?group=enterprise")
		require.Equal(t, http.StatusOK, code)
		require.Len(t, rows, 2)
		code, rows, _ = report("baotou", "")
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, []row{{"6-02-04-01", "乳品加工工", 1, 0, 1}}, rows, "occupation is the default grouping")
		code, rows, _ = report("region", "?group=level&year=2025")
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, rows)

		code, _, out = report("region", "?group=colour")
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "bad_group", certErrCode(out))
		code, _, _ = report("xincheng", "?group=level")
		require.Equal(t, http.StatusForbidden, code, "counties have no report access")
		code, _, _ = report("dairy", "?group=level")
		require.Equal(t, http.StatusForbidden, code)
	})
}
