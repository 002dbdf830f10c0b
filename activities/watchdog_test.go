package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"skillcert/activities"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// scanEnv runs ScanStalled in Temporal's activity test environment against a database, with
// no Temporal client: the database checks only.
type scanEnv struct {
	t   *testing.T
	db  *models.DB
	env *testsuite.TestActivityEnvironment
	a   *activities.Activities
}

func newScanEnv(t *testing.T, db *models.DB) *scanEnv {
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(sdklog.NewStructuredLogger(quietLogger()))
	env := ts.NewTestActivityEnvironment()
	a := &activities.Activities{DB: db, Logger: quietLogger()}
	env.RegisterActivity(a)
	return &scanEnv{t: t, db: db, env: env, a: a}
}

func (e *scanEnv) scan(now time.Time) activities.ScanResult {
	e.t.Helper()
	v, err := e.env.ExecuteActivity(e.a.ScanStalled, activities.ScanInput{Now: now, SilentDays: 10,
		StageNames: map[string]string{"league_review": "盟市审核"}})
	require.NoError(e.t, err)
	var res activities.ScanResult
	require.NoError(e.t, v.Get(&res))
	return res
}

func (e *scanEnv) finding(key string) models.Finding {
	e.t.Helper()
	f, err := e.db.FindingByKey(context.Background(), key)
	require.NoError(e.t, err, "finding %s", key)
	return f
}

func (e *scanEnv) noFinding(key string) {
	e.t.Helper()
	_, err := e.db.FindingByKey(context.Background(), key)
	require.ErrorIs(e.t, err, models.ErrNotFound, "finding %s", key)
}

// seedCase writes an open case waiting on the league with one open task, as of `at`.
func seedCase(t *testing.T, db *models.DB, id, waitingOn string, at, due time.Time, withTask bool) {
	t.Helper()
	ctx := context.Background()
	e := models.Enterprise{Name: "企业" + id, CreditCode: ("91150102MA0" + id + "XXXXXXXX")[:18], JurisdictionCode: "150102"}
	require.NoError(t, db.CreateEnterprise(ctx, &e))
	stage := "league_review"
	if !withTask {
		stage = "in_summary" // waiting on the league's summary: no task of its own
	}
	tr := models.Transition{Key: "seed-" + id, At: at, Case: &models.Case{ID: id, WorkflowID: "case-" + id, CampaignID: "2027",
		EnterpriseID: e.ID, EnterpriseName: e.Name, ApplicationID: "app-" + id, ApplicationVersion: 1, JurisdictionCode: "150102",
		LeagueCode: "150100", Stage: stage, Status: "open", WaitingOn: waitingOn, SLAState: models.SLAOnTime}}
	if withTask {
		tr.OpenTasks = []models.Task{{ID: "case-" + id + "/league_review/1/0", WorkflowID: "case-" + id, CaseID: id, Kind: "league_review",
			Title: "盟市审核申报材料：" + e.Name, Stage: "league_review", CandidateRole: models.RoleLeagueOfficial,
			CandidateDomain: "150100", JurisdictionCode: "150102", LeagueCode: "150100", EnterpriseName: e.Name, DueAt: due}}
	}
	_, err := db.ApplyTransition(ctx, tr)
	require.NoError(t, err)
}

func TestScanStalledFindsOverdueTasksAndSilentCasesAndResolvesThem(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2027, 5, 10, 2, 0, 0, 0, time.UTC)
		day := 24 * time.Hour
		// c1: waiting on the league for 20 days, task 5 days overdue → overdue + silent.
		seedCase(t, db, "c1", "league_official@150100", now.Add(-20*day), now.Add(-5*day-time.Hour), true)
		// c2: active 2 days ago, task due in 3 days → nothing.
		seedCase(t, db, "c2", "league_official@150100", now.Add(-2*day), now.Add(3*day), true)
		// c3: waiting 30 days for the league summary (a calendar wait, no task of its own) → nothing.
		seedCase(t, db, "c3", "league_summary", now.Add(-30*day), time.Time{}, false)
		// A league's summary task, not tied to a case, 2 hours overdue.
		_, err := db.ApplyTransition(ctx, models.Transition{Key: "seed-league", At: now.Add(-40 * day), OpenTasks: []models.Task{{
			ID: "league-2027-150200/submit_summary/1/0", WorkflowID: "league-2027-150200", Kind: "submit_summary",
			Title: "填报并报送汇总表", CandidateRole: models.RoleLeagueOfficial, CandidateDomain: "150200",
			JurisdictionCode: "150200", LeagueCode: "150200", DueAt: now.Add(-2 * time.Hour)}}})
		require.NoError(t, err)

		e := newScanEnv(t, db)
		res := e.scan(now)
		require.Equal(t, activities.ScanResult{OverdueTasks: 2, SilentCases: 1}, res)

		overdue := e.finding("overdue_task:case-c1/league_review/1/0")
		require.Equal(t, models.FindingOverdueTask, overdue.Kind)
		require.Equal(t, "c1", overdue.CaseID)
		require.Equal(t, "150102", overdue.JurisdictionCode)
		require.Equal(t, "待办「盟市审核申报材料：企业c1」已逾期 5 天（待办人：呼和浩特市 盟市人社局）", overdue.Detail)
		require.True(t, overdue.Since.Equal(now.Add(-5*day-time.Hour)), "since = due_at, got %s", overdue.Since)
		require.True(t, overdue.FirstSeen.Equal(now))
		require.Nil(t, overdue.ResolvedAt)

		league := e.finding("overdue_task:league-2027-150200/submit_summary/1/0")
		require.Equal(t, "待办「填报并报送汇总表」已逾期 2 小时（待办人：包头市 盟市人社局）", league.Detail)

		silent := e.finding("silent_case:c1")
		require.Equal(t, "企业c1的申报已 20 天没有业务进展（阶段：盟市审核，等待：呼和浩特市 盟市人社局）", silent.Detail)
		require.True(t, silent.Since.Equal(now.Add(-20*day)))
		e.noFinding("silent_case:c2")
		e.noFinding("silent_case:c3")
		e.noFinding("overdue_task:case-c2/league_review/1/0")

		// The same scan again (an activity retry): nothing changes.
		require.Equal(t, res, e.scan(now))
		require.Equal(t, overdue, e.finding(overdue.FindingKey))

		// The league decides c1's task; the case moves on. The next scan resolves both
		// findings of c1, and sees the league's task still overdue.
		later := now.Add(time.Hour)
		c1, err := db.CaseByID(ctx, "c1")
		require.NoError(t, err)
		c1.Stage, c1.WaitingOn = "in_summary", "league_summary"
		_, err = db.ApplyTransition(ctx, models.Transition{Key: "c1-accept", At: now.Add(30 * time.Minute), Case: &c1,
			CloseTasks: []models.TaskClose{{ID: "case-c1/league_review/1/0", Status: models.TaskDone, Outcome: "accept"}}})
		require.NoError(t, err)
		res = e.scan(later)
		require.Equal(t, activities.ScanResult{OverdueTasks: 1, Resolved: 2}, res)
		for _, key := range []string{"overdue_task:case-c1/league_review/1/0", "silent_case:c1"} {
			f := e.finding(key)
			require.NotNil(t, f.ResolvedAt, "%s resolved", key)
			require.True(t, f.ResolvedAt.Equal(later), "%s resolved at the scan's time, got %s", key, f.ResolvedAt)
		}
		league2 := e.finding(league.FindingKey)
		require.Nil(t, league2.ResolvedAt)
		require.True(t, league2.FirstSeen.Equal(now), "first_seen kept")
		require.True(t, league2.LastSeen.Equal(later), "last_seen updated")
		require.Equal(t, "待办「填报并报送汇总表」已逾期 3 小时（待办人：包头市 盟市人社局）", league2.Detail)

		open, err := db.OpenFindings(ctx, []string{"150200"})
		require.NoError(t, err)
		require.Len(t, open, 1)
		require.Equal(t, league.FindingKey, open[0].FindingKey)
	})
}

func TestRecordScanKeepsSinceWhenUnknownAndReopens(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		t0 := time.Date(2027, 5, 10, 2, 0, 0, 0, time.UTC)
		f := models.Finding{FindingKey: "retrying_activity:case-x/5", Kind: models.FindingRetryingActivity, CaseID: "x", Detail: "第一次"}
		all := []models.FindingScope{{Kind: models.FindingRetryingActivity, All: true}}
		_, err := db.RecordScan(ctx, t0, []models.Finding{f}, all)
		require.NoError(t, err)
		f.Detail = "第二次"
		_, err = db.RecordScan(ctx, t0.Add(time.Hour), []models.Finding{f}, all)
		require.NoError(t, err)
		got, err := db.FindingByKey(ctx, f.FindingKey)
		require.NoError(t, err)
		require.True(t, got.Since.Equal(t0), "a zero Since keeps the first, got %s", got.Since)
		require.Equal(t, "第二次", got.Detail)

		n, err := db.RecordScan(ctx, t0.Add(2*time.Hour), nil, all)
		require.NoError(t, err)
		require.EqualValues(t, 1, n)
		// An older scan finishing late does not move last_seen back.
		_, err = db.RecordScan(ctx, t0.Add(3*time.Hour), []models.Finding{f}, all)
		require.NoError(t, err)
		_, err = db.RecordScan(ctx, t0.Add(90*time.Minute), []models.Finding{f}, nil)
		require.NoError(t, err)
		got, err = db.FindingByKey(ctx, f.FindingKey)
		require.NoError(t, err)
		require.Nil(t, got.ResolvedAt, "seen again: reopened")
		require.True(t, got.FirstSeen.Equal(t0), "first_seen kept across a resolution")
		require.True(t, got.LastSeen.Equal(t0.Add(3*time.Hour)), "last_seen never moves back, got %s", got.LastSeen)

		// A scope limited to other cases leaves the finding alone; a closed case's findings go.
		n, err = db.RecordScan(ctx, t0.Add(4*time.Hour), nil, []models.FindingScope{{Kind: models.FindingRetryingActivity, CaseIDs: []string{"y"}}})
		require.NoError(t, err)
		require.Zero(t, n)
		n, err = db.RecordScan(ctx, t0.Add(4*time.Hour), nil, []models.FindingScope{{Kind: models.FindingRetryingActivity, ClosedCases: true}})
		require.NoError(t, err)
		require.EqualValues(t, 1, n, "case x has no open row")
	})
}

// A case must never be without a way forward: an open case whose stage waits on a task but that
// has none is recorded as "no next step" (before, the watchdog saw nothing and the case sat
// there); cases that wait on the league, the campaign or the region's resumption, and cases
// with an open task, are not; the finding resolves once the case moves on.
func TestScanStalledFindsCasesWithoutANextStep(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		now := time.Date(2027, 5, 10, 2, 0, 0, 0, time.UTC)
		seedCase(t, db, "n1", "league_official@150100", now.Add(-time.Hour), now.Add(24*time.Hour), true) // has its task
		seedCase(t, db, "n2", "league_summary", now.Add(-time.Hour), time.Time{}, false)                  // waits on the summary
		// n3: in the league's review with no task at all.
		seedCase(t, db, "n3", "league_official@150100", now.Add(-time.Hour), now.Add(24*time.Hour), true)
		_, err := db.ApplyTransition(ctx, models.Transition{Key: "n3-lost", At: now.Add(-time.Hour),
			CloseTasks: []models.TaskClose{{ID: "case-n3/league_review/1/0", Status: models.TaskCancelled, Outcome: "lost"}}})
		require.NoError(t, err)

		// n4 waits for batch 1, which was published a day ago without it; n5 waits for batch 2,
		// not yet published.
		for _, x := range []struct {
			id    string
			batch int
		}{{"n4", 1}, {"n5", 2}} {
			seedCase(t, db, x.id, "", now.Add(-48*time.Hour), time.Time{}, false)
			require.NoError(t, db.Model(&models.Case{}).Where("id = ?", x.id).Updates(map[string]any{"stage": "awaiting_publication", "batch": x.batch}).Error)
		}
		published := now.Add(-24 * time.Hour)
		_, err = db.ApplyTransition(ctx, models.Transition{Key: "cmp", Campaign: &models.Campaign{ID: "2027", Year: 2027,
			CollectionDeadline: now, PublicationTarget: now, Status: "published", Batch1PublishedAt: &published}})
		require.NoError(t, err)

		e := newScanEnv(t, db)
		res := e.scan(now)
		require.Equal(t, 2, res.NoNextStep)
		require.Contains(t, e.finding("no_next_step:n4").Detail, "审定列入第1批，但该批目录已公布而未列入")
		e.noFinding("no_next_step:n5")
		f := e.finding("no_next_step:n3")
		require.Equal(t, models.FindingNoNextStep, f.Kind)
		require.Equal(t, "n3", f.CaseID)
		require.Contains(t, f.Detail, "企业n3的申报处于「盟市审核」阶段，但没有任何待办")
		e.noFinding("no_next_step:n1")
		e.noFinding("no_next_step:n2")

		// The region returns it to the enterprise: a task again, the finding resolves.
		_, err = db.ApplyTransition(ctx, models.Transition{Key: "n3-return", At: now.Add(time.Minute), OpenTasks: []models.Task{{
			ID: "case-n3/correct_application/2/0", WorkflowID: "case-n3", CaseID: "n3", Kind: "correct_application", Title: "补正",
			CandidateRole: models.RoleEnterpriseUser, CandidateDomain: "150102/E/x", JurisdictionCode: "150102", DueAt: now.Add(48 * time.Hour)}}})
		require.NoError(t, err)
		res = e.scan(now.Add(time.Hour))
		require.Equal(t, 1, res.NoNextStep, "n4 still waits")
		require.NotNil(t, e.finding("no_next_step:n3").ResolvedAt)
	})
}
