package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// The region's decision page shows each expert's score and comment, not only the average;
// names only for those who may read the expert pool, never for the enterprise.
func TestRegionDecisionShowsEachExpertsScore(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	ctx := context.Background()
	task := seedTask(t, e.db, "c-dec", "app-dec", workflows.KindRegionDecision, workflows.StageRegionDecision, models.RoleRegionOfficial,
		models.RegionCode, time.Now().Add(72*time.Hour))
	ex, err := e.db.UserByUsername(ctx, "expert1")
	require.NoError(t, err)
	cs, err := e.db.CaseByID(ctx, "c-dec")
	require.NoError(t, err)
	_, err = e.db.ApplyTransition(ctx, models.Transition{Key: "scores-c-dec", Case: &cs, Events: []models.CaseEvent{
		{CaseID: "c-dec", Kind: "expert_scored", Stage: workflows.StageExpertEvaluation, ActorID: ex.ID, ActorName: ex.DisplayName,
			ActorRole: models.RoleExpert, Summary: "一位评估专家已提交评分", DetailJSON: `{"score":88,"comment":"场地条件好，考评员队伍稳定"}`},
		{CaseID: "c-dec", Kind: "expert_scored", Stage: workflows.StageExpertEvaluation, ActorID: "x-2", ActorName: "王评审",
			ActorRole: models.RoleExpert, Summary: "一位评估专家已提交评分", DetailJSON: `{"score":71,"comment":"督导人员偏少"}`},
	}})
	require.NoError(t, err)

	body := e.pageOK(e.login("region"), taskHref(task.ID), http.StatusOK)
	require.Contains(t, body, "专家评估意见（2 位专家，平均分 79.5）")
	for _, want := range []string{ex.DisplayName, "王评审", "88 分", "71 分", "场地条件好，考评员队伍稳定", "督导人员偏少"} {
		require.Contains(t, body, want)
	}
	// 呼和浩特 reads the case, but not who sat on the panel.
	resp, body := e.get(e.login("hohhot"), taskHref(task.ID))
	if resp.StatusCode == http.StatusOK {
		require.Contains(t, body, "督导人员偏少")
		require.Contains(t, body, "专家2")
		require.NotContains(t, body, "王评审")
	}
}
