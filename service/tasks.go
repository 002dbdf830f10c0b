package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	dom "skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// candidateFor reports whether the actor is among those the task waits for, for act: the
// task's role, and act on its domain within the actor's grant. Who holds the task is apart
// (claimedByOther).
func (s *Service) candidateFor(a *Actor, t models.Task, act string) bool {
	if a.User.Role != t.CandidateRole || !s.enf.Allowed(a.User.ID, t.CandidateDomain, "task", act) {
		return false
	}
	// A drawn task (an expert's scoring) waits for the one it was drawn for, never a queue.
	return !dom.NeedsRelation(a.User.Role, "task", act) || t.AssigneeID == a.User.ID
}

// claimedByOther reports whether someone other than the actor has claimed the task.
func claimedByOther(a *Actor, t models.Task) bool {
	return t.AssigneeID != "" && t.AssigneeID != a.User.ID
}

// MayDecide reports whether the actor may decide the task: the task's role, its domain within
// the actor's grant, and not claimed by someone else.
func (s *Service) MayDecide(a *Actor, t models.Task) bool {
	return s.candidateFor(a, t, "decide") && !claimedByOther(a, t)
}

// ClaimedByColleague reports whether the actor could decide the task but someone else has
// claimed it: a refusal that is a conflict, not a matter of rights.
func (s *Service) ClaimedByColleague(a *Actor, t models.Task) bool {
	return claimedByOther(a, t) && s.candidateFor(a, t, "decide")
}

// MayClaim reports whether the actor may take the task from its unit's queue (that nobody holds
// it yet is checked by the versioned write).
func (s *Service) MayClaim(a *Actor, t models.Task) bool {
	return s.candidateFor(a, t, "claim")
}

// MayUnclaim reports whether the actor may give a task they hold back to the unit's queue: a
// role that takes tasks from a queue, and not a task drawn for them.
func (s *Service) MayUnclaim(a *Actor, t models.Task) bool {
	return t.AssigneeID == a.User.ID && s.enf.RoleAllows(a.User.Role, "task", "claim") && !dom.DrawnTask(t.CandidateRole)
}

// MayRedraw reports whether the actor may replace the expert of a drawn task by a new draw: the
// right to adjust the task's case (the region).
func (s *Service) MayRedraw(a *Actor, t models.Task) bool {
	return dom.DrawnTask(t.CandidateRole) && s.enf.Allowed(a.User.ID, t.JurisdictionCode, "case", "adjust")
}

// MayReassign reports whether the actor may give the task to someone else: reassignment is
// granted on the task's jurisdiction.
func (s *Service) MayReassign(a *Actor, t models.Task) bool {
	return s.enf.Allowed(a.User.ID, t.JurisdictionCode, "task", "reassign")
}

// OnlyOwnTasks reports whether a role's inbox is only what its users were drawn for: experts
// and supervisors have no unit queue and no jurisdiction-wide view.
func OnlyOwnTasks(role string) bool {
	return role == models.RoleExpert || role == models.RoleSupervisor
}

// InboxFilter is the part of an inbox query the caller decides: their role, domain, subtree and
// the view, which is always their own for roles that only see their own tasks.
func InboxFilter(a *Actor, view string, jurisdictions []string) models.InboxFilter {
	if OnlyOwnTasks(a.User.Role) {
		view = models.ViewMine
	}
	return models.InboxFilter{View: view, Role: a.User.Role, Domain: a.Domain, UserID: a.User.ID, Jurisdictions: jurisdictions}
}

// ScopedTask loads a task and checks the actor may act on it: within their grant (a task of an
// enterprise in its enterprise node, else in its jurisdiction) or held by them. A refusal is
// audited and answered with errForbidden.
func (s *Service) ScopedTask(ctx context.Context, a *Actor, id, act string) (models.Task, error) {
	if a == nil {
		return models.Task{}, ErrUnauthenticated
	}
	t, err := s.db.TaskByID(ctx, id)
	if err != nil {
		return t, err
	}
	domain := t.CandidateDomain
	if !strings.Contains(domain, "/E/") && a.User.Role != models.RoleEnterpriseUser {
		domain = t.JurisdictionCode
	}
	if dom.NeedsRelation(a.User.Role, "task", act) {
		// Experts and supervisors reach only the tasks they hold (were drawn for).
		return t, s.RequireRelated(ctx, a, "task", act, domain, func(dom.Relation) (bool, error) { return t.AssigneeID == a.User.ID, nil })
	}
	if !s.enf.Allowed(a.User.ID, domain, "task", act) && !(t.AssigneeID == a.User.ID) {
		return t, s.Forbid(ctx, a, "task", act, t.CandidateDomain)
	}
	return t, nil
}

// AssignInput is a change of who holds a task: the task, the version of it the caller saw and,
// for a reassignment, the new holder ("" for the unit's queue) and why.
type AssignInput struct {
	TaskID     string
	Version    int
	AssigneeID string
	Reason     string
}

// ClaimTask takes a task from the unit's queue for the actor, if the version they saw is
// still current and nobody has claimed it meanwhile.
func (s *Service) ClaimTask(ctx context.Context, a *Actor, in AssignInput) (models.Task, error) {
	t, err := s.ScopedTask(ctx, a, in.TaskID, "claim")
	if err != nil {
		return models.Task{}, err
	}
	if !s.MayClaim(a, t) {
		return models.Task{}, s.Forbid(ctx, a, "task", "claim", t.CandidateDomain)
	}
	if in.Version == 0 {
		return models.Task{}, Invalid(validate.Errors{{Field: "version", Code: "required", Message: "请提供待办的 version。"}})
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.claim", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: t.JurisdictionCode},
		NewError(http.StatusConflict, "claim_conflict", "该待办已被他人认领或已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.ClaimTask(ctx, t.ID, a.User.ID, in.Version) })
}

// changeTask runs a versioned change of a task's assignment and appends its audit row in the
// same transaction; a lost race is answered with conflict.
func (s *Service) changeTask(ctx context.Context, a *Actor, e models.AuditEntry, conflict *Error,
	change func(tx *models.DB) (models.Task, error)) (models.Task, error) {
	var nt models.Task
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		nt, err = change(tx)
		return e, err
	})
	if errors.Is(err, models.ErrConflict) {
		return models.Task{}, conflict
	}
	if err != nil {
		return models.Task{}, err
	}
	return nt, nil
}

// UnclaimTask gives a task the actor holds back to the unit's queue.
func (s *Service) UnclaimTask(ctx context.Context, a *Actor, in AssignInput) (models.Task, error) {
	t, err := s.ScopedTask(ctx, a, in.TaskID, "claim")
	if err != nil {
		return models.Task{}, err
	}
	if !s.enf.RoleAllows(a.User.Role, "task", "claim") {
		return models.Task{}, s.Forbid(ctx, a, "task", "claim", t.CandidateDomain)
	}
	if dom.DrawnTask(t.CandidateRole) {
		return models.Task{}, s.refuseDrawn(ctx, a, t, "task.unclaim")
	}
	if in.Version == 0 {
		return models.Task{}, Invalid(validate.Errors{{Field: "version", Code: "required", Message: "请提供待办的 version。"}})
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.unclaim", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: t.JurisdictionCode},
		NewError(http.StatusConflict, "unclaim_conflict", "只能释放自己认领的待办，或待办已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.UnclaimTask(ctx, t.ID, a.User.ID, in.Version) })
}

// ReassignTask gives a task to another active user of the task's role whose grant reaches its
// domain, or back to the unit's queue (no assignee); the change is audited with its reason.
func (s *Service) ReassignTask(ctx context.Context, a *Actor, in AssignInput) (models.Task, error) {
	t, err := s.ScopedTask(ctx, a, in.TaskID, "reassign")
	if err != nil {
		return models.Task{}, err
	}
	if !s.MayReassign(a, t) {
		return models.Task{}, s.Forbid(ctx, a, "task", "reassign", t.JurisdictionCode)
	}
	if dom.DrawnTask(t.CandidateRole) {
		return models.Task{}, s.refuseDrawn(ctx, a, t, "task.reassign")
	}
	if in.Version == 0 {
		return models.Task{}, Invalid(validate.Errors{{Field: "version", Code: "required", Message: "请提供待办的 version 和 assignee_id。"}})
	}
	if in.AssigneeID != "" {
		u, err := s.db.UserByID(ctx, in.AssigneeID)
		if err != nil || !u.Active || u.Role != t.CandidateRole {
			return models.Task{}, Invalid(validate.Errors{{Field: "assignee_id", Code: "bad_assignee", Message: "改派对象必须是该待办所需角色的在岗人员。"}})
		}
		ua, err := s.ActorFor(ctx, u)
		if err != nil || !s.enf.Allowed(ua.User.ID, t.CandidateDomain, "task", "decide") {
			return models.Task{}, Invalid(validate.Errors{{Field: "assignee_id", Code: "out_of_scope", Message: "改派对象的管辖范围不包含该待办。"}})
		}
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.reassign", ObjectType: "task", ObjectID: t.ID,
		BeforeState: t.AssigneeID, AfterState: in.AssigneeID, Reason: in.Reason, JurisdictionCode: t.JurisdictionCode},
		NewError(http.StatusConflict, "reassign_conflict", "待办已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.ReassignTask(ctx, t.ID, in.AssigneeID, in.Version) })
}

// ErrDrawnTask refuses to move a task that went to someone drawn at random.
var ErrDrawnTask = NewError(http.StatusConflict, "drawn_task", "该待办由随机抽取产生，只能由被抽中的人员办理，不能改派或退回队列；如需更换人员，请重新抽取。")

// refuseDrawn audits and refuses a change of who holds a drawn task (domain.DrawnTask).
func (s *Service) refuseDrawn(ctx context.Context, a *Actor, t models.Task, action string) error {
	_ = s.Audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "task", ObjectID: t.ID, Outcome: models.OutcomeRejected,
		JurisdictionCode: t.JurisdictionCode, Reason: "drawn task"})
	return ErrDrawnTask
}

// RemindInput is a reminder about a stalled task, with the supervisor's note for the audit log.
type RemindInput struct {
	TaskID, Reason string
}

// ErrNothingToRemind answers a reminder about a task that is closed or does not exist.
var ErrNothingToRemind = NewError(http.StatusConflict, "nothing_to_remind", "该待办已办结或不存在，无需提醒。")

// RemindTask sends whoever holds an open task (its assignee, or everyone who may claim it) a
// reminder signed by the actor, who must act on findings in the task's jurisdiction. The
// notification and its audit row are written in one transaction.
func (s *Service) RemindTask(ctx context.Context, a *Actor, in RemindInput) (models.Task, error) {
	if a == nil {
		return models.Task{}, ErrUnauthenticated
	}
	t, err := s.db.TaskByID(ctx, in.TaskID)
	if err != nil || t.Status != models.TaskOpen {
		return models.Task{}, ErrNothingToRemind
	}
	if !s.enf.Allowed(a.User.ID, t.JurisdictionCode, "finding", "act") {
		_ = s.Audit(ctx, a, models.AuditEntry{Action: "finding.remind", ObjectType: "task", ObjectID: t.ID, Outcome: models.OutcomeDenied,
			JurisdictionCode: Truncate(t.JurisdictionCode, 6), Reason: "outside jurisdiction"})
		return models.Task{}, ErrForbidden
	}
	due := ""
	if !t.DueAt.IsZero() {
		due = t.DueAt.In(s.cfg.Location).Format("2006-01-02 15:04")
	}
	n := models.NotifyRequest{UserID: t.AssigneeID, Role: t.CandidateRole, Domain: t.CandidateDomain, CaseID: t.CaseID, Kind: "reminder",
		Subject: "督办提醒：" + KindTitle(t.Kind),
		Body:    fmt.Sprintf("待办“%s”请尽快办理（办理时限 %s）。督办人：%s。", t.Title, due, a.User.DisplayName)}
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		_, err := tx.ApplyTransition(ctx, models.Transition{Key: "remind/" + t.ID + "/" + RequestIDFrom(ctx), At: s.now().UTC(),
			Notify: []models.NotifyRequest{n}})
		return models.AuditEntry{Action: "finding.remind", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: Truncate(t.JurisdictionCode, 6),
			AfterState: t.AssigneeID, Reason: in.Reason}, err
	})
	return t, err
}

// KindTitle is the Chinese name of a task kind.
func KindTitle(kind string) string {
	if k, ok := workflows.Kinds[kind]; ok {
		return k.Title
	}
	return kind
}
