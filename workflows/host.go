package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// Error types of refused messages; the API maps them to HTTP statuses.
const (
	ErrTaskNotOpen     = "TaskNotOpen"     // 409: decided already, or not this workflow's task
	ErrNotCandidate    = "NotCandidate"    // 403: the actor may not decide this task
	ErrInvalidDecision = "InvalidDecision" // 422: outcome or payload not acceptable
	ErrWrongState      = "WrongState"      // 409: the request does not fit the current stage
)

// RefusalTypes are the error types of business refusals; any other failure is infrastructure.
var RefusalTypes = []string{ErrTaskNotOpen, ErrNotCandidate, ErrInvalidDecision, ErrWrongState}

// refuse is a business refusal of a message.
func refuse(kind, msg string) error { return temporal.NewApplicationError(msg, kind) }

// refuseField is a refusal caused by one field of the request; the field error travels as the
// error's details, so that the API can attach it to the field.
func refuseField(kind, field, msg string) error {
	return refuseFields(kind, msg, []FieldError{{Field: field, Message: msg}})
}

// refuseFields is a refusal caused by fields of the request, listed in the error's details.
func refuseFields(kind, msg string, fields []FieldError) error {
	return temporal.NewApplicationError(msg, kind, fields)
}

// refuseErrors is a refusal by field errors: the message joins them (as validate.Errors
// reads), the details list them.
func refuseErrors(kind string, errs validate.Errors) error {
	return refuseFields(kind, errs.Error(), errs)
}

// FieldError is the detail of a refusal caused by one field of the request: the field error
// the API and the pages show anyway (validate.FieldError).
type FieldError = validate.FieldError

// RefusalFields returns the field errors a refusal carries in its details.
func RefusalFields(err error) []FieldError {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) || !ae.HasDetails() {
		return nil
	}
	var fs []FieldError
	if ae.Details(&fs) != nil {
		return nil
	}
	return fs
}

// shanghai is the time zone deadlines are computed in (embedded tzdata makes this deterministic).
var shanghai = domain.Shanghai

// dueAfter returns the end of the day (23:59:59 Asia/Shanghai) days after now.
func dueAfter(now time.Time, days int) time.Time { return domain.DueAfter(now, days) }

// OpenTask is a task a workflow waits on; it is part of the workflow's carried state.
type OpenTask struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Role      string    `json:"role"`
	Domain    string    `json:"domain"`
	Assignee  string    `json:"assignee,omitempty"`
	Due       time.Time `json:"due"`
	Reminded  bool      `json:"reminded"`
	Escalated int       `json:"escalated"`
	Deciding  bool      `json:"-"`
}

// pending is a validated decision waiting for the main loop.
type pending struct {
	req    DecisionRequest
	result DecisionResult
	err    error
	done   bool
}

// host holds what every skillcert workflow shares: the open tasks, the queue of decisions the
// Update handler accepted, and the step counter that keys projection writes.
type host struct {
	ctx        workflow.Context
	wfID       string
	Seq        int
	Tasks      []*OpenTask
	queue      []*pending
	timing     Timing
	escalateTo func(domain string) (role, parent string)
	// rules, when set, are the workflow's own checks of a decision on a task of its kinds, run
	// by the validator after the generic ones (role, claimant, outcome, reasons).
	rules func(t *OpenTask, req DecisionRequest) error
	// commit, when set, writes the transitions of reminders and escalations the way the
	// workflow writes its own (with its projection row, keeping its carried state in step).
	commit func(models.Transition) error

	// leanChecked and leanOn cache the workflow's version of leanCommandsChange (see lean).
	leanChecked, leanOn bool
	// deadline is the one timer alive for the next reminder, escalation or calendar time
	// (version 1 of leanCommandsChange): kept while the next deadline stays, replaced when it moves.
	deadline       workflow.Future
	deadlineAt     time.Time
	cancelDeadline workflow.CancelFunc
}

// leanCommandsChange is the GetVersion change ID of the leaner command sequence (issue 18):
// from version 1 a wait keeps one deadline timer alive while the next deadline is unchanged
// instead of a new timer per wait, a case upserts only the search attributes that changed, and
// the expert draw's seed is taken from the workflow clock without a SideEffect marker. One
// change ID for all three, asked once per run, so a run records at most one version marker.
const leanCommandsChange = "lean-commands"

// lean reports whether this run uses the leaner command sequence (version 1 of
// leanCommandsChange). It is asked lazily, at the first command the change affects, so runs
// replayed from histories recorded before the change take the old path there.
func (h *host) lean() bool {
	if !h.leanChecked {
		h.leanChecked = true
		h.leanOn = version(h.ctx, leanCommandsChange, 1) >= 1
	}
	return h.leanOn
}

// awaitDeadline blocks until ready() or the deadline at passes, and reports whether ready()
// held. The timer for at is kept across calls while at stays the next deadline (a decision or
// signal that leaves it unchanged costs no new timer); when at moves the old timer is
// cancelled and a new one started. It is only called with at after the workflow clock.
func (h *host) awaitDeadline(at time.Time, ready func() bool) (bool, error) {
	if h.deadline == nil || !h.deadlineAt.Equal(at) {
		h.stopDeadline()
		tctx, cancel := workflow.WithCancel(h.ctx)
		h.deadline = workflow.NewTimer(tctx, at.Sub(workflow.Now(h.ctx)))
		h.deadlineAt, h.cancelDeadline = at, cancel
	}
	timer := h.deadline
	if err := workflow.Await(h.ctx, func() bool { return ready() || timer.IsReady() }); err != nil {
		return false, err
	}
	if timer.IsReady() {
		h.deadline, h.cancelDeadline = nil, nil
		if err := timer.Get(h.ctx, nil); err != nil && !temporal.IsCanceledError(err) {
			return false, err
		}
	}
	return ready(), nil
}

// stopDeadline cancels the deadline timer, if one is alive.
func (h *host) stopDeadline() {
	if h.cancelDeadline != nil {
		h.cancelDeadline()
	}
	h.deadline, h.cancelDeadline = nil, nil
}

func (h *host) task(id string) *OpenTask {
	for _, t := range h.Tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

func (h *host) removeTask(id string) {
	out := h.Tasks[:0]
	for _, t := range h.Tasks {
		if t.ID != id {
			out = append(out, t)
		}
	}
	h.Tasks = out
}

// keep puts back a task whose decision was refused, open for another decision.
func (h *host) keep(t *OpenTask) {
	t.Deciding = false
	h.Tasks = append(h.Tasks, t)
}

// newTaskID makes a task ID from the workflow ID and the step.
func (h *host) newTaskID(kind string, n int) string {
	return h.wfID + "." + kind + "." + strconv.Itoa(h.Seq) + "." + strconv.Itoa(n)
}

// validateDecision is the Update validator: it runs before the update is written to history,
// so a refused request leaves no trace in the workflow (the API audits it).
func (h *host) validateDecision(req DecisionRequest) error {
	t := h.task(req.TaskID)
	if t == nil || t.Deciding {
		return refuse(ErrTaskNotOpen, "该待办已处理或不存在")
	}
	if req.Actor.Role != t.Role {
		return refuse(ErrNotCandidate, "该待办不由您的角色办理")
	}
	if t.Assignee != "" && t.Assignee != req.Actor.UserID {
		return refuse(ErrNotCandidate, "该待办已由他人认领")
	}
	spec, ok := Kinds[t.Kind]
	if !ok {
		return refuse(ErrInvalidDecision, "未知的待办类型")
	}
	needReasons, ok := spec.Outcomes[req.Outcome]
	if !ok {
		return refuse(ErrInvalidDecision, fmt.Sprintf("“%s”不是该待办可选的处理结果", req.Outcome))
	}
	if needReasons && len(req.Reasons) == 0 && req.Comment == "" {
		return refuse(ErrInvalidDecision, "退回、不予通过等决定必须填写理由")
	}
	for _, r := range req.Reasons {
		if r.Message == "" {
			return refuse(ErrInvalidDecision, "理由不能为空")
		}
	}
	if h.rules != nil {
		return h.rules(t, req)
	}
	return nil
}

// handleDecision is the Update handler: it queues the decision for the main loop and returns
// once the main loop has written it (with the task, timeline and audit rows) to the projection.
func (h *host) handleDecision(ctx workflow.Context, req DecisionRequest) (DecisionResult, error) {
	t := h.task(req.TaskID)
	if t == nil || t.Deciding {
		// Two updates validated in the same workflow task: only the first one acts.
		return DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	t.Deciding = true
	p := &pending{req: req}
	h.queue = append(h.queue, p)
	if err := workflow.Await(ctx, func() bool { return p.done }); err != nil {
		return DecisionResult{}, err
	}
	return p.result, p.err
}

// nextTimer returns the earliest reminder or escalation time among open tasks.
func (h *host) nextTimer() (time.Time, bool) {
	var next time.Time
	for _, t := range h.Tasks {
		at := h.escalationAt(t)
		if !t.Reminded {
			at = t.Due.Add(-time.Duration(h.timing.RemindBeforeHours) * time.Hour)
		}
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next, !next.IsZero()
}

// wait blocks until a decision is queued, cond becomes true, a task timer fires (handled here:
// reminders and escalations) or the calendar time passes (returned to the caller). It returns
// the queued decision, if any.
func (h *host) wait(cond func() bool, calendar func() time.Time) (*pending, error) {
	ready := func() bool { return len(h.queue) > 0 || (cond != nil && cond()) }
	for !ready() {
		taskAt, hasTask := h.nextTimer()
		var calAt time.Time
		if calendar != nil {
			calAt = calendar()
		}
		next := taskAt
		if !hasTask || (!calAt.IsZero() && calAt.Before(next)) {
			next = calAt
		}
		if next.IsZero() {
			if h.deadline != nil {
				h.stopDeadline() // nothing is due any more
			}
			if err := workflow.Await(h.ctx, ready); err != nil {
				return nil, err
			}
			continue
		}
		if d := next.Sub(workflow.Now(h.ctx)); d > 0 && h.lean() {
			fired, err := h.awaitDeadline(next, ready)
			if err != nil {
				return nil, err
			}
			if fired {
				break
			}
		} else if d > 0 {
			fired, err := workflow.AwaitWithTimeout(h.ctx, d, ready)
			if err != nil {
				return nil, err
			}
			if fired {
				break
			}
		}
		now := workflow.Now(h.ctx)
		if hasTask && !now.Before(taskAt) {
			if err := h.fireTimers(); err != nil {
				return nil, err
			}
		}
		if !calAt.IsZero() && !now.Before(calAt) {
			return nil, nil
		}
	}
	if len(h.queue) > 0 {
		p := h.queue[0]
		h.queue = h.queue[1:]
		return p, nil
	}
	return nil, nil
}

// fireTimers sends reminders and escalates overdue tasks to the parent jurisdiction.
func (h *host) fireTimers() error {
	now := workflow.Now(h.ctx)
	tr := models.Transition{}
	for _, t := range h.Tasks {
		remindAt := t.Due.Add(-time.Duration(h.timing.RemindBeforeHours) * time.Hour)
		switch {
		case !t.Reminded && !now.Before(remindAt):
			t.Reminded = true
			tr.UpdateTasks = append(tr.UpdateTasks, models.TaskUpdate{ID: t.ID, SLAState: models.SLADueSoon})
			tr.Notify = append(tr.Notify, models.NotifyRequest{UserID: t.Assignee, Role: t.Role, Domain: t.Domain, Kind: "reminder",
				Subject: "待办即将到期：" + Kinds[t.Kind].Title,
				Body:    "您有一项待办将于 " + t.Due.In(shanghai).Format("2006-01-02 15:04") + " 到期，请及时办理。"})
		case t.Reminded && !now.Before(h.escalationAt(t)):
			t.Escalated++
			up := models.TaskUpdate{ID: t.ID, SLAState: models.SLAOverdue, Escalate: true}
			notifyRole, notifyDomain := t.Role, t.Domain
			if t.Role == domain.RoleExpert {
				// Expert tasks stay with the expert; the appraisal centre is told.
				notifyRole = domain.RoleRegionCentre
			} else if h.escalateTo != nil {
				if role, parent := h.escalateTo(t.Domain); parent != "" && t.Role != domain.RoleEnterpriseUser {
					up.CandidateRole, up.CandidateDomain = role, parent
					t.Role, t.Domain, t.Assignee = role, parent, ""
					notifyRole, notifyDomain = role, parent
				} else if parent != "" {
					notifyRole, notifyDomain = role, parent
				}
			}
			tr.UpdateTasks = append(tr.UpdateTasks, up)
			tr.Notify = append(tr.Notify, models.NotifyRequest{Role: notifyRole, Domain: notifyDomain, Kind: "escalation",
				Subject: "逾期待办督办：" + Kinds[t.Kind].Title,
				Body:    "一项待办已于 " + t.Due.In(shanghai).Format("2006-01-02 15:04") + " 逾期，已上报督办，请尽快处理。"})
			tr.Audit = append(tr.Audit, models.AuditEntry{Action: "task.escalate", ObjectType: "task", ObjectID: t.ID,
				AfterState: notifyRole + "@" + notifyDomain, Reason: "overdue", Outcome: models.OutcomeOK, ActorName: "system"})
		}
	}
	if len(tr.UpdateTasks) == 0 {
		return nil
	}
	if h.commit != nil {
		return h.commit(tr)
	}
	return h.apply(tr)
}

func (h *host) escalationAt(t *OpenTask) time.Time {
	if t.Escalated == 0 {
		return t.Due
	}
	return t.Due.Add(time.Duration(t.Escalated) * 24 * time.Hour * time.Duration(max(1, h.timing.ReviewDays)))
}

// apply writes a transition through the Apply local activity, keyed by workflow ID and step.
func (h *host) apply(tr models.Transition) error {
	h.Seq++
	tr.Key = h.wfID + "#" + strconv.Itoa(h.Seq)
	tr.At = workflow.Now(h.ctx)
	ctx := workflow.WithLocalActivityOptions(h.ctx, ApplyOptions)
	var a *activities.Activities
	return workflow.ExecuteLocalActivity(ctx, a.Apply, tr).Get(ctx, nil)
}

// refuseQueued answers every decision still queued with a refusal: the workflow is ending and
// will not act on them, and each Update handler must finish before it may end.
func (h *host) refuseQueued(msg string) {
	for _, p := range h.queue {
		p.finish(DecisionResult{}, refuse(ErrTaskNotOpen, msg))
	}
	h.queue = nil
}

// finish completes a queued decision.
func (p *pending) finish(result DecisionResult, err error) {
	p.result, p.err, p.done = result, err, true
}

// decisionAudit is the audit row of a decision.
func decisionAudit(t *OpenTask, req DecisionRequest, before, after string) models.AuditEntry {
	return models.AuditEntry{
		ActorID: req.Actor.UserID, ActorName: req.Actor.Username, Role: req.Actor.Role, JurisdictionCode: truncate6(req.Actor.Jurisdiction),
		Action: "task.decide:" + t.Kind, ObjectType: "task", ObjectID: t.ID, BeforeState: before, AfterState: after,
		Reason: reasonsText(req), Outcome: models.OutcomeOK,
	}
}

func truncate6(s string) string {
	if len(s) > 6 {
		return s[:6]
	}
	return s
}

// reasonsText is a decision's comment and reasons as one text, each reason tied to a field of
// the application named by the field's Chinese label (the text reaches the enterprise in its
// notification and the task's record).
func reasonsText(req DecisionRequest) string {
	parts := []string{req.Comment}
	for _, r := range req.Reasons {
		if r.Field != "" {
			parts = append(parts, domain.FormFieldLabel(r.Field)+"："+r.Message)
		} else {
			parts = append(parts, r.Message)
		}
	}
	return domain.JoinClauses(parts...)
}

// IsRefusal tells business refusals (the declared types of RefusalTypes, raised by the
// workflow's own rules) from every other failure, including an activity's non-retryable error.
func IsRefusal(err error) bool {
	var ae *temporal.ApplicationError
	if !errors.As(err, &ae) {
		return false
	}
	var act *temporal.ActivityError
	if errors.As(err, &act) {
		return false // raised by an activity, not by the workflow's rules
	}
	return slices.Contains(RefusalTypes, ae.Type())
}

// hasType reports whether err is or wraps an application error of the given type (an
// activity's declared failure, such as activities.ErrPoolTooSmall).
func hasType(err error, typ string) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == typ
}

// signal is one signal to send to another workflow.
type signal struct {
	workflowID, name string
	arg              any
	// what names the target in the warning logged when it cannot be signalled.
	what string
}

// signalAll sends the signals. Workflows started before the change sent them one after another,
// each waiting for the server's acknowledgement (a round trip per enterprise when the directory
// is published); now they all go out in one workflow task and are waited for together. A target
// that cannot be signalled (it ended) is logged, as before.
func signalAll(ctx workflow.Context, signals []signal) {
	concurrent := version(ctx, "concurrent-signals", 1) >= 1
	wait := func(s signal, f workflow.Future) {
		if err := f.Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("signal failed", "signal", s.name, "target", s.what, "workflowID", s.workflowID, "err", err)
		}
	}
	if !concurrent {
		for _, s := range signals {
			wait(s, workflow.SignalExternalWorkflow(ctx, s.workflowID, "", s.name, s.arg))
		}
		return
	}
	fs := make([]workflow.Future, len(signals))
	for i, s := range signals {
		fs[i] = workflow.SignalExternalWorkflow(ctx, s.workflowID, "", s.name, s.arg)
	}
	for i, s := range signals {
		wait(s, fs[i])
	}
}
