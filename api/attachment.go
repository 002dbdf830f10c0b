package api

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/activities/storage"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// Upload limits.
const (
	// MaxAttachmentSize is the largest file accepted (20 MiB, shown to users as 20 MB); scans of
	// certificates and rule books fit, videos of an assessment site do not.
	MaxAttachmentSize int64 = 20 << 20
	// MaxAttachmentName is the longest file name accepted, in characters.
	MaxAttachmentName = 200

	// multipartOverhead is how far the request body may exceed the file, for the part headers
	// and the other fields, and no more.
	multipartOverhead   int64 = 1 << 20
	multipartMemory     int64 = 1 << 20 // parts beyond this are spooled to temporary files
	attachmentFormField       = "file"
)

// attachmentState is the attachments feature's state on the server.
type attachmentState struct {
	store   storage.Store
	maxSize int64
}

func (s *Server) initAttachments(d Deps) error {
	if d.StorageDir == "" {
		return errors.New("api: StorageDir is required for attachments")
	}
	st, err := storage.NewLocal(d.StorageDir)
	if err != nil {
		return err
	}
	s.att = attachmentState{store: st, maxSize: MaxAttachmentSize}
	return nil
}

func (s *Server) attachmentRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	// The upload is registered on the engine, not the v1 group, so that its body limit runs
	// before the CSRF check: for a cookie request without the X-CSRF-Token header that check
	// reads the csrf_token form field, which parses the whole multipart body, unbounded. The
	// chain is otherwise v1's: authentication ran at engine level, then login, CSRF, policy.
	r.POST("/api/v1/attachments", s.requireAPILogin, s.limitUpload, s.csrf,
		s.authorize("attachment", "upload", ownScope), s.json(s.apiUploadAttachment))
	v1.GET("/attachments", s.requireAPILogin, s.authorize("application", "read", s.attachmentListScope), s.json(s.apiListAttachments))
	v1.GET("/attachments/:id", s.requireAPILogin, s.json(s.apiDownloadAttachment))
	v1.GET("/attachments/:id/versions", s.requireAPILogin, s.json(s.apiAttachmentVersions))
	s.exportRoutes(r, v1)
}

// fileError is a validation failure of the uploaded file, reported on the form field "file".
func fileError(code, msg string) *Error {
	return invalid(validate.Errors{{Field: attachmentFormField, Code: code, Message: msg}})
}

func (s *Server) errFileTooLarge() *Error {
	return fileError("file_too_large", fmt.Sprintf("文件大小超过 %d MB 的上限，请压缩或拆分后再上传。", s.att.maxSize>>20))
}

// limitUpload refuses a declared oversize body at once and caps an undeclared (chunked) one, so
// no upload can fill the disk with temporary files before it is judged.
func (s *Server) limitUpload(c *gin.Context) {
	limit := s.att.maxSize + multipartOverhead
	if c.Request.ContentLength > limit {
		s.writeError(c, s.errFileTooLarge())
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
	ctx := c.Request.Context()
	a := actorFrom(c)
	if err := c.Request.ParseMultipartForm(multipartMemory); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return s.rejectUpload(ctx, a, s.errFileTooLarge())
		}
		return badRequest("bad_multipart", "请以 multipart/form-data 格式上传，文件放在 file 字段。")
	}
	defer c.Request.MultipartForm.RemoveAll()
	form := c.Request.MultipartForm
	files := form.File[attachmentFormField]
	in := uploadInput{Purpose: formValue(form, "purpose"), Replaces: formValue(form, "replaces"), Files: len(files)}
	if len(files) == 1 {
		f, err := files[0].Open()
		if err != nil {
			return fmt.Errorf("open uploaded part: %w", err)
		}
		defer f.Close()
		in.Name, in.Size, in.Content = rawFileName(files[0]), files[0].Size, f
	}
	att, err := s.uploadAttachment(ctx, a, in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, toAttachmentResponse(att))
	return nil
}

// uploadContent is an uploaded file's content: read from the start, and read at offsets to
// recognise its type (a multipart.File is one).
type uploadContent interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// uploadInput is one file to store for the caller's enterprise.
type uploadInput struct {
	// Purpose is the attachment's purpose; with Replaces (an attachment ID) the file becomes
	// that attachment's next version and may omit the purpose.
	Purpose, Replaces string
	// Files is how many files the request carried; exactly one is accepted.
	Files int
	// Name is the file's name exactly as the client sent it; Size its length in bytes.
	Name string
	Size int64
	// Content is the file (when Files is 1). Its type is decided from the content and must agree
	// with the name's extension; no declared content type is trusted.
	Content uploadContent
}

// uploadAttachment stores one file for the caller's enterprise. With Replaces the file becomes
// the next version of that attachment; older versions stay. Every fault is reported at once,
// and a refusal is audited. The row and its audit row are stored together; if they cannot be,
// the stored content is deleted again.
func (s *Server) uploadAttachment(ctx context.Context, a *Actor, in uploadInput) (models.Attachment, error) {
	if err := s.require(ctx, a, "attachment", "upload", a.Domain); err != nil {
		return models.Attachment{}, err
	}
	jurisdiction, enterpriseID := policies.SplitDomain(a.Domain)
	if enterpriseID == "" {
		return models.Attachment{}, errForbidden // only enterprise users hold the upload rule; their domain is the enterprise
	}
	up, errs, err := s.readUpload(ctx, in, enterpriseID)
	if err != nil {
		return models.Attachment{}, err
	}
	if len(errs) > 0 {
		return models.Attachment{}, s.rejectUpload(ctx, a, invalid(errs))
	}

	if _, err := in.Content.Seek(0, io.SeekStart); err != nil {
		return models.Attachment{}, fmt.Errorf("rewind upload: %w", err)
	}
	key := storage.NewKey()
	size, sum, err := s.att.store.Put(ctx, key, in.Content)
	if err != nil {
		return models.Attachment{}, fmt.Errorf("store attachment: %w", err)
	}
	row := models.Attachment{EnterpriseID: enterpriseID, JurisdictionCode: jurisdiction, Purpose: up.purpose, Name: up.name,
		ContentType: up.contentType, Size: size, SHA256: sum, StorageKey: key, UploadedBy: a.User.ID}
	if up.prev.ID != "" {
		row.ReplacesID = &up.prev.ID
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateAttachment(ctx, &row); err != nil {
			return models.AuditEntry{}, err
		}
		after, _ := json.Marshal(map[string]any{"purpose": row.Purpose, "version": row.Version, "replaces_id": row.ReplacesID,
			"content_type": row.ContentType, "size": row.Size, "sha256": row.SHA256})
		return models.AuditEntry{Action: "attachment.upload", ObjectType: "attachment", ObjectID: row.ID,
			AfterState: string(after)}, nil
	})
	if err != nil {
		// The row is the only reference to the content: without it the file is garbage.
		if derr := s.att.store.Delete(context.WithoutCancel(ctx), key); derr != nil {
			s.log.WarnContext(ctx, "delete orphaned attachment content", "err", derr)
		}
		switch {
		case errors.Is(err, models.ErrConflict):
			return models.Attachment{}, newError(http.StatusConflict, "attachment_superseded", "该附件已有更新的版本，请刷新后在最新版本上替换。")
		case errors.Is(err, models.ErrNotFound):
			return models.Attachment{}, invalid(validate.Errors{{Field: "replaces", Code: "not_found", Message: errReplacesText}})
		}
		return models.Attachment{}, err
	}
	s.log.InfoContext(ctx, "attachment stored", "attachmentID", row.ID, "version", row.Version, "size", row.Size)
	return row, nil
}

const errReplacesText = "要替换的附件不存在，请刷新后重试。"

// checkedUpload is what readUpload found out about an upload.
type checkedUpload struct {
	purpose, name, contentType string
	prev                       models.Attachment
}

// readUpload checks the upload's purpose, replaces and file and reports every fault at once,
// so the user fixes them in one go. err is for failures that are not the user's.
func (s *Server) readUpload(ctx context.Context, in uploadInput, enterpriseID string) (up checkedUpload, errs validate.Errors, err error) {
	up.purpose = strings.TrimSpace(in.Purpose)
	if replaces := strings.TrimSpace(in.Replaces); replaces != "" {
		p, err := s.db.AttachmentByID(ctx, replaces)
		switch {
		case errors.Is(err, models.ErrNotFound) || (err == nil && p.EnterpriseID != enterpriseID):
			errs.Add("replaces", "not_found", errReplacesText)
		case err != nil:
			return up, nil, err
		default:
			up.prev = p
			if up.purpose == "" {
				up.purpose = p.Purpose // a new version keeps its document's purpose
			}
		}
	}
	switch {
	case up.purpose == "":
		errs.Add("purpose", validate.ErrRequired.Code, "请选择附件用途。")
	case models.AttachmentPurposeNames[up.purpose] == "":
		errs.Add("purpose", "invalid", errPurposeText(up.purpose))
	case up.prev.ID != "" && up.prev.Purpose != up.purpose:
		errs.Add("purpose", "purpose_mismatch", "新版本的用途须与被替换的附件相同（"+models.AttachmentPurposeNames[up.prev.Purpose]+"）。")
	}

	switch {
	case in.Files == 0 || (in.Files == 1 && in.Content == nil):
		errs.Add(attachmentFormField, validate.ErrRequired.Code, "请选择要上传的文件。")
		return up, errs, nil
	case in.Files > 1:
		errs.Add(attachmentFormField, "too_many_files", "一次只能上传一个文件。")
		return up, errs, nil
	}
	name, ferr := sanitizeFileName(in.Name)
	if ferr == nil {
		ferr = s.checkFileSize(in.Size)
	}
	if ferr == nil {
		up.name = name
		up.contentType, ferr = detectFileType(in.Content, in.Size, path.Ext(name))
	}
	if ferr != nil {
		errs = append(errs, *ferr)
	}
	return up, errs, nil
}

// rejectUpload audits a refused upload (a disguised executable is worth knowing about) and
// returns the error for the client.
func (s *Server) rejectUpload(ctx context.Context, a *Actor, e *Error) error {
	codes := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		codes = append(codes, f.Field+":"+f.Code)
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "attachment.upload", ObjectType: "attachment",
		Outcome: models.OutcomeRejected, Reason: strings.Join(codes, ",")})
	return e
}

func formValue(f *multipart.Form, key string) string {
	if vs := f.Value[key]; len(vs) > 0 {
		return strings.TrimSpace(vs[0])
	}
	return ""
}

func (s *Server) checkFileSize(size int64) *validate.FieldError {
	switch {
	case size > s.att.maxSize:
		e := s.errFileTooLarge().Fields[0]
		return &e
	case size == 0:
		return &validate.FieldError{Field: attachmentFormField, Code: "file_empty", Message: "文件是空的（0 字节），请检查后重新选择。"}
	}
	return nil
}

// rawFileName is the file name exactly as the client sent it. multipart's FileHeader.Filename
// has already been cut to its last "/" element, which would hide "../../etc/passwd.pdf"; we
// want to refuse such names, not quietly repair them.
func rawFileName(fh *multipart.FileHeader) string {
	if _, params, err := mime.ParseMediaType(fh.Header.Get("Content-Disposition")); err == nil {
		if n, ok := params["filename"]; ok {
			return n
		}
	}
	return fh.Filename
}

// allowedTypesText ends every type refusal, so the user learns what would be accepted.
const allowedTypesText = "仅支持上传以下类型的文件：PDF、JPG/JPEG、PNG、Word（DOC、DOCX）、Excel（XLS、XLSX）。"

// sanitizeFileName returns the name to keep for display and download. Names that try to say
// where the file goes (separators, "..") or hide what it is (control and invisible format
// characters such as the right-to-left override) are refused with a reason; characters that
// Windows cannot save are replaced.
func sanitizeFileName(raw string) (string, *validate.FieldError) {
	bad := func(code, msg string) (string, *validate.FieldError) {
		return "", &validate.FieldError{Field: attachmentFormField, Code: code, Message: msg}
	}
	name := strings.TrimSpace(raw)
	switch {
	case name == "":
		return bad("file_name", "文件名不能为空，请给文件命名后重新上传。")
	case !utf8.ValidString(name):
		return bad("file_name", "文件名编码无效，请修改文件名后重新上传。")
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return bad("file_name", "文件名含有控制字符或不可见字符，请修改文件名后重新上传。")
		}
	}
	if strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		return bad("file_name", "文件名不能包含路径（“/”“\\”或“..”），请只保留文件名本身，例如“营业执照.pdf”。")
	}
	if n := utf8.RuneCountInString(name); n > MaxAttachmentName {
		return bad("file_name", fmt.Sprintf("文件名过长（%d 个字符），最多 %d 个字符，请缩短后重新上传。", n, MaxAttachmentName))
	}
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimRight(name, ". ") // Windows drops trailing dots and spaces
	if name == "" || path.Ext(name) == name {
		return bad("file_name", "文件名缺少主名，请给文件命名后重新上传，例如“营业执照.pdf”。")
	}
	return name, nil
}

// fileKind is an accepted file type: the content type stored and served, and how its
// content is recognised.
type fileKind struct {
	contentType string
	label       string
	matches     func(head []byte, r io.ReaderAt, size int64) bool
}

var (
	oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1} // Compound File Binary: DOC, XLS
	zipMagic = []byte("PK\x03\x04")
)

func sniffed(want string) func([]byte, io.ReaderAt, int64) bool {
	return func(head []byte, _ io.ReaderAt, _ int64) bool { return http.DetectContentType(head) == want }
}

func isOLE(head []byte, _ io.ReaderAt, _ int64) bool { return bytes.HasPrefix(head, oleMagic) }

// ooxml recognises an Office Open XML package by its content-types part and the directory of
// its main part (word/ or xl/). Only the zip's central directory is read, never a member, so a
// zip bomb costs nothing.
func ooxml(dir string) func([]byte, io.ReaderAt, int64) bool {
	return func(head []byte, r io.ReaderAt, size int64) bool {
		if !bytes.HasPrefix(head, zipMagic) {
			return false
		}
		zr, err := zip.NewReader(r, size)
		if err != nil {
			return false
		}
		var types, main bool
		for _, f := range zr.File {
			types = types || f.Name == "[Content_Types].xml"
			main = main || strings.HasPrefix(f.Name, dir)
		}
		return types && main
	}
}

// allowedKinds maps each accepted extension to its type.
var allowedKinds = map[string]fileKind{
	".pdf":  {"application/pdf", "PDF", sniffed("application/pdf")},
	".jpg":  {"image/jpeg", "JPG", sniffed("image/jpeg")},
	".jpeg": {"image/jpeg", "JPEG", sniffed("image/jpeg")},
	".png":  {"image/png", "PNG", sniffed("image/png")},
	".doc":  {"application/msword", "Word（DOC）", isOLE},
	".xls":  {"application/vnd.ms-excel", "Excel（XLS）", isOLE},
	".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word（DOCX）", ooxml("word/")},
	".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel（XLSX）", ooxml("xl/")},
}

// detectFileType accepts the file only if its extension is one of the allowed types and its
// content is really of that type, and returns the content type to store.
func detectFileType(f io.ReaderAt, size int64, ext string) (string, *validate.FieldError) {
	ext = strings.ToLower(ext)
	kind, ok := allowedKinds[ext]
	if !ok {
		msg := "不支持“" + clipText(ext, 16) + "”类型的文件。" + allowedTypesText
		if ext == "" {
			msg = "文件名缺少扩展名，无法判断文件类型。" + allowedTypesText
		}
		return "", &validate.FieldError{Field: attachmentFormField, Code: "file_type", Message: msg}
	}
	head := make([]byte, 512) // all http.DetectContentType looks at
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", &validate.FieldError{Field: attachmentFormField, Code: "file_unreadable", Message: "无法读取上传的文件，请重新上传。"}
	}
	if !kind.matches(head[:n], f, size) {
		return "", &validate.FieldError{Field: attachmentFormField, Code: "file_content",
			Message: "文件内容与扩展名“" + ext + "”不符，不是真正的" + kind.label + "文件（可能是改了扩展名的其他文件）。" + allowedTypesText}
	}
	return kind.contentType, nil
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// attachmentDomain is the authorization domain of the enterprise an attachment belongs to,
// from the enterprise's current jurisdiction (the one recorded at upload is only for lists).
func (s *Server) attachmentDomain(ctx context.Context, att models.Attachment) (string, error) {
	e, err := s.db.EnterpriseByID(ctx, att.EnterpriseID)
	if err != nil {
		return "", err
	}
	return policies.EnterpriseDomain(e.JurisdictionCode, e.ID), nil
}

// attachmentFor loads an attachment and checks that the caller may read the case it belongs
// to: `application, read` in the enterprise's domain, which the enterprise itself and its
// county, league and region hold, and nobody else. A refusal is audited and answered; ok is
// false then.
func (s *Server) attachmentFor(c *gin.Context, id string) (att models.Attachment, ok bool, err error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	att, err = s.db.AttachmentByID(ctx, id)
	if err != nil {
		return att, false, err
	}
	domain, err := s.attachmentDomain(ctx, att)
	if err != nil {
		return att, false, err
	}
	if !s.enf.Allowed(a.User.ID, domain, "application", "read") {
		s.deny(c, a, "attachment", "read", domain)
		return att, false, nil
	}
	return att, true, nil
}

// apiDownloadAttachment sends one attachment version as a download.
func (s *Server) apiDownloadAttachment(c *gin.Context) error {
	ctx := c.Request.Context()
	att, ok, err := s.attachmentFor(c, c.Param("id"))
	if err != nil || !ok {
		return err
	}
	rc, err := s.att.store.Open(ctx, att.StorageKey)
	if err != nil {
		return fmt.Errorf("open content of attachment %s: %w", att.ID, err)
	}
	defer rc.Close()
	_ = s.audit(ctx, actorFrom(c), models.AuditEntry{Action: "attachment.download", ObjectType: "attachment", ObjectID: att.ID})
	h := c.Writer.Header()
	h.Set("Content-Disposition", contentDisposition(att.Name))
	h.Set("Cache-Control", "private, no-store")
	h.Set("ETag", `"`+att.SHA256+`"`)
	h.Set("X-Content-SHA256", att.SHA256)
	// Never rendered by the browser as a page of ours, whatever it contains.
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	c.DataFromReader(http.StatusOK, att.Size, att.ContentType, rc, nil)
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
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out)})
	return nil
}

// attachmentListScope is the enterprise whose attachments are listed: the caller's own, or for
// officials the one named by ?enterprise=.
func (s *Server) attachmentListScope(c *gin.Context, a *Actor) (string, error) {
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
		return badRequest("enterprise_required", "请用 enterprise 参数指定要查看附件的企业。")
	}
	purpose := c.Query("purpose")
	if purpose != "" && models.AttachmentPurposeNames[purpose] == "" {
		return invalid(validate.Errors{{Field: "purpose", Code: "invalid", Message: errPurposeText(purpose)}})
	}
	as, err := s.db.AttachmentsByEnterprise(c.Request.Context(), enterpriseID, purpose)
	if err != nil {
		return err
	}
	out := make([]attachmentResponse, len(as))
	for i, a := range as {
		out[i] = toAttachmentResponse(a)
	}
	c.JSON(http.StatusOK, gin.H{"items": out, "total": len(out)})
	return nil
}

// contentDisposition makes a download header that keeps a Chinese file name: an ASCII
// fallback for old clients and the exact name as RFC 5987 filename*.
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

// errPurposeText says that purpose is unknown and which ones are accepted.
func errPurposeText(purpose string) string {
	ps := make([]string, 0, len(models.AttachmentPurposeNames))
	for p := range models.AttachmentPurposeNames {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return "附件用途“" + clipText(purpose, 32) + "”无效，应为 " + strings.Join(ps, "、") + " 之一。"
}
