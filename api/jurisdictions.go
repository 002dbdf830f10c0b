package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// Jurisdiction administration: POST /api/v1/jurisdictions adds a county-level jurisdiction
// (旗县、市、区) under a league/city, PATCH /api/v1/jurisdictions/:code renames one or changes
// its area code. The seed has counties for only some leagues; enterprises of the others cannot
// register and no county bureau can be set up there until an administrator adds them.
// Jurisdictions are never deleted: cases, users and the audit log refer to them.

func (s *Server) apiCreateCounty(c *gin.Context) error {
	var req service.CountyRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	j, err := s.svc.CreateCounty(c.Request.Context(), ActorFrom(c), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, j)
	return nil
}

func (s *Server) apiUpdateCounty(c *gin.Context) error {
	var req service.CountyPatch
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	j, err := s.svc.UpdateCounty(c.Request.Context(), ActorFrom(c), service.CountyUpdate{Code: c.Param("code"), CountyPatch: req})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, j)
	return nil
}
