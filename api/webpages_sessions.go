package api

import "github.com/gin-gonic/gin"

// assessmentRoutes registers the enterprise's sitting pages.
func (p *webPages) assessmentRoutes(r *gin.Engine, login gin.HandlerFunc) {}
