package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/webtest"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/policies"
	"skillcert/workflows"
)

const dairyID = "00000000-0000-7000-8000-000000000101"

// seedPanelCase puts the dairy enterprise's case in expert evaluation, as the workflow leaves
// it: the drawn panel on the case, one scoring task held by each expert, and a task of the
// enterprise's own held by its user. It returns the experts' user IDs.
func seedPanelCase(t *testing.T, db *models.DB) []string {
	t.Helper()
	ctx := context.Background()
	experts := []string{webtest.UserID(t, db, "expert1"), webtest.UserID(t, db, "expert2"), webtest.UserID(t, db, "expert3")}
	panel, err := json.Marshal(map[string]any{"seed": 7, "members": experts, "candidates": experts})
	require.NoError(t, err)
	due := time.Now().Add(72 * time.Hour)
	var tasks []models.Task
	for i, id := range experts {
		tasks = append(tasks, models.Task{ID: "case-c-panel.expert_score." + string(rune('1'+i)), WorkflowID: "case-c-panel", CaseID: "c-panel",
			Kind: workflows.KindExpertScore, Title: "专家评分：呼和浩特乳业示范有限公司", Stage: workflows.StageExpertEvaluation,
			CandidateRole: models.RoleExpert, CandidateDomain: models.RegionCode, JurisdictionCode: "150105", LeagueCode: "150100",
			EnterpriseName: "呼和浩特乳业示范有限公司", CampaignID: "2027", AssigneeID: id, DueAt: due})
	}
	tasks = append(tasks, models.Task{ID: "case-c-panel.file_work_plan.1", WorkflowID: "case-c-panel", CaseID: "c-panel",
		Kind: workflows.KindWorkPlan, Title: "提交工作方案：呼和浩特乳业示范有限公司", Stage: workflows.StageExpertEvaluation,
		CandidateRole: models.RoleEnterpriseUser, CandidateDomain: policies.EnterpriseDomain("150105", dairyID), JurisdictionCode: "150105", LeagueCode: "150100",
		EnterpriseName: "呼和浩特乳业示范有限公司", CampaignID: "2027", AssigneeID: webtest.UserID(t, db, "dairy"), DueAt: due})
	_, err = db.ApplyTransition(ctx, models.Transition{Key: "seed-c-panel", Case: &models.Case{ID: "c-panel", WorkflowID: "case-c-panel",
		CampaignID: "2027", EnterpriseID: dairyID, EnterpriseName: "呼和浩特乳业示范有限公司", ApplicationID: "app-panel", ApplicationVersion: 1,
		JurisdictionCode: "150105", LeagueCode: "150100", Stage: workflows.StageExpertEvaluation, Status: "open", WaitingOn: models.RoleExpert,
		SLAState: models.SLAOnTime, PanelJSON: string(panel)},
		OpenTasks: tasks, Events: []models.CaseEvent{{CaseID: "c-panel", Kind: "evaluation_started", Stage: workflows.StageExpertEvaluation,
			Summary: "进入专家评估", Public: true}}})
	require.NoError(t, err)
	return experts
}

// TestEnterpriseSeesNoExpertPanel reads the dairy enterprise's case in expert evaluation as
// the enterprise, through every JSON view of cases and tasks: neither the drawn experts' user
// IDs nor their names appear. The league official still sees the panel and who holds each task.
func TestEnterpriseSeesNoExpertPanel(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		e := newTestEnv(t, db)
		experts := seedPanelCase(t, db)
		names := []string{"吴教授", "郑高工", "冯高工", "评估专家"}
		dairy := e.bearer("dairy")
		for _, path := range []string{"/api/v1/cases/c-panel", "/api/v1/cases", "/api/v1/tasks", "/api/v1/tasks?view=mine",
			"/api/v1/tasks?view=unit", "/api/v1/tasks/case-c-panel.file_work_plan.1"} {
			raw := getRaw(t, e, dairy, path)
			for _, id := range experts {
				require.NotContains(t, raw, id, "GET %s shows an expert's user ID", path)
			}
			for _, n := range names {
				require.NotContains(t, raw, n, "GET %s shows an expert's name", path)
			}
			require.NotContains(t, raw, "panel_json", path)
		}
		raw := getRaw(t, e, dairy, "/api/v1/cases/c-panel")
		require.Contains(t, raw, webtest.UserID(t, db, "dairy"), "the enterprise still sees who holds its own task")
		require.Contains(t, raw, workflows.KindExpertScore, "… and that the experts are at work")
		code, _ := e.apiDo(dairy, http.MethodGet, "/api/v1/tasks/case-c-panel.expert_score.1", "")
		require.Equal(t, http.StatusForbidden, code)

		official := e.bearer("hohhot")
		for _, path := range []string{"/api/v1/cases/c-panel", "/api/v1/cases"} {
			raw := getRaw(t, e, official, path)
			for _, id := range experts {
				require.Contains(t, raw, id, "GET %s keeps the panel for officials", path)
			}
		}
	})
}

func getRaw(t *testing.T, e *testEnv, token, path string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.srv.URL+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var b strings.Builder
	_, err = io.Copy(&b, resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "GET %s: %s", path, b.String())
	return b.String()
}
