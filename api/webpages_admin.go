package api

import "github.com/gin-gonic/gin"

// adminRoutes registers the administrators' user, jurisdiction and audit log pages.
func (p *webPages) adminRoutes(r *gin.Engine, login gin.HandlerFunc) {}
