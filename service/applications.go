package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	dom "skillcert/domain"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/occupations"
	"skillcert/models/pii"
	"skillcert/models/validate"
	"skillcert/policies"
)

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

// LoadedApplication is the application a use case acts on, with its enterprise and domain.
type LoadedApplication struct {
	Rec    models.ApplicationRecord
	Ent    models.Enterprise
	Domain string
}

// LoadApplication loads an application with its enterprise. The enterprise is read afresh, so
// an enterprise moved to another county is judged where it is now.
func (s *Service) LoadApplication(ctx context.Context, id string) (*LoadedApplication, error) {
	rec, err := s.db.ApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ent, err := s.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return nil, err
	}
	return &LoadedApplication{Rec: rec, Ent: ent, Domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}, nil
}

// applicationFor loads an application and requires act on it in its enterprise's domain: the
// check the authorize middleware makes on the JSON routes, made again here for the pages.
func (s *Service) applicationFor(ctx context.Context, a *Actor, id, act string) (*LoadedApplication, error) {
	la, err := s.LoadApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.RequireApplication(ctx, a, act, la); err != nil {
		return nil, err
	}
	return la, nil
}

// RequireApplication checks the actor may perform act on a loaded application: in its
// enterprise's domain and, for an expert, only while holding an open task on its case (the
// panel is scoring it). A refusal is audited.
func (s *Service) RequireApplication(ctx context.Context, a *Actor, act string, la *LoadedApplication) error {
	return s.RequireRelated(ctx, a, "application", act, la.Domain, s.scoresApplication(ctx, a, la))
}

// MayReadApplication reports, without auditing, whether the actor may read the application (a
// page deciding whether to show it).
func (s *Service) MayReadApplication(ctx context.Context, a *Actor, la *LoadedApplication) (bool, error) {
	return s.MayRelated(a, "application", "read", la.Domain, s.scoresApplication(ctx, a, la))
}

// scoresApplication is the relation of an expert to an application: holding an open task on
// one of its cases.
func (s *Service) scoresApplication(ctx context.Context, a *Actor, la *LoadedApplication) func(dom.Relation) (bool, error) {
	return func(dom.Relation) (bool, error) { return s.db.HoldsOpenTaskOnApplication(ctx, a.User.ID, la.Rec.ID) }
}

// Errors of the application routes.
var (
	ErrNoEnterprise = NewError(http.StatusNotFound, "no_enterprise", "只有企业用户才有本单位的申报表。")
	errNotEditable  = NewError(http.StatusConflict, "not_editable", "申报表已提交或已办结，当前不能修改或再次提交；如需修改请等待退回补正。")
)

func errStaleDraft(current int) *Error {
	return NewError(http.StatusConflict, "stale_draft", fmt.Sprintf(
		"申报表已在其他窗口或由他人保存过（当前为第%d稿），为避免覆盖，本次未保存。请先复制您的修改，刷新页面后再保存。", current))
}

// draftError maps the errors of saving or submitting a draft.
func (s *Service) draftError(ctx context.Context, id string, err error) error {
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

// ApplicationView is the answer of GET /applications/:id and /applications/mine.
type ApplicationView struct {
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

// MyApplication returns the enterprise user's application of the current campaign, creating
// an empty draft pre-filled from the enterprise's registration on the first visit; the new
// draft and its audit row are stored together.
func (s *Service) MyApplication(ctx context.Context, a *Actor) (ApplicationView, error) {
	if err := s.Require(ctx, a, "application", "read", a.Domain); err != nil {
		return ApplicationView{}, err
	}
	if a.User.Role != models.RoleEnterpriseUser || a.User.Enterprise() == "" {
		return ApplicationView{}, ErrNoEnterprise
	}
	ent, err := s.db.EnterpriseByID(ctx, a.User.Enterprise())
	if err != nil {
		return ApplicationView{}, err
	}
	campaign, err := s.CampaignFor(ctx, s.now())
	if err != nil {
		return ApplicationView{}, err
	}
	domain := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	rec, err := s.db.ApplicationOf(ctx, ent.ID, campaign)
	if errors.Is(err, models.ErrNotFound) {
		if err := s.Require(ctx, a, "application", "edit", domain); err != nil {
			return ApplicationView{}, err
		}
		rec, err = s.openApplication(ctx, a, ent, campaign)
	}
	if err != nil {
		return ApplicationView{}, err
	}
	return s.ViewApplication(ctx, a, &LoadedApplication{Rec: rec, Ent: ent, Domain: domain})
}

// openApplication creates the enterprise's draft of the campaign with its audit row in one
// transaction. A concurrent first visit that created the row first wins; its row is returned.
func (s *Service) openApplication(ctx context.Context, a *Actor, ent models.Enterprise, campaign string) (models.ApplicationRecord, error) {
	var initial models.Application
	initial.Applicant = models.Applicant{Name: ent.Name, Address: ent.Address, CreditCode: ent.CreditCode}
	if a.User.Role == models.RoleEnterpriseUser {
		// The registration's contact person (the account's name and mobile) fills the contact.
		initial.Contact = models.Contact{Name: a.User.DisplayName, Mobile: a.User.Phone}
	}
	var rec models.ApplicationRecord
	err := s.db.Tx(ctx, func(tx *models.DB) error {
		var created bool
		var err error
		rec, created, err = tx.OpenApplication(ctx, ent.ID, campaign, initial, s.now())
		if err != nil || !created {
			return err
		}
		return s.auditIn(ctx, tx, a, models.AuditEntry{Action: "application.create", ObjectType: "application", ObjectID: rec.ID,
			JurisdictionCode: ent.JurisdictionCode, AfterState: models.ApplicationDraft, Reason: "campaign " + campaign})
	})
	if err != nil {
		// Lost the race for the unique key (PostgreSQL then aborts the transaction before
		// OpenApplication can read the winner's row): read it now.
		if won, rerr := s.db.ApplicationOf(ctx, ent.ID, campaign); rerr == nil {
			return won, nil
		}
		return models.ApplicationRecord{}, err
	}
	return rec, nil
}

// ShowApplication returns one application: its status, the form (draft or latest version, see
// ApplicationView.FormSource) and the latest return reasons.
func (s *Service) ShowApplication(ctx context.Context, a *Actor, id string) (ApplicationView, error) {
	la, err := s.applicationFor(ctx, a, id, "read")
	if err != nil {
		return ApplicationView{}, err
	}
	return s.ViewApplication(ctx, a, la)
}

// ViewApplication builds the view for the caller, who may read the application: ID numbers in
// clear only for roles that may read personal data in the application's domain, masked
// otherwise.
func (s *Service) ViewApplication(ctx context.Context, a *Actor, la *LoadedApplication) (ApplicationView, error) {
	rec := la.Rec
	canEdit := s.enf.Allowed(a.User.ID, la.Domain, "application", "edit")
	reveal := s.enf.Allowed(a.User.ID, la.Domain, "personal_data", "read")
	v := ApplicationView{ID: rec.ID, EnterpriseID: rec.EnterpriseID, EnterpriseName: la.Ent.Name, CampaignID: rec.CampaignID,
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
func (s *Service) auditPersonalDataRead(ctx context.Context, a *Actor, la *LoadedApplication, reveal bool, app models.Application, what string) {
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
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "personal_data.read", ObjectType: "application", ObjectID: la.Rec.ID,
		JurisdictionCode: la.Ent.JurisdictionCode, Reason: fmt.Sprintf("%s: %d ID numbers shown", strings.TrimSpace(what), n)})
}

// draftWarnings are the faults of what has been typed so far: draft mode, nothing required.
func (s *Service) draftWarnings(form appcheck.Form) validate.Errors {
	errs := appcheck.ValidateForm(form, appcheck.Input{Dictionary: s.apps.dict, Excluded: s.apps.excluded,
		Today: s.now().In(s.cfg.Location), Mode: appcheck.Draft})
	if errs == nil {
		errs = validate.Errors{}
	}
	return errs
}
