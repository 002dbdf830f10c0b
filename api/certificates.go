package api

import "github.com/gin-gonic/gin"

// certificateState is the certificates feature's state on the server.
type certificateState struct{}

func (s *Server) initCertificates(d Deps) error { return nil }

func (s *Server) certificateRoutes(r *gin.Engine, v1 *gin.RouterGroup) {}
