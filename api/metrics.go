package api

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// mountMetrics serves /metrics on the main address only to a scraper that presents
// Config.MetricsToken as a bearer token; without a token the route does not exist (operators
// use a separate, private listen address instead, see cmd/skillcert). The answer to a wrong
// or missing token is a plain 404, so the endpoint is not advertised.
func (s *Server) mountMetrics(r *gin.Engine) {
	if s.cfg.Metrics == nil || s.cfg.MetricsToken == "" {
		return
	}
	want := []byte("Bearer " + s.cfg.MetricsToken)
	h := s.cfg.Metrics.Handler()
	r.GET("/metrics", func(c *gin.Context) {
		got := []byte(strings.TrimSpace(c.GetHeader("Authorization")))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			c.AbortWithStatus(http.StatusNotFound)
			return
		}
		c.Header("Cache-Control", "no-store")
		h.ServeHTTP(c.Writer, c.Request)
	})
}
