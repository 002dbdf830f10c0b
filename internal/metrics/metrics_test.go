package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
)

func scrape(t *testing.T, r *Registry) string {
	t.Helper()
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	return rec.Body.String()
}

func value(t *testing.T, body, series string) float64 {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` ([0-9.e+-]+)$`).FindStringSubmatch(body)
	require.NotNil(t, m, "no series %s in\n%s", series, body)
	v, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return v
}

func TestMiddlewareCountsServerErrorsByRoute(t *testing.T) {
	reg := New()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.Use(reg.Middleware())
	r.GET("/boom/:n", func(c *gin.Context) { c.Status(http.StatusServiceUnavailable) })
	for _, p := range []string{"/boom/1", "/boom/2"} {
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, p, nil))
	}
	body := scrape(t, reg)
	require.Equal(t, 2.0, value(t, body, `skillcert_http_request_errors_total{method="GET",route="/boom/:n"}`))
	require.Equal(t, 2.0, value(t, body, `skillcert_http_requests_total{code="503",method="GET",route="/boom/:n"}`))
}

func TestTemporalSDKMetricsAdapter(t *testing.T) {
	reg := New()
	h := reg.Temporal().WithTags(map[string]string{"namespace": "skillcert", "task_queue": "skillcert"})
	h.Counter("temporal_request").Inc(2)
	h.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_long_request").Inc(1)
	h.Gauge("temporal_num_pollers").Update(3)
	h.Timer("temporal_request_latency").Record(40 * time.Millisecond)
	// The same metric with another tag set: missing tags become "none", extra ones are dropped.
	reg.Temporal().WithTags(map[string]string{"namespace": "skillcert", "extra-tag": "x"}).Counter("temporal_request").Inc(1)
	body := scrape(t, reg)
	require.Equal(t, 2.0, value(t, body, `temporal_request_total{namespace="skillcert",task_queue="skillcert"}`))
	require.Equal(t, 1.0, value(t, body, `temporal_request_total{namespace="skillcert",task_queue="none"}`))
	require.Equal(t, 1.0, value(t, body, `temporal_long_request_total{namespace="skillcert",operation="StartWorkflowExecution",task_queue="skillcert"}`))
	require.Equal(t, 3.0, value(t, body, `temporal_num_pollers{namespace="skillcert",task_queue="skillcert"}`))
	require.Equal(t, 1.0, value(t, body, `temporal_request_latency_seconds_count{namespace="skillcert",task_queue="skillcert"}`))
	require.Equal(t, 0.04, value(t, body, `temporal_request_latency_seconds_sum{namespace="skillcert",task_queue="skillcert"}`))
	// A name used for another kind is dropped, not a panic.
	h.Gauge("temporal_request").Update(1)
}

func TestDatabaseGaugesOutboxAndFindings(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		reg := New()
		reg.WatchDatabase(db)
		body := scrape(t, reg)
		require.Equal(t, 0.0, value(t, body, `skillcert_outbox_backlog{state="pending"}`))
		require.Equal(t, 0.0, value(t, body, `skillcert_watchdog_findings{kind="overdue_task"}`))

		now := time.Now().UTC()
		for i, st := range []string{models.NotificationPending, models.NotificationPending, models.NotificationSending, models.NotificationSent} {
			require.NoError(t, db.WithContext(ctx).Create(&models.OutboxEntry{Notification: models.Notification{
				ID: models.NewID(), DedupeKey: "k" + strconv.Itoa(i), UserID: "u" + strconv.Itoa(i), Kind: "test", Subject: "s", Body: "b",
				Status: st, CreatedAt: now}}).Error)
		}
		resolved := now
		for _, f := range []models.Finding{
			{ID: models.NewID(), FindingKey: "a", Kind: models.FindingOverdueTask, Since: now, FirstSeen: now, LastSeen: now},
			{ID: models.NewID(), FindingKey: "b", Kind: models.FindingOverdueTask, Since: now, FirstSeen: now, LastSeen: now},
			{ID: models.NewID(), FindingKey: "c", Kind: models.FindingDrift, Since: now, FirstSeen: now, LastSeen: now},
			{ID: models.NewID(), FindingKey: "d", Kind: models.FindingDrift, Since: now, FirstSeen: now, LastSeen: now, ResolvedAt: &resolved},
		} {
			require.NoError(t, db.WithContext(ctx).Create(&f).Error)
		}
		body = scrape(t, reg)
		require.Equal(t, 2.0, value(t, body, `skillcert_outbox_backlog{state="pending"}`))
		require.Equal(t, 1.0, value(t, body, `skillcert_outbox_backlog{state="sending"}`))
		require.Equal(t, 2.0, value(t, body, `skillcert_watchdog_findings{kind="overdue_task"}`))
		require.Equal(t, 1.0, value(t, body, `skillcert_watchdog_findings{kind="drift"}`), "resolved findings are not counted")
		require.Equal(t, 0.0, value(t, body, `skillcert_watchdog_findings{kind="silent_case"}`))
		require.Equal(t, 0.0, value(t, body, `skillcert_metrics_database_errors_total`))
	})
}
