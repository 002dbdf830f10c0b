// Package metrics is the processes' Prometheus instrumentation: HTTP requests by route
// template, the inbox's and the public query's latency, the notification outbox's backlog,
// the watchdog's open findings by kind, and the Temporal SDK's own metrics (temporal.go).
// Each process builds one Registry and serves it on /metrics (see api.Config.Metrics and the
// worker's listener); nothing here registers with Prometheus's global registry, so tests may
// build as many as they like.
package metrics

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"skillcert/models"
)

// Namespace prefixes every series of the application.
const Namespace = "skillcert"

// Registry holds a process's collectors.
type Registry struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	inbox    prometheus.Histogram
	public   prometheus.Histogram

	temporalOnce sync.Once
	temporal     *sdkMetrics
}

// latencyBuckets suit pages and API calls: 5 ms to 10 s.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// New returns a Registry with the Go runtime's and the process's collectors.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	r.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_requests_total",
		Help: "HTTP requests served, by method, route template and status code."}, []string{"method", "route", "code"})
	r.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: "http_request_errors_total",
		Help: "HTTP requests answered with a 5xx status, by method and route template."}, []string{"method", "route"})
	r.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: "http_request_duration_seconds",
		Help: "Time to serve an HTTP request, by method and route template.", Buckets: latencyBuckets}, []string{"method", "route"})
	r.inbox = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "inbox_query_duration_seconds",
		Help: "Time to serve an inbox (the task list: page and API).", Buckets: latencyBuckets})
	r.public = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: Namespace, Name: "public_query_duration_seconds",
		Help: "Time to serve a public certificate query (page and API).", Buckets: latencyBuckets})
	r.reg.MustRegister(r.requests, r.errors, r.latency, r.inbox, r.public,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return r
}

// Prometheus is the underlying registry (to register more collectors, or gather in tests).
func (r *Registry) Prometheus() *prometheus.Registry { return r.reg }

// Handler serves the registry in the Prometheus exposition format.
func (r *Registry) Handler() http.Handler {
	return promhttp.HandlerFor(r.reg, promhttp.HandlerOpts{Registry: r.reg})
}

// Routes whose latency is also recorded in the inbox and public-query histograms.
var (
	inboxRoutes  = map[string]bool{"/inbox": true, "/api/v1/tasks": true}
	publicRoutes = map[string]bool{"/query": true, "/api/v1/public/certificates": true}
)

// Middleware counts and times every request by its route template (gin's FullPath, never the
// raw path: IDs in paths would explode the series); requests no route matched are "unmatched".
func (r *Registry) Middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		elapsed := time.Since(start).Seconds()
		route := c.FullPath()
		if route == "" {
			route = "unmatched"
		}
		method, status := c.Request.Method, c.Writer.Status()
		r.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
		if status >= 500 {
			r.errors.WithLabelValues(method, route).Inc()
		}
		r.latency.WithLabelValues(method, route).Observe(elapsed)
		if inboxRoutes[route] && method == http.MethodGet {
			r.inbox.Observe(elapsed)
		}
		if publicRoutes[route] {
			r.public.Observe(elapsed)
		}
	}
}

// WatchDatabase adds the gauges read from the database at each scrape: the notification
// outbox's backlog (pending and in-flight notifications) and the watchdog's open findings by
// kind. A scrape waits at most 5 s for them; on a database error they are left out of that
// scrape (and skillcert_metrics_database_errors_total counts it).
func (r *Registry) WatchDatabase(db *models.DB) {
	r.reg.MustRegister(&dbCollector{db: db,
		errs: prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: "metrics_database_errors_total",
			Help: "Scrapes whose database gauges could not be read."})})
}

var (
	outboxDesc = prometheus.NewDesc(Namespace+"_outbox_backlog", "Notifications waiting for delivery, by state (pending, sending).",
		[]string{"state"}, nil)
	findingsDesc = prometheus.NewDesc(Namespace+"_watchdog_findings", "Open (unresolved) findings of the stalled-case watchdog, by kind.",
		[]string{"kind"}, nil)
)

// findingKinds are always exported, at 0 when there is none of a kind.
var findingKinds = []string{models.FindingOverdueTask, models.FindingSilentCase, models.FindingRetryingActivity,
	models.FindingDrift, models.FindingNoNextStep}

type dbCollector struct {
	db   *models.DB
	errs prometheus.Counter
}

func (d *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- outboxDesc
	ch <- findingsDesc
	d.errs.Describe(ch)
}

func (d *dbCollector) Collect(ch chan<- prometheus.Metric) {
	defer d.errs.Collect(ch)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	type count struct {
		Name string
		N    int64
	}
	var outbox []count
	if err := d.db.WithContext(ctx).Model(&models.OutboxEntry{}).Select("status AS name, COUNT(*) AS n").
		Where("status IN ?", []string{models.NotificationPending, models.NotificationSending}).
		Group("status").Scan(&outbox).Error; err != nil {
		d.errs.Inc()
	} else {
		byState := map[string]int64{models.NotificationPending: 0, models.NotificationSending: 0}
		for _, c := range outbox {
			byState[c.Name] = c.N
		}
		for state, n := range byState {
			ch <- prometheus.MustNewConstMetric(outboxDesc, prometheus.GaugeValue, float64(n), state)
		}
	}
	var findings []count
	if err := d.db.WithContext(ctx).Model(&models.Finding{}).Select("kind AS name, COUNT(*) AS n").
		Where("resolved_at IS NULL").Group("kind").Scan(&findings).Error; err != nil {
		d.errs.Inc()
		return
	}
	byKind := map[string]int64{}
	for _, k := range findingKinds {
		byKind[k] = 0
	}
	for _, c := range findings {
		byKind[c.Name] = c.N
	}
	for kind, n := range byKind {
		ch <- prometheus.MustNewConstMetric(findingsDesc, prometheus.GaugeValue, float64(n), kind)
	}
}
