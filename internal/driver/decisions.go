package driver

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"skillcert/models"
	"skillcert/workflows"
)

// DecisionRun is what Decide measured.
type DecisionRun struct {
	// Latencies: from a decision's POST to the task read back closed (the committed projection).
	Latencies []time.Duration
	// Conflicts: decisions that found their task closed or claimed by another session.
	Conflicts int
	Elapsed   time.Duration
}

// Submit submits every enterprise's application (those not submitted yet), concurrently, and
// waits until each case has its first task: the supply of tasks Decide works through.
func (d *Driver) Submit(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(d.enterprises))
	sem := make(chan struct{}, 16)
	for i, e := range d.enterprises {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if _, err := d.ensureSubmitted(ctx, e); err != nil {
				errs[i] = fmt.Errorf("%s: %w", e.Username, err)
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// decider is an account whose decisions Decide takes, with the inbox view it works from.
type decider struct{ user, view, kind string }

// demoDeciders are the deciders on the embedded stack: the demo league officials, the region
// and the experts.
var demoDeciders = []decider{
	{"hohhot", models.ViewAll, workflows.KindLeagueReview}, {"baotou", models.ViewAll, workflows.KindLeagueReview},
	{"ordos", models.ViewAll, workflows.KindLeagueReview}, {"region", models.ViewAll, workflows.KindRegionDecision},
	{"expert1", models.ViewMine, workflows.KindExpertScore}, {"expert2", models.ViewMine, workflows.KindExpertScore},
	{"expert3", models.ViewMine, workflows.KindExpertScore}, {"expert4", models.ViewMine, workflows.KindExpertScore},
}

// decisionBody is the decision an official takes on a task of the straight path that needs no
// enterprise: the league accepts, the expert scores, the region approves into batch 1.
func decisionBody(kind string) map[string]any {
	switch kind {
	case workflows.KindLeagueReview:
		return map[string]any{"outcome": "accept"}
	case workflows.KindExpertScore:
		return map[string]any{"outcome": "score", "score": 86, "comment": "条件具备，建议入选"}
	case workflows.KindRegionDecision:
		return map[string]any{"outcome": "batch1", "approved": benchApproved}
	}
	return nil
}

// Decide has officials concurrent sessions (spread over the league officials, the region and
// the experts, each session with its own login) decide the open tasks of the submitted cases
// for up to duration, each session one decision after another. A session of an account takes
// the tasks whose ID hashes to it, so sessions of one account rarely collide. Each decision is
// timed from its POST until GET /api/v1/tasks/{id} reads the task closed. The run ends at
// the duration, or when no session has found a task for idle.
func (d *Driver) Decide(ctx context.Context, officials int, duration, idle time.Duration) (DecisionRun, error) {
	type session struct {
		c                *demoClient
		user, view, kind string
		slot, of         int
	}
	sessions := make([]session, officials)
	deciders := d.deciders
	if len(deciders) == 0 {
		deciders = demoDeciders
	}
	per := map[string]int{}
	for i := range sessions {
		a := deciders[i%len(deciders)]
		sessions[i] = session{user: a.user, view: a.view, kind: a.kind, slot: per[a.user]}
		per[a.user]++
	}
	var wg sync.WaitGroup
	errs := make([]error, officials)
	for i := range sessions {
		sessions[i].of = per[sessions[i].user]
		wg.Go(func() {
			errs[i] = d.wait(ctx, func() (err error) {
				sessions[i].c, err = newDemoClient(ctx, d.base, sessions[i].user, d.password)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return DecisionRun{}, err
	}

	var (
		mu        sync.Mutex
		run       DecisionRun
		lastFound atomic.Int64
	)
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	start := time.Now()
	deadline := start.Add(duration)
	lastFound.Store(start.UnixNano())
	mine := func(s session, id string) bool {
		h := fnv.New32a()
		h.Write([]byte(id))
		return int(h.Sum32()%uint32(s.of)) == s.slot
	}
	for _, s := range sessions {
		wg.Go(func() {
			var lat []time.Duration
			conflicts := 0
			defer func() {
				mu.Lock()
				run.Latencies = append(run.Latencies, lat...)
				run.Conflicts += conflicts
				mu.Unlock()
			}()
			for time.Now().Before(deadline) && ctx.Err() == nil && time.Since(time.Unix(0, lastFound.Load())) < idle {
				var l struct {
					Items []models.Task `json:"items"`
				}
				if err := s.c.do(ctx, http.MethodGet, "/api/v1/tasks?view="+s.view+"&kind="+s.kind, nil, &l); err != nil {
					cancel(fmt.Errorf("inbox of %s: %w", s.user, err))
					return
				}
				var t *models.Task
				for i := range l.Items {
					if l.Items[i].Status == models.TaskOpen && mine(s, l.Items[i].ID) {
						t = &l.Items[i]
						break
					}
				}
				if t == nil {
					time.Sleep(100 * time.Millisecond) // an idle official looks again; polling harder would load the server
					continue
				}
				lastFound.Store(time.Now().UnixNano())
				body := decisionBody(t.Kind)
				body["request_key"] = "bench-decision"
				t0 := time.Now()
				// A 503 (the Update outlasted the server's wait) is retried with the same request
				// key, which the server decides once; the latency counts from the first POST.
				err := d.wait(ctx, func() error { return s.c.do(ctx, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil) })
				if st := statusOf(err); st == http.StatusConflict {
					conflicts++
					continue
				}
				if err != nil {
					cancel(fmt.Errorf("%s decides %s %s: %w", s.user, t.Kind, t.ID, err))
					return
				}
				for {
					var cur models.Task
					if err := s.c.do(ctx, http.MethodGet, "/api/v1/tasks/"+t.ID, nil, &cur); err != nil {
						cancel(fmt.Errorf("task %s: %w", t.ID, err))
						return
					}
					if cur.Status != models.TaskOpen {
						break
					}
					time.Sleep(2 * time.Millisecond)
				}
				lat = append(lat, time.Since(t0))
				d.Writes.Add(1)
			}
		})
	}
	wg.Wait()
	run.Elapsed = time.Since(start)
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return run, err
	}
	return run, nil
}
