package api

import "github.com/gin-gonic/gin"

// applicationState is the application-form feature's state on the server.
type applicationState struct{}

func (s *Server) initApplications(d Deps) error { return nil }

func (s *Server) applicationRoutes(r *gin.Engine, v1 *gin.RouterGroup) {}
