package service

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/workflows"
)

type CaseDetail struct {
	models.Case
	StageName string             `json:"stage_name"`
	Tasks     []models.Task      `json:"tasks"`
	Timeline  []models.CaseEvent `json:"timeline"`
}

// ReadCase returns a case with its open tasks and timeline to whoever may read it (`case,
// read` in its enterprise's domain); the enterprise sees the public timeline without the panel.
func (s *Service) ReadCase(ctx context.Context, a *Actor, id string) (CaseDetail, error) {
	cs, err := s.db.CaseByID(ctx, id)
	if err != nil {
		return CaseDetail{}, err
	}
	if err := s.Require(ctx, a, "case", "read", policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID)); err != nil {
		return CaseDetail{}, err
	}
	publicOnly := a.User.Role == models.RoleEnterpriseUser
	events, err := s.db.CaseEvents(ctx, cs.ID, publicOnly)
	if err != nil {
		return CaseDetail{}, err
	}
	tasks, err := s.db.OpenTasksOfCase(ctx, cs.ID)
	if err != nil {
		return CaseDetail{}, err
	}
	if publicOnly {
		HideFromEnterprise(a, &cs, tasks)
		for i := range events {
			events[i].ActorID, events[i].DetailJSON = "", ""
		}
	}
	return CaseDetail{Case: cs, StageName: workflows.StageNames[cs.Stage], Tasks: tasks, Timeline: events}, nil
}

// HideFromEnterprise removes from a case and its tasks, when an enterprise user looks at them,
// who was drawn or holds the work on the enterprise's case: the expert panel stays
// confidential to the enterprise until the result (nobody can be approached), and so does who
// holds or decided an official's or expert's task. The enterprise keeps seeing who holds its
// own tasks; officials see everything.
func HideFromEnterprise(a *Actor, cs *models.Case, tasks []models.Task) {
	if a == nil || a.User.Role != models.RoleEnterpriseUser {
		return
	}
	if cs != nil {
		cs.PanelJSON = ""
	}
	for i := range tasks {
		if tasks[i].CandidateRole != models.RoleEnterpriseUser {
			tasks[i].AssigneeID, tasks[i].DecidedBy = "", ""
		}
	}
}

// AdjustInput is an adjustment of a case: the action (return for correction, withdraw, …)
// and its reason.
type AdjustInput struct {
	CaseID, Action, Reason string
	// TaskID is, with a redraw, the scoring task of the expert to replace.
	TaskID string
}

// AdjustCase asks the case's workflow to adjust it. The region adjusts cases; an enterprise
// withdraws its own application. The workflow checks the stage, writes and audits the change;
// a refusal is audited here.
func (s *Service) AdjustCase(ctx context.Context, a *Actor, in AdjustInput) (workflows.AdjustResult, error) {
	var res workflows.AdjustResult
	obj, act := "case", "adjust"
	if in.Action == "withdraw" {
		obj, act = "application", "submit"
	}
	if a == nil {
		return res, ErrUnauthenticated
	}
	cs, err := s.db.CaseByID(ctx, in.CaseID)
	if err != nil {
		return res, err
	}
	if err := s.Require(ctx, a, obj, act, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID)); err != nil {
		return res, err
	}
	var errs validate.Errors
	domain.FieldPath.Add(&errs, "action", in.Action)
	domain.Reason.Add(&errs, "reason", strings.TrimSpace(in.Reason))
	if len(errs) > 0 {
		return res, Invalid(errs)
	}
	req := workflows.AdjustRequest{Actor: a.snapshot(), Action: in.Action, Reason: strings.TrimSpace(in.Reason), TaskID: in.TaskID}
	if in.Action == "publish_late" {
		// The workflow checks against the campaign's facts, never the client's.
		if req.Published, err = s.PublishedBatches(ctx, cs.ID); err != nil {
			return res, err
		}
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: cs.WorkflowID, UpdateName: workflows.AdjustUpdate,
		Args:         []any{req},
		WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "case." + in.Action, ObjectType: "case", ObjectID: cs.ID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return res, e
	}
	return res, nil
}

// ComplaintBody is a complaint as filed (POST /api/v1/complaints, the /complaint page).
type ComplaintBody struct {
	EnterpriseID string `json:"enterprise_id"`
	Anonymous    bool   `json:"anonymous"`
	Complainant  string `json:"complainant"`
	Contact      string `json:"contact"`
	Content      string `json:"content"`
	// Guard carries captcha_id and captcha_answer once the address's complaints call for a
	// CAPTCHA; the caller sets the address.
	Guard
}

// errNotInDirectory refuses a complaint about an enterprise that is not in the published pilot
// directory: only pilot enterprises are complained about here, and an ID typed by hand must not
// reveal or reach an enterprise that has merely registered or applied.
var errNotInDirectory = validate.FieldError{Field: "enterprise_id", Code: "not_in_directory",
	Message: "只能投诉已公布在试点企业目录中的企业，请从列表中选择被投诉的试点企业。"}

// complaintReceipt acknowledges a complaint filed.
type complaintReceipt struct {
	ID      string `json:"id"`
	Message string `json:"message"`
	// ReceiptCode is the short code (ABCD-EFGH) the complainant follows the complaint with on
	// /complaint/status; Check says what the second factor is, and PIN is that factor when the
	// contact is no mobile number (empty otherwise).
	ReceiptCode string `json:"receipt_code"`
	Check       string `json:"check"`
	PIN         string `json:"pin,omitempty"`
}

// FileComplaint records a complaint about a pilot enterprise published in the directory, from
// anyone (a is nil for a visitor; anonymous allowed), with its audit row in the same
// transaction, and starts its workflow, which sends it to the local bureau to verify. Each
// complaint filed counts against the address's complaint budget (domain.ThrottleComplaint):
// after a couple a CAPTCHA is due (checked once the fields are right), after a few more each
// waits longer, so that no script can open tasks for a county by the dozen.
func (s *Service) FileComplaint(ctx context.Context, a *Actor, in ComplaintBody) (complaintReceipt, error) {
	refused := models.AuditEntry{Action: "complaint.file", ObjectType: "complaint"}
	verdict, err := s.admit(ctx, domain.ThrottleComplaint, in.Guard, "", "投诉提交过于频繁", refused)
	if err != nil {
		return complaintReceipt{}, err
	}
	var errs validate.Errors
	e, err := s.db.EnterpriseByID(ctx, in.EnterpriseID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		errs.Add("enterprise_id", "unknown_enterprise", "请选择被投诉的试点企业。")
	case err != nil:
		return complaintReceipt{}, err
	default:
		listed, err := s.db.InDirectory(ctx, e.ID)
		if err != nil {
			return complaintReceipt{}, err
		}
		if !listed {
			errs = append(errs, errNotInDirectory)
		}
	}
	if n := len([]rune(strings.TrimSpace(in.Content))); n < 10 || n > 5000 {
		errs.Add("content", "length", "投诉内容应为 10 至 5000 字，请写明事实和依据。")
	}
	if !in.Anonymous && strings.TrimSpace(in.Complainant) == "" {
		errs.Add("complainant", "required", "实名投诉请填写姓名，或选择匿名投诉。")
	}
	if !in.Anonymous {
		domain.Complainant.Add(&errs, "complainant", strings.TrimSpace(in.Complainant))
		domain.ComplaintContact.Add(&errs, "contact", strings.TrimSpace(in.Contact))
	}
	if f := domain.ComplaintContent.Check(strings.TrimSpace(in.Content)); f != nil && f.Code != domain.CodeTooLong {
		errs.AddError("content", f)
	}
	if len(errs) > 0 {
		return complaintReceipt{}, Invalid(errs)
	}
	if err := s.solve(ctx, verdict, in.Guard, refused); err != nil {
		return complaintReceipt{}, err
	}
	league, err := s.leagueOf(ctx, e.JurisdictionCode)
	if err != nil {
		return complaintReceipt{}, err
	}
	caseID := ""
	if cs, _, err := s.db.Cases(ctx, models.CaseFilter{EnterpriseID: e.ID, Limit: 1}); err == nil && len(cs) > 0 {
		caseID = cs[0].ID
	}
	id := models.NewID()
	row := models.Complaint{ID: id, EnterpriseID: e.ID, CaseID: caseID, JurisdictionCode: e.JurisdictionCode, Anonymous: in.Anonymous,
		Content: strings.TrimSpace(in.Content), Status: "open", CreatedAt: s.now().UTC(), UpdatedAt: s.now().UTC()}
	if !in.Anonymous {
		row.Complainant, row.Contact = strings.TrimSpace(in.Complainant), strings.TrimSpace(in.Contact)
	}
	if err := s.receiptFor(ctx, &row); err != nil {
		return complaintReceipt{}, err
	}
	if err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		return models.AuditEntry{Action: "complaint.file", ObjectType: "complaint", ObjectID: id, JurisdictionCode: e.JurisdictionCode},
			tx.CreateComplaint(ctx, &row)
	}); err != nil {
		return complaintReceipt{}, err
	}
	s.count(ctx, domain.ThrottleComplaint, in.Addr, "")
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ComplaintWorkflowID(id), TaskQueue: s.taskQueue},
		workflows.Complaint, workflows.ComplaintInput{ComplaintID: id, EnterpriseID: e.ID, EnterpriseName: e.Name, CaseID: caseID,
			Jurisdiction: e.JurisdictionCode, League: league.Code, Region: models.RegionCode, Timing: s.timing})
	if err != nil {
		return complaintReceipt{}, fmt.Errorf("start complaint: %w", err)
	}
	r := complaintReceipt{ID: id, Message: "投诉已受理，将转属地人社部门核查处理。", ReceiptCode: FormatReceiptCode(row.ReceiptCode),
		Check: "查询进度时请输入受理编号和所留手机号码的后4位。", PIN: row.ReceiptPin}
	if row.ReceiptPin != "" {
		r.Check = "查询进度时请输入受理编号和查询密码（" + row.ReceiptPin + "）。"
	}
	return r, nil
}
