package workflows_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"

	"skillcert/activities"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/workflows"
)

// publicityRun is a sitting taken to the centre's approval at 2h, with the certificate
// activity recording when (in workflow time) it issued, and how often.
type publicityRun struct {
	h        *harness
	u        *tbUpdates
	issuedAt []time.Time
}

func newPublicityRun(t *testing.T, cs []activities.CandidateFacts) *publicityRun {
	h, _ := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(sessionWFID))
	h.env.OnActivity("SessionCandidates", mock.Anything, sessionID).Return(cs, nil)
	r := &publicityRun{h: h, u: tbNewUpdates(h)}
	h.env.OnActivity(workflows.IssueCertificatesActivity, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.IssueInput) (activities.IssueResult, error) {
			r.issuedAt = append(r.issuedAt, h.env.Now())
			var ns []string
			for _, c := range in.Candidates {
				ns = append(ns, "N-"+c.Key)
			}
			return activities.IssueResult{Numbers: ns}, nil
		})
	h.env.RegisterDelayedCallback(func() {
		r.u.decide("", "submit", workflows.KindSubmitResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "submit"})
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		r.u.decide("", "approve", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
	}, 2*time.Hour)
	return r
}

func (r *publicityRun) object(label, candidate string) {
	o := models.ResultObjection{SessionID: sessionID, CandidateID: candidate, Content: "该考生未实际参加操作技能考核", Status: models.ObjectionReceived}
	require.NoError(r.h.t, r.h.db.CreateObjection(context.Background(), &o))
	r.u.send("", workflows.ObjectionUpdate, label, workflows.ObjectionRequest{ObjectionID: o.ID, CandidateID: candidate})
}

func (r *publicityRun) session() models.AssessmentSession {
	s, err := r.h.db.SessionByID(context.Background(), sessionID)
	require.NoError(r.h.t, err)
	return s
}

// firstEnd is the end of the publicity approved at tbStart+2h (Monday 1 March 2027, 11:00):
// five working days from Tuesday, Monday 8 March 23:59:59.
var firstEnd = domain.PublicityEnds(tbStart.Add(2*time.Hour), domain.DefaultPublicityDays, domain.WorkCalendar{})

// The centre's approval publishes the results; the certificates follow the end of the period
// (five working days on the region's table, read by the PublicityPeriod activity), not the
// approval.
func TestSessionPublicityWithoutObjection(t *testing.T) {
	require.Equal(t, time.Date(2027, 3, 8, 23, 59, 59, 0, domain.Shanghai).UTC(), firstEnd)
	r := newPublicityRun(t, passed(2))
	r.h.env.RegisterDelayedCallback(func() {
		r.u.ok("approve")
		s := r.session()
		require.Equal(t, models.SessionPublicity, s.Status)
		require.NotNil(t, s.PublicityEndsAt)
		require.True(t, firstEnd.Equal(*s.PublicityEndsAt), "%s", s.PublicityEndsAt)
		require.Empty(t, r.issuedAt, "no certificate during the publicity")
	}, 4*24*time.Hour)
	r.h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	require.NoError(t, r.h.env.GetWorkflowError())
	var res workflows.SessionResult
	require.NoError(t, r.h.env.GetWorkflowResult(&res))
	require.Equal(t, []string{"N-cand-00", "N-cand-01"}, res.Issued)
	require.Len(t, r.issuedAt, 1)
	require.False(t, r.issuedAt[0].Before(firstEnd), "issued at %s, before the end %s", r.issuedAt[0], firstEnd)
	require.Equal(t, models.SessionIssued, r.session().Status)
	require.Subset(t, r.h.events(), []string{"results_publicized", "certificates_issued"})
}

// The region's working-day table moves the end: a holiday on Thursday 4 March and a
// publicity length of 3 days end it on Friday 5 March.
func TestSessionPublicityFollowsTheRegionsTable(t *testing.T) {
	r := newPublicityRun(t, passed(1))
	ctx := context.Background()
	require.NoError(t, r.h.db.SetPublicityDays(ctx, 3, "region"))
	require.NoError(t, r.h.db.SetCalendarDay(ctx, models.CalendarDay{Day: "2027-03-03", Kind: domain.DayHoliday}))
	r.h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	require.NoError(t, r.h.env.GetWorkflowError())
	want := time.Date(2027, 3, 5, 23, 59, 59, 0, domain.Shanghai).UTC()
	require.True(t, want.Equal(*r.session().PublicityEndsAt), "%s", r.session().PublicityEndsAt)
	require.Len(t, r.issuedAt, 1)
	require.False(t, r.issuedAt[0].Before(want))
}

// An objection in the period opens the centre's review; while it is open no certificate is
// issued, even after the period has ended; once dismissed, the certificates follow. An
// objection after the end is refused.
func TestSessionPublicityObjectionDismissed(t *testing.T) {
	r := newPublicityRun(t, passed(2))
	r.h.env.RegisterDelayedCallback(func() { r.object("objection", "cand-01") }, 3*time.Hour)
	r.h.env.RegisterDelayedCallback(func() {
		require.NoError(t, r.u.result("objection").err)
		require.Len(t, r.h.openTasks(workflows.KindReviewObjection), 1)
		r.u.send("", workflows.ObjectionUpdate, "unknown", workflows.ObjectionRequest{ObjectionID: "x", CandidateID: "someone-else"})
	}, 4*time.Hour)
	// Ten days on: the period ended a week ago, the review is still open, nothing issued.
	r.h.env.RegisterDelayedCallback(func() {
		require.True(t, r.u.result("unknown").rejected, "an objection about someone not published is refused")
		require.Empty(t, r.issuedAt, "no certificate while an objection is under review")
		require.Equal(t, models.SessionPublicity, r.session().Status)
		r.object("late", "cand-00")
		r.u.decide("", "dismiss", workflows.KindReviewObjection, workflows.DecisionRequest{Actor: centreActor, Outcome: "dismiss", Comment: "经核查，该考生参加了全部考核"})
	}, 10*24*time.Hour)
	r.h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	require.NoError(t, r.h.env.GetWorkflowError())
	require.True(t, r.u.result("late").rejected, "an objection after the period is refused")
	r.u.ok("dismiss")
	require.Len(t, r.issuedAt, 1)
	require.False(t, r.issuedAt[0].Before(tbStart.Add(10*24*time.Hour)), "issued with the dismissal, not at the end of the period")
	os, err := r.h.db.ObjectionsOfSession(context.Background(), sessionID)
	require.NoError(t, err)
	statuses := map[string]string{}
	for _, o := range os {
		statuses[o.CandidateID] = o.Status
	}
	require.Equal(t, domain.ObjectionDismissed, statuses["cand-01"])
	require.Subset(t, r.h.events(), []string{"results_publicized", "objection_received", "objection_dismissed", "certificates_issued"})
}

// A sustained objection withdraws the named candidate's result and returns it to the
// enterprise; the other objection is superseded; nothing is issued at the first period's end;
// the corrected results are audited and published again for a full period, then issued.
func TestSessionPublicityObjectionSustained(t *testing.T) {
	r := newPublicityRun(t, passed(2))
	r.h.env.RegisterDelayedCallback(func() { r.object("o1", "cand-01"); r.object("o2", "") }, 3*time.Hour)
	r.h.env.RegisterDelayedCallback(func() {
		require.Len(t, r.h.openTasks(workflows.KindReviewObjection), 2)
		o1, err := r.h.db.ObjectionByTask(context.Background(), r.u.result("o1").val.(workflows.ObjectionResult).TaskID)
		require.NoError(t, err)
		r.u.decide("", "sustain", workflows.KindReviewObjection, workflows.DecisionRequest{TaskID: o1.TaskID, Actor: centreActor,
			Outcome: "sustain", Comment: "经核查，该考生操作技能考核由他人代考"})
	}, 5*time.Hour)
	var second time.Time
	r.h.env.RegisterDelayedCallback(func() {
		r.u.ok("sustain")
		require.Empty(t, r.h.openTasks(workflows.KindReviewObjection), "the other objection is superseded")
		require.Equal(t, models.SessionCorrecting, r.session().Status)
		require.Empty(t, r.issuedAt, "nothing issued at the end of the first period")
		r.u.decide("", "resubmit", workflows.KindCorrectResults, workflows.DecisionRequest{Actor: enterpriseActor, Outcome: "resubmit"})
	}, 12*24*time.Hour)
	r.h.env.RegisterDelayedCallback(func() {
		second = r.h.env.Now()
		r.u.decide("", "approve2", workflows.KindAuditResults, workflows.DecisionRequest{Actor: centreActor, Outcome: "approve"})
	}, 13*24*time.Hour)
	r.h.env.ExecuteWorkflow(workflows.AssessmentSession, sessionInput())
	require.NoError(t, r.h.env.GetWorkflowError())
	r.u.ok("approve2")
	end2 := domain.PublicityEnds(second, domain.DefaultPublicityDays, domain.WorkCalendar{})
	require.Len(t, r.issuedAt, 1, "issued once")
	require.False(t, r.issuedAt[0].Before(end2), "issued at %s, before the second period's end %s", r.issuedAt[0], end2)
	os, err := r.h.db.ObjectionsOfSession(context.Background(), sessionID)
	require.NoError(t, err)
	got := map[string]string{}
	for _, o := range os {
		got[o.CandidateID] = o.Status
	}
	require.Equal(t, map[string]string{"cand-01": domain.ObjectionSustained, "": domain.ObjectionSuperseded}, got)
	require.Subset(t, r.h.events(), []string{"objection_sustained", "results_publicized", "certificates_issued"})
}
