package service

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/domain"
	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/models/validate"
)

// maxRevokeReason bounds a revocation reason, in characters.
const maxRevokeReason = 500

// certificateState is the certificates feature's state on the server.
type certificateState struct {
	// sealer computes the keyed lookup hash of a queried ID number and opens stored ones for
	// those allowed to read them.
	sealer *pii.Sealer
	// keys verify certificate signatures, of every algorithm configured; empty when no signing
	// key is configured (tests of other features), in which case verification answers 503.
	keys cryptosuite.PublicKeys
	// alg is the algorithm of the suite that signs new certificates.
	alg string
}

// PublicCertificate is a certificate as the public sees it: the ID number masked, no internal IDs.
type PublicCertificate struct {
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

func (s *Service) PublicCertificateOf(c models.Certificate) PublicCertificate {
	p := PublicCertificate{Number: c.Number, HolderName: c.HolderName, IDType: validate.IDTypeName(c.IDType), IDMasked: c.IDMasked,
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

// CertQuery is what a visitor asks: the holder's name with the ID number or with the
// certificate number. A number alone is not enough: numbers run in sequence, so a query by
// number alone would let anyone walk them and harvest holders' names and employers.
type CertQuery struct {
	Name, IDNumber, Number string
	// Guard is the client address and, once the address's queries call for one, the CAPTCHA
	// (captcha_id, captcha_answer).
	Guard
}

// Errors of the public query.
var (
	errQueryMissing   = BadRequest("missing_parameters", "请填写姓名和身份证号，或填写姓名和证书编号。")
	errQueryAmbiguous = BadRequest("ambiguous_query", "请按“姓名＋身份证号”或“姓名＋证书编号”其中一种方式查询，不要同时填写身份证号和证书编号。")
	errQueryNoName    = &Error{Status: http.StatusBadRequest, Code: "missing_name", Message: "按身份证号查询时，请同时填写持证人姓名。",
		Fields: []validate.FieldError{{Field: "name", Code: "missing_name", Message: "请填写持证人姓名。"}}}
	errNumberNoName = &Error{Status: http.StatusBadRequest, Code: "missing_name",
		Message: "按证书编号查询时，请同时填写持证人姓名（须与证书上的姓名一致）。",
		Fields:  []validate.FieldError{{Field: "name", Code: "missing_name", Message: "请填写持证人姓名。"}}}
)

// LookupCertificates answers a public query from the database alone: by name and the keyed
// hash of the ID number (never the number itself), or by name and certificate number (a
// different name finds nothing). Each well-formed query counts against the address's query
// budget (domain.ThrottleQuery): after a few a CAPTCHA is due, after many each waits.
func (s *Service) LookupCertificates(ctx context.Context, q CertQuery) ([]models.Certificate, error) {
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
	case name == "":
		return nil, errNumberNoName
	}
	if utf8.RuneCountInString(name) > 64 {
		return nil, Invalid(validate.Errors{{Field: "name", Code: "too_long", Message: "姓名不能超过64个字"}})
	}
	if id != "" {
		if err := validate.CheckIDNumber(id, s.now().In(s.cfg.Location)); err != nil {
			var errs validate.Errors
			errs.AddError("id_number", err)
			return nil, Invalid(errs)
		}
		if err := s.guardQuery(ctx, q.Guard); err != nil {
			return nil, err
		}
		return s.db.QueryCertificates(ctx, name, s.certs.sealer.LookupKeys(id)...)
	}
	c, err := s.certificateByNameAndNumber(ctx, q.Guard, name, number)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return []models.Certificate{}, nil
	case err != nil:
		return nil, err
	}
	return []models.Certificate{c}, nil
}

// VerifyCertificate finds the certificate that GET /certificates/:number/verify checks: like
// the public query, it needs the holder's name with the number (404 when they do not belong
// together) and counts against the query budget.
func (s *Service) VerifyCertificate(ctx context.Context, q CertQuery) (models.Certificate, error) {
	name := models.NormalizeHolderName(q.Name)
	number := validate.NormalizeCertificateNumber(q.Number)
	if name == "" {
		return models.Certificate{}, errNumberNoName
	}
	if utf8.RuneCountInString(name) > 64 {
		return models.Certificate{}, Invalid(validate.Errors{{Field: "name", Code: "too_long", Message: "姓名不能超过64个字"}})
	}
	return s.certificateByNameAndNumber(ctx, q.Guard, name, number)
}

// certificateByNameAndNumber checks the number, applies the query budget and loads the
// certificate if its holder has that (normalised) name; ErrNotFound otherwise.
func (s *Service) certificateByNameAndNumber(ctx context.Context, g Guard, name, number string) (models.Certificate, error) {
	if err := CheckCertificateNumber(number); err != nil {
		return models.Certificate{}, err
	}
	if err := s.guardQuery(ctx, g); err != nil {
		return models.Certificate{}, err
	}
	c, err := s.db.CertificateByNumber(ctx, number)
	if err != nil {
		return models.Certificate{}, err
	}
	if subtle.ConstantTimeCompare([]byte(name), []byte(c.HolderName)) != 1 {
		return models.Certificate{}, models.ErrNotFound
	}
	return c, nil
}

// guardQuery applies the query budget to a well-formed query and counts it.
func (s *Service) guardQuery(ctx context.Context, g Guard) error {
	if err := s.guard(ctx, domain.ThrottleQuery, g, "", "查询过于频繁", models.AuditEntry{}); err != nil {
		return err
	}
	s.count(ctx, domain.ThrottleQuery, g.Addr, "")
	return nil
}

// CheckCertificateNumber maps the faults of a typed certificate number: an old 16-digit number
// is a real certificate of the former scheme, so it gets its own code and explanation.
func CheckCertificateNumber(number string) error {
	err := validate.CheckCertificateNumber(number)
	if err == nil {
		return nil
	}
	var errs validate.Errors
	errs.AddError("number", err)
	if errors.Is(err, validate.ErrOldCertificateNumber) {
		return &Error{Status: http.StatusUnprocessableEntity, Code: "old_certificate_number", Message: validate.ErrOldCertificateNumber.Message, Fields: errs}
	}
	return Invalid(errs)
}

var ErrNoSigningKey = NewError(http.StatusServiceUnavailable, "signing_key_missing", "证书签名核验暂不可用，请稍后再试。")

// LoadedCertificate is the certificate a request acts on, loaded once by its scope function.
type LoadedCertificate struct {
	Cert   models.Certificate
	Ent    models.Enterprise
	Domain string
}

var errAlreadyRevoked = NewError(http.StatusConflict, "already_revoked", "该证书已注销，无需重复操作。")

// RevokeCertificate revokes the loaded certificate and audits the attempt, whatever its outcome.
func (s *Service) RevokeCertificate(ctx context.Context, a *Actor, lc *LoadedCertificate, reason string) (models.Certificate, error) {
	reason = strings.TrimSpace(reason)
	entry := models.AuditEntry{Action: "certificate.revoke", ObjectType: "certificate", ObjectID: lc.Cert.ID,
		JurisdictionCode: lc.Ent.JurisdictionCode, BeforeState: lc.Cert.Status, Reason: reason}
	var fault *Error
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		fault = Invalid(validate.Errors{{Field: "reason", Code: validate.ErrRequired.Code, Message: "请填写注销原因"}})
	case n > maxRevokeReason:
		fault = Invalid(validate.Errors{{Field: "reason", Code: "too_long", Message: fmt.Sprintf("注销原因不能超过%d个字", maxRevokeReason)}})
	}
	if fault != nil {
		entry.Outcome, entry.Reason = models.OutcomeRejected, "reason missing or too long"
		_ = s.Audit(ctx, a, entry)
		return lc.Cert, fault
	}
	cert, err := s.db.RevokeCertificate(ctx, lc.Cert.ID, reason, s.now())
	if errors.Is(err, models.ErrAlreadyRevoked) {
		entry.Outcome, entry.Reason = models.OutcomeRejected, "already revoked"
		_ = s.Audit(ctx, a, entry)
		return cert, errAlreadyRevoked
	}
	if err != nil {
		return cert, err
	}
	entry.AfterState = cert.Status
	if err := s.Audit(ctx, a, entry); err != nil {
		// The revocation stands (it is what the public query must show); the failed audit
		// append is logged by s.Audit.
		s.log.ErrorContext(ctx, "certificate revoked without audit row", "certificateID", cert.ID)
	}
	return cert, nil
}

// CertificateHolderID is the holder's ID number as the actor may see it: in clear for those who
// may read personal data in the certificate's domain (an official's reading is audited),
// masked for everyone else.
func (s *Service) CertificateHolderID(ctx context.Context, a *Actor, lc *LoadedCertificate) (string, error) {
	if !s.enf.Allowed(a.User.ID, lc.Domain, "personal_data", "read") {
		return lc.Cert.IDMasked, nil
	}
	clear, err := s.certs.sealer.Open(lc.Cert.PersonID())
	if err != nil {
		return "", fmt.Errorf("open ID number of certificate %s: %w", lc.Cert.ID, err)
	}
	if a.User.Role != models.RoleEnterpriseUser {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "personal_data.read", ObjectType: "certificate", ObjectID: lc.Cert.ID,
			JurisdictionCode: lc.Ent.JurisdictionCode, Reason: "certificate page: 1 ID number shown"})
	}
	return clear, nil
}

// CertificateKeys are the keys that verify certificate signatures (every configured algorithm);
// empty when no signing key is configured.
func (s *Service) CertificateKeys() cryptosuite.PublicKeys { return s.certs.keys }

// CertificateSigningKey is the public key of the configured suite's signature algorithm, the
// one new certificates are signed with, if configured.
func (s *Service) CertificateSigningKey() (cryptosuite.PublicKey, bool) {
	return s.certs.keys.Find(s.certs.alg, "")
}

// CertificateSignatureKey is the key that signed cert, if it is a trusted one.
func (s *Service) CertificateSignatureKey(cert models.Certificate) (cryptosuite.PublicKey, bool) {
	alg := cert.SigAlg
	if alg == "" {
		alg = cryptosuite.AlgEd25519
	}
	return s.certs.keys.Find(alg, cert.SigKey)
}

// SignatureValid reports whether a certificate's stored fields still carry its signature.
func (s *Service) SignatureValid(cert models.Certificate) bool {
	return len(s.certs.keys) > 0 && models.VerifyCertificate(s.certs.keys, cert)
}

// SignatureAlgName names, in Chinese, the algorithm that signed cert (for pages and the verify
// endpoint): "SM2 数字签名（国密）" or "Ed25519 数字签名".
func SignatureAlgName(cert models.Certificate) string {
	if cert.SigAlg == "" {
		return cryptosuite.AlgName(cryptosuite.AlgEd25519)
	}
	return cryptosuite.AlgName(cert.SigAlg)
}
