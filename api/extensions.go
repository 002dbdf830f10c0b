package api

import (
	"github.com/gin-gonic/gin"
)

func (s *Server) extensionRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	s.applicationRoutes(r, v1)
	s.attachmentRoutes(r, v1)
	s.caseRoutes(r, v1)
	s.occupationRoutes(v1)
	s.sessionRoutes(v1)
	s.supervisionRoutes(v1)
	s.summaryExportRoutes(v1)
	s.certificateRoutes(r, v1)
}
