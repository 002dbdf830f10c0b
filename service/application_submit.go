package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
)

// attachmentChecker returns the existence check for submit and a pointer to the first database
// error it met.
func (s *Service) attachmentChecker(ctx context.Context, enterpriseID string) (func(models.AttachmentRef) bool, *error) {
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

// DraftRequest is the body of PUT /applications/:id/draft.
type DraftRequest struct {
	// DraftVersion is the draft_version the client loaded; a later save by anyone makes this
	// save a 409 instead of silently overwriting it.
	DraftVersion int           `json:"draft_version"`
	Form         appcheck.Form `json:"form"`
}

// DraftResponse answers a saved draft.
type DraftResponse struct {
	DraftVersion int             `json:"draft_version"`
	UpdatedAt    time.Time       `json:"updated_at"`
	Warnings     validate.Errors `json:"warnings"`
}

// SaveDraftInput is a draft to save over the application's draft.
type SaveDraftInput struct {
	ApplicationID string
	DraftRequest
}

// SaveDraft stores the form as typed, without validating it, if the caller edited the current
// draft version; it answers with the new version and the faults typed so far. The draft and its
// audit row are stored together.
func (s *Service) SaveDraft(ctx context.Context, a *Actor, in SaveDraftInput) (DraftResponse, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "edit")
	if err != nil {
		return DraftResponse{}, err
	}
	if in.DraftVersion < 1 {
		return DraftResponse{}, Invalid(validate.Errors{{Field: "draft_version", Code: "required", Message: "请提供所编辑草稿的 draft_version。"}})
	}
	if !models.ApplicationEditable(la.Rec.Status) {
		return DraftResponse{}, errNotEditable
	}
	prev, err := la.Rec.Draft()
	if err != nil {
		return DraftResponse{}, err
	}
	content, err := in.Form.ToApplication(s.apps.sealer, &prev)
	if err != nil {
		return DraftResponse{}, err
	}
	// Only a region official sets the override, through its own audited route.
	content.Applicant.CreditCodeOverride = false
	var rec models.ApplicationRecord
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if rec, err = tx.SaveDraft(ctx, la.Rec.ID, in.DraftVersion, content, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "application.save_draft", ObjectType: "application", ObjectID: rec.ID,
			JurisdictionCode: la.Ent.JurisdictionCode, BeforeState: "draft " + strconv.Itoa(in.DraftVersion),
			AfterState: "draft " + strconv.Itoa(rec.DraftVersion)}, nil
	})
	if err != nil {
		return DraftResponse{}, s.draftError(ctx, la.Rec.ID, err)
	}
	form := in.Form.Normalize()
	form.Applicant.CreditCodeOverride = overridden(rec, form.Applicant.CreditCode)
	return DraftResponse{DraftVersion: rec.DraftVersion, UpdatedAt: rec.UpdatedAt, Warnings: s.draftWarnings(form)}, nil
}

// SubmitRequest is the body of POST /applications/:id/submit.
type SubmitRequest struct {
	// DraftVersion is the draft version the person saw and means to submit.
	DraftVersion int `json:"draft_version"`
}

// SubmitInput is a submission of an application's saved draft.
type SubmitInput struct {
	ApplicationID string
	SubmitRequest
}

// SubmitResponse answers a stored submission.
type SubmitResponse struct {
	ApplicationID string    `json:"application_id"`
	Version       int       `json:"version"`
	Status        string    `json:"status"`
	SubmittedAt   time.Time `json:"submitted_at"`
	DraftVersion  int       `json:"draft_version"`
	// Created is false when the submission repeated one already stored (answered 200, not 201).
	Created bool `json:"-"`
}

// SubmitApplication validates the saved draft against every rule and, if it passes, stores it
// as the next version with the ID numbers re-sealed in canonical form, marks the application
// submitted (with its audit row, in one transaction) and hands it to the lifecycle. A failing
// form is refused with all its faults and the draft is left exactly as it was. Submitting the
// same draft version again after success (a double click, or a retry after the hand-over
// failed) does not store another version: it hands the stored one over again and answers as
// before.
func (s *Service) SubmitApplication(ctx context.Context, a *Actor, in SubmitInput) (SubmitResponse, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "submit")
	if err != nil {
		return SubmitResponse{}, err
	}
	rec := la.Rec
	if in.DraftVersion < 1 {
		return SubmitResponse{}, Invalid(validate.Errors{{Field: "draft_version", Code: "required", Message: "请提供要提交的草稿版本 draft_version。"}})
	}
	if rec.Status == models.ApplicationSubmitted && rec.SubmittedAt != nil && rec.DraftVersion == in.DraftVersion+1 {
		return s.handOver(ctx, a, la, rec.CurrentVersion, *rec.SubmittedAt, false)
	}
	if !models.ApplicationEditable(rec.Status) {
		return SubmitResponse{}, errNotEditable
	}
	if rec.DraftVersion != in.DraftVersion {
		return SubmitResponse{}, errStaleDraft(rec.DraftVersion)
	}

	draft, err := rec.Draft()
	if err != nil {
		return SubmitResponse{}, err
	}
	form, err := appcheck.FromApplication(draft, s.apps.sealer, true)
	if err != nil {
		return SubmitResponse{}, fmt.Errorf("open draft of %s: %w", rec.ID, err)
	}
	form = form.Normalize()
	form.Applicant.CreditCodeOverride = overridden(rec, form.Applicant.CreditCode)
	exists, dbErr := s.attachmentChecker(ctx, rec.EnterpriseID)
	check := appcheck.Input{Dictionary: s.apps.dict, Excluded: s.apps.excluded, Today: s.now().In(s.cfg.Location),
		AttachmentExists: exists}
	errs := appcheck.ValidateForm(form, check)
	if *dbErr != nil {
		return SubmitResponse{}, *dbErr
	}
	if len(errs) > 0 {
		return SubmitResponse{}, s.rejectSubmission(ctx, a, la, errs)
	}

	content, err := form.ToApplication(s.apps.sealer, &draft)
	if err != nil {
		return SubmitResponse{}, err
	}
	reason := ""
	if content.Applicant.CreditCodeOverride {
		reason = "credit code check overridden by the region"
	}
	var v models.ApplicationVersion
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		v, err = tx.SubmitApplication(ctx, models.Submission{ApplicationID: rec.ID, DraftVersion: in.DraftVersion,
			Content: content, SubmittedBy: a.User.ID, At: s.now()})
		if err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "application.submit", ObjectType: "application", ObjectID: rec.ID,
			JurisdictionCode: la.Ent.JurisdictionCode, BeforeState: rec.Status,
			AfterState: models.ApplicationSubmitted + " v" + strconv.Itoa(v.Version), Reason: reason}, nil
	})
	switch {
	case errors.Is(err, models.ErrDuplicateApplication):
		return SubmitResponse{}, s.rejectSubmission(ctx, a, la, validate.Errors{{Field: "applicant.credit_code", Code: "duplicate_application",
			Message: fmt.Sprintf("统一社会信用代码%s在%s年度试点征集中已有申报，同一单位不能重复申报；如确属本单位，请联系属地人力资源社会保障部门核实。",
				content.Applicant.CreditCode, rec.CampaignID)}})
	case errors.Is(err, models.ErrCreditCodeTaken):
		return SubmitResponse{}, s.rejectSubmission(ctx, a, la, validate.Errors{{Field: "applicant.credit_code", Code: "credit_code_taken",
			Message: fmt.Sprintf("统一社会信用代码%s已登记为其他单位，请核对是否填写了本单位的代码。", content.Applicant.CreditCode)}})
	case err != nil:
		return SubmitResponse{}, s.draftError(ctx, rec.ID, err)
	}
	la.Rec.DraftVersion = in.DraftVersion + 1
	return s.handOver(ctx, a, la, v.Version, v.SubmittedAt, true)
}

// rejectSubmission audits a refused submission — by field names only, never values — and
// returns every fault.
func (s *Service) rejectSubmission(ctx context.Context, a *Actor, la *LoadedApplication, errs validate.Errors) error {
	fields := make([]string, 0, len(errs))
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "application.submit", ObjectType: "application", ObjectID: la.Rec.ID,
		JurisdictionCode: la.Ent.JurisdictionCode, Outcome: models.OutcomeRejected, BeforeState: la.Rec.Status,
		Reason: Truncate(fmt.Sprintf("%d field errors: %s", len(errs), strings.Join(fields, ", ")), 2000)})
	return Invalid(errs)
}

// handOver passes a stored version to the lifecycle and answers the submission. If the
// lifecycle cannot take it now, the version stays stored and submitted, and the client is told
// to submit again later, which calls here again without storing anything.
func (s *Service) handOver(ctx context.Context, a *Actor, la *LoadedApplication, version int, at time.Time, created bool) (SubmitResponse, error) {
	sub := SubmittedApplication{ApplicationID: la.Rec.ID, Version: version, EnterpriseID: la.Rec.EnterpriseID, CampaignID: la.Rec.CampaignID}
	if err := s.apps.submitted(ctx, a, sub); err != nil {
		var e *Error
		if errors.As(err, &e) {
			return SubmitResponse{}, e
		}
		s.log.ErrorContext(ctx, "hand submitted application to lifecycle", "applicationID", sub.ApplicationID,
			"version", version, "err", err, "requestID", RequestIDFrom(ctx))
		return SubmitResponse{}, NewError(http.StatusServiceUnavailable, "handoff_pending", fmt.Sprintf(
			"申报表已保存为第%d版，但暂未能送交审核流程，请稍后再次点击提交（不会重复提交）。", version))
	}
	return SubmitResponse{ApplicationID: la.Rec.ID, Version: version, Status: models.ApplicationSubmitted,
		SubmittedAt: at, DraftVersion: la.Rec.DraftVersion, Created: created}, nil
}
