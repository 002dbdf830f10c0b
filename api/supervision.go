package api

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
	"skillcert/service"
)

func (s *Server) supervisionRoutes(v1 *gin.RouterGroup) {
	v1.POST("/supervision/draws", s.requireAPILogin, s.Authorize("supervision", "manage", OwnScope), s.json(s.apiDraw))
	v1.GET("/supervision/draws/:id", s.requireAPILogin, s.json(s.apiGetDraw))
	v1.GET("/supervision/draws/:id/verify", s.requireAPILogin, s.json(s.apiVerifyDraw))
	v1.POST("/supervision/draws/:id/reports", s.requireAPILogin, s.json(s.apiSupervisionReport))
	v1.GET("/public/supervision", s.json(s.apiPublicSupervision))
}

type drawBody struct {
	Title      string  `json:"title"`
	Sessions   int     `json:"sessions"`
	PerSession int     `json:"per_session"`
	Seed       *uint64 `json:"seed"`
}

type drawResponse struct {
	models.SupervisionDraw
	Assignments []models.DrawAssignment `json:"assignments"`
}

// apiDraw draws sessions and supervisors at random (双随机) within the caller's jurisdiction and
// records the seed and candidate lists so the draw can be re-run and checked.
func (s *Server) apiDraw(c *gin.Context) error {
	var b drawBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	var errs validate.Errors
	if strings.TrimSpace(b.Title) == "" {
		errs.Add("title", "required", "请填写督导批次名称。")
	}
	if b.Sessions < 1 || b.Sessions > 200 {
		errs.Add("sessions", "out_of_range", "抽取场次数应为 1 至 200。")
	}
	if b.PerSession < 2 || b.PerSession > 10 {
		errs.Add("per_session", "out_of_range", "每个场次至少抽取 2 名督导员（不超过 10 名）。")
	}
	if len(errs) > 0 {
		return service.Invalid(errs)
	}
	ctx := c.Request.Context()
	a := ActorFrom(c)
	sessions, sups, err := s.db.DrawCandidates(ctx, s.Subtree(c))
	if err != nil {
		return err
	}
	if len(sessions) == 0 {
		return service.Invalid(validate.Errors{{Field: "sessions", Code: "none", Message: "辖区内暂无可督导的认定场次。"}})
	}
	var seed uint64
	if b.Seed != nil {
		seed = *b.Seed
	} else {
		var buf [8]byte
		_, _ = rand.Read(buf[:])
		seed = binary.BigEndian.Uint64(buf[:]) >> 1 // fits a signed BIGINT
	}
	as, err := models.RunDraw(seed, sessions, sups, b.Sessions, b.PerSession)
	if errors.Is(err, models.ErrTooFewSupervisors) {
		return service.Invalid(validate.Errors{{Field: "per_session", Code: "too_few_supervisors", Message: "回避后可抽取的督导员不足，请补充督导员库或减少每场人数。"}})
	}
	if err != nil {
		return err
	}
	sj, _ := json.Marshal(sessions)
	pj, _ := json.Marshal(sups)
	aj, _ := json.Marshal(as)
	j, _ := policies.SplitDomain(scopeOf(c))
	d := models.SupervisionDraw{Title: strings.TrimSpace(b.Title), JurisdictionCode: j, Seed: int64(seed), PerSession: b.PerSession,
		SessionsJSON: string(sj), SupervisorsJSON: string(pj), AssignmentsJSON: string(aj), CreatedBy: a.User.ID, CreatedAt: s.now().UTC()}
	if err := s.db.CreateDraw(ctx, &d); err != nil {
		return err
	}
	_ = s.svc.Audit(ctx, a, models.AuditEntry{Action: "supervision.draw", ObjectType: "supervision_draw", ObjectID: d.ID, JurisdictionCode: j,
		AfterState: string(aj)})
	c.JSON(http.StatusCreated, drawResponse{SupervisionDraw: d, Assignments: as})
	return nil
}

// drawInScope loads a draw for officials of its jurisdiction or the supervisors drawn in it.
func (s *Server) drawInScope(c *gin.Context) (models.SupervisionDraw, []models.DrawAssignment, bool) {
	a := ActorFrom(c)
	d, err := s.db.DrawByID(c.Request.Context(), c.Param("id"))
	if err != nil {
		s.WriteError(c, err)
		return d, nil, false
	}
	as, err := d.Assignments()
	if err != nil {
		s.WriteError(c, err)
		return d, nil, false
	}
	drawn := false
	for _, x := range as {
		drawn = drawn || slices.Contains(x.Supervisors, a.User.ID)
	}
	if !drawn && !s.enf.Allowed(a.User.ID, d.JurisdictionCode, "supervision", "manage") {
		s.deny(c, a, "supervision", "read", d.JurisdictionCode)
		return d, nil, false
	}
	return d, as, true
}

func (s *Server) apiGetDraw(c *gin.Context) error {
	d, as, ok := s.drawInScope(c)
	if !ok {
		return nil
	}
	c.JSON(http.StatusOK, drawResponse{SupervisionDraw: d, Assignments: as})
	return nil
}

// apiVerifyDraw re-runs a draw from its recorded seed and candidate lists.
func (s *Server) apiVerifyDraw(c *gin.Context) error {
	d, as, ok := s.drawInScope(c)
	if !ok {
		return nil
	}
	again, err := d.Rerun()
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, gin.H{"match": reflect.DeepEqual(as, again), "seed": d.Seed})
	return nil
}

type reportBody struct {
	SessionID string `json:"session_id"`
	Rating    string `json:"rating"`
	Findings  string `json:"findings"`
}

// apiSupervisionReport files a drawn supervisor's report on a drawn session.
func (s *Server) apiSupervisionReport(c *gin.Context) error {
	d, as, ok := s.drawInScope(c)
	if !ok {
		return nil
	}
	a := ActorFrom(c)
	var b reportBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	assigned := false
	for _, x := range as {
		assigned = assigned || (x.SessionID == b.SessionID && slices.Contains(x.Supervisors, a.User.ID))
	}
	if !assigned || !s.enf.RoleAllows(a.User.Role, "supervision", "report") {
		s.deny(c, a, "supervision", "report", d.JurisdictionCode)
		return nil
	}
	var errs validate.Errors
	switch b.Rating {
	case "good", "acceptable", "rectify", "serious":
	default:
		errs.Add("rating", "invalid", "督导评价应为 good（良好）、acceptable（合格）、rectify（需整改）或 serious（严重问题）。")
	}
	if n := len([]rune(strings.TrimSpace(b.Findings))); n < 5 || n > 5000 {
		errs.Add("findings", "length", "督导发现应为 5 至 5000 字。")
	}
	if len(errs) > 0 {
		return service.Invalid(errs)
	}
	r := models.SupervisionReport{DrawID: d.ID, SessionID: b.SessionID, SupervisorID: a.User.ID, Rating: b.Rating,
		Findings: strings.TrimSpace(b.Findings), CreatedAt: s.now().UTC()}
	if err := s.db.AddSupervisionReport(c.Request.Context(), &r); err != nil {
		if errors.Is(err, models.ErrConflict) {
			return service.NewError(http.StatusConflict, "report_exists", "您已提交过该场次的督导报告。")
		}
		return err
	}
	_ = s.svc.Audit(c.Request.Context(), a, models.AuditEntry{Action: "supervision.report", ObjectType: "supervision_draw", ObjectID: d.ID,
		AfterState: b.SessionID + " " + b.Rating, JurisdictionCode: d.JurisdictionCode})
	c.JSON(http.StatusCreated, r)
	return nil
}

// apiPublicSupervision publishes the supervision results (一公开).
func (s *Server) apiPublicSupervision(c *gin.Context) error {
	out, err := s.db.PublishedSupervision(c.Request.Context(), 200)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, service.WholeList(out))
	return nil
}
