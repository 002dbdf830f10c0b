package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// SessionInput starts an AssessmentSession.
type SessionInput struct {
	SessionID      string    `json:"session_id"`
	CaseID         string    `json:"case_id"`
	EnterpriseID   string    `json:"enterprise_id"`
	EnterpriseName string    `json:"enterprise_name"`
	Jurisdiction   string    `json:"jurisdiction"`
	Region         string    `json:"region"`
	OccupationCode string    `json:"occupation_code"`
	OccupationName string    `json:"occupation_name"`
	WorkType       string    `json:"work_type"`
	Level          int       `json:"level"`
	ExamDate       time.Time `json:"exam_date"`
	Site           string    `json:"site"`
	AssessorsJSON  string    `json:"assessors_json"`
	Timing         Timing    `json:"timing"`
}

// SessionResult is how a sitting ended.
type SessionResult struct {
	Issued []string `json:"issued"` // certificate numbers
}

// IssueCertificatesActivity is the registered name of the certificate issuing activity.
const IssueCertificatesActivity = "IssueCertificates"

// AssessmentSession is one assessment sitting of an active pilot enterprise, a child of its
// EnterpriseCase: the enterprise registers candidates and records scores (data entry through
// the API while the sitting is open), submits the results, the region's appraisal centre audits
// them — approving the passing list or rejecting individual candidates with reasons — the
// enterprise corrects and resubmits. The approved results are then published (公示) for the
// region's number of working days; an objection raised in the period opens a review task for
// the centre, which dismisses it or sustains it (the candidates it names go back to the
// enterprise for correction, and the corrected results are audited and published again).
// Certificates are issued for the approved candidates once the period has ended with no
// objection open or sustained (domain.IssuanceAllowed). Sittings started before the publicity
// (GetVersion "results-publicity") issue at the approval, as they did.
//
// ID: SessionWorkflowID(id). Messages: DecideUpdate (submit_results, audit_results,
// correct_results, review_objection tasks), ObjectionUpdate. Timers: the tasks' reminders and
// escalations, the end of the publicity.
func AssessmentSession(ctx workflow.Context, in SessionInput) (SessionResult, error) {
	ctx = withVersions(ctx)
	in.Timing = in.Timing.WithDefaults()
	w := &sessionWF{in: in}
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: in.Timing,
		escalateTo: func(string) (string, string) { return domain.RoleRegionCentre, in.Region }, rules: w.decisionRules}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.host.validateDecision}); err != nil {
		return SessionResult{}, err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ObjectionUpdate, w.handleObjection,
		workflow.UpdateHandlerOptions{Validator: w.validateObjection}); err != nil {
		return SessionResult{}, err
	}
	return w.run()
}

type sessionWF struct {
	host
	in     SessionInput
	status string
	// The current publicity: its start and end, the candidates published for a certificate (in
	// the candidates' order), the objections under review by their task, and whether a
	// publicity has passed without a sustained objection since the last correction.
	pubStarts, pubEnds time.Time
	published          []string
	reviews            map[string]ObjectionRequest
	publicityPassed    bool
	objq               []*objectionPending
}

// objectionPending is an objection the Update handler accepted, waiting for the main loop.
type objectionPending struct {
	req    ObjectionRequest
	result ObjectionResult
	err    error
	done   bool
}

// validateObjection accepts an objection only while the sitting's results are in publicity
// and the period has not ended, about a candidate of the published list or the whole sitting.
func (w *sessionWF) validateObjection(req ObjectionRequest) error {
	if w.status != models.SessionPublicity || !domain.ObjectionOpenAt(workflow.Now(w.ctx), w.pubEnds) {
		return refuse(ErrWrongState, "该场次认定结果不在公示期内，不再受理异议")
	}
	if req.ObjectionID == "" {
		return refuse(ErrInvalidDecision, "缺少异议编号")
	}
	if req.CandidateID != "" && !slices.Contains(w.published, req.CandidateID) {
		return refuse(ErrInvalidDecision, "异议所指人员不在本场次公示名单中")
	}
	return nil
}

// handleObjection queues an objection for the main loop and answers with its review task.
func (w *sessionWF) handleObjection(ctx workflow.Context, req ObjectionRequest) (ObjectionResult, error) {
	o := &objectionPending{req: req}
	w.objq = append(w.objq, o)
	if err := workflow.Await(ctx, func() bool { return o.done }); err != nil {
		return ObjectionResult{}, err
	}
	return o.result, o.err
}

// openReviews counts the objections under review.
func (w *sessionWF) openReviews() int {
	n := 0
	for _, t := range w.Tasks {
		if t.Kind == KindReviewObjection {
			n++
		}
	}
	return n
}

// publicityCalendar is the end of the publicity while the sitting waits for it alone (no
// objection under review); zero otherwise.
func (w *sessionWF) publicityCalendar() time.Time {
	if w.status != models.SessionPublicity || w.openReviews() > 0 {
		return time.Time{}
	}
	return w.pubEnds
}

func (w *sessionWF) enterpriseDomain() string {
	return domain.EnterpriseDomain(w.in.Jurisdiction, w.in.EnterpriseID)
}

// decisionRules are the sitting's rules on its decisions, checked before anything reaches
// history: results only on or after the exam date (domain.ResultsRule).
func (w *sessionWF) decisionRules(t *OpenTask, req DecisionRequest) error {
	if t.Kind == KindSubmitResults {
		if msg := domain.ResultsRule(workflow.Now(w.ctx), w.in.ExamDate); msg != "" {
			return refuse(ErrWrongState, msg)
		}
	}
	return nil
}

func (w *sessionWF) row() *models.AssessmentSession {
	r := sessionRow(w.in, w.wfID, w.status)
	if !w.pubEnds.IsZero() {
		starts, ends := w.pubStarts, w.pubEnds
		r.PublicityStartsAt, r.PublicityEndsAt = &starts, &ends
	}
	return r
}

// sessionRow is a sitting's projection row. The case writes it when it starts the sitting (so
// the row exists when the plan is answered), the sitting with every step after.
func sessionRow(in SessionInput, wfID, status string) *models.AssessmentSession {
	return &models.AssessmentSession{ID: in.SessionID, WorkflowID: wfID, CaseID: in.CaseID, EnterpriseID: in.EnterpriseID,
		EnterpriseName: in.EnterpriseName, JurisdictionCode: in.Jurisdiction, OccupationCode: in.OccupationCode,
		OccupationName: in.OccupationName, WorkType: in.WorkType, Level: in.Level, ExamDate: in.ExamDate,
		Site: in.Site, AssessorsJSON: in.AssessorsJSON, Status: status}
}

func (w *sessionWF) open(tr *models.Transition, kind, role, domain string, due time.Time) {
	t := &OpenTask{ID: w.newTaskID(kind, 0), Kind: kind, Role: role, Domain: domain, Due: due}
	w.Tasks = append(w.Tasks, t)
	tr.OpenTasks = append(tr.OpenTasks, models.Task{ID: t.ID, WorkflowID: w.wfID, CaseID: w.in.CaseID, Kind: kind,
		Title: fmt.Sprintf("%s：%s %s（%s）", Kinds[kind].Title, w.in.EnterpriseName, w.in.OccupationName, levelName(w.in.Level)),
		Stage: StageActive, CandidateRole: role, CandidateDomain: domain, JurisdictionCode: w.in.Jurisdiction,
		EnterpriseName: w.in.EnterpriseName, DueAt: t.Due})
	tr.Notify = append(tr.Notify, models.NotifyRequest{Role: role, Domain: domain, CaseID: w.in.CaseID, Kind: "new_task",
		Subject: "新待办：" + Kinds[kind].Title, Body: w.in.EnterpriseName + " " + w.in.OccupationName + " 的认定结果待办，请于 " + t.Due.In(shanghai).Format("2006-01-02") + " 前办理。"})
}

func levelName(l int) string { return validate.Level(l).Name() }

func (w *sessionWF) event(tr *models.Transition, kind, summary string, actor *Actor) {
	e := models.CaseEvent{CaseID: w.in.CaseID, Kind: kind, Stage: StageActive, Summary: summary, Public: true}
	if actor != nil {
		e.ActorID, e.ActorName, e.ActorRole = actor.UserID, actor.Name, actor.Role
	}
	tr.Events = append(tr.Events, e)
}

func (w *sessionWF) commit(tr models.Transition) error {
	tr.Session = w.row()
	return w.apply(tr)
}

func (w *sessionWF) candidates() ([]activities.CandidateFacts, error) {
	actx := workflow.WithActivityOptions(w.ctx, QuickActivityOptions)
	var a *activities.Activities
	var cs []activities.CandidateFacts
	err := workflow.ExecuteActivity(actx, a.SessionCandidates, w.in.SessionID).Get(actx, &cs)
	return cs, err
}

func (w *sessionWF) run() (SessionResult, error) {
	w.status = models.SessionOpen
	due := dueAfter(w.in.ExamDate, w.in.Timing.ResultsDays)
	if now := workflow.Now(w.ctx); due.Before(now) {
		due = dueAfter(now, w.in.Timing.ResultsDays)
	}
	tr := models.Transition{}
	w.open(&tr, KindSubmitResults, domain.RoleEnterpriseUser, w.enterpriseDomain(), due)
	w.event(&tr, "session_planned", fmt.Sprintf("计划组织 %s（%s）认定，考核日期 %s，地点 %s", w.in.OccupationName, levelName(w.in.Level),
		w.in.ExamDate.In(shanghai).Format("2006-01-02"), w.in.Site), nil)
	if err := w.commit(tr); err != nil {
		return SessionResult{}, err
	}
	for {
		p, err := w.wait(func() bool { return len(w.objq) > 0 }, w.publicityCalendar)
		if err != nil {
			return SessionResult{}, err
		}
		for len(w.objq) > 0 {
			o := w.objq[0]
			w.objq = w.objq[1:]
			if err := w.receiveObjection(o); err != nil {
				return SessionResult{}, err
			}
		}
		if p == nil {
			issued, err := w.endOfPublicity()
			if err != nil {
				return SessionResult{}, err
			}
			if issued != nil {
				return w.finish(issued)
			}
			continue
		}
		res, issued, err := w.decide(p)
		if err != nil && !IsRefusal(err) {
			var act *temporal.ActivityError
			if !errors.As(err, &act) {
				return SessionResult{}, err
			}
			// An activity failed for good (say, invalid certificate input): nothing was written and
			// the task stays open; the caller is answered with the failure, which is not a refusal.
			workflow.GetLogger(w.ctx).Error("decision failed in an activity", "task", p.req.TaskID, "err", err)
		}
		p.finish(res, err)
		if issued == nil && err == nil {
			// A dismissal may have closed the last review of a publicity that has ended.
			if issued, err = w.endOfPublicity(); err != nil {
				return SessionResult{}, err
			}
		}
		if issued != nil {
			return w.finish(issued)
		}
	}
}

// finish ends the sitting: what is still queued is refused, so that every handler can finish.
func (w *sessionWF) finish(issued []string) (SessionResult, error) {
	w.refuseQueued("该认定场次已结束")
	for _, o := range w.objq {
		o.err, o.done = refuse(ErrWrongState, "该认定场次已结束"), true
	}
	w.objq = nil
	if err := workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) }); err != nil {
		return SessionResult{}, err
	}
	return SessionResult{Issued: issued}, nil
}

// receiveObjection opens the centre's review of an objection, unless the period ended between
// the validator and the main loop.
func (w *sessionWF) receiveObjection(o *objectionPending) error {
	if w.status != models.SessionPublicity || !domain.ObjectionOpenAt(workflow.Now(w.ctx), w.pubEnds) {
		o.err, o.done = refuse(ErrWrongState, "该场次认定结果不在公示期内，不再受理异议"), true
		return nil
	}
	tr := models.Transition{}
	w.open(&tr, KindReviewObjection, domain.RoleRegionCentre, w.in.Region, dueAfter(workflow.Now(w.ctx), w.in.Timing.AuditDays))
	taskID := tr.OpenTasks[0].ID
	if w.reviews == nil {
		w.reviews = map[string]ObjectionRequest{}
	}
	w.reviews[taskID] = o.req
	tr.Objections = append(tr.Objections, models.ObjectionChange{ID: o.req.ObjectionID, Status: domain.ObjectionOpen, TaskID: taskID})
	w.event(&tr, "objection_received", "认定结果公示期内收到一件异议，已转自治区职业技能鉴定管理中心核查；核查完毕前不颁发证书", nil)
	tr.Audit = append(tr.Audit, models.AuditEntry{Action: "objection.receive", ObjectType: "objection", ObjectID: o.req.ObjectionID,
		AfterState: domain.ObjectionOpen, Outcome: models.OutcomeOK, ActorName: "system"})
	if err := w.commit(tr); err != nil {
		return err
	}
	o.result, o.done = ObjectionResult{TaskID: taskID}, true
	return nil
}

// endOfPublicity issues the certificates of a publicity that has ended with no objection open
// or sustained (domain.IssuanceAllowed); it answers nil while that is not so. A failure of the
// certificate activity (the pilot suspended, a candidate's data unfit) leaves the sitting with
// a new audit task for the centre, whose approval issues at once: the publicity has passed.
func (w *sessionWF) endOfPublicity() ([]string, error) {
	if w.status != models.SessionPublicity {
		return nil, nil
	}
	if ok, _ := domain.IssuanceAllowed(workflow.Now(w.ctx), w.pubEnds, w.openReviews(), 0); !ok {
		return nil, nil
	}
	w.publicityPassed = true
	tr := models.Transition{}
	var issued []string
	cs, err := w.candidates()
	var numbers []issuedNumber
	if err == nil {
		numbers, err = w.issue(w.publishedOf(cs))
	}
	var act *temporal.ActivityError
	if err != nil && !errors.As(err, &act) {
		return nil, err
	}
	if err != nil {
		workflow.GetLogger(w.ctx).Error("certificates at the end of the publicity failed", "session", w.in.SessionID, "err", err)
		w.status = models.SessionSubmitted
		w.event(&tr, "certificates_failed", "公示期满无异议，但证书未能生成（试点状态或考生信息不符合颁证条件），请鉴定中心核查后重新审核", nil)
		w.open(&tr, KindAuditResults, domain.RoleRegionCentre, w.in.Region, dueAfter(workflow.Now(w.ctx), w.in.Timing.AuditDays))
		return nil, w.commit(tr)
	}
	for _, n := range numbers {
		tr.Candidates = append(tr.Candidates, models.CandidateUpdate{ID: n.candidate, CertificateNumber: n.number})
		issued = append(issued, n.number)
	}
	w.status = models.SessionIssued
	w.event(&tr, "certificates_issued", fmt.Sprintf("认定结果公示期满，无异议或异议不成立，颁发职业技能等级证书 %d 本", len(issued)), nil)
	tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleEnterpriseUser, Domain: w.enterpriseDomain(), CaseID: w.in.CaseID,
		Kind: "outcome", Subject: "认定结果公示期满，证书已生成", Body: fmt.Sprintf("%s（%s）认定结果公示期满，已生成证书 %d 本。", w.in.OccupationName, levelName(w.in.Level), len(issued))})
	tr.Audit = append(tr.Audit, models.AuditEntry{Action: "session.issue", ObjectType: "session", ObjectID: w.in.SessionID,
		BeforeState: models.SessionPublicity, AfterState: models.SessionIssued, Outcome: models.OutcomeOK, ActorName: "system"})
	if err := w.commit(tr); err != nil {
		return nil, err
	}
	if issued == nil {
		issued = []string{}
	}
	return issued, nil
}

// publishedOf keeps the candidates published for a certificate, in the candidates' order.
func (w *sessionWF) publishedOf(cs []activities.CandidateFacts) []activities.CandidateFacts {
	var out []activities.CandidateFacts
	for _, c := range cs {
		if slices.Contains(w.published, c.ID) {
			out = append(out, c)
		}
	}
	return out
}

func (w *sessionWF) decide(p *pending) (DecisionResult, []string, error) {
	t := w.task(p.req.TaskID)
	if t == nil {
		return DecisionResult{}, nil, refuse(ErrTaskNotOpen, "该待办已处理")
	}
	res, issued, err := w.decideTask(p.req, t)
	if hasType(err, activities.ErrCaseNotInForce) {
		// The pilot is suspended, removed or closed: nothing may be submitted, audited or certified.
		err = refuse(ErrWrongState, "该企业的试点已暂停、已移出目录或已结束，不得报送、审核认定结果或颁发证书")
	}
	if err != nil {
		t.Deciding = false // refused: the task stays open for another decision
	}
	return res, issued, err
}

func (w *sessionWF) decideTask(req DecisionRequest, t *OpenTask) (DecisionResult, []string, error) {
	cs, err := w.candidates()
	if err != nil {
		return DecisionResult{}, nil, err
	}
	tr := models.Transition{}
	var issued []string
	switch t.Kind {
	case KindSubmitResults, KindCorrectResults:
		if len(cs) == 0 {
			return DecisionResult{}, nil, refuse(ErrInvalidDecision, "尚未登记考生")
		}
		var assessors []Assessor
		_ = json.Unmarshal([]byte(w.in.AssessorsJSON), &assessors)
		if need := domain.AssessorsNeeded(len(cs)); need > len(assessors) {
			return DecisionResult{}, nil, refuse(ErrInvalidDecision, fmt.Sprintf("考评人员不足：%d 名考生至少需要 %d 名考评员（每 %d 名考生 1 名）",
				len(cs), need, domain.CandidatesPerAssessor))
		}
		for _, c := range cs {
			if c.Result == "pending" {
				return DecisionResult{}, nil, refuse(ErrInvalidDecision, "考生 "+c.Name+" 尚未录入全部成绩")
			}
			if c.AuditStatus == "rejected" {
				return DecisionResult{}, nil, refuse(ErrInvalidDecision, "考生 "+c.Name+" 的结果被审核退回，请先更正")
			}
		}
		w.status = models.SessionSubmitted
		w.event(&tr, "results_submitted", fmt.Sprintf("%s（%s）认定结果报送自治区职业技能鉴定管理中心审核", w.in.OccupationName, levelName(w.in.Level)), &req.Actor)
		w.open(&tr, KindAuditResults, domain.RoleRegionCentre, w.in.Region, dueAfter(workflow.Now(w.ctx), w.in.Timing.AuditDays))
	case KindAuditResults:
		byID := map[string]activities.CandidateFacts{}
		for _, c := range cs {
			byID[c.ID] = c
		}
		rejected := map[string]string{}
		if req.Outcome == "reject" {
			for _, r := range req.Reasons {
				c, ok := byID[r.Field]
				if !ok || c.Result != "pass" || c.Certificate != "" {
					return DecisionResult{}, nil, refuse(ErrInvalidDecision, "退回的考生须是本场次待审核的合格考生")
				}
				rejected[r.Field] = r.Message
			}
			if len(rejected) == 0 {
				return DecisionResult{}, nil, refuse(ErrInvalidDecision, "请指明退回的考生及理由")
			}
		}
		for _, c := range cs {
			if c.Result != "pass" || c.Certificate != "" {
				continue
			}
			if why, ok := rejected[c.ID]; ok {
				tr.Candidates = append(tr.Candidates, models.CandidateUpdate{ID: c.ID, AuditStatus: "rejected", AuditReason: why})
			} else {
				tr.Candidates = append(tr.Candidates, models.CandidateUpdate{ID: c.ID, AuditStatus: "approved"})
			}
		}
		if len(rejected) > 0 {
			w.publicityPassed = false // the corrected results are published again
			w.status = models.SessionCorrecting
			w.event(&tr, "results_returned", fmt.Sprintf("认定结果审核：%d 名考生退回更正", len(rejected)), &req.Actor)
			w.open(&tr, KindCorrectResults, domain.RoleEnterpriseUser, w.enterpriseDomain(), dueAfter(workflow.Now(w.ctx), w.in.Timing.CorrectionDays))
			break
		}
		if !w.publicityPassed && version(w.ctx, "results-publicity", 1) >= 1 {
			if err := w.publish(&tr, cs, &req.Actor); err != nil {
				return DecisionResult{}, nil, err
			}
			break
		}
		numbers, err := w.issue(cs)
		if err != nil {
			return DecisionResult{}, nil, err
		}
		for _, n := range numbers {
			tr.Candidates = append(tr.Candidates, models.CandidateUpdate{ID: n.candidate, CertificateNumber: n.number})
			issued = append(issued, n.number)
		}
		w.status = models.SessionIssued
		w.event(&tr, "certificates_issued", fmt.Sprintf("认定结果审核通过，颁发职业技能等级证书 %d 本", len(issued)), &req.Actor)
		tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleEnterpriseUser, Domain: w.enterpriseDomain(), CaseID: w.in.CaseID,
			Kind: "outcome", Subject: "认定结果审核通过", Body: fmt.Sprintf("%s（%s）认定结果已审核通过，已生成证书 %d 本。", w.in.OccupationName, levelName(w.in.Level), len(issued))})
		if issued == nil {
			issued = []string{}
		}
	case KindReviewObjection:
		if err := w.review(&tr, t, req, cs); err != nil {
			return DecisionResult{}, nil, err
		}
	default:
		return DecisionResult{}, nil, refuse(ErrInvalidDecision, "该待办类型不属于认定场次")
	}
	w.removeTask(t.ID)
	tr.CloseTasks = append([]models.TaskClose{{ID: t.ID, Status: models.TaskDone, Outcome: req.Outcome, Reasons: reasonsText(req),
		DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}}, tr.CloseTasks...)
	tr.Audit = append(tr.Audit, decisionAudit(t, req, "", w.status))
	if err := w.commit(tr); err != nil {
		return DecisionResult{}, nil, err
	}
	res := DecisionResult{TaskID: t.ID, Outcome: req.Outcome, Stage: w.status}
	for _, o := range tr.OpenTasks {
		res.NextTasks = append(res.NextTasks, o.ID)
	}
	return res, issued, nil
}

// issuedNumber is the certificate number issued to a candidate.
type issuedNumber struct{ candidate, number string }

// issue asks the certificate activity to number and sign a certificate for every approved
// candidate that passed and has none yet; it answers the numbers in the candidates' order.
func (w *sessionWF) issue(cs []activities.CandidateFacts) ([]issuedNumber, error) {
	in := activities.IssueInput{SessionID: w.in.SessionID, EnterpriseID: w.in.EnterpriseID, CaseID: w.in.CaseID,
		Year: workflow.Now(w.ctx).In(shanghai).Year(), IssueDate: workflow.Now(w.ctx)}
	for _, c := range cs {
		if c.Result != "pass" || c.Certificate != "" {
			continue
		}
		in.Candidates = append(in.Candidates, activities.IssueCandidate{Key: c.ID, Name: c.Name,
			IDCipher: c.IDCipher, IDLookup: c.IDLookup, IDMasked: c.IDMasked, OccupationCode: w.in.OccupationCode,
			OccupationName: w.in.OccupationName, WorkType: w.in.WorkType, Level: w.in.Level})
	}
	if len(in.Candidates) == 0 {
		return nil, nil
	}
	// Issuing is idempotent per candidate, so a short timeout costs nothing but a retry.
	actx := workflow.WithActivityOptions(w.ctx, IssueActivityOptions)
	var res activities.IssueResult
	if err := workflow.ExecuteActivity(actx, IssueCertificatesActivity, in).Get(actx, &res); err != nil {
		return nil, err
	}
	var out []issuedNumber
	for i, c := range in.Candidates {
		if i < len(res.Numbers) {
			out = append(out, issuedNumber{candidate: c.Key, number: res.Numbers[i]})
		}
	}
	return out, nil
}

// publish starts the publicity of the approved results: its end is the region's number of
// working days on its working-day table (activity PublicityPeriod), or Timing.PublicitySeconds
// in tests.
func (w *sessionWF) publish(tr *models.Transition, cs []activities.CandidateFacts, actor *Actor) error {
	now := workflow.Now(w.ctx)
	var period activities.PublicityPeriod
	if w.in.Timing.PublicitySeconds > 0 {
		period = activities.PublicityPeriod{Ends: now.Add(time.Duration(w.in.Timing.PublicitySeconds) * time.Second)}
	} else {
		actx := workflow.WithActivityOptions(w.ctx, QuickActivityOptions)
		var a *activities.Activities
		if err := workflow.ExecuteActivity(actx, a.PublicityPeriod, activities.PublicityPeriodInput{Start: now}).Get(actx, &period); err != nil {
			return err
		}
	}
	w.published = nil
	for _, c := range cs {
		if c.Result == "pass" && c.Certificate == "" {
			w.published = append(w.published, c.ID)
		}
	}
	w.status, w.pubStarts, w.pubEnds = models.SessionPublicity, now, period.Ends
	until := period.Ends.In(shanghai).Format("2006-01-02 15:04")
	length := fmt.Sprintf("%d 个工作日", period.Days)
	if period.Days == 0 {
		length = "至期满"
	}
	w.event(tr, "results_publicized", fmt.Sprintf("认定结果审核通过，%d 名合格人员名单公示 %s（至 %s），公示期满无异议后颁发证书",
		len(w.published), length, until), actor)
	tr.Notify = append(tr.Notify, models.NotifyRequest{Role: domain.RoleEnterpriseUser, Domain: w.enterpriseDomain(), CaseID: w.in.CaseID,
		Kind: "outcome", Subject: "认定结果审核通过，进入公示", Body: fmt.Sprintf("%s（%s）认定结果已审核通过，现予公示至 %s，公示期满无异议后颁发证书。",
			w.in.OccupationName, levelName(w.in.Level), until)})
	return nil
}

// review decides an objection: dismissed, the publicity goes on (and the certificates follow
// its end); sustained, the candidates named (reasons keyed by candidate ID, or the candidate the
// objection named, with the comment) have their results withdrawn and returned to the enterprise
// for correction, the other objections of the publicity are closed as superseded, and the
// corrected results are audited and published again for a full period.
func (w *sessionWF) review(tr *models.Transition, t *OpenTask, req DecisionRequest, cs []activities.CandidateFacts) error {
	obj := w.reviews[t.ID]
	if req.Outcome == "dismiss" {
		delete(w.reviews, t.ID)
		tr.Objections = append(tr.Objections, models.ObjectionChange{ID: obj.ObjectionID, Status: domain.ObjectionDismissed,
			Reason: reasonsText(req), DecidedBy: req.Actor.UserID})
		w.event(tr, "objection_dismissed", "公示异议经核查不成立，公示期满后颁发证书", &req.Actor)
		return nil
	}
	withdrawn := map[string]string{}
	var order []string
	for _, r := range req.Reasons {
		if r.Field == "" {
			continue
		}
		if !slices.Contains(w.published, r.Field) {
			return refuse(ErrInvalidDecision, "异议成立所涉及的人员须是本场次公示名单中的人员")
		}
		if _, dup := withdrawn[r.Field]; !dup {
			order = append(order, r.Field)
		}
		withdrawn[r.Field] = r.Message
	}
	if len(withdrawn) == 0 && obj.CandidateID != "" {
		withdrawn[obj.CandidateID] = reasonsText(req)
		order = append(order, obj.CandidateID)
	}
	if len(withdrawn) == 0 {
		return refuse(ErrInvalidDecision, "请指明异议成立所涉及的人员及理由")
	}
	for _, c := range cs {
		if why, ok := withdrawn[c.ID]; ok {
			tr.Candidates = append(tr.Candidates, models.CandidateUpdate{ID: c.ID, AuditStatus: "rejected", AuditReason: "公示异议成立：" + why})
		}
	}
	delete(w.reviews, t.ID)
	tr.Objections = append(tr.Objections, models.ObjectionChange{ID: obj.ObjectionID, Status: domain.ObjectionSustained,
		Reason: reasonsText(req), DecidedBy: req.Actor.UserID})
	for _, other := range slices.Clone(w.Tasks) {
		if other.Kind != KindReviewObjection || other.ID == t.ID {
			continue
		}
		o := w.reviews[other.ID]
		delete(w.reviews, other.ID)
		w.removeTask(other.ID)
		tr.CloseTasks = append(tr.CloseTasks, models.TaskClose{ID: other.ID, Status: models.TaskCancelled, Outcome: domain.ObjectionSuperseded})
		tr.Objections = append(tr.Objections, models.ObjectionChange{ID: o.ObjectionID, Status: domain.ObjectionSuperseded,
			Reason: "另一件异议成立，认定结果已退回更正，更正后将重新公示", DecidedBy: req.Actor.UserID})
	}
	w.status, w.pubStarts, w.pubEnds, w.published, w.publicityPassed = models.SessionCorrecting, time.Time{}, time.Time{}, nil, false
	w.event(tr, "objection_sustained", fmt.Sprintf("公示异议经核查成立，%d 名人员的认定结果撤回并退回企业更正，更正后重新审核、公示", len(order)), &req.Actor)
	w.open(tr, KindCorrectResults, domain.RoleEnterpriseUser, w.enterpriseDomain(), dueAfter(workflow.Now(w.ctx), w.in.Timing.CorrectionDays))
	return nil
}
