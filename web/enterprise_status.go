package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/models"
	"skillcert/service"
	"skillcert/workflows"
)

// statusView is p_status.html's data.
type statusView struct {
	pageView
	AppStatus, AppStatusName, SubmittedAt string
	CurrentVersion, DraftVersion          int
	Editable                              bool
	Case                                  *caseSummary
	Steps                                 []progressStep
	MyTasks, Waiting                      []taskLine
	Returned                              *returnedInfo
	Timeline                              []timelineRow
	PrintHref                             string
}

type progressStep struct {
	Label         string
	Done, Current bool
}

type taskLine struct {
	Title, Due, Href, Action, Who string
	SLA                           marker
}

type returnedInfo struct {
	At      string
	Version int
	Reasons []reasonLine
}

type reasonLine struct{ Field, Message string }

// progressStages are the main steps an enterprise goes through, for the progress bar.
var progressStages = []struct{ stage, label string }{
	{"", "提交申报"}, {workflows.StageLeagueReview, "盟市审核"}, {workflows.StageInSummary, "盟市汇总"},
	{workflows.StageExpertEvaluation, "专家评估"}, {workflows.StageRegionDecision, "自治区审定"},
	{workflows.StageAwaitingPublication, "目录公布"}, {workflows.StagePreparation, "前期准备"}, {workflows.StageFiling, "工作方案备案"},
	{workflows.StageActive, "试点实施"},
}

// statusPage shows the enterprise where its application stands: the stage, what it must do
// next and by when, what it waits for, the reviewer's reasons and the timeline.
func (p *Pages) statusPage(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	if a.User.Role != models.RoleEnterpriseUser {
		return service.ErrNoEnterprise
	}
	av, err := p.svc.MyApplication(ctx, a)
	if err != nil {
		return err
	}
	v := &statusView{pageView: pageView{pageData: pageData{Title: "申报进度"}}, AppStatus: av.Status, AppStatusName: av.StatusName,
		SubmittedAt: p.whenPtr(av.SubmittedAt), CurrentVersion: av.CurrentVersion, DraftVersion: av.DraftVersion, Editable: av.Editable}
	if av.CurrentVersion > 0 {
		v.PrintHref = "/applications/" + url.PathEscape(av.ID) + "/print"
	}
	if av.Return != nil && av.Status == models.ApplicationReturned {
		r := &returnedInfo{At: p.when(av.Return.ReturnedAt), Version: av.Return.Version}
		for _, x := range av.Return.Reasons {
			label := "整体意见"
			if x.Field != "" {
				label = fieldLabel(x.Field)
			}
			r.Reasons = append(r.Reasons, reasonLine{Field: label, Message: x.Message})
		}
		v.Returned = r
	}
	cs, err := p.db.CaseByApplication(ctx, av.ID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		v.Steps = progress("", av.CurrentVersion > 0)
		return p.show(c, http.StatusOK, "p_status", v)
	case err != nil:
		return err
	}
	cd, err := p.svc.ReadCase(ctx, a, cs.ID)
	if err != nil {
		return err
	}
	names := p.names(c)
	v.Case = &caseSummary{ID: cd.ID, Stage: stageName(cd.Stage), Status: caseStatusNames[cd.Status], Outcome: outcomeName(cd.Outcome),
		Jurisdiction: names[cd.JurisdictionCode], League: names[cd.LeagueCode], NextDeadline: p.whenPtr(cd.NextDeadline),
		Created: p.when(cd.CreatedAt), Version: cd.ApplicationVersion}
	if cd.Batch > 0 {
		v.Case.Batch = map[int]string{1: "第一批", 2: "第二批"}[cd.Batch]
	}
	if err := p.fillCaseRecords(c, a, cd.Case, v.Case); err != nil {
		return err
	}
	v.Steps = progress(cd.Stage, true)
	for _, t := range cd.Tasks {
		line := taskLine{Title: service.KindTitle(t.Kind), Due: p.when(t.DueAt), SLA: p.slaBadge(t.SLAState, t.DueAt), Who: models.RoleNames[t.CandidateRole]}
		if t.CandidateRole == models.RoleEnterpriseUser {
			line.Href, line.Action = taskHref(t.ID), "办理"
			if t.Kind == workflows.KindCorrection {
				line.Href, line.Action = "/application", "按审核意见修改并重新提交"
			}
			v.MyTasks = append(v.MyTasks, line)
		} else {
			v.Waiting = append(v.Waiting, line)
		}
	}
	for _, e := range cd.Timeline {
		v.Timeline = append(v.Timeline, timelineRow{At: p.when(e.At), Summary: prettyReasons(e.Summary), Actor: e.ActorName, Stage: stageName(e.Stage)})
	}
	return p.show(c, http.StatusOK, "p_status", v)
}

// progress marks the steps before the stage done and the stage's step current.
func progress(stage string, submitted bool) []progressStep {
	at := -1
	switch stage {
	case "":
		if submitted {
			at = 0
		}
	case workflows.StagePrecheck, workflows.StageCorrection:
		at = 1
	case workflows.StageSuspended, workflows.StageClosed:
		at = len(progressStages) // off the normal path; the stage name says where
	default:
		for i, s := range progressStages {
			if s.stage == stage {
				at = i
			}
		}
	}
	out := make([]progressStep, len(progressStages))
	for i, s := range progressStages {
		out[i] = progressStep{Label: s.label, Done: i < at, Current: i == at}
	}
	return out
}
