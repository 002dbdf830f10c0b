package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// apiOccupations searches the dictionary by code prefix or name.
func (s *Server) apiOccupations(c *gin.Context) error {
	// Every match, so that total counts them all; the page (default 20) is cut by writeListOf.
	return writeListOf(c, s.svc.SearchOccupations(c.Query("q"), 0), 20)
}

func (s *Server) apiExclusions(c *gin.Context) error {
	es, err := s.db.Exclusions(c.Request.Context())
	if err != nil {
		return err
	}
	return writeList(c, es)
}

// apiAddExclusion puts an occupation on the access-type exclusion list (region officials).
func (s *Server) apiAddExclusion(c *gin.Context) error {
	var b service.ExclusionBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	b, err := s.svc.AddExclusion(c.Request.Context(), ActorFrom(c), b)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, gin.H{"code": b.Code, "name": b.Name})
	return nil
}

func (s *Server) apiRemoveExclusion(c *gin.Context) error {
	if err := s.svc.RemoveExclusion(c.Request.Context(), ActorFrom(c), c.Param("name"), c.Query("reason")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// apiEligibility answers GET /occupations/eligibility/:code: the occupation's eligibility
// conditions (申报条件) by level, the common template where it has no override.
func (s *Server) apiEligibility(c *gin.Context) error {
	out, err := s.svc.Eligibility(c.Request.Context(), ActorFrom(c), c.Param("code"))
	if err != nil {
		return err
	}
	return writeList(c, out)
}

// apiSetEligibility answers PUT /occupations/eligibility/:code/:level: the occupation's own
// conditions for one level (region officials).
func (s *Server) apiSetEligibility(c *gin.Context) error {
	var b service.EligibilityBody
	if err := bindJSON(c, &b); err != nil {
		return err
	}
	out, err := s.svc.SetEligibility(c.Request.Context(), ActorFrom(c), c.Param("code"), c.Param("level"), b)
	if err != nil {
		return err
	}
	return writeList(c, out)
}
