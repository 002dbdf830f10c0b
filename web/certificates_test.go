package web

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/internal/cryptosuite"
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

var (
	certSigningSeed = []byte("certificate-signing-seed-32bytes")
	// certSM2Key is the SM2 key of the GB/T 32918 example, trusted next to the Ed25519 one.
	certSM2Key, _ = hex.DecodeString("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8")
)

// certEnv is a test server with a signing key, its logs captured, and certificates issued
// through the models the way the assessment workflow's activity does.
type certEnv struct {
	*testEnv
	api    *stack
	logs   *lockedBuffer
	sealer *pii.Sealer
	key    ed25519.PrivateKey
	// bodies collects every response body of the public API, to check none holds an ID number.
	bodies []string
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
	s := newServer(t, service.Deps{DB: db, Enforcer: enf, Logger: slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now: func() time.Time { return e.now }, DataKey: dataKey, LookupKey: lookupKey, SigningKey: certSigningSeed, SM2SigningKey: certSM2Key, StorageDir: t.TempDir()},
		api.Config{PublicURL: "https://cert.example", SessionKey: []byte("0123456789abcdef0123456789abcdef")})
	e.sealer, err = pii.New(dataKey, lookupKey)
	require.NoError(t, err)
	e.api = s
	e.srv = httptest.NewServer(s.Handler())
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

func TestVerifyCertificateSignature(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")

		code, hdr, key := e.public("/api/v1/certificates/public-key", nil)
		require.Equal(t, http.StatusOK, code)
		require.Contains(t, hdr.Get("Cache-Control"), "public")
		pubRaw, err := base64.StdEncoding.DecodeString(key["public_key"].(string))
		require.NoError(t, err)
		require.Equal(t, []byte(e.key.Public().(ed25519.PublicKey)), pubRaw)

		code, _, out := e.public("/api/v1/certificates/"+a.Number+"/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, true, out["valid_signature"])
		require.Equal(t, "valid", out["status"])
		cert := out["certificate"].(map[string]any)
		require.Equal(t, "150102********004X", cert["id_masked"])
		// Offline check: the published key verifies the signature over the signed payload, and the
		// payload holds the printed fields.
		sig, err := base64.StdEncoding.DecodeString(cert["signature"].(string))
		require.NoError(t, err)
		payload := out["signed_payload"].(string)
		require.True(t, ed25519.Verify(pubRaw, []byte(payload), sig))
		require.Equal(t, "Ed25519", out["algorithm"])
		require.Equal(t, "Ed25519 数字签名", out["algorithm_name"])
		_, page0 := e.get(e.browser(), "/c/"+a.Token)
		require.Contains(t, page0, "防伪电子签名（爱德华兹曲线数字签名算法）：校验通过")
		// Plain Chinese for the public: no algorithm code, no link to raw verification data.
		require.NotContains(t, page0, "Ed25519")
		require.NotContains(t, page0, "核验数据")
		require.NotContains(t, page0, "/verify?")
		var fields []string
		require.NoError(t, json.Unmarshal([]byte(payload), &fields))
		require.Equal(t, []string{"skillcert/certificate/v1", a.Number, "张三", "居民身份证", "150102********004X", "6-02-04-01", "乳品加工工", "--",
			"3", "2026-06-01", "呼和浩特乳业示范有限公司"}, fields)

		// Someone edits the stored record: the seal no longer matches, and verify says so.
		require.NoError(t, db.Model(&models.Certificate{}).Where("id = ?", a.ID).Update("level", 1).Error)
		code, _, out = e.public("/api/v1/certificates/"+a.Number+"/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, false, out["valid_signature"])
		require.Equal(t, "一级/高级技师", out["certificate"].(map[string]any)["level_name"])
		resp, page := e.get(e.browser(), "/c/"+a.Token)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, "电子签名校验未通过")

		code, _, out = e.public("/api/v1/certificates/1234567890123456/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusUnprocessableEntity, code)
		require.Equal(t, "old_certificate_number", certErrCode(out))
		code, _, out = e.public("/api/v1/certificates/Y000015999999263000001/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusNotFound, code)
		require.Equal(t, "not_found", certErrCode(out))
		// The holder's name is required, and must be the holder's: the number alone reveals
		// nobody (see also TestPublicQueryByNumberNeedsName).
		code, _, out = e.public("/api/v1/certificates/"+a.Number+"/verify", nil)
		require.Equal(t, http.StatusBadRequest, code)
		require.Equal(t, "missing_name", certErrCode(out))
		require.NotContains(t, fmt.Sprint(out), "张三")
		code, _, out = e.public("/api/v1/certificates/"+a.Number+"/verify", url.Values{"name": {"李四"}})
		require.Equal(t, http.StatusNotFound, code)
		require.NotContains(t, fmt.Sprint(out), "张三")
		e.noClearIDs(certHolderA)
	})
}

func TestRevocationShowsInPublicQueryAndIsAudited(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		path := "/api/v1/certificates/" + a.ID + "/revoke"

		// Only the appraisal centre revokes; refusals are audited.
		for _, user := range []string{"region", "hohhot", "dairy"} {
			code, out := e.apiDo(e.bearer(user), http.MethodPost, path, `{"reason":"x"}`)
			require.Equal(t, http.StatusForbidden, code, user)
			require.Equal(t, "forbidden", certErrCode(out), user)
		}
		require.EqualValues(t, 3, e.auditCount("certificate.revoke", models.OutcomeDenied))
		code, _ := e.apiDo("", http.MethodPost, path, `{"reason":"x"}`)
		require.Equal(t, http.StatusUnauthorized, code)

		centre := e.bearer("centre")
		code, out := e.apiDo(centre, http.MethodPost, path, `{"reason":"   "}`)
		require.Equal(t, http.StatusUnprocessableEntity, code)
		f, fc := certErrField(out)
		require.Equal(t, "reason", f)
		require.Equal(t, "required", fc)
		code, out = e.apiDo(centre, http.MethodPost, "/api/v1/certificates/"+models.NewID()+"/revoke", `{"reason":"x"}`)
		require.Equal(t, http.StatusNotFound, code, "%v", out)

		code, out = e.apiDo(centre, http.MethodPost, path, `{"reason":"考核过程存在替考，经核查属实"}`)
		require.Equal(t, http.StatusOK, code, "%v", out)
		require.Equal(t, "revoked", out["status"])
		require.EqualValues(t, 1, e.auditCount("certificate.revoke", models.OutcomeOK))

		code, out = e.apiDo(centre, http.MethodPost, path, `{"reason":"again"}`)
		require.Equal(t, http.StatusConflict, code)
		require.Equal(t, "already_revoked", certErrCode(out))
		require.EqualValues(t, 2, e.auditCount("certificate.revoke", models.OutcomeRejected))

		// The public query shows it at once.
		code, _, pub := e.public("/api/v1/public/certificates", url.Values{"name": {"张三"}, "id_number": {certHolderA}})
		require.Equal(t, http.StatusOK, code)
		got := certItems(pub)
		require.Len(t, got, 1)
		require.Equal(t, "revoked", got[0]["status"])
		require.Equal(t, "已注销", got[0]["status_name"])
		require.Equal(t, "考核过程存在替考，经核查属实", got[0]["revoked_reason"])
		require.Equal(t, "2026-07-01", got[0]["revoked_at"])
		code, _, v := e.public("/api/v1/certificates/"+a.Number+"/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, "revoked", v["status"])
		require.Equal(t, true, v["valid_signature"], "revocation does not break the seal")

		// And the e-certificate carries the banner.
		resp, page := e.get(e.browser(), "/c/"+a.Token)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, "本证书已注销")
		require.Contains(t, page, "考核过程存在替考")

		syncs, err := db.CertificateSyncs(context.Background(), a.ID)
		require.NoError(t, err)
		require.Len(t, syncs, 2, "issue and revoke queued for the national sync")

		var entry models.AuditEntry
		require.NoError(t, db.Where("action = ? AND outcome = ?", "certificate.revoke", models.OutcomeOK).First(&entry).Error)
		require.Equal(t, "centre", entry.ActorName)
		require.Equal(t, "150105", entry.JurisdictionCode)
		require.Equal(t, "valid", entry.BeforeState)
		require.Equal(t, "revoked", entry.AfterState)
		rep, err := db.VerifyAudit(context.Background())
		require.NoError(t, err)
		require.True(t, rep.OK)
		e.noClearIDs(certHolderA)
	})
}

var certCSRFField = `name="csrf_token" value="`

func certCSRF(t *testing.T, page string) string {
	t.Helper()
	i := strings.Index(page, certCSRFField)
	require.GreaterOrEqual(t, i, 0, "page has a CSRF field")
	rest := page[i+len(certCSRFField):]
	return rest[:strings.IndexByte(rest, '"')]
}

func TestCertificatePages(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		a := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")

		// The e-certificate from the QR code: public, masked, with every mandatory field.
		visitor := e.browser()
		resp, page := e.get(visitor, "/c/"+a.Token)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "noindex", resp.Header.Get("X-Robots-Tag"))
		for _, want := range []string{"职业技能等级证书", "张三", "居民身份证", "150102********004X", "乳品加工工", "<dt>工种</dt><dd>--</dd>",
			"三级/高级工", a.Number, "2026年06月01日", "呼和浩特乳业示范有限公司", "照片", "<svg", "https://cert.example/query",
			"zscx.osta.org.cn", "校验通过"} {
			require.Contains(t, page, want)
		}
		require.NotContains(t, page, certHolderA)
		require.NotContains(t, page, "本证书已注销")
		resp, _ = e.get(visitor, "/c/not-a-token")
		require.Equal(t, http.StatusNotFound, resp.StatusCode)
		resp, _ = e.get(visitor, "/c/"+strings.Repeat("A", 32))
		require.Equal(t, http.StatusNotFound, resp.StatusCode)

		// The query page: a POSTed form, faults next to their fields, what was typed kept.
		resp, page = e.get(visitor, "/query")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		tok := certCSRF(t, page)
		resp, page = e.postForm(visitor, "/query", url.Values{"csrf_token": {tok}, "name": {"张三"}, "id_number": {"150102199003070041"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, page, `id="q-id-err"`)
		require.Contains(t, page, "未通过校验")
		require.Contains(t, page, `value="张三"`)
		require.Contains(t, page, `value="150102199003070041"`)
		resp, page = e.postForm(visitor, "/query", url.Values{"csrf_token": {tok}, "name": {"张三"}, "number": {"1234567890123456"}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, page, `id="q-number-err"`)
		require.Contains(t, page, "16位旧版证书编号")
		resp, page = e.postForm(visitor, "/query", url.Values{"csrf_token": {tok}, "name": {"张三"}, "id_number": {certHolderA}})
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, a.Number)
		require.Contains(t, page, "/c/"+a.Token)
		require.Contains(t, page, "150102********004X")
		resp, _ = e.postForm(visitor, "/query", url.Values{"name": {"张三"}, "id_number": {certHolderA}})
		require.Equal(t, http.StatusForbidden, resp.StatusCode, "the form needs its CSRF token")

		// Logged in: the enterprise and the officials in scope see the ID number in clear
		// (officials' reads audited); an official elsewhere does not reach it.
		page404 := "/certificates/" + models.NewID()
		resp, _ = e.get(visitor, "/certificates/"+a.ID)
		require.Equal(t, http.StatusSeeOther, resp.StatusCode, "login first")
		for _, tc := range []struct {
			user    string
			status  int
			clearID bool
		}{{"dairy", 200, true}, {"hohhot", 200, true}, {"region", 200, true}, {"saihan", 200, false}, {"baotou", 403, false}, {"power", 403, false}} {
			b := e.browser()
			resp, _ := e.loginForm(b, tc.user, testPassword)
			require.Equal(t, http.StatusSeeOther, resp.StatusCode, tc.user)
			resp, page := e.get(b, "/certificates/"+a.ID)
			require.Equal(t, tc.status, resp.StatusCode, tc.user)
			if tc.status == 200 {
				require.Equal(t, tc.clearID, strings.Contains(page, certHolderA), "%s sees the clear ID", tc.user)
				require.Contains(t, page, "150102", tc.user)
				require.NotContains(t, page, "注销证书</h2>", "%s may not revoke", tc.user)
			}
			if tc.user == "hohhot" {
				resp, _ = e.get(b, page404)
				require.Equal(t, http.StatusNotFound, resp.StatusCode)
			}
		}
		require.EqualValues(t, 2, e.auditCount("personal_data.read", models.OutcomeOK), "hohhot and region reads are audited, the enterprise's is not")

		// The centre revokes from the page.
		b := e.browser()
		e.loginForm(b, "centre", testPassword)
		resp, page = e.get(b, "/certificates/"+a.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, "注销证书</h2>")
		tok = certCSRF(t, page)
		resp, page = e.postForm(b, "/certificates/"+a.ID+"/revoke", url.Values{"csrf_token": {tok}, "reason": {""}})
		require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
		require.Contains(t, page, `id="revoke-reason-err"`)
		require.Contains(t, page, "请填写注销原因")
		resp, _ = e.postForm(b, "/certificates/"+a.ID+"/revoke", url.Values{"csrf_token": {tok}, "reason": {"证书信息录入错误"}})
		require.Equal(t, http.StatusSeeOther, resp.StatusCode)
		require.Equal(t, "/certificates/"+a.ID, resp.Header.Get("Location"))
		resp, page = e.get(b, "/certificates/"+a.ID)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Contains(t, page, "本证书已注销")
		require.NotContains(t, page, "注销证书</h2>", "a revoked certificate offers no second revocation")
		e.noClearIDs(certHolderA)
	})
}

// A certificate signed with SM2 (the gm suite) verifies next to the Ed25519 ones, and the verify
// answer and the e-certificate page name the algorithm.
func TestVerifyCertificateSignedWithSM2(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newCertEnv(t, db)
		old := e.issue(certDairyID, "a", "张三", certHolderA, validate.Level3, "")
		sm2Key, err := cryptosuite.NewSigner(cryptosuite.AlgSM2, certSM2Key)
		require.NoError(t, err)
		sealed, err := e.sealer.Seal(certHolderB)
		require.NoError(t, err)
		cs, err := e.db.IssueCertificates(context.Background(), sm2Key, []models.CertificateDraft{{EnterpriseID: certDairyID, SessionID: "session-2",
			CandidateKey: "session-2/b", HolderName: "李四", ID: sealed, OccupationCode: "6-02-04-01", OccupationName: "乳品加工工",
			Level: validate.Level4, IssueDate: time.Date(2026, 6, 2, 1, 0, 0, 0, time.UTC)}})
		require.NoError(t, err)
		b := cs[0]
		require.Equal(t, cryptosuite.AlgSM2, b.SigAlg)

		code, _, out := e.public("/api/v1/certificates/"+b.Number+"/verify", url.Values{"name": {"李四"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, true, out["valid_signature"])
		require.Equal(t, "SM2", out["algorithm"])
		require.Equal(t, "SM2 数字签名（国密）", out["algorithm_name"])
		pub, err := base64.StdEncoding.DecodeString(out["public_key"].(string))
		require.NoError(t, err)
		require.Equal(t, cryptosuite.PublicKeyBytes(sm2Key), pub)
		sig, err := base64.StdEncoding.DecodeString(out["certificate"].(map[string]any)["signature"].(string))
		require.NoError(t, err)
		require.True(t, cryptosuite.Verify(cryptosuite.AlgSM2, pub, []byte(out["signed_payload"].(string)), sig), "offline check with the published key")
		_, page := e.get(e.browser(), "/c/"+b.Token)
		require.Contains(t, page, "防伪电子签名（国密SM2算法）：校验通过")
		// The Ed25519 certificate issued before still verifies.
		code, _, out = e.public("/api/v1/certificates/"+old.Number+"/verify", url.Values{"name": {"张三"}})
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, true, out["valid_signature"])
		// The public-key route lists both keys.
		_, _, keys := e.public("/api/v1/certificates/public-key", nil)
		require.Len(t, keys["keys"], 2)
	})
}
