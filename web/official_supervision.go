package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	dom "skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/service"
)

// The region's review of supervision reports (双随机、一公开: a report is public only once
// published) and the supervisors' view of their reports' status.

// reviewView is p_supervision_review.html's data.
type reviewView struct {
	pageView
	Reports []reviewItem
}

// reviewItem is a report awaiting review with its 公开 and 退回 forms.
type reviewItem struct {
	ID, DrawTitle, EnterpriseName, OccupationName, LevelName, Supervisor, Rating, Findings, FiledAt string
	// PreviousReturn is the reason the report was returned before it was refiled.
	PreviousReturn string
	FollowUp       bool
	Reason         formField
	// Open unfolds the 退回 form (it comes back with an error and what was typed).
	Open bool
}

// reviewInput is a posted review with the messages to show beside its reason.
type reviewInput struct {
	ReportID, Reason string
	Errors           []string
}

// supervisionReviewPage lists the reports awaiting the caller's review.
func (p *Pages) supervisionReviewPage(c *gin.Context) error {
	v, err := p.reviewView(c, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_supervision_review", v)
}

func (p *Pages) reviewView(c *gin.Context, in *reviewInput) (*reviewView, error) {
	rows, err := p.svc.SupervisionReports(c.Request.Context(), api.ActorFrom(c), dom.ReportSubmitted)
	if err != nil {
		return nil, err
	}
	v := &reviewView{pageView: pageView{pageData: pageData{Title: "督导报告审核"}}}
	shown := false
	for _, r := range rows {
		it := reviewItem{ID: r.ID, DrawTitle: r.DrawTitle, EnterpriseName: r.EnterpriseName, OccupationName: r.OccupationName,
			LevelName: validate.Level(r.Level).Name(), Supervisor: r.SupervisorName, Rating: ratingNames[r.Rating], Findings: r.Findings,
			FiledAt: p.when(r.CreatedAt), PreviousReturn: r.ReturnReason, FollowUp: dom.RatingNeedsFollowUp(r.Rating),
			Reason: formField{Name: "reason", ID: "reason-" + r.ID, Label: "退回理由", Kind: "textarea", Required: true, Wide: true, Rows: 3,
				MaxLength: "500", Hint: "说明需要督导员补充或更正的内容，督导员可据此修改后重新提交。"}}
		if in != nil && in.ReportID == r.ID {
			it.Reason.Value, it.Reason.Errors, it.Open, shown = in.Reason, in.Errors, true, true
		}
		v.Reports = append(v.Reports, it)
	}
	if in != nil && !shown && len(in.Errors) > 0 {
		// The report was reviewed meanwhile or is not the caller's: the message goes above the list.
		v.Alert = strings.Join(in.Errors, " ")
	}
	return v, nil
}

// supervisionReviewSubmit publishes or returns a report through the review use case (which
// authorizes, checks the status and audits); a refusal comes back beside the 退回 form with
// what was typed.
func (p *Pages) supervisionReviewSubmit(c *gin.Context) error {
	in := &reviewInput{ReportID: c.PostForm("report_id"), Reason: strings.TrimSpace(c.PostForm("reason"))}
	action := c.PostForm("action")
	_, err := p.svc.ReviewSupervisionReport(c.Request.Context(), api.ActorFrom(c), service.ReviewInput{ReportID: in.ReportID,
		Action: action, Reason: in.Reason})
	if err == nil {
		msg := "督导报告已公开。"
		if action == dom.ReviewReturn {
			msg = "督导报告已退回督导员补充。"
		}
		p.flash(c, flashOK, msg)
		return seeOther(c, "/supervision/review")
	}
	e := service.UserError(service.ToError(err))
	if e == nil {
		return err
	}
	if e.Status == http.StatusForbidden || e.Status == http.StatusUnauthorized {
		return e
	}
	var alert []string
	for _, f := range e.Fields {
		if f.Field == "reason" {
			in.Errors = append(in.Errors, f.Message) // beside the reason of the report's 退回 form
		} else {
			alert = append(alert, f.Message)
		}
	}
	if len(e.Fields) == 0 {
		alert = append(alert, e.Message)
	}
	v, verr := p.reviewView(c, in)
	if verr != nil {
		return verr
	}
	if len(alert) > 0 {
		v.Alert = strings.TrimSpace(v.Alert + " " + strings.Join(alert, " "))
	}
	return p.show(c, e.Status, "p_supervision_review", v)
}

// myReportsView is p_supervision_mine.html's data: the sittings the supervisor was drawn for
// (their work list, with the report form's link) and the reports filed.
type myReportsView struct {
	pageView
	Assignments []assignmentRow
	ToFile      int
	Reports     []myReport
}

// assignmentRow is a sitting the supervisor was drawn for.
type assignmentRow struct {
	DrawTitle, DrawHref, Enterprise, Occupation, Level, ExamDate, Site string
	Status, StatusClass, Action, ActionHref                            string
}

type myReport struct {
	DrawTitle, EnterpriseName, OccupationName, LevelName, Rating, Findings, FiledAt string
	Status, StatusName, StatusClass, ReturnReason, ReviewedAt                       string
}

// supervisionMinePage shows a supervisor the reports they filed with their review status and,
// for a returned report, the reason.
func (p *Pages) supervisionMinePage(c *gin.Context) error {
	a := api.ActorFrom(c)
	if a.User.Role != models.RoleSupervisor {
		return service.NewError(http.StatusNotFound, "not_found", "只有督导员有“我的督导报告”。")
	}
	rows, err := p.svc.SupervisionReports(c.Request.Context(), a, "")
	if err != nil {
		return err
	}
	v := &myReportsView{pageView: pageView{pageData: pageData{Title: "我的督导报告"}}}
	assigned, err := p.svc.SupervisionAssignments(c.Request.Context(), a)
	if err != nil {
		return err
	}
	for _, x := range assigned {
		r := assignmentRow{DrawTitle: x.DrawTitle, DrawHref: "/supervision/draws/" + url.PathEscape(x.DrawID), Enterprise: x.EnterpriseName,
			Occupation: x.OccupationName, Level: levelName(x.Level), Site: x.Site, Status: "待提交报告", StatusClass: "overdue",
			Action: "填写督导报告", ActionHref: reportFormHref(x.DrawID, x.SessionID)}
		if x.ExamDate != nil {
			r.ExamDate = p.day(*x.ExamDate)
		}
		if x.Report != nil {
			r.Status, r.StatusClass = dom.ReportStatusNames[x.Report.Status], reportStatusClass[x.Report.Status]
			r.Action = "修改督导报告"
			if x.Report.Status == dom.ReportReturned {
				r.Action = "按退回理由补充后重新提交"
			}
		} else {
			v.ToFile++
		}
		if !x.CanFile {
			r.Action, r.ActionHref = "", ""
		}
		v.Assignments = append(v.Assignments, r)
	}
	for _, r := range rows {
		m := myReport{DrawTitle: r.DrawTitle, EnterpriseName: r.EnterpriseName, OccupationName: r.OccupationName,
			LevelName: validate.Level(r.Level).Name(), Rating: ratingNames[r.Rating], Findings: r.Findings, FiledAt: p.when(r.CreatedAt),
			Status: r.Status, StatusName: dom.ReportStatusNames[r.Status], StatusClass: map[string]string{dom.ReportSubmitted: "soon",
				dom.ReportPublished: "ok", dom.ReportReturned: "overdue"}[r.Status]}
		if r.Status == dom.ReportReturned {
			m.ReturnReason = r.ReturnReason
		}
		m.ReviewedAt = p.whenPtr(r.ReviewedAt)
		v.Reports = append(v.Reports, m)
	}
	return p.show(c, http.StatusOK, "p_supervision_mine", v)
}
