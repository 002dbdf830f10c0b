package api

import (
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/service"
)

// LimitUpload refuses a declared oversize body at once and caps an undeclared (chunked) one, so
// no upload can fill the disk with temporary files before it is judged.
func (s *Server) LimitUpload(c *gin.Context) {
	limit := s.svc.MaxUploadSize() + service.MultipartOverhead
	if c.Request.ContentLength > limit {
		s.WriteError(c, s.svc.ErrFileTooLarge())
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// attachmentResponse is an attachment as the API shows it, with its purpose's Chinese name.
type attachmentResponse struct {
	models.Attachment
	PurposeName string `json:"purpose_name"`
}

func toAttachmentResponse(a models.Attachment) attachmentResponse {
	return attachmentResponse{Attachment: a, PurposeName: models.AttachmentPurposeNames[a.Purpose]}
}

// apiUploadAttachment answers POST /api/v1/attachments, a multipart form with the fields
// purpose, replaces (optional) and file.
func (s *Server) apiUploadAttachment(c *gin.Context) error {
	return s.upload(c, "purpose", "")
}

// apiUploadSittingRecord answers POST /api/v1/sessions/{id}/records, a multipart form with the
// fields kind (domain.RecordKinds), replaces (optional) and file: an original record of the sitting.
func (s *Server) apiUploadSittingRecord(c *gin.Context) error {
	if err := s.svc.CheckRecordUpload(c.Request.Context(), ActorFrom(c), c.Param("id")); err != nil {
		return err
	}
	return s.upload(c, "kind", c.Param("id"))
}

// upload stores the multipart upload, its purpose in the form field purposeField, for the
// caller's enterprise (and sitting, with sessionID).
func (s *Server) upload(c *gin.Context, purposeField, sessionID string) error {
	ctx := c.Request.Context()
	a := ActorFrom(c)
	if err := c.Request.ParseMultipartForm(service.MultipartMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.svc.RejectUpload(ctx, a, s.svc.ErrFileTooLarge())
		}
		return service.BadRequest("bad_multipart", "请以 multipart/form-data 格式上传，文件放在 file 字段。")
	}
	defer c.Request.MultipartForm.RemoveAll()
	if errs := formFaults(c.Request); len(errs) > 0 {
		return service.Invalid(errs) // a null byte or bad UTF-8 in a field or the file name
	}
	form := c.Request.MultipartForm
	files := form.File[service.AttachmentFormField]
	in := service.UploadInput{Purpose: formValue(form, purposeField), Replaces: formValue(form, "replaces"), Files: len(files), SessionID: sessionID}
	if len(files) == 1 {
		f, err := files[0].Open()
		if err != nil {
			return fmt.Errorf("open uploaded part: %w", err)
		}
		defer f.Close()
		in.Name, in.Size, in.Content = RawFileName(files[0]), files[0].Size, f
	}
	att, err := s.svc.UploadAttachment(ctx, a, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, toAttachmentResponse(att))
	return nil
}

func formValue(f *multipart.Form, key string) string {
	if vs := f.Value[key]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

// RawFileName is the file name exactly as the client sent it. multipart's FileHeader.Filename
// has already been cut to its last "/" element, which would hide "../../etc/passwd.pdf"; we
// want to refuse such names, not quietly repair them.
func RawFileName(fh *multipart.FileHeader) string {
	if _, params, err := mime.ParseMediaType(fh.Header.Get("Content-Disposition")); err == nil {
		if n, ok := params["filename"]; ok {
			return n
		}
	}
	return fh.Filename
}

// attachmentFor loads an attachment and checks that the caller may read the case it belongs
// to: `application, read` in the enterprise's domain, which the enterprise itself and its
// county, league and region hold, and nobody else. A refusal is audited and answered; ok is
// false then.
func (s *Server) attachmentFor(c *gin.Context, id string) (att models.Attachment, ok bool, err error) {
	att, err = s.svc.ReadAttachment(c.Request.Context(), ActorFrom(c), id)
	return att, err == nil, err
}

// apiDownloadAttachment sends one attachment version as a download.
func (s *Server) apiDownloadAttachment(c *gin.Context) error {
	ctx := c.Request.Context()
	att, ok, err := s.attachmentFor(c, c.Param("id"))
	if err != nil || !ok {
		return err
	}
	rc, err := s.svc.AttachmentContent(ctx, att)
	if err != nil {
		return fmt.Errorf("open content of attachment %s: %w", att.ID, err)
	}
	defer rc.Close()
	_ = s.svc.Audit(ctx, ActorFrom(c), models.AuditEntry{Action: "attachment.download", ObjectType: "attachment", ObjectID: att.ID})
	h := c.Writer.Header()
	ctype, inline := attachmentType(att.ContentType)
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+att.SHA256+`"`)
	h.Set("X-Content-SHA256", att.SHA256)
	h.Set("X-Content-Type-Options", "nosniff")
	if inline {
		// PDF and images open in the browser's own viewer, sandboxed: whatever the file holds,
		// it runs no script with this origin's cookies.
		h.Set("Content-Disposition", inlineDisposition(att.Name))
		h.Set("Content-Security-Policy", "sandbox")
	} else {
		// Never rendered by the browser as a page of ours, whatever it contains.
		h.Set("Content-Disposition", contentDisposition(att.Name))
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	}
	c.DataFromReader(http.StatusOK, att.Size, ctype, rc, nil)
	return nil
}

// apiAttachmentVersions lists every version of an attachment's document, oldest first.
func (s *Server) apiAttachmentVersions(c *gin.Context) error {
	att, ok, err := s.attachmentFor(c, c.Param("id"))
	if err != nil || !ok {
		return err
	}
	vs, err := s.db.AttachmentVersions(c.Request.Context(), att.ID)
	if err != nil {
		return err
	}
	out := make([]attachmentResponse, len(vs))
	for i, v := range vs {
		out[i] = toAttachmentResponse(v)
	}
	return writeList(c, out)
}

// attachmentListScope is the enterprise whose attachments are listed: the caller's own, or for
// officials the one named by ?enterprise=.
func (s *Server) attachmentListScope(c *gin.Context, a *service.Actor) (string, error) {
	id := c.Query("enterprise")
	if id == "" {
		return a.Domain, nil
	}
	e, err := s.db.EnterpriseByID(c.Request.Context(), id)
	if err != nil {
		return "", err
	}
	return policies.EnterpriseDomain(e.JurisdictionCode, e.ID), nil
}

// apiListAttachments lists the current version of each of an enterprise's attachments,
// optionally of one purpose.
func (s *Server) apiListAttachments(c *gin.Context) error {
	_, enterpriseID := policies.SplitDomain(scopeOf(c))
	if enterpriseID == "" {
		return service.BadRequest("enterprise_required", "请用 enterprise 参数指定要查看附件的企业。")
	}
	purpose := c.Query("purpose")
	if purpose != "" && models.AttachmentPurposeNames[purpose] == "" {
		return service.Invalid(validate.Errors{{Field: "purpose", Code: "invalid", Message: service.ErrPurposeText(purpose)}})
	}
	as, err := s.db.AttachmentsByEnterprise(c.Request.Context(), enterpriseID, purpose)
	if err != nil {
		return err
	}
	out := make([]attachmentResponse, len(as))
	for i, a := range as {
		out[i] = toAttachmentResponse(a)
	}
	return writeList(c, out)
}

// contentDisposition makes a download header that keeps a Chinese file name: an ASCII
// fallback for old clients and the exact name as RFC 5987 filename*.
// inlineTypes are the stored content types an attachment is shown in the browser with
// (Content-Disposition inline): PDF and the two image types the upload accepts, whose content
// the upload checked (service.detectFileType).
var inlineTypes = map[string]bool{"application/pdf": true, "image/png": true, "image/jpeg": true}

// downloadTypes are the other stored types the upload accepts; they are sent as downloads.
var downloadTypes = map[string]bool{"application/msword": true, "application/vnd.ms-excel": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document": true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":       true}

// attachmentType is the content type to send for a stored type and whether the browser may
// show it inline. A type the upload does not accept (an old or altered row) goes out as
// application/octet-stream, a download: the stored value never chooses how a browser renders.
func attachmentType(stored string) (ctype string, inline bool) {
	mt, _, err := mime.ParseMediaType(stored)
	switch {
	case err != nil:
		return "application/octet-stream", false
	case inlineTypes[mt]:
		return mt, true
	case downloadTypes[mt]:
		return mt, false
	}
	return "application/octet-stream", false
}

// inlineDisposition shows a file in the browser under its name (saved under it too).
func inlineDisposition(name string) string {
	return `inline; filename="` + asciiFileName(name) + `"; filename*=UTF-8''` + rfc5987Escape(name)
}

func contentDisposition(name string) string {
	return `attachment; filename="` + asciiFileName(name) + `"; filename*=UTF-8''` + rfc5987Escape(name)
}

// asciiFileName is name if it is plain printable ASCII, else "attachment" with name's
// extension when that is ASCII.
func asciiFileName(name string) string {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if b := s[i]; b < 0x20 || b >= 0x7f || b == '"' || b == '\\' || b == '%' || b == ';' {
				return false
			}
		}
		return true
	}
	if name != "" && plain(name) {
		return name
	}
	if ext := path.Ext(name); ext != "" && plain(ext) {
		return "attachment" + ext
	}
	return "attachment"
}

// rfc5987Escape percent-encodes every byte of s except RFC 5987's attr-chars.
func rfc5987Escape(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChars, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}
