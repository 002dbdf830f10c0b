// Package simulate is the randomized model test of the programme: it drives the real
// EnterpriseCase workflow (in Temporal's test environment, with its real Apply activity on a
// database) through random sequences of actions by every role — valid, invalid, late, out of
// order, with time advancing across due dates and escalations — and checks the programme's
// invariants after every step against a small reference model:
//
//   - authority: a decision that was accepted came from the role the task was waiting on (and
//     from its assignee, when it had one); a suspension, resumption, removal or return from the
//     region, a withdrawal from the enterprise;
//   - a way forward: a case that is not closed has an open task, unless it waits on something
//     outside it that is itself a task or a person's free choice (the league's summary, the
//     campaign's publication, the region's resumption, an active pilot planning its sittings);
//     a case never waits for a batch that is published already;
//   - approved ⊆ applied;
//   - each task decided at most once (one successful decision in the audit log), and an intact
//     audit chain;
//   - the directory: an entry is in force exactly while the case is a published pilot, and only
//     for a batch that was published.
//
// rapid (pgregory.net/rapid) generates the sequences and shrinks a failure to its shortest one;
// the seed it prints replays it. The workflows' test runs a bounded number of sequences in CI;
// `skillcert simulate` runs long ones.
package simulate

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/stretchr/testify/mock"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
	"pgregory.net/rapid"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/worker"
	"skillcert/workflows"
)

// Stats is what a run exercised.
type Stats struct {
	Sequences, Steps, Accepted int
	Stages                     map[string]int
}

// Run checks the invariants over rapid's sequences (their number and seed come from rapid's
// flags, -rapid.checks and -rapid.seed) of at most maxSteps actions each, on db (migrated, with
// the demo seed and the expert pool). A violation fails t with the shortest failing sequence.
func Run(t rapid.TB, db *models.DB, maxSteps int) Stats {
	var experts []string
	if err := db.Model(&models.Expert{}).Where("active = ?", true).Order("user_id").Pluck("user_id", &experts).Error; err != nil || len(experts) < 2 {
		t.Fatalf("expert pool: %v (%d experts)", err, len(experts))
	}
	st := Stats{Stages: map[string]int{}}
	defer func() {
		// The audit chain is one for all sequences: checked once, at the end (walking it after
		// every sequence would make a long run quadratic).
		if rep, err := db.VerifyAudit(context.Background()); err != nil || !rep.OK {
			t.Fatalf("audit chain after %d sequences: %v %+v", st.Sequences, err, rep)
		}
	}()
	rapid.Check(t, func(rt *rapid.T) {
		st.Sequences++
		m := &model{rt: rt, db: db, experts: experts, maxSteps: maxSteps,
			caseID: fmt.Sprintf("%08d-0000-7000-8000-%012d", st.Sequences, time.Now().UnixNano()%1e12)}
		m.run()
		st.Steps += m.step
		st.Accepted += m.ok
		if c, ok := m.caseRow(); ok {
			st.Stages[c.Stage]++
		}
	})
	return st
}

// The fixed facts of every sequence: the demo dairy enterprise in 赛罕区 (呼和浩特), its officials.
const (
	dairyID   = "00000000-0000-7000-8000-000000000101"
	dairyNode = "150105/E/" + dairyID
)

var (
	shanghai        = domain.Shanghai
	start           = time.Date(2027, 3, 1, 9, 0, 0, 0, shanghai)
	enterpriseActor = workflows.Actor{UserID: "u-dairy", Username: "dairy", Name: "乳业公司", Role: domain.RoleEnterpriseUser, Jurisdiction: "150105", Domain: dairyNode}
	countyActor     = workflows.Actor{UserID: "u-saihan", Username: "saihan", Name: "赛罕区", Role: domain.RoleCountyOfficial, Jurisdiction: "150105", Domain: "150105"}
	leagueActor     = workflows.Actor{UserID: "u-hohhot", Username: "hohhot", Name: "呼和浩特", Role: domain.RoleLeagueOfficial, Jurisdiction: "150100", Domain: "150100"}
	regionActor     = workflows.Actor{UserID: "u-region", Username: "region", Name: "自治区", Role: domain.RoleRegionOfficial, Jurisdiction: "150000", Domain: "150000"}
	approved        = []workflows.ApprovedOccupation{{Code: "6-02-04-01", Name: "乳品加工工", Levels: validate.LevelRange{Low: 5, High: 3}}}
)

func expertActor(userID string) workflows.Actor {
	return workflows.Actor{UserID: userID, Role: domain.RoleExpert, Jurisdiction: "150000", Domain: "150000"}
}

func score(n int) *int { return &n }

func quietLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})))
}

// action is one step of a sequence.
type action struct {
	Kind    string // decide | adjust | summary | publish | complaint | wait
	Valid   bool   // decide as the task's own role (and assignee), with reasons
	Pick    int    // which open task, which actor
	Actor   int
	Outcome int
	Reasons bool
	Wider   bool // approve more than applied
	Adjust  string
	Batch   int
	Hours   int
}

func drawAction(rt *rapid.T, i int) action {
	kind := rapid.SampledFrom([]string{"decide", "decide", "decide", "decide", "decide", "decide", "decide", "decide",
		"summary", "summary", "publish", "publish", "adjust", "complaint", "wait"}).Draw(rt, fmt.Sprintf("kind%d", i))
	return action{Kind: kind,
		Valid:   rapid.IntRange(0, 9).Draw(rt, fmt.Sprintf("valid%d", i)) < 7,
		Pick:    rapid.IntRange(0, 3).Draw(rt, fmt.Sprintf("pick%d", i)),
		Actor:   rapid.IntRange(0, 7).Draw(rt, fmt.Sprintf("actor%d", i)),
		Outcome: rapid.IntRange(0, 4).Draw(rt, fmt.Sprintf("outcome%d", i)),
		Reasons: rapid.Bool().Draw(rt, fmt.Sprintf("reasons%d", i)),
		Wider:   rapid.IntRange(0, 4).Draw(rt, fmt.Sprintf("wider%d", i)) == 0,
		Adjust:  rapid.SampledFrom([]string{"withdraw", "suspend", "resume", "remove", "return", "redraw", "publish_late"}).Draw(rt, fmt.Sprintf("adjust%d", i)),
		Batch:   rapid.IntRange(1, 2).Draw(rt, fmt.Sprintf("batch%d", i)),
		Hours:   rapid.SampledFrom([]int{1, 1, 2, 6, 24, 24 * 3, 24 * 12}).Draw(rt, fmt.Sprintf("hours%d", i)),
	}
}

// model is one sequence: the workflow under test and what the reference model expects.
type model struct {
	rt       *rapid.T
	db       *models.DB
	experts  []string
	caseID   string
	maxSteps int
	env      *testsuite.TestWorkflowEnvironment

	published []int // directory batches published (by the campaign, outside the case)
	step      int
	ok        int // messages accepted
	log       []string
}

// sent is a message sent, with what the projection said of its task when it was sent.
type sent struct {
	label, kind, candidateRole, assignee string
	actor                                workflows.Actor
	adjust                               string
	err                                  error
	done                                 bool
	rejected                             bool
}

func (m *model) fail(format string, args ...any) {
	m.rt.Fatalf("step %d: %s\nsteps:\n%s", m.step, fmt.Sprintf(format, args...), joinLines(m.log))
}

func joinLines(xs []string) string {
	out := ""
	for _, x := range xs {
		out += "  " + x + "\n"
	}
	return out
}

func (m *model) wfID() string { return workflows.CaseWorkflowID(m.caseID) }

func (m *model) run() {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(quietLogger())
	m.env = suite.NewTestWorkflowEnvironment()
	worker.Register(m.env, worker.Deps{DB: m.db})
	m.env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).Return(nil).Maybe()
	m.env.SetStartTime(start)
	m.env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: m.wfID(), TaskQueue: "simulate"})

	steps := rapid.IntRange(1, m.maxSteps).Draw(m.rt, "steps")
	var at time.Duration
	var msgs []*sent
	for i := 0; i < steps; i++ {
		a := drawAction(m.rt, i)
		at += time.Duration(a.Hours) * time.Hour
		m.env.RegisterDelayedCallback(func() {
			m.check()
			m.step = i + 1
			if s := m.act(a); s != nil {
				msgs = append(msgs, s)
			}
		}, at)
	}
	m.env.RegisterDelayedCallback(func() {
		m.check()
		m.env.CancelWorkflow()
	}, at+time.Hour)
	in := workflows.CaseInput{CaseID: m.caseID, CampaignID: "2027", ApplicationID: m.caseID, ApplicationVersion: 1,
		EnterpriseID: dairyID, EnterpriseName: "呼和浩特乳业示范有限公司", Jurisdiction: "150105", League: "150100",
		Region: "150000", Submitter: enterpriseActor}
	m.env.ExecuteWorkflow(workflows.EnterpriseCase, in)
	// Every message was answered; the accepted ones came from the authority they were due.
	for _, s := range msgs {
		if !s.done {
			m.fail("%s was never answered", s.label)
		}
		if s.err != nil {
			continue
		}
		m.ok++
		if s.adjust != "" {
			if s.adjust != "withdraw" && s.actor.Role != domain.RoleRegionOfficial {
				m.fail("%s: %s accepted from %s", s.label, s.adjust, s.actor.Role)
			}
			if s.adjust == "withdraw" && s.actor.Role != domain.RoleEnterpriseUser {
				m.fail("%s: withdrawal accepted from %s", s.label, s.actor.Role)
			}
			continue
		}
		if s.actor.Role != s.candidateRole {
			m.fail("%s: %s task decided by %s", s.label, s.candidateRole, s.actor.Role)
		}
		if s.assignee != "" && s.assignee != s.actor.UserID {
			m.fail("%s: task assigned to %s decided by %s", s.label, s.assignee, s.actor.UserID)
		}
	}
	m.check()
}

// actors are who may try a step: the enterprise, its county and league, another league, the
// region, the appraisal centre, an expert of the panel (or not), the supervisor role.
func (m *model) actor(i int, t *models.Task) workflows.Actor {
	switch i {
	case 0:
		return enterpriseActor
	case 1:
		return countyActor
	case 2:
		return leagueActor
	case 3:
		return workflows.Actor{UserID: "u-baotou", Username: "baotou", Name: "包头", Role: domain.RoleLeagueOfficial, Jurisdiction: "150200", Domain: "150200"}
	case 4:
		return regionActor
	case 5:
		return workflows.Actor{UserID: "u-centre", Username: "centre", Role: domain.RoleRegionCentre, Jurisdiction: "150000", Domain: "150000"}
	case 6:
		if t != nil && t.AssigneeID != "" {
			return expertActor(t.AssigneeID)
		}
		return expertActor(m.experts[0])
	default:
		return expertActor(m.experts[len(m.experts)-1])
	}
}

// rightActor is someone of the role the task waits on (its assignee, for an assigned task).
func (m *model) rightActor(t models.Task) workflows.Actor {
	switch t.CandidateRole {
	case domain.RoleEnterpriseUser:
		return enterpriseActor
	case domain.RoleCountyOfficial:
		return countyActor
	case domain.RoleLeagueOfficial:
		return leagueActor
	case domain.RoleRegionCentre:
		return m.actor(5, nil)
	case domain.RoleExpert:
		return m.actor(6, &t)
	}
	return regionActor
}

func (m *model) openTasks() []models.Task {
	var ts []models.Task
	if err := m.db.Where("case_id = ? AND status = ?", m.caseID, models.TaskOpen).Order("id").Find(&ts).Error; err != nil {
		m.fail("read tasks: %v", err)
	}
	return ts
}

func (m *model) caseRow() (models.Case, bool) {
	c, err := m.db.CaseByID(context.Background(), m.caseID)
	return c, err == nil
}

func (m *model) act(a action) *sent {
	switch a.Kind {
	case "decide":
		ts := m.openTasks()
		if len(ts) == 0 {
			m.log = append(m.log, fmt.Sprintf("%d decide: no open task", m.step))
			return nil
		}
		t := ts[a.Pick%len(ts)]
		actor := m.actor(a.Actor, &t)
		if a.Valid {
			actor = m.rightActor(t)
			a.Reasons = true
		}
		outcomes := []string{"bogus"}
		for o := range workflows.Kinds[t.Kind].Outcomes {
			outcomes = append(outcomes, o)
		}
		sort.Strings(outcomes)
		req := workflows.DecisionRequest{TaskID: t.ID, Actor: actor, Outcome: outcomes[a.Outcome%len(outcomes)],
			Applied: approved, Published: slices.Clone(m.published), PublishedKnown: true, ApplicationVersion: 2}
		if a.Reasons {
			req.Comment = "理由"
		}
		if t.Kind == workflows.KindRegionDecision {
			req.Approved = approved
			if a.Wider {
				req.Approved = []workflows.ApprovedOccupation{{Code: "6-02-04-01", Name: "乳品加工工", Levels: validate.LevelRange{Low: 5, High: 1}}}
			}
		}
		if t.Kind == workflows.KindExpertScore {
			req.Score = score(60 + a.Outcome*5)
		}
		if t.Kind == workflows.KindWorkPlan {
			req.Documents = []workflows.Document{{Kind: "work_plan", AttachmentID: "a1", Name: "工作方案.pdf"}}
		}
		s := &sent{label: fmt.Sprintf("%d decide %s/%s by %s", m.step, t.Kind, req.Outcome, actor.Role), kind: t.Kind,
			candidateRole: t.CandidateRole, assignee: t.AssigneeID, actor: actor}
		m.log = append(m.log, s.label)
		m.update(s, workflows.DecideUpdate, req)
		return s
	case "adjust":
		actor := m.actor(a.Actor, nil)
		s := &sent{label: fmt.Sprintf("%d adjust %s by %s", m.step, a.Adjust, actor.Role), actor: actor, adjust: a.Adjust}
		m.log = append(m.log, s.label)
		req := workflows.AdjustRequest{Actor: actor, Action: a.Adjust, Reason: "模型测试"}
		if a.Adjust == "publish_late" {
			req.Published = slices.Clone(m.published)
		}
		if a.Adjust == "redraw" {
			// The task of an expert on the panel (or of anyone else, to be refused).
			if ts := m.openTasks(); len(ts) > 0 {
				req.TaskID = ts[a.Pick%len(ts)].ID
			}
		}
		m.update(s, workflows.AdjustUpdate, req)
		return s
	case "summary":
		m.log = append(m.log, fmt.Sprintf("%d summary submitted", m.step))
		m.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	case "publish":
		if slices.Contains(m.published, a.Batch) {
			return nil
		}
		m.published = append(m.published, a.Batch)
		m.log = append(m.log, fmt.Sprintf("%d batch %d published", m.step, a.Batch))
		m.env.SignalWorkflow(workflows.PublishedSignal, workflows.Published{Batch: a.Batch})
	case "complaint":
		outcome := []string{"dismiss", "rectify", "suspend", "remove", "rectify"}[a.Outcome]
		m.log = append(m.log, fmt.Sprintf("%d complaint %s", m.step, outcome))
		m.env.SignalWorkflow(workflows.ComplaintOutcomeSignal, workflows.ComplaintOutcome{ComplaintID: "cp", Outcome: outcome, Reason: "核查", Actor: regionActor})
	case "wait":
		m.log = append(m.log, fmt.Sprintf("%d wait %dh", m.step, a.Hours))
	}
	return nil
}

func (m *model) update(s *sent, name string, arg any) {
	m.env.UpdateWorkflow(name, s.label, &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { s.err, s.done, s.rejected = err, true, true },
		OnComplete: func(_ any, err error) {
			s.err, s.done = err, true
		},
	}, arg)
}

// check verifies the invariants on the projection.
func (m *model) check() {
	c, ok := m.caseRow()
	if !ok {
		return // not started yet
	}
	open := m.openTasks()
	if !domain.WaitsOutside(c.Stage) && len(open) == 0 {
		m.fail("case in stage %s has no open task and waits on nothing", c.Stage)
	}
	if c.Stage == workflows.StageClosed && len(open) > 0 {
		m.fail("closed case has open task %s", open[0].Kind)
	}
	if c.ApprovedJSON != "" && c.ApprovedJSON != "null" {
		var got []workflows.ApprovedOccupation
		if err := json.Unmarshal([]byte(c.ApprovedJSON), &got); err != nil {
			m.fail("approved: %v", err)
		}
		if errs := domain.ApprovedWithinApplied(approved, got); len(errs) > 0 {
			m.fail("approved %s beyond the application: %v", c.ApprovedJSON, errs)
		}
	}
	// Each task decided at most once.
	var twice []struct {
		ObjectID string
		N        int
	}
	if err := m.db.Raw(`SELECT a.object_id, COUNT(*) AS n FROM tasks t JOIN audit_log a ON a.object_type = 'task' AND a.object_id = t.id
		WHERE t.case_id = ? AND a.action LIKE 'task.decide%' AND a.outcome = ? GROUP BY a.object_id HAVING COUNT(*) > 1`,
		m.caseID, models.OutcomeOK).Scan(&twice).Error; err != nil {
		m.fail("audit: %v", err)
	}
	if len(twice) > 0 {
		m.fail("task %s decided %d times", twice[0].ObjectID, twice[0].N)
	}
	// The directory: in force exactly while the case is a published pilot.
	var entries []models.DirectoryEntry
	if err := m.db.Where("case_id = ?", m.caseID).Find(&entries).Error; err != nil {
		m.fail("directory: %v", err)
	}
	published := c.Stage == workflows.StagePreparation || c.Stage == workflows.StageFiling || c.Stage == workflows.StageActive
	inForce := len(entries) == 1 && entries[0].Status == "active"
	if published != inForce {
		m.fail("stage %s but directory entries %+v", c.Stage, entries)
	}
	if len(entries) == 1 && c.Batch > 0 && !slices.Contains(m.published, c.Batch) {
		m.fail("directory entry of batch %d that was never published", c.Batch)
	}
	if c.Stage == workflows.StageAwaitingPublication && slices.Contains(m.published, c.Batch) {
		// Its batch is published and the publication passed it by: nothing will ever publish it.
		m.fail("case waits for batch %d, which is published already", c.Batch)
	}
}
