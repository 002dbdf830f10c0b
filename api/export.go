package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/gin-gonic/gin"

	"skillcert/activities/exports"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
)

// xlsxContentType is the media type of an XLSX workbook.
const xlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

var errNotSubmitted = service.NewError(http.StatusNotFound, "not_submitted", "该申报尚未提交，暂无可打印或导出的申报表。")

// exportRoutes serves the application form (附件1) as a printable page and as XLSX. The league
// summary export (附件2) is wired by the case feature, which owns the data it summarises;
// exports.SummaryXLSX and exports.RegionSummaryXLSX render it.
func (s *Server) exportRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	r.GET("/applications/:id/print", s.requirePageLogin, s.page(s.applicationPrintPage))
	v1.GET("/applications/:id/export.xlsx", s.requireAPILogin, s.json(s.apiExportApplicationXLSX))
}

// exportedApplication is an application resolved for printing or export.
type exportedApplication struct {
	App        models.Application
	Meta       exports.ApplicationMeta
	Enterprise models.Enterprise
}

// loadApplicationForExport resolves the application to print and checks the caller may see it:
// `application, read` in the enterprise's domain (the enterprise, its county, league and the
// region). Which content is shown follows ?version=: a submitted version number; "draft" for
// the working copy, which only those who may edit it (the enterprise) see; by default the
// latest submitted version, or for the enterprise its draft while nothing is submitted. A
// refusal is audited and answered; ok is false then.
func (s *Server) loadApplicationForExport(c *gin.Context, id string) (out exportedApplication, ok bool, err error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	rec, err := s.db.ApplicationByID(ctx, id)
	if err != nil {
		return out, false, err
	}
	ent, err := s.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return out, false, err
	}
	domain := policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)
	if !s.enf.Allowed(a.User.ID, domain, "application", "read") {
		s.deny(c, a, "application", "read", domain)
		return out, false, nil
	}
	canEdit := s.enf.Allowed(a.User.ID, domain, "application", "edit")

	version := 0
	switch q := c.Query("version"); {
	case q == "draft":
		if !canEdit {
			// Officials judge what was submitted, never a copy still being written.
			s.deny(c, a, "application", "edit", domain)
			return out, false, nil
		}
	case q != "":
		n, perr := strconv.Atoi(q)
		if perr != nil || n < 1 {
			return out, false, service.BadRequest("bad_version", "version 参数应为已提交的版本号（1、2、…）或 draft。")
		}
		version = n
	case rec.CurrentVersion > 0:
		version = rec.CurrentVersion
	case !canEdit:
		return out, false, errNotSubmitted
	}

	meta := exports.ApplicationMeta{ApplicationID: rec.ID, Version: version, Location: s.svc.Location(),
		Jurisdiction: s.jurisdictionLabel(ctx, ent.JurisdictionCode)}
	var app models.Application
	if version == 0 {
		app, err = rec.Draft()
	} else {
		var v models.ApplicationVersion
		v, err = s.db.ApplicationVersionByNumber(ctx, rec.ID, version)
		if err != nil {
			return out, false, err
		}
		meta.SubmittedAt = v.SubmittedAt
		app, err = v.Content()
	}
	if err != nil {
		return out, false, fmt.Errorf("decode application %s v%d: %w", rec.ID, version, err)
	}
	return exportedApplication{App: app, Meta: meta, Enterprise: ent}, true, nil
}

// jurisdictionLabel names a jurisdiction as an address does, a county after its league
// (呼和浩特市赛罕区); it is display only, so a failed lookup gives the bare code.
func (s *Server) jurisdictionLabel(ctx context.Context, code string) string {
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

func (s *Server) auditExport(ctx context.Context, a *service.Actor, action string, ex exportedApplication) {
	state := "draft"
	if !ex.Meta.Draft() {
		state = "version " + strconv.Itoa(ex.Meta.Version)
	}
	_ = s.svc.Audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "application", ObjectID: ex.Meta.ApplicationID,
		JurisdictionCode: ex.Enterprise.JurisdictionCode, Reason: state})
}

// apiExportApplicationXLSX sends the application form as an XLSX workbook laid out like 附件1.
func (s *Server) apiExportApplicationXLSX(c *gin.Context) error {
	ex, ok, err := s.loadApplicationForExport(c, c.Param("id"))
	if err != nil || !ok {
		return err
	}
	data, err := exports.ApplicationXLSX(ex.App, ex.Meta)
	if err != nil {
		return fmt.Errorf("render application xlsx: %w", err)
	}
	s.auditExport(c.Request.Context(), actorFrom(c), "application.export", ex)
	c.Header("Content-Disposition", contentDisposition(exportFileName(ex)))
	c.Header("Cache-Control", "private, no-store")
	c.Data(http.StatusOK, xlsxContentType, data)
	return nil
}

// exportFileName is 企业职业技能等级认定试点申报表-<enterprise>-第N版.xlsx (or -草稿).
func exportFileName(ex exportedApplication) string {
	name := ex.App.Applicant.Name
	if strings.TrimSpace(name) == "" {
		name = ex.Enterprise.Name
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || strings.ContainsRune(`/\:*?"<>|`, r) {
			return -1
		}
		return r
	}, strings.TrimSpace(name))
	suffix := "草稿"
	if !ex.Meta.Draft() {
		suffix = "第" + strconv.Itoa(ex.Meta.Version) + "版"
	}
	return exports.ApplicationTitle + "-" + service.ClipText(name, 60) + "-" + suffix + ".xlsx"
}

// printPageData is what application_print.html receives: the common page fields and the form.
type printPageData struct {
	pageData
	Form     exports.Form
	XLSXHref string
}

// applicationPrintPage shows the application form laid out like 附件1, for the browser's print.
func (s *Server) applicationPrintPage(c *gin.Context) error {
	ex, ok, err := s.loadApplicationForExport(c, c.Param("id"))
	if err != nil || !ok {
		return err
	}
	form := exports.NewForm(ex.App, ex.Meta)
	href := "/api/v1/applications/" + ex.Meta.ApplicationID + "/export.xlsx?version="
	if ex.Meta.Draft() {
		href += "draft"
	} else {
		href += strconv.Itoa(ex.Meta.Version)
	}
	s.auditExport(c.Request.Context(), actorFrom(c), "application.print", ex)
	s.renderPrint(c, printPageData{pageData: pageData{Title: form.Title + " · " + ex.Enterprise.Name}, Form: form, XLSXHref: href})
	return nil
}

// renderPrint renders application_print.html with the layout. It mirrors render, whose
// pageData has no room for a feature's own data.
func (s *Server) renderPrint(c *gin.Context, d printPageData) {
	const name = "application_print"
	t, ok := s.pages[name]
	if !ok {
		s.writeError(c, errors.New("missing template "+name))
		return
	}
	s.fillPage(c, &d.pageData)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(c.Writer, "layout", d); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}
