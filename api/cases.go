package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/service"
	"skillcert/workflows"
)

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
	// ConfirmOpenLeagues confirms a publication while that many leagues are still collecting
	// (the campaign's open_leagues).
	ConfirmOpenLeagues int `json:"confirm_open_leagues"`
	// RequestKey makes a repeated submission of the same decision (double click, retry) harmless.
	RequestKey string `json:"request_key"`
}

// The rules of who may act on a task, shared by the JSON handlers and the pages.

func (s *Server) apiTasks(c *gin.Context) error {
	a := ActorFrom(c)
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	view := c.DefaultQuery("view", models.ViewAll)
	switch view {
	case models.ViewMine, models.ViewUnit, models.ViewAll:
	default:
		return service.BadRequest("bad_view", "view 应为 mine、unit 或 all。")
	}
	f := service.InboxFilter(a, view, s.Subtree(c))
	f.Kind, f.Stage, f.League, f.Jurisdiction = c.Query("kind"), c.Query("stage"), c.Query("league"), c.Query("jurisdiction")
	f.SLA, f.Status, f.Desc, f.Limit, f.Offset = c.Query("sla"), c.Query("status"), c.Query("sort") == "-due", limit, offset
	if f.Status != "" && f.Status != models.TaskOpen && f.Status != models.TaskDone && f.Status != models.TaskCancelled {
		return service.BadRequest("bad_status", "status 应为 open、done 或 cancelled。")
	}
	if v := c.Query("batch"); v != "" {
		if f.Batch, err = strconv.Atoi(v); err != nil || (f.Batch != 1 && f.Batch != 2) {
			return service.BadRequest("bad_batch", "batch 应为 1 或 2。")
		}
	}
	if v := c.Query("due_before"); v != "" {
		t, err := service.ParseDate(v, s.svc.Location())
		if err != nil {
			return service.BadRequest("bad_due_before", "due_before 应为日期，如 2027-05-20。")
		}
		f.DueBefore = &t
	}
	f.ScopeLevel = s.svc.LevelOf(a.Domain)
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

// TaskInScope loads a task and checks the caller may read it; out of scope is 404-equivalent
// 403 with an audit row.
func (s *Server) TaskInScope(c *gin.Context, act string) (models.Task, *service.Actor, bool) {
	a := ActorFrom(c)
	t, err := s.svc.ScopedTask(c.Request.Context(), a, c.Param("id"), act)
	if err != nil {
		s.WriteError(c, err)
		return t, a, false
	}
	return t, a, true
}

func (s *Server) apiTask(c *gin.Context) error {
	t, _, ok := s.TaskInScope(c, "read")
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

// assignInputOf reads a claim, unclaim or reassignment request. A body that is not valid JSON
// carries no version, which the use case refuses once the task's scope is checked.
func assignInputOf(c *gin.Context) service.AssignInput {
	var b versionBody
	if c.ShouldBindJSON(&b) != nil {
		b = versionBody{}
	}
	return service.AssignInput{TaskID: c.Param("id"), Version: b.Version, AssigneeID: b.AssigneeID, Reason: b.Reason}
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
	t, err := s.svc.ClaimTask(c.Request.Context(), ActorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

func (s *Server) apiUnclaim(c *gin.Context) error {
	t, err := s.svc.UnclaimTask(c.Request.Context(), ActorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

// apiReassign gives a task to another user of the task's role who can reach its domain.
func (s *Server) apiReassign(c *gin.Context) error {
	t, err := s.svc.ReassignTask(c.Request.Context(), ActorFrom(c), assignInputOf(c))
	return taskAnswer(c, t, err)
}

func (s *Server) apiDecide(c *gin.Context) error {
	ctx := c.Request.Context()
	a := ActorFrom(c)
	t, err := s.db.TaskByID(ctx, c.Param("id"))
	if err != nil {
		return err
	}
	var b taskDecisionRequest
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if !s.svc.MayDecide(a, t) {
		if s.svc.ClaimedByColleague(a, t) {
			return service.NewError(http.StatusConflict, "task_claimed", "该待办已由他人认领。")
		}
		s.deny(c, a, "task", "decide", t.CandidateDomain)
		return nil
	}
	if t.Kind == workflows.KindRegionDecision && domain.SelectionBatch(b.Outcome) > 0 {
		if err := s.svc.CheckApprovedScope(ctx, t.CaseID, b.Approved); err != nil {
			return err
		}
	}
	res, err := s.svc.SendDecision(ctx, a, t, workflows.DecisionRequest{Outcome: b.Outcome, Reasons: b.Reasons, Comment: b.Comment,
		Score: b.Score, Approved: b.Approved, ApplicationVersion: b.ApplicationVersion, Documents: b.Documents,
		ContactName: b.ContactName, ContactPhone: b.ContactPhone, ConfirmOpenLeagues: b.ConfirmOpenLeagues}, b.RequestKey)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiCase(c *gin.Context) error {
	d, err := s.svc.ReadCase(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, d)
	return nil
}

func (s *Server) apiCases(c *gin.Context) error {
	a := ActorFrom(c)
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	f := models.CaseFilter{CampaignID: c.Query("campaign"), Stage: c.Query("stage"), League: c.Query("league"), Status: c.Query("status"),
		Limit: limit, Offset: offset}
	if v := c.Query("batch"); v != "" {
		b, _, fault := domain.Batch.Parse(v)
		if fault != nil {
			return service.Invalid(validate.Errors{{Field: "batch", Code: fault.Code, Message: fault.Message}})
		}
		f.Batch = b
	}
	if _, ent := policies.SplitDomain(a.Domain); ent != "" {
		f.EnterpriseID = ent
	} else {
		f.Jurisdictions = s.Subtree(c)
	}
	cs, total, err := s.db.Cases(c.Request.Context(), f)
	if err != nil {
		return err
	}
	for i := range cs {
		service.HideFromEnterprise(a, &cs[i], nil)
	}
	c.JSON(http.StatusOK, service.ListResponse[models.Case]{Items: cs, Total: total, Limit: limit, Offset: offset})
	return nil
}

type adjustBody struct {
	Action string `json:"action"`
	Reason string `json:"reason"`
	// TaskID is, with action "redraw", the open scoring task of the expert to replace.
	TaskID string `json:"task_id"`
}

func (s *Server) apiAdjust(c *gin.Context) error {
	var b adjustBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	res, err := s.svc.AdjustCase(c.Request.Context(), ActorFrom(c), service.AdjustInput{CaseID: c.Param("id"), Action: b.Action, Reason: b.Reason, TaskID: b.TaskID})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// Campaigns.

type campaignResponse struct {
	models.Campaign
	Leagues []models.LeagueCollection `json:"leagues"`
	// OpenLeagues is the number of leagues that have not submitted their summary.
	OpenLeagues int `json:"open_leagues"`
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
	c.JSON(http.StatusOK, campaignResponse{Campaign: cp, Leagues: ls, OpenLeagues: service.OpenLeagues(ls)})
	return nil
}

func (s *Server) apiStartCampaign(c *gin.Context) error {
	var b service.StartCampaignBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	id, err := s.svc.OpenCampaign(c.Request.Context(), ActorFrom(c), b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusAccepted, gin.H{"campaign_id": id})
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
	cal, err := s.svc.MoveCampaignDeadline(c.Request.Context(), ActorFrom(c), service.MoveDeadlineInput{CampaignID: c.Param("id"), Which: b.Which,
		Date: b.Date, At: b.At, Reason: b.Reason})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, cal)
	return nil
}

// League summary: the league's accepted cases with their collection status.

func (s *Server) apiSummary(c *gin.Context) error {
	sum, err := s.svc.ReadLeagueSummary(c.Request.Context(), ActorFrom(c), c.Param("code"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sum)
	return nil
}

// apiDirectory is the public pilot enterprise directory, of one batch when asked.
func (s *Server) apiDirectory(c *gin.Context) error {
	batch, _, fault := domain.Batch.Parse(c.Query("batch"))
	if fault != nil {
		return service.Invalid(validate.Errors{{Field: "batch", Code: fault.Code, Message: fault.Message}})
	}
	ds, err := s.db.Directory(c.Request.Context(), c.Query("campaign"), batch, false)
	if err != nil {
		return err
	}
	return writeList(c, ds)
}

// apiFileComplaint takes a complaint from anyone (anonymous allowed) and starts its workflow.
func (s *Server) apiFileComplaint(c *gin.Context) error {
	var b service.ComplaintBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	b.Addr = c.ClientIP()
	r, err := s.svc.FileComplaint(c.Request.Context(), ActorFrom(c), b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, r)
	return nil
}

// apiComplaintStatus is POST /api/v1/public/complaints/status: the complainant's receipt code and
// second factor give the complaint's progress (throttled like the certificate query).
func (s *Server) apiComplaintStatus(c *gin.Context) error {
	var q service.ComplaintStatusQuery
	if err := bindJSON(c, &q); err != nil {
		return err
	}
	q.Addr = c.ClientIP()
	p, err := s.svc.ComplaintStatus(c.Request.Context(), q)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, p)
	return nil
}

func (s *Server) apiComplaints(c *gin.Context) error {
	cs, err := s.db.Complaints(c.Request.Context(), s.Subtree(c))
	if err != nil {
		return err
	}
	return writeList(c, cs)
}

func (s *Server) apiNotifications(c *gin.Context) error {
	// The newest 200 (the most the query answers); limit and offset page through them.
	ns, err := s.db.NotificationsFor(c.Request.Context(), ActorFrom(c).User.ID, 200)
	if err != nil {
		return err
	}
	return writeList(c, ns)
}

func (s *Server) apiFindings(c *gin.Context) error {
	fs, err := s.db.OpenFindings(c.Request.Context(), s.Subtree(c))
	if err != nil {
		return err
	}
	return writeList(c, fs)
}

type precheckBody struct {
	Enabled *bool  `json:"enabled"`
	Reason  string `json:"reason"`
}

// apiSetPrecheck lets a league decide whether its counties pre-check applications first. It
// applies to applications submitted from then on (SetPrecheck, jurisdictions.go).
func (s *Server) apiSetPrecheck(c *gin.Context) error {
	var b precheckBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	if b.Enabled == nil {
		return missingField("enabled")
	}
	out, err := s.svc.SetPrecheck(c.Request.Context(), ActorFrom(c), service.PrecheckInput{Code: c.Param("code"), Enabled: *b.Enabled, Reason: b.Reason})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
