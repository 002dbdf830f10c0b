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
