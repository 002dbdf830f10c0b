package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
	"skillcert/workflows"
)

// summaryView is p_summary.html's data.
type summaryView struct {
	pageView
	League, LeagueName      string
	LeagueChoice            *formField
	Status, StatusClass     string
	Deadline, SubmittedAt   string
	Contact                 string
	Rows                    []summaryRow
	XLSXHref                string
	RegionXLSXHref          string
	Task                    *taskLine
	Form                    *summaryForm
	NoCampaign, NotLeague   bool
	SubmittedNote, Campaign string
	// PaperWarning names the cases whose paper application is not recorded as received.
	PaperWarning string
}

type summaryRow struct {
	No                                  int
	Enterprise, Address, Contact, Phone string
	Occupations                         []string
	Stage, PrintHref                    string
	// Paper states the receipt of the signed paper application; PaperForm records it (the league).
	CaseID, Paper string
	PaperForm     *paperForm
}

type summaryForm struct {
	TaskID, RequestKey        string
	ContactName, ContactPhone formField
	Errors                    []string
}

// summaryPage shows a league's summary table as it will be reported, and the form that reports
// it to the region while the league's submit_summary task is open.
func (p *Pages) summaryPage(c *gin.Context) error {
	v, err := p.summaryView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_summary", v)
}

func (p *Pages) summaryView(c *gin.Context, in *decisionInput, errs *fieldBag) (*summaryView, error) {
	return p.summaryViewFull(c, in, errs, nil, "", nil)
}

// summaryViewWithPaper is the summary page after a refused paper receipt of postedCase.
func (p *Pages) summaryViewWithPaper(c *gin.Context, posted *service.PaperReceiptInput, postedCase string, perrs *fieldBag) (*summaryView, error) {
	return p.summaryViewFull(c, nil, nil, posted, postedCase, perrs)
}

func (p *Pages) summaryViewFull(c *gin.Context, in *decisionInput, errs *fieldBag, posted *service.PaperReceiptInput, postedCase string, perrs *fieldBag) (*summaryView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	v := &summaryView{pageView: pageView{pageData: pageData{Title: "盟市汇总"}}}
	leagues := p.leaguesUnder(c, a.Jurisdiction)
	switch {
	case a.User.Role == models.RoleLeagueOfficial:
		v.League = a.Jurisdiction
	case len(leagues) > 0:
		v.League = leagues[0].Code
		for _, l := range leagues {
			if l.Code == c.Query("league") || l.Code == c.PostForm("league") {
				v.League = l.Code
			}
		}
		opts := make([]choice, 0, len(leagues))
		for _, l := range leagues {
			opts = append(opts, choice{Value: l.Code, Label: l.Name, Selected: l.Code == v.League})
		}
		v.LeagueChoice = &formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: opts}
	default:
		v.NotLeague = true
		return v, nil
	}
	v.LeagueName = p.names(c)[v.League]
	cp, err := p.db.LatestCampaign(ctx)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			v.NoCampaign = true
			return v, nil
		}
		return nil, err
	}
	v.Campaign, v.Deadline = cp.ID, p.when(cp.CollectionDeadline)
	sum, err := p.svc.ReadLeagueSummary(ctx, a, v.League)
	if err != nil {
		if e := service.UserError(service.ToError(err)); e != nil && e.Status == http.StatusNotFound {
			v.NoCampaign = true
			return v, nil
		}
		return nil, err
	}
	col := sum.Collection
	v.Status, v.StatusClass = collectionStatusNames[col.Status], "status-"+col.Status
	v.SubmittedAt = p.whenPtr(col.SubmittedAt)
	if col.ContactName != "" {
		v.Contact = col.ContactName + " " + col.ContactPhone
	}
	for i, cs := range sum.Cases {
		row := summaryRow{No: i + 1, Enterprise: cs.EnterpriseName, Stage: stageName(cs.Stage),
			PrintHref: "/applications/" + url.PathEscape(cs.ApplicationID) + "/print"}
		if app, err := p.db.ApplicationContent(ctx, cs.ApplicationID, cs.ApplicationVersion); err == nil {
			row.Address, row.Contact = app.Applicant.Address, app.Contact.Name
			row.Phone = app.Contact.Mobile
			if app.Contact.Landline != "" {
				row.Phone = app.Contact.Landline
			}
			for _, o := range app.Occupations {
				row.Occupations = append(row.Occupations, o.Name+"（"+levelText(o.Levels)+"）")
			}
		}
		var have *models.PaperReceipt
		if r, ok := sum.PaperReceipts[cs.ID]; ok {
			have = &r
		}
		row.CaseID, row.Paper = cs.ID, service.PaperReceiptText(have)
		if p.svc.MayRecordPaperReceipt(a, cs) {
			row.PaperForm = p.paperFormFor(c, v.League, cs, have, posted, postedCase, perrs)
		}
		v.Rows = append(v.Rows, row)
	}
	if len(sum.MissingPaper) > 0 {
		v.PaperWarning = "以下 " + strconv.Itoa(len(sum.MissingPaper)) + " 家企业尚未登记纸质申报表接收：" + strings.Join(sum.MissingPaper, "、") +
			"。汇总表可以报送，但纸质材料应与电子版一并报送自治区职业技能鉴定管理中心；收到后请在下表登记。"
	}
	if p.hasRoute(leagueSummaryXLSXRoute) && p.enf.Allowed(a.User.ID, v.League, "summary", "export") {
		v.XLSXHref = strings.Replace(leagueSummaryXLSXRoute, ":code", url.PathEscape(v.League), 1)
	}
	if p.hasRoute(regionSummaryXLSXRoute) && p.enf.Allowed(a.User.ID, models.RegionCode, "summary", "export") {
		v.RegionXLSXHref = regionSummaryXLSXRoute
	}
	if t := sum.Task; t != nil && t.Status == models.TaskOpen {
		v.Task = &taskLine{Title: t.Title, Due: p.when(t.DueAt), SLA: p.slaBadge(t.SLAState, t.DueAt), Href: taskHref(t.ID)}
		if p.svc.MayDecide(a, *t) {
			if in == nil {
				in = &decisionInput{ContactName: col.ContactName, ContactPhone: col.ContactPhone}
			}
			v.Form = &summaryForm{TaskID: t.ID, RequestKey: service.RandomKey(),
				ContactName: formField{Name: "contact_name", ID: "f-contact_name", Label: "填报单位联系人", Kind: "text", Value: in.ContactName,
					Required: true, Autocomplete: "name", Errors: errs.take("contact_name")},
				ContactPhone: formField{Name: "contact_phone", ID: "f-contact_phone", Label: "联系电话", Kind: "tel", Value: in.ContactPhone,
					Required: true, Autocomplete: "tel", Hint: "固定电话如 (0471)6606214，或手机号码。", Errors: errs.take("contact_phone")},
				Errors: errs.rest()}
		}
	} else if col.Status == "submitted" {
		v.SubmittedNote = "本盟市汇总表已报送自治区职业技能鉴定管理中心。"
	}
	return v, nil
}

// Summary workbooks (附件2) the API may serve; the page links to those that are registered.
const (
	leagueSummaryXLSXRoute = "/api/v1/leagues/:code/summary/export.xlsx"
	regionSummaryXLSXRoute = "/api/v1/summaries/export.xlsx"
)

// hasRoute reports whether the API serves GET path. The routes are read once, at the first
// request, when every feature has registered its own.
func (p *Pages) hasRoute(path string) bool {
	p.routesOnce.Do(func() {
		p.routes = map[string]bool{}
		for _, r := range p.engine.Routes() {
			if r.Method == http.MethodGet {
				p.routes[r.Path] = true
			}
		}
	})
	return p.routes[path]
}

// summarySubmit reports the league's summary to the region: the decision of its submit_summary
// task with the footer's contact.
func (p *Pages) summarySubmit(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	t, err := p.db.TaskByID(ctx, c.PostForm("task_id"))
	if err != nil || t.Kind != workflows.KindSubmitSummary {
		p.flash(c, flashError, "汇总报送待办不存在或已办结，请刷新后查看。")
		return seeOther(c, "/summary")
	}
	in := &decisionInput{Outcome: "submit", ContactName: strings.TrimSpace(c.PostForm("contact_name")),
		ContactPhone: strings.TrimSpace(c.PostForm("contact_phone")), RequestKey: c.PostForm("request_key")}
	_, errs, err := p.submitDecision(c, a, t, in)
	if err != nil {
		return err
	}
	back := "/summary"
	if a.User.Role != models.RoleLeagueOfficial {
		back += "?league=" + url.QueryEscape(t.JurisdictionCode)
	}
	if errs.empty() {
		p.flash(c, flashOK, "汇总表已报送自治区职业技能鉴定管理中心。")
		return seeOther(c, back)
	}
	v, err := p.summaryView(c, in, errs)
	if err != nil {
		return err
	}
	if v.Form == nil {
		v.Alert = strings.Join(errs.rest(), " ")
	}
	return p.show(c, http.StatusUnprocessableEntity, "p_summary", v)
}
