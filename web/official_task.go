package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
	"skillcert/workflows"
)

// taskView is p_task.html's data.
type taskView struct {
	pageView
	Head        taskHead
	Case        *caseSummary
	App         *appRead
	AppNote     string
	Attachments []attLink
	Documents   []attLink
	Timeline    []timelineRow
	Complaint   *complaintInfo
	Publishing  []string
	// PublicationNumber is the 文号 of the directory publication a publish task made.
	PublicationNumber string
	Decision          *decisionForm
	// Claim state: who holds the task and what the caller can do about it.
	CanClaim, CanUnclaim bool
	// CanRedraw offers the region the redraw of a drawn expert (never a hand-picked one).
	CanRedraw bool
	// Queued is set when the caller's role takes tasks from a unit's queue (officials): only
	// they read who has claimed a task; an enterprise's tasks are simply its own.
	Queued    bool
	ClaimedBy string
	Version   int
	ReturnTo  string
	// CorrectionHref sends the enterprise to its form for a correction task.
	CorrectionHref string
	SummaryHref    string
	// Sitting is the assessment sitting of a sitting task (submit, audit, correct results).
	Sitting *sittingInfo
	// Objection is the objection a review_objection task is about.
	Objection *objectionInfo
	// Scores are each expert's score and comment on the case (officials only; names per
	// need-to-know), Average their mean.
	Scores  []scoreRow
	Average string
}

// scoreRow is one expert's score as the task page shows it.
type scoreRow struct {
	Expert, Comment, At string
	Score               int
}

// objectionInfo is an objection to a publicity of results, as its reviewer reads it.
type objectionInfo struct {
	Filed, Person, Objector, Contact, Content, Status string
}

type taskHead struct {
	ID, Title, KindName, Enterprise, Stage, Due, Status string
	SLA                                                 marker
	Open                                                bool
	Outcome, DecidedAt, DecidedBy, Reasons              string
	Escalated                                           int
}

type caseSummary struct {
	ID, Enterprise, Stage, Status, Outcome, Batch, Jurisdiction, League string
	NextDeadline, Created, LastEvent                                    string
	SLA                                                                 marker
	Version                                                             int
	PrintHref                                                           string
	Approved                                                            []string
	// PublicationNumber (公布文号), FilingNumber (备案号) and Paper (纸质申报表接收) are the
	// case's records beside the workflow (service.RecordsOfCase).
	PublicationNumber, FilingNumber, Paper string
	ShowPaper                              bool
	// LedgerHref downloads the enterprise's work ledger (工作台账).
	LedgerHref string
}

type timelineRow struct{ At, Summary, Actor, Stage string }

type attLink struct{ Label, Name, Href string }

type complaintInfo struct {
	ID, Enterprise, Filed, Content, Complainant, Contact, Status string
	Anonymous                                                    bool
}

// taskPage shows a task with its case, the application as submitted, the case's timeline and,
// when the caller may decide it, the decision form for its kind.
func (p *Pages) taskPage(c *gin.Context) error {
	t, a, ok := p.api.TaskInScope(c, "read")
	if !ok {
		return nil
	}
	v, err := p.taskView(c, a, t, nil, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_task", v)
}

func (p *Pages) taskView(c *gin.Context, a *service.Actor, t models.Task, in *decisionInput, errs *fieldBag) (*taskView, error) {
	ctx := c.Request.Context()
	users := map[string]string{}
	v := &taskView{pageView: pageView{pageData: pageData{Title: t.Title}}, Version: t.Version, ReturnTo: taskHref(t.ID)}
	v.Head = taskHead{ID: t.ID, Title: t.Title, KindName: service.KindTitle(t.Kind), Enterprise: t.EnterpriseName, Stage: stageName(t.Stage),
		Due: p.when(t.DueAt), Open: t.Status == models.TaskOpen, Escalated: t.Escalated,
		Status: map[string]string{models.TaskOpen: "待办理", models.TaskDone: "已办结", models.TaskCancelled: "已取消"}[t.Status]}
	if v.Head.Open {
		v.Head.SLA = p.slaBadge(t.SLAState, t.DueAt)
	} else {
		v.Head.Outcome, v.Head.DecidedAt, v.Head.Reasons = kindOutcomeName(t.Kind, t.Outcome), p.whenPtr(t.DecidedAt), prettyReasons(t.Reasons)
		if t.DecidedBy != "" {
			v.Head.DecidedBy = p.userName(ctx, users, t.DecidedBy)
		}
	}
	v.Queued = p.svc.ClaimsFromQueue(a)
	switch {
	case t.AssigneeID == a.User.ID:
		v.ClaimedBy, v.CanUnclaim = "我", v.Head.Open && p.svc.MayUnclaim(a, t)
	case t.AssigneeID != "":
		v.ClaimedBy = p.userName(ctx, users, t.AssigneeID)
	default:
		v.CanClaim = v.Head.Open && p.svc.MayClaim(a, t)
	}

	v.CanRedraw = v.Head.Open && t.Kind == workflows.KindExpertScore && p.svc.MayRedraw(a, t)
	var cs *models.Case
	if t.CaseID != "" {
		if x, err := p.db.CaseByID(ctx, t.CaseID); err == nil {
			cs = &x
		} else if !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	if cs != nil {
		if err := p.fillCase(c, a, v, *cs, !isSessionKind(t.Kind)); err != nil {
			return nil, err
		}
	}
	if isSessionKind(t.Kind) {
		if err := p.fillSitting(c, v, t); err != nil {
			return nil, err
		}
	}
	switch t.Kind {
	case workflows.KindReviewObjection:
		o, ok, err := p.svc.TaskObjection(ctx, a, t.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			oi := &objectionInfo{Filed: p.when(o.CreatedAt), Person: "整场认定", Objector: o.Objector, Contact: o.Contact, Content: o.Content,
				Status: objectionStatusNames[o.Status]}
			if v.Sitting != nil {
				for _, x := range v.Sitting.Candidates {
					if x.ID == o.CandidateID {
						oi.Person = x.Name + "（" + x.IDMasked + "）"
					}
				}
			}
			v.Objection = oi
		}
	case workflows.KindVerifyComplaint, workflows.KindComplaintDecision:
		v.Complaint = p.complaintOf(c, t)
	case workflows.KindPublish:
		list, _, err := p.db.Cases(ctx, models.CaseFilter{Jurisdictions: p.enf.Tree().Subtree(models.RegionCode), CampaignID: t.CampaignID,
			Stage: workflows.StageAwaitingPublication, Batch: t.Batch, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, x := range list {
			v.Publishing = append(v.Publishing, x.EnterpriseName)
		}
		if t.Status == models.TaskDone && t.Outcome == "publish" && t.Batch > 0 {
			if v.PublicationNumber, err = p.svc.PublicationNumber(ctx, nil, t.CampaignID, t.Batch); err != nil {
				return nil, err
			}
		}
	case workflows.KindSubmitSummary:
		v.SummaryHref = "/summary"
		if a.User.Role != models.RoleLeagueOfficial {
			v.SummaryHref = "/summary?league=" + url.QueryEscape(t.JurisdictionCode)
		}
	}
	if v.Head.Open && p.svc.MayDecide(a, t) {
		if t.Kind == workflows.KindCorrection {
			v.CorrectionHref = "/application"
		} else {
			if in == nil {
				in = &decisionInput{}
			}
			f, err := p.decisionFormFor(c, t, cs, v.Sitting, in, errs)
			if err != nil {
				return nil, err
			}
			v.Decision = f
			v.SkipLinks = append(v.SkipLinks, link{Href: "#decide", Label: "跳到办理"})
		}
	}
	return v, nil
}

// fillCase adds the case summary, the timeline and, withApp, the application as submitted (if
// the caller may read it) and its attachments.
func (p *Pages) fillCase(c *gin.Context, a *service.Actor, v *taskView, cs models.Case, withApp bool) error {
	ctx := c.Request.Context()
	names := p.names(c)
	sum := &caseSummary{ID: cs.ID, Enterprise: cs.EnterpriseName, Stage: stageName(cs.Stage), Status: caseStatusNames[cs.Status],
		Outcome: outcomeName(cs.Outcome), Jurisdiction: names[cs.JurisdictionCode], League: names[cs.LeagueCode],
		NextDeadline: p.whenPtr(cs.NextDeadline), Created: p.when(cs.CreatedAt), LastEvent: p.when(cs.LastEventAt),
		Version: cs.ApplicationVersion, PrintHref: "/applications/" + url.PathEscape(cs.ApplicationID) + "/print"}
	if cs.Status == "open" && cs.NextDeadline != nil {
		sum.SLA = p.slaBadge(cs.SLAState, *cs.NextDeadline)
	}
	if cs.Batch > 0 {
		sum.Batch = map[int]string{1: "第一批", 2: "第二批"}[cs.Batch]
	}
	if cs.ApprovedJSON != "" {
		var ap []workflows.ApprovedOccupation
		if json.Unmarshal([]byte(cs.ApprovedJSON), &ap) == nil {
			for _, o := range ap {
				sum.Approved = append(sum.Approved, o.Name+"（"+o.Code+"）"+levelText(o.Levels))
			}
		}
	}
	if err := p.fillCaseRecords(c, a, cs, sum); err != nil {
		return err
	}
	v.Case = sum
	scores, err := p.svc.ExpertScoresOf(ctx, a, cs.ID)
	if err != nil {
		return err
	}
	sumScores := 0
	for _, x := range scores {
		v.Scores = append(v.Scores, scoreRow{Expert: x.Expert, Comment: x.Comment, At: p.when(x.At), Score: x.Score})
		sumScores += x.Score
	}
	if len(scores) > 0 {
		v.Average = strconv.FormatFloat(float64(sumScores)/float64(len(scores)), 'f', 1, 64)
	}

	publicOnly := a.User.Role == models.RoleEnterpriseUser
	var events []models.CaseEvent
	if !service.OnlyOwnTasks(a.User.Role) {
		// An expert judges the application alone: not the panel, the others' scores or the
		// officials' notes in the timeline.
		var err error
		if events, err = p.db.CaseEvents(ctx, cs.ID, publicOnly); err != nil {
			return err
		}
	}
	seeExperts := p.svc.MaySeeExpertNames(a)
	for _, e := range events {
		row := timelineRow{At: p.when(e.At), Summary: prettyReasons(e.Summary), Stage: stageName(e.Stage)}
		if e.ActorName != "" {
			row.Actor = e.ActorName
			hidden := e.ActorRole == models.RoleExpert && !seeExperts
			if hidden {
				row.Actor = models.RoleNames[models.RoleExpert] // who sat on the panel is need-to-know
			}
			if r := models.RoleNames[e.ActorRole]; r != "" && !publicOnly && !hidden {
				row.Actor += "（" + r + "）"
			}
		}
		v.Timeline = append(v.Timeline, row)
		if e.Kind == "work_plan_submitted" && e.DetailJSON != "" {
			var docs []workflows.Document
			if json.Unmarshal([]byte(e.DetailJSON), &docs) == nil {
				v.Documents = nil // the latest submission counts
				for _, d := range docs {
					v.Documents = append(v.Documents, attLink{Label: documentKinds[d.Kind], Name: d.Name, Href: attachmentHref(d.AttachmentID)})
				}
			}
		}
	}

	if !withApp {
		return nil
	}
	rec, err := p.db.ApplicationByID(ctx, cs.ApplicationID)
	if errors.Is(err, models.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	ent, err := p.db.EnterpriseByID(ctx, rec.EnterpriseID)
	if err != nil {
		return err
	}
	la := &service.LoadedApplication{Rec: rec, Ent: ent, Domain: policies.EnterpriseDomain(ent.JurisdictionCode, ent.ID)}
	if ok, err := p.svc.MayReadApplication(ctx, a, la); err != nil {
		return err
	} else if !ok {
		v.AppNote = "您的角色无权查看申报表内容。"
		return nil
	}
	av, err := p.applicationView(c, a, la)
	if err != nil {
		return err
	}
	if av.Form == nil {
		v.AppNote = "申报表尚未提交。"
		return nil
	}
	v.App = readApplication(*av.Form, av)
	v.Attachments = v.App.allAttachments()
	return nil
}

// fillSitting adds the sitting of a sitting task with its candidates and writes the centre's
// reasons (given per candidate ID) with the candidates' names.
func (p *Pages) fillSitting(c *gin.Context, v *taskView, t models.Task) error {
	sd, err := p.loadSitting(c, sessionIDOfTask(t))
	if service.UserError(err) != nil {
		return nil // outside the caller's scope: the task page shows the rest
	} else if err != nil {
		return err
	}
	si, err := p.sittingInfoOf(c.Request.Context(), sd)
	if err != nil {
		return err
	}
	v.Sitting = si
	if !v.Head.Open {
		r := t.Reasons
		for id, name := range si.names {
			r = strings.ReplaceAll(r, id+"：", name+"：")
		}
		v.Head.Reasons = prettyReasons(r)
	}
	return nil
}

// documentKinds names the documents of a work plan submission.
var documentKinds = map[string]string{"work_plan": "工作方案", "evaluation_spec": "评价规范"}

// objectionStatusNames name an objection's status.
var objectionStatusNames = map[string]string{"received": "已收到", "open": "核查中", "dismissed": "异议不成立", "sustained": "异议成立",
	"superseded": "随另一件异议成立一并处理", "refused": "未受理（公示期已结束）"}

// complaintOf finds the complaint a verification task is about.
func (p *Pages) complaintOf(c *gin.Context, t models.Task) *complaintInfo {
	id := strings.TrimPrefix(t.WorkflowID, "complaint-")
	list, err := p.db.Complaints(c.Request.Context(), p.enf.Tree().Subtree(t.JurisdictionCode))
	if err != nil {
		p.log.WarnContext(c.Request.Context(), "complaints of task", "taskID", t.ID, "err", err)
		return nil
	}
	for _, x := range list {
		if x.ID == id {
			ci := &complaintInfo{ID: x.ID, Enterprise: t.EnterpriseName, Filed: p.when(x.CreatedAt), Content: x.Content,
				Anonymous: x.Anonymous, Complainant: x.Complainant, Contact: x.Contact, Status: x.Status}
			return ci
		}
	}
	return nil
}

// applicationView is ViewApplication for a page handler.
func (p *Pages) applicationView(c *gin.Context, a *service.Actor, la *service.LoadedApplication) (service.ApplicationView, error) {
	return p.svc.ViewApplication(c.Request.Context(), a, la)
}

// redraw replaces the expert of an open scoring task by a new random draw (the region).
func (p *Pages) redraw(c *gin.Context) error {
	id := c.Param("id")
	back := taskHref(id)
	t, a, ok := p.api.TaskInScope(c, "read")
	if !ok {
		return nil
	}
	_, err := p.svc.AdjustCase(c.Request.Context(), a, service.AdjustInput{CaseID: t.CaseID, Action: "redraw", TaskID: t.ID,
		Reason: strings.TrimSpace(c.PostForm("reason"))})
	if err != nil {
		return p.backWithError(c, back, service.ToError(err))
	}
	p.flash(c, flashOK, "已重新抽取评估专家；原专家的评估任务已取消，新抽取的专家已收到待办。")
	return seeOther(c, back)
}
