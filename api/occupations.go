package api

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// apiOccupations searches the dictionary by code prefix or name.
func (s *Server) apiOccupations(c *gin.Context) error {
	limit, _ := strconv.Atoi(c.DefaultQuery("limit", "20"))
	if limit < 1 || limit > 100 {
		limit = 20
	}
	out := s.svc.SearchOccupations(c.Query("q"), limit)
	c.JSON(http.StatusOK, service.ListResponse[service.OccupationItem]{Items: out, Total: int64(len(out)), Limit: limit})
	return nil
}

func (s *Server) apiExclusions(c *gin.Context) error {
	es, err := s.db.Exclusions(c.Request.Context())
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, service.WholeList(es))
	return nil
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
	c.JSON(http.StatusOK, service.WholeList(out))
	return nil
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
	c.JSON(http.StatusOK, service.WholeList(out))
	return nil
}
