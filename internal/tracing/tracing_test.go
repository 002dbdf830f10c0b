package tracing

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestTracingConfig(t *testing.T) {
	// Off by default: nothing exported, no provider.
	c, err := FromEnv(envOf(nil))
	require.NoError(t, err)
	require.False(t, c.Enabled)
	require.Equal(t, 1.0, c.SampleRatio)
	p, err := Start(context.Background(), c, "skillcert-api", "test")
	require.NoError(t, err)
	require.Nil(t, p)
	require.NoError(t, p.Shutdown(time.Second), "a nil provider shuts down quietly")

	// An OTLP endpoint turns it on; the traces endpoint wins; the switch can turn it off.
	c, err = FromEnv(envOf(map[string]string{EnvEndpoint: "http://collector:4317"}))
	require.NoError(t, err)
	require.True(t, c.Enabled)
	require.Equal(t, "http://collector:4317", c.Endpoint)
	c, err = FromEnv(envOf(map[string]string{EnvEndpoint: "http://a:4317", EnvTracesEndpoint: "https://b:4317"}))
	require.NoError(t, err)
	require.Equal(t, "https://b:4317", c.Endpoint)
	c, err = FromEnv(envOf(map[string]string{EnvEndpoint: "http://a:4317", EnvSwitch: "false"}))
	require.NoError(t, err)
	require.False(t, c.Enabled)
	c, err = FromEnv(envOf(map[string]string{EnvSwitch: "true", EnvSampleRatio: "0.25"}))
	require.NoError(t, err)
	require.True(t, c.Enabled)
	require.Equal(t, 0.25, c.SampleRatio)

	// Mistakes are refused with the variable's name.
	for _, bad := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{EnvSampleRatio: "1.5"}, EnvSampleRatio + `: "1.5" is not a ratio between 0 and 1`},
		{map[string]string{EnvSampleRatio: "-0.1"}, EnvSampleRatio + `: "-0.1" is not a ratio`},
		{map[string]string{EnvSampleRatio: "half"}, EnvSampleRatio + `: "half" is not a ratio`},
		{map[string]string{EnvSwitch: "yes please"}, EnvSwitch + `: "yes please" is neither true nor false`},
		{map[string]string{EnvEndpoint: "collector:4317"}, EnvEndpoint + " must be an http:// or https:// URL"},
		{map[string]string{EnvTracesEndpoint: "ftp://u:secret@c"}, EnvTracesEndpoint + " must be an http:// or https:// URL"},
		{map[string]string{EnvSwitch: "true", EnvProtocol: "http/protobuf"}, EnvProtocol + `: "http/protobuf" is not supported`},
	} {
		_, err := FromEnv(envOf(bad.env))
		require.Error(t, err, "%v", bad.env)
		require.Contains(t, err.Error(), bad.want)
		require.NotContains(t, err.Error(), "secret", "an endpoint's credentials are not echoed")
	}

	// Enabled, Start builds a provider (the exporter connects lazily) that shuts down.
	p, err = Start(context.Background(), Config{Enabled: true, Endpoint: "http://127.0.0.1:1", SampleRatio: 1}, "skillcert-worker", "test")
	require.NoError(t, err)
	require.NotNil(t, p)
	_ = p.Shutdown(time.Second) // nothing listens: the flush may fail, it must not hang
}

// The middleware names the span by the route template and records neither the path nor the
// query string; a request that matched no route is named by its method alone.
func TestTracingMiddleware(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	p := NewProvider(rec, 1, "skillcert-test", "test")
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(Middleware(p))
	r.GET("/api/v1/cases/:id", func(c *gin.Context) { c.Status(http.StatusTeapot) })
	r.GET("/boom", func(c *gin.Context) { c.Status(http.StatusServiceUnavailable) })
	for _, path := range []string{"/api/v1/cases/110101198501010011?id_number=110101198501010011", "/nowhere/110101198501010011", "/boom"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, path, nil))
	}
	spans := rec.Ended()
	require.Len(t, spans, 3)
	require.Equal(t, "GET /api/v1/cases/:id", spans[0].Name())
	require.Equal(t, "GET", spans[1].Name())
	require.Equal(t, "GET /boom", spans[2].Name())
	require.Equal(t, "Error", spans[2].Status().Code.String())
	for _, sp := range spans {
		for _, kv := range sp.Attributes() {
			require.False(t, strings.Contains(kv.Value.String(), "110101198501010011"), "%s=%s", kv.Key, kv.Value.String())
		}
	}
	var status string
	for _, kv := range spans[0].Attributes() {
		if kv.Key == "http.response.status_code" {
			status = kv.Value.String()
		}
	}
	require.Equal(t, "418", status)
}
