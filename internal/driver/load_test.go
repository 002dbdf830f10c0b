package driver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/workflows"
)

// A thousand cases' requests must not reach the server together: unbounded, they overran its
// wait for Temporal, were answered 503 and sent again. At most MaxInFlight are under way.
func TestRequestsUnderWayAreBounded(t *testing.T) {
	var now, peak atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/auth/login" {
			_ = json.NewEncoder(w).Encode(map[string]string{"csrf_token": "x"})
			return
		}
		n := now.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(20 * time.Millisecond)
		now.Add(-1)
		_, _ = w.Write([]byte("{}"))
	}))
	defer srv.Close()
	d := New(srv.URL, "pw", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var wg sync.WaitGroup
	for range 4 * MaxInFlight {
		wg.Go(func() {
			require.NoError(t, d.call(context.Background(), "region", http.MethodGet, "/api/v1/cases/x", nil, nil))
		})
	}
	wg.Wait()
	require.LessOrEqual(t, peak.Load(), int64(MaxInFlight))
	require.Positive(t, peak.Load())
}

// A case waiting for its league's report is woken when the report is taken, and the next case
// to wait gets a new channel; a case at its own step has none to wait on.
func TestCasesWaitingForACampaignStepAreWoken(t *testing.T) {
	d := New("http://unused", "pw", nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Nil(t, d.barrier(workflows.StageLeagueReview, "150100"))
	summary := d.barrier(workflows.StageInSummary, "150100")
	publication := d.barrier(workflows.StageAwaitingPublication, "150100")
	d.release("150100")
	select {
	case <-summary:
	default:
		t.Fatal("the league's report did not wake its waiting cases")
	}
	select {
	case <-publication:
		t.Fatal("the league's report woke the cases waiting for the publication")
	default:
	}
	next := d.barrier(workflows.StageInSummary, "150100")
	select {
	case <-next:
		t.Fatal("a case waiting after the report must wait for the next one")
	default:
	}
	d.release("")
	<-publication
}
