package driver

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
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

// summaryKinds are the league's campaign-wide reports: accepted cases go on to the expert
// panel only once their league has reported them (the summary, or the supplementary report of
// the cases accepted after it).
var summaryKinds = []string{workflows.KindSubmitSummary, workflows.KindSupplementarySummary}

// summaryBody is the league's report, with its contact (a landline of the league's area).
func summaryBody(t models.Task) map[string]any {
	if t.Kind == workflows.KindSupplementarySummary {
		return map[string]any{"outcome": "submit"}
	}
	area, ok := benchAreaCodes[t.LeagueCode]
	if !ok {
		area = "0471"
	}
	return map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "(" + area + ")6606214"}
}

// Pause is an official's time between two decisions around think: uniformly from half to one
// and a half times it, so that the sessions do not click in step.
func Pause(think time.Duration) time.Duration {
	return think/2 + rand.N(think)
}

// Decide has officials concurrent sessions decide the open tasks of the submitted cases for up
// to duration, each session one decision after another. The deciders' accounts (the league
// officials, the region and the experts) are spread over the sessions: with more sessions than
// accounts an account has several sessions, each with its own login, and takes the tasks whose
// ID hashes to that session, so sessions of one account rarely collide; with fewer, a session
// holds several accounts' logins and works through their inboxes in turn (every account must
// act, or the cases stop: the three drawn experts all score before the region decides). Each
// decision is timed from its POST until GET /api/v1/tasks/{id} reads the task closed. A
// league's first session also takes the league's summary once no review of the league is open
// (and its supplementary report when a case is accepted after it): not timed, but without it
// no expert is drawn. The run ends at the duration, or when no session has found a task for
// idle.
func (d *Driver) Decide(ctx context.Context, officials int, duration, idle time.Duration) (DecisionRun, error) {
	// role is one login of an account in a session.
	type role struct {
		c                *demoClient
		user, view, kind string
		slot, of         int
	}
	deciders := d.deciders
	if len(deciders) == 0 {
		deciders = demoDeciders
	}
	roles := make([]role, max(officials, len(deciders)))
	per := map[string]int{}
	for i := range roles {
		a := deciders[i%len(deciders)]
		roles[i] = role{user: a.user, view: a.view, kind: a.kind, slot: per[a.user]}
		per[a.user]++
	}
	var wg sync.WaitGroup
	errs := make([]error, len(roles))
	for i := range roles {
		roles[i].of = per[roles[i].user]
		wg.Go(func() {
			errs[i] = d.wait(ctx, func() (err error) {
				roles[i].c, err = newDemoClient(ctx, d.base, roles[i].user, d.password)
				return err
			})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return DecisionRun{}, err
	}
	sessions := make([][]role, officials)
	for i, r := range roles {
		sessions[i%officials] = append(sessions[i%officials], r)
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
	mine := func(r role, id string) bool {
		h := fnv.New32a()
		h.Write([]byte(id))
		return int(h.Sum32()%uint32(r.of)) == r.slot
	}
	inbox := func(r role, view, kind string) ([]models.Task, error) {
		var l struct {
			Items []models.Task `json:"items"`
		}
		if err := r.c.do(ctx, http.MethodGet, "/api/v1/tasks?view="+view+"&kind="+kind, nil, &l); err != nil {
			return nil, fmt.Errorf("inbox of %s: %w", r.user, err)
		}
		return l.Items, nil
	}
	// report submits the league's open summary or supplementary report; it reports whether
	// there was one.
	report := func(r role) (bool, error) {
		for _, kind := range summaryKinds {
			items, err := inbox(r, models.ViewAll, kind)
			if err != nil {
				return false, err
			}
			for _, t := range items {
				if t.Status != models.TaskOpen {
					continue
				}
				body := summaryBody(t)
				body["request_key"] = "bench-summary"
				err := d.wait(ctx, func() error { return r.c.do(ctx, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil) })
				if statusOf(err) == http.StatusConflict {
					continue
				}
				if err != nil {
					return false, fmt.Errorf("%s reports %s %s: %w", r.user, kind, t.ID, err)
				}
				d.Writes.Add(1)
				return true, nil
			}
		}
		return false, nil
	}
	// step has r decide one of its open tasks, if it has one; it reports whether it found one.
	step := func(r role, lat *[]time.Duration, conflicts *int) (bool, error) {
		items, err := inbox(r, r.view, r.kind)
		if err != nil {
			return false, err
		}
		var t *models.Task
		open := false
		for i := range items {
			if items[i].Status != models.TaskOpen {
				continue
			}
			open = true
			if mine(r, items[i].ID) {
				t = &items[i]
				break
			}
		}
		if t == nil {
			if open || r.kind != workflows.KindLeagueReview || r.slot != 0 {
				return false, nil
			}
			return report(r)
		}
		body := decisionBody(t.Kind)
		body["request_key"] = "bench-decision"
		t0 := time.Now()
		// A 503 (the Update outlasted the server's wait) is retried with the same request
		// key, which the server decides once; the latency counts from the first POST.
		err = d.wait(ctx, func() error { return r.c.do(ctx, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil) })
		if statusOf(err) == http.StatusConflict {
			*conflicts++
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("%s decides %s %s: %w", r.user, t.Kind, t.ID, err)
		}
		for {
			var cur models.Task
			if err := r.c.do(ctx, http.MethodGet, "/api/v1/tasks/"+t.ID, nil, &cur); err != nil {
				return false, fmt.Errorf("task %s: %w", t.ID, err)
			}
			if cur.Status != models.TaskOpen {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		*lat = append(*lat, time.Since(t0))
		d.Writes.Add(1)
		return true, nil
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
				found := false
				for _, r := range s {
					ok, err := step(r, &lat, &conflicts)
					if err != nil {
						cancel(err)
						return
					}
					if ok {
						found = true
						lastFound.Store(time.Now().UnixNano())
					}
				}
				if !found {
					time.Sleep(100 * time.Millisecond) // an idle official looks again; polling harder would load the server
				} else if d.Think > 0 {
					time.Sleep(Pause(d.Think))
				}
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
