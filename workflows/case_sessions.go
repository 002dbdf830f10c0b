package workflows

import (
	"encoding/json"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"skillcert/domain"
	"skillcert/models"
)

// validatePlan refuses a sitting outside the approved scope (不得超范围) or badly staffed,
// before anything reaches history.
func (w *caseWF) validatePlan(req PlanSessionRequest) error {
	if req.Actor.Role != domain.RoleEnterpriseUser {
		return refuse(ErrNotCandidate, "只有试点企业可以计划认定场次")
	}
	if w.st.Stage != StageActive {
		return refuse(ErrWrongState, "工作方案备案后方可组织认定")
	}
	if field, msg, ok := domain.SittingWithinApproved(w.st.Approved, req.OccupationCode, req.Level); !ok {
		return refuseField(ErrInvalidDecision, field, msg)
	}
	if msg := domain.ExamDateRule(workflow.Now(w.ctx), req.ExamDate); msg != "" {
		return refuseField(ErrInvalidDecision, "exam_date", msg)
	}
	if strings.TrimSpace(req.Site) == "" {
		return refuseField(ErrInvalidDecision, "site", "请填写考核地点")
	}
	if f := domain.SittingSite.Check(strings.TrimSpace(req.Site)); f != nil {
		// The sitting's row could not hold it, and its write would retry for ever.
		return refuseField(ErrInvalidDecision, "site", f.Message)
	}
	// The service chose the panel from the declared assessors (domain.SittingAssessors); what
	// the workflow can check without the declaration is that every member came from it (has a
	// key), none twice, and the panel's size.
	keys := make([]string, len(req.Assessors))
	for i, a := range req.Assessors {
		keys[i] = a.Key
	}
	if msg := domain.AssessorsRule(keys); msg != "" {
		return refuseField(ErrInvalidDecision, "assessor_ids", msg)
	}
	if req.SessionID == "" {
		return refuse(ErrInvalidDecision, "缺少场次编号")
	}
	return nil
}

// handlePlan starts the sitting as a child workflow from the main loop and returns once it runs.
func (w *caseWF) handlePlan(ctx workflow.Context, req PlanSessionRequest) (PlanSessionResult, error) {
	done := false
	var err error
	id := SessionWorkflowID(req.SessionID)
	w.interrupt = append(w.interrupt, func() error {
		defer func() { done = true }()
		if w.st.Stage != StageActive {
			err = refuse(ErrWrongState, "工作方案备案后方可组织认定")
			return nil
		}
		name := ""
		for _, a := range w.st.Approved {
			if a.Code == req.OccupationCode {
				name = a.Name
			}
		}
		assessors, _ := json.Marshal(req.Assessors)
		cctx := workflow.WithChildOptions(w.ctx, workflow.ChildWorkflowOptions{WorkflowID: id,
			ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_ABANDON})
		in := SessionInput{SessionID: req.SessionID, CaseID: w.in.CaseID,
			EnterpriseID: w.in.EnterpriseID, EnterpriseName: w.in.EnterpriseName, Jurisdiction: w.in.Jurisdiction, Region: w.in.Region,
			OccupationCode: req.OccupationCode, OccupationName: name, WorkType: req.WorkType, Level: req.Level, ExamDate: req.ExamDate,
			Site: strings.TrimSpace(req.Site), AssessorsJSON: string(assessors), Timing: w.in.Timing}
		f := workflow.ExecuteChildWorkflow(cctx, AssessmentSession, in)
		if e := f.GetChildWorkflowExecution().Get(w.ctx, nil); e != nil {
			err = refuse(ErrWrongState, "该场次已存在")
			return nil
		}
		// The sitting's row is written with the plan's audit row, so it exists when the plan is
		// answered (the sitting's own first step writes it again, the same).
		tr := models.Transition{Session: sessionRow(in, id, models.SessionOpen), Audit: []models.AuditEntry{{ActorID: req.Actor.UserID, ActorName: req.Actor.Username, Role: req.Actor.Role,
			JurisdictionCode: truncate6(req.Actor.Jurisdiction), Action: "session.plan", ObjectType: "session", ObjectID: req.SessionID,
			AfterState: fmt.Sprintf("%s level %d", req.OccupationCode, req.Level), Outcome: models.OutcomeOK}}}
		return w.commit(tr)
	})
	if e := workflow.Await(ctx, func() bool { return done }); e != nil {
		return PlanSessionResult{}, e
	}
	return PlanSessionResult{SessionID: req.SessionID, WorkflowID: id}, err
}
