package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/occupations"
	"skillcert/models/pii"
	"skillcert/models/validate"
	"skillcert/policies"
)

// maxFormBytes bounds a draft body. A full form with hundreds of rows is well under 1 MiB;
// attachments travel separately.
const maxFormBytes = 4 << 20

// maxOverrideReason bounds the reason of a credit-code override, in characters.
const maxOverrideReason = 500

// applicationState is the application-form feature's state on the server.
type applicationState struct {
	// sealer encrypts ID numbers at rest and opens them for those allowed to read them.
	sealer *pii.Sealer
	// dict is the occupation dictionary the form is checked against.
	dict *occupations.Dictionary
	// excluded reports the access-type occupations of the region's editable list.
	excluded func(code string) bool
	// submitted hands a stored submission to the lifecycle: s.onApplicationSubmitted, which
	// tests replace. It must be idempotent per application and version, because a client
	// retrying a submission whose hand-over failed calls it again.
	submitted func(ctx context.Context, a *Actor, sub SubmittedApplication) error
}

func (s *Server) initApplications(d Deps) error {
	sealer, err := pii.New(d.DataKey, d.LookupKey)
	if err != nil {
		return fmt.Errorf("api: keys for ID numbers: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dict, err := s.db.OccupationDictionary(ctx)
	if err != nil {
		return fmt.Errorf("api: occupation dictionary: %w", err)
	}
	s.apps = applicationState{sealer: sealer, dict: dict, excluded: s.isExcluded, submitted: s.onApplicationSubmitted}
	return s.refreshExclusions(ctx)
}

// applicationRoutes serves the application form (附件1): the enterprise's draft, submission
// with strict validation, submitted versions and their comparison, and the region's override
// of a credit code whose check character fails. Every route is authorised in the domain of
// the application's enterprise node, so the enterprise, its county, league and the region
// reach it and nobody else does.
func (s *Server) applicationRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	g := v1.Group("/applications", s.requireAPILogin)
	g.GET("/mine", s.authorize("application", "read", ownScope), s.json(s.apiMyApplication))
	g.GET("/:id", s.authorize("application", "read", s.applicationScope), s.json(s.apiApplication))
	g.PUT("/:id/draft", s.authorize("application", "edit", s.applicationScope), s.json(s.apiSaveDraft))
	g.POST("/:id/submit", s.authorize("application", "submit", s.applicationScope), s.json(s.apiSubmitApplication))
	g.GET("/:id/versions", s.authorize("application", "read", s.applicationScope), s.json(s.apiApplicationVersions))
	g.GET("/:id/versions/:v", s.authorize("application", "read", s.applicationScope), s.json(s.apiApplicationVersion))
	g.GET("/:id/compare", s.authorize("application", "read", s.applicationScope), s.json(s.apiCompareVersions))
	g.POST("/:id/credit-code-override", s.authorize("application", "override", s.applicationScope), s.json(s.apiCreditCodeOverride))
}

const applicationKey = "skillcert.application"

// loadedApplication is the application a request acts on, loaded once by its scope function.
type loadedApplication struct {
	rec    models.ApplicationRecord
	ent    models.Enterprise
	domain string
}

// applicationScope loads the application named by :id and returns its enterprise's domain.
// The enterprise is read afresh, so an enterprise moved to another county is judged where it
// is now.
func (s *Server) applicationScope(c *gin.Context, _ *Actor) (string, error) {
	ctx := c.Request.Context()
	rec, err := s.db.ApplicationByID(ctx, c.Param("id"))
	if err != nil {
		return "", err
	}
	ent, err := s.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return "", err
	}
	la := &loadedApplication{rec: rec, ent: ent, domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}
	c.Set(applicationKey, la)
	return la.domain, nil
}

func loadedFrom(c *gin.Context) *loadedApplication {
	return c.MustGet(applicationKey).(*loadedApplication)
}

// Errors of the application routes.
var (
	errNoEnterprise = newError(http.StatusNotFound, "no_enterprise", "只有企业用户才有本单位的申报表。")
	errNotEditable  = newError(http.StatusConflict, "not_editable", "申报表已提交或已办结，当前不能修改或再次提交；如需修改请等待退回补正。")
)

func errStaleDraft(current int) *Error {
	return newError(http.StatusConflict, "stale_draft", fmt.Sprintf(
		"申报表已在其他窗口或由他人保存过（当前为第%d稿），为避免覆盖，本次未保存。请先复制您的修改，刷新页面后再保存。", current))
}

// draftError maps the errors of saving or submitting a draft.
func (s *Server) draftError(ctx context.Context, id string, err error) error {
	switch {
	case errors.Is(err, models.ErrNotEditable):
		return errNotEditable
	case errors.Is(err, models.ErrConflict):
		cur, rerr := s.db.ApplicationByID(ctx, id)
		if rerr != nil {
			return rerr
		}
		return errStaleDraft(cur.DraftVersion)
	}
	return err
}

// returnView is the latest return for correction, with the reasons also grouped by field so
// a form can show each next to its input.
type returnView struct {
	Version    int                   `json:"version"`
	ReturnedAt time.Time             `json:"returned_at"`
	Reasons    []models.ReturnReason `json:"reasons"`
	ByField    map[string][]string   `json:"by_field"`
}

// applicationView is the answer of GET /applications/:id and /applications/mine.
type applicationView struct {
	ID             string     `json:"id"`
	EnterpriseID   string     `json:"enterprise_id"`
	EnterpriseName string     `json:"enterprise_name"`
	CampaignID     string     `json:"campaign_id"`
	Status         string     `json:"status"`
	StatusName     string     `json:"status_name"`
	DraftVersion   int        `json:"draft_version"`
	CurrentVersion int        `json:"current_version"`
	SubmittedAt    *time.Time `json:"submitted_at,omitempty"`
	UpdatedAt      time.Time  `json:"updated_at"`
	// Editable is true when the caller may save and submit now.
	Editable bool `json:"editable"`
	// CreditCodeOverride is the code the region accepted despite its check character.
	CreditCodeOverride string `json:"credit_code_override,omitempty"`
	// FormSource says what Form holds: "draft" for those who may edit, otherwise "version"
	// (the latest submitted one; officials judge what was submitted, not a copy being written)
	// or "none" before the first submission.
	FormSource  string         `json:"form_source"`
	FormVersion int            `json:"form_version,omitempty"`
	Form        *appcheck.Form `json:"form"`
	// IDsMasked is true when the ID numbers in Form are masked (the caller may not read
	// personal data here).
	IDsMasked bool `json:"ids_masked"`
	// Warnings are the faults of what has been typed so far (draft mode: nothing is required
	// yet), for the editor.
	Warnings validate.Errors `json:"warnings"`
	Return   *returnView     `json:"return,omitempty"`
}

// apiMyApplication returns the enterprise user's application of the current campaign,
// creating an empty draft pre-filled from the enterprise's registration on the first visit.
func (s *Server) apiMyApplication(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
	if a.User.Role != models.RoleEnterpriseUser || a.User.Enterprise() == "" {
		return errNoEnterprise
	}
	ent, err := s.db.EnterpriseByID(ctx, a.User.Enterprise())
	if err != nil {
		return err
	}
	campaign, err := s.campaignFor(ctx, s.now())
	if err != nil {
		return err
	}
	domain := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	rec, err := s.db.ApplicationOf(ctx, ent.ID, campaign)
	if errors.Is(err, models.ErrNotFound) {
		if !s.enf.Allowed(a.User.ID, domain, "application", "edit") {
			s.deny(c, a, "application", "edit", domain)
			return nil
		}
		var initial models.Application
		initial.Applicant = models.Applicant{Name: ent.Name, Address: ent.Address, CreditCode: ent.CreditCode}
		var created bool
		rec, created, err = s.db.OpenApplication(ctx, ent.ID, campaign, initial, s.now())
		if err != nil {
			return err
		}
		if created {
			_ = s.audit(ctx, a, models.AuditEntry{Action: "application.create", ObjectType: "application", ObjectID: rec.ID,
				JurisdictionCode: ent.JurisdictionCode, AfterState: models.ApplicationDraft, Reason: "campaign " + campaign})
		}
	} else if err != nil {
		return err
	}
	v, err := s.applicationView(c, a, &loadedApplication{rec: rec, ent: ent, domain: domain})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// apiApplication returns one application: its status, the form (draft or latest version, see
// applicationView.FormSource) and the latest return reasons.
func (s *Server) apiApplication(c *gin.Context) error {
	v, err := s.applicationView(c, actorFrom(c), loadedFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// applicationView builds the view for the caller: ID numbers in clear only for roles that may
// read personal data in the application's domain, masked otherwise.
func (s *Server) applicationView(c *gin.Context, a *Actor, la *loadedApplication) (applicationView, error) {
	ctx := c.Request.Context()
	rec := la.rec
	canEdit := s.enf.Allowed(a.User.ID, la.domain, "application", "edit")
	reveal := s.enf.Allowed(a.User.ID, la.domain, "personal_data", "read")
	v := applicationView{ID: rec.ID, EnterpriseID: rec.EnterpriseID, EnterpriseName: la.ent.Name, CampaignID: rec.CampaignID,
		Status: rec.Status, StatusName: models.ApplicationStatusNames[rec.Status], DraftVersion: rec.DraftVersion,
		CurrentVersion: rec.CurrentVersion, SubmittedAt: rec.SubmittedAt, UpdatedAt: rec.UpdatedAt,
		Editable: canEdit && models.ApplicationEditable(rec.Status), CreditCodeOverride: rec.CreditCodeOverride,
		IDsMasked: !reveal, Warnings: validate.Errors{}, FormSource: "none"}

	var content models.Application
	var err error
	switch {
	case canEdit:
		v.FormSource = "draft"
		content, err = rec.Draft()
	case rec.CurrentVersion > 0:
		v.FormSource, v.FormVersion = "version", rec.CurrentVersion
		var ver models.ApplicationVersion
		if ver, err = s.db.ApplicationVersionByNumber(ctx, rec.ID, rec.CurrentVersion); err == nil {
			content, err = ver.Content()
		}
	}
	if err != nil {
		return v, err
	}
	if v.FormSource != "none" {
		form, err := appcheck.FromApplication(content, s.apps.sealer, reveal)
		if err != nil {
			return v, fmt.Errorf("open application %s: %w", rec.ID, err)
		}
		if v.FormSource == "draft" {
			form.Applicant.CreditCodeOverride = overridden(rec, form.Applicant.CreditCode)
			if v.Editable && reveal {
				v.Warnings = s.draftWarnings(form.Normalize())
			}
		}
		v.Form = &form
		s.auditPersonalDataRead(ctx, a, la, reveal, content, v.FormSource+" "+strconv.Itoa(v.FormVersion))
	}

	ret, err := s.db.LatestReturn(ctx, rec.ID)
	switch {
	case err == nil:
		reasons, err := ret.Reasons()
		if err != nil {
			return v, err
		}
		rv := &returnView{Version: ret.Version, ReturnedAt: ret.ReturnedAt, Reasons: reasons, ByField: map[string][]string{}}
		for _, r := range reasons {
			rv.ByField[r.Field] = append(rv.ByField[r.Field], r.Message)
		}
		v.Return = rv
	case !errors.Is(err, models.ErrNotFound):
		return v, err
	}
	return v, nil
}

// overridden reports whether code (as typed) is the code the region accepted for rec.
func overridden(rec models.ApplicationRecord, code string) bool {
	return rec.CreditCodeOverride != "" && validate.NormalizeCreditCode(code) == rec.CreditCodeOverride
}

// auditPersonalDataRead records that an official was shown ID numbers in clear (PIPL: access
// to sensitive personal information is traceable). The enterprise reading its own people is
// not recorded; nor is a view without any ID number.
func (s *Server) auditPersonalDataRead(ctx context.Context, a *Actor, la *loadedApplication, reveal bool, app models.Application, what string) {
	if !reveal || a.User.Role == models.RoleEnterpriseUser {
		return
	}
	n := 0
	for _, r := range app.Staff {
		n += min(len(r.ID.Cipher), 1)
	}
	for _, r := range append(append([]models.ExpertRow{}, app.Assessors...), app.Supervisors...) {
		n += min(len(r.ID.Cipher), 1)
	}
	if n == 0 {
		return
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "personal_data.read", ObjectType: "application", ObjectID: la.rec.ID,
		JurisdictionCode: la.ent.JurisdictionCode, Reason: fmt.Sprintf("%s: %d ID numbers shown", strings.TrimSpace(what), n)})
}

// draftWarnings are the faults of what has been typed so far: draft mode, nothing required.
func (s *Server) draftWarnings(form appcheck.Form) validate.Errors {
	errs := appcheck.ValidateForm(form, appcheck.Input{Dictionary: s.apps.dict, Excluded: s.apps.excluded,
		Today: s.now().In(s.cfg.Location), Mode: appcheck.Draft})
	if errs == nil {
		errs = validate.Errors{}
	}
	return errs
}

// attachmentChecker returns the existence check for submit and a pointer to the first database
// error it met.
func (s *Server) attachmentChecker(ctx context.Context, enterpriseID string) (func(models.AttachmentRef) bool, *error) {
	var dbErr error
	return func(r models.AttachmentRef) bool {
		att, err := s.db.AttachmentByID(ctx, r.ID)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) && dbErr == nil {
				dbErr = err
			}
			return false
		}
		return att.EnterpriseID == enterpriseID && (r.SHA256 == "" || r.SHA256 == att.SHA256)
	}, &dbErr
}

// draftRequest is the body of PUT /applications/:id/draft.
type draftRequest struct {
	// DraftVersion is the draft_version the client loaded; a later save by anyone makes this
	// save a 409 instead of silently overwriting it.
	DraftVersion int           `json:"draft_version"`
	Form         appcheck.Form `json:"form"`
}

// draftResponse answers a saved draft.
type draftResponse struct {
	DraftVersion int             `json:"draft_version"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Warnings     validate.Errors `json:"warnings"`
}

// decodeJSON reads a bounded JSON body and refuses unknown fields: a misspelt field would
// otherwise be dropped silently, and with it what the person typed.
func decodeJSON(c *gin.Context, limit int64, v any) error {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return newError(http.StatusRequestEntityTooLarge, "too_large", "提交的内容过大。")
		}
		return badRequest("bad_json", "请求内容不是有效的 JSON，或含有无法识别的字段。")
	}
	return nil
}

// apiSaveDraft stores the form as typed, without validating it, if the client edited the
// current draft version; it answers with the new version and the faults typed so far.
func (s *Server) apiSaveDraft(c *gin.Context) error {
	ctx := c.Request.Context()
	a, la := actorFrom(c), loadedFrom(c)
	var req draftRequest
	if err := decodeJSON(c, maxFormBytes, &req); err != nil {
		return err
	}
	if req.DraftVersion < 1 {
		return badRequest("missing_draft_version", "请提供所编辑草稿的 draft_version。")
	}
	if !models.ApplicationEditable(la.rec.Status) {
		return errNotEditable
	}
	prev, err := la.rec.Draft()
	if err != nil {
		return err
	}
	content, err := req.Form.ToApplication(s.apps.sealer, &prev)
	if err != nil {
		return err
	}
	// Only a region official sets the override, through its own audited route.
	content.Applicant.CreditCodeOverride = false
	rec, err := s.db.SaveDraft(ctx, la.rec.ID, req.DraftVersion, content, s.now())
	if err != nil {
		return s.draftError(ctx, la.rec.ID, err)
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "application.save_draft", ObjectType: "application", ObjectID: rec.ID,
		JurisdictionCode: la.ent.JurisdictionCode, BeforeState: "draft " + strconv.Itoa(req.DraftVersion),
		AfterState: "draft " + strconv.Itoa(rec.DraftVersion)})
	form := req.Form.Normalize()
	form.Applicant.CreditCodeOverride = overridden(rec, form.Applicant.CreditCode)
	c.JSON(http.StatusOK, draftResponse{DraftVersion: rec.DraftVersion, UpdatedAt: rec.UpdatedAt,
		Warnings: s.draftWarnings(form)})
	return nil
}

// submitRequest is the body of POST /applications/:id/submit.
type submitRequest struct {
	// DraftVersion is the draft version the person saw and means to submit.
	DraftVersion int `json:"draft_version"`
}

// submitResponse answers a stored submission.
type submitResponse struct {
	ApplicationID string    `json:"application_id"`
	Version       int       `json:"version"`
	Status        string    `json:"status"`
	SubmittedAt   time.Time `json:"submitted_at"`
	DraftVersion  int       `json:"draft_version"`
}

// apiSubmitApplication validates the saved draft against every rule and, if it passes, stores
// it as the next version with the ID numbers re-sealed in canonical form, marks the
// application submitted and hands it to the lifecycle. A failing form is answered 422 with all
// its faults and the draft is left exactly as it was. Submitting the same draft version again
// after success (a double click, or a retry after the hand-over failed) does not store another
// version: it hands the stored one over again and answers as before.
func (s *Server) apiSubmitApplication(c *gin.Context) error {
	ctx := c.Request.Context()
	a, la := actorFrom(c), loadedFrom(c)
	rec := la.rec
	var req submitRequest
	if err := decodeJSON(c, 1<<10, &req); err != nil {
		return err
	}
	if req.DraftVersion < 1 {
		return badRequest("missing_draft_version", "请提供要提交的草稿版本 draft_version。")
	}
	if rec.Status == models.ApplicationSubmitted && rec.SubmittedAt != nil && rec.DraftVersion == req.DraftVersion+1 {
		return s.handOver(c, a, la, rec.CurrentVersion, *rec.SubmittedAt, http.StatusOK)
	}
	if !models.ApplicationEditable(rec.Status) {
		return errNotEditable
	}
	if rec.DraftVersion != req.DraftVersion {
		return errStaleDraft(rec.DraftVersion)
	}

	draft, err := rec.Draft()
	if err != nil {
		return err
	}
	form, err := appcheck.FromApplication(draft, s.apps.sealer, true)
	if err != nil {
		return fmt.Errorf("open draft of %s: %w", rec.ID, err)
	}
	form = form.Normalize()
	form.Applicant.CreditCodeOverride = overridden(rec, form.Applicant.CreditCode)
	exists, dbErr := s.attachmentChecker(ctx, rec.EnterpriseID)
	in := appcheck.Input{Dictionary: s.apps.dict, Excluded: s.apps.excluded, Today: s.now().In(s.cfg.Location),
		AttachmentExists: exists}
	errs := appcheck.ValidateForm(form, in)
	if *dbErr != nil {
		return *dbErr
	}
	if len(errs) > 0 {
		return s.rejectSubmission(ctx, a, la, errs)
	}

	content, err := form.ToApplication(s.apps.sealer, &draft)
	if err != nil {
		return err
	}
	now := s.now()
	v, err := s.db.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: req.DraftVersion,
		Content: content, SubmittedBy: a.User.ID, At: now})
	switch {
	case errors.Is(err, models.ErrDuplicateApplication):
		return s.rejectSubmission(ctx, a, la, validate.Errors{{Field: "applicant.credit_code", Code: "duplicate_application",
			Message: fmt.Sprintf("统一社会信用代码%s在%s年度试点征集中已有申报，同一单位不能重复申报；如确属本单位，请联系属地人力资源社会保障部门核实。",
				content.Applicant.CreditCode, rec.CampaignID)}})
	case errors.Is(err, models.ErrCreditCodeTaken):
		return s.rejectSubmission(ctx, a, la, validate.Errors{{Field: "applicant.credit_code", Code: "credit_code_taken",
			Message: fmt.Sprintf("统一社会信用代码%s已登记为其他单位，请核对是否填写了本单位的代码。", content.Applicant.CreditCode)}})
	case err != nil:
		return s.draftError(ctx, rec.ID, err)
	}
	reason := ""
	if content.Applicant.CreditCodeOverride {
		reason = "credit code check overridden by the region"
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "application.submit", ObjectType: "application", ObjectID: rec.ID,
		JurisdictionCode: la.ent.JurisdictionCode, BeforeState: rec.Status,
		AfterState: models.ApplicationSubmitted + " v" + strconv.Itoa(v.Version), Reason: reason})
	la.rec.DraftVersion = req.DraftVersion + 1
	return s.handOver(c, a, la, v.Version, v.SubmittedAt, http.StatusCreated)
}

// rejectSubmission audits a refused submission — by field names only, never values — and
// answers 422 with every fault.
func (s *Server) rejectSubmission(ctx context.Context, a *Actor, la *loadedApplication, errs validate.Errors) error {
	fields := make([]string, 0, len(errs))
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "application.submit", ObjectType: "application", ObjectID: la.rec.ID,
		JurisdictionCode: la.ent.JurisdictionCode, Outcome: models.OutcomeRejected, BeforeState: la.rec.Status,
		Reason: truncate(fmt.Sprintf("%d field errors: %s", len(errs), strings.Join(fields, ", ")), 2000)})
	return invalid(errs)
}

// handOver passes a stored version to the lifecycle and answers the submission. If the
// lifecycle cannot take it now, the version stays stored and submitted, and the client is told
// to submit again later, which calls here again without storing anything.
func (s *Server) handOver(c *gin.Context, a *Actor, la *loadedApplication, version int, at time.Time, status int) error {
	ctx := c.Request.Context()
	sub := SubmittedApplication{ApplicationID: la.rec.ID, Version: version, EnterpriseID: la.rec.EnterpriseID, CampaignID: la.rec.CampaignID}
	if err := s.apps.submitted(ctx, a, sub); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return e
		}
		s.log.ErrorContext(ctx, "hand submitted application to lifecycle", "applicationID", sub.ApplicationID,
			"version", version, "err", err, "requestID", requestIDFrom(ctx))
		return newError(http.StatusServiceUnavailable, "handoff_pending", fmt.Sprintf(
			"申报表已保存为第%d版，但暂未能送交审核流程，请稍后再次点击提交（不会重复提交）。", version))
	}
	c.JSON(status, submitResponse{ApplicationID: la.rec.ID, Version: version, Status: models.ApplicationSubmitted,
		SubmittedAt: at, DraftVersion: la.rec.DraftVersion})
	return nil
}

// apiApplicationVersions lists the submitted versions.
func (s *Server) apiApplicationVersions(c *gin.Context) error {
	list, err := s.db.ApplicationVersions(c.Request.Context(), loadedFrom(c).rec.ID)
	if err != nil {
		return err
	}
	if list == nil {
		list = []models.ApplicationVersionInfo{}
	}
	c.JSON(http.StatusOK, wholeList(list))
	return nil
}

// versionView is one submitted version.
type versionView struct {
	ApplicationID string        `json:"application_id"`
	Version       int           `json:"version"`
	SubmittedAt   time.Time     `json:"submitted_at"`
	SubmittedBy   string        `json:"submitted_by"`
	Form          appcheck.Form `json:"form"`
	IDsMasked     bool          `json:"ids_masked"`
}

// apiApplicationVersion returns one submitted version, ID numbers as in applicationView.
func (s *Server) apiApplicationVersion(c *gin.Context) error {
	ctx := c.Request.Context()
	a, la := actorFrom(c), loadedFrom(c)
	n, err := strconv.Atoi(c.Param("v"))
	if err != nil || n < 1 {
		return badRequest("bad_version", "版本号应为正整数。")
	}
	ver, err := s.db.ApplicationVersionByNumber(ctx, la.rec.ID, n)
	if err != nil {
		return err
	}
	content, err := ver.Content()
	if err != nil {
		return err
	}
	reveal := s.enf.Allowed(a.User.ID, la.domain, "personal_data", "read")
	form, err := appcheck.FromApplication(content, s.apps.sealer, reveal)
	if err != nil {
		return fmt.Errorf("open application %s v%d: %w", la.rec.ID, n, err)
	}
	s.auditPersonalDataRead(ctx, a, la, reveal, content, "version "+strconv.Itoa(n))
	c.JSON(http.StatusOK, versionView{ApplicationID: la.rec.ID, Version: n, SubmittedAt: ver.SubmittedAt,
		SubmittedBy: ver.SubmittedBy, Form: form, IDsMasked: !reveal})
	return nil
}

// compareView is the answer of GET /applications/:id/compare.
type compareView struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Changes []appcheck.Change `json:"changes"`
}

// apiCompareVersions lists the fields that differ between two versions (?from=1&to=2); either
// may be "draft" for those who may edit. Without parameters it compares the latest version with
// the one before. ID numbers are compared by lookup hash and always shown masked.
func (s *Server) apiCompareVersions(c *gin.Context) error {
	a, la := actorFrom(c), loadedFrom(c)
	from, to := c.Query("from"), c.Query("to")
	if (from == "draft" || to == "draft") && !s.enf.Allowed(a.User.ID, la.domain, "application", "edit") {
		// Officials judge what was submitted, never a copy still being written.
		s.deny(c, a, "application", "edit", la.domain)
		return nil
	}
	if to == "" {
		to = strconv.Itoa(la.rec.CurrentVersion)
	}
	if from == "" {
		n, _ := strconv.Atoi(to)
		from = strconv.Itoa(n - 1)
	}
	before, err := s.versionContent(c, la, from)
	if err != nil {
		return err
	}
	after, err := s.versionContent(c, la, to)
	if err != nil {
		return err
	}
	changes := appcheck.Diff(&before, &after)
	if changes == nil {
		changes = []appcheck.Change{}
	}
	c.JSON(http.StatusOK, compareView{From: from, To: to, Changes: changes})
	return nil
}

// versionContent resolves a compare operand: a version number, or "draft".
func (s *Server) versionContent(c *gin.Context, la *loadedApplication, which string) (models.Application, error) {
	if which == "draft" {
		return la.rec.Draft() // the caller checked that the actor may edit
	}
	n, err := strconv.Atoi(which)
	if err != nil || n < 1 {
		return models.Application{}, badRequest("bad_version", "from 和 to 应为已提交的版本号（1、2、…）或 draft；只有一个版本时请指定 from 和 to。")
	}
	v, err := s.db.ApplicationVersionByNumber(c.Request.Context(), la.rec.ID, n)
	if err != nil {
		return models.Application{}, err
	}
	return v.Content()
}

// overrideRequest is the body of POST /applications/:id/credit-code-override.
type overrideRequest struct {
	// CreditCode is the code to accept; empty means the one in the current draft.
	CreditCode string `json:"credit_code"`
	// Reason says why the region accepts it (e.g. checked against the business licence).
	Reason string `json:"reason"`
	// Revoke withdraws an earlier override instead.
	Revoke bool `json:"revoke"`
}

// apiCreditCodeOverride lets a region official accept a genuine credit code whose check
// character fails (a few real codes do). It excuses only that fault of only that code, and is
// audited with its reason.
func (s *Server) apiCreditCodeOverride(c *gin.Context) error {
	ctx := c.Request.Context()
	a, la := actorFrom(c), loadedFrom(c)
	var req overrideRequest
	if err := decodeJSON(c, 8<<10, &req); err != nil {
		return err
	}
	var errs validate.Errors
	reason := strings.TrimSpace(req.Reason)
	if reason == "" {
		errs.Add("reason", validate.ErrRequired.Code, "请填写特批理由（如已核对营业执照原件）。")
	} else if utf8.RuneCountInString(reason) > maxOverrideReason {
		errs.Add("reason", appcheck.CodeTooLong, fmt.Sprintf("特批理由最多%d字。", maxOverrideReason))
	}
	code := ""
	if !req.Revoke {
		code = validate.NormalizeCreditCode(req.CreditCode)
		if code == "" {
			draft, err := la.rec.Draft()
			if err != nil {
				return err
			}
			code = validate.NormalizeCreditCode(draft.Applicant.CreditCode)
		}
		switch err := validate.CheckCreditCode(code); {
		case err == nil:
			errs.Add("credit_code", "override_not_needed", fmt.Sprintf("统一社会信用代码%s校验通过，无需特批。", code))
		case !errors.Is(err, validate.ErrCreditCodeCheck):
			errs.AddError("credit_code", err) // only a failing check character can be excused
		}
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	now := s.now()
	if err := s.db.SetCreditCodeOverride(ctx, la.rec.ID, code, now); err != nil {
		return err
	}
	action := "application.credit_code_override"
	if req.Revoke {
		action += ".revoke"
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "application", ObjectID: la.rec.ID,
		JurisdictionCode: la.ent.JurisdictionCode, BeforeState: la.rec.CreditCodeOverride, AfterState: code, Reason: reason})
	c.JSON(http.StatusOK, gin.H{"application_id": la.rec.ID, "credit_code_override": code})
	return nil
}
