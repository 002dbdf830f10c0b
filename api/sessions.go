package api

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

func (s *Server) sessionRoutes(v1 *gin.RouterGroup) {
	v1.POST("/cases/:id/sessions", s.requireAPILogin, s.json(s.apiPlanSession))
	v1.GET("/cases/:id/sessions", s.requireAPILogin, s.json(s.apiCaseSessions))
	v1.GET("/sessions/:id", s.requireAPILogin, s.json(s.apiSession))
	v1.POST("/sessions/:id/candidates", s.requireAPILogin, s.json(s.apiAddCandidate))
	v1.PUT("/sessions/:id/candidates/:cid/scores", s.requireAPILogin, s.json(s.apiSetScores))
}

type planBody struct {
	OccupationCode string               `json:"occupation_code"`
	WorkType       string               `json:"work_type"`
	Level          int                  `json:"level"`
	ExamDate       string               `json:"exam_date"`
	Site           string               `json:"site"`
	Assessors      []workflows.Assessor `json:"assessors"`
	// RequestKey makes a retried request (after a lost answer) plan the sitting only once.
	RequestKey string `json:"request_key"`
}

// apiPlanSession plans an assessment sitting of an active pilot; the case workflow refuses
// anything outside the approved scope.
func (s *Server) apiPlanSession(c *gin.Context) error {
	cs, a, ok := s.caseInScope(c, "assessment", "manage")
	if !ok {
		return nil
	}
	var b planBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	day, err := time.ParseInLocation("2006-01-02", b.ExamDate, s.cfg.Location)
	if err != nil {
		return invalid(validate.Errors{{Field: "exam_date", Code: "bad_date", Message: "考核日期格式应为 2027-09-01。"}})
	}
	ctx := c.Request.Context()
	id, updateID := models.NewID(), ""
	if len(b.RequestKey) > 64 {
		return badRequest("bad_request_key", "request_key 不能超过 64 个字符。")
	}
	if k := strings.TrimSpace(b.RequestKey); k != "" {
		// The same key is the same Update: Temporal answers a repeat with the first result.
		updateID = "plan:" + cs.ID + ":" + k
	}
	h, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: cs.WorkflowID, UpdateName: workflows.PlanSessionUpdate, UpdateID: updateID,
		WaitForStage: client.WorkflowUpdateStageCompleted, Args: []any{workflows.PlanSessionRequest{Actor: a.snapshot(), SessionID: id,
			OccupationCode: validate.NormalizeOccupationCode(b.OccupationCode), WorkType: strings.TrimSpace(b.WorkType), Level: b.Level,
			ExamDate: day.UTC(), Site: b.Site, Assessors: b.Assessors}}})
	var res workflows.PlanSessionResult
	if err == nil {
		err = h.Get(ctx, &res)
	}
	if err != nil {
		e := workflowError(err)
		_ = s.audit(ctx, a, models.AuditEntry{Action: "session.plan", ObjectType: "case", ObjectID: cs.ID, Outcome: models.OutcomeRejected, Reason: e.Message})
		return e
	}
	for i := 0; i < 250; i++ { // the session row is the child's first write
		if _, err := s.db.SessionByID(ctx, res.SessionID); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.JSON(http.StatusCreated, res)
	return nil
}

func (s *Server) apiCaseSessions(c *gin.Context) error {
	cs, _, ok := s.caseInScope(c, "case", "read")
	if !ok {
		return nil
	}
	ss, err := s.db.SessionsOfCase(c.Request.Context(), cs.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(ss))
	return nil
}

// sessionInScope loads a session and checks obj/act in its enterprise's domain.
func (s *Server) sessionInScope(c *gin.Context, obj, act string) (models.AssessmentSession, *Actor, bool) {
	a := actorFrom(c)
	ss, err := s.db.SessionByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.writeError(c, err)
		return ss, a, false
	}
	return ss, a, s.enterpriseAllowed(c, a, obj, act, ss.JurisdictionCode, ss.EnterpriseID)
}

type sessionDetail struct {
	models.AssessmentSession
	Candidates []models.SessionCandidate `json:"candidates"`
}

func (s *Server) apiSession(c *gin.Context) error {
	ss, _, ok := s.sessionInScope(c, "case", "read")
	if !ok {
		return nil
	}
	cs, err := s.db.Candidates(c.Request.Context(), ss.ID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sessionDetail{AssessmentSession: ss, Candidates: cs})
	return nil
}

type candidateBody struct {
	Name     string `json:"name"`
	IDNumber string `json:"id_number"`
	Employee bool   `json:"employee"`
}

// apiAddCandidate registers one of the enterprise's own employees.
func (s *Server) apiAddCandidate(c *gin.Context) error {
	ss, a, ok := s.sessionInScope(c, "assessment", "manage")
	if !ok {
		return nil
	}
	if ss.Status != models.SessionOpen {
		return newError(http.StatusConflict, "session_closed", "该场次已报送结果，不能再登记考生。")
	}
	var b candidateBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	ctx := c.Request.Context()
	var errs validate.Errors
	if strings.TrimSpace(b.Name) == "" {
		errs.Add("name", "required", "请填写考生姓名。")
	}
	id := validate.NormalizeIDNumber(b.IDNumber)
	if err := validate.CheckIDNumber(id, s.now()); err != nil {
		errs.Add("id_number", validate.CodeOf(err), err.Error())
	}
	if !b.Employee {
		errs.Add("employee", "not_employee", "认定只面向本企业职工，非本企业职工不得报名。")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	sealed, err := s.apps.sealer.Seal(id)
	if err != nil {
		return err
	}
	dup, err := s.db.RegisteredElsewhere(ctx, sealed.Lookup, ss.OccupationCode, ss.Level, ss.ID)
	if err != nil {
		return err
	}
	if dup {
		return invalid(validate.Errors{{Field: "id_number", Code: "already_registered", Message: "该考生已在其他未结束的场次报名同一职业同一等级，不得重复报名。"}})
	}
	cand := models.SessionCandidate{SessionID: ss.ID, Name: strings.TrimSpace(b.Name), IDCipher: sealed.Cipher, IDLookup: sealed.Lookup,
		IDMasked: sealed.Masked, Employee: true, CreatedAt: s.now().UTC(), UpdatedAt: s.now().UTC()}
	if err := s.db.AddCandidate(ctx, &cand); err != nil {
		if errors.Is(err, models.ErrConflict) {
			return invalid(validate.Errors{{Field: "id_number", Code: "duplicate", Message: "该考生已在本场次登记。"}})
		}
		return err
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "session.candidate_add", ObjectType: "session", ObjectID: ss.ID, AfterState: cand.ID, JurisdictionCode: ss.JurisdictionCode})
	c.JSON(http.StatusCreated, cand)
	return nil
}

type scoresBody struct {
	Theory *int   `json:"theory"`
	Skill  *int   `json:"skill"`
	Review *int   `json:"review"`
	Notes  string `json:"notes"`
}

// PassMark is the pass mark of every part (domain §7).
const PassMark = 60

// apiSetScores records scores out of 100 for theory, skill and, for levels 2 and 1, the
// comprehensive review; the candidate passes only if every required part reaches 60.
func (s *Server) apiSetScores(c *gin.Context) error {
	ss, a, ok := s.sessionInScope(c, "assessment", "manage")
	if !ok {
		return nil
	}
	ctx := c.Request.Context()
	cand, err := s.db.CandidateByID(ctx, c.Param("cid"))
	if err != nil || cand.SessionID != ss.ID {
		return errNotFound
	}
	if !(ss.Status == models.SessionOpen || (ss.Status == models.SessionCorrecting && cand.AuditStatus == "rejected")) {
		return newError(http.StatusConflict, "scores_locked", "该场次结果已报送审核，只有被退回的考生可以更正成绩。")
	}
	var b scoresBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	var errs validate.Errors
	check := func(field, name string, v *int, required bool) {
		switch {
		case v == nil && required:
			errs.Add(field, "required", "请录入"+name+"成绩。")
		case v != nil && (*v < 0 || *v > 100):
			errs.Add(field, "out_of_range", name+"成绩应为 0 至 100 分。")
		}
	}
	needReview := ss.Level <= 2
	check("theory", "理论知识考试", b.Theory, true)
	check("skill", "操作技能考核", b.Skill, true)
	check("review", "综合评审", b.Review, needReview)
	if !needReview && b.Review != nil {
		errs.Add("review", "not_applicable", "三级及以下不设综合评审。")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	result := "pass"
	for _, v := range []*int{b.Theory, b.Skill, b.Review} {
		if v != nil && *v < PassMark {
			result = "fail"
		}
	}
	out, err := s.db.SetScores(ctx, cand.ID, b.Theory, b.Skill, b.Review, strings.TrimSpace(b.Notes), result)
	if err != nil {
		return err
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "session.scores", ObjectType: "candidate", ObjectID: cand.ID, AfterState: result, JurisdictionCode: ss.JurisdictionCode})
	c.JSON(http.StatusOK, out)
	return nil
}
