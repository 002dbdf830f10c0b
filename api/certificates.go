package api

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/models/validate"
	"skillcert/policies"
)

// nationalQueryURL is the national system in which certificates can also be checked
// (技能人才评价证书全国联网查询), printed on every certificate as a query address.
const nationalQueryURL = "http://zscx.osta.org.cn/"

// Public query limits: a burst of publicBurst requests per client address, refilled at one
// request per publicEvery. A person checks a few certificates; a script walking the sequential
// numbers to harvest names is slowed to a crawl.
const (
	publicBurst = 20
	publicEvery = 3 * time.Second
)

// maxRevokeReason bounds a revocation reason, in characters.
const maxRevokeReason = 500

// certificateState is the certificates feature's state on the server.
type certificateState struct {
	// sealer computes the keyed lookup hash of a queried ID number and opens stored ones for
	// those allowed to read them.
	sealer *pii.Sealer
	// pub verifies certificate signatures; nil when no signing key is configured (tests of
	// other features), in which case verification answers 503.
	pub ed25519.PublicKey
	// limiter throttles the public, anonymous routes per client address.
	limiter *publicLimiter
}

func (s *Server) initCertificates(d Deps) error {
	sealer, err := pii.New(d.DataKey, d.LookupKey)
	if err != nil {
		return fmt.Errorf("api: keys for ID numbers: %w", err)
	}
	var pub ed25519.PublicKey
	switch len(d.SigningKey) {
	case 0:
	case ed25519.SeedSize:
		pub = ed25519.NewKeyFromSeed(d.SigningKey).Public().(ed25519.PublicKey)
	default:
		return fmt.Errorf("api: signing key must be a %d-byte Ed25519 seed", ed25519.SeedSize)
	}
	s.certs = certificateState{sealer: sealer, pub: pub, limiter: newPublicLimiter(rate.Every(s.cfg.PublicQueryEvery), s.cfg.PublicQueryBurst)}
	return nil
}

// certificateRoutes serves certificates: the public query (JSON and page), the e-certificate
// reached from its QR code, signature verification and the public key, the logged-in view,
// revocation by the region's appraisal centre, and the certificate report. The public routes
// need no account, read only the database, and are throttled per client address.
//
// Note on :id — gin wants one parameter name per path position, so under
// /api/v1/certificates it is the certificate number for verify and the certificate ID for
// revoke.
func (s *Server) certificateRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	throttle := s.publicThrottle
	v1.GET("/public/certificates", throttle, s.json(s.apiPublicCertificates))
	v1.GET("/certificates/public-key", s.json(s.apiCertificatePublicKey))
	v1.GET("/certificates/:id/verify", throttle, s.json(s.apiVerifyCertificate))
	v1.POST("/certificates/:id/revoke", s.requireAPILogin, s.authorize("certificate", "revoke", s.certificateScope), s.json(s.apiRevokeCertificate))
	v1.GET("/reports/certificates", s.requireAPILogin, s.authorize("report", "read", ownScope), s.json(s.apiCertificateReport))

	r.GET("/query", s.page(s.certQueryPage))
	r.POST("/query", s.csrf, throttle, s.page(s.certQuerySubmit))
	r.GET("/c/:token", throttle, s.page(s.publicCertificatePage))
	r.GET("/certificates/:id", s.requirePageLogin, s.authorize("certificate", "read", s.certificateScope), s.page(s.certificatePage))
	r.POST("/certificates/:id/revoke", s.requirePageLogin, s.csrf, s.authorize("certificate", "revoke", s.certificateScope), s.page(s.certificateRevokeSubmit))
}

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

// publicThrottle answers 429 with Retry-After when the client address has spent its bucket.
func (s *Server) publicThrottle(c *gin.Context) {
	ok, wait := s.certs.limiter.allow(c.ClientIP(), s.now())
	if ok {
		c.Next()
		return
	}
	secs := int(math.Ceil(wait.Seconds()))
	s.writeError(c, &Error{Status: http.StatusTooManyRequests, Code: "rate_limited", RetryAfter: secs,
		Message: "查询过于频繁，请 " + strconv.Itoa(secs) + " 秒后再试。"})
}

// ---------------------------------------------------------------------------------------------
// The public query.

// publicCertificate is a certificate as the public sees it: the ID number masked, no internal IDs.
type publicCertificate struct {
	Number         string `json:"number"`
	HolderName     string `json:"holder_name"`
	IDType         string `json:"id_type"`
	IDMasked       string `json:"id_masked"`
	OccupationCode string `json:"occupation_code"`
	OccupationName string `json:"occupation_name"`
	WorkType       string `json:"work_type"`
	Level          int    `json:"level"`
	LevelName      string `json:"level_name"`
	Issuer         string `json:"issuer"`
	IssueDate      string `json:"issue_date"` // YYYY-MM-DD
	Status         string `json:"status"`     // valid | revoked
	StatusName     string `json:"status_name"`
	RevokedAt      string `json:"revoked_at,omitempty"` // YYYY-MM-DD, Asia/Shanghai
	RevokedReason  string `json:"revoked_reason,omitempty"`
}

var certificateStatusNames = map[string]string{models.CertificateValid: "有效", models.CertificateRevoked: "已注销"}

func (s *Server) publicCertificateOf(c models.Certificate) publicCertificate {
	p := publicCertificate{Number: c.Number, HolderName: c.HolderName, IDType: models.IDTypeResident, IDMasked: c.IDMasked,
		OccupationCode: c.OccupationCode, OccupationName: c.OccupationName, WorkType: c.WorkType, Level: int(c.Level),
		LevelName: c.Level.Name(), Issuer: c.IssuerName, IssueDate: c.IssueDateString(), Status: c.Status,
		StatusName: certificateStatusNames[c.Status]}
	if c.Status == models.CertificateRevoked {
		p.RevokedReason = c.RevokeReason
		if c.RevokedAt != nil {
			p.RevokedAt = c.RevokedAt.In(s.cfg.Location).Format(time.DateOnly)
		}
	}
	return p
}

// certQuery is what a visitor asks: name + ID number, or a certificate number (optionally
// with the name, which must then match).
type certQuery struct {
	Name, IDNumber, Number string
}

// Errors of the public query.
var (
	errQueryMissing   = badRequest("missing_parameters", "请填写姓名和身份证号，或填写证书编号。")
	errQueryAmbiguous = badRequest("ambiguous_query", "请按“姓名＋身份证号”或“证书编号”其中一种方式查询，不要同时填写身份证号和证书编号。")
	errQueryNoName    = badRequest("missing_name", "按身份证号查询时，请同时填写持证人姓名。")
)

// lookupCertificates answers a public query from the database alone: by name and the keyed
// hash of the ID number (never the number itself), or by certificate number.
func (s *Server) lookupCertificates(ctx context.Context, q certQuery) ([]models.Certificate, error) {
	name := models.NormalizeHolderName(q.Name)
	id := validate.NormalizeIDNumber(q.IDNumber)
	number := validate.NormalizeCertificateNumber(q.Number)
	switch {
	case id != "" && number != "":
		return nil, errQueryAmbiguous
	case id == "" && number == "":
		return nil, errQueryMissing
	case id != "" && name == "":
		return nil, errQueryNoName
	}
	if utf8.RuneCountInString(name) > 64 {
		return nil, invalid(validate.Errors{{Field: "name", Code: "too_long", Message: "姓名不能超过64个字"}})
	}
	if id != "" {
		if err := validate.CheckIDNumber(id, s.now().In(s.cfg.Location)); err != nil {
			var errs validate.Errors
			errs.AddError("id_number", err)
			return nil, invalid(errs)
		}
		return s.db.QueryCertificates(ctx, name, s.certs.sealer.LookupKey(id))
	}
	if err := checkCertificateNumber(number); err != nil {
		return nil, err
	}
	c, err := s.db.CertificateByNumber(ctx, number)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return []models.Certificate{}, nil
	case err != nil:
		return nil, err
	case name != "" && name != c.HolderName:
		return []models.Certificate{}, nil
	}
	return []models.Certificate{c}, nil
}

// checkCertificateNumber maps the faults of a typed certificate number: an old 16-digit number
// is a real certificate of the former scheme, so it gets its own code and explanation.
func checkCertificateNumber(number string) error {
	err := validate.CheckCertificateNumber(number)
	if err == nil {
		return nil
	}
	var errs validate.Errors
	errs.AddError("number", err)
	if errors.Is(err, validate.ErrOldCertificateNumber) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "old_certificate_number", Message: validate.ErrOldCertificateNumber.Message, Fields: errs}
	}
	return invalid(errs)
}

// apiPublicCertificates is GET /api/v1/public/certificates?name=&id_number= or ?number=[&name=].
func (s *Server) apiPublicCertificates(c *gin.Context) error {
	cs, err := s.lookupCertificates(c.Request.Context(), certQuery{Name: c.Query("name"), IDNumber: c.Query("id_number"), Number: c.Query("number")})
	if err != nil {
		return err
	}
	items := make([]publicCertificate, 0, len(cs))
	for _, x := range cs {
		items = append(items, s.publicCertificateOf(x))
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, gin.H{"items": items})
	return nil
}

// ---------------------------------------------------------------------------------------------
// Verification.

var errNoSigningKey = newError(http.StatusServiceUnavailable, "signing_key_missing", "证书签名核验暂不可用，请稍后再试。")

// verifiedCertificate is a certificate as verify returns it: the public fields and the signature.
type verifiedCertificate struct {
	publicCertificate
	Signature string `json:"signature"`
}

// verifyResponse answers GET /api/v1/certificates/:number/verify. SignedPayload is the exact
// byte string the signature covers (models.CertificatePayload), so an offline verifier can check
// the signature with the public key and compare the payload with the printed certificate.
type verifyResponse struct {
	ValidSignature bool                `json:"valid_signature"`
	Status         string              `json:"status"`
	Certificate    verifiedCertificate `json:"certificate"`
	Algorithm      string              `json:"algorithm"`
	SignedPayload  string              `json:"signed_payload"`
	PublicKey      string              `json:"public_key"`
}

// apiVerifyCertificate recomputes the signature of the stored fields: a record changed since
// issue answers valid_signature false (not an error), a revoked one status revoked.
func (s *Server) apiVerifyCertificate(c *gin.Context) error {
	if s.certs.pub == nil {
		return errNoSigningKey
	}
	number := validate.NormalizeCertificateNumber(c.Param("id"))
	if err := checkCertificateNumber(number); err != nil {
		return err
	}
	cert, err := s.db.CertificateByNumber(c.Request.Context(), number)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, verifyResponse{ValidSignature: models.VerifyCertificate(s.certs.pub, cert), Status: cert.Status,
		Certificate: verifiedCertificate{publicCertificate: s.publicCertificateOf(cert), Signature: cert.Signature},
		Algorithm:   "Ed25519", SignedPayload: string(models.CertificatePayload(cert)),
		PublicKey: base64.StdEncoding.EncodeToString(s.certs.pub)})
	return nil
}

// apiCertificatePublicKey publishes the Ed25519 public key (base64 of the 32 raw bytes) that
// verifies certificate signatures offline.
func (s *Server) apiCertificatePublicKey(c *gin.Context) error {
	if s.certs.pub == nil {
		return errNoSigningKey
	}
	c.Header("Cache-Control", "public, max-age=3600")
	c.JSON(http.StatusOK, gin.H{"algorithm": "Ed25519", "public_key": base64.StdEncoding.EncodeToString(s.certs.pub),
		"payload_version": "skillcert/certificate/v1"})
	return nil
}

// ---------------------------------------------------------------------------------------------
// Logged-in access: scope, revocation, report.

const certificateKey = "skillcert.certificate"

// loadedCertificate is the certificate a request acts on, loaded once by its scope function.
type loadedCertificate struct {
	cert   models.Certificate
	ent    models.Enterprise
	domain string
}

// certificateScope loads the certificate named by :id and returns its enterprise's domain, so
// the enterprise, its county, league and the region reach it and nobody else does.
func (s *Server) certificateScope(c *gin.Context, _ *Actor) (string, error) {
	ctx := c.Request.Context()
	cert, err := s.db.CertificateByID(ctx, c.Param("id"))
	if err != nil {
		return "", err
	}
	ent, err := s.db.EnterpriseByID(ctx, cert.EnterpriseID)
	if err != nil {
		return "", err
	}
	lc := &loadedCertificate{cert: cert, ent: ent, domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}
	c.Set(certificateKey, lc)
	return lc.domain, nil
}

func loadedCertificateFrom(c *gin.Context) *loadedCertificate {
	return c.MustGet(certificateKey).(*loadedCertificate)
}

var errAlreadyRevoked = newError(http.StatusConflict, "already_revoked", "该证书已注销，无需重复操作。")

// revokeRequest is the body of POST /api/v1/certificates/:id/revoke.
type revokeRequest struct {
	Reason string `json:"reason"`
}

// revokeCertificate revokes the loaded certificate and audits the attempt, whatever its outcome.
func (s *Server) revokeCertificate(ctx context.Context, a *Actor, lc *loadedCertificate, reason string) (models.Certificate, error) {
	reason = strings.TrimSpace(reason)
	entry := models.AuditEntry{Action: "certificate.revoke", ObjectType: "certificate", ObjectID: lc.cert.ID,
		JurisdictionCode: lc.ent.JurisdictionCode, BeforeState: lc.cert.Status, Reason: reason}
	var fault *Error
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		fault = invalid(validate.Errors{{Field: "reason", Code: validate.ErrRequired.Code, Message: "请填写注销原因"}})
	case n > maxRevokeReason:
		fault = invalid(validate.Errors{{Field: "reason", Code: "too_long", Message: fmt.Sprintf("注销原因不能超过%d个字", maxRevokeReason)}})
	}
	if fault != nil {
		entry.Outcome, entry.Reason = models.OutcomeRejected, "reason missing or too long"
		_ = s.audit(ctx, a, entry)
		return lc.cert, fault
	}
	cert, err := s.db.RevokeCertificate(ctx, lc.cert.ID, reason, s.now())
	if errors.Is(err, models.ErrAlreadyRevoked) {
		entry.Outcome, entry.Reason = models.OutcomeRejected, "already revoked"
		_ = s.audit(ctx, a, entry)
		return cert, errAlreadyRevoked
	}
	if err != nil {
		return cert, err
	}
	entry.AfterState = cert.Status
	if err := s.audit(ctx, a, entry); err != nil {
		// The revocation stands (it is what the public query must show); the failed audit
		// append is logged by s.audit.
		s.log.ErrorContext(ctx, "certificate revoked without audit row", "certificateID", cert.ID)
	}
	return cert, nil
}

// apiRevokeCertificate revokes a certificate (region_centre, `certificate:revoke`). The
// revocation shows in the public query at once and is queued for the national sync.
func (s *Server) apiRevokeCertificate(c *gin.Context) error {
	var req revokeRequest
	if err := decodeJSON(c, 64<<10, &req); err != nil {
		return err
	}
	cert, err := s.revokeCertificate(c.Request.Context(), actorFrom(c), loadedCertificateFrom(c), req.Reason)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.publicCertificateOf(cert))
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
		return badRequest("bad_group", "group 只能是 occupation、level、enterprise 或 league。")
	}
	year := 0
	if v := c.Query("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 2000 || y > 2099 {
			return badRequest("bad_year", "year 应为 2000 至 2099 之间的年份。")
		}
		year = y
	}
	f := models.CertificateReportFilter{Group: group, Jurisdictions: s.subtree(c), Year: year}
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
