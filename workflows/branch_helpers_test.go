package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zoneinfo

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/worker"
	"skillcert/workflows"
)

// Helpers shared by case_branches_test.go, campaign_test.go, league_test.go and complaint_test.go
// (prefixed tb so they cannot clash with workflows_test.go).

var tbCST = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

// tbStart is the fixed start of the case and complaint tests, so due dates can be computed.
var tbStart = time.Date(2027, 3, 1, 9, 0, 0, 0, tbCST)

// tbAt is the delay from start to a wall time in Asia/Shanghai ("2006-01-02 15:04").
func tbAt(start time.Time, at string) time.Duration {
	t, err := time.ParseInLocation("2006-01-02 15:04", at, tbCST)
	if err != nil {
		panic(err)
	}
	return t.Sub(start)
}

// tbEndOfDay is 23:59:59 Asia/Shanghai of a date ("2006-01-02"), as the workflows compute due dates.
func tbEndOfDay(date string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", date, tbCST)
	if err != nil {
		panic(err)
	}
	return time.Date(t.Year(), t.Month(), t.Day(), 23, 59, 59, 0, tbCST)
}

// tbSignal is a signal a workflow sent to a workflow that does not run in the test environment.
type tbSignal struct {
	WorkflowID, Name string
	Arg              any
}

type tbSignals struct {
	mu   sync.Mutex
	list []tbSignal
}

func (s *tbSignals) add(wfID, name string, arg any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, tbSignal{WorkflowID: wfID, Name: name, Arg: arg})
}

// named returns the recorded signals of one name, in the order they were sent.
func (s *tbSignals) named(name string) []tbSignal {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []tbSignal
	for _, x := range s.list {
		if x.Name == name {
			out = append(out, x)
		}
	}
	return out
}

// targets returns the workflow IDs that received a signal of one name.
func (s *tbSignals) targets(name string) []string {
	var ids []string
	for _, x := range s.named(name) {
		ids = append(ids, x.WorkflowID)
	}
	return ids
}

// tbHarness is newHarness, except that signals to workflows outside the environment are
// recorded (and answered with success) instead of dropped. register runs after the workers'
// registrations and before any mock (the environment refuses registrations after mocks).
func tbHarness(t *testing.T, register ...func(*testsuite.TestWorkflowEnvironment)) (*harness, *tbSignals) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tbLogger())
	env := suite.NewTestWorkflowEnvironment()
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	_, _, err := db.SeedDemo(ctx, "pw-for-tests")
	require.NoError(t, err)
	require.NoError(t, db.EnsureExperts(ctx))
	worker.Register(env, worker.Deps{DB: db})
	for _, r := range register {
		r(env)
	}
	rec := &tbSignals{}
	env.OnSignalExternalWorkflow(mock.Anything, mock.Anything, mock.Anything, mock.Anything, mock.Anything).
		Run(func(args mock.Arguments) { rec.add(args.String(1), args.String(3), args.Get(4)) }).
		Return(nil).Maybe()
	env.SetStartTime(tbStart)
	return &harness{t: t, env: env, db: db}, rec
}

// tbLogger logs errors only (a failed panel draw logs its activity error).
func tbLogger() sdklog.Logger {
	return sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
}

// tbResult is the answer to one labelled update.
type tbResult struct {
	val      any
	err      error
	rejected bool // refused by the validator (never reached history)
}

// tbUpdates sends labelled updates and keeps their answers.
type tbUpdates struct {
	h   *harness
	got map[string]*tbResult
	n   int
}

func tbNewUpdates(h *harness) *tbUpdates { return &tbUpdates{h: h, got: map[string]*tbResult{}} }

// send sends an update to the workflow under test (wfID "") or to another workflow in the environment.
func (u *tbUpdates) send(wfID, name, label string, arg any) {
	u.h.t.Helper()
	require.NotContains(u.h.t, u.got, label, "labels must be unique")
	r := &tbResult{}
	u.got[label] = nil
	u.n++
	cb := &testsuite.TestUpdateCallback{
		OnAccept: func() {},
		OnReject: func(err error) { r.err, r.rejected = err, true; u.got[label] = r },
		OnComplete: func(v any, err error) {
			r.val, r.err = v, err
			u.got[label] = r
		},
	}
	id := label + "#" + strconv.Itoa(u.n)
	if wfID == "" {
		u.h.env.UpdateWorkflow(name, id, cb, arg)
		return
	}
	require.NoError(u.h.t, u.h.env.UpdateWorkflowByID(wfID, name, id, cb, arg))
}

// decide sends a decision on the open task of a kind (or on req.TaskID).
func (u *tbUpdates) decide(wfID, label, kind string, req workflows.DecisionRequest) {
	if req.TaskID == "" {
		req.TaskID = u.h.openTask(kind).ID
	}
	u.send(wfID, workflows.DecideUpdate, label, req)
}

// result returns the answer to a labelled update; it must have been answered.
func (u *tbUpdates) result(label string) *tbResult {
	u.h.t.Helper()
	r, ok := u.got[label]
	require.True(u.h.t, ok, "update %q never sent", label)
	require.NotNil(u.h.t, r, "update %q never answered", label)
	return r
}

// ok asserts that a labelled update was accepted and completed without error.
func (u *tbUpdates) ok(label string) *tbResult {
	u.h.t.Helper()
	r := u.result(label)
	require.NoError(u.h.t, r.err, "update %q", label)
	return r
}

// refused asserts that a labelled update was refused with an application error of a type.
func (u *tbUpdates) refused(label, errType string) *tbResult {
	u.h.t.Helper()
	r := u.result(label)
	require.Error(u.h.t, r.err, "update %q should be refused", label)
	var ae *temporal.ApplicationError
	require.True(u.h.t, errors.As(r.err, &ae), "update %q: refusal is an application error: %v", label, r.err)
	require.Equal(u.h.t, errType, ae.Type(), "update %q: %v", label, r.err)
	return r
}

func tbUserID(h *harness, username string) string {
	h.t.Helper()
	u, err := h.db.UserByUsername(context.Background(), username)
	require.NoError(h.t, err)
	return u.ID
}

// tbNotes returns a user's notifications of a kind (any kind when empty) whose subject contains
// subject, oldest first.
func tbNotes(h *harness, username, kind, subject string) []models.Notification {
	h.t.Helper()
	q := h.db.Where("user_id = ?", tbUserID(h, username))
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	var ns []models.Notification
	require.NoError(h.t, q.Order("created_at, id").Find(&ns).Error)
	out := ns[:0]
	for _, n := range ns {
		if strings.Contains(n.Subject, subject) {
			out = append(out, n)
		}
	}
	return out
}

// tbDays lists the Asia/Shanghai dates notifications were written on.
func tbDays(ns []models.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.CreatedAt.In(tbCST).Format("2006-01-02"))
	}
	return out
}

func tbTask(h *harness, id string) models.Task {
	h.t.Helper()
	t, err := h.db.TaskByID(context.Background(), id)
	require.NoError(h.t, err)
	return t
}

func tbTasks(h *harness, kind string) []models.Task {
	h.t.Helper()
	var ts []models.Task
	require.NoError(h.t, h.db.Where("kind = ?", kind).Order("created_at, id").Find(&ts).Error)
	return ts
}

// tbAudit returns the audit rows of an action, in chain order.
func tbAudit(h *harness, action string) []models.AuditEntry {
	h.t.Helper()
	var as []models.AuditEntry
	require.NoError(h.t, h.db.Where("action = ?", action).Order("seq").Find(&as).Error)
	return as
}

func tbAfterStates(as []models.AuditEntry) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.AfterState)
	}
	return out
}

func tbOpenCount(h *harness) int64 {
	h.t.Helper()
	var n int64
	require.NoError(h.t, h.db.Model(&models.Task{}).Where("status = ?", models.TaskOpen).Count(&n).Error)
	return n
}

func tbCaseResult(h *harness) workflows.CaseResult {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var res workflows.CaseResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

func expertActor(userID string) workflows.Actor {
	return workflows.Actor{UserID: userID, Role: "expert", Jurisdiction: "150000", Domain: "150000"}
}

// tbToRegionDecision schedules a case without pre-check through the league's acceptance (1 h),
// the summary (2 h) and three expert scores (3 h) to the region's decision.
func tbToRegionDecision(h *harness) {
	h.decide(time.Hour, workflows.KindLeagueReview, workflows.DecisionRequest{Actor: leagueActor, Outcome: "accept"})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.SummarySubmittedSignal, workflows.SummarySubmitted{League: "150100"})
	}, 2*time.Hour)
	h.env.RegisterDelayedCallback(func() {
		for _, task := range h.openTasks(workflows.KindExpertScore) {
			h.update("expert", workflows.DecideUpdate, workflows.DecisionRequest{TaskID: task.ID, Outcome: "score", Score: score(85),
				Actor: expertActor(task.AssigneeID)})
		}
	}, 3*time.Hour)
}

// tbToPreparation continues tbToRegionDecision with batch 1 (4 h) and its publication (5 h).
func tbToPreparation(h *harness) {
	tbToRegionDecision(h)
	h.decide(4*time.Hour, workflows.KindRegionDecision, workflows.DecisionRequest{Actor: regionActor, Outcome: "batch1", Approved: approved, Applied: approved, PublishedKnown: true})
	h.env.RegisterDelayedCallback(func() {
		h.env.SignalWorkflow(workflows.PublishedSignal, workflows.Published{Batch: 1})
	}, 5*time.Hour)
}
