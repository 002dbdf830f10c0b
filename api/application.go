package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// maxFormBytes bounds a draft body. A full form with hundreds of rows is well under 1 MiB;
// attachments travel separately.
const maxFormBytes = 4 << 20

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
