package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// maxFormBytes bounds a draft body. A full form with hundreds of rows is well under 1 MiB;
// attachments travel separately.
const maxFormBytes = 4 << 20

// applicationRoutes serves the application form (附件1): the enterprise's draft, submission
// with strict validation, submitted versions and their comparison, and the region's override
// of a credit code whose check character fails. Every route is authorised in the domain of
// the application's enterprise node, so the enterprise, its county, league and the region
// reach it and nobody else does.
func (s *Server) applicationRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	g := v1.Group("/applications", s.requireAPILogin)
	g.GET("/mine", s.Authorize("application", "read", OwnScope), s.json(s.apiMyApplication))
	g.GET("/:id", s.Authorize("application", "read", s.applicationScope), s.json(s.apiApplication))
	g.PUT("/:id/draft", s.Authorize("application", "edit", s.applicationScope), s.json(s.apiSaveDraft))
	g.POST("/:id/submit", s.Authorize("application", "submit", s.applicationScope), s.json(s.apiSubmitApplication))
	g.GET("/:id/versions", s.Authorize("application", "read", s.applicationScope), s.json(s.apiApplicationVersions))
	g.GET("/:id/versions/:v", s.Authorize("application", "read", s.applicationScope), s.json(s.apiApplicationVersion))
	g.GET("/:id/compare", s.Authorize("application", "read", s.applicationScope), s.json(s.apiCompareVersions))
	g.POST("/:id/credit-code-override", s.Authorize("application", "override", s.applicationScope), s.json(s.apiCreditCodeOverride))
}

// applicationScope loads the application named by :id and returns its enterprise's domain
// (the authorize middleware of the JSON routes).
func (s *Server) applicationScope(c *gin.Context, _ *service.Actor) (string, error) {
	la, err := s.svc.LoadApplication(c.Request.Context(), c.Param("id"))
	if err != nil {
		return "", err
	}
	return la.Domain, nil
}

// apiMyApplication answers GET /applications/mine.
func (s *Server) apiMyApplication(c *gin.Context) error {
	v, err := s.svc.MyApplication(c.Request.Context(), ActorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}

// apiApplication answers GET /applications/:id.
func (s *Server) apiApplication(c *gin.Context) error {
	v, err := s.svc.ShowApplication(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, v)
	return nil
}
