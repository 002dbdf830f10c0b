package web

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	qrcode "github.com/skip2/go-qrcode"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/internal/cryptosuite"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

// nationalQueryURL is the national system in which certificates can also be checked
// (技能人才评价证书全国联网查询), printed on every certificate as a query address.
const nationalQueryURL = "http://zscx.osta.org.cn/"

// certPageView is what cert_query.html and certificate.html receive.
type certPageView struct {
	pageData
	// Alert is an error shown above the content (role="alert").
	Alert string
	// Query page: what was typed, errors by field, whether a query ran, and its results.
	Name, IDNumber, Number string
	Errors                 map[string]string
	Searched               bool
	Results                []certRow
	// Certificate page.
	Cert        certDisplay
	QR          template.HTML
	QueryURL    string
	NationalURL string
	SignatureOK bool
	// CanRevoke shows the revocation form, posted to RevokeHref; Reason keeps what was typed.
	CanRevoke  bool
	RevokeHref string
	Reason     string
}

// certRow is one result of the query page.
type certRow struct {
	service.PublicCertificate
	Href string // the e-certificate
}

// certDisplay is a certificate as printed.
type certDisplay struct {
	Number, HolderName, IDType, IDNumber string
	// Gender is 男 or 女 ("" before it was recorded); PhotoHref the photo, for viewers in scope only.
	Gender, PhotoHref, PhotoNote   string
	OccupationCode, OccupationName string
	WorkType, LevelName            string
	IssueDate, Issuer              string
	Revoked                        bool
	RevokedAt, RevokeReason        string
	SignatureShort                 string
	// SignatureAlg names the signature's algorithm in Chinese, e.g. SM2 数字签名（国密）.
	SignatureAlg string
}

// renderCertPage renders one of this file's pages with the layout. It mirrors render
// (render.go), whose pageData has no room for a page's own data.
func (p *Pages) renderCertPage(c *gin.Context, status int, name string, v *certPageView) {
	t, ok := p.pages[name]
	if !ok {
		p.api.WriteError(c, errors.New("missing template "+name))
		return
	}
	p.fillPage(c, &v.pageData)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Robots-Tag", "noindex")
	c.Status(status)
	if err := t.ExecuteTemplate(c.Writer, "layout", v); err != nil {
		p.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}

func (p *Pages) queryView() *certPageView {
	return &certPageView{pageData: pageData{Title: "证书查询"}, Errors: map[string]string{}, NationalURL: nationalQueryURL}
}

// certQueryPage shows the empty public query form (with a CAPTCHA once the address's queries
// call for one).
func (p *Pages) certQueryPage(c *gin.Context) error {
	v := p.queryView()
	var err error
	if v.Captcha, err = p.captchaFor(c, domain.ThrottleQuery, "", nil); err != nil {
		return err
	}
	p.renderCertPage(c, http.StatusOK, "cert_query", v)
	return nil
}

// certQuerySubmit runs the query of the form. The form is POSTed so that ID numbers stay out of
// URLs, browser histories and proxy logs; faults are shown next to their fields with what was
// typed kept, and a fresh CAPTCHA when the next query needs one.
func (p *Pages) certQuerySubmit(c *gin.Context) error {
	v := p.queryView()
	v.Name, v.IDNumber, v.Number = c.PostForm("name"), c.PostForm("id_number"), c.PostForm("number")
	cs, err := p.svc.LookupCertificates(c.Request.Context(), service.CertQuery{Name: v.Name, IDNumber: v.IDNumber, Number: v.Number,
		Guard: captchaGuard(c)})
	var cerr error
	if v.Captcha, cerr = p.captchaFor(c, domain.ThrottleQuery, "", err); cerr != nil {
		return cerr
	}
	if err != nil {
		var e *service.Error
		if !errors.As(err, &e) || e.Status >= 500 {
			return err
		}
		v.Alert = e.Message
		for _, f := range e.Fields {
			if f.Field != "captcha_answer" {
				v.Errors[f.Field] = f.Message
			}
		}
		if e.RetryAfter > 0 {
			c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
		}
		p.renderCertPage(c, e.Status, "cert_query", v)
		return nil
	}
	v.Searched = true
	for _, x := range cs {
		v.Results = append(v.Results, certRow{PublicCertificate: p.svc.PublicCertificateOf(x), Href: "/c/" + x.Token})
	}
	p.renderCertPage(c, http.StatusOK, "cert_query", v)
	return nil
}

// publicCertificatePage is the e-certificate reached from its QR code: the printed fields with
// the ID number masked, the signature check and the revocation status.
func (p *Pages) publicCertificatePage(c *gin.Context) error {
	tok := c.Param("token")
	if !validCertToken(tok) {
		return service.ErrNotFound
	}
	cert, err := p.db.CertificateByToken(c.Request.Context(), tok)
	if err != nil {
		return err
	}
	v, err := p.certificateView(cert, cert.IDMasked)
	if err != nil {
		return err
	}
	p.renderCertPage(c, http.StatusOK, "certificate", v)
	return nil
}

// validCertToken reports whether s looks like a QR token (32 base64url characters), so malformed
// values never reach the database.
func validCertToken(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if !(ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_') {
			return false
		}
	}
	return true
}

// certificatePage is the certificate for a logged-in user in scope: the ID number in clear
// for roles that may read personal data there (officials' reads are audited), masked otherwise.
func (p *Pages) certificatePage(c *gin.Context) error {
	a, lc := api.ActorFrom(c), api.LoadedCertificateFrom(c)
	v, err := p.certificateViewFor(c, a, lc)
	if err != nil {
		return err
	}
	p.renderCertPage(c, http.StatusOK, "certificate", v)
	return nil
}

func (p *Pages) certificateViewFor(c *gin.Context, a *service.Actor, lc *service.LoadedCertificate) (*certPageView, error) {
	ctx := c.Request.Context()
	idShown, err := p.svc.CertificateHolderID(ctx, a, lc)
	if err != nil {
		return nil, err
	}
	v, err := p.certificateView(lc.Cert, idShown)
	if err != nil {
		return nil, err
	}
	if lc.Cert.PhotoKey != "" {
		// The photo is personal data: only on the page of viewers in scope, never on the public one.
		v.Cert.PhotoHref, v.Cert.PhotoNote = "/certificates/"+url.PathEscape(lc.Cert.ID)+"/photo", ""
	}
	v.CanRevoke = lc.Cert.Status == models.CertificateValid && p.enf.Allowed(a.User.ID, lc.Domain, "certificate", "revoke")
	v.RevokeHref = "/certificates/" + lc.Cert.ID + "/revoke"
	return v, nil
}

// certificateView lays out a certificate for certificate.html with the given ID number.
func (p *Pages) certificateView(cert models.Certificate, idNumber string) (*certPageView, error) {
	qr, err := certQRCode(p.cfg.PublicURL + "/c/" + cert.Token)
	if err != nil {
		return nil, err
	}
	d := certDisplay{Number: cert.Number, HolderName: cert.HolderName, IDType: validate.IDTypeName(cert.IDType), IDNumber: idNumber,
		OccupationCode: cert.OccupationCode, OccupationName: cert.OccupationName, WorkType: cert.WorkType,
		LevelName: cert.Level.Name(), IssueDate: cert.IssueDate.UTC().Format("2006年01月02日"), Issuer: cert.IssuerName,
		Revoked: cert.Status == models.CertificateRevoked, RevokeReason: cert.RevokeReason, Gender: domain.GenderNames[cert.Gender],
		SignatureAlg: plainSignatureName(cert)}
	if cert.PhotoKey != "" {
		d.PhotoNote = "照片仅向持证人所在企业及主管部门显示"
	} else {
		d.PhotoNote = "未上传照片"
	}
	if cert.RevokedAt != nil {
		d.RevokedAt = cert.RevokedAt.In(p.svc.Location()).Format("2006年01月02日")
	}
	if len(cert.Signature) >= 16 {
		d.SignatureShort = cert.Signature[:16]
	}
	v := &certPageView{pageData: pageData{Title: "职业技能等级证书 " + cert.Number}, Cert: d, QR: qr,
		QueryURL: p.cfg.PublicURL + "/query", NationalURL: nationalQueryURL,
		SignatureOK: p.svc.SignatureValid(cert)}
	return v, nil
}

// certificateRevokeSubmit is the revocation form of the certificate page.
func (p *Pages) certificateRevokeSubmit(c *gin.Context) error {
	a, lc := api.ActorFrom(c), api.LoadedCertificateFrom(c)
	reason := c.PostForm("reason")
	_, err := p.svc.RevokeCertificate(c.Request.Context(), a, lc, reason)
	var e *service.Error
	if err != nil && errors.As(err, &e) && e.Status < 500 {
		v, verr := p.certificateViewFor(c, a, lc)
		if verr != nil {
			return verr
		}
		v.Alert, v.Reason = e.Message, reason
		v.Errors = map[string]string{}
		for _, f := range e.Fields {
			v.Errors[f.Field] = f.Message
		}
		p.renderCertPage(c, e.Status, "certificate", v)
		return nil
	}
	if err != nil {
		return err
	}
	c.Redirect(http.StatusSeeOther, "/certificates/"+lc.Cert.ID)
	return nil
}

// certQRCode draws content as a QR code (error correction level M, quiet zone included) in inline
// SVG: one path of horizontal runs, crisp in print at any size, and allowed by the page's CSP.
func certQRCode(content string) (template.HTML, error) {
	q, err := qrcode.New(content, qrcode.Medium)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	bm := q.Bitmap()
	n := len(bm)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="cert-qr" viewBox="0 0 %d %d" role="img" aria-label="证书核验二维码" shape-rendering="crispEdges">`, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start, y, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	// Safe: the markup is ours and holds only numbers.
	return template.HTML(b.String()), nil
}

// certificatePhoto serves a certificate's photo to a viewer in scope of the certificate (the
// same authorisation as its page), never cached.
func (p *Pages) certificatePhoto(c *gin.Context) error {
	lc := api.LoadedCertificateFrom(c)
	rc, err := p.svc.CertificatePhoto(c.Request.Context(), lc.Cert)
	if err != nil {
		return err
	}
	defer rc.Close()
	c.Header("Cache-Control", "private, no-store")
	c.DataFromReader(http.StatusOK, -1, lc.Cert.PhotoType, rc, nil)
	return nil
}

// plainSignatureName names a certificate's signature algorithm as the public reads it, in
// Chinese (the API's algorithm_name keeps the technical name).
func plainSignatureName(cert models.Certificate) string {
	switch cert.SigAlg {
	case cryptosuite.AlgSM2:
		return "国密SM2算法"
	case "", cryptosuite.AlgEd25519:
		return "爱德华兹曲线数字签名算法"
	}
	return "数字签名算法"
}
