package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// Driver takes enterprise cases through every stage, from the application to issued
// certificates, through the HTTP API, acting as each person would: the enterprise, its league,
// the drawn experts, the region and the appraisal centre. Every round reads the case as the
// server has it and does what is due next, so the server may crash and restart at any point:
// the driver waits for it and goes on from what the server says (decisions and sittings carry
// request keys, so a request whose answer was lost acts once).
type Driver struct {
	base, password string
	enterprises    []models.BenchEnterprise
	log            *slog.Logger
	// patience is how long the server may stay unreachable before the driver gives up.
	patience time.Duration

	mu      sync.Mutex
	clients map[string]*demoClient
	experts map[string]string // user ID → username
	stages  map[string]string // case ID → last stage seen
	leagues map[string]string // case ID → league code
	refused map[string]int    // task ID → decisions refused (decideOpen)
	// released wakes the cases that wait for a campaign-wide step: a league's report (key: the
	// league code) or the directory's publication (key: ""). runOfficials closes a key's
	// channel when it takes the step, and the next case to wait gets a new one.
	released map[string]chan struct{}
	sittings map[string]string // case ID → its sitting's ID, once planned
	// inflight bounds the requests under way at once (see MaxInFlight).
	inflight chan struct{}

	// Writes counts the requests that changed something (decisions, forms, sittings).
	Writes atomic.Int64
	// deciders take Decide's decisions (default: demoDeciders).
	deciders []decider
	// OfficialsPassword, when set, is the password of the officials and experts (region, centre,
	// expert1–expert4, the league officials) where it differs from the enterprises' (a running
	// deployment's own accounts, with the enterprises the benchmark registered).
	OfficialsPassword string
	// Think is, in Decide, an official's time between deciding one task and the next (around
	// it: see Pause); zero decides one task after another (the server's saturation).
	Think time.Duration
}

// benchLeagueOfficials are the demo league officials of the benchmark enterprises' leagues.
var benchLeagueOfficials = map[string]string{"150100": "hohhot", "150200": "baotou", "150600": "ordos"}

// benchAreaCodes are the leagues' telephone area codes, for the application's landline.
var benchAreaCodes = map[string]string{"150100": "0471", "150200": "0472", "150600": "0477"}

// stageRank is a stage's place on a case's way through (workflows.Stages).
func stageRank(stage string) int { return slices.Index(workflows.Stages, stage) }

// benchCandidates are the sitting's candidates with their scores: two pass, one fails.
var benchCandidates = []struct {
	name          string
	theory, skill int
}{{"考生甲", 82, 76}, {"考生乙", 91, 88}, {"考生丙", 52, 70}}

// benchApproved is the directory scope the region approves for every benchmark enterprise.
var benchApproved = []map[string]any{{"code": "6-31-01-03", "name": "电工", "levels": map[string]int{"low": 5, "high": 4}}}

func New(base, password string, enterprises []models.BenchEnterprise, log *slog.Logger) *Driver {
	return &Driver{base: base, password: password, enterprises: enterprises, log: log, patience: 3 * time.Minute,
		clients: map[string]*demoClient{}, experts: map[string]string{}, stages: map[string]string{}, leagues: map[string]string{},
		refused: map[string]int{}, released: map[string]chan struct{}{}, sittings: map[string]string{}, inflight: make(chan struct{}, MaxInFlight)}
}

// MaxInFlight is how many of the driver's requests may be under way at once, as many people as
// are at their desks clicking at one moment. Unbounded, a thousand cases' decisions went to the
// server together, each waited for Temporal beyond the server's five seconds, was answered 503
// and sent again: the overload fed itself.
const MaxInFlight = 32

// barrier is the channel a case in stage waits on when its next step is campaign-wide (its
// league's report, the directory's publication), nil when its next step is its own.
func (d *Driver) barrier(stage, league string) <-chan struct{} {
	key := league
	switch stage {
	case workflows.StageInSummary:
	case workflows.StageAwaitingPublication:
		key = ""
	default:
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ch, ok := d.released[key]
	if !ok {
		ch = make(chan struct{})
		d.released[key] = ch
	}
	return ch
}

// release wakes the cases waiting for the campaign-wide step of key (see released).
func (d *Driver) release(key string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ch, ok := d.released[key]; ok {
		close(ch)
		delete(d.released, key)
	}
}

// idleCap is the longest a case waits before reading itself again while it waits for the
// server (a decision's effects, a sitting's publicity): a case reads itself after 20 ms, then
// twice as long each time, up to this cap, which grows with the number of cases so that their
// reads together stay about 200 a second (at a fixed cap the reads grew with the number of
// cases, each read slowed every case down, and the waiting cases read themselves the more:
// at 200 cases each case was read 130 times, at 50 39 times).
func (d *Driver) idleCap() time.Duration {
	return max(160*time.Millisecond, time.Duration(len(d.enterprises))*5*time.Millisecond)
}

// barrierPoll is how often a case waiting for a campaign-wide step reads itself again without
// being woken (a step taken before a crash, or by somebody else): rarely, so that the reads of
// the waiting cases do not grow with their number (every case polling at its busy pace made the
// server's load grow with the number of cases, and a run's time with its square).
func (d *Driver) barrierPoll() time.Duration {
	return max(time.Second, time.Duration(len(d.enterprises))*5*time.Millisecond)
}

// unreachable tells whether err means the server is not answering (down or restarting).
func unreachable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status == http.StatusBadGateway || se.Status == http.StatusServiceUnavailable || se.Status == http.StatusGatewayTimeout
	}
	return err != nil && !errors.Is(err, context.Canceled)
}

// statusOf is the HTTP status of an error of the server, 0 for others.
func statusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

// client is the logged-in session of a user, logging in (again) when needed.
func (d *Driver) client(ctx context.Context, user string) (*demoClient, error) {
	d.mu.Lock()
	c := d.clients[user]
	d.mu.Unlock()
	if c != nil {
		return c, nil
	}
	password := d.password
	if d.OfficialsPassword != "" && !slices.ContainsFunc(d.enterprises, func(e models.BenchEnterprise) bool { return e.Username == user }) {
		password = d.OfficialsPassword
	}
	var err error
	if err = d.wait(ctx, func() error { c, err = newDemoClient(ctx, d.base, user, password); return err }); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.clients[user] = c
	d.mu.Unlock()
	return c, nil
}

// wait runs f until it succeeds or fails for another reason than an unreachable server.
func (d *Driver) wait(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(d.patience)
	for {
		err := f()
		if err == nil || !unreachable(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// call sends a JSON request as user, waiting out a server that is down.
func (d *Driver) call(ctx context.Context, user, method, path string, body, out any) error {
	return d.wait(ctx, func() error {
		c, err := d.client(ctx, user)
		if err != nil {
			return err
		}
		select {
		case d.inflight <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		err = c.do(ctx, method, path, body, out)
		<-d.inflight
		if statusOf(err) == http.StatusUnauthorized {
			d.mu.Lock()
			delete(d.clients, user)
			d.mu.Unlock()
		}
		return err
	})
}

// write is call for a request that changes something; it is counted.
func (d *Driver) write(ctx context.Context, user, method, path string, body, out any) error {
	err := d.call(ctx, user, method, path, body, out)
	if err == nil {
		d.Writes.Add(1)
	}
	return err
}

// decide decides a task once: the request key makes a repeat (after a lost answer) harmless,
// and a task someone closed meanwhile (409) is not an error.
func (d *Driver) decide(ctx context.Context, user string, t models.Task, body map[string]any) error {
	body["request_key"] = "bench"
	err := d.write(ctx, user, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil)
	if statusOf(err) == http.StatusConflict {
		return nil
	}
	return err
}

// run drives every enterprise's case to issued certificates, all at once (a case waits for its
// league's summary and the publication, which wait for every case), with the officials'
// campaign-wide steps taken as soon as they are due.
func (d *Driver) Run(ctx context.Context) error {
	if err := d.loadExperts(ctx); err != nil {
		return err
	}
	if err := d.LogIn(ctx); err != nil {
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(chan struct{})
	var officials sync.WaitGroup
	officials.Go(func() {
		if err := d.runOfficials(ctx, done); err != nil {
			cancel(err)
		}
	})
	var wg sync.WaitGroup
	for _, e := range d.enterprises {
		wg.Go(func() {
			if err := d.runCase(ctx, e); err != nil {
				cancel(fmt.Errorf("%s: %w", e.Username, err))
			}
		})
	}
	wg.Wait()
	close(done)
	officials.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// LogIn logs every actor in (a password check is deliberately slow), so that run measures the
// work of the cases, not the logins.
func (d *Driver) LogIn(ctx context.Context) error {
	users := []string{"region", "centre"}
	for _, u := range benchLeagueOfficials {
		users = append(users, u)
	}
	for _, e := range d.enterprises {
		users = append(users, e.Username)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(users))
	for i, u := range users {
		wg.Go(func() { _, errs[i] = d.client(ctx, u) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// loadExperts learns the expert accounts' user IDs (tasks name their assignee by ID).
func (d *Driver) loadExperts(ctx context.Context) error {
	for _, u := range []string{"expert1", "expert2", "expert3", "expert4"} {
		var me struct {
			User models.User `json:"user"`
		}
		if err := d.call(ctx, u, http.MethodGet, "/api/v1/me", nil, &me); err != nil {
			return err
		}
		d.experts[me.User.ID] = u
	}
	return nil
}

// CaseDetail is the case as GET /api/v1/cases/{id} answers.
type caseDetail struct {
	models.Case
	Tasks []models.Task `json:"tasks"`
}

// sittingDetail is a sitting as GET /api/v1/sessions/{id} answers.
type sittingDetail struct {
	models.AssessmentSession
	// ExamDate is the planned day (YYYY-MM-DD): the API answers a date, not the instant the
	// row holds.
	ExamDate   string                    `json:"exam_date"`
	Candidates []models.SessionCandidate `json:"candidates"`
	Records    []models.Attachment       `json:"records"`
}

// runCase takes one enterprise's case from its application to issued certificates.
func (d *Driver) runCase(ctx context.Context, e models.BenchEnterprise) error {
	caseID, err := d.ensureSubmitted(ctx, e)
	if err != nil {
		return err
	}
	submitted := time.Now()
	d.mu.Lock()
	d.leagues[caseID] = e.League
	d.mu.Unlock()
	idle := 20 * time.Millisecond
	for {
		var cs caseDetail
		err := d.call(ctx, "region", http.MethodGet, "/api/v1/cases/"+caseID, nil, &cs)
		if statusOf(err) == http.StatusNotFound && time.Since(submitted) < d.patience {
			// The case workflow writes the case row a moment after the submission (and if the
			// server stopped before starting it, the server hands the submission over when it is
			// back: the driver does not help).
			time.Sleep(200 * time.Millisecond)
			continue
		}
		if err != nil {
			return err
		}
		d.mu.Lock()
		d.stages[caseID] = cs.Stage
		d.mu.Unlock()
		if cs.Stage == workflows.StageSuspended || cs.Stage == workflows.StageClosed || stageRank(cs.Stage) < 0 {
			return fmt.Errorf("case %s left the straight path: stage %s", caseID, cs.Stage)
		}
		acted := false
		if cs.Stage == workflows.StageActive {
			issued, did, err := d.sitting(ctx, e, caseID)
			if err != nil || issued {
				if issued {
					d.log.Info("certificates issued", "enterprise", e.Username)
				}
				return err
			}
			acted = did
		}
		for _, t := range cs.Tasks {
			did, err := d.act(ctx, e, t)
			if err != nil {
				return fmt.Errorf("%s task %s: %w", t.Kind, t.ID, err)
			}
			acted = acted || did
		}
		if acted {
			idle = 20 * time.Millisecond
			continue
		}
		wait, wake := idle, d.barrier(cs.Stage, e.League)
		if wake != nil {
			wait = d.barrierPoll()
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
			idle = 20 * time.Millisecond
			continue
		case <-time.After(wait):
		}
		idle = min(idle*2, d.idleCap())
	}
}

// ensureSubmitted submits the enterprise's application unless it has been already; it returns
// the application's (and case's) ID.
func (d *Driver) ensureSubmitted(ctx context.Context, e models.BenchEnterprise) (string, error) {
	var v struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	for {
		if err := d.call(ctx, e.Username, http.MethodGet, "/api/v1/applications/mine", nil, &v); err != nil {
			return "", err
		}
		if v.Status != models.ApplicationDraft {
			return v.ID, nil
		}
		err := d.wait(ctx, func() error {
			c, err := d.client(ctx, e.Username)
			if err != nil {
				return err
			}
			_, err = c.submitAs(ctx, demoEnterprise{Name: e.Name, Address: e.Address, Credit: e.CreditCode, Area: benchAreaCodes[e.League]})
			return err
		})
		switch {
		case err == nil:
			d.Writes.Add(1)
			return v.ID, nil
		case statusOf(err) != http.StatusConflict:
			// 409: a submission or draft save whose answer was lost went through; read again.
			return "", err
		}
	}
}

// act does a case task's decision as the person it waits for; it reports whether it acted.
func (d *Driver) act(ctx context.Context, e models.BenchEnterprise, t models.Task) (bool, error) {
	var user string
	body := map[string]any{}
	switch t.Kind {
	case workflows.KindLeagueReview:
		user, body["outcome"] = benchLeagueOfficials[e.League], "accept"
	case workflows.KindExpertScore:
		d.mu.Lock()
		user = d.experts[t.AssigneeID]
		d.mu.Unlock()
		body["outcome"], body["score"], body["comment"] = "score", 86, "条件具备，建议入选"
	case workflows.KindRegionDecision:
		user, body["outcome"], body["approved"] = "region", "batch1", benchApproved
	case workflows.KindWorkPlan:
		user, body["outcome"] = e.Username, "submit"
		docs, err := d.workPlan(ctx, e.Username)
		if err != nil {
			return false, err
		}
		body["documents"] = docs
	case workflows.KindFileWorkPlan:
		user, body["outcome"] = "region", "file"
	case workflows.KindSubmitResults:
		// Only once every candidate has scores (sitting sees to that first).
		ready, err := d.sittingScored(ctx, t.CaseID)
		if err != nil || !ready {
			return false, err
		}
		// And with the sitting's original records (签到表, 试卷, 成绩登记表, 录像索引).
		if err := d.sittingRecords(ctx, e.Username, t.CaseID); err != nil {
			return false, err
		}
		user, body["outcome"] = e.Username, "submit"
	case workflows.KindAuditResults:
		user, body["outcome"] = "centre", "approve"
	default:
		return false, fmt.Errorf("unexpected task %s on the straight path", t.Kind)
	}
	if user == "" {
		return false, fmt.Errorf("no account for the task's assignee %s", t.AssigneeID)
	}
	return true, d.decide(ctx, user, t, body)
}

// workPlan uploads the work plan and the evaluation specification and returns them as the
// decision's documents.
func (d *Driver) workPlan(ctx context.Context, user string) ([]map[string]string, error) {
	var docs []map[string]string
	for _, doc := range []struct{ kind, purpose, name string }{
		{"work_plan", models.PurposeWorkPlan, "工作方案.pdf"}, {"evaluation_spec", models.PurposeEvaluationSpec, "评价规范.pdf"},
	} {
		var ref models.AttachmentRef
		err := d.wait(ctx, func() error {
			c, err := d.client(ctx, user)
			if err != nil {
				return err
			}
			ref, err = c.upload(ctx, doc.purpose, doc.name)
			return err
		})
		if err != nil {
			return nil, err
		}
		docs = append(docs, map[string]string{"kind": doc.kind, "attachment_id": ref.ID, "name": ref.Name})
	}
	return docs, nil
}

// sitting plans the case's sitting, registers its candidates and enters their scores, as far as
// not done yet; it reports whether the certificates are issued and whether it acted.
func (d *Driver) sitting(ctx context.Context, e models.BenchEnterprise, caseID string) (issued, acted bool, err error) {
	s, err := d.sittingOf(ctx, caseID)
	if err != nil {
		return false, false, err
	}
	if s == nil {
		// The panel: three of the 考评人员 declared in the application, chosen by their keys.
		var declared struct {
			Items []struct {
				ID string `json:"id"`
			} `json:"items"`
		}
		if err := d.call(ctx, e.Username, http.MethodGet, "/api/v1/cases/"+caseID+"/assessors", nil, &declared); err != nil {
			return false, false, err
		}
		if len(declared.Items) < 3 {
			return false, false, fmt.Errorf("case %s declares %d assessors, a sitting needs 3", caseID, len(declared.Items))
		}
		panel := []string{declared.Items[0].ID, declared.Items[1].ID, declared.Items[2].ID}
		exam := time.Now().In(domain.Shanghai).Format("2006-01-02") // results are taken from the exam day on
		err := d.write(ctx, e.Username, http.MethodPost, "/api/v1/cases/"+caseID+"/sessions", map[string]any{
			"occupation_code": "6-31-01-03", "level": 4, "exam_date": exam, "site": "公司技能评价中心理论考场", "request_key": "bench-sitting",
			"assessor_ids": panel}, nil)
		return false, true, err
	}
	if s.Status == models.SessionIssued {
		return true, false, nil
	}
	if s.Status != models.SessionOpen {
		return false, false, nil
	}
	have := map[string]models.SessionCandidate{}
	for _, c := range s.Candidates {
		have[c.Name] = c
	}
	for i, bc := range benchCandidates {
		c, ok := have[bc.name]
		if !ok {
			err := d.write(ctx, e.Username, http.MethodPost, "/api/v1/sessions/"+s.ID+"/candidates",
				map[string]any{"name": bc.name, "id_number": benchIDNumber(e, i), "employee": true, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &c)
			if statusOf(err) == http.StatusUnprocessableEntity {
				// Registered by a request whose answer was lost: read the sitting again.
				return false, true, nil
			}
			if err != nil {
				return false, false, err
			}
			acted = true
		}
		if c.Theory == nil || c.Skill == nil {
			err := d.write(ctx, e.Username, http.MethodPut, "/api/v1/sessions/"+s.ID+"/candidates/"+c.ID+"/scores",
				map[string]any{"theory": bc.theory, "skill": bc.skill, "notes": "按评价规范评分"}, nil)
			if err != nil {
				return false, false, err
			}
			acted = true
		}
	}
	return false, acted, nil
}

// sittingOf is the case's (only) sitting with its candidates, nil before it is planned.
func (d *Driver) sittingOf(ctx context.Context, caseID string) (*sittingDetail, error) {
	d.mu.Lock()
	id, known := d.sittings[caseID]
	d.mu.Unlock()
	if known {
		var s sittingDetail
		if err := d.call(ctx, "region", http.MethodGet, "/api/v1/sessions/"+id, nil, &s); err != nil {
			return nil, err
		}
		return &s, nil
	}
	var l struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	if err := d.call(ctx, "region", http.MethodGet, "/api/v1/cases/"+caseID+"/sessions", nil, &l); err != nil {
		return nil, err
	}
	if len(l.Items) == 0 {
		return nil, nil
	}
	if len(l.Items) > 1 {
		return nil, fmt.Errorf("case %s has %d sittings, planned once", caseID, len(l.Items))
	}
	var s sittingDetail
	if err := d.call(ctx, "region", http.MethodGet, "/api/v1/sessions/"+l.Items[0].ID, nil, &s); err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.sittings[caseID] = s.ID // a case has one sitting: no need to list them again
	d.mu.Unlock()
	return &s, nil
}

// sittingRecords uploads the original records of the case's sitting that are not there yet.
func (d *Driver) sittingRecords(ctx context.Context, user, caseID string) error {
	s, err := d.sittingOf(ctx, caseID)
	if err != nil || s == nil {
		return err
	}
	return d.wait(ctx, func() error {
		c, err := d.client(ctx, user)
		if err != nil {
			return err
		}
		return c.uploadSittingRecords(ctx, s.ID, s.Records)
	})
}

// sittingScored tells whether every candidate of the case's sitting has been registered and scored.
func (d *Driver) sittingScored(ctx context.Context, caseID string) (bool, error) {
	s, err := d.sittingOf(ctx, caseID)
	if err != nil || s == nil || len(s.Candidates) < len(benchCandidates) {
		return false, err
	}
	for _, c := range s.Candidates {
		if c.Theory == nil || c.Skill == nil {
			return false, nil
		}
	}
	return true, nil
}

// benchIDNumber is a valid, distinct ID number of the i-th candidate of an enterprise.
func benchIDNumber(e models.BenchEnterprise, i int) string {
	born := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, e.Seq)
	first := fmt.Sprintf("%s%s%03d", e.County, born.Format("20060102"), 100+i)
	c, _ := validate.IDNumberCheckChar(first)
	return first + string(c)
}

// runOfficials takes the campaign-wide steps when they are due: each league submits its
// summary once all its cases are accepted, and the region publishes the directory once every
// case is awaiting publication.
func (d *Driver) runOfficials(ctx context.Context, done <-chan struct{}) error {
	submitted := map[string]bool{}
	published := false
	var lastSupplement time.Time
	for {
		select {
		case <-done:
			return nil
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
		d.mu.Lock()
		ready := map[string]bool{}   // league → every case of it at least in the summary
		waiting := map[string]bool{} // league → a case of it still waits in the summary
		all, publishable := 0, true
		for id, stage := range d.stages {
			l := d.leagues[id]
			waiting[l] = waiting[l] || stage == workflows.StageInSummary
			if _, seen := ready[l]; !seen {
				ready[l] = true
			}
			ready[l] = ready[l] && stageRank(stage) >= stageRank(workflows.StageInSummary)
			publishable = publishable && stageRank(stage) >= stageRank(workflows.StageAwaitingPublication)
			all++
		}
		d.mu.Unlock()
		if all < len(d.enterprises) {
			continue // not every case has been seen yet
		}
		// The leagues that are due submit independently of each other.
		var due []string
		for league, ok := range ready {
			if ok && !submitted[league] {
				due = append(due, league)
			}
		}
		acted := make([]bool, len(due))
		errs := make([]error, len(due))
		var wg sync.WaitGroup
		for i, league := range due {
			wg.Go(func() {
				acted[i], errs[i] = d.decideOpen(ctx, benchLeagueOfficials[league], workflows.KindSubmitSummary,
					map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "(" + benchAreaCodes[league] + ")6606214"})
				if errs[i] != nil {
					errs[i] = fmt.Errorf("summary of %s: %w", league, errs[i])
				}
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			return err
		}
		for i, league := range due {
			if acted[i] {
				submitted[league] = true
				d.release(league)
				d.log.Info("league summary submitted", "league", league)
			}
		}
		// A case whose acceptance reached its league after the summary (a crash between the two)
		// waits for the league's supplementary report.
		for league := range submitted {
			if !waiting[league] || time.Since(lastSupplement) < time.Second {
				continue
			}
			acted, err := d.decideOpen(ctx, benchLeagueOfficials[league], workflows.KindSupplementarySummary, map[string]any{"outcome": "submit"})
			if err != nil {
				return fmt.Errorf("supplementary summary of %s: %w", league, err)
			}
			if acted {
				d.release(league)
				d.log.Info("league supplementary summary submitted", "league", league)
			}
		}
		if time.Since(lastSupplement) >= time.Second {
			lastSupplement = time.Now()
		}

		if publishable && !published {
			var cp struct {
				OpenLeagues int `json:"open_leagues"`
			}
			if err := d.call(ctx, "region", http.MethodGet, "/api/v1/campaigns/current", nil, &cp); err != nil {
				return fmt.Errorf("campaign: %w", err)
			}
			// Leagues that have not submitted are confirmed: their later cases go supplementary.
			acted, err := d.decideOpen(ctx, "region", workflows.KindPublish, map[string]any{"outcome": "publish", "confirm_open_leagues": cp.OpenLeagues})
			if err != nil {
				return fmt.Errorf("publication: %w", err)
			}
			published = acted
			if acted {
				d.release("")
				d.log.Info("directory published")
			}
		}
	}
}

// decideOpen decides the open tasks of a kind in user's inbox; it reports whether it closed
// one. A decision the workflow refused (409) counts only if the task is closed after it: a
// league's summary submitted before its workflow has taken in the cases' acceptance is refused
// ("no accepted enterprise yet") and stays open, to be submitted again on the next round.
func (d *Driver) decideOpen(ctx context.Context, user, kind string, body map[string]any) (bool, error) {
	var l struct {
		Items []models.Task `json:"items"`
	}
	if err := d.call(ctx, user, http.MethodGet, "/api/v1/tasks?view=all&kind="+kind, nil, &l); err != nil {
		return false, err
	}
	acted := false
	for _, t := range l.Items {
		// A refused decision is final for its request key (the key names the update): the next
		// attempt after a refusal takes a new key.
		d.mu.Lock()
		refused := d.refused[t.ID]
		d.mu.Unlock()
		body["request_key"] = "bench"
		if refused > 0 {
			body["request_key"] = fmt.Sprintf("bench-%d", refused)
		}
		err := d.write(ctx, user, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, nil)
		if statusOf(err) == http.StatusConflict {
			var now models.Task
			if err := d.call(ctx, user, http.MethodGet, "/api/v1/tasks/"+t.ID, nil, &now); err != nil {
				return false, err
			}
			if now.Status == models.TaskOpen {
				d.mu.Lock()
				d.refused[t.ID]++
				d.mu.Unlock()
				continue // refused: try again later
			}
			err = nil // closed meanwhile (a repeat whose first answer was lost)
		}
		if err != nil {
			return false, err
		}
		acted = true
	}
	return acted, nil
}
