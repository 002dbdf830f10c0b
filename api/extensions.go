package api

import (
	"github.com/gin-gonic/gin"
)

// extensions wires the feature areas that keep their state and routes in files of their own.
func (s *Server) initExtensions(d Deps) error {
	if err := s.initApplications(d); err != nil {
		return err
	}
	if err := s.initCertificates(d); err != nil {
		return err
	}
	return s.initAttachments(d)
}

func (s *Server) extensionRoutes(r *gin.Engine, v1 *gin.RouterGroup) {
	s.applicationRoutes(r, v1)
	s.attachmentRoutes(r, v1)
	s.caseRoutes(r, v1)
	s.occupationRoutes(v1)
	s.sessionRoutes(v1)
	s.supervisionRoutes(v1)
	s.summaryExportRoutes(v1)
	s.certificateRoutes(r, v1)
	s.pageRoutes(r)
}
