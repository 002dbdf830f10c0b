package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
)

// CaseInput starts an EnterpriseCase, or continues one (State set) after Continue-As-New.
type CaseInput struct {
	CaseID             string `json:"case_id"`
	CampaignID         string `json:"campaign_id"`
	ApplicationID      string `json:"application_id"`
	ApplicationVersion int    `json:"application_version"`
	EnterpriseID       string `json:"enterprise_id"`
	EnterpriseName     string `json:"enterprise_name"`
	// Jurisdiction is the enterprise's county (or league, for one registered directly there).
	Jurisdiction string `json:"jurisdiction"`
	// League is the league/city the enterprise reports through; Region is the root.
	League          string `json:"league"`
	Region          string `json:"region"`
	PrecheckEnabled bool   `json:"precheck_enabled"`
	Timing          Timing `json:"timing"`
	// Submitter is who submitted the application.
	Submitter Actor `json:"submitter"`
	// State carries the case across Continue-As-New.
	State *CaseState `json:"state,omitempty"`
}

// CaseState is everything an EnterpriseCase carries across Continue-As-New.
type CaseState struct {
	Stage     string               `json:"stage"`
	PrevStage string               `json:"prev_stage,omitempty"` // before a suspension
	Outcome   string               `json:"outcome,omitempty"`
	Seq       int                  `json:"seq"`
	Tasks     []*OpenTask          `json:"tasks"`
	Batch     int                  `json:"batch,omitempty"`
	Approved  []ApprovedOccupation `json:"approved,omitempty"`
	Panel     *activities.Panel    `json:"panel,omitempty"`
	// Replaced are the experts a redraw took off the panel: never drawn for it again.
	Replaced     []string       `json:"replaced,omitempty"`
	Scores       map[string]int `json:"scores,omitempty"`
	AppVersion   int            `json:"app_version"`
	CorrectionOf string         `json:"correction_of,omitempty"` // stage to return to after a correction
	SummaryIn    bool           `json:"summary_in,omitempty"`
	// PanelRetryAt is when a draw that found too few experts is tried again.
	PanelRetryAt time.Time `json:"panel_retry_at,omitempty"`
	// PoolShort says the last draw found too few experts (from version 1 of
	// expertPoolChange): the case waits on the expert pool, and an ExpertPoolChangedSignal or
	// the region's draw_panel adjustment draws again at once.
	PoolShort bool `json:"pool_short,omitempty"`
}

// CaseResult is how a case ended.
type CaseResult struct {
	Stage   string `json:"stage"`
	Outcome string `json:"outcome"`
}

// EnterpriseCase is one enterprise's application from submission to the active pilot.
//
// ID: CaseWorkflowID(caseID). Messages: DecideUpdate (task decisions), AdjustUpdate
// (withdraw/suspend/resume/remove/return), signals SummarySubmittedSignal, PublishedSignal,
// ComplaintOutcomeSignal; StateQuery. Timers: every open task has a reminder before its due
// date and escalates to the parent jurisdiction after it. Continue-As-New when the server
// suggests it, at a quiet point, carrying CaseState.
func EnterpriseCase(ctx workflow.Context, in CaseInput) (CaseResult, error) {
	ctx = withVersions(ctx)
	w := &caseWF{in: in}
	if err := w.setup(ctx); err != nil {
		return CaseResult{}, err
	}
	return w.run()
}

type caseWF struct {
	host
	in        CaseInput
	st        *CaseState
	interrupt []func() error // adjustments and signals, handled by the main loop in order
	begun     bool           // the first step is written (StartedUpdate)
}

func (w *caseWF) setup(ctx workflow.Context) error {
	w.in.Timing = w.in.Timing.WithDefaults()
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: w.in.Timing, escalateTo: w.escalateTo,
		rules: w.decisionRules}
	w.host.commit = w.commitTimers
	if w.in.State != nil {
		w.st = w.in.State
	} else {
		w.st = &CaseState{AppVersion: w.in.ApplicationVersion, Scores: map[string]int{}}
	}
	if w.st.Scores == nil {
		w.st.Scores = map[string]int{}
	}
	w.host.Seq, w.host.Tasks = w.st.Seq, w.st.Tasks
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.host.validateDecision}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, AdjustUpdate, w.handleAdjust,
		workflow.UpdateHandlerOptions{Validator: w.validateAdjust}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PlanSessionUpdate, w.handlePlan,
		workflow.UpdateHandlerOptions{Validator: w.validatePlan}); err != nil {
		return err
	}
	w.begun = w.st.Stage != ""
	if err := workflow.SetUpdateHandler(ctx, StartedUpdate, func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return w.begun })
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (CaseState, error) { return w.snapshot(), nil }); err != nil {
		return err
	}
	w.listenSignals()
	return nil
}

func (w *caseWF) snapshot() CaseState {
	s := *w.st
	s.Seq, s.Tasks = w.host.Seq, w.host.Tasks
	return s
}

// decisionRules are the programme's rules on the case's decisions, checked before anything
// reaches history: a batch decision approves a scope within the application's
// (domain.ApprovedWithinApplied), the applied scope coming from the stored application.
func (w *caseWF) decisionRules(t *OpenTask, req DecisionRequest) error {
	if t.Kind == KindRectify && strings.TrimSpace(req.Comment) == "" {
		return refuseField(ErrInvalidDecision, "comment", "请填写整改情况报告：采取了哪些整改措施、整改结果如何")
	}
	if t.Kind == KindRegionDecision && domain.SelectionBatch(req.Outcome) > 0 {
		if errs := domain.ApprovedWithinApplied(req.Applied, req.Approved); len(errs) > 0 {
			return refuseErrors(ErrInvalidDecision, errs)
		}
		if !req.PublishedKnown {
			return refuse(ErrWrongState, "无法确认目录批次的公布情况，请稍后重试")
		}
		if msg := domain.SelectionOpen(req.Outcome, req.Published); msg != "" {
			return refuseField(ErrWrongState, "outcome", msg)
		}
	}
	return nil
}

// escalateTo says where an overdue task goes: county → league → region.
func (w *caseWF) escalateTo(from string) (string, string) {
	switch from {
	case w.in.Jurisdiction:
		if w.in.Jurisdiction != w.in.League {
			return domain.RoleLeagueOfficial, w.in.League
		}
		return domain.RoleRegionOfficial, w.in.Region
	case w.in.League:
		return domain.RoleRegionOfficial, w.in.Region
	}
	if domain.IsEnterpriseDomain(from) {
		return domain.RoleLeagueOfficial, w.in.League // the enterprise's league is told; the task stays with the enterprise
	}
	return domain.RoleRegionOfficial, "" // the region is the top: notify it again, no parent
}

func (w *caseWF) enterpriseDomain() string {
	return domain.EnterpriseDomain(w.in.Jurisdiction, w.in.EnterpriseID)
}

func (w *caseWF) run() (CaseResult, error) {
	ctx := w.ctx
	if w.st.Stage == "" {
		// First run: the case appears in the projection with its first task, in one transaction.
		if err := w.begin(); err != nil {
			return CaseResult{}, err
		}
		w.begun = true
	}
	for w.st.Stage != StageClosed {
		p, err := w.host.wait(func() bool {
			return len(w.interrupt) > 0 || (w.st.Stage == StageInSummary && w.st.SummaryIn) || w.quorumAfterTimeout()
		}, w.panelRetry)
		if err != nil {
			return CaseResult{}, err
		}
		if at := w.panelRetry(); !at.IsZero() && !workflow.Now(ctx).Before(at) {
			w.st.SummaryIn = true // draw again
		}
		switch {
		case p != nil:
			res, err := w.decide(p)
			if err != nil && !IsRefusal(err) {
				return CaseResult{}, err
			}
			p.finish(res, err)
		case len(w.interrupt) > 0:
			f := w.interrupt[0]
			w.interrupt = w.interrupt[1:]
			if err := f(); err != nil {
				return CaseResult{}, err
			}
		case w.st.Stage == StageInSummary && w.st.SummaryIn:
			if err := w.startEvaluation(); err != nil {
				return CaseResult{}, err
			}
		case w.quorumAfterTimeout():
			tr := models.Transition{}
			w.finishEvaluation(&tr)
			if err := w.commit(tr); err != nil {
				return CaseResult{}, err
			}
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() && len(w.queue) == 0 && len(w.interrupt) == 0 {
			if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
				return CaseResult{}, err
			}
			in := w.in
			st := w.snapshot()
			in.State = &st
			return CaseResult{}, workflow.NewContinueAsNewError(ctx, EnterpriseCase, in)
		}
	}
	// The case is closed: refuse what is still queued, so that every handler can finish.
	w.refuseQueued("该申报已结束")
	for _, f := range w.interrupt {
		if err := f(); err != nil {
			return CaseResult{}, err
		}
	}
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return CaseResult{}, err
	}
	return CaseResult{Stage: w.st.Stage, Outcome: w.st.Outcome}, nil
}

// caseRow is the case's projection row for the current state.
func (w *caseWF) caseRow() *models.Case {
	c := &models.Case{
		ID: w.in.CaseID, WorkflowID: w.wfID, CampaignID: w.in.CampaignID, EnterpriseID: w.in.EnterpriseID,
		EnterpriseName: w.in.EnterpriseName, ApplicationID: w.in.ApplicationID, ApplicationVersion: w.st.AppVersion,
		JurisdictionCode: w.in.Jurisdiction, LeagueCode: w.in.League, Stage: w.st.Stage, Status: "open",
		Outcome: w.st.Outcome, Batch: w.st.Batch, SLAState: models.SLAOnTime,
	}
	if w.st.Stage == StageClosed {
		c.Status = "closed"
	}
	if len(w.st.Approved) > 0 {
		b, _ := json.Marshal(w.st.Approved)
		c.ApprovedJSON = string(b)
	}
	if w.st.Panel != nil {
		b, _ := json.Marshal(w.st.Panel)
		c.PanelJSON = string(b)
	}
	if next, ok := w.earliestDue(); ok {
		c.NextDeadline = &next
	}
	c.WaitingOn = w.waitingOn()
	c.SLAState = slaOf(w.Tasks)
	return c
}

// slaOf is the worst SLA state among open tasks.
func slaOf(tasks []*OpenTask) string {
	state := models.SLAOnTime
	for _, t := range tasks {
		switch {
		case t.Escalated > 0:
			return models.SLAOverdue
		case t.Reminded:
			state = models.SLADueSoon
		}
	}
	return state
}

func (w *caseWF) earliestDue() (time.Time, bool) {
	var next time.Time
	for _, t := range w.Tasks {
		if next.IsZero() || t.Due.Before(next) {
			next = t.Due
		}
	}
	return next, !next.IsZero()
}

func (w *caseWF) waitingOn() string {
	if len(w.Tasks) > 0 {
		t := w.Tasks[0]
		if t.Role == domain.RoleEnterpriseUser {
			return "enterprise"
		}
		return t.Role + "@" + t.Domain
	}
	switch w.st.Stage {
	case StageInSummary:
		if w.st.PoolShort {
			return WaitingExpertPool
		}
		return "league_summary"
	case StageAwaitingPublication:
		return "publication"
	}
	return ""
}

// openTask adds a task to the transition and to the workflow's open tasks.
func (w *caseWF) openTask(tr *models.Transition, kind, role, domain, assignee string, days int, n int) string {
	now := workflow.Now(w.ctx)
	t := &OpenTask{ID: w.newTaskID(kind, n), Kind: kind, Role: role, Domain: domain, Assignee: assignee, Due: dueAfter(now, days)}
	w.Tasks = append(w.Tasks, t)
	tr.OpenTasks = append(tr.OpenTasks, models.Task{
		ID: t.ID, WorkflowID: w.wfID, CaseID: w.in.CaseID, Kind: kind, Title: Kinds[kind].Title + "：" + w.in.EnterpriseName,
		Stage: w.st.Stage, CandidateRole: role, CandidateDomain: domain, JurisdictionCode: w.in.Jurisdiction,
		LeagueCode: w.in.League, EnterpriseName: w.in.EnterpriseName, CampaignID: w.in.CampaignID, Batch: w.st.Batch,
		AssigneeID: assignee, DueAt: t.Due,
	})
	notify := models.NotifyRequest{Role: role, Domain: domain, CaseID: w.in.CaseID, Kind: "new_task",
		Subject: "新待办：" + Kinds[kind].Title, Body: w.in.EnterpriseName + " 有一项待办，请于 " + t.Due.In(shanghai).Format("2006-01-02") + " 前办理。"}
	if assignee != "" {
		notify.UserID = assignee
	}
	tr.Notify = append(tr.Notify, notify)
	return t.ID
}

func (w *caseWF) event(tr *models.Transition, kind, summary string, actor *Actor, public bool, detail any) {
	e := models.CaseEvent{CaseID: w.in.CaseID, Kind: kind, Stage: w.st.Stage, Summary: summary, Public: public}
	if actor != nil {
		e.ActorID, e.ActorName, e.ActorRole = actor.UserID, actor.Name, actor.Role
	}
	if detail != nil {
		b, _ := json.Marshal(detail)
		e.DetailJSON = string(b)
	}
	tr.Events = append(tr.Events, e)
}

// commit writes the transition with the case row as it stands and upserts search attributes.
func (w *caseWF) commit(tr models.Transition) error {
	tr.Case = w.caseRow()
	if err := w.apply(tr); err != nil {
		return err
	}
	w.st.Seq, w.st.Tasks = w.host.Seq, w.host.Tasks
	return w.upsertSearchAttributes(tr.Case)
}

// commitTimers writes a reminder or escalation with the case row, so the case's SLA state and
// waiting-on follow its tasks.
func (w *caseWF) commitTimers(tr models.Transition) error {
	tr.Case = w.caseRow()
	if err := w.apply(tr); err != nil {
		return err
	}
	w.st.Seq, w.st.Tasks = w.host.Seq, w.host.Tasks
	if version(w.ctx, "timer-search-attributes", 1) == workflow.DefaultVersion {
		return nil
	}
	return w.upsertSearchAttributes(tr.Case)
}

func (w *caseWF) upsertSearchAttributes(c *models.Case) error {
	if w.lean() {
		return w.upsertChangedSearchAttributes(c)
	}
	now := workflow.Now(w.ctx)
	updates := []temporal.SearchAttributeUpdate{
		CaseStage.ValueSet(c.Stage), JurisdictionCode.ValueSet(c.JurisdictionCode), LastBusinessEventAt.ValueSet(now),
		WaitingOn.ValueSet(c.WaitingOn), SLAState.ValueSet(c.SLAState),
	}
	if c.NextDeadline != nil {
		updates = append(updates, NextDeadline.ValueSet(*c.NextDeadline))
	} else {
		updates = append(updates, NextDeadline.ValueUnset())
	}
	return workflow.UpsertTypedSearchAttributes(w.ctx, updates...)
}

// upsertChangedSearchAttributes upserts only the search attributes whose values differ from
// the workflow's current ones (version 1 of leanCommandsChange); nothing when none changed.
// LastBusinessEventAt rides along with a change and never causes an upsert of its own: the
// watchdog finds silent cases from the projection's last_event_at, not from Visibility.
func (w *caseWF) upsertChangedSearchAttributes(c *models.Case) error {
	have := workflow.GetTypedSearchAttributes(w.ctx)
	var updates []temporal.SearchAttributeUpdate
	for _, kv := range []struct {
		key   temporal.SearchAttributeKeyKeyword
		value string
	}{{CaseStage, c.Stage}, {JurisdictionCode, c.JurisdictionCode}, {WaitingOn, c.WaitingOn}, {SLAState, c.SLAState}} {
		if v, ok := have.GetKeyword(kv.key); !ok || v != kv.value {
			updates = append(updates, kv.key.ValueSet(kv.value))
		}
	}
	deadline, hasDeadline := have.GetTime(NextDeadline)
	switch {
	case c.NextDeadline != nil && (!hasDeadline || !deadline.Equal(*c.NextDeadline)):
		updates = append(updates, NextDeadline.ValueSet(*c.NextDeadline))
	case c.NextDeadline == nil && hasDeadline:
		updates = append(updates, NextDeadline.ValueUnset())
	}
	if len(updates) == 0 {
		return nil
	}
	updates = append(updates, LastBusinessEventAt.ValueSet(workflow.Now(w.ctx)))
	return workflow.UpsertTypedSearchAttributes(w.ctx, updates...)
}

func (w *caseWF) reviewStage() string {
	if w.in.PrecheckEnabled {
		return StagePrecheck
	}
	return StageLeagueReview
}

func (w *caseWF) openReview(tr *models.Transition) {
	if w.st.Stage == StagePrecheck {
		w.openTask(tr, KindPrecheck, domain.RoleCountyOfficial, w.in.Jurisdiction, "", w.in.Timing.PrecheckDays, 0)
		return
	}
	w.openTask(tr, KindLeagueReview, domain.RoleLeagueOfficial, w.in.League, "", w.in.Timing.ReviewDays, 0)
}

func (w *caseWF) begin() error {
	w.st.Stage = w.reviewStage()
	if w.in.PrecheckEnabled && w.in.Jurisdiction == w.in.League {
		w.st.Stage = StageLeagueReview // no county below a directly reporting city
	}
	tr := models.Transition{}
	w.event(&tr, "submitted", fmt.Sprintf("企业提交申报材料（第 %d 版）", w.st.AppVersion), &w.in.Submitter, true, nil)
	w.openReview(&tr)
	tr.Audit = append(tr.Audit, models.AuditEntry{ActorID: w.in.Submitter.UserID, ActorName: w.in.Submitter.Username,
		Role: w.in.Submitter.Role, JurisdictionCode: w.in.Jurisdiction, Action: "case.start", ObjectType: "case",
		ObjectID: w.in.CaseID, AfterState: w.st.Stage, Outcome: models.OutcomeOK})
	return w.commit(tr)
}

// decide applies a queued decision: close the task, move the case, open what comes next — one
// transaction, written before the Update returns.
func (w *caseWF) decide(p *pending) (DecisionResult, error) {
	req := p.req
	t := w.task(req.TaskID)
	if t == nil {
		return DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	before := w.st.Stage
	tr := models.Transition{}
	closeT := models.TaskClose{ID: t.ID, Status: models.TaskDone, Outcome: req.Outcome, Reasons: reasonsText(req), DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}
	w.removeTask(t.ID)
	actor := req.Actor
	switch t.Kind {
	case KindPrecheck:
		if req.Outcome == "pass" {
			w.st.Stage = StageLeagueReview
			w.event(&tr, "precheck_passed", "旗县初审通过，报盟市审核", &actor, true, nil)
			w.openReview(&tr)
		} else {
			w.returnForCorrection(&tr, StagePrecheck, req)
		}
	case KindLeagueReview:
		switch req.Outcome {
		case "accept":
			w.st.Stage = StageInSummary
			w.event(&tr, "accepted", "盟市审核通过，纳入汇总表", &actor, true, nil)
			tr.Application = w.appChange(models.ApplicationAccepted, req)
		case "return":
			w.returnForCorrection(&tr, StageLeagueReview, req)
		case "reject":
			w.st.Stage, w.st.Outcome = StageClosed, "rejected"
			w.event(&tr, "rejected", "盟市审核不予通过："+reasonsText(req), &actor, true, req.Reasons)
			tr.Application = w.appChange(models.ApplicationRejected, req)
			tr.Notify = append(tr.Notify, w.notifyEnterprise("申报结果：不予通过", "您的试点申报经盟市审核不予通过。理由："+reasonsText(req)))
		}
	case KindCorrection:
		if req.ApplicationVersion <= w.st.AppVersion {
			w.keep(t)
			return DecisionResult{}, refuse(ErrInvalidDecision, "请先保存并提交修改后的申报材料")
		}
		w.st.AppVersion = req.ApplicationVersion
		w.st.Stage = w.st.CorrectionOf
		if w.st.Stage == "" {
			w.st.Stage = w.reviewStage()
		}
		w.event(&tr, "resubmitted", fmt.Sprintf("企业补正后重新提交（第 %d 版）", w.st.AppVersion), &actor, true, nil)
		w.openReview(&tr)
	case KindExpertScore:
		if req.Score == nil || *req.Score < 0 || *req.Score > 100 {
			w.keep(t)
			return DecisionResult{}, refuse(ErrInvalidDecision, "评分应为 0 至 100 之间的整数")
		}
		w.st.Scores[req.Actor.UserID] = *req.Score
		w.event(&tr, "expert_scored", "一位评估专家已提交评分", &actor, false, map[string]any{"score": *req.Score, "comment": req.Comment})
		if w.quorumReached() {
			w.finishEvaluation(&tr)
		}
	case KindRegionDecision:
		switch req.Outcome {
		case "batch1", "batch2", domain.OutcomeSupplementary:
			if len(req.Approved) == 0 {
				w.keep(t)
				return DecisionResult{}, refuse(ErrInvalidDecision, "请列明核准的职业（工种）及等级范围")
			}
			w.st.Batch = domain.SelectionBatch(req.Outcome)
			w.st.Approved = req.Approved
			w.st.Stage = StageAwaitingPublication
			if req.Outcome == domain.OutcomeSupplementary {
				w.event(&tr, "selected", "自治区审定列入第二批试点企业目录，补充公布", &actor, true, req.Approved)
				break // published below, once the decision is recorded
			}
			w.event(&tr, "selected", fmt.Sprintf("自治区审定列入第%s批试点企业目录，待公布", map[int]string{1: "一", 2: "二"}[w.st.Batch]), &actor, true, req.Approved)
			tr.Notify = append(tr.Notify, w.notifyEnterprise("申报结果：拟列入试点企业目录", "您的企业已审定列入试点企业目录，待自治区统一公布。"))
		case "not_selected":
			w.st.Stage, w.st.Outcome = StageClosed, "not_selected"
			w.event(&tr, "not_selected", "自治区审定未入选："+reasonsText(req), &actor, true, req.Reasons)
			tr.Notify = append(tr.Notify, w.notifyEnterprise("申报结果：未入选", "您的企业本次未列入试点企业目录。理由："+reasonsText(req)))
		}
	case KindRectify:
		w.event(&tr, "rectification_reported", "企业报告整改情况："+strings.TrimSpace(req.Comment), &actor, true, req.Documents)
		w.openTask(&tr, KindVerifyRectification, domain.RoleCountyOfficial, w.in.Jurisdiction, "", w.in.Timing.RectifyCheckDays, 0)
	case KindVerifyRectification:
		if req.Outcome == "accept" {
			w.event(&tr, "rectification_verified", "整改情况经核验到位", &actor, true, nil)
			tr.Notify = append(tr.Notify, w.notifyEnterprise("整改核验通过", "您报告的整改情况经核验到位。"))
			break
		}
		w.event(&tr, "rectification_returned", "整改未到位，退回继续整改："+reasonsText(req), &actor, true, req.Reasons)
		tr.Notify = append(tr.Notify, w.notifyEnterprise("整改未到位", "经核验，整改尚未到位，请继续整改后再次报告。理由："+reasonsText(req)))
		w.openTask(&tr, KindRectify, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.RectifyDays, 0)
	case KindWorkPlan:
		if len(req.Documents) == 0 {
			w.keep(t)
			return DecisionResult{}, refuse(ErrInvalidDecision, "请上传工作方案和评价规范")
		}
		w.st.Stage = StageFiling
		w.event(&tr, "work_plan_submitted", "企业提交工作方案和评价规范，报自治区备案", &actor, true, req.Documents)
		w.openTask(&tr, KindFileWorkPlan, domain.RoleRegionOfficial, w.in.Region, "", w.in.Timing.FilingDays, 0)
	case KindFileWorkPlan:
		if req.Outcome == "file" {
			w.st.Stage = StageActive
			w.event(&tr, "work_plan_filed", "工作方案已备案，进入试点实施阶段", &actor, true, nil)
			tr.Notify = append(tr.Notify, w.notifyEnterprise("工作方案已备案", "您的工作方案已备案，可以在核准范围内组织开展技能等级认定。"))
		} else {
			w.st.Stage = StagePreparation
			w.event(&tr, "work_plan_returned", "工作方案退回修改："+reasonsText(req), &actor, true, req.Reasons)
			w.openTask(&tr, KindWorkPlan, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.WorkPlanDays, 0)
		}
	default:
		w.keep(t)
		return DecisionResult{}, refuse(ErrInvalidDecision, "该待办类型不属于企业申报流程")
	}
	if w.st.Stage == StageClosed {
		// A closed case waits for nobody: a rectification still open goes with it.
		w.cancelTasks(&tr, w.st.Outcome)
	}
	tr.CloseTasks = append([]models.TaskClose{closeT}, tr.CloseTasks...)
	tr.Audit = append(tr.Audit, decisionAudit(t, req, before, w.st.Stage))
	if err := w.commit(tr); err != nil {
		return DecisionResult{}, err
	}
	if before == StageLeagueReview && w.st.Stage == StageInSummary {
		if err := w.signalLeague(CaseAcceptedSignal); err != nil {
			return DecisionResult{}, err
		}
	}
	if t.Kind == KindRegionDecision && req.Outcome == domain.OutcomeSupplementary {
		// The supplementary publication is part of the decision: the directory entry and the
		// preparation task follow at once.
		if err := w.onPublished(Published{Batch: w.st.Batch}); err != nil {
			return DecisionResult{}, err
		}
	}
	res := DecisionResult{TaskID: t.ID, Outcome: req.Outcome, Stage: w.st.Stage}
	for _, o := range tr.OpenTasks {
		res.NextTasks = append(res.NextTasks, o.ID)
	}
	return res, nil
}

func (w *caseWF) notifyEnterprise(subject, body string) models.NotifyRequest {
	return models.NotifyRequest{Role: domain.RoleEnterpriseUser, Domain: w.enterpriseDomain(), CaseID: w.in.CaseID, Kind: "outcome", Subject: subject, Body: body}
}

func (w *caseWF) returnForCorrection(tr *models.Transition, from string, req DecisionRequest) {
	who := map[string]string{StagePrecheck: "旗县", StageLeagueReview: "盟市"}[from]
	w.sendForCorrection(tr, from, who+"退回补正："+reasonsText(req), req)
}

// sendForCorrection hands the application back to the enterprise: the application reopens for
// editing with the reasons, the enterprise gets the correction task and is told, and the
// resubmission comes back to the stage from.
func (w *caseWF) sendForCorrection(tr *models.Transition, from, summary string, req DecisionRequest) {
	w.st.Stage, w.st.CorrectionOf = StageCorrection, from
	w.event(tr, "returned", summary, &req.Actor, true, req.Reasons)
	tr.Application = w.appChange(models.ApplicationReturned, req)
	w.openTask(tr, KindCorrection, domain.RoleEnterpriseUser, w.enterpriseDomain(), "", w.in.Timing.CorrectionDays, 0)
	tr.Notify = append(tr.Notify, w.notifyEnterprise("申报材料被退回补正", "审核意见："+reasonsText(req)+"。请按意见修改后重新提交。"))
}

// regionReturn is the region's "return" adjustment of a case in review: the open review task
// is cancelled (its holder is told why) and the application goes back to the enterprise for
// correction, as if the reviewer had returned it; the resubmission comes back to the review
// it left. Later stages are refused (Returnable): the application is accepted by then and the
// league's summary and the expert panel have been built on it.
func (w *caseWF) regionReturn(tr *models.Transition, req AdjustRequest) {
	from := w.st.Stage
	for _, t := range w.Tasks {
		tr.CloseTasks = append(tr.CloseTasks, models.TaskClose{ID: t.ID, Status: models.TaskCancelled, Outcome: "returned",
			Reasons: req.Reason, DecidedBy: req.Actor.UserID})
		tr.Notify = append(tr.Notify, models.NotifyRequest{UserID: t.Assignee, Role: t.Role, Domain: t.Domain, CaseID: w.in.CaseID,
			Kind: "task_cancelled", Subject: "待办已撤销：" + Kinds[t.Kind].Title,
			Body: w.in.EnterpriseName + " 的申报已由自治区人社厅退回企业补正，本待办不再需要办理。企业重新提交后将重新生成待办。退回理由：" + req.Reason})
	}
	w.Tasks = nil
	dr := DecisionRequest{Actor: req.Actor, Reasons: []Reason{{Message: req.Reason}}}
	w.sendForCorrection(tr, from, "自治区退回企业补正："+req.Reason, dr)
}

// quorumAfterTimeout is true when overdue expert tasks leave a quorum of scores.
func (w *caseWF) appChange(status string, req DecisionRequest) *models.ApplicationChange {
	ch := &models.ApplicationChange{ID: w.in.ApplicationID, Version: w.st.AppVersion, Status: status, By: req.Actor.UserID}
	for _, r := range req.Reasons {
		ch.Reasons = append(ch.Reasons, models.ReturnReason{Field: r.Field, Message: r.Message})
	}
	if len(ch.Reasons) == 0 && req.Comment != "" {
		ch.Reasons = []models.ReturnReason{{Message: req.Comment}}
	}
	return ch
}

func (w *caseWF) quorumAfterTimeout() bool {
	return w.st.Stage == StageExpertEvaluation && len(w.st.Scores) > 0 && w.quorumReached()
}

func (w *caseWF) quorumReached() bool {
	members := 0
	if w.st.Panel != nil {
		members = len(w.st.Panel.Members)
	}
	if len(w.st.Scores) >= members {
		return true
	}
	// Quorum counts only once the expert tasks are overdue; before that every expert may score.
	for _, t := range w.Tasks {
		if t.Kind == KindExpertScore && t.Escalated == 0 {
			return false
		}
	}
	return len(w.st.Scores) >= w.in.Timing.Quorum
}

// finishEvaluation closes the evaluation and hands the case to the region's decision.
func (w *caseWF) finishEvaluation(tr *models.Transition) {
	w.closeRemainingExpertTasks(tr)
	w.st.Stage = StageRegionDecision
	w.event(tr, "evaluation_done", fmt.Sprintf("专家评估完成（%d 位专家，平均分 %.1f）", len(w.st.Scores), w.averageScore()), nil, true, nil)
	w.openTask(tr, KindRegionDecision, domain.RoleRegionOfficial, w.in.Region, "", w.in.Timing.DecisionDays, 0)
}

func (w *caseWF) averageScore() float64 {
	if len(w.st.Scores) == 0 {
		return 0
	}
	sum := 0
	for _, k := range workflow.DeterministicKeys(w.st.Scores) {
		sum += w.st.Scores[k]
	}
	return float64(sum) / float64(len(w.st.Scores))
}

func (w *caseWF) closeRemainingExpertTasks(tr *models.Transition) {
	for _, t := range append([]*OpenTask(nil), w.Tasks...) {
		if t.Kind == KindExpertScore {
			tr.CloseTasks = append(tr.CloseTasks, models.TaskClose{ID: t.ID, Status: models.TaskCancelled, Outcome: "quorum_reached"})
			w.removeTask(t.ID)
		}
	}
}

// drawExperts draws size experts at random from the pool, without exclude and the enterprise's
// conflicts. The seed is a side effect, so it is recorded in history and comes back in the
// panel (Panel.Seed) for the timeline and the audit log; the draw re-runs from it.
func (w *caseWF) drawExperts(size int, exclude []string) (activities.Panel, error) {
	// The workflow clock is in history already: from version 1 of leanCommandsChange the seed
	// is computed from it directly, the same value the SideEffect recorded before.
	seed := uint64(workflow.Now(w.ctx).UnixNano()) ^ 0x5bd1e995
	if !w.lean() {
		if err := workflow.SideEffect(w.ctx, func(ctx workflow.Context) any {
			return uint64(workflow.Now(ctx).UnixNano()) ^ 0x5bd1e995
		}).Get(&seed); err != nil {
			return activities.Panel{}, err
		}
	}
	actx := workflow.WithActivityOptions(w.ctx, QuickActivityOptions)
	var a *activities.Activities
	var panel activities.Panel
	err := workflow.ExecuteActivity(actx, a.DrawPanel, activities.DrawPanelInput{CaseID: w.in.CaseID, EnterpriseID: w.in.EnterpriseID,
		Enterprise: w.in.EnterpriseName, Size: size, Seed: seed, Exclude: exclude}).Get(actx, &panel)
	return panel, err
}

// expertPoolChange is the GetVersion change ID of the wait on the expert pool: from version 1 a
// draw that finds too few experts marks the case as waiting on the pool (WaitingOn
// expert_pool), and a pool change or the region draws again at once instead of after 24 h.
const expertPoolChange = "expert-pool-wait"

// startEvaluation draws the expert panel once the league's summary reached the region.
func (w *caseWF) startEvaluation() error {
	tr := models.Transition{}
	err := w.drawPanel(&tr)
	if err != nil {
		// Too few experts: the region's appraisal centre must enlarge the pool; the case waits on it.
		if !hasType(err, activities.ErrPoolTooSmall) {
			return err
		}
		w.st.SummaryIn = false
		again := !w.st.PanelRetryAt.IsZero()
		// Version 1: the case waits on the pool; a pool change signals it (listenSignals), and
		// the daily retry stays as the fallback for a signal that never came.
		w.st.PoolShort = version(w.ctx, expertPoolChange, 1) >= 1
		w.st.PanelRetryAt = workflow.Now(w.ctx).Add(24 * time.Hour)
		if again {
			return nil // the centre was told at the first failure; try again when the pool changes
		}
		tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleRegionCentre, Domain: w.in.Region, CaseID: w.in.CaseID,
			Kind: "escalation", Subject: "专家库人数不足", Body: "无法为 " + w.in.EnterpriseName + " 抽取评估专家组，请补充专家库后重新抽取。"})
		w.event(&tr, "panel_failed", "专家库可用专家不足，等待补充", nil, false, nil)
		return w.commit(tr)
	}
	return w.commit(tr)
}

// drawPanel draws the panel and, when it could, moves the case to the expert evaluation with
// the experts' scoring tasks in tr (not committed). A draw that found too few experts answers
// an ErrPoolTooSmall application error and changes nothing.
func (w *caseWF) drawPanel(tr *models.Transition) error {
	panel, err := w.drawExperts(w.in.Timing.PanelSize, nil)
	if err != nil {
		return err
	}
	w.st.PoolShort = false
	w.st.Panel = &panel
	w.st.Stage = StageExpertEvaluation
	w.event(tr, "panel_drawn", fmt.Sprintf("随机抽取 %d 位评估专家（随机种子 %d，候选 %d 人，回避 %d 人）",
		len(panel.Members), panel.Seed, len(panel.Candidates), len(panel.Excluded)), nil, false, panel)
	w.event(tr, "evaluation_started", "进入专家评估", nil, true, nil)
	for i, m := range panel.Members {
		w.openTask(tr, KindExpertScore, domain.RoleExpert, w.in.Region, m, w.in.Timing.ExpertDays, i)
	}
	tr.Audit = append(tr.Audit, models.AuditEntry{ActorName: "system", Action: "panel.draw", ObjectType: "case", ObjectID: w.in.CaseID,
		AfterState: strings.Join(panel.Members, ","), Reason: fmt.Sprintf("seed=%d candidates=%d excluded=%d", panel.Seed, len(panel.Candidates), len(panel.Excluded)),
		Outcome: models.OutcomeOK, JurisdictionCode: w.in.Region})
	return nil
}

func (w *caseWF) signalLeague(name string) error {
	id := LeagueWorkflowID(w.in.CampaignID, w.in.League)
	f := workflow.SignalExternalWorkflow(w.ctx, id, "", name, CaseRef{CaseID: w.in.CaseID, WorkflowID: w.wfID})
	if err := f.Get(w.ctx, nil); err != nil {
		// The league's collection may not exist (e.g. a campaign started outside the calendar);
		// the case still stands and the region sees it in its lists.
		workflow.GetLogger(w.ctx).Warn("signal league collection failed", "league", w.in.League, "err", err)
	}
	return nil
}
