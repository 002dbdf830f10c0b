package web

import (
	"errors"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/activities/exports"
	"skillcert/api"
)

// printPageData is what application_print.html receives: the common page fields and the form.
type printPageData struct {
	pageData
	Form     exports.Form
	XLSXHref string
}

// applicationPrintPage shows the application form laid out like 附件1, for the browser's print.
func (s *Pages) applicationPrintPage(c *gin.Context) error {
	ex, err := s.svc.ApplicationForExport(c.Request.Context(), api.ActorFrom(c), c.Param("id"), c.Query("version"))
	if err != nil {
		return err
	}
	form := exports.NewForm(ex.App, ex.Meta)
	href := "/api/v1/applications/" + ex.Meta.ApplicationID + "/export.xlsx?version="
	if ex.Meta.Draft() {
		href += "draft"
	} else {
		href += strconv.Itoa(ex.Meta.Version)
	}
	s.svc.AuditExport(c.Request.Context(), api.ActorFrom(c), "application.print", ex)
	s.renderPrint(c, printPageData{pageData: pageData{Title: form.Title + " · " + ex.Enterprise.Name}, Form: form, XLSXHref: href})
	return nil
}

// renderPrint renders application_print.html with the layout. It mirrors render, whose
// pageData has no room for a feature's own data.
func (s *Pages) renderPrint(c *gin.Context, d printPageData) {
	const name = "application_print"
	t, ok := s.pages[name]
	if !ok {
		s.api.WriteError(c, errors.New("missing template "+name))
		return
	}
	s.fillPage(c, &d.pageData)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(c.Writer, "layout", d); err != nil {
		s.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}
