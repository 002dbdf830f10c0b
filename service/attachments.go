package service

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	dom "skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/storage"
)

// Upload limits.
const (
	// MaxAttachmentSize is the largest file accepted (20 MiB, shown to users as 20 MB); scans of
	// certificates and rule books fit, videos of an assessment site do not.
	MaxAttachmentSize int64 = 20 << 20
	// MaxAttachmentName is the longest file name accepted, in characters.
	MaxAttachmentName = 200

	// MultipartOverhead is how far the request body may exceed the file, for the part headers
	// and the other fields, and no more.
	MultipartOverhead   int64 = 1 << 20
	MultipartMemory     int64 = 1 << 20 // parts beyond this are spooled to temporary files
	AttachmentFormField       = "file"
)

// attachmentState is the attachments feature's state on the server.
type attachmentState struct {
	store   storage.Store
	maxSize int64
}

// fileError is a validation failure of the uploaded file, reported on the form field "file".
func fileError(code, msg string) *Error {
	return Invalid(validate.Errors{{Field: AttachmentFormField, Code: code, Message: msg}})
}

func (s *Service) ErrFileTooLarge() *Error {
	return fileError("file_too_large", fmt.Sprintf("文件大小超过 %d MB 的上限，请压缩或拆分后再上传。", s.att.maxSize>>20))
}

// uploadContent is an uploaded file's content: read from the start, and read at offsets to
// recognise its type (a multipart.File is one).
type uploadContent interface {
	io.Reader
	io.ReaderAt
	io.Seeker
}

// UploadInput is one file to store for the caller's enterprise.
type UploadInput struct {
	// Purpose is the attachment's purpose; with Replaces (an attachment ID) the file becomes
	// that attachment's next version and may omit the purpose.
	Purpose, Replaces string
	// Files is how many files the request carried; exactly one is accepted.
	Files int
	// Name is the file's name exactly as the client sent it; Size its length in bytes.
	Name string
	Size int64
	// SessionID, for a sitting's original record (domain.RecordKinds), is the sitting; the
	// purpose is then the record's kind.
	SessionID string
	// Content is the file (when Files is 1). Its type is decided from the content and must agree
	// with the name's extension; no declared content type is trusted.
	Content uploadContent
}

// UploadAttachment stores one file for the caller's enterprise. With Replaces the file becomes
// the next version of that attachment; older versions stay. Every fault is reported at once,
// and a refusal is audited. The row and its audit row are stored together; if they cannot be,
// the stored content is deleted again.
func (s *Service) UploadAttachment(ctx context.Context, a *Actor, in UploadInput) (models.Attachment, error) {
	if err := s.Require(ctx, a, "attachment", "upload", a.Domain); err != nil {
		return models.Attachment{}, err
	}
	jurisdiction, enterpriseID := policies.SplitDomain(a.Domain)
	if enterpriseID == "" {
		return models.Attachment{}, ErrForbidden // only enterprise users hold the upload rule; their domain is the enterprise
	}
	up, errs, err := s.readUpload(ctx, in, enterpriseID)
	if err != nil {
		return models.Attachment{}, err
	}
	if len(errs) > 0 {
		return models.Attachment{}, s.RejectUpload(ctx, a, Invalid(errs))
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
	if in.SessionID != "" {
		row.SessionID = &in.SessionID
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateAttachment(ctx, &row); err != nil {
			return models.AuditEntry{}, err
		}
		after, _ := json.Marshal(map[string]any{"purpose": row.Purpose, "session_id": row.SessionID, "version": row.Version, "replaces_id": row.ReplacesID,
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
			return models.Attachment{}, NewError(http.StatusConflict, "attachment_superseded", "该附件已有更新的版本，请刷新后在最新版本上替换。")
		case errors.Is(err, models.ErrNotFound):
			return models.Attachment{}, Invalid(validate.Errors{{Field: "replaces", Code: "not_found", Message: errReplacesText}})
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
func (s *Service) readUpload(ctx context.Context, in UploadInput, enterpriseID string) (up checkedUpload, errs validate.Errors, err error) {
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
	if errs2, err := s.recordFaults(ctx, in, enterpriseID, up); err != nil {
		return up, nil, err
	} else if len(errs2) > 0 {
		errs = append(errs, errs2...)
	}
	switch {
	case up.purpose == "" && in.SessionID != "":
		errs.Add("kind", validate.ErrRequired.Code, "请选择原始记录类别。")
	case up.purpose == "":
		errs.Add("purpose", validate.ErrRequired.Code, "请选择附件用途。")
	case models.AttachmentPurposeNames[up.purpose] == "":
		errs.Add("purpose", "invalid", ErrPurposeText(up.purpose))
	case up.prev.ID != "" && up.prev.Purpose != up.purpose:
		errs.Add("purpose", "purpose_mismatch", "新版本的用途须与被替换的附件相同（"+models.AttachmentPurposeNames[up.prev.Purpose]+"）。")
	}

	switch {
	case in.Files == 0 || (in.Files == 1 && in.Content == nil):
		errs.Add(AttachmentFormField, validate.ErrRequired.Code, "请选择要上传的文件。")
		return up, errs, nil
	case in.Files > 1:
		errs.Add(AttachmentFormField, "too_many_files", "一次只能上传一个文件。")
		return up, errs, nil
	}
	name, ferr := SanitizeFileName(in.Name)
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

// recordFaults checks an upload against the split between the application's documents and a
// sitting's original records: a record goes to a sitting of the caller's enterprise with one of
// the record kinds, a new version to the sitting of the version it replaces, and nothing else
// into a sitting.
func (s *Service) recordFaults(ctx context.Context, in UploadInput, enterpriseID string, up checkedUpload) (validate.Errors, error) {
	var errs validate.Errors
	record := dom.IsRecordKind(up.purpose)
	if in.SessionID == "" {
		if record || (up.prev.ID != "" && up.prev.SessionID != nil) {
			errs.Add("purpose", "record_needs_sitting", "考核批次的原始记录须在该考核批次页面上传。")
		}
		return errs, nil
	}
	ss, err := s.db.SessionByID(ctx, in.SessionID)
	switch {
	case errors.Is(err, models.ErrNotFound) || (err == nil && ss.EnterpriseID != enterpriseID):
		return nil, ErrNotFound
	case err != nil:
		return nil, err
	}
	if up.purpose != "" && !record {
		errs.Add("kind", "invalid", "原始记录类别“"+ClipText(up.purpose, 32)+"”无效，应为 "+strings.Join(dom.RecordKinds, "、")+" 之一。")
	}
	if up.prev.ID != "" && (up.prev.SessionID == nil || *up.prev.SessionID != in.SessionID) {
		errs.Add("replaces", "not_found", errReplacesText)
	}
	return errs, nil
}

// CheckRecordUpload refuses, before any upload is read, a caller who may not add records to the
// sitting: only its own enterprise manages it.
func (s *Service) CheckRecordUpload(ctx context.Context, a *Actor, sessionID string) error {
	_, err := s.sittingInScope(ctx, a, sessionID, "assessment", "manage")
	return err
}

// SittingRecords lists the current version of each original record of a sitting to whoever may
// read the sitting.
func (s *Service) SittingRecords(ctx context.Context, a *Actor, sessionID string) ([]models.Attachment, error) {
	if _, err := s.sittingInScope(ctx, a, sessionID, "case", "read"); err != nil {
		return nil, err
	}
	return s.db.SittingRecords(ctx, sessionID)
}

// recordsRefusal refuses to submit a sitting's results while any of its original records is
// missing (domain.RecordsRule), naming each; nil when all are there.
func (s *Service) recordsRefusal(ctx context.Context, sessionID string) error {
	recs, err := s.db.SittingRecords(ctx, sessionID)
	if err != nil {
		return err
	}
	present := make([]string, len(recs))
	for i, r := range recs {
		present[i] = r.Purpose
	}
	msg := dom.RecordsRule(present)
	if msg == "" {
		return nil
	}
	e := NewError(http.StatusConflict, "records_missing", msg)
	for _, k := range dom.MissingRecords(present) {
		e.Fields = append(e.Fields, validate.FieldError{Field: "records." + k, Code: validate.ErrRequired.Code, Message: "尚未上传" + dom.RecordNames[k] + "。"})
	}
	return e
}

// RejectUpload audits a refused upload (a disguised executable is worth knowing about) and
// returns the error for the client.
func (s *Service) RejectUpload(ctx context.Context, a *Actor, e *Error) error {
	codes := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		codes = append(codes, f.Field+":"+f.Code)
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "attachment.upload", ObjectType: "attachment",
		Outcome: models.OutcomeRejected, Reason: strings.Join(codes, ",")})
	return e
}

func (s *Service) checkFileSize(size int64) *validate.FieldError {
	switch {
	case size > s.att.maxSize:
		e := s.ErrFileTooLarge().Fields[0]
		return &e
	case size == 0:
		return &validate.FieldError{Field: AttachmentFormField, Code: "file_empty", Message: "文件是空的（0 字节），请检查后重新选择。"}
	}
	return nil
}

// allowedTypesText ends every type refusal, so the user learns what would be accepted.
const allowedTypesText = "仅支持上传以下类型的文件：PDF、JPG/JPEG、PNG、Word（DOC、DOCX）、Excel（XLS、XLSX）。"

// SanitizeFileName returns the name to keep for display and download. Names that try to say
// where the file goes (separators, "..") or hide what it is (control and invisible format
// characters such as the right-to-left override) are refused with a reason; characters that
// Windows cannot save are replaced.
func SanitizeFileName(raw string) (string, *validate.FieldError) {
	bad := func(code, msg string) (string, *validate.FieldError) {
		return "", &validate.FieldError{Field: AttachmentFormField, Code: code, Message: msg}
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
		msg := "不支持“" + ClipText(ext, 16) + "”类型的文件。" + allowedTypesText
		if ext == "" {
			msg = "文件名缺少扩展名，无法判断文件类型。" + allowedTypesText
		}
		return "", &validate.FieldError{Field: AttachmentFormField, Code: "file_type", Message: msg}
	}
	head := make([]byte, 512) // all http.DetectContentType looks at
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return "", &validate.FieldError{Field: AttachmentFormField, Code: "file_unreadable", Message: "无法读取上传的文件，请重新上传。"}
	}
	if !kind.matches(head[:n], f, size) {
		return "", &validate.FieldError{Field: AttachmentFormField, Code: "file_content",
			Message: "文件内容与扩展名“" + ext + "”不符，不是真正的" + kind.label + "文件（可能是改了扩展名的其他文件）。" + allowedTypesText}
	}
	return kind.contentType, nil
}

func ClipText(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// AttachmentDomain is the authorization domain of the enterprise an attachment belongs to,
// from the enterprise's current jurisdiction (the one recorded at upload is only for lists).
func (s *Service) AttachmentDomain(ctx context.Context, att models.Attachment) (string, error) {
	e, err := s.db.EnterpriseByID(ctx, att.EnterpriseID)
	if err != nil {
		return "", err
	}
	return policies.EnterpriseDomain(e.JurisdictionCode, e.ID), nil
}

// ReadAttachment loads an attachment version for a caller who may read its enterprise's
// application: the enterprise, its county, league and region, and an expert only while
// holding an open task on one of the enterprise's cases. A refusal is audited.
func (s *Service) ReadAttachment(ctx context.Context, a *Actor, id string) (models.Attachment, error) {
	if a == nil {
		return models.Attachment{}, ErrUnauthenticated
	}
	att, err := s.db.AttachmentByID(ctx, id)
	if err != nil {
		return att, err
	}
	domain, err := s.AttachmentDomain(ctx, att)
	if err != nil {
		return att, err
	}
	return att, s.RequireRelated(ctx, a, "application", "read", domain, func(dom.Relation) (bool, error) {
		return s.db.HoldsOpenTaskOnEnterprise(ctx, a.User.ID, att.EnterpriseID)
	})
}

// AttachmentContent opens the stored content of an attachment version.
func (s *Service) AttachmentContent(ctx context.Context, att models.Attachment) (io.ReadCloser, error) {
	return s.att.store.Open(ctx, att.StorageKey)
}

// MaxUploadSize is the largest attachment accepted.
func (s *Service) MaxUploadSize() int64 { return s.att.maxSize }

// ErrPurposeText says that purpose is unknown and which ones are accepted.
func ErrPurposeText(purpose string) string {
	ps := make([]string, 0, len(models.AttachmentPurposeNames))
	for p := range models.AttachmentPurposeNames {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return "附件用途“" + ClipText(purpose, 32) + "”无效，应为 " + strings.Join(ps, "、") + " 之一。"
}
