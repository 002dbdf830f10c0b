package api

import (
	"context"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

// requestID gives every request an ID, echoed in X-Request-ID and carried in its context.
func (s *Server) requestID(c *gin.Context) {
	id := hex.EncodeToString(models.RandomToken(8))
	c.Header("X-Request-ID", id)
	c.Request = c.Request.WithContext(service.WithRequestID(c.Request.Context(), id))
	c.Next()
}

// recoverer turns a panic into a logged 500 without leaking anything to the client.
func (s *Server) recoverer(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			s.log.ErrorContext(c.Request.Context(), "panic in handler", "panic", r, "path", c.FullPath(), "requestID", service.RequestIDFrom(c.Request.Context()))
			s.WriteError(c, service.ErrInternal)
			c.Abort()
		}
	}()
	c.Next()
}

// accessLog logs one line per request; never query strings (they may carry ID numbers).
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	level := slog.LevelInfo
	if c.Writer.Status() >= 500 {
		level = slog.LevelError
	}
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	s.log.Log(c.Request.Context(), level, "http request", "method", c.Request.Method, "route", route,
		"status", c.Writer.Status(), "ms", time.Since(start).Milliseconds(), "requestID", service.RequestIDFrom(c.Request.Context()))
}

func (s *Server) securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'")
	if s.secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.Next()
}

// healthz answers as long as the process runs.
func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.cfg.Version})
}

// readyz answers 200 when the process can serve: the database is reachable. Pages, inboxes,
// reads and the public query need nothing else, and a decision that cannot reach Temporal
// answers 503 on its own within its deadline, so a Temporal outage does not take every replica
// out of a load balancer. /readyz?full=1 checks Temporal as well (for operators and start-up
// scripts that need the whole path).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{}
	ok := true
	if err := s.db.Ping(ctx); err != nil {
		checks["database"], ok = "unreachable", false
		s.log.WarnContext(ctx, "readiness: database", "err", err)
	} else {
		checks["database"] = "ok"
	}
	if c.Query("full") != "" && c.Query("full") != "0" {
		if s.svc.Temporal() == nil {
			checks["temporal"], ok = "not configured", false
		} else if _, err := s.svc.Temporal().CheckHealth(ctx, nil); err != nil {
			checks["temporal"], ok = "unreachable", false
			s.log.WarnContext(ctx, "readiness: temporal", "err", err)
		} else {
			checks["temporal"] = "ok"
		}
	}
	status := http.StatusOK
	if !ok {
		status = http.StatusServiceUnavailable
		c.Header("Retry-After", "5")
	}
	c.JSON(status, gin.H{"ready": ok, "checks": checks})
}

// maxBody bounds every request body except uploads, which have their own, larger limit
// checked before anything reads the body.
const maxBody = 2 << 20

func (s *Server) limitBody(c *gin.Context) {
	if c.Request.Body != nil && !(c.Request.Method == http.MethodPost && uploadPaths(c.Request.URL.Path)) {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	}
	c.Next()
}

// uploadPaths are the routes that take file uploads; each bounds its body with limitUpload.
func uploadPaths(path string) bool {
	switch path {
	case "/api/v1/attachments", "/application/draft", "/application/upload", "/application/submit":
		return true
	}
	return strings.HasPrefix(path, "/tasks/") && strings.HasSuffix(path, "/decide")
}
