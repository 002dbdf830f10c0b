package web

import (
	"errors"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/exports"
)

// printPageData is what application_print.html receives: the common page fields and the form.
type printPageData struct {
	pageData
	Form     exports.Form
	XLSXHref string
}

// applicationPrintPage shows the application form laid out like 附件1, for the browser's print.
func (p *Pages) applicationPrintPage(c *gin.Context) error {
	ex, err := p.svc.ApplicationForExport(c.Request.Context(), api.ActorFrom(c), c.Param("id"), c.Query("version"))
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
	p.svc.AuditExport(c.Request.Context(), api.ActorFrom(c), "application.print", ex)
	p.renderPrint(c, printPageData{pageData: pageData{Title: form.Title + " · " + ex.Enterprise.Name}, Form: form, XLSXHref: href})
	return nil
}

// renderPrint renders application_print.html with the layout. It mirrors render, whose
// pageData has no room for a feature's own data.
func (p *Pages) renderPrint(c *gin.Context, d printPageData) {
	const name = "application_print"
	t, ok := p.pages[name]
	if !ok {
		p.api.WriteError(c, errors.New("missing template "+name))
		return
	}
	p.fillPage(c, &d.pageData)
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Header("Cache-Control", "no-store")
	if err := t.ExecuteTemplate(c.Writer, "layout", d); err != nil {
		p.log.ErrorContext(c.Request.Context(), "render page", "template", name, "err", err)
	}
}
