package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"skillcert/internal/tracing"
	"skillcert/workflows"
)

// idNumberLike is an 18-character ID number anywhere in a value.
var idNumberLike = regexp.MustCompile(`\d{17}[\dXx]`)

// TestTracingFollowsTheRequestIntoWorkflowAndActivities runs requests through the real API on
// the embedded Temporal stack with tracing on: the submit request's trace holds its HTTP server
// span, the Temporal client span of the Update-with-Start, the case workflow's span and its
// activities' spans; a decision's trace holds the HTTP span, the UpdateWorkflow client span and
// the workflow's Update handler. No span carries an ID number, even from a
// public query whose query string holds one.
func TestTracingFollowsTheRequestIntoWorkflowAndActivities(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := tracing.NewProvider(rec, 1, "skillcert-test", "test")
	dir := t.TempDir()
	s := startStackWith(t, dir, filepath.Join(dir, "app.db"), func(c *Config) { c.tracer = tp })
	stopped := false
	defer func() {
		if !stopped {
			s.stop()
		}
	}()
	now := time.Now()
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)

	form := s.applicationForm("dairy")
	var ids []string
	for _, r := range form.Staff {
		ids = append(ids, r.IDNumber)
	}
	for _, r := range append(form.Assessors, form.Supervisors...) {
		ids = append(ids, r.IDNumber)
	}
	require.NotEmpty(t, ids)
	for _, id := range ids {
		require.Len(t, id, 18)
	}
	app := s.submit("dairy", form)
	s.waitStage(app, workflows.StageLeagueReview)
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, app), map[string]any{"outcome": "accept"})
	s.waitStage(app, workflows.StageInSummary)
	// The public certificate query carries an ID number and a name in its query string.
	q := url.Values{"name": {"李强"}, "id_number": {ids[0]}}
	s.call("", http.MethodGet, "/api/v1/public/certificates?"+q.Encode(), nil, nil)

	s.stop()
	stopped = true
	require.NoError(t, tp.Shutdown(5*time.Second))

	// Started holds every span, also those of the case workflow, which runs on.
	spans := rec.Started()
	byTrace := map[trace.TraceID][]sdktrace.ReadOnlySpan{}
	for _, sp := range spans {
		byTrace[sp.SpanContext().TraceID()] = append(byTrace[sp.SpanContext().TraceID()], sp)
	}
	describe := func(tid trace.TraceID) string {
		var names []string
		for _, sp := range byTrace[tid] {
			names = append(names, sp.Name())
		}
		sort.Strings(names)
		return strings.Join(names, ", ")
	}
	httpSpan := func(name string) sdktrace.ReadOnlySpan {
		t.Helper()
		for _, sp := range spans {
			if sp.Name() == name && sp.SpanKind() == trace.SpanKindServer {
				return sp
			}
		}
		var all []string
		for _, sp := range spans {
			all = append(all, sp.Name())
		}
		t.Fatalf("no HTTP server span %q among %v", name, all)
		return nil
	}
	// find answers the span of the trace whose name starts with prefix.
	find := func(root sdktrace.ReadOnlySpan, prefix string, kind trace.SpanKind) sdktrace.ReadOnlySpan {
		t.Helper()
		for _, sp := range byTrace[root.SpanContext().TraceID()] {
			if strings.HasPrefix(sp.Name(), prefix) && sp.SpanKind() == kind {
				return sp
			}
		}
		t.Fatalf("trace of %q has no %s span %q…: %s", root.Name(), kind, prefix, describe(root.SpanContext().TraceID()))
		return nil
	}

	// The submission: HTTP → Update-with-Start (client) → the case workflow → its activities.
	submit := httpSpan("POST /api/v1/applications/:id/submit")
	require.Equal(t, "/api/v1/applications/:id/submit", attr(submit, "http.route"))
	client := find(submit, "UpdateWithStartWorkflow:", trace.SpanKindClient)
	require.Equal(t, submit.SpanContext().SpanID(), client.Parent().SpanID(), "the Temporal call is a child of the request")
	run := find(submit, "RunWorkflow:EnterpriseCase", trace.SpanKindServer)
	require.Equal(t, client.SpanContext().SpanID(), run.Parent().SpanID(), "the workflow continues the client's span")
	find(submit, "RunActivity:", trace.SpanKindServer)

	// The decision: HTTP → UpdateWorkflow (client) → the workflow's Update handler (the
	// activities that follow run from the workflow's main loop, in the submission's trace).
	decision := httpSpan("POST /api/v1/tasks/:id/decision")
	update := find(decision, "UpdateWorkflow:"+workflows.DecideUpdate, trace.SpanKindClient)
	require.Equal(t, decision.SpanContext().SpanID(), update.Parent().SpanID())
	handle := find(decision, "HandleUpdate:"+workflows.DecideUpdate, trace.SpanKindServer)
	require.Equal(t, update.SpanContext().SpanID(), handle.Parent().SpanID())

	// The public query has its span, named by the route, without the query string.
	public := httpSpan("GET /api/v1/public/certificates")
	require.Equal(t, "/api/v1/public/certificates", attr(public, "http.route"))

	// No span attribute or event carries an ID number.
	for _, sp := range spans {
		kvs := append([]attribute.KeyValue{}, sp.Attributes()...)
		for _, ev := range sp.Events() {
			kvs = append(kvs, ev.Attributes...)
		}
		for _, kv := range kvs {
			v := kv.Value.String()
			require.False(t, idNumberLike.MatchString(v), "span %q attribute %s carries an ID number: %s", sp.Name(), kv.Key, v)
			require.NotContains(t, v, "李强", "span %q attribute %s carries a name", sp.Name(), kv.Key)
		}
		require.False(t, idNumberLike.MatchString(sp.Name()), "span name %q", sp.Name())
	}
}

func attr(sp sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range sp.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// Tracing is off unless configured; a bad sample ratio stops the process at start with the
// variable's name.
func TestTracingConfiguration(t *testing.T) {
	env := map[string]string{"SKILLCERT_DATABASE_URL": "postgres://x@h/db"}
	c, err := loadConfig("migrate", nil, envOf(env))
	require.NoError(t, err)
	require.False(t, c.Tracing.Enabled)
	env["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://otel-collector:4317"
	env["SKILLCERT_TRACING_SAMPLE_RATIO"] = "0.1"
	c, err = loadConfig("migrate", nil, envOf(env))
	require.NoError(t, err)
	require.True(t, c.Tracing.Enabled)
	require.Equal(t, 0.1, c.Tracing.SampleRatio)
	env["SKILLCERT_TRACING_SAMPLE_RATIO"] = "10%"
	_, err = loadConfig("migrate", nil, envOf(env))
	require.ErrorContains(t, err, `SKILLCERT_TRACING_SAMPLE_RATIO: "10%" is not a ratio between 0 and 1`)
}
