// Package tracing is the processes' OpenTelemetry tracing: a TracerProvider exporting over
// OTLP/gRPC when configured (off by default), a gin middleware making one server span per HTTP
// request named by its route template, and the Temporal SDK's OpenTelemetry interceptor, which
// carries the trace from the request's Temporal call into the workflow, its Updates and its
// activities (through the Temporal headers; it adds no workflow commands, so histories replay
// unchanged).
//
// Privacy: the spans carry route templates (/api/v1/tasks/:id/decision), never the request's
// path or query string, and no request or response body; the Temporal spans carry workflow,
// run, activity and update IDs, which are generated identifiers, never ID numbers or names.
package tracing

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
)

// Config says whether and where spans are exported.
type Config struct {
	// Enabled turns tracing on (SKILLCERT_TRACING, or an OTLP endpoint being set).
	Enabled bool
	// Endpoint is the OTLP/gRPC collector URL (http:// means without TLS); empty: the
	// exporter's default, localhost:4317, and the other OTEL_EXPORTER_OTLP_* variables.
	Endpoint string
	// SampleRatio is the share of new traces recorded (0 to 1); a request that arrives with a
	// sampled parent is recorded whatever the ratio (parentbased_traceidratio).
	SampleRatio float64
}

// Environment variables read by FromEnv.
const (
	EnvSwitch         = "SKILLCERT_TRACING"
	EnvSampleRatio    = "SKILLCERT_TRACING_SAMPLE_RATIO"
	EnvEndpoint       = "OTEL_EXPORTER_OTLP_ENDPOINT"
	EnvTracesEndpoint = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
	EnvProtocol       = "OTEL_EXPORTER_OTLP_PROTOCOL"
	EnvTracesProtocol = "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"
)

// FromEnv reads the tracing configuration. Tracing is off unless SKILLCERT_TRACING is true or
// an OTLP endpoint is set (OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT);
// SKILLCERT_TRACING=false turns it off even with an endpoint. Values are not echoed in errors
// beyond what names the mistake (an endpoint URL may carry credentials).
func FromEnv(getenv func(string) string) (Config, error) {
	c := Config{SampleRatio: 1}
	c.Endpoint = strings.TrimSpace(getenv(EnvTracesEndpoint))
	name := EnvTracesEndpoint
	if c.Endpoint == "" {
		c.Endpoint, name = strings.TrimSpace(getenv(EnvEndpoint)), EnvEndpoint
	}
	c.Enabled = c.Endpoint != ""
	if v := strings.TrimSpace(getenv(EnvSwitch)); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return Config{}, fmt.Errorf("%s: %q is neither true nor false", EnvSwitch, v)
		}
		c.Enabled = b
	}
	if v := strings.TrimSpace(getenv(EnvSampleRatio)); v != "" {
		r, err := strconv.ParseFloat(v, 64)
		if err != nil || r < 0 || r > 1 {
			return Config{}, fmt.Errorf("%s: %q is not a ratio between 0 and 1 (e.g. 0.1 records one new trace in ten)", EnvSampleRatio, v)
		}
		c.SampleRatio = r
	}
	if !c.Enabled {
		return c, nil
	}
	if c.Endpoint != "" {
		u, err := url.Parse(c.Endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Config{}, fmt.Errorf("%s must be an http:// or https:// URL of an OTLP/gRPC collector (e.g. http://otel-collector:4317)", name)
		}
	}
	for _, p := range []string{EnvTracesProtocol, EnvProtocol} {
		if v := strings.TrimSpace(getenv(p)); v != "" {
			if v != "grpc" {
				return Config{}, fmt.Errorf("%s: %q is not supported; skillcert exports traces over OTLP/gRPC (grpc)", p, v)
			}
			break
		}
	}
	return c, nil
}

// Provider is a process's tracer provider (nil when tracing is off).
type Provider struct {
	*sdktrace.TracerProvider
}

// Start builds the tracer provider of the service (skillcert-api, skillcert-worker,
// skillcert-dev) exporting over OTLP/gRPC in batches. It answers nil when tracing is off.
// Shutdown flushes what is still buffered. The exporter connects lazily: a collector that is
// down loses spans, never requests.
func Start(ctx context.Context, c Config, service, version string) (*Provider, error) {
	if !c.Enabled {
		return nil, nil
	}
	var opts []otlptracegrpc.Option
	if c.Endpoint != "" {
		opts = append(opts, otlptracegrpc.WithEndpointURL(c.Endpoint))
	}
	exp, err := otlptracegrpc.New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("tracing: OTLP exporter: %w", err)
	}
	return NewProvider(sdktrace.NewBatchSpanProcessor(exp), c.SampleRatio, service, version), nil
}

// NewProvider builds a provider on a span processor (tests pass tracetest's recorder).
func NewProvider(sp sdktrace.SpanProcessor, ratio float64, service, version string) *Provider {
	res := resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName(service), semconv.ServiceVersion(version))
	return &Provider{sdktrace.NewTracerProvider(
		sdktrace.WithSpanProcessor(sp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio))),
	)}
}

// Shutdown flushes the buffered spans and stops the exporter, waiting at most timeout. A nil
// provider does nothing.
func (p *Provider) Shutdown(timeout time.Duration) error {
	if p == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := p.TracerProvider.Shutdown(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("tracing: flush: %w", err)
	}
	return nil
}

// Propagator carries the trace context (W3C traceparent/tracestate) in HTTP and Temporal
// headers. Baggage is not propagated: nothing a client sends is copied into our spans.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}
