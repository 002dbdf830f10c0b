package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
)

// paperForm records the receipt of a case's signed paper application (纸质版) on the league's
// summary page.
type paperForm struct {
	CaseID, League, Action string
	ReceivedOn, ReceivedBy formField
	Remark                 formField
	Errors                 []string
	Open                   bool
}

// paperFormFor is the form of one summary row: the typed values and errors when this row was
// just posted and refused, otherwise the stored receipt (to correct it) or today.
func (p *Pages) paperFormFor(c *gin.Context, league string, cs models.Case, have *models.PaperReceipt, posted *service.PaperReceiptInput, postedCase string, errs *fieldBag) *paperForm {
	in := service.PaperReceiptInput{ReceivedOn: p.svcToday(c)}
	if have != nil {
		in = service.PaperReceiptInput{ReceivedOn: have.ReceivedOn, ReceivedBy: have.ReceivedBy, Remark: have.Remark}
	}
	mine := posted != nil && postedCase == cs.ID
	if mine {
		in = *posted
	}
	id := "paper-" + cs.ID
	f := &paperForm{CaseID: cs.ID, League: league, Action: "登记接收", Open: mine,
		ReceivedOn: formField{Name: "received_on", ID: id + "-on", Label: "接收日期", Kind: "date", Value: in.ReceivedOn, Required: true},
		ReceivedBy: formField{Name: "received_by", ID: id + "-by", Label: "接收人", Kind: "text", Value: in.ReceivedBy, Required: true, MaxLength: "50"},
		Remark:     formField{Name: "remark", ID: id + "-remark", Label: "备注", Kind: "text", Value: in.Remark, MaxLength: "500"}}
	if have != nil {
		f.Action = "更正接收记录"
	}
	if mine {
		f.ReceivedOn.Errors = errs.take("received_on")
		f.ReceivedBy.Errors = errs.take("received_by")
		f.Remark.Errors = errs.take("remark")
		f.Errors = errs.rest()
	}
	return f
}

// svcToday is today's date where the programme runs, as a date input wants it.
func (p *Pages) svcToday(c *gin.Context) string {
	return p.now().In(p.svc.Location()).Format("2006-01-02")
}

// paperReceiptSubmit records the receipt of a case's paper application (the case's league).
func (p *Pages) paperReceiptSubmit(c *gin.Context) error {
	a := api.ActorFrom(c)
	caseID := c.PostForm("case_id")
	in := service.PaperReceiptInput{ReceivedOn: strings.TrimSpace(c.PostForm("received_on")),
		ReceivedBy: c.PostForm("received_by"), Remark: c.PostForm("remark")}
	back := "/summary"
	if l := c.PostForm("league"); l != "" && a.User.Role != models.RoleLeagueOfficial {
		back += "?league=" + url.QueryEscape(l)
	}
	r, err := p.svc.RecordPaperReceipt(c.Request.Context(), a, caseID, in)
	if err == nil {
		p.flash(c, flashOK, "已登记纸质申报表接收："+service.PaperReceiptText(&r)+"。")
		return seeOther(c, back+"#paper-"+url.QueryEscape(caseID))
	}
	e := service.UserError(service.ToError(err))
	if e == nil || e.Status != http.StatusUnprocessableEntity {
		return err
	}
	errs := newFieldBag()
	errs.addAll(e.Fields)
	v, verr := p.summaryViewWithPaper(c, &in, caseID, errs)
	if verr != nil {
		return verr
	}
	return p.show(c, e.Status, "p_summary", v)
}

// fillCaseRecords adds a case's 公布文号, 备案号 and paper receipt to its summary.
func (p *Pages) fillCaseRecords(c *gin.Context, a *service.Actor, cs models.Case, sum *caseSummary) error {
	if !p.svc.MayReadCase(a, cs) {
		return nil
	}
	rec, err := p.svc.RecordsOfCase(c.Request.Context(), a, cs)
	if err != nil {
		return err
	}
	sum.PublicationNumber, sum.FilingNumber = rec.Numbers.Publication, rec.Numbers.Filing
	sum.Paper = service.PaperReceiptText(rec.PaperReceipt)
	sum.ShowPaper = true
	if p.enf.Allowed(a.User.ID, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID), "certificate", "read") {
		sum.LedgerHref = "/ledger.xlsx?enterprise=" + url.QueryEscape(cs.EnterpriseID)
	}
	return nil
}
