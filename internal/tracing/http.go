package tracing

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Middleware makes one server span per request, named "METHOD route-template" (for example
// "POST /api/v1/tasks/:id/decision"; "GET" alone for a path no route matched), continuing a
// trace the caller sent in a W3C traceparent header. The request's context carries the span,
// so the use cases' Temporal calls become its children. Only the method, the route template
// and the status code are recorded: never the path (it carries IDs), the query string (the
// public certificate query carries ID numbers and names), headers or bodies.
func Middleware(p *Provider) gin.HandlerFunc {
	tr := p.TracerProvider.Tracer("skillcert/http")
	return func(c *gin.Context) {
		ctx := Propagator.Extract(c.Request.Context(), propagation.HeaderCarrier(c.Request.Header))
		route, method := c.FullPath(), c.Request.Method
		if !knownMethods[method] {
			method = "_OTHER" // a client-chosen method name is not copied into the span
		}
		name := method
		attrs := []attribute.KeyValue{attribute.String("http.request.method", method)}
		if route != "" {
			name += " " + route
			attrs = append(attrs, attribute.String("http.route", route))
		}
		ctx, span := tr.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		defer span.End()
		c.Request = c.Request.WithContext(ctx)
		c.Next()
		status := c.Writer.Status()
		span.SetAttributes(attribute.Int("http.response.status_code", status))
		if status >= 500 {
			span.SetStatus(codes.Error, http.StatusText(status))
		}
	}
}

var knownMethods = map[string]bool{http.MethodGet: true, http.MethodHead: true, http.MethodPost: true, http.MethodPut: true,
	http.MethodPatch: true, http.MethodDelete: true, http.MethodOptions: true, http.MethodConnect: true, http.MethodTrace: true}
