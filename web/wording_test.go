package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/workflows"
)

// The enterprise's work-plan task is its own to do: no 认领 (claiming is for officials'
// queues) and no "本单位待认领".
func TestWorkPlanTaskOffersNoClaimToTheEnterprise(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	task := seedTask(t, e.db, "c-wp", "app-wp", workflows.KindWorkPlan, workflows.StagePreparation, models.RoleEnterpriseUser,
		domain.EnterpriseDomain("150105", dairyEnterpriseID), time.Now().Add(72*time.Hour))
	body := e.pageOK(e.login("dairy"), taskHref(task.ID), http.StatusOK)
	require.Contains(t, body, "工作方案")
	require.NotContains(t, body, "认领")
	// An official's queue task still says who holds it.
	review := seedTask(t, e.db, "c-lr", "app-lr", workflows.KindLeagueReview, workflows.StageLeagueReview, models.RoleLeagueOfficial,
		"150100", time.Now().Add(72*time.Hour))
	require.Contains(t, e.pageOK(e.login("hohhot"), taskHref(review.ID), http.StatusOK), "本单位待认领")
}

// The decision form's hint about reasons names only the outcomes the form offers: a league
// file-work-plan task has no "不予通过".
func TestReasonsHintNamesOnlyOfferedOutcomes(t *testing.T) {
	e := newAppEnv(t, dbtest.New(t, models.SQLite))
	task := seedTask(t, e.db, "c-hint", "app-hint", workflows.KindFileWorkPlan, workflows.StagePreparation, models.RoleRegionOfficial,
		models.RegionCode, time.Now().Add(72*time.Hour))
	body := e.pageOK(e.login("region"), taskHref(task.ID), http.StatusOK)
	require.Contains(t, body, "选择“退回”时必须填写理由。")
	require.NotContains(t, body, "不予通过")
}
