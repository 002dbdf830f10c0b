package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/workflows"
)

// SubmittedApplication identifies a submitted application version handed to the lifecycle.
type SubmittedApplication struct {
	ApplicationID string
	Version       int
	EnterpriseID  string
	CampaignID    string
}

// campaignFor returns the ID of the pilot campaign that takes applications at now: the first
// year whose collection deadline has not passed, a running campaign's deadline being the one
// it has now (the region may have moved it), others the default 20 May (domain.CampaignFor).
func (s *Server) campaignFor(ctx context.Context, now time.Time) (string, error) {
	var err error
	year := domain.CampaignFor(now, func(year int) (time.Time, bool) {
		c, e := s.db.CampaignByID(ctx, strconv.Itoa(year))
		if e != nil {
			if !errors.Is(e, models.ErrNotFound) && err == nil {
				err = e
			}
			return time.Time{}, false
		}
		return c.CollectionDeadline, true
	})
	if err != nil {
		return "", err
	}
	return strconv.Itoa(year), nil
}

func (a *Actor) snapshot() workflows.Actor {
	return workflows.Actor{UserID: a.User.ID, Username: a.User.Username, Name: a.User.DisplayName, Role: a.User.Role,
		Jurisdiction: a.Jurisdiction, Domain: a.Domain}
}

// leagueOf walks up from a jurisdiction to its league/city (a county-level city that reports
// to the region directly is its own league).
func (s *Server) leagueOf(ctx context.Context, code string) (models.Jurisdiction, error) {
	for code != "" {
		j, err := s.db.JurisdictionByCode(ctx, code)
		if err != nil {
			return j, err
		}
		if j.Level == models.LevelLeague {
			return j, nil
		}
		code = j.Parent()
	}
	return models.Jurisdiction{}, models.ErrNotFound
}

// onApplicationSubmitted hands a submitted application to its enterprise case: the first
// submission starts the case; a corrected one answers the open correction task.
func (s *Server) onApplicationSubmitted(ctx context.Context, a *Actor, sub SubmittedApplication) error {
	if s.temporal == nil {
		return errors.New("temporal client not configured")
	}
	if c, err := s.db.CaseByApplication(ctx, sub.ApplicationID); err == nil {
		if c.ApplicationVersion >= sub.Version {
			return nil // handed over already: a repeated submission
		}
		tasks, err := s.db.OpenTasksOfCase(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, t := range tasks {
			if t.Kind == workflows.KindCorrection {
				_, err := s.sendDecision(ctx, a, t, workflows.DecisionRequest{Outcome: "resubmit", ApplicationVersion: sub.Version},
					fmt.Sprintf("v%d", sub.Version))
				return err
			}
		}
		return newError(http.StatusConflict, "case_not_waiting", "该申报当前不在补正阶段，无需重新提交。")
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	e, err := s.db.EnterpriseByID(ctx, sub.EnterpriseID)
	if err != nil {
		return err
	}
	league, err := s.leagueOf(ctx, e.JurisdictionCode)
	if err != nil {
		return err
	}
	in := workflows.CaseInput{CaseID: sub.ApplicationID, CampaignID: sub.CampaignID, ApplicationID: sub.ApplicationID,
		ApplicationVersion: sub.Version, EnterpriseID: e.ID, EnterpriseName: e.Name, Jurisdiction: e.JurisdictionCode,
		League: league.Code, Region: models.RegionCode, PrecheckEnabled: league.PrecheckEnabled, Submitter: a.snapshot(),
		Timing: s.timing}
	// Started with the Started Update (Update-with-Start): the answer comes once the case's
	// first step is written, so the caller's next page already shows the case.
	err = startAndAwait(ctx, s.temporal, client.StartWorkflowOptions{
		ID: workflows.CaseWorkflowID(sub.ApplicationID), TaskQueue: s.taskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes: temporal.NewSearchAttributes(workflows.JurisdictionCode.ValueSet(e.JurisdictionCode),
			workflows.CaseStage.ValueSet("submitted")),
	}, workflows.EnterpriseCase, in)
	if err != nil {
		return fmt.Errorf("start case: %w", err)
	}
	return nil
}

// startAndAwait starts a workflow (or finds it running) with its Started Update, which answers
// once the workflow's first step is written. A workflow of that ID that already ended counts as
// started.
func startAndAwait(ctx context.Context, tc client.Client, opts client.StartWorkflowOptions, wf any, arg any) error {
	op := tc.NewWithStartWorkflowOperation(opts, wf, arg)
	h, err := tc.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{StartWorkflowOperation: op,
		UpdateOptions: client.UpdateWorkflowOptions{UpdateName: workflows.StartedUpdate, WaitForStage: client.WorkflowUpdateStageCompleted}})
	if err == nil {
		err = h.Get(ctx, nil)
	}
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// ResumeHandOvers hands to the lifecycle every submitted application that has no case: the
// process stopped between storing the submission and starting its case workflow. Only
// submissions older than minAge are taken (younger ones may be in the middle of their
// request); starting a case is idempotent (the workflow ID is the application's), so two API
// processes doing this at once start each case once. It returns how many it handed over.
func (s *Server) ResumeHandOvers(ctx context.Context, minAge time.Duration) (int, error) {
	var pending []struct {
		ID, EnterpriseID, CampaignID, SubmittedBy string
		CurrentVersion                            int
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT a.id, a.enterprise_id, a.campaign_id, a.current_version, v.submitted_by
		FROM applications a JOIN application_versions v ON v.application_id = a.id AND v.version = a.current_version
		WHERE a.status = ? AND a.submitted_at <= ? AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.application_id = a.id)`,
		models.ApplicationSubmitted, s.now().UTC().Add(-minAge)).Scan(&pending).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, p := range pending {
		u, err := s.db.UserByID(ctx, p.SubmittedBy)
		if err != nil {
			return n, fmt.Errorf("submitter of %s: %w", p.ID, err)
		}
		a, err := s.actorFor(ctx, u)
		if err != nil {
			return n, err
		}
		if err := s.onApplicationSubmitted(ctx, a, SubmittedApplication{ApplicationID: p.ID, Version: p.CurrentVersion,
			EnterpriseID: p.EnterpriseID, CampaignID: p.CampaignID}); err != nil {
			return n, fmt.Errorf("hand over %s: %w", p.ID, err)
		}
		s.log.InfoContext(ctx, "submitted application handed over after a restart", "applicationID", p.ID)
		n++
	}
	return n, nil
}

// RunHandOverRecovery runs ResumeHandOvers at start and then every interval until ctx ends.
func (s *Server) RunHandOverRecovery(ctx context.Context, interval time.Duration) {
	minAge := time.Duration(0) // at start no request of this process is in flight
	for {
		if _, err := s.ResumeHandOvers(ctx, minAge); err != nil && ctx.Err() == nil {
			s.log.WarnContext(ctx, "hand over pending submissions", "err", err)
		}
		minAge = interval
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// taskDecisionRequest is the body of a decision.
type taskDecisionRequest struct {
	Outcome            string                         `json:"outcome"`
	Reasons            []workflows.Reason             `json:"reasons"`
	Comment            string                         `json:"comment"`
	Score              *int                           `json:"score"`
	Approved           []workflows.ApprovedOccupation `json:"approved"`
	ApplicationVersion int                            `json:"application_version"`
	Documents          []workflows.Document           `json:"documents"`
	ContactName        string                         `json:"contact_name"`
	ContactPhone       string                         `json:"contact_phone"`
	// RequestKey makes a repeated submission of the same decision (double click, retry) harmless.
	RequestKey string `json:"request_key"`
}

// The rules of who may act on a task, shared by the JSON handlers and the pages.

// candidateFor reports whether the actor is among those the task waits for, for act: the
// task's role, and act on its domain within the actor's grant. Who holds the task is apart
// (claimedByOther).
func (s *Server) candidateFor(a *Actor, t models.Task, act string) bool {
	return a.User.Role == t.CandidateRole && s.enf.Allowed(a.User.ID, t.CandidateDomain, "task", act)
}

// claimedByOther reports whether someone other than the actor has claimed the task.
func claimedByOther(a *Actor, t models.Task) bool {
	return t.AssigneeID != "" && t.AssigneeID != a.User.ID
}

// mayDecide reports whether the actor may decide the task: the task's role, its domain within
// the actor's grant, and not claimed by someone else.
func (s *Server) mayDecide(a *Actor, t models.Task) bool {
	return s.candidateFor(a, t, "decide") && !claimedByOther(a, t)
}

// claimedByColleague reports whether the actor could decide the task but someone else has
// claimed it: a refusal that is a conflict, not a matter of rights.
func (s *Server) claimedByColleague(a *Actor, t models.Task) bool {
	return claimedByOther(a, t) && s.candidateFor(a, t, "decide")
}

// mayClaim reports whether the actor may take the task from its unit's queue (that nobody holds
// it yet is checked by the versioned write).
func (s *Server) mayClaim(a *Actor, t models.Task) bool {
	return s.candidateFor(a, t, "claim")
}

// mayReassign reports whether the actor may give the task to someone else: reassignment is
// granted on the task's jurisdiction.
func (s *Server) mayReassign(a *Actor, t models.Task) bool {
	return s.enf.Allowed(a.User.ID, t.JurisdictionCode, "task", "reassign")
}

// onlyOwnTasks reports whether a role's inbox is only what its users were drawn for: experts
// and supervisors have no unit queue and no jurisdiction-wide view.
func onlyOwnTasks(role string) bool {
	return role == models.RoleExpert || role == models.RoleSupervisor
}

// inboxFilter is the part of an inbox query the caller decides: their role, domain, subtree and
// the view, which is always their own for roles that only see their own tasks.
func inboxFilter(a *Actor, view string, jurisdictions []string) models.InboxFilter {
	if onlyOwnTasks(a.User.Role) {
		view = models.ViewMine
	}
	return models.InboxFilter{View: view, Role: a.User.Role, Domain: a.Domain, UserID: a.User.ID, Jurisdictions: jurisdictions}
}

// sendDecision sends a decision to the task's workflow as an Update whose ID is the task ID
// plus the request key, so the same request sent twice acts once and gets the same answer.
// Decisions on one workflow are sent one at a time from this process, and a task the projection
// already shows closed is answered here (unless it is a repeat of the request that closed it):
// the workflow's validator would refuse it anyway, and a burst of doomed updates only slows the
// workflow down.
func (s *Server) sendDecision(ctx context.Context, a *Actor, t models.Task, req workflows.DecisionRequest, requestKey string) (workflows.DecisionResult, error) {
	var res workflows.DecisionResult
	if requestKey == "" {
		requestKey = randomKey()
	}
	if len(requestKey) > 64 {
		return res, badRequest("bad_request_key", "request_key 不能超过 64 个字符。")
	}
	unlock := s.decisions.lock(t.WorkflowID)
	defer unlock()
	cur, err := s.db.TaskByID(ctx, t.ID)
	if err != nil {
		return res, err
	}
	if cur.Status != models.TaskOpen && cur.RequestKey != requestKey {
		s.auditRefusal(ctx, a, cur, req.Outcome, "task already closed")
		return res, newError(http.StatusConflict, "task_closed", "该待办已办结，无需重复处理。")
	}
	if claimedByOther(a, cur) {
		return res, newError(http.StatusConflict, "task_claimed", "该待办已由他人认领，请先由认领人释放或由管理员改派。")
	}
	req.TaskID, req.Actor, req.RequestKey = t.ID, a.snapshot(), requestKey
	if t.Kind == workflows.KindRegionDecision {
		// The workflow checks the approved scope against the stored application, never the client's.
		if req.Applied, err = s.appliedScope(ctx, t.CaseID); err != nil {
			return res, err
		}
		if req.Published, err = s.publishedBatches(ctx, t.CaseID); err != nil {
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
	return res, nil
}

func (s *Server) auditRefusal(ctx context.Context, a *Actor, t models.Task, outcome, why string) {
	_ = s.audit(ctx, a, models.AuditEntry{Action: "task.decide:" + t.Kind, ObjectType: "task", ObjectID: t.ID,
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

func randomKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// workflowError maps a workflow's refusal to the error vocabulary.
// sentence ends a message with a full stop.
func sentence(msg string) string {
	if strings.HasSuffix(msg, "。") {
		return msg
	}
	return msg + "。"
}

func workflowError(err error) *Error {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		msg := ae.Message()
		switch ae.Type() {
		case workflows.ErrTaskNotOpen:
			return newError(http.StatusConflict, "task_closed", msg+"。")
		case workflows.ErrNotCandidate:
			return newError(http.StatusForbidden, "not_candidate", msg+"。")
		case workflows.ErrInvalidDecision:
			e := newError(http.StatusUnprocessableEntity, "invalid_decision", sentence(msg))
			for _, f := range workflows.RefusalFields(err) {
				code := f.Code
				if code == "" {
					code = e.Code
				}
				e.Fields = append(e.Fields, validate.FieldError{Field: f.Field, Code: code, Message: sentence(f.Message)})
			}
			return e
		case workflows.ErrWrongState:
			return newError(http.StatusConflict, "wrong_state", msg+"。")
		}
	}
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return newError(http.StatusConflict, "case_closed", "该流程已结束。")
	}
	var dl *serviceerror.DeadlineExceeded
	if errors.As(err, &dl) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "处理超时，结果可能稍后生效，请刷新查看后再决定是否重试。", cause: err}
	}
	return &Error{Status: errInternal.Status, Code: errInternal.Code, Message: errInternal.Message, cause: err}
}

func (s *Server) caseRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	v1.GET("/tasks", s.requireAPILogin, s.authorize("task", "read", ownScope), s.json(s.apiTasks))
	v1.GET("/tasks/:id", s.requireAPILogin, s.json(s.apiTask))
	v1.POST("/tasks/:id/claim", s.requireAPILogin, s.json(s.apiClaim))
	v1.POST("/tasks/:id/unclaim", s.requireAPILogin, s.json(s.apiUnclaim))
	v1.POST("/tasks/:id/reassign", s.requireAPILogin, s.json(s.apiReassign))
	v1.POST("/tasks/:id/decision", s.requireAPILogin, s.json(s.apiDecide))
	v1.GET("/cases", s.requireAPILogin, s.authorize("case", "read", ownScope), s.json(s.apiCases))
	v1.GET("/cases/:id", s.requireAPILogin, s.json(s.apiCase))
	v1.POST("/cases/:id/adjust", s.requireAPILogin, s.json(s.apiAdjust))
	v1.GET("/campaigns/current", s.requireAPILogin, s.json(s.apiCampaign))
	v1.POST("/campaigns", s.requireAPILogin, s.authorize("campaign", "manage", ownScope), s.json(s.apiStartCampaign))
	v1.POST("/campaigns/:id/deadlines", s.requireAPILogin, s.json(s.apiMoveDeadline))
	v1.GET("/leagues/:code/summary", s.requireAPILogin, s.json(s.apiSummary))
	v1.GET("/directory", s.json(s.apiDirectory))
	v1.POST("/complaints", s.json(s.apiFileComplaint))
	v1.GET("/complaints", s.requireAPILogin, s.authorize("complaint", "read", ownScope), s.json(s.apiComplaints))
	v1.GET("/notifications", s.requireAPILogin, s.json(s.apiNotifications))
	v1.GET("/findings", s.requireAPILogin, s.authorize("finding", "read", ownScope), s.json(s.apiFindings))
	v1.PUT("/jurisdictions/:code/precheck", s.requireAPILogin, s.authorize("jurisdiction", "configure", scopeFromParam("code")), s.json(s.apiSetPrecheck))
}

// scopeFromParam takes the domain from a path parameter.
func scopeFromParam(name string) scopeFunc {
	return func(c *gin.Context, a *Actor) (string, error) { return c.Param(name), nil }
}

func (s *Server) apiTasks(c *gin.Context) error {
	a := actorFrom(c)
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	view := c.DefaultQuery("view", models.ViewAll)
	switch view {
	case models.ViewMine, models.ViewUnit, models.ViewAll:
	default:
		return badRequest("bad_view", "view 应为 mine、unit 或 all。")
	}
	f := inboxFilter(a, view, s.subtree(c))
	f.Kind, f.Stage, f.League, f.Jurisdiction = c.Query("kind"), c.Query("stage"), c.Query("league"), c.Query("jurisdiction")
	f.SLA, f.Status, f.Desc, f.Limit, f.Offset = c.Query("sla"), c.Query("status"), c.Query("sort") == "-due", limit, offset
	if f.Status != "" && f.Status != models.TaskOpen && f.Status != models.TaskDone && f.Status != models.TaskCancelled {
		return badRequest("bad_status", "status 应为 open、done 或 cancelled。")
	}
	if v := c.Query("batch"); v != "" {
		if f.Batch, err = strconv.Atoi(v); err != nil || (f.Batch != 1 && f.Batch != 2) {
			return badRequest("bad_batch", "batch 应为 1 或 2。")
		}
	}
	if v := c.Query("due_before"); v != "" {
		t, err := parseDate(v, s.cfg.Location)
		if err != nil {
			return badRequest("bad_due_before", "due_before 应为日期，如 2027-05-20。")
		}
		f.DueBefore = &t
	}
	f.ScopeLevel = s.levelOf(a.Domain)
	// One indexed query for the page; the total is a second query, made only when asked for.
	ts, more, err := s.db.InboxPage(c.Request.Context(), f)
	if err != nil {
		return err
	}
	resp := taskPage{Items: ts, HasMore: more, Limit: limit, Offset: offset}
	if c.Query("count") == "true" {
		n, err := s.db.InboxCount(c.Request.Context(), f)
		if err != nil {
			return err
		}
		resp.Total = &n
	}
	c.JSON(http.StatusOK, resp)
	return nil
}

// taskPage is a page of an inbox.
type taskPage struct {
	Items   []models.Task `json:"items"`
	HasMore bool          `json:"has_more"`
	Total   *int64        `json:"total,omitempty"`
	Limit   int           `json:"limit"`
	Offset  int           `json:"offset"`
}

// levelOf is the level of a jurisdiction code (empty for enterprise nodes and unknown codes).
func (s *Server) levelOf(code string) string {
	level, _ := s.jcache.lookup(s, code)
	return level
}

// jurisdictionName is the name of a jurisdiction code (empty when unknown).
func (s *Server) jurisdictionName(code string) string {
	_, name := s.jcache.lookup(s, code)
	return name
}

// jurisdictionCache holds every jurisdiction's level and name: every page and inbox needs them.
// Administrators add and rename counties, so the cache is read again when it is a minute old,
// when a code is not in it (at most every two seconds), and at once after such a change on
// this replica (invalidate).
type jurisdictionCache struct {
	mu            sync.RWMutex
	levels, names map[string]string
	loaded        time.Time
	lastMiss      time.Time
}

func (jc *jurisdictionCache) lookup(s *Server, code string) (level, name string) {
	jc.mu.RLock()
	level, known := jc.levels[code]
	name = jc.names[code]
	stale := time.Since(jc.loaded) > time.Minute
	recentMiss := time.Since(jc.lastMiss) < 2*time.Second
	jc.mu.RUnlock()
	if (known && !stale) || (!known && !stale && recentMiss) {
		return level, name
	}
	jc.mu.Lock()
	defer jc.mu.Unlock()
	if level, known = jc.levels[code]; known && time.Since(jc.loaded) <= time.Minute {
		return level, jc.names[code] // another request has just read them
	}
	if !known {
		if time.Since(jc.lastMiss) < 2*time.Second && time.Since(jc.loaded) <= time.Minute {
			return "", ""
		}
		jc.lastMiss = time.Now()
	}
	js, err := s.db.Jurisdictions(context.Background())
	if err != nil {
		s.log.Error("load jurisdictions", "err", err)
		return level, name
	}
	jc.levels, jc.names, jc.loaded = make(map[string]string, len(js)), make(map[string]string, len(js)), time.Now()
	for _, j := range js {
		jc.levels[j.Code], jc.names[j.Code] = j.Level, j.Name
	}
	return jc.levels[code], jc.names[code]
}

// invalidate makes the next lookup read the jurisdictions again.
func (jc *jurisdictionCache) invalidate() {
	jc.mu.Lock()
	jc.loaded = time.Time{}
	jc.mu.Unlock()
}

func parseDate(v string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.ParseInLocation("2006-01-02", v, loc)
}

// taskInScope loads a task and checks the caller may read it; out of scope is 404-equivalent
// 403 with an audit row.
func (s *Server) taskInScope(c *gin.Context, act string) (models.Task, *Actor, bool) {
	a := actorFrom(c)
	t, err := s.scopedTask(c.Request.Context(), a, c.Param("id"), act)
	if err != nil {
		s.writeError(c, err)
		return t, a, false
	}
	return t, a, true
}

// scopedTask loads a task and checks the actor may act on it: within their grant (a task of an
// enterprise in its enterprise node, else in its jurisdiction) or held by them. A refusal is
// audited and answered with errForbidden.
func (s *Server) scopedTask(ctx context.Context, a *Actor, id, act string) (models.Task, error) {
	if a == nil {
		return models.Task{}, errUnauthenticated
	}
	t, err := s.db.TaskByID(ctx, id)
	if err != nil {
		return t, err
	}
	domain := t.CandidateDomain
	if !strings.Contains(domain, "/E/") && a.User.Role != models.RoleEnterpriseUser {
		domain = t.JurisdictionCode
	}
	if !s.enf.Allowed(a.User.ID, domain, "task", act) && !(t.AssigneeID == a.User.ID) {
		return t, s.forbid(ctx, a, "task", act, t.CandidateDomain)
	}
	return t, nil
}

func (s *Server) apiTask(c *gin.Context) error {
	t, _, ok := s.taskInScope(c, "read")
	if !ok {
		return nil
	}
	c.JSON(http.StatusOK, t)
	return nil
}

type versionBody struct {
	Version    int    `json:"version"`
	AssigneeID string `json:"assignee_id"`
	Reason     string `json:"reason"`
}

// assignInput is a change of who holds a task: the task, the version of it the caller saw and,
// for a reassignment, the new holder ("" for the unit's queue) and why.
type assignInput struct {
	TaskID     string
	Version    int
	AssigneeID string
	Reason     string
}

// assignInputOf reads a claim, unclaim or reassignment request. A body that is not valid JSON
// carries no version, which the use case refuses once the task's scope is checked.
func assignInputOf(c *gin.Context) assignInput {
	var b versionBody
	if c.ShouldBindJSON(&b) != nil {
		b = versionBody{}
	}
	return assignInput{TaskID: c.Param("id"), Version: b.Version, AssigneeID: b.AssigneeID, Reason: b.Reason}
}

// taskAnswer answers a task change with the changed task.
func taskAnswer(c *gin.Context, t models.Task, err error) error {
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, t)
	return nil
}

func (s *Server) apiClaim(c *gin.Context) error {
	t, err := s.claimTask(c.Request.Context(), actorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

// claimTask takes a task from the unit's queue for the actor, if the version they saw is
// still current and nobody has claimed it meanwhile.
func (s *Server) claimTask(ctx context.Context, a *Actor, in assignInput) (models.Task, error) {
	t, err := s.scopedTask(ctx, a, in.TaskID, "claim")
	if err != nil {
		return models.Task{}, err
	}
	if in.Version == 0 {
		return models.Task{}, badRequest("bad_json", "请提供待办的 version。")
	}
	if !s.mayClaim(a, t) {
		return models.Task{}, s.forbid(ctx, a, "task", "claim", t.CandidateDomain)
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.claim", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: t.JurisdictionCode},
		newError(http.StatusConflict, "claim_conflict", "该待办已被他人认领或已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.ClaimTask(ctx, t.ID, a.User.ID, in.Version) })
}

// changeTask runs a versioned change of a task's assignment and appends its audit row in the
// same transaction; a lost race is answered with conflict.
func (s *Server) changeTask(ctx context.Context, a *Actor, e models.AuditEntry, conflict *Error,
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

func (s *Server) apiUnclaim(c *gin.Context) error {
	t, err := s.unclaimTask(c.Request.Context(), actorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

// unclaimTask gives a task the actor holds back to the unit's queue.
func (s *Server) unclaimTask(ctx context.Context, a *Actor, in assignInput) (models.Task, error) {
	t, err := s.scopedTask(ctx, a, in.TaskID, "claim")
	if err != nil {
		return models.Task{}, err
	}
	if in.Version == 0 {
		return models.Task{}, badRequest("bad_json", "请提供待办的 version。")
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.unclaim", ObjectType: "task", ObjectID: t.ID, JurisdictionCode: t.JurisdictionCode},
		newError(http.StatusConflict, "unclaim_conflict", "只能释放自己认领的待办，或待办已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.UnclaimTask(ctx, t.ID, a.User.ID, in.Version) })
}

// apiReassign gives a task to another user of the task's role who can reach its domain.
func (s *Server) apiReassign(c *gin.Context) error {
	t, err := s.reassignTask(c.Request.Context(), actorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

// reassignTask gives a task to another active user of the task's role whose grant reaches its
// domain, or back to the unit's queue (no assignee); the change is audited with its reason.
func (s *Server) reassignTask(ctx context.Context, a *Actor, in assignInput) (models.Task, error) {
	t, err := s.scopedTask(ctx, a, in.TaskID, "reassign")
	if err != nil {
		return models.Task{}, err
	}
	if in.Version == 0 {
		return models.Task{}, badRequest("bad_json", "请提供待办的 version 和 assignee_id。")
	}
	if !s.mayReassign(a, t) {
		return models.Task{}, s.forbid(ctx, a, "task", "reassign", t.JurisdictionCode)
	}
	if in.AssigneeID != "" {
		u, err := s.db.UserByID(ctx, in.AssigneeID)
		if err != nil || !u.Active || u.Role != t.CandidateRole {
			return models.Task{}, invalid(validate.Errors{{Field: "assignee_id", Code: "bad_assignee", Message: "改派对象必须是该待办所需角色的在岗人员。"}})
		}
		ua, err := s.actorFor(ctx, u)
		if err != nil || !s.enf.Allowed(ua.User.ID, t.CandidateDomain, "task", "decide") {
			return models.Task{}, invalid(validate.Errors{{Field: "assignee_id", Code: "out_of_scope", Message: "改派对象的管辖范围不包含该待办。"}})
		}
	}
	return s.changeTask(ctx, a, models.AuditEntry{Action: "task.reassign", ObjectType: "task", ObjectID: t.ID,
		BeforeState: t.AssigneeID, AfterState: in.AssigneeID, Reason: in.Reason, JurisdictionCode: t.JurisdictionCode},
		newError(http.StatusConflict, "reassign_conflict", "待办已变更，请刷新后重试。"),
		func(tx *models.DB) (models.Task, error) { return tx.ReassignTask(ctx, t.ID, in.AssigneeID, in.Version) })
}

func (s *Server) apiDecide(c *gin.Context) error {
	ctx := c.Request.Context()
	a := actorFrom(c)
	t, err := s.db.TaskByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	var b taskDecisionRequest
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if !s.mayDecide(a, t) {
		if s.claimedByColleague(a, t) {
			return newError(http.StatusConflict, "task_claimed", "该待办已由他人认领。")
		}
		s.deny(c, a, "task", "decide", t.CandidateDomain)
		return nil
	}
	if t.Kind == workflows.KindRegionDecision && (b.Outcome == "batch1" || b.Outcome == "batch2") {
		if err := s.checkApprovedScope(ctx, t.CaseID, b.Approved); err != nil {
			return err
		}
	}
	res, err := s.sendDecision(ctx, a, t, workflows.DecisionRequest{Outcome: b.Outcome, Reasons: b.Reasons, Comment: b.Comment,
		Score: b.Score, Approved: b.Approved, ApplicationVersion: b.ApplicationVersion, Documents: b.Documents,
		ContactName: b.ContactName, ContactPhone: b.ContactPhone}, b.RequestKey)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// checkApprovedScope refuses an approved scope wider than the application before a decision
// is sent (domain.ApprovedWithinApplied; the case workflow enforces the same rule itself).
func (s *Server) checkApprovedScope(ctx context.Context, caseID string, approved []workflows.ApprovedOccupation) error {
	applied, err := s.appliedScope(ctx, caseID)
	if err != nil {
		return err
	}
	if errs := domain.ApprovedWithinApplied(occupationScope(applied), occupationScope(approved)); len(errs) > 0 {
		return invalid(errs)
	}
	return nil
}

// publishedBatches are the directory batches of the case's campaign published so far.
func (s *Server) publishedBatches(ctx context.Context, caseID string) ([]int, error) {
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
func (s *Server) appliedScope(ctx context.Context, caseID string) ([]workflows.ApprovedOccupation, error) {
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

func occupationScope(os []workflows.ApprovedOccupation) []domain.Occupation {
	out := make([]domain.Occupation, len(os))
	for i, o := range os {
		out[i] = domain.Occupation{Code: o.Code, Name: o.Name, Levels: o.Levels}
	}
	return out
}

// caseInScope loads a case and checks the caller may act on it.
func (s *Server) caseInScope(c *gin.Context, obj, act string) (models.Case, *Actor, bool) {
	a := actorFrom(c)
	cs, err := s.db.CaseByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return cs, a, false
	}
	return cs, a, s.enterpriseAllowed(c, a, obj, act, cs.JurisdictionCode, cs.EnterpriseID)
}

// enterpriseAllowed checks obj/act in an enterprise's domain, answering 403 (audited) if not.
func (s *Server) enterpriseAllowed(c *gin.Context, a *Actor, obj, act, jurisdiction, enterpriseID string) bool {
	domain := policies.EnterpriseDomain(jurisdiction, enterpriseID)
	if !s.enf.Allowed(a.User.ID, domain, obj, act) {
		s.deny(c, a, obj, act, domain)
		return false
	}
	return true
}

type caseDetail struct {
	models.Case
	StageName string             `json:"stage_name"`
	Tasks     []models.Task      `json:"tasks"`
	Timeline  []models.CaseEvent `json:"timeline"`
}

func (s *Server) apiCase(c *gin.Context) error {
	d, err := s.readCase(c.Request.Context(), actorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

// readCase returns a case with its open tasks and timeline to whoever may read it (`case,
// read` in its enterprise's domain); the enterprise sees the public timeline without the panel.
func (s *Server) readCase(ctx context.Context, a *Actor, id string) (caseDetail, error) {
	cs, err := s.db.CaseByID(ctx, id)
	if err != nil {
		return caseDetail{}, err
	}
	if err := s.require(ctx, a, "case", "read", policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID)); err != nil {
		return caseDetail{}, err
	}
	publicOnly := a.User.Role == models.RoleEnterpriseUser
	events, err := s.db.CaseEvents(ctx, cs.ID, publicOnly)
	if err != nil {
		return caseDetail{}, err
	}
	tasks, err := s.db.OpenTasksOfCase(ctx, cs.ID)
	if err != nil {
		return caseDetail{}, err
	}
	if publicOnly {
		cs.PanelJSON = "" // the panel's identity is not the enterprise's business
		for i := range events {
			events[i].ActorID, events[i].DetailJSON = "", ""
		}
	}
	return caseDetail{Case: cs, StageName: workflows.StageNames[cs.Stage], Tasks: tasks, Timeline: events}, nil
}

func (s *Server) apiCases(c *gin.Context) error {
	a := actorFrom(c)
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	f := models.CaseFilter{CampaignID: c.Query("campaign"), Stage: c.Query("stage"), League: c.Query("league"), Status: c.Query("status"),
		Limit: limit, Offset: offset}
	if v := c.Query("batch"); v != "" {
		f.Batch, _ = strconv.Atoi(v)
	}
	if _, ent := policies.SplitDomain(a.Domain); ent != "" {
		f.EnterpriseID = ent
	} else {
		f.Jurisdictions = s.subtree(c)
	}
	cs, total, err := s.db.Cases(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, listResponse[models.Case]{Items: cs, Total: total, Limit: limit, Offset: offset})
	return nil
}

type adjustBody struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
}

func (s *Server) apiAdjust(c *gin.Context) error {
	var b adjustBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	res, err := s.adjustCase(c.Request.Context(), actorFrom(c), adjustInput{CaseID: c.Param("id"), Action: b.Action, Reason: b.Reason})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// adjustInput is an adjustment of a case: the action (return for correction, withdraw, …)
// and its reason.
type adjustInput struct {
	CaseID, Action, Reason string
}

// adjustCase asks the case's workflow to adjust it. The region adjusts cases; an enterprise
// withdraws its own application. The workflow checks the stage, writes and audits the change;
// a refusal is audited here.
func (s *Server) adjustCase(ctx context.Context, a *Actor, in adjustInput) (workflows.AdjustResult, error) {
	var res workflows.AdjustResult
	obj, act := "case", "adjust"
	if in.Action == "withdraw" {
		obj, act = "application", "submit"
	}
	if a == nil {
		return res, errUnauthenticated
	}
	cs, err := s.db.CaseByID(ctx, in.CaseID)
	if err != nil {
		return res, err
	}
	if err := s.require(ctx, a, obj, act, policies.EnterpriseDomain(cs.JurisdictionCode, cs.EnterpriseID)); err != nil {
		return res, err
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: cs.WorkflowID, UpdateName: workflows.AdjustUpdate,
		Args:         []any{workflows.AdjustRequest{Actor: a.snapshot(), Action: in.Action, Reason: strings.TrimSpace(in.Reason)}},
		WaitForStage: client.WorkflowUpdateStageCompleted})
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.audit(ctx, a, models.AuditEntry{Action: "case." + in.Action, ObjectType: "case", ObjectID: cs.ID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return res, e
	}
	return res, nil
}

// Campaigns.

type campaignResponse struct {
	models.Campaign
	Leagues []models.LeagueCollection `json:"leagues"`
}

func (s *Server) apiCampaign(c *gin.Context) error {
	ctx := c.Request.Context()
	cp, err := s.db.LatestCampaign(ctx)
	if err != nil {
		return err
	}
	ls, err := s.db.LeagueCollections(ctx, cp.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, campaignResponse{Campaign: cp, Leagues: ls})
	return nil
}

type startCampaignBody struct {
	Year int `json:"year"`
	// CollectionDeadline and PublicationTarget override the default calendar (RFC 3339).
	CollectionDeadline *time.Time `json:"collection_deadline"`
	PublicationTarget  *time.Time `json:"publication_target"`
}

func (s *Server) apiStartCampaign(c *gin.Context) error {
	var b startCampaignBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	now := s.now().In(s.cfg.Location)
	if b.Year < now.Year() || b.Year > now.Year()+2 {
		return invalid(validate.Errors{{Field: "year", Code: "out_of_range", Message: fmt.Sprintf("年度应为 %d 至 %d。", now.Year(), now.Year()+2)}})
	}
	cal := Calendar{}
	if b.CollectionDeadline != nil || b.PublicationTarget != nil {
		if b.CollectionDeadline == nil || b.PublicationTarget == nil {
			return invalid(validate.Errors{{Field: "publication_target", Code: "required", Message: "自定义日程须同时给出汇总截止时间和目录公布时间。"}})
		}
		cal.Collection, cal.Publication = b.CollectionDeadline.UTC(), b.PublicationTarget.UTC()
		if !cal.Collection.After(s.now()) {
			return invalid(validate.Errors{{Field: "collection_deadline", Code: "past", Message: "汇总截止时间不能早于当前时间。"}})
		}
		if !cal.Publication.After(cal.Collection) {
			return invalid(validate.Errors{{Field: "publication_target", Code: "order", Message: "目录公布时间应晚于汇总截止时间。"}})
		}
	}
	if err := StartCampaign(c.Request.Context(), s.temporal, s.db, s.taskQueue, b.Year, cal, s.timing); err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), actorFrom(c), models.AuditEntry{Action: "campaign.create", ObjectType: "campaign", ObjectID: strconv.Itoa(b.Year)})
	c.JSON(http.StatusAccepted, gin.H{"campaign_id": strconv.Itoa(b.Year)})
	return nil
}

// Calendar is a campaign's two deadlines; zero values take the defaults (20 May, 5 June).
type Calendar struct {
	Collection, Publication time.Time
}

// StartCampaign starts the Campaign of a year if it is not running, and waits until its
// projection row exists.
func StartCampaign(ctx context.Context, tc client.Client, db *models.DB, taskQueue string, year int, cal Calendar, timing workflows.Timing) error {
	js, err := db.Jurisdictions(ctx)
	if err != nil {
		return err
	}
	var leagues []workflows.LeagueRef
	for _, j := range js {
		if j.Level == models.LevelLeague {
			leagues = append(leagues, workflows.LeagueRef{Code: j.Code, Name: j.Name})
		}
	}
	collection, publication := workflows.DefaultCalendar(year)
	if !cal.Collection.IsZero() {
		collection, publication = cal.Collection, cal.Publication
	}
	id := strconv.Itoa(year)
	err = startAndAwait(ctx, tc, client.StartWorkflowOptions{ID: workflows.CampaignWorkflowID(id), TaskQueue: taskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE},
		workflows.Campaign, workflows.CampaignInput{CampaignID: id, Year: year, CollectionDeadline: collection,
			PublicationTarget: publication, Region: models.RegionCode, Leagues: leagues, Timing: timing})
	if err != nil {
		return fmt.Errorf("start campaign %s: %w", id, err)
	}
	return nil
}

type moveBody struct {
	Which string `json:"which"`
	// Date is a day (the deadline is its end, Asia/Shanghai); At is an exact time (RFC 3339).
	Date   string     `json:"date"`
	At     *time.Time `json:"at"`
	Reason string     `json:"reason"`
}

func (s *Server) apiMoveDeadline(c *gin.Context) error {
	var b moveBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	cal, err := s.moveCampaignDeadline(c.Request.Context(), actorFrom(c), moveDeadlineInput{CampaignID: c.Param("id"), Which: b.Which,
		Date: b.Date, At: b.At, Reason: b.Reason})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cal)
	return nil
}

// moveDeadlineInput moves one of a campaign's deadlines (Which: collection or publication) to
// an exact time (At) or to the end of a day (Date, Asia/Shanghai), for a reason.
type moveDeadlineInput struct {
	CampaignID, Which, Date string
	At                      *time.Time
	Reason                  string
}

// moveCampaignDeadline asks the campaign's workflow to move a deadline; the region manages
// campaigns. The workflow validates, writes and audits the move; a refusal is audited here.
func (s *Server) moveCampaignDeadline(ctx context.Context, a *Actor, in moveDeadlineInput) (workflows.CampaignCalendar, error) {
	var cal workflows.CampaignCalendar
	if a == nil {
		return cal, errUnauthenticated
	}
	if err := s.require(ctx, a, "campaign", "manage", a.Domain); err != nil {
		return cal, err
	}
	var to time.Time
	if in.At != nil {
		to = *in.At
	} else {
		day, err := time.ParseInLocation("2006-01-02", in.Date, s.cfg.Location)
		if err != nil {
			return cal, invalid(validate.Errors{{Field: "date", Code: "bad_date", Message: "日期格式应为 2027-05-20。"}})
		}
		to = time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 59, 0, s.cfg.Location)
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: workflows.CampaignWorkflowID(in.CampaignID),
		UpdateName: workflows.MoveDeadlineUpdate, WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.MoveDeadlineRequest{Actor: a.snapshot(), Which: in.Which, To: to.UTC(), Reason: strings.TrimSpace(in.Reason)}}})
	if err == nil {
		err = h.Get(ctx, &cal)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.audit(ctx, a, models.AuditEntry{Action: "campaign.move_" + in.Which, ObjectType: "campaign", ObjectID: in.CampaignID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return cal, e
	}
	return cal, nil
}

// League summary: the league's accepted cases with their collection status.

type summaryResponse struct {
	Collection models.LeagueCollection `json:"collection"`
	Cases      []models.Case           `json:"cases"`
	Task       *models.Task            `json:"task,omitempty"`
}

// summaryCases are the cases a league's summary (汇总表) lists: accepted by the league and not
// withdrawn since, whatever stage they have reached.
func (s *Server) summaryCases(ctx context.Context, league, campaignID string) ([]models.Case, error) {
	cs, _, err := s.db.Cases(ctx, models.CaseFilter{Jurisdictions: s.enf.Tree().Subtree(league), CampaignID: campaignID, Limit: 200})
	if err != nil {
		return nil, err
	}
	in := []models.Case{}
	for _, c := range cs {
		switch {
		case c.Stage == workflows.StagePrecheck, c.Stage == workflows.StageLeagueReview, c.Stage == workflows.StageCorrection:
		case c.Outcome == "rejected", c.Outcome == "withdrawn":
		default:
			in = append(in, c)
		}
	}
	return in, nil
}

func (s *Server) apiSummary(c *gin.Context) error {
	sum, err := s.readLeagueSummary(c.Request.Context(), actorFrom(c), c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sum)
	return nil
}

// readLeagueSummary is a league's collection in the latest campaign, the cases its summary
// lists and its submit_summary task (if any); for those who may read the league's summary.
func (s *Server) readLeagueSummary(ctx context.Context, a *Actor, league string) (summaryResponse, error) {
	var resp summaryResponse
	if err := s.require(ctx, a, "summary", "read", league); err != nil {
		return resp, err
	}
	cp, err := s.db.LatestCampaign(ctx)
	if err != nil {
		return resp, err
	}
	col, err := s.db.LeagueCollectionOf(ctx, cp.ID, league)
	if err != nil {
		return resp, err
	}
	in, err := s.summaryCases(ctx, league, cp.ID)
	if err != nil {
		return resp, err
	}
	resp = summaryResponse{Collection: col, Cases: in}
	ts, _, err := s.db.Inbox(ctx, models.InboxFilter{View: models.ViewAll, Jurisdictions: []string{league}, Kind: workflows.KindSubmitSummary, Limit: 1})
	if err == nil && len(ts) > 0 {
		resp.Task = &ts[0]
	}
	return resp, nil
}

// apiDirectory is the public pilot enterprise directory.
func (s *Server) apiDirectory(c *gin.Context) error {
	batch, _ := strconv.Atoi(c.Query("batch"))
	ds, err := s.db.Directory(c.Request.Context(), c.Query("campaign"), batch, false)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(ds))
	return nil
}

type complaintBody struct {
	EnterpriseID string `json:"enterprise_id"`
	Anonymous    bool   `json:"anonymous"`
	Complainant  string `json:"complainant"`
	Contact      string `json:"contact"`
	Content      string `json:"content"`
}

// apiFileComplaint takes a complaint from anyone (anonymous allowed) and starts its workflow.
func (s *Server) apiFileComplaint(c *gin.Context) error {
	var b complaintBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	r, err := s.fileComplaint(c.Request.Context(), actorFrom(c), b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, r)
	return nil
}

// complaintReceipt acknowledges a complaint filed.
type complaintReceipt struct {
	ID      string `json:"id"`
	Message string `json:"message"`
}

// fileComplaint records a complaint about a pilot enterprise, from anyone (a is nil for a
// visitor; anonymous allowed), with its audit row in the same transaction, and starts its
// workflow, which sends it to the local bureau to verify.
func (s *Server) fileComplaint(ctx context.Context, a *Actor, in complaintBody) (complaintReceipt, error) {
	var errs validate.Errors
	e, err := s.db.EnterpriseByID(ctx, in.EnterpriseID)
	if err != nil {
		errs.Add("enterprise_id", "unknown_enterprise", "请选择被投诉的试点企业。")
	}
	if n := len([]rune(strings.TrimSpace(in.Content))); n < 10 || n > 5000 {
		errs.Add("content", "length", "投诉内容应为 10 至 5000 字，请写明事实和依据。")
	}
	if !in.Anonymous && strings.TrimSpace(in.Complainant) == "" {
		errs.Add("complainant", "required", "实名投诉请填写姓名，或选择匿名投诉。")
	}
	if len(errs) > 0 {
		return complaintReceipt{}, invalid(errs)
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
	if err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		return models.AuditEntry{Action: "complaint.file", ObjectType: "complaint", ObjectID: id, JurisdictionCode: e.JurisdictionCode},
			tx.CreateComplaint(ctx, &row)
	}); err != nil {
		return complaintReceipt{}, err
	}
	_, err = s.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.ComplaintWorkflowID(id), TaskQueue: s.taskQueue},
		workflows.Complaint, workflows.ComplaintInput{ComplaintID: id, EnterpriseID: e.ID, EnterpriseName: e.Name, CaseID: caseID,
			Jurisdiction: e.JurisdictionCode, League: league.Code, Region: models.RegionCode, Timing: s.timing})
	if err != nil {
		return complaintReceipt{}, fmt.Errorf("start complaint: %w", err)
	}
	return complaintReceipt{ID: id, Message: "投诉已受理，将转属地人社部门核查处理。"}, nil
}

func (s *Server) apiComplaints(c *gin.Context) error {
	cs, err := s.db.Complaints(c.Request.Context(), s.subtree(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(cs))
	return nil
}

func (s *Server) apiNotifications(c *gin.Context) error {
	ns, err := s.db.NotificationsFor(c.Request.Context(), actorFrom(c).User.ID, 100)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(ns))
	return nil
}

func (s *Server) apiFindings(c *gin.Context) error {
	fs, err := s.db.OpenFindings(c.Request.Context(), s.subtree(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(fs))
	return nil
}

type precheckBody struct {
	Enabled *bool  `json:"enabled"`
	Reason  string `json:"reason"`
}

// apiSetPrecheck lets a league decide whether its counties pre-check applications first. It
// applies to applications submitted from then on (setPrecheck, jurisdictions.go).
func (s *Server) apiSetPrecheck(c *gin.Context) error {
	var b precheckBody
	if err := c.ShouldBindJSON(&b); err != nil || b.Enabled == nil {
		return badRequest("bad_json", "请提供 enabled（true 或 false）。")
	}
	out, err := s.setPrecheck(c.Request.Context(), actorFrom(c), precheckInput{Code: c.Param("code"), Enabled: *b.Enabled, Reason: b.Reason})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
