package main

import (
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/service"
)

// TestPublicQueryUnderLoad drives the public certificate query with 200 concurrent clients on
// PostgreSQL and requires every answer to be a 200. It runs 5 s in CI; set
// SKILLCERT_LOAD_SECONDS=30 for the full run.
func TestPublicQueryUnderLoad(t *testing.T) {
	const clients, certificates = 200, 20_000
	seconds := 5
	if v, err := strconv.Atoi(os.Getenv("SKILLCERT_LOAD_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	ctx := context.Background()
	db, err := models.Open(ctx, dbtest.PostgresSchema(t))
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Migrate(ctx)
	require.NoError(t, err)
	_, err = db.SeedJurisdictions(ctx)
	require.NoError(t, err)
	ent := models.Enterprise{Name: "负载测试企业", CreditCode: "91150105MA0N00001B", JurisdictionCode: "150105", CreatedAt: time.Now().UTC(), UpdatedAt: time.Now().UTC()}
	require.NoError(t, db.CreateEnterprise(ctx, &ent))
	require.NoError(t, db.SeedBenchCertificates(ctx, ent.ID, certificates))

	enf, err := service.NewEnforcer(ctx, db)
	require.NoError(t, err)
	key := func(s string) []byte { b := make([]byte, 32); copy(b, s); return b }
	svc, err := service.New(service.Deps{DB: db, Enforcer: enf, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		DataKey: key("load-data"), LookupKey: key("load-lookup"), SigningKey: key("load-sign"), StorageDir: t.TempDir(),
		Config: service.Config{Throttle: domain.ThrottleBudgets{}}})
	require.NoError(t, err)
	// The clients share one loopback address; the per-address throttles (the process's bucket,
	// the database's query budget) are not under test.
	h, err := httpHandler(svc, api.Config{PublicURL: "http://load", SessionKey: key("load-session"), PublicQueryBurst: 1 << 30, PublicQueryEvery: time.Nanosecond})
	require.NoError(t, err)
	hs := httptest.NewServer(h)
	defer hs.Close()

	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}, Timeout: 30 * time.Second}
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var wg sync.WaitGroup
	for w := 0; w < clients; w++ {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for time.Now().Before(deadline) {
				g := r.IntN(certificates)
				resp, err := hc.Get(hs.URL + "/api/v1/public/certificates?number=" + models.BenchCertificateNumber(g) + "&name=" + url.QueryEscape(models.BenchHolderName(g)))
				if err == nil {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = &driver.StatusError{Method: http.MethodGet, Path: resp.Request.URL.Path, Status: resp.StatusCode}
					}
				}
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	t.Logf("%d clients, %d s: %d answers, %.0f per second, %d errors", clients, seconds, ok.Load(), float64(ok.Load())/float64(seconds), bad.Load())
	require.Zero(t, bad.Load(), "first error: %v", firstErr.Load())
	require.Positive(t, ok.Load())
}
