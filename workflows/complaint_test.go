package workflows_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/workflows"
)

const cpID = "0c000000-0000-7000-8000-000000000001"

func cpInput(caseID string) workflows.ComplaintInput {
	return workflows.ComplaintInput{ComplaintID: cpID, EnterpriseID: dairyID, EnterpriseName: "呼和浩特乳业示范有限公司", CaseID: caseID,
		Jurisdiction: "150105", League: "150100", Region: "150000"}
}

func cpHarness(t *testing.T) (*harness, *tbSignals, *tbUpdates) {
	h, rec := tbHarness(t)
	h.env.SetStartWorkflowOptions(clientOptions(workflows.ComplaintWorkflowID(cpID)))
	return h, rec, tbNewUpdates(h)
}

func cpRow(h *harness) models.Complaint {
	h.t.Helper()
	var c models.Complaint
	require.NoError(h.t, h.db.First(&c, "id = ?", cpID).Error)
	return c
}

func cpResult(h *harness) workflows.ComplaintResult {
	h.t.Helper()
	require.True(h.t, h.env.IsWorkflowCompleted())
	require.NoError(h.t, h.env.GetWorkflowError())
	var res workflows.ComplaintResult
	require.NoError(h.t, h.env.GetWorkflowResult(&res))
	return res
}

// Each outcome closes the complaint with it, and is passed to the enterprise's case when there
// is one. The verification task goes to the enterprise's county. Suspension and removal change
// the region's directory, so the county only proposes them: the region decides, and its
// decision is what reaches the case (before, a county's "remove" took a pilot out of the
// directory).
func TestComplaintOutcomes(t *testing.T) {
	for _, tc := range []struct {
		outcome string
		caseID  string
	}{
		{"dismiss", caseID},
		{"rectify", caseID},
		{"suspend", caseID},
		{"remove", caseID},
		{"rectify", ""}, // an enterprise without a case
	} {
		name := tc.outcome
		if tc.caseID == "" {
			name += " without case"
		}
		t.Run(name, func(t *testing.T) {
			h, rec, u := cpHarness(t)
			var taskID string
			h.env.RegisterDelayedCallback(func() {
				task := h.openTask(workflows.KindVerifyComplaint)
				taskID = task.ID
				require.Equal(t, "county_official", task.CandidateRole)
				require.Equal(t, "150105", task.CandidateDomain)
				require.Equal(t, "150100", task.LeagueCode)
				require.Equal(t, tc.caseID, task.CaseID)
				require.Equal(t, "核查投诉举报：呼和浩特乳业示范有限公司", task.Title)
				require.True(t, task.DueAt.Equal(tbEndOfDay("2027-03-16")), "due %s", task.DueAt)
				row := cpRow(h)
				require.Equal(t, "open", row.Status)
				require.Equal(t, tc.caseID, row.CaseID)
				require.Len(t, tbNotes(h, "saihan", "new_task", "新的投诉举报待核查"), 1)
				// Every outcome needs reasons; only the county decides.
				u.decide("", "no-reason", "", workflows.DecisionRequest{TaskID: task.ID, Actor: countyActor, Outcome: tc.outcome})
				u.decide("", "league", "", workflows.DecisionRequest{TaskID: task.ID, Actor: leagueActor, Outcome: tc.outcome, Comment: "核查属实"})
				u.decide("", "unknown-outcome", "", workflows.DecisionRequest{TaskID: task.ID, Actor: countyActor, Outcome: "accept", Comment: "核查属实"})
				u.decide("", "decide", "", workflows.DecisionRequest{TaskID: task.ID, Actor: countyActor, Outcome: tc.outcome,
					Reasons: []workflows.Reason{{Message: "经现场核查"}}})
			}, time.Hour)
			proposal := tc.outcome == "suspend" || tc.outcome == "remove"
			if proposal {
				h.env.RegisterDelayedCallback(func() {
					require.Empty(t, rec.named(workflows.ComplaintOutcomeSignal), "a county's proposal does not reach the case")
					require.Equal(t, "region_review", cpRow(h).Status)
					d := h.openTask(workflows.KindComplaintDecision)
					require.Equal(t, "region_official", d.CandidateRole)
					require.Equal(t, "150000", d.CandidateDomain)
					u.decide("", "county-decides", "", workflows.DecisionRequest{TaskID: d.ID, Actor: countyActor, Outcome: tc.outcome, Comment: "核查属实"})
					u.decide("", "region", "", workflows.DecisionRequest{TaskID: d.ID, Actor: regionActor, Outcome: tc.outcome,
						Reasons: []workflows.Reason{{Message: "经现场核查"}}})
				}, 2*time.Hour)
			}

			h.env.ExecuteWorkflow(workflows.Complaint, cpInput(tc.caseID))
			require.Equal(t, workflows.ComplaintResult{Outcome: tc.outcome}, cpResult(h))
			u.refused("no-reason", workflows.ErrInvalidDecision)
			u.refused("league", workflows.ErrNotCandidate)
			u.refused("unknown-outcome", workflows.ErrInvalidDecision)
			decider := countyActor
			if proposal {
				require.Equal(t, "region_review", u.ok("decide").val.(workflows.DecisionResult).Stage)
				u.refused("county-decides", workflows.ErrNotCandidate)
				require.Equal(t, "closed", u.ok("region").val.(workflows.DecisionResult).Stage)
				decider = regionActor
			} else {
				require.Equal(t, "closed", u.ok("decide").val.(workflows.DecisionResult).Stage)
			}

			row := cpRow(h)
			require.Equal(t, "closed", row.Status)
			require.Equal(t, tc.outcome, row.Outcome)
			task := tbTask(h, taskID)
			require.Equal(t, models.TaskDone, task.Status)
			require.Equal(t, tc.outcome, task.Outcome)
			require.Equal(t, "经现场核查", task.Reasons)
			require.Equal(t, "u-saihan", task.DecidedBy)
			au := tbAudit(h, "task.decide:verify_complaint")
			require.Len(t, au, 1)
			if proposal {
				require.Equal(t, "proposed "+tc.outcome, au[0].AfterState)
				au = tbAudit(h, "task.decide:complaint_decision")
				require.Len(t, au, 1)
				require.Equal(t, "u-region", au[0].ActorID)
			}
			require.Equal(t, tc.outcome, au[0].AfterState)

			var events []models.CaseEvent
			require.NoError(t, h.db.Where("kind = ?", "complaint_received").Find(&events).Error)
			if tc.caseID == "" {
				require.Empty(t, rec.named(workflows.ComplaintOutcomeSignal), "no case, no signal")
				require.Empty(t, events)
				return
			}
			require.Len(t, events, 1)
			require.Equal(t, tc.caseID, events[0].CaseID)
			require.False(t, events[0].Public, "the complaint is not shown to the enterprise")
			require.Equal(t, []tbSignal{{WorkflowID: caseWFID, Name: workflows.ComplaintOutcomeSignal, Arg: workflows.ComplaintOutcome{
				ComplaintID: cpID, Outcome: tc.outcome, Reason: "经现场核查", Actor: decider}}}, rec.named(workflows.ComplaintOutcomeSignal))
		})
	}
}

// An enterprise registered directly under a league has its complaints verified by the league,
// and an overdue verification goes straight to the region.
func TestComplaintAgainstLeagueLevelEnterprise(t *testing.T) {
	h, rec, u := cpHarness(t)
	in := cpInput("")
	in.Jurisdiction = "150100"
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, "league_official", task.CandidateRole)
		require.Equal(t, "150100", task.CandidateDomain)
		require.Len(t, tbNotes(h, "hohhot", "new_task", "新的投诉举报待核查"), 1)
	}, time.Hour)
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, "region_official", task.CandidateRole)
		require.Equal(t, "150000", task.CandidateDomain)
		u.decide("", "league-late", "", workflows.DecisionRequest{TaskID: task.ID, Actor: leagueActor, Outcome: "dismiss", Comment: "不属实"})
		u.decide("", "region", "", workflows.DecisionRequest{TaskID: task.ID, Actor: regionActor, Outcome: "dismiss", Comment: "不属实"})
	}, tbAt(tbStart, "2027-03-17 12:00"))
	h.env.ExecuteWorkflow(workflows.Complaint, in)
	require.Equal(t, "dismiss", cpResult(h).Outcome)
	u.refused("league-late", workflows.ErrNotCandidate)
	u.ok("region")
	require.Equal(t, []string{"region_official@150000"}, tbAfterStates(tbAudit(h, "task.escalate")))
	require.Empty(t, rec.named(workflows.ComplaintOutcomeSignal))
}

// An unverified complaint is reminded to the county, then escalates county → league → region
// (the task moves each time and the previous holder can no longer decide), and once at the
// region it is reminded again there every ReviewDays days.
func TestComplaintEscalation(t *testing.T) {
	h, rec, u := cpHarness(t)
	// Due 2027-03-16 23:59:59 (15 days), reminder 2 days before, escalations at the due date
	// and every 10 days after it.
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, models.SLADueSoon, task.SLAState)
		require.Equal(t, "county_official", task.CandidateRole)
		require.Equal(t, []string{"2027-03-14"}, tbDays(tbNotes(h, "saihan", "reminder", "核查投诉举报")))
	}, tbAt(tbStart, "2027-03-15 12:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, "league_official", task.CandidateRole)
		require.Equal(t, "150100", task.CandidateDomain)
		require.Equal(t, 1, task.Escalated)
		require.Equal(t, models.SLAOverdue, task.SLAState)
		require.Equal(t, []string{"2027-03-16"}, tbDays(tbNotes(h, "hohhot", "escalation", "核查投诉举报")))
		require.Empty(t, tbNotes(h, "saihan", "escalation", ""))
		u.decide("", "county-late", "", workflows.DecisionRequest{TaskID: task.ID, Actor: countyActor, Outcome: "dismiss", Comment: "不属实"})
	}, tbAt(tbStart, "2027-03-17 12:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, "region_official", task.CandidateRole)
		require.Equal(t, "150000", task.CandidateDomain)
		require.Equal(t, 2, task.Escalated)
		require.Equal(t, []string{"2027-03-26"}, tbDays(tbNotes(h, "region", "escalation", "核查投诉举报")))
		u.decide("", "league-late", "", workflows.DecisionRequest{TaskID: task.ID, Actor: leagueActor, Outcome: "dismiss", Comment: "不属实"})
	}, tbAt(tbStart, "2027-03-27 12:00"))
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		require.Equal(t, "region_official", task.CandidateRole, "the region is the top")
		require.Equal(t, "150000", task.CandidateDomain)
		require.Equal(t, 3, task.Escalated)
		require.Equal(t, []string{"2027-03-26", "2027-04-05"}, tbDays(tbNotes(h, "region", "escalation", "核查投诉举报")))
		u.decide("", "region", "", workflows.DecisionRequest{TaskID: task.ID, Actor: regionActor, Outcome: "rectify", Comment: "责令限期整改"})
	}, tbAt(tbStart, "2027-04-06 12:00"))

	h.env.ExecuteWorkflow(workflows.Complaint, cpInput(caseID))
	require.Equal(t, "rectify", cpResult(h).Outcome)
	u.refused("county-late", workflows.ErrNotCandidate)
	u.refused("league-late", workflows.ErrNotCandidate)
	u.ok("region")
	require.Equal(t, []string{"league_official@150100", "region_official@150000", "region_official@150000"},
		tbAfterStates(tbAudit(h, "task.escalate")))
	require.Equal(t, "closed", cpRow(h).Status)
	sig := rec.named(workflows.ComplaintOutcomeSignal)
	require.Len(t, sig, 1)
	require.Equal(t, workflows.ComplaintOutcome{ComplaintID: cpID, Outcome: "rectify", Reason: "责令限期整改", Actor: regionActor}, sig[0].Arg)
}

// A county that typed the outcome's name as its comment and ended each reason with a full stop
// produced "投诉核查：责令整改。责令整改；宣传材料不实。；…" on the case's timeline. The reasons are
// joined as clauses (no "。；", no clause twice) and the case's entry does not repeat the order.
func TestComplaintWordingHasNoDoubledClauses(t *testing.T) {
	h, rec, u := cpHarness(t)
	h.env.RegisterDelayedCallback(func() {
		task := h.openTask(workflows.KindVerifyComplaint)
		u.decide("", "decide", "", workflows.DecisionRequest{TaskID: task.ID, Actor: countyActor, Outcome: "rectify", Comment: "责令整改。",
			Reasons: []workflows.Reason{{Message: "宣传材料不实。"}, {Message: "限期公开更正。"}}})
	}, time.Hour)
	h.env.ExecuteWorkflow(workflows.Complaint, cpInput(caseID))
	require.Equal(t, workflows.ComplaintResult{Outcome: "rectify"}, cpResult(h))
	u.ok("decide")
	const joined = "责令整改；宣传材料不实；限期公开更正"
	sent := rec.named(workflows.ComplaintOutcomeSignal)
	require.Len(t, sent, 1)
	require.Equal(t, joined, sent[0].Arg.(workflows.ComplaintOutcome).Reason)

	// The case writes the order with the reason the complaint sent.
	c, _ := tbHarness(t)
	c.env.SetStartWorkflowOptions(clientOptions(caseWFID))
	cu := tbNewUpdates(c)
	c.env.RegisterDelayedCallback(func() {
		c.env.SignalWorkflow(workflows.ComplaintOutcomeSignal, workflows.ComplaintOutcome{ComplaintID: cpID, Outcome: "rectify",
			Reason: joined, Actor: countyActor})
	}, time.Hour)
	c.env.RegisterDelayedCallback(func() {
		cu.send("", workflows.AdjustUpdate, "withdraw", workflows.AdjustRequest{Actor: enterpriseActor, Action: "withdraw", Reason: "结束测试"})
	}, 2*time.Hour)
	c.env.ExecuteWorkflow(workflows.EnterpriseCase, caseInput(false))
	var ev models.CaseEvent
	require.NoError(t, c.db.Where("kind = ?", "rectification_ordered").First(&ev).Error)
	require.Equal(t, "投诉核查：责令整改。宣传材料不实；限期公开更正", ev.Summary)
}
