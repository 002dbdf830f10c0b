package main

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"skillcert/workflows"
)

// rectificationJourney: a complaint about a pilot is upheld with 责令整改 (the county's
// verification, sent to the case as the complaint workflow would); the enterprise finds its
// rectification task, is told a report is required when it sends none, reports, and the county
// verifies the report on its task page.
func rectificationJourney(t *testing.T, s *stack, ent, county *page, user, countyUser string) {
	id := caseOfUser(s, user)
	require.NoError(t, s.tc.SignalWorkflow(context.Background(), workflows.CaseWorkflowID(id), "", workflows.ComplaintOutcomeSignal,
		workflows.ComplaintOutcome{ComplaintID: "browser-" + user, Outcome: "rectify", Reason: "部分考场视频监控未全覆盖",
			Actor: workflows.Actor{Username: countyUser, Role: "county_official"}}))
	task := s.task(user, workflows.KindRectify, id)

	ent.login(user)
	ent.open("/tasks/" + task.ID)
	require.Contains(t, ent.main(), "整改情况报告")
	ent.checkpoint("rectify")
	ent.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, ent.main(), "请填写整改情况报告", "a report is required, said beside its field")
	ent.set(map[string]string{"f-comment": "已为全部考场配置高清视频监控设备并接入考务平台"})
	ent.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, ent.main(), "已办结")

	verify := s.task(countyUser, workflows.KindVerifyRectification, id)
	county.login(countyUser)
	county.open("/tasks/" + verify.ID)
	require.Contains(t, county.main(), "已为全部考场配置高清视频监控设备", "the county reads the report in the timeline")
	county.do("accept", chromedp.Click(chromedp.CSS(`input[name=outcome][value=accept]`)))
	county.checkpoint("verifying")
	county.press(chromedp.CSS(`#decide button[type=submit]`))
	require.Contains(t, county.main(), "已办结")
	s.waitStage(id, workflows.StageActive)
	require.Contains(t, s.caseOf("region", id).eventKinds(), "rectification_verified")
}
