package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
)

// ListApplicationVersions lists the submitted versions.
func (s *Service) ListApplicationVersions(ctx context.Context, a *Actor, id string) ([]models.ApplicationVersionInfo, error) {
	la, err := s.applicationFor(ctx, a, id, "read")
	if err != nil {
		return nil, err
	}
	list, err := s.db.ApplicationVersions(ctx, la.Rec.ID)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []models.ApplicationVersionInfo{}
	}
	return list, nil
}

// VersionView is one submitted version.
type VersionView struct {
	ApplicationID string        `json:"application_id"`
	Version       int           `json:"version"`
	SubmittedAt   time.Time     `json:"submitted_at"`
	SubmittedBy   string        `json:"submitted_by"`
	Form          appcheck.Form `json:"form"`
	IDsMasked     bool          `json:"ids_masked"`
}

// VersionInput names one submitted version: its number as the client wrote it.
type VersionInput struct {
	ApplicationID, Version string
}

// ShowApplicationVersion returns one submitted version, ID numbers as in ApplicationView.
func (s *Service) ShowApplicationVersion(ctx context.Context, a *Actor, in VersionInput) (VersionView, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "read")
	if err != nil {
		return VersionView{}, err
	}
	n, err := strconv.Atoi(in.Version)
	if err != nil || n < 1 {
		return VersionView{}, BadRequest("bad_version", "版本号应为正整数。")
	}
	ver, err := s.db.ApplicationVersionByNumber(ctx, la.Rec.ID, n)
	if err != nil {
		return VersionView{}, err
	}
	content, err := ver.Content()
	if err != nil {
		return VersionView{}, err
	}
	reveal := s.enf.Allowed(a.User.ID, la.Domain, "personal_data", "read")
	form, err := appcheck.FromApplication(content, s.apps.sealer, reveal)
	if err != nil {
		return VersionView{}, fmt.Errorf("open application %s v%d: %w", la.Rec.ID, n, err)
	}
	s.auditPersonalDataRead(ctx, a, la, reveal, content, "version "+strconv.Itoa(n))
	return VersionView{ApplicationID: la.Rec.ID, Version: n, SubmittedAt: ver.SubmittedAt,
		SubmittedBy: ver.SubmittedBy, Form: form, IDsMasked: !reveal}, nil
}

// CompareView is the answer of GET /applications/:id/compare.
type CompareView struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Changes []appcheck.Change `json:"changes"`
	// IDsMasked is false when the caller may read personal data: changed ID numbers are then
	// shown in full (and the reading audited), else masked as everywhere.
	IDsMasked bool `json:"ids_masked"`
}

// CompareInput names the two operands of a comparison: version numbers or "draft"; empty
// means the latest version and the one before.
type CompareInput struct {
	ApplicationID, From, To string
}

// CompareVersions lists the fields that differ between two versions; either may be "draft"
// for those who may edit. Without operands it compares the latest version with the one before.
// ID numbers are compared by lookup hash and shown in full only to those who may read personal
// data (audited), masked to everyone else.
func (s *Service) CompareVersions(ctx context.Context, a *Actor, in CompareInput) (CompareView, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "read")
	if err != nil {
		return CompareView{}, err
	}
	from, to := in.From, in.To
	if from == "draft" || to == "draft" {
		// Officials judge what was submitted, never a copy still being written.
		if err := s.Require(ctx, a, "application", "edit", la.Domain); err != nil {
			return CompareView{}, err
		}
	}
	if to == "" {
		to = strconv.Itoa(la.Rec.CurrentVersion)
	}
	if from == "" {
		n, _ := strconv.Atoi(to)
		from = strconv.Itoa(n - 1)
	}
	before, err := s.versionContent(ctx, la, from)
	if err != nil {
		return CompareView{}, err
	}
	after, err := s.versionContent(ctx, la, to)
	if err != nil {
		return CompareView{}, err
	}
	changes := appcheck.Diff(&before, &after)
	if changes == nil {
		changes = []appcheck.Change{}
	}
	reveal := s.enf.Allowed(a.User.ID, la.Domain, "personal_data", "read")
	if reveal {
		shown := 0
		for i := range changes {
			if !strings.HasSuffix(changes[i].Field, ".id_number") {
				continue
			}
			for _, side := range []struct {
				app *models.Application
				out *string
			}{{&before, &changes[i].Before}, {&after, &changes[i].After}} {
				id, ok := personIDAt(side.app, changes[i].Field)
				if !ok || id.Cipher == "" {
					continue
				}
				plain, err := s.apps.sealer.Open(id)
				if err != nil {
					return CompareView{}, fmt.Errorf("open ID number of application %s: %w", la.Rec.ID, err)
				}
				*side.out = plain
				shown++
			}
		}
		if shown > 0 && a.User.Role != models.RoleEnterpriseUser {
			_ = s.Audit(ctx, a, models.AuditEntry{Action: "personal_data.read", ObjectType: "application", ObjectID: la.Rec.ID,
				JurisdictionCode: la.Ent.JurisdictionCode, Reason: fmt.Sprintf("compare %s..%s: %d ID numbers shown", from, to, shown)})
		}
	}
	return CompareView{From: from, To: to, Changes: changes, IDsMasked: !reveal}, nil
}

// personIDAt finds the ID number a Diff path names ("staff[1].id_number").
func personIDAt(app *models.Application, path string) (models.PersonID, bool) {
	list, rest, ok := strings.Cut(path, "[")
	if !ok {
		return models.PersonID{}, false
	}
	num, tail, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if err != nil || i < 0 || tail != ".id_number" {
		return models.PersonID{}, false
	}
	switch list {
	case "staff":
		if i < len(app.Staff) {
			return app.Staff[i].ID, true
		}
	case "assessors":
		if i < len(app.Assessors) {
			return app.Assessors[i].ID, true
		}
	case "supervisors":
		if i < len(app.Supervisors) {
			return app.Supervisors[i].ID, true
		}
	}
	return models.PersonID{}, false
}

// versionContent resolves a compare operand: a version number, or "draft".
func (s *Service) versionContent(ctx context.Context, la *LoadedApplication, which string) (models.Application, error) {
	if which == "draft" {
		return la.Rec.Draft() // the caller checked that the actor may edit
	}
	n, ok, fault := domain.Version.Parse(which)
	if !ok || fault != nil {
		return models.Application{}, BadRequest("bad_version", "from 和 to 应为已提交的版本号（1、2、…）或 draft；只有一个版本时请指定 from 和 to。")
	}
	v, err := s.db.ApplicationVersionByNumber(ctx, la.Rec.ID, n)
	if err != nil {
		return models.Application{}, err
	}
	return v.Content()
}

// OverrideRequest is the body of POST /applications/:id/credit-code-override.
type OverrideRequest struct {
	// CreditCode is the code to accept; empty means the one in the current draft.
	CreditCode string `json:"credit_code"`
	// Reason says why the region accepts it (e.g. checked against the business licence).
	Reason string `json:"reason"`
	// Revoke withdraws an earlier override instead.
	Revoke bool `json:"revoke"`
}

// OverrideInput is an override (or its withdrawal) for one application.
type OverrideInput struct {
	ApplicationID string
	OverrideRequest
}

// overrideResult answers an override: the code now accepted ("" once withdrawn).
type overrideResult struct {
	ApplicationID      string `json:"application_id"`
	CreditCodeOverride string `json:"credit_code_override"`
}

// OverrideCreditCode lets a region official accept a genuine credit code whose check
// character fails (a few real codes do). It excuses only that fault of only that code, and is
// stored with its audit row, reason included, in one transaction.
func (s *Service) OverrideCreditCode(ctx context.Context, a *Actor, in OverrideInput) (overrideResult, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "override")
	if err != nil {
		return overrideResult{}, err
	}
	var errs validate.Errors
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		errs.Add("reason", validate.ErrRequired.Code, "请填写特批理由（如已核对营业执照原件）。")
	} else if utf8.RuneCountInString(reason) > maxOverrideReason {
		errs.Add("reason", appcheck.CodeTooLong, fmt.Sprintf("特批理由最多%d字。", maxOverrideReason))
	}
	code := ""
	if !in.Revoke {
		code = validate.NormalizeCreditCode(in.CreditCode)
		if code == "" {
			draft, err := la.Rec.Draft()
			if err != nil {
				return overrideResult{}, err
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
		return overrideResult{}, Invalid(errs)
	}
	action := "application.credit_code_override"
	if in.Revoke {
		action += ".revoke"
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SetCreditCodeOverride(ctx, la.Rec.ID, code, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: action, ObjectType: "application", ObjectID: la.Rec.ID,
			JurisdictionCode: la.Ent.JurisdictionCode, BeforeState: la.Rec.CreditCodeOverride, AfterState: code, Reason: reason}, nil
	})
	if err != nil {
		return overrideResult{}, err
	}
	return overrideResult{ApplicationID: la.Rec.ID, CreditCodeOverride: code}, nil
}
