package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/policies"
	"skillcert/service"
	"skillcert/workflows"
)

// findingKindNames are the Chinese names of the watchdog's findings.
var findingKindNames = map[string]string{
	models.FindingOverdueTask: "待办逾期", models.FindingSilentCase: "长期无进展",
	models.FindingRetryingActivity: "后台处理反复失败", models.FindingDrift: "数据不一致",
	models.FindingNoNextStep: "无后续步骤",
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
	// Action is the adjustment the form asks for: "return", or "publish_late" for a case
	// waiting for a batch that is published already.
	Action string
	Reason formField
	// Open unfolds the form (it comes back with an error and what was typed).
	Open bool
}

// returnInput is a posted 退回 form with the messages to show beside its reason.
type returnInput struct {
	FindingID, CaseID, Reason, Action string
	Errors                            []string
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
func (p *Pages) stalledPage(c *gin.Context) error {
	v, err := p.stalledView(c, nil)
	if err != nil {
		return err
	}
	return p.show(c, http.StatusOK, "p_stalled", v)
}

// stalledView builds the page; ret, when set, is a 退回 form that comes back with its errors.
func (p *Pages) stalledView(c *gin.Context, ret *returnInput) (*stalledView, error) {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	v := &stalledView{pageView: pageView{pageData: pageData{Title: "停滞案件"}}}
	fs, err := p.db.OpenFindings(ctx, p.api.Subtree(c))
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
			row.CanAct = canAct && p.svc.MayReassign(a, t)
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
			row.Return = p.returnFormFor(ctx, a, f.ID, cs)
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
	for _, k := range []string{models.FindingOverdueTask, models.FindingSilentCase, models.FindingNoNextStep, models.FindingRetryingActivity, models.FindingDrift} {
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
func (p *Pages) stalledCase(ctx context.Context, cases map[string]*models.Case, id string) *models.Case {
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
func (p *Pages) returnFormFor(ctx context.Context, a *service.Actor, findingID string, cs *models.Case) *returnForm {
	if cs.Status != "open" || !p.enf.Allowed(a.User.ID, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID), "case", "adjust") {
		return nil
	}
	if cs.Stage == workflows.StageAwaitingPublication {
		// Waiting for a batch published already: nothing else will ever publish it.
		published, err := p.svc.PublishedBatches(ctx, cs.ID)
		if err != nil || !domain.PassedBy(cs.Batch, published) {
			return nil
		}
		return &returnForm{FindingID: findingID, CaseID: cs.ID, Action: "publish_late", Label: "补充公布",
			Hint: fmt.Sprintf("该企业审定列入第%d批，但该批目录公布时未列入，此后不会再有公布。补充公布后列入目录并进入前期准备；补充公布记入审计日志。", cs.Batch),
			Reason: formField{Name: "reason", ID: "f-return-reason-" + findingID, Label: "补充公布的理由", Kind: "textarea",
				Required: true, Wide: true, Rows: 3}}
	}
	if !workflows.Returnable(cs.Stage) {
		return nil
	}
	back := stageName(cs.Stage)
	return &returnForm{FindingID: findingID, CaseID: cs.ID, Action: "return", Label: "退回企业补正",
		Hint: "申报材料退回企业按理由修改，企业重新提交后回到" + back + "。当前待办将撤销；企业和原待办人会收到通知，退回记入审计日志。",
		Reason: formField{Name: "reason", ID: "f-return-reason-" + findingID, Label: "退回理由（企业可见）", Kind: "textarea",
			Required: true, Wide: true, Rows: 3}}
}

// findingTask is the open task a finding is about: its own, or its case's first open task.
func (p *Pages) findingTask(ctx context.Context, f models.Finding) (models.Task, bool) {
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
func (p *Pages) reassignCandidates(ctx context.Context, t models.Task) []choice {
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
func (p *Pages) cohort(c *gin.Context, batch string) (cohortTable, error) {
	ctx := c.Request.Context()
	var tab cohortTable
	counts := map[string]map[string]int{}
	leagues := map[string]bool{}
	juris := p.api.Subtree(c)
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
func (p *Pages) remind(c *gin.Context) error {
	ctx := c.Request.Context()
	a := api.ActorFrom(c)
	t, err := p.svc.RemindTask(ctx, a, service.RemindInput{TaskID: c.PostForm("task_id"), Reason: strings.TrimSpace(c.PostForm("reason"))})
	if e := service.UserError(err); e != nil && e.Code == service.ErrNothingToRemind.Code {
		p.flash(c, flashError, e.Message)
		return seeOther(c, "/admin/stalled")
	}
	if err != nil {
		return err
	}
	who := "可办理该待办的人员"
	if t.AssigneeID != "" {
		who = p.userName(ctx, map[string]string{}, t.AssigneeID)
	}
	p.flash(c, flashOK, "已向"+who+"发送督办提醒："+t.Title)
	return seeOther(c, "/admin/stalled")
}

// reassign gives a stalled task to another person (or back to the unit's queue) through the
// reassignment use case, which checks the new holder and audits the change with its reason.
func (p *Pages) reassign(c *gin.Context) error {
	version, _ := strconv.Atoi(c.PostForm("version"))
	in := service.AssignInput{TaskID: c.PostForm("task_id"), Version: version, AssigneeID: c.PostForm("assignee_id"),
		Reason: strings.TrimSpace(c.PostForm("reason"))}
	if in.Reason == "" {
		p.flash(c, flashError, "请填写改派理由。")
		return seeOther(c, "/admin/stalled")
	}
	t, err := p.svc.ReassignTask(c.Request.Context(), api.ActorFrom(c), in)
	if err != nil {
		return p.backWithError(c, "/admin/stalled", service.ToError(err))
	}
	msg := "已退回单位待认领队列：" + t.Title
	if t.AssigneeID != "" {
		msg = "已改派给" + p.userName(c.Request.Context(), map[string]string{}, t.AssigneeID) + "：" + t.Title
	}
	p.flash(c, flashOK, msg)
	return seeOther(c, "/admin/stalled")
}

// returnCase returns a stalled case to the enterprise for correction through the adjustment
// use case (which checks the role; the workflow checks the stage, cancels the review task,
// opens the correction and audits it; the use case audits a refusal). A blank reason is refused
// here, and any refusal comes back beside the form with what was typed.
func (p *Pages) returnCase(c *gin.Context) error {
	ctx := c.Request.Context()
	in := &returnInput{FindingID: c.PostForm("finding_id"), CaseID: c.PostForm("case_id"), Reason: strings.TrimSpace(c.PostForm("reason")),
		Action: c.PostForm("action")}
	if in.Action != "publish_late" {
		in.Action = "return"
	}
	status := http.StatusUnprocessableEntity
	if in.Reason == "" {
		in.Errors = []string{map[string]string{"return": "请填写退回理由。", "publish_late": "请填写补充公布的理由。"}[in.Action]}
	} else {
		var before models.Case
		if cs, err := p.db.CaseByID(ctx, in.CaseID); err == nil {
			before = cs
		}
		_, err := p.svc.AdjustCase(ctx, api.ActorFrom(c), service.AdjustInput{CaseID: in.CaseID, Action: in.Action, Reason: in.Reason})
		if err == nil {
			msg := "已退回企业补正。"
			switch {
			case in.Action == "publish_late":
				msg = "已补充公布" + before.EnterpriseName + "，企业进入前期准备。"
			case before.ID != "":
				msg = "已将" + before.EnterpriseName + "的申报退回企业补正，企业重新提交后回到" + stageName(before.Stage) + "。"
			}
			p.flash(c, flashOK, msg)
			return seeOther(c, "/admin/stalled")
		}
		e := service.UserError(service.ToError(err))
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
