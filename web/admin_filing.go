package web

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/exports"
	"skillcert/models"
	"skillcert/service"
)

// The national filing codes (备案编码) of the pilot enterprises, kept by the region and its
// appraisal centre (/admin/filing-codes), and the enterprise's work ledger download.

var navFilingCodes = navLink{"/admin/filing-codes", "备案编码", "试点企业在国家技能人才评价证书查询系统的备案编码，随证书数据上报。"}

func init() {
	for _, r := range []string{models.RoleRegionOfficial, models.RoleRegionCentre} {
		roleNav[r] = append(roleNav[r], navFilingCodes)
	}
}

// noticeRoutes registers the pages of this file.
func (p *Pages) noticeRoutes(r gin.IRoutes, login gin.HandlerFunc) {
	manage := p.api.Authorize("enterprise", "manage", api.OwnScope)
	r.GET("/admin/filing-codes", login, manage, p.api.Page(p.filingCodesPage))
	r.POST("/admin/filing-codes", login, p.api.CSRF, manage, p.api.Page(p.filingCodeSubmit))
	r.GET("/ledger.xlsx", login, p.api.Page(p.ledgerXLSX))
}

type filingCodesView struct {
	pageView
	Rows []filingCodeRow
}

type filingCodeRow struct {
	EnterpriseID, Name, CreditCode, Jurisdiction string
	Code                                         formField
}

func (p *Pages) filingCodesPage(c *gin.Context) error {
	return p.showFilingCodes(c, http.StatusOK, "", "", nil)
}

// showFilingCodes shows the list; after a refused change, the row of postedID keeps what was
// typed with its error.
func (p *Pages) showFilingCodes(c *gin.Context, status int, postedID, typed string, errs *fieldBag) error {
	rows, err := p.svc.FilingCodes(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return err
	}
	names := p.names(c)
	v := &filingCodesView{pageView: pageView{pageData: pageData{Title: "试点企业备案编码"}}}
	for _, r := range rows {
		row := filingCodeRow{EnterpriseID: r.EnterpriseID, Name: r.Name, CreditCode: r.CreditCode, Jurisdiction: names[r.JurisdictionCode],
			Code: formField{Name: "filing_code", ID: "f-filing-" + r.EnterpriseID, Label: "备案编码", Kind: "text", Value: r.FilingCode,
				MaxLength: "32", Hint: "4 至 32 位数字、大写字母或连字符；留空则清除。"}}
		if r.EnterpriseID == postedID {
			row.Code.Value = typed
			row.Code.Errors = errs.take("filing_code")
			if rest := errs.rest(); len(rest) > 0 {
				row.Code.Errors = append(row.Code.Errors, rest...)
			}
		}
		v.Rows = append(v.Rows, row)
	}
	return p.show(c, status, "p_filing_codes", v)
}

func (p *Pages) filingCodeSubmit(c *gin.Context) error {
	id, code := c.PostForm("enterprise_id"), c.PostForm("filing_code")
	row, err := p.svc.SetFilingCode(c.Request.Context(), api.ActorFrom(c), id, code)
	if err == nil {
		msg := "已清除 " + row.Name + " 的备案编码。"
		if row.FilingCode != "" {
			msg = "已将 " + row.Name + " 的备案编码设为 " + row.FilingCode + "。"
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, "/admin/filing-codes#row-"+url.QueryEscape(id))
	}
	e := service.UserError(service.ToError(err))
	if e == nil || e.Status != http.StatusUnprocessableEntity {
		return err
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	return p.showFilingCodes(c, e.Status, id, code, errs)
}

// ledgerXLSX downloads an enterprise's work ledger: the caller's own enterprise, or the one
// named by ?enterprise= for officials in scope (the service decides who may read it).
func (p *Pages) ledgerXLSX(c *gin.Context) error {
	a := api.ActorFrom(c)
	id := c.Query("enterprise")
	if id == "" && a.User.EnterpriseID != nil {
		id = *a.User.EnterpriseID
	}
	if id == "" {
		return service.BadRequest("no_enterprise", "请指明要导出工作台账的企业。")
	}
	l, err := p.svc.EnterpriseLedger(c.Request.Context(), a, id)
	if err != nil {
		return err
	}
	b, err := exports.LedgerXLSX(l)
	if err != nil {
		return err
	}
	api.WriteLedger(c, l, b)
	return nil
}
