package api

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/metrics"
	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
)

const testMetricsToken = "scrape-token-0123456789"

func newMetricsEnv(t *testing.T, db *models.DB, reg *metrics.Registry, token string) *testEnv {
	t.Helper()
	env := &testEnv{t: t, db: db, now: time.Now()}
	deps := webtest.Deps(t, db, testPassword, func() time.Time { return env.now })
	s := newServer(t, deps, Config{PublicURL: "http://test", SessionKey: webtest.SessionKey, Metrics: reg, MetricsToken: token})
	env.api = s
	env.srv = httptest.NewServer(s.Handler(nil))
	t.Cleanup(env.srv.Close)
	return env
}

func (e *testEnv) scrape(token string) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.srv.URL+"/metrics", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// sample returns the value of the series line starting with series (name{labels}).
func sample(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(body)
	require.NotNil(t, m, "no series %s in\n%s", series, grepLines(body, "skillcert_"))
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

func grepLines(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestMetricsCountRequestsByRouteTemplate(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		reg := metrics.New()
		e := newMetricsEnv(t, db, reg, testMetricsToken)
		dairy := e.bearer("dairy")
		get := func(path, token string) int {
			req, _ := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		for range 3 {
			require.Equal(t, http.StatusOK, get("/api/v1/tasks", dairy))
		}
		// Two different IDs: one series under the route template, never the raw path.
		require.Equal(t, http.StatusNotFound, get("/api/v1/attachments/00000000-0000-7000-8000-00000000fff1", dairy))
		require.Equal(t, http.StatusNotFound, get("/api/v1/attachments/00000000-0000-7000-8000-00000000fff2", dairy))
		get("/api/v1/public/certificates?number=NOPE-1", "")
		get("/api/v1/public/certificates?number=NOPE-2", "")
		get("/no/such/path", "")

		code, body := e.scrape(testMetricsToken)
		require.Equal(t, http.StatusOK, code)
		require.Equal(t, 3.0, sample(t, body, `skillcert_http_requests_total{code="200",method="GET",route="/api/v1/tasks"}`))
		require.Equal(t, 2.0, sample(t, body, `skillcert_http_requests_total{code="404",method="GET",route="/api/v1/attachments/:id"}`))
		require.Equal(t, 3.0, sample(t, body, `skillcert_http_request_duration_seconds_count{method="GET",route="/api/v1/tasks"}`))
		require.Equal(t, 1.0, sample(t, body, `skillcert_http_requests_total{code="404",method="GET",route="unmatched"}`))
		require.NotContains(t, body, "fff1", "raw paths never become labels")
		require.NotContains(t, body, "NOPE", "query strings never become labels")
		require.Equal(t, 3.0, sample(t, body, `skillcert_inbox_query_duration_seconds_count`))
		require.Equal(t, 2.0, sample(t, body, `skillcert_public_query_duration_seconds_count`))
		require.Contains(t, body, "go_goroutines")

		// The scrape itself is counted under its own route.
		_, body = e.scrape(testMetricsToken)
		require.Equal(t, 1.0, sample(t, body, `skillcert_http_requests_total{code="200",method="GET",route="/metrics"}`))
	})
}

func TestMetricsNeedTheScrapeToken(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newMetricsEnv(t, db, metrics.New(), testMetricsToken)
		code, body := e.scrape("")
		require.Equal(t, http.StatusNotFound, code)
		require.NotContains(t, body, "skillcert_http")
		code, _ = e.scrape("wrong-token-0123456789")
		require.Equal(t, http.StatusNotFound, code)
		// A user's bearer token is no scrape token.
		code, _ = e.scrape(e.bearer("region"))
		require.Equal(t, http.StatusNotFound, code)

		// Without a configured token /metrics is not served on the main address at all.
		open := newMetricsEnv(t, db, metrics.New(), "")
		code, body = open.scrape("")
		require.Equal(t, http.StatusNotFound, code)
		require.NotContains(t, body, "skillcert_http")
	})
}
