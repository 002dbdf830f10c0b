package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// LeagueInput starts a LeagueCollection.
type LeagueInput struct {
	CampaignID string       `json:"campaign_id"`
	League     string       `json:"league"`
	LeagueName string       `json:"league_name"`
	Region     string       `json:"region"`
	Deadline   time.Time    `json:"deadline"`
	Timing     Timing       `json:"timing"`
	State      *LeagueState `json:"state,omitempty"`
}

// LeagueState is carried across Continue-As-New.
type LeagueState struct {
	Seq         int         `json:"seq"`
	Tasks       []*OpenTask `json:"tasks"`
	Cases       []CaseRef   `json:"cases"`
	Submitted   bool        `json:"submitted"`
	SubmittedAt time.Time   `json:"submitted_at"`
	Started     bool        `json:"started"`
	// Supplementary is true for a summary submitted since late cases wait for a supplementary
	// report (versioned "supplementary-report"); Late are the cases accepted after the summary
	// that the next supplementary report carries.
	Supplementary bool      `json:"supplementary,omitempty"`
	Late          []CaseRef `json:"late,omitempty"`
}

// LeagueCollection gathers one league/city's accepted applications in a campaign and submits
// its summary (汇总表) to the region.
//
// ID: LeagueWorkflowID(campaign, league). Messages: DecideUpdate (submit_summary task), signals
// CaseAcceptedSignal, CaseLeftSignal, DeadlineMovedSignal. Timers: the summary task is due at the
// collection deadline with a reminder before it; once overdue the league is reminded again.
// After submission, cases accepted later wait for the league's supplementary report
// (KindSupplementarySummary), which puts them in the region's summary and on to evaluation.
func LeagueCollection(ctx workflow.Context, in LeagueInput) error {
	ctx = withVersions(ctx)
	w := &leagueWF{in: in}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run()
}

type leagueWF struct {
	host
	in           LeagueInput
	st           *LeagueState
	pendingCases []CaseRef
	moved        *DeadlineMoved
	lateLeft     bool // a late case left: the supplementary report may have nothing left
}

func (w *leagueWF) setup(ctx workflow.Context) error {
	w.in.Timing = w.in.Timing.WithDefaults()
	w.st = w.in.State
	if w.st == nil {
		w.st = &LeagueState{}
	}
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: w.in.Timing, Seq: w.st.Seq, Tasks: w.st.Tasks,
		escalateTo: func(string) (string, string) { return domain.RoleRegionOfficial, "" }}
	w.host.commit = w.commit
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.validate}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (LeagueState, error) { return *w.st, nil }); err != nil {
		return err
	}
	acc := workflow.GetSignalChannel(ctx, CaseAcceptedSignal)
	left := workflow.GetSignalChannel(ctx, CaseLeftSignal)
	moved := workflow.GetSignalChannel(ctx, DeadlineMovedSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			sel.AddReceive(acc, func(c workflow.ReceiveChannel, _ bool) {
				var r CaseRef
				c.Receive(ctx, &r)
				w.pendingCases = append(w.pendingCases, r)
			})
			sel.AddReceive(left, func(c workflow.ReceiveChannel, _ bool) {
				var r CaseRef
				c.Receive(ctx, &r)
				out := w.st.Cases[:0]
				for _, x := range w.st.Cases {
					if x.CaseID != r.CaseID {
						out = append(out, x)
					}
				}
				w.st.Cases = out
				late := w.st.Late[:0]
				for _, x := range w.st.Late {
					if x.CaseID != r.CaseID {
						late = append(late, x)
					}
				}
				if len(late) < len(w.st.Late) {
					w.lateLeft = true
				}
				w.st.Late = late
				pend := w.pendingCases[:0]
				for _, x := range w.pendingCases {
					if x.CaseID != r.CaseID {
						pend = append(pend, x)
					}
				}
				w.pendingCases = pend
			})
			sel.AddReceive(moved, func(c workflow.ReceiveChannel, _ bool) {
				var m DeadlineMoved
				c.Receive(ctx, &m)
				w.moved = &m
			})
			sel.Select(ctx)
		}
	})
	return nil
}

func (w *leagueWF) validate(req DecisionRequest) error {
	if err := w.host.validateDecision(req); err != nil {
		return err
	}
	if t := w.task(req.TaskID); t != nil && t.Kind == KindSupplementarySummary {
		if len(w.st.Late) == 0 {
			return refuse(ErrWrongState, "没有需要补充报送的企业")
		}
		return nil
	}
	if len(w.st.Cases) == 0 && len(w.pendingCases) == 0 {
		return refuse(ErrWrongState, "汇总表中还没有审核通过的企业，无法报送")
	}
	var errs validate.Errors
	if req.ContactName == "" {
		errs.Add("contact_name", "required", "请填写填报单位联系人")
	}
	phone := validate.NormalizeLandline(req.ContactPhone)
	if validate.CheckLandline(phone) != nil && validate.CheckMobile(validate.NormalizeMobile(req.ContactPhone)) != nil {
		errs.Add("contact_phone", "phone_format", "联系电话应为固定电话（如 (0471)6606214）或手机号码")
	}
	if len(errs) > 0 {
		return refuseErrors(ErrInvalidDecision, errs)
	}
	return nil
}

func (w *leagueWF) row(status string) *models.LeagueCollection {
	l := &models.LeagueCollection{ID: w.in.CampaignID + "-" + w.in.League, CampaignID: w.in.CampaignID,
		JurisdictionCode: w.in.League, Status: status}
	if w.st.Submitted {
		at := w.st.SubmittedAt
		l.SubmittedAt = &at
	}
	return l
}

func (w *leagueWF) commit(tr models.Transition) error {
	if err := w.apply(tr); err != nil {
		return err
	}
	w.st.Seq, w.st.Tasks = w.host.Seq, w.host.Tasks
	return nil
}

func (w *leagueWF) run() error {
	if !w.st.Started {
		w.st.Started = true
		tr := models.Transition{League: w.row("collecting")}
		t := &OpenTask{ID: w.newTaskID(KindSubmitSummary, 0), Kind: KindSubmitSummary, Role: domain.RoleLeagueOfficial, Domain: w.in.League, Due: w.in.Deadline}
		w.Tasks = append(w.Tasks, t)
		tr.OpenTasks = append(tr.OpenTasks, models.Task{ID: t.ID, WorkflowID: w.wfID, Kind: KindSubmitSummary,
			Title: fmt.Sprintf("%s：填报并报送 %s 年试点申报汇总表", w.in.LeagueName, w.in.CampaignID), Stage: StageInSummary,
			CandidateRole: domain.RoleLeagueOfficial, CandidateDomain: w.in.League, JurisdictionCode: w.in.League, LeagueCode: w.in.League,
			CampaignID: w.in.CampaignID, DueAt: t.Due})
		if err := w.commit(tr); err != nil {
			return err
		}
	}
	for {
		p, err := w.wait(func() bool { return len(w.pendingCases) > 0 || w.moved != nil || w.lateLeft }, nil)
		if err != nil {
			return err
		}
		switch {
		case p != nil:
			var res DecisionResult
			var err error
			if t := w.task(p.req.TaskID); t != nil && t.Kind == KindSupplementarySummary {
				res, err = w.submitSupplement(p)
			} else {
				res, err = w.submit(p)
			}
			if err != nil && !IsRefusal(err) {
				return err
			}
			p.finish(res, err)
		case w.moved != nil:
			m := w.moved
			w.moved = nil
			tr := models.Transition{}
			for _, t := range w.Tasks {
				t.Due, t.Reminded, t.Escalated = m.CollectionDeadline, false, 0
				due := m.CollectionDeadline
				tr.UpdateTasks = append(tr.UpdateTasks, models.TaskUpdate{ID: t.ID, DueAt: &due, SLAState: models.SLAOnTime})
			}
			if len(tr.UpdateTasks) > 0 {
				if !w.st.Submitted {
					tr.League = w.row("collecting")
				}
				if err := w.commit(tr); err != nil {
					return err
				}
			}
		case len(w.pendingCases) > 0:
			r := w.pendingCases[0]
			w.pendingCases = w.pendingCases[1:]
			if w.hasCase(r.CaseID) {
				continue
			}
			if w.st.Submitted && w.st.Supplementary {
				// The summary went already: the case waits for the league's supplementary report.
				if err := w.addLate(r); err != nil {
					return err
				}
				continue
			}
			w.st.Cases = append(w.st.Cases, r)
			if w.st.Submitted {
				// Summaries submitted before the supplementary report existed: straight on.
				if err := w.forward(r); err != nil {
					return err
				}
			}
		}
		w.lateLeft = false
		if err := w.cancelEmptySupplement(); err != nil {
			return err
		}
		if workflow.GetInfo(w.ctx).GetContinueAsNewSuggested() && len(w.queue) == 0 && len(w.pendingCases) == 0 && w.moved == nil {
			if err := workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) }); err != nil {
				return err
			}
			in := w.in
			st := *w.st
			in.State = &st
			return workflow.NewContinueAsNewError(w.ctx, LeagueCollection, in)
		}
	}
}

func (w *leagueWF) forward(r CaseRef) error {
	f := workflow.SignalExternalWorkflow(w.ctx, r.WorkflowID, "", SummarySubmittedSignal, SummarySubmitted{League: w.in.League})
	if err := f.Get(w.ctx, nil); err != nil {
		workflow.GetLogger(w.ctx).Warn("forward case to evaluation failed", "caseID", r.CaseID, "err", err)
	}
	return nil
}

func (w *leagueWF) submit(p *pending) (DecisionResult, error) {
	req := p.req
	t := w.task(req.TaskID)
	if t == nil {
		return DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	w.removeTask(t.ID)
	if version(w.ctx, "supplementary-report", 1) >= 1 {
		// Cases whose acceptance arrived before the summary are in it; later ones wait for a
		// supplementary report.
		w.st.Supplementary = true
		for _, r := range w.pendingCases {
			if !w.hasCase(r.CaseID) {
				w.st.Cases = append(w.st.Cases, r)
			}
		}
		w.pendingCases = nil
	}
	w.st.Submitted, w.st.SubmittedAt = true, workflow.Now(w.ctx)
	row := w.row("submitted")
	row.SubmittedBy, row.ContactName, row.ContactPhone = req.Actor.UserID, req.ContactName, req.ContactPhone
	tr := models.Transition{League: row,
		CloseTasks: []models.TaskClose{{ID: t.ID, Status: models.TaskDone, Outcome: req.Outcome, DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}},
		Audit:      []models.AuditEntry{decisionAudit(t, req, "collecting", fmt.Sprintf("submitted %d enterprises", len(w.st.Cases)))},
		Notify: []models.NotifyRequest{{Role: domain.RoleRegionCentre, Domain: w.in.Region, Kind: "summary_submitted",
			Subject: w.in.LeagueName + "已报送试点申报汇总表", Body: fmt.Sprintf("%s报送了 %d 家企业的申报材料，请组织专家评估。", w.in.LeagueName, len(w.st.Cases))}},
	}
	for _, c := range w.st.Cases {
		tr.Events = append(tr.Events, models.CaseEvent{CaseID: c.CaseID, Kind: "summary_submitted", Stage: StageInSummary,
			Summary: w.in.LeagueName + "已将汇总表报送自治区", ActorID: req.Actor.UserID, ActorName: req.Actor.Name, ActorRole: req.Actor.Role, Public: true})
	}
	if err := w.commit(tr); err != nil {
		return DecisionResult{}, err
	}
	// The cases go on to evaluation and the campaign learns of the summary.
	signals := make([]signal, 0, len(w.st.Cases)+1)
	for _, c := range w.st.Cases {
		signals = append(signals, signal{workflowID: c.WorkflowID, name: SummarySubmittedSignal, arg: SummarySubmitted{League: w.in.League}, what: "case " + c.CaseID})
	}
	signals = append(signals, signal{workflowID: CampaignWorkflowID(w.in.CampaignID), name: LeagueSubmittedSignal, arg: LeagueSubmitted{League: w.in.League}, what: "campaign"})
	signalAll(w.ctx, signals)
	return DecisionResult{TaskID: t.ID, Outcome: req.Outcome, Stage: "submitted"}, nil
}

func (w *leagueWF) hasCase(id string) bool {
	for _, c := range w.st.Cases {
		if c.CaseID == id {
			return true
		}
	}
	return false
}

// addLate records a case accepted after the summary and opens the league's supplementary report
// task, unless one is open already (it then carries this case too).
func (w *leagueWF) addLate(r CaseRef) error {
	for _, x := range w.st.Late {
		if x.CaseID == r.CaseID {
			return nil
		}
	}
	w.st.Late = append(w.st.Late, r)
	tr := models.Transition{Events: []models.CaseEvent{{CaseID: r.CaseID, Kind: "awaiting_supplementary", Stage: StageInSummary,
		Summary: w.in.LeagueName + "汇总表已报送，待盟市补充报送自治区", Public: true}}}
	if w.supplementTask() == nil {
		t := &OpenTask{ID: w.newTaskID(KindSupplementarySummary, 0), Kind: KindSupplementarySummary, Role: domain.RoleLeagueOfficial,
			Domain: w.in.League, Due: dueAfter(workflow.Now(w.ctx), w.in.Timing.ReviewDays)}
		w.Tasks = append(w.Tasks, t)
		tr.OpenTasks = append(tr.OpenTasks, models.Task{ID: t.ID, WorkflowID: w.wfID, Kind: KindSupplementarySummary,
			Title: fmt.Sprintf("%s：补充报送 %s 年汇总表后审核通过的企业", w.in.LeagueName, w.in.CampaignID), Stage: StageInSummary,
			CandidateRole: domain.RoleLeagueOfficial, CandidateDomain: w.in.League, JurisdictionCode: w.in.League, LeagueCode: w.in.League,
			CampaignID: w.in.CampaignID, DueAt: t.Due})
		tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleLeagueOfficial, Domain: w.in.League, Kind: "new_task",
			Subject: "新待办：" + Kinds[KindSupplementarySummary].Title,
			Body:    "汇总表报送后又有企业审核通过，请于 " + t.Due.In(shanghai).Format("2006-01-02") + " 前补充报送自治区。"})
	}
	return w.commit(tr)
}

// supplementTask is the open supplementary report task, if any.
func (w *leagueWF) supplementTask() *OpenTask {
	for _, t := range w.Tasks {
		if t.Kind == KindSupplementarySummary {
			return t
		}
	}
	return nil
}

// cancelEmptySupplement cancels the supplementary report task once every late case has left.
func (w *leagueWF) cancelEmptySupplement() error {
	t := w.supplementTask()
	if t == nil || len(w.st.Late) > 0 || t.Deciding {
		return nil
	}
	w.removeTask(t.ID)
	return w.commit(models.Transition{CloseTasks: []models.TaskClose{{ID: t.ID, Status: models.TaskCancelled, Outcome: "no_cases"}}})
}

// submitSupplement sends the late cases to the region: they join the summary, their timelines
// record it, the appraisal centre is told and the cases go on to evaluation.
func (w *leagueWF) submitSupplement(p *pending) (DecisionResult, error) {
	req := p.req
	t := w.task(req.TaskID)
	if t == nil {
		return DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	if len(w.st.Late) == 0 {
		t.Deciding = false
		return DecisionResult{}, refuse(ErrWrongState, "没有需要补充报送的企业")
	}
	late := w.st.Late
	w.removeTask(t.ID)
	w.st.Cases = append(w.st.Cases, late...)
	w.st.Late = nil
	tr := models.Transition{
		CloseTasks: []models.TaskClose{{ID: t.ID, Status: models.TaskDone, Outcome: req.Outcome, DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}},
		Audit:      []models.AuditEntry{decisionAudit(t, req, "submitted", fmt.Sprintf("supplementary report of %d enterprises", len(late)))},
		Notify: []models.NotifyRequest{{Role: domain.RoleRegionCentre, Domain: w.in.Region, Kind: "summary_submitted",
			Subject: w.in.LeagueName + "已补充报送试点申报汇总表", Body: fmt.Sprintf("%s补充报送了 %d 家企业的申报材料，请组织专家评估。", w.in.LeagueName, len(late))}},
	}
	for _, c := range late {
		tr.Events = append(tr.Events, models.CaseEvent{CaseID: c.CaseID, Kind: "summary_submitted", Stage: StageInSummary,
			Summary: w.in.LeagueName + "已将补充汇总表报送自治区", ActorID: req.Actor.UserID, ActorName: req.Actor.Name, ActorRole: req.Actor.Role, Public: true})
	}
	if err := w.commit(tr); err != nil {
		return DecisionResult{}, err
	}
	signals := make([]signal, 0, len(late))
	for _, c := range late {
		signals = append(signals, signal{workflowID: c.WorkflowID, name: SummarySubmittedSignal, arg: SummarySubmitted{League: w.in.League}, what: "case " + c.CaseID})
	}
	signalAll(w.ctx, signals)
	return DecisionResult{TaskID: t.ID, Outcome: req.Outcome, Stage: "submitted"}, nil
}
