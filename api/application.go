package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

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

// loadedApplication is the application a use case acts on, with its enterprise and domain.
type loadedApplication struct {
	rec    models.ApplicationRecord
	ent    models.Enterprise
	domain string
}

// applicationScope loads the application named by :id and returns its enterprise's domain
// (the authorize middleware of the JSON routes).
func (s *Server) applicationScope(c *gin.Context, _ *Actor) (string, error) {
	la, err := s.loadApplication(c.Request.Context(), c.Param("id"))
	if err != nil {
		return "", err
	}
	return la.domain, nil
}

// loadApplication loads an application with its enterprise. The enterprise is read afresh, so
// an enterprise moved to another county is judged where it is now.
func (s *Server) loadApplication(ctx context.Context, id string) (*loadedApplication, error) {
	rec, err := s.db.ApplicationByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ent, err := s.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return nil, err
	}
	return &loadedApplication{rec: rec, ent: ent, domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}, nil
}

// applicationFor loads an application and requires act on it in its enterprise's domain: the
// check the authorize middleware makes on the JSON routes, made again here for the pages.
func (s *Server) applicationFor(ctx context.Context, a *Actor, id, act string) (*loadedApplication, error) {
	la, err := s.loadApplication(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := s.require(ctx, a, "application", act, la.domain); err != nil {
		return nil, err
	}
	return la, nil
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

// apiMyApplication answers GET /applications/mine.
func (s *Server) apiMyApplication(c *gin.Context) error {
	v, err := s.myApplication(c.Request.Context(), actorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// myApplication returns the enterprise user's application of the current campaign, creating
// an empty draft pre-filled from the enterprise's registration on the first visit; the new
// draft and its audit row are stored together.
func (s *Server) myApplication(ctx context.Context, a *Actor) (applicationView, error) {
	if err := s.require(ctx, a, "application", "read", a.Domain); err != nil {
		return applicationView{}, err
	}
	if a.User.Role != models.RoleEnterpriseUser || a.User.Enterprise() == "" {
		return applicationView{}, errNoEnterprise
	}
	ent, err := s.db.EnterpriseByID(ctx, a.User.Enterprise())
	if err != nil {
		return applicationView{}, err
	}
	campaign, err := s.campaignFor(ctx, s.now())
	if err != nil {
		return applicationView{}, err
	}
	domain := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	rec, err := s.db.ApplicationOf(ctx, ent.ID, campaign)
	if errors.Is(err, models.ErrNotFound) {
		if err := s.require(ctx, a, "application", "edit", domain); err != nil {
			return applicationView{}, err
		}
		rec, err = s.openApplication(ctx, a, ent, campaign)
	}
	if err != nil {
		return applicationView{}, err
	}
	return s.viewApplication(ctx, a, &loadedApplication{rec: rec, ent: ent, domain: domain})
}

// openApplication creates the enterprise's draft of the campaign with its audit row in one
// transaction. A concurrent first visit that created the row first wins; its row is returned.
func (s *Server) openApplication(ctx context.Context, a *Actor, ent models.Enterprise, campaign string) (models.ApplicationRecord, error) {
	var initial models.Application
	initial.Applicant = models.Applicant{Name: ent.Name, Address: ent.Address, CreditCode: ent.CreditCode}
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

// apiApplication answers GET /applications/:id.
func (s *Server) apiApplication(c *gin.Context) error {
	v, err := s.showApplication(c.Request.Context(), actorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// showApplication returns one application: its status, the form (draft or latest version, see
// applicationView.FormSource) and the latest return reasons.
func (s *Server) showApplication(ctx context.Context, a *Actor, id string) (applicationView, error) {
	la, err := s.applicationFor(ctx, a, id, "read")
	if err != nil {
		return applicationView{}, err
	}
	return s.viewApplication(ctx, a, la)
}

// applicationView is viewApplication for a page handler.
func (s *Server) applicationView(c *gin.Context, a *Actor, la *loadedApplication) (applicationView, error) {
	return s.viewApplication(c.Request.Context(), a, la)
}

// viewApplication builds the view for the caller, who may read the application: ID numbers in
// clear only for roles that may read personal data in the application's domain, masked
// otherwise.
func (s *Server) viewApplication(ctx context.Context, a *Actor, la *loadedApplication) (applicationView, error) {
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
