package metrics

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"
)

// Temporal returns a client.MetricsHandler that puts the Temporal SDK's metrics (requests,
// polls, workflow and activity task latencies, sticky cache …) in the registry: counters as
// <name>_total, gauges as <name>, timers as <name>_seconds histograms. Set it as
// client.Options.MetricsHandler of the process's Temporal client.
//
// Prometheus wants one label set per series name; the SDK's tags differ between call sites of
// the same metric now and then. The first label set seen for a name is kept: later missing
// tags are exported as "none", extra ones are dropped.
func (r *Registry) Temporal() client.MetricsHandler {
	r.temporalOnce.Do(func() {
		r.temporal = &sdkMetrics{reg: r.reg, families: map[string]*sdkFamily{}}
	})
	return sdkHandler{m: r.temporal}
}

type sdkMetrics struct {
	reg      prometheus.Registerer
	mu       sync.Mutex
	families map[string]*sdkFamily
}

type sdkFamily struct {
	labels  []string
	counter *prometheus.CounterVec
	gauge   *prometheus.GaugeVec
	timer   *prometheus.HistogramVec
}

type sdkKind int

const (
	sdkCounter sdkKind = iota
	sdkGauge
	sdkTimer
)

// sdkBuckets cover polls and task latencies: 1 ms to 60 s (long polls last up to a minute).
var sdkBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

func sanitize(s string) string {
	var b strings.Builder
	for i, c := range s {
		ok := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || (i > 0 && c >= '0' && c <= '9')
		if ok {
			b.WriteRune(c)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// family returns the series family of name, registering it with the label names of tags on
// first use; nil when the name is taken by a metric of another kind.
func (m *sdkMetrics) family(kind sdkKind, name string, tags map[string]string) *sdkFamily {
	switch kind {
	case sdkCounter:
		name += "_total"
	case sdkTimer:
		name += "_seconds"
	}
	name = sanitize(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if f, ok := m.families[name]; ok {
		return f
	}
	labels := make([]string, 0, len(tags))
	for k := range tags {
		labels = append(labels, sanitize(k))
	}
	slices.Sort(labels)
	labels = slices.Compact(labels)
	f := &sdkFamily{labels: labels}
	var c prometheus.Collector
	help := "Temporal SDK metric " + name + "."
	switch kind {
	case sdkCounter:
		f.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
		c = f.counter
	case sdkGauge:
		f.gauge = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
		c = f.gauge
	default:
		f.timer = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: sdkBuckets}, labels)
		c = f.timer
	}
	if err := m.reg.Register(c); err != nil {
		f = nil
	}
	m.families[name] = f
	return f
}

func (f *sdkFamily) values(tags map[string]string) []string {
	clean := make(map[string]string, len(tags))
	for k, v := range tags {
		clean[sanitize(k)] = v
	}
	out := make([]string, len(f.labels))
	for i, l := range f.labels {
		if v, ok := clean[l]; ok && v != "" {
			out[i] = v
		} else {
			out[i] = "none"
		}
	}
	return out
}

type sdkHandler struct {
	m    *sdkMetrics
	tags map[string]string
}

func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return sdkHandler{m: h.m, tags: merged}
}

func (h sdkHandler) Counter(name string) client.MetricsCounter {
	f := h.m.family(sdkCounter, name, h.tags)
	if f == nil || f.counter == nil {
		return client.MetricsNopHandler.Counter(name)
	}
	c := f.counter.WithLabelValues(f.values(h.tags)...)
	return counterFunc(func(d int64) {
		if d > 0 {
			c.Add(float64(d))
		}
	})
}

func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	f := h.m.family(sdkGauge, name, h.tags)
	if f == nil || f.gauge == nil {
		return client.MetricsNopHandler.Gauge(name)
	}
	g := f.gauge.WithLabelValues(f.values(h.tags)...)
	return gaugeFunc(g.Set)
}

func (h sdkHandler) Timer(name string) client.MetricsTimer {
	f := h.m.family(sdkTimer, name, h.tags)
	if f == nil || f.timer == nil {
		return client.MetricsNopHandler.Timer(name)
	}
	o := f.timer.WithLabelValues(f.values(h.tags)...)
	return timerFunc(func(d time.Duration) { o.Observe(d.Seconds()) })
}

type counterFunc func(int64)

func (f counterFunc) Inc(d int64) { f(d) }

type gaugeFunc func(float64)

func (f gaugeFunc) Update(v float64) { f(v) }

type timerFunc func(time.Duration)

func (f timerFunc) Record(d time.Duration) { f(d) }
