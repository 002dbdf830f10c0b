package tracing

import (
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
	"go.temporal.io/sdk/interceptor"
)

// TemporalInterceptor is the Temporal SDK's OpenTelemetry interceptor on p. Set on a client's
// options, it traces the client's calls (StartWorkflow, UpdateWorkflow, UpdateWithStartWorkflow,
// SignalWorkflow, …) as children of the caller's span and, on the workers built from that
// client, the workflow runs, Update and signal handlers and activities, continuing the trace
// carried in the Temporal headers. It adds no workflow commands (replay is unchanged). The
// spans carry workflow, run, activity and update IDs: generated identifiers, not personal data.
// Baggage is not propagated.
func TemporalInterceptor(p *Provider) (interceptor.Interceptor, error) {
	return temporalotel.NewTracingInterceptor(temporalotel.TracerOptions{
		Tracer:            p.TracerProvider.Tracer("skillcert/temporal"),
		TextMapPropagator: Propagator,
		DisableBaggage:    true,
		// Histories started before tracing was turned on (or by another tracer) still run.
		AllowInvalidParentSpans: true,
	})
}
