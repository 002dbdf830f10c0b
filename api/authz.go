package api

import (
	"github.com/gin-gonic/gin"

	"skillcert/service"
)

const scopeKey = "skillcert.scope"

// ScopeFunc returns the domain a request acts in: a jurisdiction code or an enterprise node.
type ScopeFunc func(c *gin.Context, a *service.Actor) (string, error)

// OwnScope is the actor's own domain (list routes; the query then filters by subtree).
func OwnScope(_ *gin.Context, a *service.Actor) (string, error) { return a.Domain, nil }

// scopeFromQuery takes the domain from a query parameter, defaulting to the actor's own.
func scopeFromQuery(name string) ScopeFunc {
	return func(c *gin.Context, a *service.Actor) (string, error) {
		if v := c.Query(name); v != "" {
			return v, nil
		}
		return a.Domain, nil
	}
}

// Authorize lets the request through only if the actor's role may perform act on obj in the
// request's domain (service.Require, the check every use case makes). Refusals are audited
// and answered 403.
func (s *Server) Authorize(obj, act string, scope ScopeFunc) gin.HandlerFunc {
	return func(c *gin.Context) {
		a := ActorFrom(c)
		if a == nil {
			s.WriteError(c, service.ErrUnauthenticated)
			return
		}
		domain, err := scope(c, a)
		if err != nil {
			s.WriteError(c, err)
			return
		}
		if err := s.svc.Require(c.Request.Context(), a, obj, act, domain); err != nil {
			s.WriteError(c, err)
			return
		}
		c.Set(scopeKey, domain)
		c.Next()
	}
}

// deny audits a refused attempt and answers 403.
func (s *Server) deny(c *gin.Context, a *service.Actor, obj, act, domain string) {
	s.WriteError(c, s.svc.Forbid(c.Request.Context(), a, obj, act, domain))
}

// scopeOf returns the authorized domain of the request.
func scopeOf(c *gin.Context) string { return c.GetString(scopeKey) }

// Subtree returns the jurisdiction codes a list query may return for the request's scope;
// an enterprise node's subtree is empty (enterprise users list nothing jurisdiction-wide).
func (s *Server) Subtree(c *gin.Context) []string { return s.svc.SubtreeOf(scopeOf(c)) }
