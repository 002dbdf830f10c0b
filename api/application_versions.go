package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// An application's submitted versions, their comparison, and the region's override of a
// credit code whose check character fails.

// apiApplicationVersions answers GET /applications/:id/versions.
func (s *Server) apiApplicationVersions(c *gin.Context) error {
	list, err := s.svc.ListApplicationVersions(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	return writeList(c, list)
}

// apiApplicationVersion answers GET /applications/:id/versions/:v.
func (s *Server) apiApplicationVersion(c *gin.Context) error {
	v, err := s.svc.ShowApplicationVersion(c.Request.Context(), ActorFrom(c), service.VersionInput{ApplicationID: c.Param("id"), Version: c.Param("v")})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// apiCompareVersions answers GET /applications/:id/compare?from=1&to=2.
func (s *Server) apiCompareVersions(c *gin.Context) error {
	v, err := s.svc.CompareVersions(c.Request.Context(), ActorFrom(c),
		service.CompareInput{ApplicationID: c.Param("id"), From: c.Query("from"), To: c.Query("to")})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// apiCreditCodeOverride answers POST /applications/:id/credit-code-override.
func (s *Server) apiCreditCodeOverride(c *gin.Context) error {
	in := service.OverrideInput{ApplicationID: c.Param("id")}
	if err := decodeJSON(c, 8<<10, &in.OverrideRequest); err != nil {
		return err
	}
	out, err := s.svc.OverrideCreditCode(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, out)
	return nil
}
