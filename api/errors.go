package api

import (
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// Errors become responses here, and only here: the use cases return service.Error (or an
// error that service.ToError maps to one), and WriteError answers it as the JSON error body
// under /api/ or as the pages' error page elsewhere, with Retry-After for 429s; 5xx causes are
// logged, never shown.

// bindJSON decodes a JSON body into v, answering 400 with the vocabulary's message when it
// is not valid JSON for v.
func bindJSON(c *gin.Context, v any) error {
	if err := c.ShouldBindJSON(v); err != nil {
		return service.BadRequest("bad_json", "请求内容不是有效的 JSON。")
	}
	return nil
}

// isAPI tells JSON API requests from page requests.
func isAPI(c *gin.Context) bool { return strings.HasPrefix(c.Request.URL.Path, "/api/") }

// json adapts a handler that returns an error to gin: errors become the structured error body.
func (s *Server) json(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.WriteError(c, err)
		}
	}
}

// Page adapts a page handler: errors become the Chinese error page.
func (s *Server) Page(h func(*gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := h(c); err != nil {
			s.WriteError(c, err)
		}
	}
}

// WriteError writes err as JSON for the API or as the error page otherwise. 5xx causes are
// logged in full; clients only ever see the vocabulary's message.
func (s *Server) WriteError(c *gin.Context, err error) {
	e := service.ToError(err)
	if e.Status >= 500 {
		s.log.ErrorContext(c.Request.Context(), "request failed", "route", c.FullPath(), "err", err, "requestID", service.RequestIDFrom(c.Request.Context()))
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	if isAPI(c) || s.pages == nil {
		c.AbortWithStatusJSON(e.Status, gin.H{"error": e, "request_id": service.RequestIDFrom(c.Request.Context())})
		return
	}
	s.pages.ErrorPage(c, e)
	c.Abort()
}

func (s *Server) notFound(c *gin.Context) { s.WriteError(c, service.ErrNotFound) }
