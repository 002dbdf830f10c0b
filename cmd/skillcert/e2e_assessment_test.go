package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/workflows"
)

// assessmentJourney takes an active pilot through a sitting: planning inside the approved
// scope only, candidates who are its own employees, scores, a supervision draw and report, the
// appraisal centre's audit with one rejection and its correction, certificates, the public
// query and a revocation visible in it.
func (s *stack) assessmentJourney(t *testing.T, caseID string) {
	// Results are taken on or after the exam date: the sitting is today (Asia/Shanghai).
	today := time.Now().In(domain.Shanghai).Format("2006-01-02")
	// The panel is chosen from the 考评人员 declared in the application, by their keys.
	var declared struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/cases/"+caseID+"/assessors", nil, &declared)
	require.Len(t, declared.Items, 3)
	three := []string{declared.Items[0].ID, declared.Items[1].ID, declared.Items[2].ID}
	plan := func(code string, level int, panel any) (int, map[string]any) {
		var out map[string]any
		st := s.call("dairy", http.MethodPost, "/api/v1/cases/"+caseID+"/sessions", map[string]any{"occupation_code": code, "level": level,
			"exam_date": today, "site": "公司技能评价中心理论考场", "assessor_ids": panel}, &out)
		return st, out
	}
	// 不得超范围: an occupation not approved, a level outside the approved range, too few assessors.
	st, _ := plan("6-31-03-01", 4, three)
	require.Equal(t, http.StatusUnprocessableEntity, st)
	st, _ = plan("6-31-01-03", 3, three)
	require.Equal(t, http.StatusUnprocessableEntity, st)
	st, _ = plan("6-31-01-03", 4, three[:2])
	require.Equal(t, http.StatusUnprocessableEntity, st)
	// 不得授权或委托其他机构开展: someone not declared, or names typed in, are refused.
	st, out := plan("6-31-01-03", 4, []string{three[0], three[1], "外聘考评员"})
	require.Equal(t, http.StatusUnprocessableEntity, st)
	require.Contains(t, fmt.Sprint(out), "undeclared_assessor")
	var typed map[string]any
	st = s.call("dairy", http.MethodPost, "/api/v1/cases/"+caseID+"/sessions", map[string]any{"occupation_code": "6-31-01-03", "level": 4,
		"exam_date": today, "site": "公司技能评价中心理论考场", "assessors": []map[string]string{{"name": "赵刚"}, {"name": "钱伟"}, {"name": "孙丽"}}}, &typed)
	require.Equal(t, http.StatusUnprocessableEntity, st, "%v", typed)
	require.Equal(t, http.StatusForbidden, s.call("power", http.MethodPost, "/api/v1/cases/"+caseID+"/sessions", map[string]any{}, nil))
	st, planned := plan("6-31-01-03", 4, three)
	require.Equal(t, http.StatusCreated, st, "%v", planned)
	sessionID := planned["session_id"].(string)

	// Candidates: only its own employees, valid ID numbers, no double registration.
	add := func(name, id string, employee bool) (int, models.SessionCandidate) {
		var c models.SessionCandidate
		return s.call("dairy", http.MethodPost, "/api/v1/sessions/"+sessionID+"/candidates", map[string]any{"name": name, "id_number": id, "employee": employee, "years_in_occupation": 20, "held_level": 2, "held_year": 2010, "education": "none"}, &c), c
	}
	st, _ = add("外单位人员", driver.DemoIDNumber("150105", 501), false)
	require.Equal(t, http.StatusUnprocessableEntity, st)
	st, _ = add("错号", "340524198001010013", true)
	require.Equal(t, http.StatusUnprocessableEntity, st)
	_, a := add("考生甲", driver.DemoIDNumber("150105", 511), true)
	_, b := add("考生乙", driver.DemoIDNumber("150105", 521), true)
	_, c := add("考生丙", driver.DemoIDNumber("150105", 531), true)
	require.NotEmpty(t, c.ID)
	require.Contains(t, a.IDMasked, "****")
	st, _ = add("考生甲", driver.DemoIDNumber("150105", 511), true)
	require.Equal(t, http.StatusUnprocessableEntity, st, "registered twice")
	// 回避: 赵刚 assesses this sitting and may not sit it.
	st, _ = add("赵刚", driver.DemoIDNumber("150105", 21), true)
	require.Equal(t, http.StatusUnprocessableEntity, st, "an assessor of the sitting as its candidate")

	score := func(cand models.SessionCandidate, theory, skill int) int {
		return s.call("dairy", http.MethodPut, "/api/v1/sessions/"+sessionID+"/candidates/"+cand.ID+"/scores", map[string]any{"theory": theory, "skill": skill, "notes": "表现良好"}, nil)
	}
	require.Equal(t, http.StatusUnprocessableEntity, score(a, 101, 80))
	submit := s.task("dairy", workflows.KindSubmitResults, caseID)
	// Results go only with the sitting's original records (妥善保管原始文档，全程留痕): refused,
	// naming every kind still missing.
	type refusal struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Fields  []struct {
				Field string `json:"field"`
			} `json:"fields"`
		} `json:"error"`
	}
	var no refusal
	require.Equal(t, http.StatusConflict, s.call("dairy", http.MethodPost, "/api/v1/tasks/"+submit.ID+"/decision", map[string]any{"outcome": "submit"}, &no))
	require.Equal(t, "records_missing", no.Error.Code)
	for _, k := range domain.RecordKinds {
		require.Contains(t, no.Error.Message, domain.RecordNames[k])
	}
	require.Len(t, no.Error.Fields, 4)
	recPath := "/api/v1/sessions/" + sessionID + "/records"
	st, signIn := s.uploadTo("dairy", recPath, "kind", domain.RecordSignIn, "签到表.pdf")
	require.Equal(t, http.StatusCreated, st)
	st, _ = s.uploadTo("dairy", recPath, "kind", domain.RecordPapers, "答题记录.pdf")
	require.Equal(t, http.StatusCreated, st)
	st, _ = s.uploadTo("dairy", recPath, "kind", domain.RecordScoreSheet, "成绩登记表.pdf")
	require.Equal(t, http.StatusCreated, st)
	st, _ = s.uploadTo("dairy", recPath, "kind", "rules", "规章制度.pdf")
	require.Equal(t, http.StatusUnprocessableEntity, st, "an application purpose is no original record")
	st, _ = s.uploadTo("dairy", "/api/v1/attachments", "purpose", domain.RecordVideoIndex, "录像索引.pdf")
	require.Equal(t, http.StatusUnprocessableEntity, st, "an original record is uploaded to its sitting")
	no = refusal{}
	require.Equal(t, http.StatusConflict, s.call("dairy", http.MethodPost, "/api/v1/tasks/"+submit.ID+"/decision", map[string]any{"outcome": "submit"}, &no))
	require.Contains(t, no.Error.Message, "视频监控录像索引")
	require.NotContains(t, no.Error.Message, "签到表")
	// Another enterprise can neither add to the sitting nor read its records.
	st, _ = s.uploadTo("power", recPath, "kind", domain.RecordVideoIndex, "录像索引.pdf")
	require.Equal(t, http.StatusForbidden, st)
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, s.call("power", http.MethodGet, recPath, nil, nil))
	require.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, s.call("power", http.MethodGet, "/api/v1/attachments/"+signIn.ID, nil, nil))
	st, _ = s.uploadTo("dairy", recPath, "kind", domain.RecordVideoIndex, "视频监控录像索引.xlsx")
	require.Equal(t, http.StatusUnprocessableEntity, st, "content must match the extension")
	st, _ = s.uploadTo("dairy", recPath, "kind", domain.RecordVideoIndex, "视频监控录像索引.pdf")
	require.Equal(t, http.StatusCreated, st)

	// Submitting before every candidate has scores is refused (by the workflow).
	require.Equal(t, http.StatusUnprocessableEntity, s.call("dairy", http.MethodPost, "/api/v1/tasks/"+submit.ID+"/decision", map[string]any{"outcome": "submit"}, nil))
	require.Equal(t, http.StatusOK, score(a, 80, 75))
	require.Equal(t, http.StatusOK, score(b, 50, 90))
	require.Equal(t, http.StatusOK, score(c, 70, 65))

	// 双随机一公开: the region draws the sitting and two supervisors; the draw re-runs the same.
	var draw struct {
		ID          string                  `json:"id"`
		Assignments []models.DrawAssignment `json:"assignments"`
	}
	s.must(http.StatusCreated, "region", http.MethodPost, "/api/v1/supervision/draws", map[string]any{"title": "第一轮质量督导", "sessions": 1, "per_session": 2}, &draw)
	require.Len(t, draw.Assignments, 1)
	require.Len(t, draw.Assignments[0].Supervisors, 2)
	var verify struct {
		Match bool `json:"match"`
	}
	s.must(http.StatusOK, "region", http.MethodGet, "/api/v1/supervision/draws/"+draw.ID+"/verify", nil, &verify)
	require.True(t, verify.Match)
	names := map[string]string{}
	for _, u := range []string{"supervisor1", "supervisor2", "supervisor3"} {
		var me struct {
			User models.User `json:"user"`
		}
		s.must(http.StatusOK, u, http.MethodGet, "/api/v1/me", nil, &me)
		names[me.User.ID] = u
	}
	reporter := names[draw.Assignments[0].Supervisors[0]]
	s.must(http.StatusCreated, reporter, http.MethodPost, "/api/v1/supervision/draws/"+draw.ID+"/reports",
		map[string]any{"session_id": sessionID, "rating": "good", "findings": "考场秩序良好，视频监控全程覆盖。"}, nil)
	var pub struct {
		Items []models.PublicSupervision `json:"items"`
	}
	// Public only once the region has reviewed and published it.
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/supervision", nil, &pub)
	require.Empty(t, pub.Items, "a report awaiting review is not public")
	var queue struct {
		Items []models.SupervisionReportRow `json:"items"`
	}
	s.must(http.StatusOK, "region", http.MethodGet, "/api/v1/supervision/reports?status=submitted", nil, &queue)
	require.Len(t, queue.Items, 1)
	s.must(http.StatusOK, "region", http.MethodPost, "/api/v1/supervision/reports/"+queue.Items[0].ID+"/review",
		map[string]any{"action": "publish"}, nil)
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/supervision", nil, &pub)
	require.Len(t, pub.Items, 1)
	require.Equal(t, "呼和浩特乳业示范有限公司", pub.Items[0].EnterpriseName)
	page := s.supervisionPage(t)
	require.Contains(t, page, "呼和浩特乳业示范有限公司")
	require.Contains(t, page, "考场秩序良好")

	// Results to the appraisal centre, which rejects 考生丙; the enterprise corrects; then approval.
	s.decide("dairy", submit, map[string]any{"outcome": "submit"})
	// The centre sees the records and downloads them.
	var recs struct {
		Records []models.Attachment `json:"records"`
		Missing []string            `json:"missing"`
	}
	s.must(http.StatusOK, "centre", http.MethodGet, recPath, nil, &recs)
	require.Len(t, recs.Records, 4)
	require.Empty(t, recs.Missing)
	require.Equal(t, http.StatusOK, s.call("centre", http.MethodGet, "/api/v1/attachments/"+signIn.ID, nil, nil))
	audit := s.task("centre", workflows.KindAuditResults, caseID)
	s.decide("centre", audit, map[string]any{"outcome": "reject", "reasons": []map[string]string{{"field": c.ID, "message": "操作技能考核评分记录不完整"}}})
	require.Equal(t, http.StatusConflict, score(a, 90, 90), "an approved candidate cannot be changed")
	require.Equal(t, http.StatusOK, score(c, 72, 68))
	s.decide("dairy", s.task("dairy", workflows.KindCorrectResults, caseID), map[string]any{"outcome": "resubmit"})
	s.decide("centre", s.task("centre", workflows.KindAuditResults, caseID), map[string]any{"outcome": "approve"})

	var sess struct {
		Status          string                    `json:"status"`
		PublicityEndsAt *time.Time                `json:"publicity_ends_at"`
		Candidates      []models.SessionCandidate `json:"candidates"`
	}
	s.publicityJourney(t, caseID, sessionID, map[string]models.SessionCandidate{"考生甲": a, "考生乙": b, "考生丙": c}, score)

	s.eventually(func() bool {
		s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
		return sess.Status == models.SessionIssued
	}, "certificates issued")
	numbers := map[string]string{}
	for _, x := range sess.Candidates {
		numbers[x.Name] = x.CertificateNumber
	}
	require.Empty(t, numbers["考生乙"], "a failed candidate gets no certificate")
	for _, n := range []string{numbers["考生甲"], numbers["考生丙"]} {
		require.NoError(t, validate.CheckCertificateNumber(n))
	}
	require.NotEqual(t, numbers["考生甲"], numbers["考生丙"])
	// The region's report: certificates and the pass rate by occupation.
	var report struct {
		Items []models.CertificateCount `json:"items"`
	}
	s.must(http.StatusOK, "region", http.MethodGet, "/api/v1/reports/certificates?group=occupation", nil, &report)
	require.Len(t, report.Items, 1)
	require.Equal(t, "6-31-01-03", report.Items[0].Key)
	require.EqualValues(t, 2, report.Items[0].Valid)
	require.EqualValues(t, 3, report.Items[0].Assessed)
	require.EqualValues(t, 2, report.Items[0].Passed)
	require.InDelta(t, 66.6, report.Items[0].PassRate, 0.01)

	s.assertPublicCertificate(t, "考生甲", driver.DemoIDNumber("150105", 511), numbers["考生甲"])
}

// e2ePublicitySeconds is the length of a publicity of results in the end-to-end stack
// (SKILLCERT_PUBLICITY_SECONDS): the embedded server's clock cannot skip five working days.
const e2ePublicitySeconds = 6

type publicityList struct {
	Items []struct {
		SessionID string    `json:"session_id"`
		Open      bool      `json:"open"`
		EndsAt    time.Time `json:"ends_at"`
		People    []struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Result string `json:"result"`
		} `json:"people"`
	} `json:"items"`
}

// publicityJourney takes the sitting, just approved by the centre, through two publicities: in
// the first, two objections — one dismissed after the period has ended (no certificate while it
// is open), one sustained, which returns 考生丙 to the enterprise; the corrected results are
// audited and published again, and the second publicity ends without objection (the caller
// then sees the certificates).
func (s *stack) publicityJourney(t *testing.T, caseID, sessionID string, cands map[string]models.SessionCandidate, score func(models.SessionCandidate, int, int) int) {
	type sitting struct {
		Status          string                    `json:"status"`
		PublicityEndsAt *time.Time                `json:"publicity_ends_at"`
		Candidates      []models.SessionCandidate `json:"candidates"`
	}
	var sess sitting
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
	require.Equal(t, models.SessionPublicity, sess.Status, "approval publishes the results; no certificate yet")
	require.NotNil(t, sess.PublicityEndsAt)
	for _, x := range sess.Candidates {
		require.Empty(t, x.CertificateNumber, "no certificate during the publicity")
	}
	// The public page: masked names, no ID numbers, the passing candidates only.
	var list publicityList
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/publicity", nil, &list)
	require.Len(t, list.Items, 1)
	require.True(t, list.Items[0].Open)
	var names []string
	for _, p := range list.Items[0].People {
		names = append(names, p.Name)
	}
	require.ElementsMatch(t, []string{"考*甲", "考*丙"}, names, "masked names of those who passed")
	page := s.page(t, "/publicity")
	require.Contains(t, page, "考*甲")
	require.NotContains(t, page, "考生甲")
	require.NotContains(t, page, driver.DemoIDNumber("150105", 511)[6:14])

	object := func(candidate, objector string) (int, map[string]any) {
		var out map[string]any
		st := s.call("", http.MethodPost, "/api/v1/public/publicity/"+sessionID+"/objections", map[string]any{"candidate_id": candidate,
			"objector": objector, "contact": "13800000000", "content": "据了解该考生未实际参加操作技能考核，请予核查。"}, &out)
		return st, out
	}
	st, out := object(cands["考生丙"].ID, "")
	require.Equal(t, http.StatusUnprocessableEntity, st, "an objection names its author: %v", out)
	st, out = object(cands["考生乙"].ID, "王某")
	require.Equal(t, http.StatusUnprocessableEntity, st, "考生乙 failed and is not in the list: %v", out)
	st, out = object(cands["考生丙"].ID, "王某")
	require.Equal(t, http.StatusCreated, st, "%v", out)
	st, out = object(cands["考生甲"].ID, "李某")
	require.Equal(t, http.StatusCreated, st, "%v", out)
	reviews := func() []models.Task {
		var l taskList
		s.must(http.StatusOK, "centre", http.MethodGet, "/api/v1/tasks?view=all&kind="+workflows.KindReviewObjection+"&limit=200", nil, &l)
		return l.Items
	}
	s.eventually(func() bool { return len(reviews()) == 2 }, "two objection reviews for the centre")
	var objections struct {
		Items []models.ResultObjection `json:"items"`
	}
	s.must(http.StatusOK, "centre", http.MethodGet, "/api/v1/sessions/"+sessionID+"/objections", nil, &objections)
	require.Len(t, objections.Items, 2)
	require.Equal(t, http.StatusForbidden, s.call("dairy", http.MethodGet, "/api/v1/sessions/"+sessionID+"/objections", nil, nil),
		"the enterprise does not learn who objected")
	taskOf := map[string]string{}
	for _, o := range objections.Items {
		taskOf[o.CandidateID] = o.TaskID
	}

	// The period ends with both objections open: no certificate.
	time.Sleep(time.Until(*sess.PublicityEndsAt) + time.Second)
	st, _ = object(cands["考生甲"].ID, "赵某")
	require.Equal(t, http.StatusConflict, st, "no objection after the period")
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
	require.Equal(t, models.SessionPublicity, sess.Status, "no certificate while objections are open")

	// One dismissed (still no certificate: the other is open), one sustained.
	review := func(id string) models.Task {
		for _, r := range reviews() {
			if r.ID == id {
				return r
			}
		}
		t.Fatalf("no open review %s", id)
		return models.Task{}
	}
	s.decide("centre", review(taskOf[cands["考生甲"].ID]), map[string]any{"outcome": "dismiss", "comment": "经核查，该考生参加了全部考核"})
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
	require.Equal(t, models.SessionPublicity, sess.Status)
	s.decide("centre", review(taskOf[cands["考生丙"].ID]), map[string]any{"outcome": "sustain", "comment": "经核查，操作技能考核由他人代考"})
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
	require.Equal(t, models.SessionCorrecting, sess.Status)
	for _, x := range sess.Candidates {
		require.Empty(t, x.CertificateNumber)
		if x.ID == cands["考生丙"].ID {
			require.Equal(t, "rejected", x.AuditStatus)
			require.Contains(t, x.AuditReason, "公示异议成立")
		}
	}
	// The enterprise corrects 考生丙 (re-examined under supervision), the centre approves, and the
	// second publicity ends without objection.
	require.Equal(t, http.StatusOK, score(cands["考生丙"], 74, 70))
	s.decide("dairy", s.task("dairy", workflows.KindCorrectResults, caseID), map[string]any{"outcome": "resubmit"})
	s.decide("centre", s.task("centre", workflows.KindAuditResults, caseID), map[string]any{"outcome": "approve"})
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/publicity", nil, &list)
	require.Len(t, list.Items, 1)
	require.Len(t, list.Items[0].People, 2)
	require.True(t, list.Items[0].Open)
	s.must(http.StatusOK, "dairy", http.MethodGet, "/api/v1/sessions/"+sessionID, nil, &sess)
	require.Equal(t, models.SessionPublicity, sess.Status)
	time.Sleep(time.Until(*sess.PublicityEndsAt))
}

// page fetches a public page.
func (s *stack) page(t *testing.T, path string) string {
	resp, err := http.Get(s.http.URL + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s: %s", path, b)
	return string(b)
}

type publicQuery struct {
	Items []struct {
		Number        string `json:"number"`
		HolderName    string `json:"holder_name"`
		IDMasked      string `json:"id_masked"`
		Status        string `json:"status"`
		RevokedReason string `json:"revoked_reason"`
	} `json:"items"`
}

// assertPublicCertificate finds a certificate through the public query by name and ID number
// and by number, revokes it as the appraisal centre and sees the revocation in the query.
func (s *stack) assertPublicCertificate(t *testing.T, name, idNumber, number string) {
	var q publicQuery
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/certificates?name="+url.QueryEscape(name)+"&id_number="+idNumber, nil, &q)
	require.Len(t, q.Items, 1)
	require.Equal(t, number, q.Items[0].Number)
	require.Equal(t, "valid", q.Items[0].Status)
	require.NotContains(t, q.Items[0].IDMasked, idNumber[6:14], "the public sees a masked ID")
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/certificates?name="+url.QueryEscape(name)+"&number="+number, nil, &q)
	require.Len(t, q.Items, 1)
	// The number alone is refused: it would let anyone walk the numbers for names.
	require.Equal(t, http.StatusBadRequest, s.call("", http.MethodGet, "/api/v1/public/certificates?number="+number, nil, nil))
	// Malformed input is refused and explained.
	require.Equal(t, http.StatusUnprocessableEntity, s.call("", http.MethodGet, "/api/v1/public/certificates?name="+url.QueryEscape(name)+"&id_number=340524198001010013", nil, nil))
	require.Equal(t, http.StatusUnprocessableEntity, s.call("", http.MethodGet, "/api/v1/public/certificates?name="+url.QueryEscape(name)+"&number=1234567890123456", nil, nil))

	cert, err := s.db.CertificateByNumber(context.Background(), number)
	require.NoError(t, err)
	require.Equal(t, http.StatusForbidden, s.call("dairy", http.MethodPost, "/api/v1/certificates/"+cert.ID+"/revoke", map[string]any{"reason": "x"}, nil))
	s.must(http.StatusOK, "centre", http.MethodPost, "/api/v1/certificates/"+cert.ID+"/revoke", map[string]any{"reason": "经核查考生身份不符"}, nil)
	s.must(http.StatusOK, "", http.MethodGet, "/api/v1/public/certificates?name="+url.QueryEscape(name)+"&number="+number, nil, &q)
	require.Equal(t, "revoked", q.Items[0].Status)
	require.Contains(t, q.Items[0].RevokedReason, "身份不符")
}

// supervisionPage fetches the public supervision page.
func (s *stack) supervisionPage(t *testing.T) string {
	resp, err := http.Get(s.http.URL + "/supervision")
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	return string(b)
}
