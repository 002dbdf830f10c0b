package api

import (
	"context"
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
	"skillcert/models/validate"
)

// An application's submitted versions, their comparison, and the region's override of a
// credit code whose check character fails.

// apiApplicationVersions answers GET /applications/:id/versions.
func (s *Server) apiApplicationVersions(c *gin.Context) error {
	list, err := s.listApplicationVersions(c.Request.Context(), actorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(list))
	return nil
}

// listApplicationVersions lists the submitted versions.
func (s *Server) listApplicationVersions(ctx context.Context, a *Actor, id string) ([]models.ApplicationVersionInfo, error) {
	la, err := s.applicationFor(ctx, a, id, "read")
	if err != nil {
		return nil, err
	}
	list, err := s.db.ApplicationVersions(ctx, la.rec.ID)
	if err != nil {
		return nil, err
	}
	if list == nil {
		list = []models.ApplicationVersionInfo{}
	}
	return list, nil
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

// versionInput names one submitted version: its number as the client wrote it.
type versionInput struct {
	ApplicationID, Version string
}

// apiApplicationVersion answers GET /applications/:id/versions/:v.
func (s *Server) apiApplicationVersion(c *gin.Context) error {
	v, err := s.showApplicationVersion(c.Request.Context(), actorFrom(c), versionInput{ApplicationID: c.Param("id"), Version: c.Param("v")})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// showApplicationVersion returns one submitted version, ID numbers as in applicationView.
func (s *Server) showApplicationVersion(ctx context.Context, a *Actor, in versionInput) (versionView, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "read")
	if err != nil {
		return versionView{}, err
	}
	n, err := strconv.Atoi(in.Version)
	if err != nil || n < 1 {
		return versionView{}, badRequest("bad_version", "版本号应为正整数。")
	}
	ver, err := s.db.ApplicationVersionByNumber(ctx, la.rec.ID, n)
	if err != nil {
		return versionView{}, err
	}
	content, err := ver.Content()
	if err != nil {
		return versionView{}, err
	}
	reveal := s.enf.Allowed(a.User.ID, la.domain, "personal_data", "read")
	form, err := appcheck.FromApplication(content, s.apps.sealer, reveal)
	if err != nil {
		return versionView{}, fmt.Errorf("open application %s v%d: %w", la.rec.ID, n, err)
	}
	s.auditPersonalDataRead(ctx, a, la, reveal, content, "version "+strconv.Itoa(n))
	return versionView{ApplicationID: la.rec.ID, Version: n, SubmittedAt: ver.SubmittedAt,
		SubmittedBy: ver.SubmittedBy, Form: form, IDsMasked: !reveal}, nil
}

// compareView is the answer of GET /applications/:id/compare.
type compareView struct {
	From    string            `json:"from"`
	To      string            `json:"to"`
	Changes []appcheck.Change `json:"changes"`
}

// compareInput names the two operands of a comparison: version numbers or "draft"; empty
// means the latest version and the one before.
type compareInput struct {
	ApplicationID, From, To string
}

// apiCompareVersions answers GET /applications/:id/compare?from=1&to=2.
func (s *Server) apiCompareVersions(c *gin.Context) error {
	v, err := s.compareVersions(c.Request.Context(), actorFrom(c),
		compareInput{ApplicationID: c.Param("id"), From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// compareVersions lists the fields that differ between two versions; either may be "draft"
// for those who may edit. Without operands it compares the latest version with the one before.
// ID numbers are compared by lookup hash and always shown masked.
func (s *Server) compareVersions(ctx context.Context, a *Actor, in compareInput) (compareView, error) {
	la, err := s.applicationFor(ctx, a, in.ApplicationID, "read")
	if err != nil {
		return compareView{}, err
	}
	from, to := in.From, in.To
	if from == "draft" || to == "draft" {
		// Officials judge what was submitted, never a copy still being written.
		if err := s.require(ctx, a, "application", "edit", la.domain); err != nil {
			return compareView{}, err
		}
	}
	if to == "" {
		to = strconv.Itoa(la.rec.CurrentVersion)
	}
	if from == "" {
		n, _ := strconv.Atoi(to)
		from = strconv.Itoa(n - 1)
	}
	before, err := s.versionContent(ctx, la, from)
	if err != nil {
		return compareView{}, err
	}
	after, err := s.versionContent(ctx, la, to)
	if err != nil {
		return compareView{}, err
	}
	changes := appcheck.Diff(&before, &after)
	if changes == nil {
		changes = []appcheck.Change{}
	}
	return compareView{From: from, To: to, Changes: changes}, nil
}

// versionContent resolves a compare operand: a version number, or "draft".
func (s *Server) versionContent(ctx context.Context, la *loadedApplication, which string) (models.Application, error) {
	if which == "draft" {
		return la.rec.Draft() // the caller checked that the actor may edit
	}
	n, err := strconv.Atoi(which)
	if err != nil || n < 1 {
		return models.Application{}, badRequest("bad_version", "from 和 to 应为已提交的版本号（1、2、…）或 draft；只有一个版本时请指定 from 和 to。")
	}
	v, err := s.db.ApplicationVersionByNumber(ctx, la.rec.ID, n)
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

// overrideInput is an override (or its withdrawal) for one application.
type overrideInput struct {
	ApplicationID string
	overrideRequest
}

// overrideResult answers an override: the code now accepted ("" once withdrawn).
type overrideResult struct {
	ApplicationID      string `json:"application_id"`
	CreditCodeOverride string `json:"credit_code_override"`
}

// apiCreditCodeOverride answers POST /applications/:id/credit-code-override.
func (s *Server) apiCreditCodeOverride(c *gin.Context) error {
	in := overrideInput{ApplicationID: c.Param("id")}
	if err := decodeJSON(c, 8<<10, &in.overrideRequest); err != nil {
		return err
	}
	out, err := s.overrideCreditCode(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// overrideCreditCode lets a region official accept a genuine credit code whose check
// character fails (a few real codes do). It excuses only that fault of only that code, and is
// stored with its audit row, reason included, in one transaction.
func (s *Server) overrideCreditCode(ctx context.Context, a *Actor, in overrideInput) (overrideResult, error) {
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
			draft, err := la.rec.Draft()
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
		return overrideResult{}, invalid(errs)
	}
	action := "application.credit_code_override"
	if in.Revoke {
		action += ".revoke"
	}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.SetCreditCodeOverride(ctx, la.rec.ID, code, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: action, ObjectType: "application", ObjectID: la.rec.ID,
			JurisdictionCode: la.ent.JurisdictionCode, BeforeState: la.rec.CreditCodeOverride, AfterState: code, Reason: reason}, nil
	})
	if err != nil {
		return overrideResult{}, err
	}
	return overrideResult{ApplicationID: la.rec.ID, CreditCodeOverride: code}, nil
}
