package api

import (
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
)

// Public query limits: a burst of publicBurst requests per client address, refilled at one
// request per publicEvery. A person checks a few certificates; a script walking the sequential
// numbers to harvest names is slowed to a crawl.
const (
	publicBurst = 20
	publicEvery = 3 * time.Second
)

// ---------------------------------------------------------------------------------------------
// Throttling.

// publicLimiter is a token bucket per client address. Buckets idle long enough to be full again
// are dropped, so the map stays as small as the set of recent clients.
type publicLimiter struct {
	mu      sync.Mutex
	every   rate.Limit
	burst   int
	idle    time.Duration
	buckets map[string]*publicBucket
	swept   time.Time
}

type publicBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newPublicLimiter(every rate.Limit, burst int) *publicLimiter {
	idle := time.Minute
	if every > 0 {
		if full := time.Duration(float64(burst) / float64(every) * float64(time.Second)); full > idle {
			idle = full
		}
	}
	return &publicLimiter{every: every, burst: burst, idle: idle, buckets: map[string]*publicBucket{}}
}

// allow takes a token for addr at now, or says how long until one is available.
func (l *publicLimiter) allow(addr string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > l.idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b, ok := l.buckets[addr]
	if !ok {
		b = &publicBucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.buckets[addr] = b
	}
	b.seen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, l.idle
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// PublicThrottle answers 429 with Retry-After when the client address has spent its bucket.
func (s *Server) PublicThrottle(c *gin.Context) {
	ok, wait := s.limiter.allow(c.ClientIP(), s.now())
	if ok {
		c.Next()
		return
	}
	secs := int(math.Ceil(wait.Seconds()))
	s.WriteError(c, &service.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: secs,
		Message: "查询过于频繁，请 " + strconv.Itoa(secs) + " 秒后再试。"})
}

// ---------------------------------------------------------------------------------------------
// The public query.

// queryGuard is the client address and the CAPTCHA of a public GET (captcha_id, captcha_answer).
func queryGuard(c *gin.Context) service.Guard {
	return service.Guard{Addr: c.ClientIP(), CaptchaID: c.Query("captcha_id"), CaptchaAnswer: c.Query("captcha_answer")}
}

// apiPublicCertificates is GET /api/v1/public/certificates?name=&id_number= or ?name=&number=.
func (s *Server) apiPublicCertificates(c *gin.Context) error {
	cs, err := s.svc.LookupCertificates(c.Request.Context(), service.CertQuery{Name: c.Query("name"), IDNumber: c.Query("id_number"),
		Number: c.Query("number"), Guard: queryGuard(c)})
	if err != nil {
		return err
	}
	items := make([]service.PublicCertificate, 0, len(cs))
	for _, x := range cs {
		items = append(items, s.svc.PublicCertificateOf(x))
	}
	c.Header("Cache-Control", "no-store")
	return writeList(c, items)
}

// ---------------------------------------------------------------------------------------------
// Verification.

// verifiedCertificate is a certificate as verify returns it: the public fields and the signature.
type verifiedCertificate struct {
	service.PublicCertificate
	Signature string `json:"signature"`
}

// verifyResponse answers GET /api/v1/certificates/:number/verify. SignedPayload is the exact
// byte string the signature covers (models.CertificatePayload), so an offline verifier can check
// the signature with the public key and compare the payload with the printed certificate.
type verifyResponse struct {
	ValidSignature bool                `json:"valid_signature"`
	Status         string              `json:"status"`
	Certificate    verifiedCertificate `json:"certificate"`
	// Algorithm is Ed25519 or SM2 (SM2 with user ID 1234567812345678, signature r || s), the
	// algorithm the certificate was signed with; AlgorithmName names it in Chinese.
	Algorithm     string `json:"algorithm"`
	AlgorithmName string `json:"algorithm_name"`
	SignedPayload string `json:"signed_payload"`
	// PublicKey is the key that signed it (base64: 32 raw Ed25519 bytes, or the 65-byte
	// uncompressed SM2 point), KeyID its ID; empty when no trusted key matches.
	PublicKey string `json:"public_key"`
	KeyID     string `json:"key_id"`
}

// algorithmLabel is the API's name of a signature algorithm.
func algorithmLabel(alg string) string {
	if alg == cryptosuite.AlgSM2 {
		return "SM2"
	}
	return "Ed25519"
}

// apiVerifyCertificate (GET /api/v1/certificates/:number/verify?name=) recomputes the
// signature of the stored fields: a record changed since issue answers valid_signature false
// (not an error), a revoked one status revoked. Like the public query it needs the holder's
// name with the number.
func (s *Server) apiVerifyCertificate(c *gin.Context) error {
	if len(s.svc.CertificateKeys()) == 0 {
		return service.ErrNoSigningKey
	}
	cert, err := s.svc.VerifyCertificate(c.Request.Context(), service.CertQuery{Name: c.Query("name"), Number: c.Param("id"), Guard: queryGuard(c)})
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	key, _ := s.svc.CertificateSignatureKey(cert)
	c.JSON(http.StatusOK, verifyResponse{ValidSignature: s.svc.SignatureValid(cert), Status: cert.Status,
		Certificate: verifiedCertificate{PublicCertificate: s.svc.PublicCertificateOf(cert), Signature: cert.Signature},
		Algorithm:   algorithmLabel(cert.SigAlg), AlgorithmName: service.SignatureAlgName(cert),
		SignedPayload: string(models.CertificatePayload(cert)), PublicKey: base64.StdEncoding.EncodeToString(key.Key), KeyID: key.ID})
	return nil
}

// apiCaptcha hands out a CAPTCHA (GET /api/v1/captcha) for a request answered captcha_required:
// send its captcha_id with the characters of the image as captcha_answer.
func (s *Server) apiCaptcha(c *gin.Context) error {
	ch, err := s.svc.NewCaptcha(c.Request.Context())
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, ch)
	return nil
}

// publicKeyEntry is one trusted certificate key as the public-key route lists it.
type publicKeyEntry struct {
	Algorithm     string `json:"algorithm"`
	AlgorithmName string `json:"algorithm_name"`
	PublicKey     string `json:"public_key"`
	KeyID         string `json:"key_id"`
}

// apiCertificatePublicKey publishes the public key that signs new certificates (algorithm,
// public_key: base64 of the 32 raw Ed25519 bytes or of the 65-byte uncompressed SM2 point) and,
// in keys, every key whose certificates still verify, so certificates signed under either suite
// can be checked offline.
func (s *Server) apiCertificatePublicKey(c *gin.Context) error {
	cur, ok := s.svc.CertificateSigningKey()
	if !ok {
		return service.ErrNoSigningKey
	}
	entry := func(k cryptosuite.PublicKey) publicKeyEntry {
		return publicKeyEntry{Algorithm: algorithmLabel(k.Alg), AlgorithmName: cryptosuite.AlgName(k.Alg),
			PublicKey: base64.StdEncoding.EncodeToString(k.Key), KeyID: k.ID}
	}
	keys := make([]publicKeyEntry, 0, len(s.svc.CertificateKeys()))
	for _, k := range s.svc.CertificateKeys() {
		keys = append(keys, entry(k))
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, gin.H{"algorithm": algorithmLabel(cur.Alg), "algorithm_name": cryptosuite.AlgName(cur.Alg),
		"public_key": base64.StdEncoding.EncodeToString(cur.Key), "key_id": cur.ID, "keys": keys,
		"payload_version": "skillcert/certificate/v1"})
	return nil
}

// ---------------------------------------------------------------------------------------------
// Logged-in access: scope, revocation, report.

const certificateKey = "skillcert.certificate"

// CertificateScope loads the certificate named by :id and returns its enterprise's domain, so
// the enterprise, its county, league and the region reach it and nobody else does.
func (s *Server) CertificateScope(c *gin.Context, _ *service.Actor) (string, error) {
	ctx := c.Request.Context()
	// The path names a certificate by its number, what clients hold (证书编号), or by its
	// internal ID, which earlier clients sent.
	cert, err := s.db.CertificateByNumber(ctx, c.Param("id"))
	if errors.Is(err, models.ErrNotFound) {
		cert, err = s.db.CertificateByID(ctx, c.Param("id"))
	}
	if err != nil {
		return "", err
	}
	ent, err := s.db.EnterpriseByID(ctx, cert.EnterpriseID)
	if err != nil {
		return "", err
	}
	lc := &service.LoadedCertificate{Cert: cert, Ent: ent, Domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}
	c.Set(certificateKey, lc)
	return lc.Domain, nil
}

func LoadedCertificateFrom(c *gin.Context) *service.LoadedCertificate {
	return c.MustGet(certificateKey).(*service.LoadedCertificate)
}

// revokeRequest is the body of POST /api/v1/certificates/:id/revoke.
type revokeRequest struct {
	Reason string `json:"reason"`
}

// apiRevokeCertificate revokes a certificate (region_centre, `certificate:revoke`). The
// revocation shows in the public query at once and is queued for the national sync.
func (s *Server) apiRevokeCertificate(c *gin.Context) error {
	var req revokeRequest
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return err
	}
	cert, err := s.svc.RevokeCertificate(c.Request.Context(), ActorFrom(c), LoadedCertificateFrom(c), req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.svc.PublicCertificateOf(cert))
	return nil
}

// certificateReport answers GET /api/v1/reports/certificates.
type certificateReport struct {
	Group  string                    `json:"group"`
	Year   int                       `json:"year,omitempty"`
	Items  []models.CertificateCount `json:"items"`
	Totals models.CertificateCount   `json:"totals"`
}

// apiCertificateReport counts valid and revoked certificates of the enterprises in the
// caller's jurisdiction subtree, grouped by occupation, level, enterprise or league/city.
func (s *Server) apiCertificateReport(c *gin.Context) error {
	ctx := c.Request.Context()
	group := c.DefaultQuery("group", models.GroupByOccupation)
	switch group {
	case models.GroupByOccupation, models.GroupByLevel, models.GroupByEnterprise, models.GroupByLeague:
	default:
		return service.BadRequest("bad_group", "group 只能是 occupation、level、enterprise 或 league。")
	}
	year := 0
	if v := c.Query("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2099 {
			return service.BadRequest("bad_year", "year 应为 2000 至 2099 之间的年份。")
		}
		year = y
	}
	f := models.CertificateReportFilter{Group: group, Jurisdictions: s.Subtree(c), Year: year}
	if group == models.GroupByLeague {
		js, err := s.db.Jurisdictions(ctx)
		if err != nil {
			return err
		}
		f.Leagues = map[string][]string{}
		for _, j := range js {
			if j.Level == models.LevelLeague {
				f.Leagues[j.Code] = s.enf.Tree().Subtree(j.Code)
			}
		}
	}
	items, err := s.db.CertificateReport(ctx, f)
	if err != nil {
		return err
	}
	rep := certificateReport{Group: group, Year: year, Items: items, Totals: models.CertificateCount{Key: "total", Name: "合计"}}
	for _, it := range items {
		rep.Totals.Valid += it.Valid
		rep.Totals.Revoked += it.Revoked
		rep.Totals.Total += it.Total
		rep.Totals.Assessed += it.Assessed
		rep.Totals.Passed += it.Passed
	}
	if rep.Totals.Assessed > 0 {
		rep.Totals.PassRate = float64(rep.Totals.Passed*1000/rep.Totals.Assessed) / 10
	}
	c.JSON(http.StatusOK, rep)
	return nil
}
