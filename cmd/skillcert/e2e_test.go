package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"skillcert/domain"
	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/dbtest"
	"skillcert/models/validate"
	"skillcert/workflows"
)

var updateHistories = flag.Bool("update-histories", false, "write the e2e run's workflow histories to workflows/testdata")

// e2eEnterpriseIDs are the demo enterprises' IDs (models.SeedDemo).
var e2eEnterpriseIDs = map[string]string{"dairy": "00000000-0000-7000-8000-000000000101", "power": "00000000-0000-7000-8000-000000000104"}

// download fetches a file as user.
func (s *stack) download(user, path string) []byte {
	s.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.http.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token(user))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	require.Equal(s.t, http.StatusOK, resp.StatusCode, "download %s: %s", path, b)
	return b
}

// upload posts a small PDF as the enterprise user and returns its reference.
func (s *stack) upload(user, purpose, name string) models.AttachmentRef {
	s.t.Helper()
	status, ref := s.uploadTo(user, "/api/v1/attachments", "purpose", purpose, name)
	require.Equal(s.t, http.StatusCreated, status, "upload %s", name)
	return ref
}

// uploadTo posts a small PDF to path as user, with the form field field=value, and answers
// the status and the stored attachment.
func (s *stack) uploadTo(user, path, field, value, name string) (int, models.AttachmentRef) {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	require.NoError(s.t, mw.WriteField(field, value))
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(s.t, err)
	fmt.Fprintf(fw, "%%PDF-1.4\n%% %s %s\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n", value, name)
	require.NoError(s.t, mw.Close())
	req, _ := http.NewRequest(http.MethodPost, s.http.URL+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+s.token(user))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	var out struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		SHA256 string `json:"sha256"`
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, models.AttachmentRef{ID: out.ID, Name: out.Name, SHA256: out.SHA256}
}

// uploadSittingRecords uploads every original record of a sitting as its enterprise (results
// are submitted only with all of them).
func (s *stack) uploadSittingRecords(user, sessionID string) {
	s.t.Helper()
	for _, k := range domain.RecordKinds {
		status, _ := s.uploadTo(user, "/api/v1/sessions/"+sessionID+"/records", "kind", k, domain.RecordNames[k]+".pdf")
		require.Equal(s.t, http.StatusCreated, status, "upload %s", k)
	}
}

// applicationForm builds a complete application for a demo enterprise, uploading its evidence.
func (s *stack) applicationForm(user string) appcheck.Form {
	f, err := driver.DemoForm(user, func(p, n string) (models.AttachmentRef, error) { return s.upload(user, p, n), nil })
	require.NoError(s.t, err)
	return f
}

type appView struct {
	ID           string        `json:"id"`
	Status       string        `json:"status"`
	DraftVersion int           `json:"draft_version"`
	Form         appcheck.Form `json:"form"`
	Return       *struct {
		ByField map[string][]string `json:"by_field"`
	} `json:"return"`
}

// submit saves the form as the enterprise's draft and submits it; returns the application ID.
func (s *stack) submit(user string, f appcheck.Form) string {
	s.t.Helper()
	var v appView
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/applications/mine", nil, &v)
	var saved struct {
		DraftVersion int `json:"draft_version"`
	}
	s.must(http.StatusOK, user, http.MethodPut, "/api/v1/applications/"+v.ID+"/draft", map[string]any{"draft_version": v.DraftVersion, "form": f}, &saved)
	s.must(http.StatusCreated, user, http.MethodPost, "/api/v1/applications/"+v.ID+"/submit", map[string]any{"draft_version": saved.DraftVersion}, nil)
	return v.ID
}

type taskList struct {
	Items []models.Task `json:"items"`
	Total int64         `json:"total"`
}

// task finds the one open task of a kind visible to user (optionally for a case).
func (s *stack) task(user, kind, caseID string) models.Task {
	s.t.Helper()
	var found models.Task
	s.eventually(func() bool {
		var l taskList
		s.must(http.StatusOK, user, http.MethodGet, "/api/v1/tasks?view=all&kind="+kind+"&limit=200", nil, &l)
		for _, t := range l.Items {
			if caseID == "" || t.CaseID == caseID {
				found = t
				return true
			}
		}
		return false
	}, "open %s task for %s (case %s)", kind, user, caseID)
	return found
}

func (s *stack) decide(user string, t models.Task, body map[string]any) workflows.DecisionResult {
	s.t.Helper()
	var res workflows.DecisionResult
	s.must(http.StatusOK, user, http.MethodPost, "/api/v1/tasks/"+t.ID+"/decision", body, &res)
	return res
}

func (s *stack) caseOf(user, id string) caseView {
	s.t.Helper()
	var c caseView
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/cases/"+id, nil, &c)
	return c
}

type caseView struct {
	models.Case
	Tasks    []models.Task      `json:"tasks"`
	Timeline []models.CaseEvent `json:"timeline"`
}

func (c caseView) eventKinds() []string {
	var ks []string
	for _, e := range c.Timeline {
		ks = append(ks, e.Kind)
	}
	return ks
}

func (s *stack) eventually(cond func() bool, msg string, args ...any) {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatalf("timed out waiting for "+msg, args...)
}

func (s *stack) stage(id string) string {
	c, err := s.db.CaseByID(context.Background(), id)
	if err != nil {
		return ""
	}
	return c.Stage
}

func (s *stack) waitStage(id, stage string) {
	s.t.Helper()
	s.eventually(func() bool { return s.stage(id) == stage }, "case %s to reach %s (is %s)", id, stage, s.stage(id))
}

func (s *stack) notificationsOf(user string) []models.Notification {
	var l struct {
		Items []models.Notification `json:"items"`
	}
	s.must(http.StatusOK, user, http.MethodGet, "/api/v1/notifications", nil, &l)
	return l.Items
}

func hasNotification(ns []models.Notification, kind, subjectPart string) bool {
	for _, n := range ns {
		if n.Kind == kind && strings.Contains(n.Subject, subjectPart) {
			return true
		}
	}
	return false
}

func (s *stack) auditOK() {
	s.t.Helper()
	rep, err := s.db.VerifyAudit(context.Background())
	require.NoError(s.t, err)
	require.True(s.t, rep.OK, "audit chain: %+v", rep)
}

func (s *stack) auditCount(action, outcome string) int64 {
	var n int64
	require.NoError(s.t, s.db.Model(&models.AuditEntry{}).Where("action = ? AND outcome = ?", action, outcome).Count(&n).Error)
	return n
}

// TestLifecycleEndToEnd drives several enterprises in three leagues through the HTTP API on the
// embedded Temporal server and PostgreSQL, from application to the published directory and
// filed work plans, with a return for correction, a rejection, a deadline moved by the region,
// a missed league deadline with escalation, a complaint that suspends an enterprise, fifty
// concurrent identical decisions, an out-of-jurisdiction decision, and a crash and restart in
// the middle.
//
// Every API exchange of the run is checked against api/openapi.yaml at the end (recordContract).
func TestLifecycleEndToEnd(t *testing.T) {
	recordContract(t)
	dir := t.TempDir()
	dsn := dbtest.PostgresSchema(t)
	s := startStack(t, dir, dsn)
	defer func() { s.stop() }()
	now := time.Now()
	step := func(name string) { t.Logf("%6.1fs %s", time.Since(now).Seconds(), name) }
	year := upcomingYear(now)
	campaign := fmt.Sprint(year)

	// The region opens the campaign with a tight calendar.
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": year,
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)
	s.task("hohhot", workflows.KindSubmitSummary, "")
	s.task("region", workflows.KindPublish, "")

	step("Four enterprises apply")
	// 包头 has its counties pre-check applications; another league may not change that.
	require.Equal(t, http.StatusForbidden, s.call("hohhot", http.MethodPut, "/api/v1/jurisdictions/150200/precheck", map[string]any{"enabled": true}, nil))
	s.must(http.StatusOK, "baotou", http.MethodPut, "/api/v1/jurisdictions/150200/precheck", map[string]any{"enabled": true, "reason": "按盟市细则由旗县区初审"}, nil)

	// Four enterprises apply: two in 呼和浩特, one in 包头, one in 鄂尔多斯.
	apps := map[string]string{}
	forms := map[string]appcheck.Form{}
	for _, u := range []string{"dairy", "power", "rare", "energy"} {
		forms[u] = s.applicationForm(u)
		apps[u] = s.submit(u, forms[u])
		if u == "rare" {
			s.waitStage(apps[u], workflows.StagePrecheck)
			s.decide("kundulun", s.task("kundulun", workflows.KindPrecheck, apps[u]), map[string]any{"outcome": "pass"})
		}
		s.waitStage(apps[u], workflows.StageLeagueReview)
	}
	// A fifth, in 赛罕区, whose review 呼和浩特 finishes only after submitting its summary.
	bench, err := s.db.SeedBenchEnterprises(context.Background(), 1, e2ePassword)
	require.NoError(t, err)
	late := bench[0]
	require.Equal(t, "150100", late.League)
	lateForm, err := driver.BenchForm(late, func(p, n string) (models.AttachmentRef, error) { return s.upload(late.Username, p, n), nil })
	require.NoError(t, err)
	apps["late"] = s.submit(late.Username, lateForm)
	s.waitStage(apps["late"], workflows.StageLeagueReview)
	c := s.caseOf("dairy", apps["dairy"])
	require.Equal(t, []string{"submitted"}, c.eventKinds())
	require.True(t, hasNotification(s.notificationsOf("hohhot"), "new_task", "盟市审核"), "league told of the new task")

	step("A league official of another league")
	// A league official of another league cannot decide 呼和浩特's review: 403, audited.
	review := s.task("hohhot", workflows.KindLeagueReview, apps["dairy"])
	denied := s.auditCount("task.decide", models.OutcomeDenied)
	require.Equal(t, http.StatusForbidden, s.call("baotou", http.MethodPost, "/api/v1/tasks/"+review.ID+"/decision", map[string]any{"outcome": "accept"}, nil))
	require.Equal(t, denied+1, s.auditCount("task.decide", models.OutcomeDenied))
	// Nor can it even see the task in its inbox.
	var l taskList
	s.must(http.StatusOK, "baotou", http.MethodGet, "/api/v1/tasks?view=all&kind=league_review", nil, &l)
	for _, task := range l.Items {
		require.NotEqual(t, review.ID, task.ID)
	}

	step("呼和浩特 claims and returns")
	// 呼和浩特 claims and returns dairy's application for correction, with a reason on a field.
	var claimed models.Task
	s.must(http.StatusOK, "hohhot", http.MethodPost, "/api/v1/tasks/"+review.ID+"/claim", map[string]any{"version": review.Version}, &claimed)
	require.Equal(t, http.StatusConflict, s.call("hohhot", http.MethodPost, "/api/v1/tasks/"+review.ID+"/claim", map[string]any{"version": review.Version}, nil), "stale claim")
	res := s.decide("hohhot", claimed, map[string]any{"outcome": "return", "reasons": []map[string]string{{"field": "contact.mobile", "message": "请填写联系人本人的手机号码"}}, "request_key": "r1"})
	require.Equal(t, workflows.StageCorrection, res.Stage)
	// The same request again (double click) is harmless.
	require.Equal(t, res, s.decide("hohhot", claimed, map[string]any{"outcome": "return", "reasons": []map[string]string{{"field": "contact.mobile", "message": "请填写联系人本人的手机号码"}}, "request_key": "r1"}))
	var av appView
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/applications/"+apps["dairy"], nil, &av)
	require.Equal(t, models.ApplicationReturned, av.Status)
	require.Equal(t, []string{"请填写联系人本人的手机号码"}, av.Return.ByField["contact.mobile"])
	require.True(t, hasNotification(s.notificationsOf("dairy"), "outcome", "退回补正"))
	s.task("dairy", workflows.KindCorrection, apps["dairy"])

	step("The enterprise corrects and resubmits")
	// The enterprise corrects and resubmits; the league accepts.
	fixed := forms["dairy"]
	fixed.Contact.Mobile = "13900139000"
	s.submit("dairy", fixed)
	s.waitStage(apps["dairy"], workflows.StageLeagueReview)
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, apps["dairy"]), map[string]any{"outcome": "accept"})
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, apps["power"]), map[string]any{"outcome": "accept"})
	s.decide("baotou", s.task("baotou", workflows.KindLeagueReview, apps["rare"]), map[string]any{"outcome": "accept"})
	// 鄂尔多斯 rejects; a rejection without a reason is refused first.
	energyReview := s.task("ordos", workflows.KindLeagueReview, apps["energy"])
	require.Equal(t, http.StatusUnprocessableEntity, s.call("ordos", http.MethodPost, "/api/v1/tasks/"+energyReview.ID+"/decision", map[string]any{"outcome": "reject"}, nil))
	s.decide("ordos", energyReview, map[string]any{"outcome": "reject", "comment": "申报职业与主营业务关联不足"})
	s.waitStage(apps["energy"], workflows.StageClosed)
	s.must(http.StatusOK, "energy", http.MethodGet, "/api/v1/applications/"+apps["energy"], nil, &av)
	require.Equal(t, models.ApplicationRejected, av.Status)
	require.Equal(t, []string{"submitted", "returned", "resubmitted", "accepted"}, s.caseOf("dairy", apps["dairy"]).eventKinds())

	step("呼和浩特 submits its summary")
	// 呼和浩特 submits its summary; the region then moves the collection deadline forward and
	// 包头, which has not submitted, misses it.
	var sum struct {
		Cases []models.Case `json:"cases"`
	}
	s.must(http.StatusOK, "hohhot", http.MethodGet, "/api/v1/leagues/150100/summary", nil, &sum)
	require.Len(t, sum.Cases, 2)
	require.Equal(t, http.StatusForbidden, s.call("hohhot", http.MethodGet, "/api/v1/leagues/150200/summary", nil, nil))
	summaryTask := s.task("hohhot", workflows.KindSubmitSummary, "")
	require.Equal(t, http.StatusUnprocessableEntity, s.call("hohhot", http.MethodPost, "/api/v1/tasks/"+summaryTask.ID+"/decision",
		map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "12345"}, nil), "bad phone")
	s.decide("hohhot", summaryTask, map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "(0471)6606214"})
	// The league's summary table (附件2) as officials download it.
	xlsx := s.download("hohhot", "/api/v1/leagues/150100/summary/export.xlsx")
	book, err := excelize.OpenReader(bytes.NewReader(xlsx))
	require.NoError(t, err)
	rows, err := book.GetRows(book.GetSheetName(0))
	require.NoError(t, err)
	flat := fmt.Sprint(rows)
	require.Contains(t, flat, "呼和浩特乳业示范有限公司")
	require.Contains(t, flat, "呼和浩特电力检修示范有限公司")
	require.Contains(t, flat, "张科长")
	require.Equal(t, http.StatusForbidden, s.call("baotou", http.MethodGet, "/api/v1/leagues/150100/summary/export.xlsx", nil, nil))
	s.waitStage(apps["dairy"], workflows.StageExpertEvaluation)
	s.waitStage(apps["power"], workflows.StageExpertEvaluation)

	step("A late acceptance goes in a supplementary report")
	// 呼和浩特 accepts the fifth enterprise after its summary: the case waits for the league's
	// supplementary report (补充报送), never straight on to evaluation.
	s.decide("hohhot", s.task("hohhot", workflows.KindLeagueReview, apps["late"]), map[string]any{"outcome": "accept"})
	s.waitStage(apps["late"], workflows.StageInSummary)
	supplement := s.task("hohhot", workflows.KindSupplementarySummary, "")
	require.Equal(t, workflows.StageInSummary, s.stage(apps["late"]), "no evaluation before the supplementary report")
	s.decide("hohhot", supplement, map[string]any{"outcome": "submit", "contact_name": "张科长", "contact_phone": "(0471)6606214"})
	s.waitStage(apps["late"], workflows.StageExpertEvaluation)

	require.Equal(t, http.StatusUnprocessableEntity, s.call("region", http.MethodPost, "/api/v1/campaigns/"+campaign+"/deadlines",
		map[string]any{"which": "collection", "at": now.Add(-time.Hour), "reason": "提前"}, nil), "a date in the past is refused")
	require.Equal(t, http.StatusForbidden, s.call("hohhot", http.MethodPost, "/api/v1/campaigns/"+campaign+"/deadlines",
		map[string]any{"which": "collection", "at": time.Now().Add(time.Hour), "reason": "提前"}, nil))
	var cal workflows.CampaignCalendar
	newDeadline := time.Now().Add(3 * time.Second)
	s.must(http.StatusOK, "region", http.MethodPost, "/api/v1/campaigns/"+campaign+"/deadlines",
		map[string]any{"which": "collection", "at": newDeadline, "reason": "按自治区统一部署提前汇总"}, &cal)
	require.WithinDuration(t, newDeadline, cal.CollectionDeadline, time.Second)
	overdueTask := s.task("region", workflows.KindLeagueOverdue, "")
	require.Contains(t, overdueTask.Title, "包头市")
	require.NotContains(t, overdueTask.Title, "呼和浩特市")
	lc, err := s.db.LeagueCollectionOf(context.Background(), campaign, "150200")
	require.NoError(t, err)
	require.Equal(t, "overdue", lc.Status)
	require.True(t, hasNotification(s.notificationsOf("region"), "escalation", "逾期"))
	s.decide("region", overdueTask, map[string]any{"outcome": "acknowledge", "comment": "已电话督办"})
	// 包头 submits late; its enterprise goes on to evaluation.
	s.decide("baotou", s.task("baotou", workflows.KindSubmitSummary, ""), map[string]any{"outcome": "submit", "contact_name": "赵科长", "contact_phone": "0472-6606214"})
	s.waitStage(apps["rare"], workflows.StageExpertEvaluation)

	step("Crash in the middle")
	// Crash in the middle and start again on the same files: nothing is lost.
	s.stop()
	s = startStack(t, dir, dsn)
	require.Equal(t, workflows.StageExpertEvaluation, s.stage(apps["dairy"]))

	step("Each drawn expert scores")
	// Each drawn expert scores the enterprises assigned to them.
	for _, u := range []string{"expert1", "expert2", "expert3", "expert4"} {
		var mine taskList
		t0 := time.Now()
		s.must(http.StatusOK, u, http.MethodGet, "/api/v1/tasks?view=unit", nil, &mine)
		t.Logf("expert %s inbox in %s", u, time.Since(t0))
		for _, task := range mine.Items {
			require.Equal(t, workflows.KindExpertScore, task.Kind)
			// The drawn expert reads the application, with masked ID numbers only, while the
			// scoring task is open; afterwards it is out of reach again (need-to-know).
			var cs models.Case
			require.NoError(t, s.db.Where("id = ?", task.CaseID).First(&cs).Error)
			s.must(http.StatusOK, u, http.MethodGet, "/api/v1/applications/"+cs.ApplicationID, nil, &av)
			require.Contains(t, av.Form.Staff[0].IDNumber, "****")
			t0 := time.Now()
			s.decide(u, task, map[string]any{"outcome": "score", "score": 85, "comment": "条件具备"})
			t.Logf("expert %s scored %s in %s", u, task.CaseID, time.Since(t0))
			s.must(http.StatusForbidden, u, http.MethodGet, "/api/v1/applications/"+cs.ApplicationID, nil, nil)
		}
	}
	for _, u := range []string{"dairy", "power", "rare", "late"} {
		s.waitStage(apps[u], workflows.StageRegionDecision)
	}

	approved := []map[string]any{{"code": "6-31-01-03", "name": "电工", "levels": map[string]int{"low": 5, "high": 4}}}
	// Nothing wider than applied (电工 五级至三级) and nothing not applied for: 不得超范围.
	var bad struct {
		Error struct {
			Fields []validate.FieldError `json:"fields"`
		} `json:"error"`
	}
	s.must(http.StatusUnprocessableEntity, "region", http.MethodPost, "/api/v1/tasks/"+s.task("region", workflows.KindRegionDecision, apps["dairy"]).ID+"/decision",
		map[string]any{"outcome": "batch1", "approved": []map[string]any{{"code": "6-31-01-03", "name": "电工", "levels": map[string]int{"low": 5, "high": 1}},
			{"code": "6-18-01-01", "name": "车工", "levels": map[string]int{"low": 5, "high": 5}}}}, &bad)
	require.Len(t, bad.Error.Fields, 2)
	require.Equal(t, "wider_than_applied", bad.Error.Fields[0].Code)
	require.Equal(t, "not_applied", bad.Error.Fields[1].Code)
	s.decide("region", s.task("region", workflows.KindRegionDecision, apps["dairy"]), map[string]any{"outcome": "batch1", "approved": approved})
	s.decide("region", s.task("region", workflows.KindRegionDecision, apps["power"]), map[string]any{"outcome": "batch1", "approved": approved})

	step("Fifty concurrent")
	// Fifty concurrent submissions of the same decision make exactly one transition.
	rareDecision := s.task("region", workflows.KindRegionDecision, apps["rare"])
	var wg sync.WaitGroup
	codes := make([]int, 50)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = s.call("region", http.MethodPost, "/api/v1/tasks/"+rareDecision.ID+"/decision",
				map[string]any{"outcome": "batch2", "approved": approved, "request_key": fmt.Sprintf("k%d", i)}, nil)
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, code := range codes {
		if code == http.StatusOK {
			ok++
		} else {
			require.Equal(t, http.StatusConflict, code)
		}
	}
	require.Equal(t, 1, ok, "exactly one of fifty identical decisions acts")
	var selected int64
	require.NoError(t, s.db.Model(&models.CaseEvent{}).Where("case_id = ? AND kind = ?", apps["rare"], "selected").Count(&selected).Error)
	require.EqualValues(t, 1, selected)
	require.EqualValues(t, 1, s.auditCount("task.decide:region_decision", models.OutcomeOK)-2)

	step("The region publishes batch 1")
	// The region publishes batch 1; the public directory lists exactly those enterprises.
	s.waitStage(apps["dairy"], workflows.StageAwaitingPublication)
	s.waitStage(apps["power"], workflows.StageAwaitingPublication)
	// Leagues that have not submitted: the publication is refused until the region confirms
	// their number.
	var cp struct {
		OpenLeagues int `json:"open_leagues"`
	}
	s.must(http.StatusOK, "region", http.MethodGet, "/api/v1/campaigns/current", nil, &cp)
	pub := s.task("region", workflows.KindPublish, "")
	if cp.OpenLeagues > 0 {
		var refusal struct {
			Error struct {
				Fields []struct{ Field string } `json:"fields"`
			} `json:"error"`
		}
		s.must(http.StatusConflict, "region", http.MethodPost, "/api/v1/tasks/"+pub.ID+"/decision", map[string]any{"outcome": "publish"}, &refusal)
		require.Equal(t, "confirm_open_leagues", refusal.Error.Fields[0].Field)
	}
	s.decide("region", pub, map[string]any{"outcome": "publish", "confirm_open_leagues": cp.OpenLeagues})
	s.waitStage(apps["dairy"], workflows.StagePreparation)
	s.waitStage(apps["power"], workflows.StagePreparation)
	var directory struct {
		Items []models.DirectoryEntry `json:"items"`
	}
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/directory?batch=1", nil, &directory)
	require.Len(t, directory.Items, 2)
	require.Equal(t, "呼和浩特乳业示范有限公司", directory.Items[0].EnterpriseName)
	require.Equal(t, "王敏", directory.Items[0].ContactName)
	require.Equal(t, workflows.StageAwaitingPublication, s.stage(apps["rare"]), "batch 2 waits")

	step("dairy files its work plan")
	// dairy files its work plan; the region files it and the pilot is active.
	plan := s.upload("dairy", models.PurposeWorkPlan, "工作方案.pdf")
	spec := s.upload("dairy", models.PurposeEvaluationSpec, "评价规范.pdf")
	s.decide("dairy", s.task("dairy", workflows.KindWorkPlan, apps["dairy"]), map[string]any{"outcome": "submit",
		"documents": []map[string]string{{"kind": "work_plan", "attachment_id": plan.ID, "name": plan.Name}, {"kind": "evaluation_spec", "attachment_id": spec.ID, "name": spec.Name}}})
	s.decide("region", s.task("region", workflows.KindFileWorkPlan, apps["dairy"]), map[string]any{"outcome": "file"})
	s.waitStage(apps["dairy"], workflows.StageActive)
	require.True(t, hasNotification(s.notificationsOf("dairy"), "outcome", "备案"))
	step("Assessment, supervision, audit, certificates and the public query")
	s.assessmentJourney(t, apps["dairy"])

	step("An anonymous complaint")
	// An anonymous complaint against power goes to 新城区, whose verification proposes a
	// suspension; the region decides it and the enterprise is suspended.
	var filed struct {
		ID string `json:"id"`
	}
	require.Equal(t, http.StatusUnprocessableEntity, s.call("", http.MethodPost, "/api/v1/complaints", map[string]any{"enterprise_id": e2eEnterpriseIDs["power"], "anonymous": true, "content": "短"}, nil))
	s.must(http.StatusCreated, "", http.MethodPost, "/api/v1/complaints", map[string]any{"enterprise_id": e2eEnterpriseIDs["power"],
		"anonymous": true, "content": "该企业为非本单位职工组织认定并收取费用，违反试点规定。"}, &filed)
	verify := s.task("xincheng", workflows.KindVerifyComplaint, "")
	require.Equal(t, http.StatusForbidden, s.call("saihan", http.MethodPost, "/api/v1/tasks/"+verify.ID+"/decision", map[string]any{"outcome": "suspend", "comment": "x"}, nil))
	s.decide("xincheng", verify, map[string]any{"outcome": "suspend", "comment": "经核查举报属实，建议暂停试点并责令整改"})
	require.Equal(t, workflows.StagePreparation, s.caseOf("region", apps["power"]).Stage, "a county only proposes a suspension")
	proposal := s.task("region", workflows.KindComplaintDecision, "")
	s.decide("region", proposal, map[string]any{"outcome": "suspend", "comment": "经核查举报属实，暂停试点并责令整改"})
	s.waitStage(apps["power"], workflows.StageSuspended)
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/directory?batch=1", nil, &directory)
	require.Len(t, directory.Items, 1, "a suspended enterprise leaves the public directory")
	pc := s.caseOf("region", apps["power"])
	require.Contains(t, pc.eventKinds(), "complaint_received")
	require.Equal(t, "suspended", pc.eventKinds()[len(pc.eventKinds())-1])
	// The enterprise does not see the internal complaint row, but sees the suspension.
	pe := s.caseOf("power", apps["power"]).eventKinds()
	require.NotContains(t, pe, "complaint_received")
	require.Contains(t, pe, "suspended")

	step("A rectification order")
	// A complaint against dairy is upheld with 责令整改 by 赛罕区: dairy reports its rectification
	// by a deadline (a report is required), and the county verifies it.
	var filed2 struct {
		ID string `json:"id"`
	}
	s.must(http.StatusCreated, "", http.MethodPost, "/api/v1/complaints", map[string]any{"enterprise_id": e2eEnterpriseIDs["dairy"],
		"anonymous": true, "content": "该企业认定考场未按规定配置视频监控设备。"}, &filed2)
	s.decide("saihan", s.task("saihan", workflows.KindVerifyComplaint, ""), map[string]any{"outcome": "rectify",
		"comment": "经核查部分考场未配置视频监控设备，责令整改"})
	rect := s.task("dairy", workflows.KindRectify, apps["dairy"])
	require.True(t, rect.DueAt.After(time.Now().AddDate(0, 0, 29)), "the enterprise has its deadline: %s", rect.DueAt)
	require.Equal(t, http.StatusUnprocessableEntity, s.call("dairy", http.MethodPost, "/api/v1/tasks/"+rect.ID+"/decision",
		map[string]any{"outcome": "submit"}, nil), "a rectification report is required")
	s.decide("dairy", rect, map[string]any{"outcome": "submit", "comment": "已为全部考场配置视频监控设备并接入考务平台"})
	s.decide("saihan", s.task("saihan", workflows.KindVerifyRectification, apps["dairy"]), map[string]any{"outcome": "accept"})
	dk := s.caseOf("dairy", apps["dairy"]).eventKinds()
	require.Subset(t, dk, []string{"rectification_ordered", "rectification_reported", "rectification_verified"})
	require.Equal(t, workflows.StageActive, s.stage(apps["dairy"]), "the pilot goes on")

	step("A late selection is published supplementarily")
	// The region publishes batch 2; the fifth enterprise, decided only now, can no longer join a
	// published batch: the region publishes it in a supplementary publication with its decision.
	s.must(http.StatusOK, "region", http.MethodGet, "/api/v1/campaigns/current", nil, &cp)
	s.decide("region", s.task("region", workflows.KindPublish, ""), map[string]any{"outcome": "publish", "confirm_open_leagues": cp.OpenLeagues})
	s.waitStage(apps["rare"], workflows.StagePreparation)
	lateDecision := s.task("region", workflows.KindRegionDecision, apps["late"])
	var closed struct {
		Error struct {
			Fields []validate.FieldError `json:"fields"`
		} `json:"error"`
	}
	s.must(http.StatusConflict, "region", http.MethodPost, "/api/v1/tasks/"+lateDecision.ID+"/decision",
		map[string]any{"outcome": "batch2", "approved": approved}, &closed)
	require.Contains(t, closed.Error.Fields[0].Message, "补充公布")
	s.decide("region", lateDecision, map[string]any{"outcome": "supplementary", "approved": approved})
	s.waitStage(apps["late"], workflows.StagePreparation)
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/directory?batch=2", nil, &directory)
	var names []string
	for _, d := range directory.Items {
		names = append(names, d.EnterpriseName)
	}
	require.Contains(t, names, late.Name)
	require.Contains(t, s.caseOf("region", apps["late"]).eventKinds(), "published")

	step("Every step is in the audit chain")
	// Every step is in the audit chain, and the chain holds.
	s.auditOK()
	for _, action := range []string{"case.start", "task.claim", "task.decide:league_review", "task.decide:submit_summary", "campaign.move_collection",
		"league.overdue", "panel.draw", "task.decide:expert_score", "task.decide:publish_directory", "task.decide:file_work_plan",
		"complaint.file", "task.decide:verify_complaint", "task.decide:complaint_decision", "application.submit", "task.decide:rectify",
		"task.decide:verify_rectification", "task.decide:supplementary_summary"} {
		require.Positive(t, s.auditCount(action, models.OutcomeOK), "audit has %s", action)
	}
	require.Positive(t, s.auditCount("task.decide:league_review", models.OutcomeRejected), "the refused reject is audited")

	s.writeHistories(t, map[string]string{
		"enterprise_case_active.json":    workflows.CaseWorkflowID(apps["dairy"]),
		"enterprise_case_rejected.json":  workflows.CaseWorkflowID(apps["energy"]),
		"enterprise_case_suspended.json": workflows.CaseWorkflowID(apps["power"]),
		"league_collection.json":         workflows.LeagueWorkflowID(campaign, "150200"),
		"campaign.json":                  workflows.CampaignWorkflowID(campaign),
		"complaint.json":                 workflows.ComplaintWorkflowID(filed.ID),
		"assessment_session.json":        s.sessionWorkflowOf(t, apps["dairy"]),
	})
}

// sessionWorkflowOf is the workflow ID of a case's first assessment session.
func (s *stack) sessionWorkflowOf(t *testing.T, caseID string) string {
	ss, err := s.db.SessionsOfCase(context.Background(), caseID)
	require.NoError(t, err)
	require.NotEmpty(t, ss)
	return ss[0].WorkflowID
}

// writeHistories replays each workflow of the run from the server (the code must be
// deterministic over what it just did) and, with -update-histories, saves the histories as JSON
// for the replay tests in workflows/testdata.
func (s *stack) writeHistories(t *testing.T, files map[string]string) {
	ctx := context.Background()
	for name, id := range files {
		r := sdkworker.NewWorkflowReplayer()
		r.RegisterWorkflow(workflows.EnterpriseCase)
		r.RegisterWorkflow(workflows.LeagueCollection)
		r.RegisterWorkflow(workflows.Campaign)
		r.RegisterWorkflow(workflows.Complaint)
		r.RegisterWorkflow(workflows.AssessmentSession)
		require.NoError(t, r.ReplayWorkflowExecution(ctx, s.tc.WorkflowService(), nil, "skillcert", workflow.Execution{ID: id}), "replay %s", id)
		if !*updateHistories {
			continue
		}
		iter := s.tc.GetWorkflowHistory(ctx, id, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		var hist historypb.History
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		// The SDK's replayer reads Temporal's own JSON form of a history.
		out, err := temporalproto.CustomJSONMarshalOptions{Indent: " "}.Marshal(&hist)
		require.NoError(t, err)
		// The file name carries the workflow ID: task IDs are derived from it, so a replay must
		// run under the original ID.
		file := strings.TrimSuffix(name, ".json") + "__" + id + ".json"
		require.NoError(t, os.WriteFile(filepath.Join("..", "..", "workflows", "testdata", file), out, 0o644))
	}
}
