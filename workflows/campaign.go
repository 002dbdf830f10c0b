package workflows

import (
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
)

// LeagueRef names a league/city taking part in a campaign.
type LeagueRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// CampaignInput starts a Campaign.
type CampaignInput struct {
	CampaignID         string         `json:"campaign_id"`
	Year               int            `json:"year"`
	CollectionDeadline time.Time      `json:"collection_deadline"`
	PublicationTarget  time.Time      `json:"publication_target"`
	Region             string         `json:"region"`
	Leagues            []LeagueRef    `json:"leagues"`
	Timing             Timing         `json:"timing"`
	State              *CampaignState `json:"state,omitempty"`
}

// CampaignState is carried across Continue-As-New.
type CampaignState struct {
	Seq                int             `json:"seq"`
	Tasks              []*OpenTask     `json:"tasks"`
	CollectionDeadline time.Time       `json:"collection_deadline"`
	PublicationTarget  time.Time       `json:"publication_target"`
	Submitted          map[string]bool `json:"submitted"`
	Published          map[int]bool    `json:"published"`
	// Sent records calendar alerts already sent (e.g. "collection-7d"), so a moved deadline
	// re-arms only the alerts that are still ahead.
	Sent        map[string]time.Time `json:"sent"`
	Started     bool                 `json:"started"`
	DeadlineHit bool                 `json:"deadline_hit"`
}

// DefaultCalendar returns the default collection deadline (20 May 23:59:59) and publication
// target (5 June 23:59:59), Asia/Shanghai, of a pilot year.
func DefaultCalendar(year int) (collection, publication time.Time) {
	return domain.DefaultCalendar(year)
}

// Campaign is one pilot year's calendar: it starts the leagues' collections, reminds 7 days and
// 1 day before the collection deadline and the publication target, marks leagues overdue at the
// deadline and escalates them to the region, and publishes directory batches on the region's
// decision.
//
// ID: CampaignWorkflowID(year). Messages: DecideUpdate (publish_directory, league_overdue tasks),
// MoveDeadlineUpdate, signal LeagueSubmittedSignal. Timers: the calendar alerts above. Completes
// when both batches are published.
func Campaign(ctx workflow.Context, in CampaignInput) error {
	ctx = withVersions(ctx)
	w := &campaignWF{in: in}
	if err := w.setup(ctx); err != nil {
		return err
	}
	return w.run()
}

type campaignWF struct {
	host
	in    CampaignInput
	st    *CampaignState
	moves []*pendingMove
	begun bool // the first step is written (StartedUpdate)
}

type pendingMove struct {
	req    MoveDeadlineRequest
	result CampaignCalendar
	err    error
	done   bool
}

func (w *campaignWF) setup(ctx workflow.Context) error {
	w.in.Timing = w.in.Timing.WithDefaults()
	w.st = w.in.State
	if w.st == nil {
		w.st = &CampaignState{CollectionDeadline: w.in.CollectionDeadline, PublicationTarget: w.in.PublicationTarget}
	}
	if w.st.Submitted == nil {
		w.st.Submitted = map[string]bool{}
	}
	if w.st.Published == nil {
		w.st.Published = map[int]bool{}
	}
	if w.st.Sent == nil {
		w.st.Sent = map[string]time.Time{}
	}
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: w.in.Timing, Seq: w.st.Seq, Tasks: w.st.Tasks,
		escalateTo: func(string) (string, string) { return domain.RoleRegionOfficial, "" }, rules: w.decisionRules}
	w.host.commit = w.commit
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.host.validateDecision}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, MoveDeadlineUpdate, w.handleMove,
		workflow.UpdateHandlerOptions{Validator: w.validateMove}); err != nil {
		return err
	}
	w.begun = w.st.Started
	if err := workflow.SetUpdateHandler(ctx, StartedUpdate, func(ctx workflow.Context) error {
		return workflow.Await(ctx, func() bool { return w.begun })
	}); err != nil {
		return err
	}
	if err := workflow.SetQueryHandler(ctx, StateQuery, func() (CampaignState, error) { return *w.st, nil }); err != nil {
		return err
	}
	sub := workflow.GetSignalChannel(ctx, LeagueSubmittedSignal)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s LeagueSubmitted
			sub.Receive(ctx, &s)
			w.st.Submitted[s.League] = true
		}
	})
	return nil
}

func (w *campaignWF) row() *models.Campaign {
	c := &models.Campaign{ID: w.in.CampaignID, Year: w.in.Year, CollectionDeadline: w.st.CollectionDeadline,
		PublicationTarget: w.st.PublicationTarget, Status: "collecting"}
	if w.st.DeadlineHit {
		c.Status = "evaluating"
	}
	if at, ok := w.st.Sent["published-1"]; ok {
		c.Status, c.Batch1PublishedAt = "published", &at
	}
	if at, ok := w.st.Sent["published-2"]; ok {
		c.Batch2PublishedAt = &at
	}
	return c
}

func (w *campaignWF) commit(tr models.Transition) error {
	tr.Campaign = w.row()
	if err := w.apply(tr); err != nil {
		return err
	}
	w.st.Seq, w.st.Tasks = w.host.Seq, w.host.Tasks
	return nil
}

// alert is one calendar alert: its key, when it fires and what it does.
type alert struct {
	key string
	at  time.Time
	run func() error
}

func (w *campaignWF) alerts() []alert {
	c, p := w.st.CollectionDeadline, w.st.PublicationTarget
	return []alert{
		{"collection-7d", c.AddDate(0, 0, -7), func() error { return w.remindLeagues("7 天") }},
		{"collection-1d", c.AddDate(0, 0, -1), func() error { return w.remindLeagues("1 天") }},
		{"collection-deadline", c, w.deadlineReached},
		{"publication-7d", p.AddDate(0, 0, -7), func() error { return w.remindRegion("7 天") }},
		{"publication-1d", p.AddDate(0, 0, -1), func() error { return w.remindRegion("1 天") }},
	}
}

// nextAlert is the earliest alert not yet sent.
func (w *campaignWF) nextAlert() time.Time {
	var next time.Time
	for _, a := range w.alerts() {
		if _, sent := w.st.Sent[a.key]; sent {
			continue
		}
		if next.IsZero() || a.at.Before(next) {
			next = a.at
		}
	}
	return next
}

func (w *campaignWF) run() error {
	if !w.st.Started {
		if err := w.begin(); err != nil {
			return err
		}
		w.begun = true
	}
	for !(w.st.Published[1] && w.st.Published[2]) {
		p, err := w.wait(func() bool { return len(w.moves) > 0 }, w.nextAlert)
		if err != nil {
			return err
		}
		switch {
		case p != nil:
			res, err := w.decide(p)
			if err != nil && !IsRefusal(err) {
				return err
			}
			p.finish(res, err)
		case len(w.moves) > 0:
			m := w.moves[0]
			w.moves = w.moves[1:]
			m.result, m.err = w.move(m.req)
			m.done = true
		}
		now := workflow.Now(w.ctx)
		for _, a := range w.alerts() {
			if _, sent := w.st.Sent[a.key]; !sent && !now.Before(a.at) {
				w.st.Sent[a.key] = now
				if err := a.run(); err != nil {
					return err
				}
			}
		}
		if workflow.GetInfo(w.ctx).GetContinueAsNewSuggested() && len(w.queue) == 0 && len(w.moves) == 0 {
			if err := workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) }); err != nil {
				return err
			}
			in := w.in
			st := *w.st
			in.State = &st
			return workflow.NewContinueAsNewError(w.ctx, Campaign, in)
		}
	}
	return workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) })
}

func (w *campaignWF) begin() error {
	w.st.Started = true
	// The leagues' collections run as children that outlive the campaign if it is reset.
	for _, l := range w.in.Leagues {
		cctx := workflow.WithChildOptions(w.ctx, workflow.ChildWorkflowOptions{
			WorkflowID:            LeagueWorkflowID(w.in.CampaignID, l.Code),
			ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		})
		f := workflow.ExecuteChildWorkflow(cctx, LeagueCollection, LeagueInput{CampaignID: w.in.CampaignID, League: l.Code,
			LeagueName: l.Name, Region: w.in.Region, Deadline: w.st.CollectionDeadline, Timing: w.in.Timing})
		if err := f.GetChildWorkflowExecution().Get(w.ctx, nil); err != nil && !temporal.IsWorkflowExecutionAlreadyStartedError(err) {
			return fmt.Errorf("start collection of %s: %w", l.Code, err)
		}
	}
	tr := models.Transition{}
	w.openPublishTask(&tr, 1, w.st.PublicationTarget)
	tr.Audit = append(tr.Audit, models.AuditEntry{ActorName: "system", Action: "campaign.start", ObjectType: "campaign",
		ObjectID: w.in.CampaignID, JurisdictionCode: w.in.Region, Outcome: models.OutcomeOK,
		AfterState: fmt.Sprintf("collection %s, publication %s", w.st.CollectionDeadline.In(shanghai).Format("2006-01-02"), w.st.PublicationTarget.In(shanghai).Format("2006-01-02"))})
	return w.commit(tr)
}

func (w *campaignWF) openPublishTask(tr *models.Transition, batch int, due time.Time) {
	t := &OpenTask{ID: w.newTaskID(KindPublish, batch), Kind: KindPublish, Role: domain.RoleRegionOfficial, Domain: w.in.Region, Due: due}
	w.Tasks = append(w.Tasks, t)
	tr.OpenTasks = append(tr.OpenTasks, models.Task{ID: t.ID, WorkflowID: w.wfID, Kind: KindPublish,
		Title: fmt.Sprintf("公布 %s 年第%s批试点企业目录", w.in.CampaignID, map[int]string{1: "一", 2: "二"}[batch]),
		Stage: StageAwaitingPublication, CandidateRole: domain.RoleRegionOfficial, CandidateDomain: w.in.Region,
		JurisdictionCode: w.in.Region, CampaignID: w.in.CampaignID, Batch: batch, DueAt: due})
}

func (w *campaignWF) remindLeagues(left string) error {
	tr := models.Transition{}
	for _, l := range w.in.Leagues {
		if w.st.Submitted[l.Code] {
			continue
		}
		tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleLeagueOfficial, Domain: l.Code, Kind: "reminder",
			Subject: "汇总表报送截止提醒", Body: fmt.Sprintf("距 %s 年试点申报汇总表报送截止（%s）还有 %s，请及时报送。",
				w.in.CampaignID, w.st.CollectionDeadline.In(shanghai).Format("2006-01-02 15:04"), left)})
	}
	return w.commit(tr)
}

func (w *campaignWF) remindRegion(left string) error {
	tr := models.Transition{Notify: []models.NotifyRequest{{Role: domain.RoleRegionOfficial, Domain: w.in.Region, Kind: "reminder",
		Subject: "试点企业目录公布提醒", Body: fmt.Sprintf("距 %s 年试点企业目录计划公布日期（%s）还有 %s。",
			w.in.CampaignID, w.st.PublicationTarget.In(shanghai).Format("2006-01-02"), left)}}}
	return w.commit(tr)
}

// deadlineReached marks leagues that have not submitted as overdue and escalates to the region.
func (w *campaignWF) deadlineReached() error {
	w.st.DeadlineHit = true
	tr := models.Transition{}
	var overdue []string
	for _, l := range w.in.Leagues {
		if w.st.Submitted[l.Code] {
			continue
		}
		overdue = append(overdue, l.Name)
		// A league that has not submitted is overdue (a later submission sets it to submitted).
		tr.Audit = append(tr.Audit, models.AuditEntry{ActorName: "system", Action: "league.overdue", ObjectType: "league_collection",
			ObjectID: w.in.CampaignID + "-" + l.Code, JurisdictionCode: l.Code, AfterState: "overdue", Outcome: models.OutcomeOK})
		w.markOverdue(&tr, l.Code)
	}
	if len(overdue) > 0 {
		t := &OpenTask{ID: w.newTaskID(KindLeagueOverdue, 0), Kind: KindLeagueOverdue, Role: domain.RoleRegionOfficial, Domain: w.in.Region,
			Due: dueAfter(workflow.Now(w.ctx), 3)}
		w.Tasks = append(w.Tasks, t)
		tr.OpenTasks = append(tr.OpenTasks, models.Task{ID: t.ID, WorkflowID: w.wfID, Kind: KindLeagueOverdue,
			Title: fmt.Sprintf("督办逾期未报送汇总表的盟市（%d 个）：%s", len(overdue), joinNames(overdue)), Stage: StageInSummary,
			CandidateRole: domain.RoleRegionOfficial, CandidateDomain: w.in.Region, JurisdictionCode: w.in.Region, CampaignID: w.in.CampaignID,
			SLAState: models.SLAOverdue, DueAt: t.Due})
		tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleRegionOfficial, Domain: w.in.Region, Kind: "escalation",
			Subject: "盟市逾期未报送汇总表", Body: "以下盟市逾期未报送汇总表：" + joinNames(overdue)})
	}
	return w.commit(tr)
}

func (w *campaignWF) markOverdue(tr *models.Transition, league string) {
	tr.UpdateLeagues = append(tr.UpdateLeagues, models.LeagueStatus{ID: w.in.CampaignID + "-" + league, Status: "overdue", OnlyIf: "collecting"})
}

func joinNames(ns []string) string {
	s := ""
	for i, n := range ns {
		if i > 0 {
			s += "、"
		}
		s += n
	}
	return s
}

// openLeagues is the number of leagues that have not submitted their summary.
func (w *campaignWF) openLeagues() int {
	n := 0
	for _, l := range w.in.Leagues {
		if !w.st.Submitted[l.Code] {
			n++
		}
	}
	return n
}

// decisionRules are the campaign's checks of a decision before it reaches history: a
// publication while leagues are still collecting is confirmed with their number.
func (w *campaignWF) decisionRules(t *OpenTask, req DecisionRequest) error {
	if t.Kind == KindPublish {
		if msg := domain.PublishConfirmed(w.openLeagues(), req.ConfirmOpenLeagues); msg != "" {
			return refuseField(ErrWrongState, "confirm_open_leagues", msg)
		}
	}
	return nil
}

func (w *campaignWF) decide(p *pending) (DecisionResult, error) {
	req := p.req
	t := w.task(req.TaskID)
	if t == nil {
		return DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	w.removeTask(t.ID)
	tr := models.Transition{CloseTasks: []models.TaskClose{{ID: t.ID, Status: models.TaskDone, Outcome: req.Outcome, Reasons: reasonsText(req), DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}}}
	res := DecisionResult{TaskID: t.ID, Outcome: req.Outcome}
	switch t.Kind {
	case KindPublish:
		batch := 1
		if w.st.Published[1] {
			batch = 2
		}
		actx := workflow.WithActivityOptions(w.ctx, QuickActivityOptions)
		var a *activities.Activities
		var ids []string
		if err := workflow.ExecuteActivity(actx, a.CasesAwaitingPublication, w.in.CampaignID, batch).Get(actx, &ids); err != nil {
			w.keep(t)
			return DecisionResult{}, err
		}
		if len(ids) == 0 {
			w.keep(t)
			return DecisionResult{}, refuse(ErrWrongState, fmt.Sprintf("第%s批还没有审定的企业，无法公布", map[int]string{1: "一", 2: "二"}[batch]))
		}
		w.st.Published[batch] = true
		w.st.Sent[fmt.Sprintf("published-%d", batch)] = workflow.Now(w.ctx)
		if batch == 1 {
			// Batch 2 follows once batch 1 has matured; its task waits with a long due date.
			w.openPublishTask(&tr, 2, dueAfter(workflow.Now(w.ctx), 180))
		}
		tr.Audit = append(tr.Audit, decisionAudit(t, req, "", fmt.Sprintf("batch %d published, %d enterprises", batch, len(ids))))
		if err := w.commit(tr); err != nil {
			return DecisionResult{}, err
		}
		signals := make([]signal, len(ids))
		for i, id := range ids {
			signals[i] = signal{workflowID: id, name: PublishedSignal, arg: Published{Batch: batch}, what: "case"}
		}
		signalAll(w.ctx, signals)
		res.Stage = fmt.Sprintf("batch%d_published", batch)
	case KindLeagueOverdue:
		tr.Audit = append(tr.Audit, decisionAudit(t, req, "overdue", "acknowledged"))
		if err := w.commit(tr); err != nil {
			return DecisionResult{}, err
		}
		res.Stage = "acknowledged"
	default:
		w.keep(t)
		return DecisionResult{}, refuse(ErrInvalidDecision, "该待办类型不属于年度计划")
	}
	return res, nil
}

func (w *campaignWF) validateMove(req MoveDeadlineRequest) error {
	if req.Actor.Role != domain.RoleRegionOfficial {
		return refuse(ErrNotCandidate, "只有自治区人社厅可以调整时间安排")
	}
	if !req.To.After(workflow.Now(w.ctx)) {
		return refuse(ErrInvalidDecision, "新的日期不能早于当前时间")
	}
	switch req.Which {
	case "collection":
		if w.st.DeadlineHit {
			return refuse(ErrWrongState, "汇总截止时间已过，不能再调整")
		}
		if !req.To.Before(w.st.PublicationTarget) {
			return refuse(ErrInvalidDecision, "汇总截止时间应早于目录公布时间")
		}
	case "publication":
		if w.st.Published[1] {
			return refuse(ErrWrongState, "第一批目录已公布，不能再调整公布时间")
		}
		if !req.To.After(w.st.CollectionDeadline) {
			return refuse(ErrInvalidDecision, "目录公布时间应晚于汇总截止时间")
		}
	default:
		return refuse(ErrInvalidDecision, "未知的时间节点")
	}
	if req.Reason == "" {
		return refuse(ErrInvalidDecision, "请填写调整理由")
	}
	return nil
}

func (w *campaignWF) handleMove(ctx workflow.Context, req MoveDeadlineRequest) (CampaignCalendar, error) {
	m := &pendingMove{req: req}
	w.moves = append(w.moves, m)
	if err := workflow.Await(ctx, func() bool { return m.done }); err != nil {
		return CampaignCalendar{}, err
	}
	return m.result, m.err
}

func (w *campaignWF) move(req MoveDeadlineRequest) (CampaignCalendar, error) {
	before := w.st.CollectionDeadline
	prefix := "collection-"
	if req.Which == "collection" {
		w.st.CollectionDeadline = req.To
	} else {
		before, prefix = w.st.PublicationTarget, "publication-"
		w.st.PublicationTarget = req.To
	}
	// Re-arm the alerts of the moved date that are still ahead.
	now := workflow.Now(w.ctx)
	for _, a := range w.alerts() {
		if len(a.key) > len(prefix) && a.key[:len(prefix)] == prefix && a.at.After(now) {
			delete(w.st.Sent, a.key)
		}
	}
	tr := models.Transition{Audit: []models.AuditEntry{{ActorID: req.Actor.UserID, ActorName: req.Actor.Username, Role: req.Actor.Role,
		JurisdictionCode: truncate6(req.Actor.Jurisdiction), Action: "campaign.move_" + req.Which, ObjectType: "campaign", ObjectID: w.in.CampaignID,
		BeforeState: before.In(shanghai).Format(time.RFC3339), AfterState: req.To.In(shanghai).Format(time.RFC3339), Reason: req.Reason, Outcome: models.OutcomeOK}}}
	if req.Which == "publication" {
		for _, t := range w.Tasks {
			if t.Kind == KindPublish {
				due := req.To
				t.Due, t.Reminded, t.Escalated = due, false, 0
				tr.UpdateTasks = append(tr.UpdateTasks, models.TaskUpdate{ID: t.ID, DueAt: &due, SLAState: models.SLAOnTime})
			}
		}
	} else {
		for _, l := range w.in.Leagues {
			if !w.st.Submitted[l.Code] {
				tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleLeagueOfficial, Domain: l.Code, Kind: "deadline_moved",
					Subject: "汇总表报送截止时间调整", Body: "截止时间调整为 " + req.To.In(shanghai).Format("2006-01-02 15:04") + "。理由：" + req.Reason})
			}
		}
	}
	if err := w.commit(tr); err != nil {
		return CampaignCalendar{}, err
	}
	if req.Which == "collection" {
		for _, l := range w.in.Leagues {
			f := workflow.SignalExternalWorkflow(w.ctx, LeagueWorkflowID(w.in.CampaignID, l.Code), "", DeadlineMovedSignal, DeadlineMoved{CollectionDeadline: req.To})
			if err := f.Get(w.ctx, nil); err != nil {
				workflow.GetLogger(w.ctx).Warn("tell league about moved deadline failed", "league", l.Code, "err", err)
			}
		}
	}
	return CampaignCalendar{CollectionDeadline: w.st.CollectionDeadline, PublicationTarget: w.st.PublicationTarget}, nil
}
