package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/workflows"
)

// ---------------------------------------------------------------------------------------------
// League summary (附件2) and its submission to the region.

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
}

type summaryRow struct {
	No                                  int
	Enterprise, Address, Contact, Phone string
	Occupations                         []string
	Stage, PrintHref                    string
}

type summaryForm struct {
	TaskID, RequestKey        string
	ContactName, ContactPhone formField
	Errors                    []string
}

// summaryPage shows a league's summary table as it will be reported, and the form that reports
// it to the region while the league's submit_summary task is open.
func (p *webPages) summaryPage(c *gin.Context) error {
	v, err := p.summaryView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_summary", v)
}

func (p *webPages) summaryView(c *gin.Context, in *decisionInput, errs *fieldBag) (*summaryView, error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
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
	var sum summaryResponse
	if err := p.callAPI(c, http.MethodGet, "/api/v1/leagues/"+url.PathEscape(v.League)+"/summary", nil, &sum); err != nil {
		if e := userError(err); e != nil && e.Status == http.StatusNotFound {
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
		v.Rows = append(v.Rows, row)
	}
	if p.hasRoute(leagueSummaryXLSXRoute) && p.enf.Allowed(a.User.ID, v.League, "summary", "export") {
		v.XLSXHref = strings.Replace(leagueSummaryXLSXRoute, ":code", url.PathEscape(v.League), 1)
	}
	if p.hasRoute(regionSummaryXLSXRoute) && p.enf.Allowed(a.User.ID, models.RegionCode, "summary", "export") {
		v.RegionXLSXHref = regionSummaryXLSXRoute
	}
	if t := sum.Task; t != nil && t.Status == models.TaskOpen {
		v.Task = &taskLine{Title: t.Title, Due: p.when(t.DueAt), SLA: p.slaBadge(t.SLAState, t.DueAt), Href: taskHref(t.ID)}
		if p.mayDecide(a, *t) {
			if in == nil {
				in = &decisionInput{ContactName: col.ContactName, ContactPhone: col.ContactPhone}
			}
			v.Form = &summaryForm{TaskID: t.ID, RequestKey: randomKey(),
				ContactName: formField{Name: "contact_name", ID: "f-contact_name", Label: "填报单位联系人", Kind: "text", Value: in.ContactName,
					Required: true, Autocomplete: "name", Errors: errs.take("contact_name")},
				ContactPhone: formField{Name: "contact_phone", ID: "f-contact_phone", Label: "联系电话", Kind: "tel", Value: in.ContactPhone,
					Required: true, Autocomplete: "tel", Hint: "固定电话如 (0471)6606214，或手机号码。", Errors: errs.take("contact_phone")},
				Errors: errs.rest()}
		}
	} else if col.Status == "submitted" {
		v.SubmittedNote = "本盟市汇总表已报送自治区。"
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
func (p *webPages) hasRoute(path string) bool {
	p.routesOnce.Do(func() {
		p.routes = map[string]bool{}
		if eng, ok := p.api.(*gin.Engine); ok {
			for _, r := range eng.Routes() {
				if r.Method == http.MethodGet {
					p.routes[r.Path] = true
				}
			}
		}
	})
	return p.routes[path]
}

// summarySubmit reports the league's summary to the region: the decision of its submit_summary
// task with the footer's contact.
func (p *webPages) summarySubmit(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
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
		p.flash(c, flashOK, "汇总表已报送自治区。")
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

// ---------------------------------------------------------------------------------------------
// Campaign calendar.

// campaignView is p_campaign.html's data.
type campaignView struct {
	pageView
	None                                  bool
	ID, Year, Status                      string
	Collection, Publication               string
	Batch1, Batch2                        string
	Leagues                               []leagueLine
	CanManage                             bool
	Which, Date, Reason                   formField
	FormErrors                            []string
	Submitted, Overdue, Collecting, Total int
}

type leagueLine struct{ Name, Status, StatusClass, SubmittedAt, Contact string }

// campaignPage shows the current campaign's calendar and each league's collection; region
// officials also get the form that moves a deadline.
func (p *webPages) campaignPage(c *gin.Context) error {
	v, err := p.campaignView(c, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_campaign", v)
}

func (p *webPages) campaignView(c *gin.Context, errs *fieldBag) (*campaignView, error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	v := &campaignView{pageView: pageView{pageData: pageData{Title: "年度日程"}}}
	cp, err := p.db.LatestCampaign(ctx)
	if err != nil {
		if errors.Is(err, models.ErrNotFound) {
			v.None = true
			return v, nil
		}
		return nil, err
	}
	v.ID, v.Year, v.Status = cp.ID, strconv.Itoa(cp.Year), campaignStatusNames[cp.Status]
	if v.Status == "" {
		v.Status = cp.Status
	}
	v.Collection, v.Publication = p.when(cp.CollectionDeadline), p.when(cp.PublicationTarget)
	v.Batch1, v.Batch2 = p.whenPtr(cp.Batch1PublishedAt), p.whenPtr(cp.Batch2PublishedAt)
	ls, err := p.db.LeagueCollections(ctx, cp.ID)
	if err != nil {
		return nil, err
	}
	names := p.names(c)
	for _, l := range ls {
		line := leagueLine{Name: names[l.JurisdictionCode], Status: collectionStatusNames[l.Status], StatusClass: "status-" + l.Status,
			SubmittedAt: p.whenPtr(l.SubmittedAt)}
		if l.ContactName != "" {
			line.Contact = l.ContactName + " " + l.ContactPhone
		}
		switch l.Status {
		case "submitted":
			v.Submitted++
		case "overdue":
			v.Overdue++
		default:
			v.Collecting++
		}
		v.Leagues = append(v.Leagues, line)
	}
	v.Total = len(ls)
	v.CanManage = p.enf.Allowed(a.User.ID, a.Domain, "campaign", "manage")
	if v.CanManage {
		v.Which = formField{Name: "which", ID: "f-which", Label: "调整的时间节点", Kind: "select",
			Options: choices(c.PostForm("which"), "collection", "汇总截止时间（盟市报送汇总表）", "publication", "目录公布时间"), Errors: errs.take("which")}
		v.Date = formField{Name: "date", ID: "f-date", Label: "新的日期", Kind: "date", Value: c.PostForm("date"), Required: true,
			Hint: "截止到该日 23:59（北京时间）。", Errors: errs.take("date", "at")}
		v.Reason = formField{Name: "reason", ID: "f-reason", Label: "调整理由", Kind: "textarea", Rows: 3, Value: c.PostForm("reason"),
			Required: true, Wide: true, Errors: errs.take("reason")}
		v.FormErrors = errs.rest()
	}
	return v, nil
}

// moveDeadline moves a campaign deadline through the API (validated and audited there).
func (p *webPages) moveDeadline(c *gin.Context) error {
	body := moveBody{Which: c.PostForm("which"), Date: strings.TrimSpace(c.PostForm("date")), Reason: strings.TrimSpace(c.PostForm("reason"))}
	id := c.PostForm("campaign_id")
	var cal workflows.CampaignCalendar
	err := p.callAPI(c, http.MethodPost, "/api/v1/campaigns/"+url.PathEscape(id)+"/deadlines", body, &cal)
	if err == nil {
		what, at := "汇总截止时间", cal.CollectionDeadline
		if body.Which == "publication" {
			what, at = "目录公布时间", cal.PublicationTarget
		}
		p.flash(c, flashOK, "已将"+what+"调整为 "+p.when(at)+"。")
		return seeOther(c, "/campaign")
	}
	e := userError(err)
	if e == nil {
		return err
	}
	errs := newFieldBag()
	switch {
	case len(e.Fields) > 0:
		errs.addAll(e.Fields)
	case strings.Contains(e.Message, "理由"):
		errs.add("reason", e.Message)
	case strings.Contains(e.Message, "日期") || strings.Contains(e.Message, "时间"):
		errs.add("date", e.Message)
	default:
		errs.add("", e.Message)
	}
	v, verr := p.campaignView(c, errs)
	if verr != nil {
		return verr
	}
	return p.show(c, e.Status, "p_campaign", v)
}

// ---------------------------------------------------------------------------------------------
// Public directory.

// directoryView is p_directory.html's data.
type directoryView struct {
	pageView
	Tabs    []tabLink
	Query   formField
	League  formField
	Groups  []dirGroup
	Count   int
	Batch   string
	Results bool
}

type dirGroup struct {
	Title   string
	Entries []dirEntry
}

type dirEntry struct {
	Name, Address, Jurisdiction, Contact, Phone, Published, ComplaintHref string
	Occupations                                                           []string
}

// directoryPage is the public pilot enterprise directory, by batch, searchable by name or
// occupation and filterable by league.
func (p *webPages) directoryPage(c *gin.Context) error {
	ctx := c.Request.Context()
	v := &directoryView{pageView: pageView{pageData: pageData{Title: "试点企业目录"}}}
	batch, _ := strconv.Atoi(c.Query("batch"))
	if batch != 1 && batch != 2 {
		batch = 0
	}
	v.Batch = strconv.Itoa(batch)
	q := strings.TrimSpace(c.Query("q"))
	league := c.Query("league")
	for _, t := range []struct {
		b     int
		label string
	}{{0, "全部"}, {1, "第一批"}, {2, "第二批"}} {
		qs := url.Values{}
		if t.b != 0 {
			qs.Set("batch", strconv.Itoa(t.b))
		}
		if q != "" {
			qs.Set("q", q)
		}
		if league != "" {
			qs.Set("league", league)
		}
		href := "/directory"
		if len(qs) > 0 {
			href += "?" + qs.Encode()
		}
		v.Tabs = append(v.Tabs, tabLink{Href: href, Label: t.label, Current: t.b == batch})
	}
	leagues := p.leaguesUnder(c, models.RegionCode)
	opts := []choice{{Value: "", Label: "全区"}}
	inLeague := map[string]bool{}
	for _, l := range leagues {
		opts = append(opts, choice{Value: l.Code, Label: l.Name, Selected: l.Code == league})
		if l.Code == league {
			for _, x := range p.enf.Tree().Subtree(l.Code) {
				inLeague[x] = true
			}
		}
	}
	v.Query = formField{Name: "q", ID: "f-q", Label: "企业名称或职业（工种）", Kind: "search", Value: q}
	v.League = formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: opts}

	entries, err := p.db.Directory(ctx, "", batch, false)
	if err != nil {
		return err
	}
	names := p.names(c)
	groups := map[int]*dirGroup{}
	var order []int
	for _, d := range entries {
		if league != "" && !inLeague[d.JurisdictionCode] {
			continue
		}
		var occ []workflows.ApprovedOccupation
		_ = json.Unmarshal([]byte(d.OccupationsJSON), &occ)
		e := dirEntry{Name: d.EnterpriseName, Address: d.Address, Jurisdiction: names[d.JurisdictionCode], Contact: d.ContactName,
			Phone: d.ContactPhone, Published: p.day(d.PublishedAt), ComplaintHref: "/complaint?enterprise=" + url.QueryEscape(d.EnterpriseID)}
		match := q == "" || strings.Contains(d.EnterpriseName, q)
		for _, o := range occ {
			e.Occupations = append(e.Occupations, o.Name+"（"+o.Code+"）"+levelText(o.Levels))
			match = match || strings.Contains(o.Name, q)
		}
		if !match {
			continue
		}
		g, ok := groups[d.Batch]
		if !ok {
			g = &dirGroup{Title: map[int]string{1: "第一批试点企业", 2: "第二批试点企业"}[d.Batch]}
			groups[d.Batch] = g
			order = append(order, d.Batch)
		}
		g.Entries = append(g.Entries, e)
		v.Count++
	}
	sort.Ints(order)
	for _, b := range order {
		v.Groups = append(v.Groups, *groups[b])
	}
	v.Results = q != "" || league != ""
	return p.show(c, http.StatusOK, "p_directory", v)
}

// ---------------------------------------------------------------------------------------------
// Public complaints.

// complaintView is p_complaint.html's data.
type complaintView struct {
	pageView
	Done                                              bool
	ReceiptID, ReceiptMessage                         string
	Enterprise, Anonymous, Complainant, Contact, Text formField
	ErrorSummary                                      []errorLink
	NoEnterprises                                     bool
}

func (p *webPages) complaintPage(c *gin.Context) error {
	v, err := p.complaintView(c, complaintBody{EnterpriseID: c.Query("enterprise")}, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_complaint", v)
}

func (p *webPages) complaintView(c *gin.Context, b complaintBody, fields validate.Errors) (*complaintView, error) {
	v := &complaintView{pageView: pageView{pageData: pageData{Title: "投诉举报"}}}
	entries, err := p.db.Directory(c.Request.Context(), "", 0, true)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	opts := []choice{{Value: "", Label: "请选择被投诉的试点企业", Selected: b.EnterpriseID == ""}}
	for _, d := range entries {
		if !seen[d.EnterpriseID] {
			seen[d.EnterpriseID] = true
			opts = append(opts, choice{Value: d.EnterpriseID, Label: d.EnterpriseName, Selected: d.EnterpriseID == b.EnterpriseID})
		}
	}
	sort.SliceStable(opts[1:], func(i, j int) bool { return opts[1+i].Label < opts[1+j].Label })
	v.NoEnterprises = len(opts) == 1
	errs := newFieldBag()
	errs.addAll(fields)
	v.Enterprise = formField{Name: "enterprise_id", ID: "f-enterprise_id", Label: "被投诉企业", Kind: "select", Options: opts, Required: true,
		Errors: errs.take("enterprise_id")}
	v.Anonymous = formField{Name: "anonymous", ID: "f-anonymous", Label: "匿名投诉（不留姓名和联系方式）", Kind: "checkbox", Value: "on",
		Checked: b.Anonymous}
	v.Complainant = formField{Name: "complainant", ID: "f-complainant", Label: "投诉人姓名", Kind: "text", Value: b.Complainant,
		Autocomplete: "name", Hint: "实名投诉请填写；匿名投诉可不填。", Errors: errs.take("complainant")}
	v.Contact = formField{Name: "contact", ID: "f-contact", Label: "联系方式", Kind: "text", Value: b.Contact, Autocomplete: "tel",
		Hint: "电话或电子邮箱，便于核查人员联系您。", Errors: errs.take("contact")}
	v.Text = formField{Name: "content", ID: "f-content", Label: "投诉内容", Kind: "textarea", Rows: 8, Value: b.Content, Required: true, Wide: true,
		Hint: "请写明时间、地点、涉及的职业（工种）和事实依据，10 至 5000 字。", Errors: errs.take("content")}
	known := map[string]bool{"f-enterprise_id": true, "f-complainant": true, "f-contact": true, "f-content": true}
	v.ErrorSummary = summaryLinks(fields, known)
	if rest := errs.rest(); len(rest) > 0 {
		v.Alert = strings.Join(rest, " ")
	}
	return v, nil
}

// complaintSubmit files a complaint through the API (anonymous allowed) and shows the receipt.
func (p *webPages) complaintSubmit(c *gin.Context) error {
	b := complaintBody{EnterpriseID: c.PostForm("enterprise_id"), Anonymous: c.PostForm("anonymous") != "",
		Complainant: strings.TrimSpace(c.PostForm("complainant")), Contact: strings.TrimSpace(c.PostForm("contact")), Content: c.PostForm("content")}
	var out struct {
		ID      string `json:"id"`
		Message string `json:"message"`
	}
	err := p.callAPI(c, http.MethodPost, "/api/v1/complaints", b, &out)
	if err != nil {
		e := userError(err)
		if e == nil {
			return err
		}
		fields := e.Fields
		if len(fields) == 0 {
			fields = validate.Errors{{Message: e.Message}}
		}
		v, verr := p.complaintView(c, b, fields)
		if verr != nil {
			return verr
		}
		return p.show(c, http.StatusUnprocessableEntity, "p_complaint", v)
	}
	v := &complaintView{pageView: pageView{pageData: pageData{Title: "投诉举报"}}, Done: true, ReceiptID: out.ID, ReceiptMessage: out.Message}
	return p.show(c, http.StatusOK, "p_complaint", v)
}

// ---------------------------------------------------------------------------------------------
// Stalled cases (administrators and the region).

// findingKindNames are the Chinese names of the watchdog's findings.
var findingKindNames = map[string]string{
	models.FindingOverdueTask: "待办逾期", models.FindingSilentCase: "长期无进展",
	models.FindingRetryingActivity: "后台处理反复失败", models.FindingDrift: "数据不一致",
}

// stalledView is p_stalled.html's data.
type stalledView struct {
	pageView
	Findings   []findingRow
	Counts     []kindCount
	Cohort     cohortTable
	BatchTabs  []tabLink
	ActionNote string
}

type kindCount struct {
	Name  string
	Count int
}

type findingRow struct {
	ID, KindName, Detail, Jurisdiction, Since, Age, FirstSeen, Enterprise string
	TaskHref, TaskID, TaskTitle, Assignee                                 string
	Version                                                               int
	CanAct                                                                bool
	Assignees                                                             []choice
	// Return is the 退回 form, offered on a case the caller may adjust in a stage it fits.
	Return *returnForm
}

// returnForm is a finding's 退回 form: the case goes back to the enterprise for correction and,
// once resubmitted, to the review it left (workflows.Returnable).
type returnForm struct {
	FindingID, CaseID, Label, Hint string
	Reason                         formField
	// Open unfolds the form (it comes back with an error and what was typed).
	Open bool
}

// returnInput is a posted 退回 form with the messages to show beside its reason.
type returnInput struct {
	FindingID, CaseID, Reason string
	Errors                    []string
}

type cohortTable struct {
	Leagues []string
	Rows    []cohortRow
	Totals  []cohortCell
	Total   cohortCell
}

type cohortRow struct {
	Stage string
	Cells []cohortCell
	Total cohortCell
}

type cohortCell struct {
	Count int
	Href  string
}

// stalledPage lists the watchdog's open findings with their age and the actions on them, and
// counts the cases by stage and league (a batch at a time) with links to the lists.
func (p *webPages) stalledPage(c *gin.Context) error {
	v, err := p.stalledView(c, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_stalled", v)
}

// stalledView builds the page; ret, when set, is a 退回 form that comes back with its errors.
func (p *webPages) stalledView(c *gin.Context, ret *returnInput) (*stalledView, error) {
	ctx := c.Request.Context()
	a := actorFrom(c)
	v := &stalledView{pageView: pageView{pageData: pageData{Title: "停滞案件"}}}
	fs, err := p.db.OpenFindings(ctx, p.subtree(c))
	if err != nil {
		return nil, err
	}
	cases := map[string]*models.Case{}
	retShown := false
	names := p.names(c)
	counts := map[string]int{}
	users := map[string]string{}
	candidates := map[string][]choice{}
	now := p.now()
	canAct := p.enf.Allowed(a.User.ID, a.Domain, "finding", "act")
	for _, f := range fs {
		counts[f.Kind]++
		row := findingRow{ID: f.ID, KindName: findingKindNames[f.Kind], Detail: f.Detail, Jurisdiction: names[f.JurisdictionCode],
			Since: p.when(f.Since), Age: ageText(now.Sub(f.Since)), FirstSeen: p.when(f.FirstSeen)}
		if row.KindName == "" {
			row.KindName = f.Kind
		}
		t, ok := p.findingTask(ctx, f)
		if ok {
			row.TaskHref, row.TaskID, row.TaskTitle, row.Version, row.Enterprise = taskHref(t.ID), t.ID, t.Title, t.Version, t.EnterpriseName
			row.Assignee = "单位待认领"
			if t.AssigneeID != "" {
				row.Assignee = p.userName(ctx, users, t.AssigneeID)
			}
			row.CanAct = canAct && p.enf.Allowed(a.User.ID, t.JurisdictionCode, "task", "reassign")
			if row.CanAct {
				key := t.CandidateRole + "|" + t.CandidateDomain
				if _, done := candidates[key]; !done {
					candidates[key] = p.reassignCandidates(ctx, t)
				}
				row.Assignees = append([]choice{{Value: "", Label: "退回单位待认领队列"}}, candidates[key]...)
				for i := range row.Assignees {
					row.Assignees[i].Selected = row.Assignees[i].Value == t.AssigneeID
				}
			}
		}
		caseID := f.CaseID
		if caseID == "" && ok {
			caseID = t.CaseID
		}
		if cs := p.stalledCase(ctx, cases, caseID); cs != nil {
			if row.Enterprise == "" {
				row.Enterprise = cs.EnterpriseName
			}
			row.Return = p.returnFormFor(a, f.ID, cs)
		}
		if row.Return != nil && ret != nil && ret.FindingID == f.ID && ret.CaseID == row.Return.CaseID {
			row.Return.Reason.Value, row.Return.Reason.Errors, row.Return.Open = ret.Reason, ret.Errors, true
			retShown = true
		}
		v.Findings = append(v.Findings, row)
	}
	if ret != nil && !retShown {
		// The finding closed or the case moved on meanwhile: the message goes above the page.
		v.Alert = strings.Join(ret.Errors, " ")
	}
	for _, k := range []string{models.FindingOverdueTask, models.FindingSilentCase, models.FindingRetryingActivity, models.FindingDrift} {
		v.Counts = append(v.Counts, kindCount{Name: findingKindNames[k], Count: counts[k]})
	}
	batch := c.Query("batch")
	if batch != "1" && batch != "2" {
		batch = ""
	}
	for _, t := range []struct{ b, label string }{{"", "全部批次"}, {"1", "第一批"}, {"2", "第二批"}} {
		href := "/admin/stalled"
		if t.b != "" {
			href += "?batch=" + t.b
		}
		v.BatchTabs = append(v.BatchTabs, tabLink{Href: href + "#cohort", Label: t.label, Current: t.b == batch})
	}
	v.Cohort, err = p.cohort(c, batch)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// stalledCase loads a finding's case once per page (nil when there is none).
func (p *webPages) stalledCase(ctx context.Context, cases map[string]*models.Case, id string) *models.Case {
	if id == "" {
		return nil
	}
	if cs, done := cases[id]; done {
		return cs
	}
	cases[id] = nil
	cs, err := p.db.CaseByID(ctx, id)
	if err != nil {
		if !errors.Is(err, models.ErrNotFound) {
			p.log.WarnContext(ctx, "stalled finding case", "caseID", id, "err", err)
		}
		return nil
	}
	cases[id] = &cs
	return &cs
}

// returnFormFor is the 退回 form of a finding's case, or nil when the case is not in a stage the
// workflow lets the region return, or the caller may not adjust it (the API and the workflow
// decide; this only keeps the page from offering what would be refused).
func (p *webPages) returnFormFor(a *Actor, findingID string, cs *models.Case) *returnForm {
	if cs.Status != "open" || !workflows.Returnable(cs.Stage) ||
		!p.enf.Allowed(a.User.ID, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID), "case", "adjust") {
		return nil
	}
	back := stageName(cs.Stage)
	return &returnForm{FindingID: findingID, CaseID: cs.ID, Label: "退回企业补正",
		Hint: "申报材料退回企业按理由修改，企业重新提交后回到" + back + "。当前待办将撤销；企业和原待办人会收到通知，退回记入审计日志。",
		Reason: formField{Name: "reason", ID: "f-return-reason-" + findingID, Label: "退回理由（企业可见）", Kind: "textarea",
			Required: true, Wide: true, Rows: 3}}
}

// findingTask is the open task a finding is about: its own, or its case's first open task.
func (p *webPages) findingTask(ctx context.Context, f models.Finding) (models.Task, bool) {
	if f.TaskID != "" {
		if t, err := p.db.TaskByID(ctx, f.TaskID); err == nil && t.Status == models.TaskOpen {
			return t, true
		}
	}
	if f.CaseID != "" {
		if ts, err := p.db.OpenTasksOfCase(ctx, f.CaseID); err == nil && len(ts) > 0 {
			return ts[0], true
		}
	}
	return models.Task{}, false
}

// reassignCandidates are the active users of a task's role who may decide it.
func (p *webPages) reassignCandidates(ctx context.Context, t models.Task) []choice {
	us, _, err := p.db.Users(ctx, models.UserFilter{Jurisdictions: p.enf.Tree().Subtree(models.RegionCode), Role: t.CandidateRole, Limit: 200})
	if err != nil {
		p.log.WarnContext(ctx, "reassign candidates", "taskID", t.ID, "err", err)
		return nil
	}
	var out []choice
	for _, u := range us {
		if u.Active && p.enf.Allowed(u.ID, t.CandidateDomain, "task", "decide") {
			out = append(out, choice{Value: u.ID, Label: u.DisplayName + "（" + u.Username + "）"})
		}
	}
	return out
}

// cohort counts the cases in scope by stage and league (of one batch, or all with "").
func (p *webPages) cohort(c *gin.Context, batch string) (cohortTable, error) {
	ctx := c.Request.Context()
	var tab cohortTable
	counts := map[string]map[string]int{}
	leagues := map[string]bool{}
	juris := p.subtree(c)
	for offset := 0; ; offset += 200 {
		cs, total, err := p.db.Cases(ctx, models.CaseFilter{Jurisdictions: juris, Limit: 200, Offset: offset})
		if err != nil {
			return tab, err
		}
		for _, x := range cs {
			if batch != "" && strconv.Itoa(x.Batch) != batch {
				continue
			}
			if counts[x.Stage] == nil {
				counts[x.Stage] = map[string]int{}
			}
			counts[x.Stage][x.LeagueCode]++
			leagues[x.LeagueCode] = true
		}
		if len(cs) == 0 || int64(offset+len(cs)) >= total {
			break
		}
	}
	names := p.names(c)
	var codes []string
	for l := range leagues {
		codes = append(codes, l)
	}
	sort.Strings(codes)
	for _, l := range codes {
		tab.Leagues = append(tab.Leagues, names[l])
	}
	href := func(stage, league string) string {
		q := url.Values{}
		if stage != "" {
			q.Set("stage", stage)
		}
		if league != "" {
			q.Set("league", league)
		}
		if batch != "" {
			q.Set("batch", batch)
		}
		return "/admin/cases?" + q.Encode()
	}
	tab.Totals = make([]cohortCell, len(codes))
	for _, st := range stageOrder {
		row, ok := counts[st]
		if !ok {
			continue
		}
		r := cohortRow{Stage: stageName(st)}
		for i, l := range codes {
			n := row[l]
			cell := cohortCell{Count: n}
			if n > 0 {
				cell.Href = href(st, l)
			}
			r.Cells = append(r.Cells, cell)
			r.Total.Count += n
			tab.Totals[i].Count += n
		}
		r.Total.Href = href(st, "")
		tab.Total.Count += r.Total.Count
		tab.Rows = append(tab.Rows, r)
	}
	for i, l := range codes {
		tab.Totals[i].Href = href("", l)
	}
	tab.Total.Href = href("", "")
	return tab, nil
}

// remind sends the holder of a stalled task (its assignee, or everyone who may claim it) a
// reminder, and audits it.
func (p *webPages) remind(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
	t, err := p.db.TaskByID(ctx, c.PostForm("task_id"))
	if err != nil || t.Status != models.TaskOpen {
		p.flash(c, flashError, "该待办已办结或不存在，无需提醒。")
		return seeOther(c, "/admin/stalled")
	}
	if !p.enf.Allowed(a.User.ID, t.JurisdictionCode, "finding", "act") {
		_ = p.audit(ctx, a, models.AuditEntry{Action: "finding.remind", ObjectType: "task", ObjectID: t.ID, Outcome: models.OutcomeDenied,
			JurisdictionCode: truncate(t.JurisdictionCode, 6), Reason: "outside jurisdiction"})
		return errForbidden
	}
	n := models.NotifyRequest{UserID: t.AssigneeID, Role: t.CandidateRole, Domain: t.CandidateDomain, CaseID: t.CaseID, Kind: "reminder",
		Subject: "督办提醒：" + kindTitle(t.Kind),
		Body:    fmt.Sprintf("待办“%s”请尽快办理（办理时限 %s）。督办人：%s。", t.Title, p.when(t.DueAt), a.User.DisplayName)}
	now := p.now().UTC()
	if _, err := p.db.ApplyTransition(ctx, models.Transition{Key: "remind/" + t.ID + "/" + requestIDFrom(ctx), At: now,
		Notify: []models.NotifyRequest{n}}); err != nil {
		return err
	}
	_ = p.audit(ctx, a, models.AuditEntry{Action: "finding.remind", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: truncate(t.JurisdictionCode, 6),
		AfterState: t.AssigneeID, Reason: strings.TrimSpace(c.PostForm("reason"))})
	who := "可办理该待办的人员"
	if t.AssigneeID != "" {
		who = p.userName(ctx, map[string]string{}, t.AssigneeID)
	}
	p.flash(c, flashOK, "已向"+who+"发送督办提醒："+t.Title)
	return seeOther(c, "/admin/stalled")
}

// reassign gives a stalled task to another person (or back to the unit's queue) through the
// API's reassignment, which checks the new holder and audits the change with its reason.
func (p *webPages) reassign(c *gin.Context) error {
	id := c.PostForm("task_id")
	version, _ := strconv.Atoi(c.PostForm("version"))
	body := versionBody{Version: version, AssigneeID: c.PostForm("assignee_id"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	if body.Reason == "" {
		p.flash(c, flashError, "请填写改派理由。")
		return seeOther(c, "/admin/stalled")
	}
	var t models.Task
	if err := p.callAPI(c, http.MethodPost, "/api/v1/tasks/"+url.PathEscape(id)+"/reassign", body, &t); err != nil {
		return p.backWithError(c, "/admin/stalled", err)
	}
	msg := "已退回单位待认领队列：" + t.Title
	if t.AssigneeID != "" {
		msg = "已改派给" + p.userName(c.Request.Context(), map[string]string{}, t.AssigneeID) + "：" + t.Title
	}
	p.flash(c, flashOK, msg)
	return seeOther(c, "/admin/stalled")
}

// returnCase returns a stalled case to the enterprise for correction through the API's
// adjustment (the workflow checks the stage and the role, cancels the review task, opens the
// correction and audits it; the API audits a refusal). A blank reason is refused here, and
// any refusal comes back beside the form with what was typed.
func (p *webPages) returnCase(c *gin.Context) error {
	ctx := c.Request.Context()
	in := &returnInput{FindingID: c.PostForm("finding_id"), CaseID: c.PostForm("case_id"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	status := http.StatusUnprocessableEntity
	if in.Reason == "" {
		in.Errors = []string{"请填写退回理由。"}
	} else {
		var before models.Case
		if cs, err := p.db.CaseByID(ctx, in.CaseID); err == nil {
			before = cs
		}
		var res workflows.AdjustResult
		err := p.callAPI(c, http.MethodPost, "/api/v1/cases/"+url.PathEscape(in.CaseID)+"/adjust",
			adjustBody{Action: "return", Reason: in.Reason}, &res)
		if err == nil {
			msg := "已退回企业补正。"
			if before.ID != "" {
				msg = "已将" + before.EnterpriseName + "的申报退回企业补正，企业重新提交后回到" + stageName(before.Stage) + "。"
			}
			p.flash(c, flashOK, msg)
			return seeOther(c, "/admin/stalled")
		}
		e := userError(err)
		if e == nil {
			return err
		}
		in.Errors, status = []string{e.Message}, e.Status
	}
	v, err := p.stalledView(c, in)
	if err != nil {
		return err
	}
	return p.show(c, status, "p_stalled", v)
}

// ---------------------------------------------------------------------------------------------
// Case lists.

// casesView is p_cases.html's data.
type casesView struct {
	pageView
	FilterFields []formField
	Rows         []caseRow
	pager
}

type caseRow struct {
	Enterprise, Stage, Status, Jurisdiction, League, Batch, NextDeadline, LastEvent, TaskHref string
	SLA                                                                                       marker
}

const casesPageSize = 50

// casesPage lists the cases in scope by stage, league and batch (the cohort table's links).
func (p *webPages) casesPage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
	q := c.Request.URL.Query()
	v := &casesView{pageView: pageView{pageData: pageData{Title: "案件统计"}}}
	f := models.CaseFilter{Jurisdictions: p.subtree(c), Limit: casesPageSize}
	if st := q.Get("stage"); workflows.StageNames[st] != "" {
		f.Stage = st
	}
	leagues := p.leaguesUnder(c, a.Jurisdiction)
	for _, l := range leagues {
		if l.Code == q.Get("league") {
			f.League = l.Code
		}
	}
	batchFilter := q.Get("batch")
	if batchFilter == "1" || batchFilter == "2" {
		f.Batch, _ = strconv.Atoi(batchFilter)
	}
	if s := q.Get("status"); s == "open" || s == "closed" {
		f.Status = s
	}
	v.Page, _ = strconv.Atoi(q.Get("page"))
	v.Page = max(v.Page, 1)
	f.Offset = (v.Page - 1) * casesPageSize
	cs, total, err := p.db.Cases(ctx, f)
	if err != nil {
		return err
	}
	names := p.names(c)
	for _, x := range cs {
		row := caseRow{Enterprise: x.EnterpriseName, Stage: stageName(x.Stage), Status: caseStatusNames[x.Status],
			Jurisdiction: names[x.JurisdictionCode], League: names[x.LeagueCode], NextDeadline: p.whenPtr(x.NextDeadline),
			LastEvent: p.when(x.LastEventAt)}
		if x.Batch > 0 {
			row.Batch = map[int]string{1: "第一批", 2: "第二批"}[x.Batch]
		}
		if x.Status == "open" && x.NextDeadline != nil {
			row.SLA = p.slaBadge(x.SLAState, *x.NextDeadline)
		}
		if ts, err := p.db.OpenTasksOfCase(ctx, x.ID); err == nil && len(ts) > 0 {
			row.TaskHref = taskHref(ts[0].ID)
		}
		v.Rows = append(v.Rows, row)
	}
	v.setTotal("/admin/cases", q, total, casesPageSize)
	stages := []choice{{Value: "", Label: "全部阶段"}}
	for _, s := range stageOrder {
		stages = append(stages, choice{Value: s, Label: stageName(s), Selected: s == f.Stage})
	}
	v.FilterFields = []formField{{Name: "stage", ID: "f-stage", Label: "所处阶段", Kind: "select", Options: stages}}
	if len(leagues) > 1 {
		ls := []choice{{Value: "", Label: "全部盟市"}}
		for _, l := range leagues {
			ls = append(ls, choice{Value: l.Code, Label: l.Name, Selected: l.Code == f.League})
		}
		v.FilterFields = append(v.FilterFields, formField{Name: "league", ID: "f-league", Label: "盟市", Kind: "select", Options: ls})
	}
	v.FilterFields = append(v.FilterFields,
		formField{Name: "batch", ID: "f-batch", Label: "批次", Kind: "select", Options: choices(batchFilter, "", "全部批次", "1", "第一批", "2", "第二批")},
		formField{Name: "status", ID: "f-status", Label: "状态", Kind: "select", Options: choices(q.Get("status"), "", "全部", "open", "办理中", "closed", "已结束")})
	return p.show(c, http.StatusOK, "p_cases", v)
}
