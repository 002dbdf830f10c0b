package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
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
// enterprise corrects and resubmits, and certificates are issued for the approved candidates.
//
// ID: SessionWorkflowID(id). Messages: DecideUpdate (submit_results, audit_results,
// correct_results tasks). Timers: the tasks' reminders and escalations.
func AssessmentSession(ctx workflow.Context, in SessionInput) (SessionResult, error) {
	in.Timing = in.Timing.WithDefaults()
	w := &sessionWF{in: in}
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: in.Timing,
		escalateTo: func(string) (string, string) { return domain.RoleRegionCentre, in.Region }, rules: w.decisionRules}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.host.validateDecision}); err != nil {
		return SessionResult{}, err
	}
	return w.run()
}

type sessionWF struct {
	host
	in     SessionInput
	status string
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

func (w *sessionWF) row() *models.AssessmentSession { return sessionRow(w.in, w.wfID, w.status) }

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
		p, err := w.wait(nil, nil)
		if err != nil {
			return SessionResult{}, err
		}
		if p == nil {
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
		if issued != nil {
			// The sitting is over: refuse what is still queued, so that every handler can finish.
			w.refuseQueued("该认定场次已结束")
			if err := workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) }); err != nil {
				return SessionResult{}, err
			}
			return SessionResult{Issued: issued}, nil
		}
	}
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
			w.status = models.SessionCorrecting
			w.event(&tr, "results_returned", fmt.Sprintf("认定结果审核：%d 名考生退回更正", len(rejected)), &req.Actor)
			w.open(&tr, KindCorrectResults, domain.RoleEnterpriseUser, w.enterpriseDomain(), dueAfter(workflow.Now(w.ctx), w.in.Timing.CorrectionDays))
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
