package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// An active pilot's assessment sittings (考核批次): planning one through the case workflow,
// registering candidates and recording their scores.

// apiDeclaredAssessors answers GET /cases/:id/assessors: the 考评人员 declared in the case's
// application, whose IDs a plan chooses its panel by.
func (s *Server) apiDeclaredAssessors(c *gin.Context) error {
	list, err := s.svc.DeclaredAssessors(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, service.WholeList(list))
	return nil
}

// apiPlanSession answers POST /cases/:id/sessions.
func (s *Server) apiPlanSession(c *gin.Context) error {
	in := service.PlanSittingInput{CaseID: c.Param("id")}
	if err := bindJSON(c, &in.PlanBody); err != nil {
		return err
	}
	res, err := s.svc.PlanSitting(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, res)
	return nil
}

// apiCaseSessions answers GET /cases/:id/sessions.
func (s *Server) apiCaseSessions(c *gin.Context) error {
	ss, err := s.svc.ListSittings(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, service.WholeList(ss))
	return nil
}

// apiSession answers GET /sessions/:id.
func (s *Server) apiSession(c *gin.Context) error {
	sd, err := s.svc.ReadSitting(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, sd)
	return nil
}

// apiAddCandidate answers POST /sessions/:id/candidates.
func (s *Server) apiAddCandidate(c *gin.Context) error {
	in := service.CandidateInput{SessionID: c.Param("id")}
	if err := bindJSON(c, &in.CandidateBody); err != nil {
		return err
	}
	cand, err := s.svc.RegisterCandidate(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, cand)
	return nil
}

// apiSetScores answers PUT /sessions/:id/candidates/:cid/scores.
func (s *Server) apiSetScores(c *gin.Context) error {
	in := service.ScoresInput{SessionID: c.Param("id"), CandidateID: c.Param("cid")}
	if err := bindJSON(c, &in.ScoresBody); err != nil {
		return err
	}
	out, err := s.svc.RecordScores(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
