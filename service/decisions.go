package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// SendDecision sends a decision to the task's workflow as an Update whose ID is the task ID
// plus the request key, so the same request sent twice acts once and gets the same answer.
// Decisions on one workflow are sent one at a time from this process, and a task the projection
// already shows closed is answered here (unless it is a repeat of the request that closed it):
// the workflow's validator would refuse it anyway, and a burst of doomed updates only slows the
// workflow down.
func (s *Service) SendDecision(ctx context.Context, a *Actor, t models.Task, req workflows.DecisionRequest, requestKey string) (workflows.DecisionResult, error) {
	var res workflows.DecisionResult
	if requestKey == "" {
		requestKey = RandomKey()
	}
	if len(requestKey) > 64 {
		return res, BadRequest("bad_request_key", "request_key 不能超过 64 个字符。")
	}
	if errs := decisionTextFaults(req); len(errs) > 0 {
		return res, Invalid(errs)
	}
	unlock := s.decisions.lock(t.WorkflowID)
	defer unlock()
	cur, err := s.db.TaskByID(ctx, t.ID)
	if err != nil {
		return res, err
	}
	if cur.Status != models.TaskOpen && cur.RequestKey != requestKey {
		s.auditRefusal(ctx, a, cur, req.Outcome, "task already closed")
		return res, NewError(http.StatusConflict, "task_closed", "该待办已办结，无需重复处理。")
	}
	if claimedByOther(a, cur) {
		return res, NewError(http.StatusConflict, "task_claimed", "该待办已由他人认领，请先由认领人释放或由管理员改派。")
	}
	req.TaskID, req.Actor, req.RequestKey = t.ID, a.snapshot(), requestKey
	if t.Kind == workflows.KindSubmitResults && cur.Status == models.TaskOpen {
		// Results go to the centre only with the sitting's original records (全程留痕).
		if err := s.recordsRefusal(ctx, strings.TrimPrefix(t.WorkflowID, workflows.SessionWorkflowID(""))); err != nil {
			var e *Error
			if errors.As(err, &e) {
				s.auditRefusal(ctx, a, cur, req.Outcome, e.Message)
			}
			return res, err
		}
	}
	if t.Kind == workflows.KindRegionDecision {
		// The workflow checks the approved scope against the stored application, never the client's.
		if req.Applied, err = s.appliedScope(ctx, t.CaseID); err != nil {
			return res, err
		}
		// A published batch takes no more cases: the workflow checks against the campaign's facts.
		if req.Published, err = s.PublishedBatches(ctx, t.CaseID); err != nil {
			return res, err
		}
		req.PublishedKnown = true
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: t.WorkflowID, UpdateName: workflows.DecideUpdate, UpdateID: t.ID + ":" + requestKey,
		Args: []any{req}, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		e := workflowError(err)
		if e.Status < 500 {
			s.auditRefusal(ctx, a, cur, req.Outcome, e.Message)
		}
		return res, e
	}
	s.numberAfterDecision(ctx, a, t, req)
	return res, nil
}

// decisionTextFaults checks the typed text of a decision against its limits (domain.Text), so
// that nothing the projection could not store reaches the workflow.
func decisionTextFaults(req workflows.DecisionRequest) validate.Errors {
	var errs validate.Errors
	domain.FieldPath.Add(&errs, "outcome", req.Outcome)
	domain.Comment.Add(&errs, "comment", req.Comment)
	for i, r := range req.Reasons {
		p := fmt.Sprintf("reasons[%d]", i)
		domain.Reason.Add(&errs, p+".message", r.Message)
		domain.FieldPath.Add(&errs, p+".field", r.Field)
	}
	for i, o := range req.Approved {
		p := fmt.Sprintf("approved[%d]", i)
		domain.FieldPath.Add(&errs, p+".code", o.Code)
		domain.OccupationName.Add(&errs, p+".name", o.Name)
	}
	for i, d := range req.Documents {
		p := fmt.Sprintf("documents[%d]", i)
		domain.FieldPath.Add(&errs, p+".kind", d.Kind)
		domain.FieldPath.Add(&errs, p+".attachment_id", d.AttachmentID)
		domain.AttachmentName.Add(&errs, p+".name", d.Name)
	}
	domain.ContactName.Add(&errs, "contact_name", req.ContactName)
	domain.ContactPhone.Add(&errs, "contact_phone", req.ContactPhone)
	return errs
}

// DecideTask sends a decision on a task through SendDecision, once a Temporal client is
// configured.
func (s *Service) DecideTask(ctx context.Context, a *Actor, t models.Task, req workflows.DecisionRequest, key string) (workflows.DecisionResult, error) {
	if s.temporal == nil {
		return workflows.DecisionResult{}, errors.New("temporal client not configured")
	}
	return s.SendDecision(ctx, a, t, req, key)
}

func (s *Service) auditRefusal(ctx context.Context, a *Actor, t models.Task, outcome, why string) {
	_ = s.Audit(ctx, a, models.AuditEntry{Action: "task.decide:" + t.Kind, ObjectType: "task", ObjectID: t.ID,
		Outcome: models.OutcomeRejected, Reason: why, AfterState: outcome, JurisdictionCode: t.JurisdictionCode})
}

// keyedMutex serialises work per key (here: per workflow) within the process.
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	users int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

func RandomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CheckApprovedScope refuses an approved scope wider than the application before a decision
// is sent (domain.ApprovedWithinApplied; the case workflow enforces the same rule itself).
func (s *Service) CheckApprovedScope(ctx context.Context, caseID string, approved []workflows.ApprovedOccupation) error {
	applied, err := s.appliedScope(ctx, caseID)
	if err != nil {
		return err
	}
	if errs := domain.ApprovedWithinApplied(applied, approved); len(errs) > 0 {
		return Invalid(errs)
	}
	return nil
}

// PublishedBatches are the directory batches of the case's campaign published so far.
func (s *Service) PublishedBatches(ctx context.Context, caseID string) ([]int, error) {
	cs, err := s.db.CaseByID(ctx, caseID)
	if err != nil {
		return nil, err
	}
	c, err := s.db.CampaignByID(ctx, cs.CampaignID)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []int
	if c.Batch1PublishedAt != nil {
		out = append(out, 1)
	}
	if c.Batch2PublishedAt != nil {
		out = append(out, 2)
	}
	return out, nil
}

// appliedScope is the occupations and levels of the case's current application version.
func (s *Service) appliedScope(ctx context.Context, caseID string) ([]workflows.ApprovedOccupation, error) {
	cs, err := s.db.CaseByID(ctx, caseID)
	if err != nil {
		return nil, err
	}
	app, err := s.db.ApplicationContent(ctx, cs.ApplicationID, cs.ApplicationVersion)
	if err != nil {
		return nil, err
	}
	out := make([]workflows.ApprovedOccupation, len(app.Occupations))
	for i, o := range app.Occupations {
		out[i] = workflows.ApprovedOccupation{Code: o.Code, Name: o.Name, Levels: o.Levels}
	}
	return out, nil
}

// ExpertScore is one expert's score of a case and the expert's comment.
type ExpertScore struct {
	Expert  string    `json:"expert"`
	Score   int       `json:"score"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// ExpertScoresOf lists each expert's score and comment on a case (their latest, in the order
// they scored) for an official reading the case's timeline. Names follow need-to-know: those who
// may read the expert pool (domain/access.go "expert read": the region, the appraisal centre)
// see them; other officials read 专家1, 专家2, …. Enterprises, experts and supervisors get none:
// an expert judges alone, and the panel is not the enterprise's business.
func (s *Service) ExpertScoresOf(ctx context.Context, a *Actor, caseID string) ([]ExpertScore, error) {
	if a == nil || a.User.Role == models.RoleEnterpriseUser || OnlyOwnTasks(a.User.Role) {
		return nil, nil
	}
	events, err := s.db.CaseEvents(ctx, caseID, false)
	if err != nil {
		return nil, err
	}
	names := s.MaySeeExpertNames(a)
	var out []ExpertScore
	at := map[string]int{}
	for _, e := range events {
		if e.Kind != "expert_scored" {
			continue
		}
		var d struct {
			Score   int    `json:"score"`
			Comment string `json:"comment"`
		}
		if err := json.Unmarshal([]byte(e.DetailJSON), &d); err != nil {
			return nil, fmt.Errorf("expert score of case %s: %w", caseID, err)
		}
		x := ExpertScore{Score: d.Score, Comment: d.Comment, At: e.At}
		if i, ok := at[e.ActorID]; ok {
			x.Expert = out[i].Expert
			out[i] = x
			continue
		}
		at[e.ActorID] = len(out)
		if names && e.ActorName != "" {
			x.Expert = e.ActorName
		} else {
			x.Expert = fmt.Sprintf("专家%d", len(out)+1)
		}
		out = append(out, x)
	}
	return out, nil
}

// MaySeeExpertNames reports whether the actor may learn who sat on an evaluation panel: those
// who may read the expert pool (domain/access.go "expert read").
func (s *Service) MaySeeExpertNames(a *Actor) bool {
	return a != nil && s.enf.Allowed(a.User.ID, models.RegionCode, "expert", "read")
}

// ClaimsFromQueue reports whether the actor's role takes tasks from its unit's queue (claims
// them): officials do; an enterprise's tasks, and an expert's or supervisor's, are simply theirs.
func (s *Service) ClaimsFromQueue(a *Actor) bool {
	return a != nil && s.enf.RoleAllows(a.User.Role, "task", "claim")
}
