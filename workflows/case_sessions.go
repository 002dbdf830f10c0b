package workflows

import (
	"encoding/json"
	"fmt"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"skillcert/models"
	"skillcert/models/validate"
)

// validatePlan refuses a sitting outside the approved scope (不得超范围) or badly staffed,
// before anything reaches history.
func (w *caseWF) validatePlan(req PlanSessionRequest) error {
	if req.Actor.Role != "enterprise_user" {
		return refuse(ErrNotCandidate, "只有试点企业可以计划认定场次")
	}
	if w.st.Stage != StageActive {
		return refuse(ErrWrongState, "工作方案备案后方可组织认定")
	}
	var scope *ApprovedOccupation
	for i := range w.st.Approved {
		if w.st.Approved[i].Code == req.OccupationCode {
			scope = &w.st.Approved[i]
		}
	}
	if scope == nil {
		return refuse(ErrInvalidDecision, fmt.Sprintf("职业 %s 不在核准的认定范围内，不得超范围认定", req.OccupationCode))
	}
	if !scope.Levels.Contains(validate.Level(req.Level)) {
		return refuse(ErrInvalidDecision, fmt.Sprintf("%s 核准等级为%s，不得认定%s", scope.Name, scope.Levels, levelName(req.Level)))
	}
	if req.ExamDate.Before(dueAfter(workflow.Now(w.ctx), -1)) {
		return refuse(ErrInvalidDecision, "考核日期不能早于今天")
	}
	if strings.TrimSpace(req.Site) == "" {
		return refuse(ErrInvalidDecision, "请填写考核地点")
	}
	if n := len(req.Assessors); n < 3 || n%2 == 0 {
		return refuse(ErrInvalidDecision, "考评人员应不少于 3 人且为单数")
	}
	for _, a := range req.Assessors {
		if strings.TrimSpace(a.Name) == "" {
			return refuse(ErrInvalidDecision, "考评人员姓名不能为空")
		}
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
		f := workflow.ExecuteChildWorkflow(cctx, AssessmentSession, SessionInput{SessionID: req.SessionID, CaseID: w.in.CaseID,
			EnterpriseID: w.in.EnterpriseID, EnterpriseName: w.in.EnterpriseName, Jurisdiction: w.in.Jurisdiction, Region: w.in.Region,
			OccupationCode: req.OccupationCode, OccupationName: name, WorkType: req.WorkType, Level: req.Level, ExamDate: req.ExamDate,
			Site: strings.TrimSpace(req.Site), AssessorsJSON: string(assessors), Timing: w.in.Timing})
		if e := f.GetChildWorkflowExecution().Get(w.ctx, nil); e != nil {
			err = refuse(ErrWrongState, "该场次已存在")
			return nil
		}
		tr := models.Transition{Audit: []models.AuditEntry{{ActorID: req.Actor.UserID, ActorName: req.Actor.Username, Role: req.Actor.Role,
			JurisdictionCode: truncate6(req.Actor.Jurisdiction), Action: "session.plan", ObjectType: "session", ObjectID: req.SessionID,
			AfterState: fmt.Sprintf("%s level %d", req.OccupationCode, req.Level), Outcome: models.OutcomeOK}}}
		return w.commit(tr)
	})
	if e := workflow.Await(ctx, func() bool { return done }); e != nil {
		return PlanSessionResult{}, e
	}
	return PlanSessionResult{SessionID: req.SessionID, WorkflowID: id}, err
}
