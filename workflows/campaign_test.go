package workflows_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/workflows"
)

// cmpStart is when the campaign tests start: before every alert of the 2027 calendar
// (collection deadline 2027-05-20 23:59:59, publication target 2027-06-05 23:59:59).
var cmpStart = time.Date(2027, 4, 1, 9, 0, 0, 0, tbCST)

func cmpInput(leagues ...workflows.LeagueRef) workflows.CampaignInput {
	c, p := workflows.DefaultCalendar(2027)
	return workflows.CampaignInput{CampaignID: "2027", Year: 2027, CollectionDeadline: c, PublicationTarget: p, Region: "150000", Leagues: leagues}
}

var (
	cmpHohhot = workflows.LeagueRef{Code: "150100", Name: "呼和浩特市"}
	cmpBaotou = workflows.LeagueRef{Code: "150200", Name: "包头市"}
	cmpOrdos  = workflows.LeagueRef{Code: "150600", Name: "鄂尔多斯市"}
)

// cmpHarness starts a campaign test: the campaign runs under its real workflow ID so that its
// leagues' signals reach it, and the test ends when the campaign does (the leagues' collections
// are detached children that never end by themselves).
func cmpHarness(t *testing.T, register ...func(*testsuite.TestWorkflowEnvironment)) (*harness, *tbSignals) {
	h, rec := tbHarness(t, register...)
	h.env.SetStartTime(cmpStart)
	h.env.SetStartWorkflowOptions(clientOptions(workflows.CampaignWorkflowID("2027")))
	h.env.SetDetachedChildWait(false)
	return h, rec
}

// cmpMockPublication answers CasesAwaitingPublication for a batch, once per call, in order.
func cmpMockPublication(h *harness, batch int, answers ...[]string) {
	acts := new(activities.Activities)
	for _, ids := range answers {
		h.env.OnActivity(acts.CasesAwaitingPublication, mock.Anything, "2027", batch).Return(ids, nil).Once()
	}
}

func cmpLeagueRows(h *harness) map[string]string {
	h.t.Helper()
	var ls []models.LeagueCollection
	require.NoError(h.t, h.db.Where("campaign_id = ?", "2027").Find(&ls).Error)
	out := map[string]string{}
	for _, l := range ls {
		out[l.JurisdictionCode] = l.Status
	}
	return out
}

func cmpRow(h *harness) models.Campaign {
	h.t.Helper()
	var c models.Campaign
	require.NoError(h.t, h.db.First(&c, "id = ?", "2027").Error)
	return c
}

func leagueActorOf(h *harness, username, code string) workflows.Actor {
	return workflows.Actor{UserID: tbUserID(h, username), Username: username, Role: "league_official", Jurisdiction: code, Domain: code}
}

// The whole calendar with the leagues' real collections as children: reminders 7 days and 1 day
// before the collection deadline to leagues that have not submitted, the deadline marking the
// others overdue with a task for the region, the publication reminders, and both batches
// published on the region's decision (refused while no case awaits publication).
func TestCampaignCalendarWithLeagueCollections(t *testing.T) {
	h, rec := cmpHarness(t)
	u := tbNewUpdates(h)
	cmpMockPublication(h, 1, []string{}, []string{"case-a", "case-b"})
	cmpMockPublication(h, 2, []string{"case-c"})
	baotouLeague := workflows.LeagueWorkflowID("2027", "150200")

	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, map[string]string{"150100": "collecting", "150200": "collecting", "150600": "collecting"}, cmpLeagueRows(h),
			"each league's collection started")
		require.Len(t, h.openTasks(workflows.KindSubmitSummary), 3)
		pub := h.openTasks(workflows.KindPublish)
		require.Len(t, pub, 1)
		require.Equal(t, 1, pub[0].Batch)
		require.Equal(t, "region_official", pub[0].CandidateRole)
		require.True(t, pub[0].DueAt.Equal(tbEndOfDay("2027-06-05")))
		c := cmpRow(h)
		require.Equal(t, "collecting", c.Status)
		require.Len(t, tbAudit(h, "campaign.start"), 1)
		require.NoError(t, h.env.SignalWorkflowByID(baotouLeague, workflows.CaseAcceptedSignal,
			workflows.CaseRef{CaseID: "rare", WorkflowID: workflows.CaseWorkflowID("rare")}))
	}, time.Hour)
	// 包头 submits between the 7-day and the 1-day reminder.
	h.env.RegisterDelayedCallback(func() {
		var task models.Task
		require.NoError(t, h.db.First(&task, "kind = ? AND league_code = ?", workflows.KindSubmitSummary, "150200").Error)
		u.decide(baotouLeague, "submit-baotou", "", workflows.DecisionRequest{TaskID: task.ID, Actor: leagueActorOf(h, "baotou", "150200"),
			Outcome: "submit", ContactName: "赵科长", ContactPhone: "(0472)5112345"})
	}, tbAt(cmpStart, "2027-05-15 10:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, "submitted", cmpLeagueRows(h)["150200"])
		require.Equal(t, []string{workflows.CaseWorkflowID("rare")}, rec.targets(workflows.SummarySubmittedSignal))
	}, tbAt(cmpStart, "2027-05-15 11:00"))
	// The deadline has passed.
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, map[string]string{"150100": "overdue", "150200": "submitted", "150600": "overdue"}, cmpLeagueRows(h))
		task := h.openTask(workflows.KindLeagueOverdue)
		require.Equal(t, "督办逾期未报送汇总表的盟市（2 个）：呼和浩特市、鄂尔多斯市", task.Title)
		require.Equal(t, "region_official", task.CandidateRole)
		require.Equal(t, "150000", task.CandidateDomain)
		require.Equal(t, "evaluating", cmpRow(h).Status)
		var objs []string
		for _, a := range tbAudit(h, "league.overdue") {
			objs = append(objs, a.ObjectID)
		}
		require.Equal(t, []string{"2027-150100", "2027-150600"}, objs)
		notes := tbNotes(h, "region", "escalation", "盟市逾期未报送汇总表")
		require.Len(t, notes, 1)
		require.Contains(t, notes[0].Body, "呼和浩特市、鄂尔多斯市")
		u.decide("", "acknowledge", workflows.KindLeagueOverdue, workflows.DecisionRequest{TaskID: task.ID, Actor: regionActor, Outcome: "acknowledge"})
	}, tbAt(cmpStart, "2027-05-21 10:00"))
	h.env.RegisterDelayedCallback(func() {
		// Two leagues have not submitted: publishing needs the region to confirm that number.
		u.decide("", "publish-unconfirmed", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish"})
		u.decide("", "publish-miscounted", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 1})
		u.decide("", "publish-none", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 2})
	}, tbAt(cmpStart, "2027-06-05 10:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, h.openTasks(workflows.KindPublish), 1, "a refused publication leaves the task open")
		require.Empty(t, rec.named(workflows.PublishedSignal))
		u.decide("", "publish-1", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 2})
	}, tbAt(cmpStart, "2027-06-05 11:00"))
	h.env.RegisterDelayedCallback(func() {
		pub := h.openTasks(workflows.KindPublish)
		require.Len(t, pub, 1)
		require.Equal(t, 2, pub[0].Batch, "batch 2 waits for its own decision")
		require.True(t, pub[0].DueAt.Equal(tbEndOfDay("2027-12-02")), "due %s", pub[0].DueAt)
		c := cmpRow(h)
		require.Equal(t, "published", c.Status)
		require.NotNil(t, c.Batch1PublishedAt)
		require.Nil(t, c.Batch2PublishedAt)
		u.decide("", "publish-2", workflows.KindPublish, workflows.DecisionRequest{TaskID: pub[0].ID, Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 2})
	}, tbAt(cmpStart, "2027-06-10 10:00"))

	h.env.ExecuteWorkflow(workflows.Campaign, cmpInput(cmpHohhot, cmpBaotou, cmpOrdos))
	require.True(t, h.env.IsWorkflowCompleted(), "the campaign ends after both batches")
	require.NoError(t, h.env.GetWorkflowError())

	u.ok("submit-baotou")
	u.ok("acknowledge")
	require.Equal(t, "confirm_open_leagues", workflows.RefusalFields(u.refused("publish-unconfirmed", workflows.ErrWrongState).err)[0].Field)
	require.Contains(t, workflows.RefusalFields(u.refused("publish-miscounted", workflows.ErrWrongState).err)[0].Message, "尚有 2 个盟市未报送汇总表")
	r := u.refused("publish-none", workflows.ErrWrongState)
	require.False(t, r.rejected, "refused by the workflow after the look-up, not by the validator")
	require.Equal(t, "batch1_published", u.ok("publish-1").val.(workflows.DecisionResult).Stage)
	require.Equal(t, "batch2_published", u.ok("publish-2").val.(workflows.DecisionResult).Stage)

	var published []tbSignal
	published = append(published, rec.named(workflows.PublishedSignal)...)
	require.ElementsMatch(t, []tbSignal{ // sent together, in no set order
		{WorkflowID: "case-a", Name: workflows.PublishedSignal, Arg: workflows.Published{Batch: 1}},
		{WorkflowID: "case-b", Name: workflows.PublishedSignal, Arg: workflows.Published{Batch: 1}},
		{WorkflowID: "case-c", Name: workflows.PublishedSignal, Arg: workflows.Published{Batch: 2}},
	}, published)
	c := cmpRow(h)
	require.NotNil(t, c.Batch2PublishedAt)
	require.Equal(t, "2027-06-10", c.Batch2PublishedAt.In(tbCST).Format("2006-01-02"))

	// Calendar reminders: both to the leagues that had not submitted, only the 7-day one to 包头.
	for _, l := range []string{"hohhot", "ordos"} {
		ns := tbNotes(h, l, "reminder", "汇总表报送截止提醒")
		require.Equal(t, []string{"2027-05-13", "2027-05-19"}, tbDays(ns), l)
		require.Contains(t, ns[0].Body, "还有 7 天")
		require.Contains(t, ns[1].Body, "还有 1 天")
	}
	require.Equal(t, []string{"2027-05-13"}, tbDays(tbNotes(h, "baotou", "reminder", "汇总表报送截止提醒")))
	ns := tbNotes(h, "region", "reminder", "试点企业目录公布提醒")
	require.Equal(t, []string{"2027-05-29", "2027-06-04"}, tbDays(ns))
	require.Contains(t, ns[0].Body, "还有 7 天")
	require.Contains(t, ns[1].Body, "还有 1 天")

	var dones []string
	for _, task := range tbTasks(h, workflows.KindPublish) {
		dones = append(dones, task.Status+"/"+task.Outcome)
	}
	require.Equal(t, []string{"done/publish", "done/publish"}, dones)
	require.Len(t, tbAudit(h, "task.decide:publish_directory"), 2)
	require.Len(t, tbAudit(h, "task.decide:league_overdue"), 1)
}

// cmpMoved is a DeadlineMoved signal a league's collection received.
type cmpMoved struct {
	League string
	To     time.Time
}

// cmpFakeLeagues replaces the leagues' collections with children that only record the
// DeadlineMoved signals they receive. (A signal to a child running in the test environment is
// delivered to it directly, never to the OnSignalExternalWorkflow mock, so the signal is
// asserted on the receiving side.)
func cmpFakeLeagues() (register func(*testsuite.TestWorkflowEnvironment), moves func() []cmpMoved) {
	var mu sync.Mutex
	var got []cmpMoved
	// Registered under the real name rather than mocked with OnWorkflow: the test environment
	// reports a mocked child as started only once its mock function returns, and this one never does.
	fake := func(ctx workflow.Context, in workflows.LeagueInput) error {
		ch := workflow.GetSignalChannel(ctx, workflows.DeadlineMovedSignal)
		for {
			var m workflows.DeadlineMoved
			ch.Receive(ctx, &m)
			mu.Lock()
			got = append(got, cmpMoved{League: in.League, To: m.CollectionDeadline.UTC()})
			mu.Unlock()
		}
	}
	register = func(env *testsuite.TestWorkflowEnvironment) {
		env.RegisterWorkflowWithOptions(fake, workflow.RegisterOptions{Name: "LeagueCollection", DisableAlreadyRegisteredCheck: true})
	}
	moves = func() []cmpMoved {
		mu.Lock()
		defer mu.Unlock()
		return append([]cmpMoved(nil), got...)
	}
	return register, moves
}

// Moving the deadlines: what the validator refuses, and a move that re-arms the alerts still
// ahead (the reminders then fire relative to the new date), tells the leagues and moves the
// publication task.
func TestCampaignMoveDeadline(t *testing.T) {
	fakeLeagues, moves := cmpFakeLeagues()
	h, _ := cmpHarness(t, fakeLeagues)
	u := tbNewUpdates(h)
	cmpMockPublication(h, 1, []string{"case-a"})
	cmpMockPublication(h, 2, []string{"case-b"})
	// The fake collections write no rows: seed them (once the campaign row exists) so the
	// deadline has something to mark.
	h.env.RegisterDelayedCallback(func() {
		for _, l := range []string{"150100", "150200"} {
			require.NoError(t, h.db.Create(&models.LeagueCollection{ID: "2027-" + l, CampaignID: "2027", JurisdictionCode: l, Status: "collecting"}).Error)
		}
	}, time.Hour)
	oldC, oldP := workflows.DefaultCalendar(2027)
	newC := tbEndOfDay("2027-06-01")
	newP := tbEndOfDay("2027-06-20")
	move := func(label string, actor workflows.Actor, which string, to time.Time, reason string) {
		u.send("", workflows.MoveDeadlineUpdate, label, workflows.MoveDeadlineRequest{Actor: actor, Which: which, To: to, Reason: reason})
	}

	h.env.RegisterDelayedCallback(func() {
		move("wrong-role", leagueActor, "collection", newC, "延期")
		move("past-date", regionActor, "collection", cmpStart.Add(-24*time.Hour), "延期")
		move("now", regionActor, "collection", cmpStart.Add(9*24*time.Hour), "延期")
		move("collection-after-publication", regionActor, "collection", oldP.Add(24*time.Hour), "延期")
		move("collection-at-publication", regionActor, "collection", oldP, "延期")
		move("publication-before-collection", regionActor, "publication", oldC.Add(-24*time.Hour), "提前")
		move("unknown-which", regionActor, "exam", newC, "延期")
		move("no-reason", regionActor, "collection", newC, "")
	}, 9*24*time.Hour)
	// After the 7-day reminder (13 May), before the 1-day one (19 May).
	h.env.RegisterDelayedCallback(func() {
		require.Len(t, tbNotes(h, "hohhot", "reminder", "汇总表报送截止提醒"), 1)
		move("move-collection", regionActor, "collection", newC, "受疫情影响延期")
	}, tbAt(cmpStart, "2027-05-15 10:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, []cmpMoved{{"150100", newC.UTC()}, {"150200", newC.UTC()}}, moves(), "every league is told")
		require.True(t, cmpRow(h).CollectionDeadline.Equal(newC))
		for _, l := range []string{"hohhot", "baotou"} {
			ns := tbNotes(h, l, "deadline_moved", "")
			require.Len(t, ns, 1, l)
			require.Contains(t, ns[0].Body, "2027-06-01 23:59")
			require.Contains(t, ns[0].Body, "受疫情影响延期")
		}
	}, tbAt(cmpStart, "2027-05-15 11:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, map[string]string{"150100": "collecting", "150200": "collecting"}, cmpLeagueRows(h), "the old deadline has no effect")
		require.Empty(t, tbTasks(h, workflows.KindLeagueOverdue))
		require.Equal(t, "collecting", cmpRow(h).Status)
	}, tbAt(cmpStart, "2027-05-21 10:00"))
	h.env.RegisterDelayedCallback(func() {
		require.Equal(t, map[string]string{"150100": "overdue", "150200": "overdue"}, cmpLeagueRows(h))
		require.Equal(t, "督办逾期未报送汇总表的盟市（2 个）：呼和浩特市、包头市", h.openTask(workflows.KindLeagueOverdue).Title)
		move("move-collection-late", regionActor, "collection", tbEndOfDay("2027-06-03"), "再延期")
		move("move-publication", regionActor, "publication", newP, "专家评估延后")
	}, tbAt(cmpStart, "2027-06-02 10:00"))
	h.env.RegisterDelayedCallback(func() {
		pub := h.openTask(workflows.KindPublish)
		require.True(t, pub.DueAt.Equal(newP), "due %s", pub.DueAt)
		require.Equal(t, models.SLAOnTime, pub.SLAState)
		require.True(t, cmpRow(h).PublicationTarget.Equal(newP))
	}, tbAt(cmpStart, "2027-06-02 11:00"))
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "publish-1", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 2})
	}, tbAt(cmpStart, "2027-06-20 10:00"))
	h.env.RegisterDelayedCallback(func() {
		move("move-publication-after-publish", regionActor, "publication", tbEndOfDay("2027-06-30"), "再延期")
	}, tbAt(cmpStart, "2027-06-20 11:00"))
	h.env.RegisterDelayedCallback(func() {
		u.decide("", "publish-2", workflows.KindPublish, workflows.DecisionRequest{Actor: regionActor, Outcome: "publish", ConfirmOpenLeagues: 2})
	}, tbAt(cmpStart, "2027-06-21 10:00"))

	h.env.ExecuteWorkflow(workflows.Campaign, cmpInput(cmpHohhot, cmpBaotou))
	require.True(t, h.env.IsWorkflowCompleted())
	require.NoError(t, h.env.GetWorkflowError())

	for label, want := range map[string]string{
		"wrong-role":                     workflows.ErrNotCandidate,
		"past-date":                      workflows.ErrInvalidDecision,
		"now":                            workflows.ErrInvalidDecision,
		"collection-after-publication":   workflows.ErrInvalidDecision,
		"collection-at-publication":      workflows.ErrInvalidDecision,
		"publication-before-collection":  workflows.ErrInvalidDecision,
		"unknown-which":                  workflows.ErrInvalidDecision,
		"no-reason":                      workflows.ErrInvalidDecision,
		"move-collection-late":           workflows.ErrWrongState,
		"move-publication-after-publish": workflows.ErrWrongState,
	} {
		require.True(t, u.refused(label, want).rejected, "%s is refused by the validator", label)
	}
	cal := u.ok("move-collection").val.(workflows.CampaignCalendar)
	require.True(t, cal.CollectionDeadline.Equal(newC) && cal.PublicationTarget.Equal(oldP), "%+v", cal)
	cal = u.ok("move-publication").val.(workflows.CampaignCalendar)
	require.True(t, cal.CollectionDeadline.Equal(newC) && cal.PublicationTarget.Equal(newP), "%+v", cal)
	u.ok("publish-1")
	u.ok("publish-2")
	require.Len(t, moves(), 2, "a publication move does not concern the leagues")

	// The 7-day reminder went before the move and again for the new date; the 1-day reminder
	// fired only relative to the new date.
	ns := tbNotes(h, "hohhot", "reminder", "汇总表报送截止提醒")
	require.Equal(t, []string{"2027-05-13", "2027-05-25", "2027-05-31"}, tbDays(ns))
	require.Contains(t, ns[0].Body, "2027-05-20 23:59")
	require.Contains(t, ns[1].Body, "2027-06-01 23:59")
	require.Contains(t, ns[1].Body, "还有 7 天")
	require.Contains(t, ns[2].Body, "2027-06-01 23:59")
	require.Contains(t, ns[2].Body, "还有 1 天")
	// The publication reminders: the 7-day one before the move, then both for the new date.
	require.Equal(t, []string{"2027-05-29", "2027-06-13", "2027-06-19"}, tbDays(tbNotes(h, "region", "reminder", "试点企业目录公布提醒")))

	mc := tbAudit(h, "campaign.move_collection")
	require.Len(t, mc, 1)
	require.Equal(t, "受疫情影响延期", mc[0].Reason)
	require.True(t, strings.HasPrefix(mc[0].BeforeState, "2027-05-20T23:59:59"), mc[0].BeforeState)
	require.True(t, strings.HasPrefix(mc[0].AfterState, "2027-06-01T23:59:59"), mc[0].AfterState)
	require.Len(t, tbAudit(h, "campaign.move_publication"), 1)
}
