package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	dom "skillcert/domain"
	"skillcert/models/validate"
	"skillcert/service"
)

// The supervision draws (双随机): those who organise supervision (the region, the centre, the
// leagues in their jurisdiction) draw sittings and supervisors with a seed the server chooses
// and records; the drawn supervisors see their sittings under 我的督导报告 and file a report on
// each, which they may amend until the region reviews it (official_supervision.go) and
// publishes it on /supervision.

// supervisionDrawRoutes registers the draw pages and the supervisors' report form.
func (p *Pages) supervisionDrawRoutes(r *gin.Engine, login gin.HandlerFunc) {
	manage := p.api.Authorize("supervision", "manage", api.OwnScope)
	r.GET("/supervision/draws", login, manage, p.api.Page(p.drawsPage))
	r.POST("/supervision/draws", login, p.api.CSRF, manage, p.api.Page(p.drawSubmit))
	r.GET("/supervision/draws/:id", login, p.api.Page(p.drawPage))
	r.GET("/supervision/draws/:id/sessions/:sid/report", login, p.api.Page(p.reportFormPage))
	r.POST("/supervision/draws/:id/sessions/:sid/report", login, p.api.CSRF, p.api.Page(p.reportSubmit))
}

// drawsView is p_supervision_draws.html's data.
type drawsView struct {
	pageView
	Form  drawForm
	Draws []drawRow
}

type drawForm struct {
	Title, Sessions, PerSession formField
	Summary                     []errorLink
}

type drawRow struct {
	Href, Title, DrawnAt, Seed string
	Sittings                   int
}

func (p *Pages) drawsView(c *gin.Context, typed map[string]string, errs validate.Errors) (*drawsView, error) {
	list, err := p.svc.SupervisionDraws(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return nil, err
	}
	v := &drawsView{pageView: pageView{pageData: pageData{Title: navDraws.Label}}}
	bag := newFieldBag()
	bag.addAll(errs)
	known := map[string]bool{}
	field := func(name, label, kind, value, hint string) formField {
		f := formField{Name: name, ID: fieldID(name), Label: label, Kind: kind, Value: value, Required: true, Hint: hint, Errors: bag.take(name)}
		if kind == "number" {
			f.InputMode = "numeric"
		}
		known[f.ID] = true
		return f
	}
	v.Form.Title = field("title", "督导批次名称", "text", typed["title"], "如“2027 年第一轮质量督导”。")
	v.Form.Title.Wide = true
	v.Form.Sessions = field("sessions", "抽取场次数", "number", typed["sessions"], "从辖区内尚未发证的认定场次中随机抽取，1 至 200。")
	v.Form.Sessions.Min, v.Form.Sessions.Max = "1", "200"
	v.Form.PerSession = field("per_session", "每个场次的督导员人数", "number", typed["per_session"], "2 至 10 名；与企业有利害关系的督导员在抽取前回避。")
	v.Form.PerSession.Min, v.Form.PerSession.Max = "2", "10"
	v.Form.Summary = summaryLinks(errs, known)
	for _, d := range list {
		n := 0
		if as, err := d.Assignments(); err == nil {
			n = len(as)
		}
		v.Draws = append(v.Draws, drawRow{Href: "/supervision/draws/" + url.PathEscape(d.ID), Title: d.Title, DrawnAt: p.when(d.CreatedAt),
			Seed: strconv.FormatInt(d.Seed, 10), Sittings: n})
	}
	return v, nil
}

// drawsPage lists the draws of the caller's jurisdiction, with the form of a new draw.
func (p *Pages) drawsPage(c *gin.Context) error {
	v, err := p.drawsView(c, map[string]string{"sessions": "1", "per_session": "2"}, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_supervision_draws", v)
}

// drawSubmit draws (DrawSupervision: the server's seed, recorded); a refusal comes back beside
// the fields with what was typed.
func (p *Pages) drawSubmit(c *gin.Context) error {
	typed := map[string]string{}
	for _, k := range []string{"title", "sessions", "per_session"} {
		typed[k] = strings.TrimSpace(c.PostForm(k))
	}
	var errs validate.Errors
	nums := map[string]int{}
	for _, k := range []string{"sessions", "per_session"} {
		n, err := strconv.Atoi(typed[k])
		if err != nil {
			errs.Add(k, "invalid", "请填写整数。")
		}
		nums[k] = n
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		d, err := p.svc.DrawSupervision(c.Request.Context(), api.ActorFrom(c), service.DrawInput{Title: typed["title"], Sessions: nums["sessions"],
			PerSession: nums["per_session"]})
		if err == nil {
			p.flash(c, flashOK, fmt.Sprintf("已抽取 %d 个场次及其督导员（随机种子 %d 已记录，可复核），并已通知被抽中的督导员。", len(d.Assignments), d.Seed))
			return seeOther(c, "/supervision/draws/"+url.PathEscape(d.ID))
		}
		e := service.UserError(service.ToError(err))
		if e == nil || e.Status == http.StatusForbidden {
			return err
		}
		status, errs = e.Status, e.Fields
		if len(errs) == 0 {
			errs = validate.Errors{{Message: e.Message}}
		}
	}
	v, err := p.drawsView(c, typed, errs)
	if err != nil {
		return err
	}
	return p.show(c, status, "p_supervision_draws", v)
}

// drawView is p_supervision_draw.html's data.
type drawView struct {
	pageView
	DrawTitle, DrawnAt, Seed, Verified string
	VerifiedOK                         bool
	Sittings                           []drawnSittingRow
	ListHref                           string
}

type drawnSittingRow struct {
	Enterprise, Occupation, Level, ExamDate, Site string
	Supervisors                                   []drawnPersonRow
}

type drawnPersonRow struct {
	Name, Status, StatusClass, Rating, ReportHref string
}

// drawPage shows a draw: its seed and the check that it re-runs the same, and each drawn sitting
// with its supervisors and the state of their reports. A drawn supervisor sees their own part.
func (p *Pages) drawPage(c *gin.Context) error {
	ctx, a := c.Request.Context(), api.ActorFrom(c)
	d, err := p.svc.ReadDrawDetail(ctx, a, c.Param("id"))
	if err != nil {
		return err
	}
	v := &drawView{pageView: pageView{pageData: pageData{Title: "督导批次：" + d.Title}}, DrawTitle: d.Title, DrawnAt: p.when(d.CreatedAt),
		Seed: strconv.FormatInt(d.Seed, 10)}
	supervisor := dom.NeedsRelation(a.User.Role, "supervision", "read")
	if supervisor {
		v.ListHref = "/supervision/mine"
	} else {
		v.ListHref = "/supervision/draws"
		match, _, err := p.svc.VerifyDraw(ctx, a, d.ID)
		if err != nil {
			return err
		}
		v.VerifiedOK = match
		v.Verified = "按记录的随机种子和候选名单重新抽取，结果与记录一致。"
		if !match {
			v.Verified = "按记录的随机种子和候选名单重新抽取，结果与记录不一致，请立即核查。"
		}
	}
	for _, st := range d.Sittings {
		row := drawnSittingRow{Enterprise: st.EnterpriseName, Occupation: st.OccupationName, Level: levelName(st.Level), Site: st.Site}
		if st.ExamDate != nil {
			row.ExamDate = p.day(*st.ExamDate)
		}
		for _, x := range st.Supervisors {
			pr := drawnPersonRow{Name: x.Name, Status: "尚未提交报告", StatusClass: "soon"}
			if x.Report != nil {
				pr.Status, pr.Rating = dom.ReportStatusNames[x.Report.Status], ratingNames[x.Report.Rating]
				pr.StatusClass = reportStatusClass[x.Report.Status]
			}
			if supervisor {
				pr.ReportHref = reportFormHref(d.ID, st.SessionID)
			}
			row.Supervisors = append(row.Supervisors, pr)
		}
		v.Sittings = append(v.Sittings, row)
	}
	return p.show(c, http.StatusOK, "p_supervision_draw", v)
}

var reportStatusClass = map[string]string{dom.ReportSubmitted: "soon", dom.ReportPublished: "ok", dom.ReportReturned: "overdue"}

func reportFormHref(drawID, sessionID string) string {
	return "/supervision/draws/" + url.PathEscape(drawID) + "/sessions/" + url.PathEscape(sessionID) + "/report"
}

// reportFormView is p_supervision_report.html's data.
type reportFormView struct {
	pageView
	Sitting                                     drawnSittingRow
	DrawTitle, Action, StatusName, ReturnReason string
	Rating, Findings                            formField
	CanFile, Amend                              bool
	Summary                                     []errorLink
}

// ratingChoices are the ratings in the order the form offers them.
var ratingChoices = []string{"good", "acceptable", "rectify", "serious"}

func (p *Pages) reportFormView(c *gin.Context, typed map[string]string, errs validate.Errors) (*reportFormView, error) {
	as, err := p.svc.SupervisionAssignment(c.Request.Context(), api.ActorFrom(c), c.Param("id"), c.Param("sid"))
	if err != nil {
		return nil, err
	}
	v := &reportFormView{pageView: pageView{pageData: pageData{Title: "督导报告：" + as.EnterpriseName}}, DrawTitle: as.DrawTitle,
		Action: reportFormHref(as.DrawID, as.SessionID), CanFile: as.CanFile,
		Sitting: drawnSittingRow{Enterprise: as.EnterpriseName, Occupation: as.OccupationName, Level: levelName(as.Level), Site: as.Site}}
	if as.ExamDate != nil {
		v.Sitting.ExamDate = p.day(*as.ExamDate)
	}
	if typed == nil {
		typed = map[string]string{}
		if as.Report != nil {
			typed["rating"], typed["findings"] = as.Report.Rating, as.Report.Findings
		}
	}
	if as.Report != nil {
		v.Amend, v.StatusName = true, dom.ReportStatusNames[as.Report.Status]
		if as.Report.Status == dom.ReportReturned {
			v.ReturnReason = as.Report.ReturnReason
		}
	}
	bag := newFieldBag()
	bag.addAll(errs)
	opts := []string{"", "请选择"}
	for _, r := range ratingChoices {
		opts = append(opts, r, ratingNames[r])
	}
	v.Rating = formField{Name: "rating", ID: "f-rating", Label: "督导评价", Kind: "select", Required: true, Options: choices(typed["rating"], opts...),
		Errors: bag.take("rating"), Hint: "“需整改”“存在严重问题”的报告公开时同时通知企业整改。"}
	v.Findings = formField{Name: "findings", ID: "f-findings", Label: "督导发现", Kind: "textarea", Rows: 6, Required: true, Wide: true,
		Value: typed["findings"], MaxLength: "5000", Errors: bag.take("findings"), Hint: "考场组织、考评人员、考务管理、原始记录等方面的情况和问题，5 至 5000 字。"}
	v.Summary = summaryLinks(errs, map[string]bool{"f-rating": true, "f-findings": true})
	return v, nil
}

// reportFormPage is a drawn supervisor's report form on one of their sittings: new, amended
// while it awaits review, or refiled after a return (with the reason).
func (p *Pages) reportFormPage(c *gin.Context) error {
	v, err := p.reportFormView(c, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_supervision_report", v)
}

// reportSubmit files the report (FileSupervisionReport); a refusal comes back beside the fields.
func (p *Pages) reportSubmit(c *gin.Context) error {
	typed := map[string]string{"rating": strings.TrimSpace(c.PostForm("rating")), "findings": strings.TrimSpace(c.PostForm("findings"))}
	var errs validate.Errors
	if typed["rating"] == "" {
		errs.Add("rating", "required", "请选择督导评价。")
	}
	status := http.StatusUnprocessableEntity
	if len(errs) == 0 {
		r, err := p.svc.FileSupervisionReport(c.Request.Context(), api.ActorFrom(c), service.ReportInput{DrawID: c.Param("id"), SessionID: c.Param("sid"),
			Rating: typed["rating"], Findings: typed["findings"]})
		if err == nil {
			msg := "督导报告已提交，等待自治区人社厅审核后公开；审核前可以修改。"
			if r.UpdatedAt != nil {
				msg = "督导报告已修改，等待自治区人社厅审核。"
			}
			p.flash(c, flashOK, msg)
			return seeOther(c, "/supervision/mine")
		}
		e := service.UserError(service.ToError(err))
		if e == nil || outOfReach(e) {
			return err
		}
		status, errs = e.Status, e.Fields
		if len(errs) == 0 {
			errs = validate.Errors{{Message: e.Message}}
		}
	}
	v, err := p.reportFormView(c, typed, errs)
	if err != nil {
		return err
	}
	return p.show(c, status, "p_supervision_report", v)
}

// supervisionInboxNote tells a supervisor in the inbox how many drawn sittings wait for their
// report (the draws are not tasks), or "".
func (p *Pages) supervisionInboxNote(c *gin.Context) string {
	as, err := p.svc.SupervisionAssignments(c.Request.Context(), api.ActorFrom(c))
	if err != nil {
		return ""
	}
	open := 0
	for _, x := range as {
		if x.Report == nil || x.Report.Status == dom.ReportReturned {
			open++
		}
	}
	if open == 0 {
		return ""
	}
	return fmt.Sprintf("您有 %d 个随机抽取的督导场次待提交（或补充）督导报告，请在“我的督导报告”中填写。", open)
}
