package api

import "github.com/gin-gonic/gin"

// pageRoutes registers the server-rendered pages of the officials', enterprises' and public
// journeys.
func (s *Server) pageRoutes(r *gin.Engine) {}
