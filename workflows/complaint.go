package workflows

import (
	"go.temporal.io/sdk/workflow"

	"skillcert/domain"
	"skillcert/models"
)

// ComplaintInput starts a Complaint. It carries no personal data of the complainant: that
// stays in the complaints table, readable only by the officials handling it.
type ComplaintInput struct {
	ComplaintID    string `json:"complaint_id"`
	EnterpriseID   string `json:"enterprise_id"`
	EnterpriseName string `json:"enterprise_name"`
	CaseID         string `json:"case_id,omitempty"`
	Jurisdiction   string `json:"jurisdiction"`
	League         string `json:"league"`
	Region         string `json:"region"`
	Timing         Timing `json:"timing"`
}

// ComplaintResult is the handled outcome.
type ComplaintResult struct {
	Outcome string `json:"outcome"`
}

// Complaint routes a complaint to the enterprise's jurisdiction for verification (核查) and
// passes the outcome to the enterprise's case.
//
// ID: ComplaintWorkflowID(id). Messages: DecideUpdate (verify_complaint task). Timers: the
// verification task's reminder and escalation county → league → region.
func Complaint(ctx workflow.Context, in ComplaintInput) (ComplaintResult, error) {
	ctx = withVersions(ctx)
	in.Timing = in.Timing.WithDefaults()
	w := &complaintWF{in: in}
	w.host = host{ctx: ctx, wfID: workflow.GetInfo(ctx).WorkflowExecution.ID, timing: in.Timing, escalateTo: w.escalateTo}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, DecideUpdate, w.host.handleDecision,
		workflow.UpdateHandlerOptions{Validator: w.host.validateDecision}); err != nil {
		return ComplaintResult{}, err
	}
	return w.run()
}

type complaintWF struct {
	host
	in ComplaintInput
}

func (w *complaintWF) escalateTo(from string) (string, string) {
	if from == w.in.Jurisdiction && w.in.Jurisdiction != w.in.League {
		return domain.RoleLeagueOfficial, w.in.League
	}
	if from == w.in.Region {
		return domain.RoleRegionOfficial, ""
	}
	return domain.RoleRegionOfficial, w.in.Region
}

func (w *complaintWF) run() (ComplaintResult, error) {
	role := domain.RoleCountyOfficial
	if w.in.Jurisdiction == w.in.League {
		role = domain.RoleLeagueOfficial
	}
	row := &models.Complaint{ID: w.in.ComplaintID, EnterpriseID: w.in.EnterpriseID, CaseID: w.in.CaseID,
		JurisdictionCode: w.in.Jurisdiction, Status: "open"}
	t := &OpenTask{ID: w.newTaskID(KindVerifyComplaint, 0), Kind: KindVerifyComplaint, Role: role, Domain: w.in.Jurisdiction,
		Due: dueAfter(workflow.Now(w.ctx), w.in.Timing.ComplaintDays)}
	w.Tasks = append(w.Tasks, t)
	tr := models.Transition{Complaint: row,
		OpenTasks: []models.Task{{ID: t.ID, WorkflowID: w.wfID, CaseID: w.in.CaseID, Kind: KindVerifyComplaint,
			Title: Kinds[KindVerifyComplaint].Title + "：" + w.in.EnterpriseName, Stage: "complaint", CandidateRole: role,
			CandidateDomain: w.in.Jurisdiction, JurisdictionCode: w.in.Jurisdiction, LeagueCode: w.in.League,
			EnterpriseName: w.in.EnterpriseName, DueAt: t.Due}},
		Notify: []models.NotifyRequest{{Role: role, Domain: w.in.Jurisdiction, Kind: "new_task", Subject: "新的投诉举报待核查",
			Body: "收到一件关于 " + w.in.EnterpriseName + " 的投诉举报，请于 " + t.Due.In(shanghai).Format("2006-01-02") + " 前核查处理。"}},
	}
	if w.in.CaseID != "" {
		tr.Events = []models.CaseEvent{{CaseID: w.in.CaseID, Kind: "complaint_received", Summary: "收到一件投诉举报，已转属地核查", Public: false}}
	}
	if err := w.apply(tr); err != nil {
		return ComplaintResult{}, err
	}
	for {
		p, err := w.wait(nil, nil)
		if err != nil {
			return ComplaintResult{}, err
		}
		if p == nil {
			continue
		}
		req := p.req
		task := w.task(req.TaskID)
		if task == nil {
			p.finish(DecisionResult{}, refuse(ErrTaskNotOpen, "该待办已处理"))
			continue
		}
		if domain.DecidesDirectory(req.Outcome) && req.Actor.Role != domain.DirectoryDecider &&
			version(w.ctx, "complaint-region-decides", 1) >= 1 {
			// Suspension and removal are the region's: the verification proposes, the region decides.
			if err := w.propose(row, task, req); err != nil {
				return ComplaintResult{}, err
			}
			p.finish(DecisionResult{TaskID: task.ID, Outcome: req.Outcome, Stage: "region_review"}, nil)
			continue
		}
		w.removeTask(task.ID)
		row.Status, row.Outcome = "closed", req.Outcome
		tr := models.Transition{Complaint: row,
			CloseTasks: []models.TaskClose{{ID: task.ID, Status: models.TaskDone, Outcome: req.Outcome, Reasons: reasonsText(req), DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}},
			Audit:      []models.AuditEntry{decisionAudit(task, req, "open", req.Outcome)},
		}
		if err := w.apply(tr); err != nil {
			return ComplaintResult{}, err
		}
		if w.in.CaseID != "" {
			f := workflow.SignalExternalWorkflow(w.ctx, CaseWorkflowID(w.in.CaseID), "", ComplaintOutcomeSignal,
				ComplaintOutcome{ComplaintID: w.in.ComplaintID, Outcome: req.Outcome, Reason: reasonsText(req), Actor: req.Actor})
			if err := f.Get(w.ctx, nil); err != nil {
				workflow.GetLogger(w.ctx).Warn("tell case about complaint outcome failed", "caseID", w.in.CaseID, "err", err)
			}
		}
		p.finish(DecisionResult{TaskID: task.ID, Outcome: req.Outcome, Stage: "closed"}, nil)
		if err := workflow.Await(w.ctx, func() bool { return workflow.AllHandlersFinished(w.ctx) }); err != nil {
			return ComplaintResult{}, err
		}
		return ComplaintResult{Outcome: req.Outcome}, nil
	}
}

// propose closes the verification task with its proposal and opens the region's decision on it.
func (w *complaintWF) propose(row *models.Complaint, task *OpenTask, req DecisionRequest) error {
	w.removeTask(task.ID)
	row.Status, row.Outcome = "region_review", "proposed_"+req.Outcome
	t := &OpenTask{ID: w.newTaskID(KindComplaintDecision, 0), Kind: KindComplaintDecision, Role: domain.DirectoryDecider, Domain: w.in.Region,
		Due: dueAfter(workflow.Now(w.ctx), w.in.Timing.ReviewDays)}
	w.Tasks = append(w.Tasks, t)
	proposal := map[string]string{"suspend": "暂停试点", "remove": "移出试点企业目录"}[req.Outcome]
	tr := models.Transition{Complaint: row,
		CloseTasks: []models.TaskClose{{ID: task.ID, Status: models.TaskDone, Outcome: req.Outcome, Reasons: reasonsText(req), DecidedBy: req.Actor.UserID, RequestKey: req.RequestKey}},
		Audit:      []models.AuditEntry{decisionAudit(task, req, "open", "proposed "+req.Outcome)},
		OpenTasks: []models.Task{{ID: t.ID, WorkflowID: w.wfID, CaseID: w.in.CaseID, Kind: KindComplaintDecision,
			Title: Kinds[KindComplaintDecision].Title + "：" + w.in.EnterpriseName, Stage: "complaint", CandidateRole: t.Role,
			CandidateDomain: t.Domain, JurisdictionCode: w.in.Jurisdiction, LeagueCode: w.in.League,
			EnterpriseName: w.in.EnterpriseName, DueAt: t.Due}},
		Notify: []models.NotifyRequest{{Role: t.Role, Domain: t.Domain, Kind: "new_task", Subject: "投诉核查建议" + proposal + "，待审定",
			Body: "对 " + w.in.EnterpriseName + " 的投诉经核查，建议" + proposal + "（" + reasonsText(req) + "）。请于 " +
				t.Due.In(shanghai).Format("2006-01-02") + " 前审定。"}},
	}
	if w.in.CaseID != "" {
		tr.Events = []models.CaseEvent{{CaseID: w.in.CaseID, Kind: "complaint_proposed", Summary: "投诉核查建议" + proposal + "，报自治区审定",
			ActorID: req.Actor.UserID, ActorName: req.Actor.Name, ActorRole: req.Actor.Role, Public: false}}
	}
	return w.apply(tr)
}
