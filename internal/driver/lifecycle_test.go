package driver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"skillcert/models"
)

// A league's summary submitted before its workflow has taken in the cases' acceptance is
// refused (409) and stays open: the driver must not count it as submitted (it did, and the
// topology test's run waited forever for a summary nobody submitted again), and it submits
// again with a new request key (a refusal is final for its key).
func TestDecideOpenRetriesARefusedDecision(t *testing.T) {
	var mu sync.Mutex
	status := models.TaskOpen
	var keys []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		task := models.Task{ID: "league-2027-150100.submit_summary.0.0", Kind: "submit_summary", Status: status}
		switch r.Method + " " + r.URL.Path {
		case "POST /api/v1/auth/login":
			_ = json.NewEncoder(w).Encode(map[string]string{"csrf_token": "x"})
		case "GET /api/v1/tasks":
			var items []models.Task
			if status == models.TaskOpen {
				items = append(items, task)
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"items": items})
		case "GET /api/v1/tasks/" + task.ID:
			_ = json.NewEncoder(w).Encode(task)
		case "POST /api/v1/tasks/" + task.ID + "/decision":
			var body map[string]any
			_ = json.NewDecoder(r.Body).Decode(&body)
			keys = append(keys, body["request_key"].(string))
			if len(keys) == 1 {
				http.Error(w, `{"code":"refused","message":"汇总表中还没有审核通过的企业，无法报送。"}`, http.StatusConflict)
				return
			}
			status = "done"
			_ = json.NewEncoder(w).Encode(map[string]any{})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	d := New(srv.URL, "pw", nil, slog.New(slog.DiscardHandler))
	ctx := t.Context()
	acted, err := d.decideOpen(ctx, "hohhot", "submit_summary", map[string]any{"outcome": "submit"})
	require.NoError(t, err)
	require.False(t, acted, "a refused summary is not submitted")
	acted, err = d.decideOpen(ctx, "hohhot", "submit_summary", map[string]any{"outcome": "submit"})
	require.NoError(t, err)
	require.True(t, acted)
	require.Len(t, keys, 2)
	require.NotEqual(t, keys[0], keys[1], "the retry after a refusal takes a new request key")
}
