package api

import "github.com/gin-gonic/gin"

// attachmentState is the attachments feature's state on the server.
type attachmentState struct{}

func (s *Server) initAttachments(d Deps) error { return nil }

func (s *Server) attachmentRoutes(r *gin.Engine, v1 *gin.RouterGroup) {}
