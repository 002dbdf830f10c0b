package domain

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/models/validate"
)

// Input limits: every free-text field's longest value (in characters, as PostgreSQL counts a
// VARCHAR(n)) and character rule, every number's and every date's range. The validators of the
// use cases and the workflows check typed values here, and the API's input guard checks what no
// field rule sees (null bytes, invalid UTF-8, integers no column holds), so that nothing reaches
// a workflow or the database that the database would refuse. The declaration also sizes the
// columns: TestInputLimitsFitTheColumns (package models) reads the migrated schema and fails
// when a field's columns hold less than its limit, or when a bounded column has no declaration
// (here or in SystemColumns).

// Text is the rule of one free-text field.
type Text struct {
	// Label names the field in messages.
	Label string
	// Max is the most characters (runes) the field may hold.
	Max int
	// Multiline lets the value hold line breaks and tabs (a textarea); no other control
	// character is ever allowed.
	Multiline bool
	// Columns are the "table.column"s the value is stored in; each must hold Max characters.
	Columns []string
}

// Codes of the faults Text.Check answers.
const (
	CodeTooLong      = "too_long"
	CodeBadCharacter = "bad_character"
	CodeOutOfRange   = "out_of_range"
)

// Check answers the fault of v under the rule, or nil. It does not trim: callers check the
// value they store.
func (t Text) Check(v string) *validate.Fault {
	if msg := CharacterRule(v, t.Multiline); msg != "" {
		return &validate.Fault{Code: CodeBadCharacter, Message: t.Label + msg}
	}
	if n := utf8.RuneCountInString(v); n > t.Max {
		return &validate.Fault{Code: CodeTooLong, Message: fmt.Sprintf("%s不超过 %d 个字符（现有 %d 个）。", t.Label, t.Max, n)}
	}
	return nil
}

// Add checks v and adds its fault to errs under field.
func (t Text) Add(errs *validate.Errors, field, v string) {
	if f := t.Check(v); f != nil {
		errs.AddError(field, f)
	}
}

// CharacterRule checks the characters of any typed text: valid UTF-8, no null byte and no
// other control character but, in a multi-line value, tab and line breaks. It answers the end
// of a message ("含有…") or "".
func CharacterRule(v string, multiline bool) string {
	if msg := Storable(v); msg != "" {
		return msg
	}
	for _, r := range v {
		switch {
		case multiline && (r == '\t' || r == '\n' || r == '\r'):
		case r < 0x20 || r == 0x7f:
			return "含有不可见的控制字符，请删除后重新输入。"
		}
	}
	return ""
}

// Storable checks what any text column can store, whatever the field: valid UTF-8 and no null
// byte (PostgreSQL refuses both). It answers the end of a message ("含有…") or "".
func Storable(v string) string {
	if !utf8.ValidString(v) {
		return "含有无法识别的字符（不是有效的 UTF-8 编码），请删除后重新输入。"
	}
	if strings.IndexByte(v, 0) >= 0 {
		return "含有空字符（\\0），请删除后重新输入。"
	}
	return ""
}

// The free-text fields. Columns list every column a value is copied into, so a value that
// passes its rule fits wherever it goes.
var (
	Username = Text{Label: "用户名", Max: 64, Columns: []string{"users.username"}}
	// PersonName is an account holder's name, which also stands in audit rows and timelines.
	PersonName = Text{Label: "姓名", Max: 64, Columns: []string{"users.display_name", "audit_log.actor_name",
		"case_events.actor_name", "occupation_imports.imported_by"}}
	Email       = Text{Label: "电子邮箱", Max: 128, Columns: []string{"users.email"}}
	Phone       = Text{Label: "电话", Max: 32, Columns: []string{"users.phone"}}
	TokenName   = Text{Label: "令牌名称", Max: 64, Columns: []string{"api_tokens.name"}}
	SearchQuery = Text{Label: "查询条件", Max: 100}

	EnterpriseName = Text{Label: "企业名称", Max: 128, Columns: []string{"enterprises.name", "cases.enterprise_name",
		"tasks.enterprise_name", "directory_entries.enterprise_name", "assessment_sessions.enterprise_name", "certificates.issuer_name"}}
	Address      = Text{Label: "地址", Max: 256, Columns: []string{"enterprises.address", "directory_entries.address"}}
	ContactName  = Text{Label: "联系人", Max: 64, Columns: []string{"league_collections.contact_name", "directory_entries.contact_name"}}
	ContactPhone = Text{Label: "联系电话", Max: 32, Columns: []string{"league_collections.contact_phone", "directory_entries.contact_phone"}}

	JurisdictionName = Text{Label: "名称", Max: 64, Columns: []string{"jurisdictions.name"}}
	OccupationName   = Text{Label: "职业名称", Max: 64, Columns: []string{"occupation_exclusions.name",
		"assessment_sessions.occupation_name", "certificates.occupation_name"}}
	WorkType = Text{Label: "工种", Max: 64, Columns: []string{"assessment_sessions.work_type", "certificates.work_type"}}

	// Reason is the reason of an administrative act (disable, override, revoke, return …).
	Reason  = Text{Label: "理由", Max: 500, Multiline: true, Columns: []string{"audit_log.reason", "supervision_reports.return_reason"}}
	Comment = Text{Label: "意见", Max: 2000, Multiline: true}
	// FieldPath is a short machine value typed or sent by a client: a field name a reason
	// points at, an occupation code, an attachment ID, a role label.
	FieldPath = Text{Label: "字段", Max: 128}
	// RequestKey is a client's idempotency key.
	RequestKey = Text{Label: "request_key", Max: 64, Columns: []string{"tasks.request_key"}}

	SittingSite   = Text{Label: "考核地点", Max: 200, Columns: []string{"assessment_sessions.site"}}
	AssessorName  = Text{Label: "考评人员姓名", Max: 64}
	CandidateName = Text{Label: "考生姓名", Max: 64, Columns: []string{"session_candidates.name", "certificates.holder_name"}}
	// Ethics (品德) and Performance (业绩、创新成果) are recorded with a candidate's scores.
	Ethics      = Text{Label: "品德表现", Max: 500, Multiline: true, Columns: []string{"session_candidates.ethics"}}
	Performance = Text{Label: "业绩、创新成果", Max: 1000, Multiline: true, Columns: []string{"session_candidates.performance"}}
	// EligibilitySource names the standard an occupation's eligibility override comes from.
	EligibilitySource = Text{Label: "依据", Max: 200, Columns: []string{"eligibility_rules.source"}}

	Complainant      = Text{Label: "投诉人姓名", Max: 64, Columns: []string{"complaints.complainant"}}
	ComplaintContact = Text{Label: "联系方式", Max: 64, Columns: []string{"complaints.contact"}}
	ComplaintContent = Text{Label: "投诉内容", Max: 5000, Multiline: true, Columns: []string{"complaints.content"}}

	DrawTitle           = Text{Label: "督导批次名称", Max: 200, Columns: []string{"supervision_draws.title"}}
	SupervisionFindings = Text{Label: "督导意见", Max: 5000, Multiline: true, Columns: []string{"supervision_reports.findings"}}
	AttachmentName      = Text{Label: "文件名", Max: 255, Columns: []string{"attachments.name"}}

	// ExpertEmployer is an expert's employer, which recuses the expert from its enterprise's panel.
	ExpertEmployer = Text{Label: "工作单位", Max: 128, Columns: []string{"experts.employer"}}
	// ExpertField is an expert's field of expertise (专业领域).
	ExpertField = Text{Label: "专业领域", Max: 128, Columns: []string{"experts.speciality"}}
	// Objections to a publicity of results (domain/publicity.go) and the working-day table.
	Objector         = Text{Label: "异议人姓名", Max: 64, Columns: []string{"result_objections.objector"}}
	ObjectionContact = Text{Label: "联系方式", Max: 64, Columns: []string{"result_objections.contact"}}
	ObjectionContent = Text{Label: "异议内容", Max: 5000, Multiline: true, Columns: []string{"result_objections.content"}}
	CalendarNote     = Text{Label: "说明", Max: 64, Columns: []string{"work_calendar_days.note"}}
)

// Texts are all the free-text fields, for the schema test.
var Texts = []Text{Username, PersonName, Email, Phone, TokenName, SearchQuery, EnterpriseName, Address, ContactName,
	ContactPhone, JurisdictionName, OccupationName, WorkType, Reason, Comment, FieldPath, RequestKey, SittingSite, AssessorName,
	CandidateName, Ethics, Performance, EligibilitySource, Complainant, ComplaintContact, ComplaintContent, DrawTitle, SupervisionFindings, AttachmentName,
	ExpertEmployer, ExpertField, Objector, ObjectionContact, ObjectionContent, CalendarNote}

// The paper receipt's typed fields (paper.go) are checked with the others.
func init() { Texts = append(Texts, PaperReceivedBy, PaperRemark) }

// SystemColumns are the bounded columns no typed text reaches: keys, codes and states the
// system chooses, hashes, and identifiers checked by their own rule (credit codes, certificate
// numbers, ID-number lookups). A new bounded column goes either here or under a Text.
var SystemColumns = []string{
	"jurisdictions.code", "jurisdictions.level", "jurisdictions.parent_code", "jurisdictions.area_code",
	"enterprises.id", "enterprises.credit_code", "enterprises.jurisdiction_code", "enterprises.site_serial",
	"users.id", "users.password_hash", "users.role", "users.jurisdiction_code", "users.enterprise_id",
	"sessions.token_hash", "sessions.user_id", "sessions.user_agent", "sessions.remote_addr", "sessions.method",
	// The unified identity platform's links (the issuer from config, the subject from a verified
	// ID token) and the staff ID (checked by its own rule, service.SetStaffID and the roster).
	"identity_links.id", "identity_links.audience", "identity_links.issuer", "identity_links.subject",
	"identity_links.user_id", "identity_links.matched_by", "users.staff_id",
	// Complaint receipts: drawn by the system (service/complaint_receipts.go).
	"complaints.receipt_code", "complaints.receipt_pin",
	"api_tokens.id", "api_tokens.user_id", "api_tokens.token_hash",
	"password_history.id", "password_history.user_id", "password_history.password_hash",
	// The login history: the username typed is cut to the column (service.recordLogin).
	"login_attempts.id", "login_attempts.user_id", "login_attempts.username", "login_attempts.addr",
	"login_attempts.method", "login_attempts.result",
	// Two-factor login (migration 00028): IDs and SHA-256 hex of recovery codes.
	"totp_recovery_codes.id", "totp_recovery_codes.user_id", "totp_recovery_codes.code_hash",
	"throttles.purpose", "throttles.subject", "captchas.id", "captchas.answer_hash",
	"audit_log.actor_id", "audit_log.role", "audit_log.jurisdiction_code", "audit_log.action", "audit_log.object_type",
	"audit_log.object_id", "audit_log.outcome", "audit_log.request_id", "audit_log.prev_hash", "audit_log.hash",
	// Suites, keys and the audit checkpoints (migrations 00020, 00021): chosen by the system.
	"audit_log.hash_alg", "audit_checkpoints.last_hash", "audit_checkpoints.sig_alg", "audit_checkpoints.sig_key",
	"certificates.sig_alg", "certificates.sig_key", "crypto_keys.fingerprint", "crypto_keys.purpose",
	"applications.id", "applications.enterprise_id", "applications.campaign_id", "applications.status",
	"applications.credit_code", "applications.credit_code_override",
	"application_versions.application_id", "application_versions.credit_code",
	"application_versions.submitted_by",
	"application_returns.application_id", "application_returns.returned_by",
	"attachments.id", "attachments.enterprise_id", "attachments.jurisdiction_code",
	"attachments.purpose", "attachments.content_type", "attachments.sha256", "attachments.storage_key",
	"attachments.uploaded_by", "attachments.replaces_id", "attachments.slot_id", "attachments.session_id",
	"campaigns.id", "campaigns.status",
	"league_collections.id", "league_collections.campaign_id", "league_collections.jurisdiction_code",
	"league_collections.status", "league_collections.submitted_by",
	"cases.id", "cases.workflow_id", "cases.campaign_id", "cases.enterprise_id", "cases.application_id",
	"cases.jurisdiction_code", "cases.league_code", "cases.stage", "cases.status", "cases.outcome", "cases.waiting_on",
	"cases.sla_state",
	"tasks.id", "tasks.workflow_id", "tasks.case_id", "tasks.kind", "tasks.title", "tasks.stage", "tasks.candidate_role",
	"tasks.candidate_domain", "tasks.jurisdiction_code", "tasks.league_code", "tasks.campaign_id", "tasks.assignee_id",
	"tasks.status", "tasks.sla_state", "tasks.outcome", "tasks.decided_by",
	"case_events.id", "case_events.case_id", "case_events.kind", "case_events.stage", "case_events.actor_id",
	"case_events.actor_role",
	"transitions.transition_key",
	"notifications.id", "notifications.dedupe_key", "notifications.user_id", "notifications.kind", "notifications.subject",
	"notifications.status", "notifications.case_id", "notifications.claim_token", "notifications.delivery_note",
	"directory_entries.campaign_id", "directory_entries.case_id", "directory_entries.enterprise_id",
	"directory_entries.jurisdiction_code", "directory_entries.status",
	"complaints.id", "complaints.enterprise_id", "complaints.case_id", "complaints.jurisdiction_code", "complaints.status",
	"complaints.outcome",
	"findings.id", "findings.finding_key", "findings.kind", "findings.case_id", "findings.task_id",
	"findings.jurisdiction_code",
	"experts.user_id",
	"occupation_imports.id", "occupation_imports.source_name",
	"occupation_exclusions.code", "occupation_exclusions.created_by",
	"assessment_sessions.id", "assessment_sessions.workflow_id", "assessment_sessions.case_id",
	"assessment_sessions.enterprise_id", "assessment_sessions.jurisdiction_code", "assessment_sessions.occupation_code",
	"assessment_sessions.status",
	"session_candidates.id", "session_candidates.session_id", "session_candidates.id_lookup",
	"session_candidates.id_masked", "session_candidates.result", "session_candidates.audit_status",
	"session_candidates.stat_gender",
	"session_candidates.certificate_number", "session_candidates.education",
	"session_candidates.id_type", "session_candidates.gender", "session_candidates.photo_key", "session_candidates.photo_type",
	"session_candidates.photo_sha256", "certificates.id_type", "certificates.gender", "certificates.photo_key",
	"certificates.photo_type", "certificates.photo_sha256", "enterprises.filing_code",
	"eligibility_rules.occupation_code", "eligibility_rules.updated_by",
	"supervision_draws.id", "supervision_draws.jurisdiction_code", "supervision_draws.created_by",
	"supervision_reports.id", "supervision_reports.draw_id", "supervision_reports.session_id",
	"supervision_reports.supervisor_id", "supervision_reports.rating", "supervision_reports.status",
	"supervision_reports.reviewed_by",
	"certificates.id", "certificates.number", "certificates.session_id", "certificates.candidate_key",
	"certificates.id_lookup", "certificates.id_masked", "certificates.occupation_code", "certificates.status",
	"certificates.token", "certificates.signature", "certificates.enterprise_id", "certificates.case_id", "certificate_serials.enterprise_id",

	"work_calendar_days.day", "work_calendar_days.kind", "work_calendar_days.updated_by",
	"region_settings.name", "region_settings.value", "region_settings.updated_by",
	"result_objections.id", "result_objections.session_id", "result_objections.candidate_id", "result_objections.status",
	"result_objections.task_id", "result_objections.decided_by",
	"certificate_sync.certificate_id", "certificate_sync.claim_token", "certificate_sync.action", "certificate_sync.status",
	"document_counters.kind", "document_counters.scope", "document_numbers.id", "document_numbers.kind", "document_numbers.subject",
	"document_numbers.scope", "document_numbers.number", "document_numbers.issued_by",
	"paper_receipts.case_id", "paper_receipts.received_on", "paper_receipts.recorded_by",
}

// Range is the rule of an integer input.
type Range struct {
	Label    string
	Min, Max int64
}

// Check answers the fault of n under the rule, or nil.
func (r Range) Check(n int64) *validate.Fault {
	if n < r.Min || n > r.Max {
		return &validate.Fault{Code: CodeOutOfRange, Message: fmt.Sprintf("%s应为 %d 至 %d 的整数。", r.Label, r.Min, r.Max)}
	}
	return nil
}

// Parse reads a typed integer ("" is ok=false, no fault) and checks it; an integer too large
// for any type is out of range too.
func (r Range) Parse(v string) (n int, ok bool, fault *validate.Fault) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false, nil
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); isNum && ne.Err == strconv.ErrRange {
			return 0, false, r.Check(clampSign(v))
		}
		return 0, false, &validate.Fault{Code: "not_integer", Message: r.Label + "应为整数。"}
	}
	if f := r.Check(i); f != nil {
		return 0, false, f
	}
	return int(i), true, nil
}

func clampSign(v string) int64 {
	if strings.HasPrefix(v, "-") {
		return -1 << 63
	}
	return 1<<63 - 1
}

// The integer inputs. Storage is what a 32-bit INTEGER column holds, the widest a declared
// number field may be; any other JSON integer must fit 64 bits (the draw seed, a BIGINT, is
// checked by its use case).
var (
	Storage = Range{Label: "数值", Min: -1 << 31, Max: 1<<31 - 1}
	Batch   = Range{Label: "批次", Min: 1, Max: 2}
	Level   = Range{Label: "等级", Min: 1, Max: 5}
	Score   = Range{Label: "成绩", Min: 0, Max: 100}
	Page    = Range{Label: "页码", Min: 1, Max: 100000}
	Version = Range{Label: "版本号", Min: 1, Max: Storage.Max}
	TTLDays = Range{Label: "有效期", Min: 1, Max: 365}
)

// NumberFields are the names under which requests carry integers (query parameters, form fields
// and JSON keys alike); the API's input guard refuses any of them a 32-bit column cannot hold,
// before a handler parses it.
var NumberFields = map[string]bool{
	"batch": true, "page": true, "limit": true, "offset": true, "year": true, "version": true, "v": true,
	"draft_version": true, "application_version": true, "level": true, "score": true, "theory": true, "skill": true,
	"review": true, "quantity": true, "ttl_days": true, "sessions": true, "per_session": true, "count": true,
	"years_in_occupation": true, "held_level": true, "held_year": true,
}

// DateRange is the range of a typed calendar date (Asia/Shanghai).
type DateRange struct {
	Label    string
	Min, Max time.Time
}

// Check answers the fault of d under the rule, or nil.
func (r DateRange) Check(d time.Time) *validate.Fault {
	if d.Before(r.Min) || d.After(r.Max) {
		return &validate.Fault{Code: CodeOutOfRange, Message: fmt.Sprintf("%s应在 %s 至 %s 之间。", r.Label,
			r.Min.In(Shanghai).Format("2006-01-02"), r.Max.In(Shanghai).Format("2006-01-02"))}
	}
	return nil
}

// The date inputs. A date outside the pilot's era (year 0001, 9999-12-31) is a typing error that
// would make timers and due dates meaningless; the exam date has its own rule (ExamDateRule).
var (
	PilotDates = DateRange{Label: "日期", Min: time.Date(2000, 1, 1, 0, 0, 0, 0, Shanghai),
		Max: time.Date(2099, 12, 31, 23, 59, 59, 0, Shanghai)}
	DeadlineDates = DateRange{Label: "截止日期", Min: PilotDates.Min, Max: PilotDates.Max}
)
