package service

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"skillcert/exports"
	"skillcert/models"
	"skillcert/policies"
)

// errNotSubmitted refuses to print or export an application nothing of which is submitted.
var errNotSubmitted = NewError(http.StatusNotFound, "not_submitted", "该申报尚未提交，暂无可打印或导出的申报表。")

// ExportedApplication is an application resolved for printing or export.
type ExportedApplication struct {
	App        models.Application
	Meta       exports.ApplicationMeta
	Enterprise models.Enterprise
}

// ApplicationForExport resolves the application to print and checks the caller may see it:
// `application, read` in the enterprise's domain (the enterprise, its county, league and the
// region). Which content is shown follows version: a submitted version number; "draft" for
// the working copy, which only those who may edit it (the enterprise) see; by default the
// latest submitted version, or for the enterprise its draft while nothing is submitted. A
// refusal is audited.
func (s *Service) ApplicationForExport(ctx context.Context, a *Actor, id, version string) (out ExportedApplication, err error) {
	if a == nil {
		return out, ErrUnauthenticated
	}
	rec, err := s.db.ApplicationByID(ctx, id)
	if err != nil {
		return out, err
	}
	ent, err := s.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return out, err
	}
	domain := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	if err := s.RequireApplication(ctx, a, "read", &LoadedApplication{Rec: rec, Ent: ent, Domain: domain}); err != nil {
		return out, err
	}
	canEdit := s.enf.Allowed(a.User.ID, domain, "application", "edit")

	n := 0
	switch q := version; {
	case q == "draft":
		if !canEdit {
			// Officials judge what was submitted, never a copy still being written.
			return out, s.Require(ctx, a, "application", "edit", domain)
		}
	case q != "":
		v, perr := strconv.Atoi(q)
		if perr != nil || v < 1 {
			return out, BadRequest("bad_version", "version 参数应为已提交的版本号（1、2、…）或 draft。")
		}
		n = v
	case rec.CurrentVersion > 0:
		n = rec.CurrentVersion
	case !canEdit:
		return out, errNotSubmitted
	}

	meta := exports.ApplicationMeta{ApplicationID: rec.ID, Version: n, Location: s.cfg.Location,
		Jurisdiction: s.jurisdictionLabel(ctx, ent.JurisdictionCode)}
	var app models.Application
	if n == 0 {
		app, err = rec.Draft()
	} else {
		var v models.ApplicationVersion
		v, err = s.db.ApplicationVersionByNumber(ctx, rec.ID, n)
		if err != nil {
			return out, err
		}
		meta.SubmittedAt = v.SubmittedAt
		app, err = v.Content()
	}
	if err != nil {
		return out, fmt.Errorf("decode application %s v%d: %w", rec.ID, n, err)
	}
	// The copy for a role that may read personal data (the one the region files) carries the ID
	// numbers in full; an official's copy is recorded like any reading of them.
	if s.enf.Allowed(a.User.ID, domain, "personal_data", "read") {
		ids, err := s.openIDNumbers(app)
		if err != nil {
			return out, fmt.Errorf("open ID numbers of %s: %w", rec.ID, err)
		}
		meta.IDNumbers = ids
		la := &LoadedApplication{Rec: rec, Ent: ent, Domain: domain}
		s.auditPersonalDataRead(ctx, a, la, true, app, "export "+strconv.Itoa(n))
	}
	return ExportedApplication{App: app, Meta: meta, Enterprise: ent}, nil
}

// openIDNumbers decrypts every ID number of the application's people: encrypted form → number.
func (s *Service) openIDNumbers(app models.Application) (map[string]string, error) {
	ids := map[string]string{}
	open := func(p models.PersonID) error {
		if p.Cipher == "" {
			return nil
		}
		n, err := s.apps.sealer.Open(p)
		if err != nil {
			return err
		}
		ids[p.Cipher] = n
		return nil
	}
	for _, r := range app.Staff {
		if err := open(r.ID); err != nil {
			return nil, err
		}
	}
	for _, r := range append(append([]models.ExpertRow{}, app.Assessors...), app.Supervisors...) {
		if err := open(r.ID); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// jurisdictionLabel names a jurisdiction as an address does, a county after its league
// (呼和浩特市赛罕区); it is display only, so a failed lookup gives the bare code.
func (s *Service) jurisdictionLabel(ctx context.Context, code string) string {
	j, err := s.db.JurisdictionByCode(ctx, code)
	if err != nil {
		return code
	}
	if j.Level != models.LevelCounty || j.Parent() == "" {
		return j.Name
	}
	p, err := s.db.JurisdictionByCode(ctx, j.Parent())
	if err != nil || p.Level != models.LevelLeague {
		return j.Name
	}
	return p.Name + j.Name
}

// AuditExport records that an application was printed or exported (action).
func (s *Service) AuditExport(ctx context.Context, a *Actor, action string, ex ExportedApplication) {
	state := "draft"
	if !ex.Meta.Draft() {
		state = "version " + strconv.Itoa(ex.Meta.Version)
	}
	_ = s.Audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "application", ObjectID: ex.Meta.ApplicationID,
		JurisdictionCode: ex.Enterprise.JurisdictionCode, Reason: state})
}
