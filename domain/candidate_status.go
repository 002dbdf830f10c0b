package domain

// A candidate's status as one word for the sitting page, the task page and the API: where the
// candidate stands, from registration to the certificate. It is derived from the sitting's
// status, the candidate's result (pending | pass | fail), the centre's audit (pending |
// approved | rejected) and the certificate number. The centre audits the candidates who passed
// only; once it has decided, a candidate who failed is 未通过 — never still 待审核.

// Candidate statuses.
const (
	CandidateNoScores  = "no_scores" // 未录入成绩
	CandidateToSubmit  = "to_submit" // 待报送 (scores entered, the sitting still open)
	CandidateInAudit   = "in_audit"  // 待审核 (the results are with the centre)
	CandidateReturned  = "returned"  // 退回更正 (the centre returned this candidate)
	CandidateCorrected = "corrected" // 已更正，待重新报送
	CandidatePassed    = "passed"    // 通过 (approved; in publicity or awaiting the certificate)
	CandidateInPublic  = "publicity" // 通过，公示中
	CandidateCertified = "certified" // 通过，已发证
	CandidateFailed    = "failed"    // 未通过
)

// The sitting statuses (models.Session*), audit statuses and results the status is derived from.
const (
	sittingOpen, sittingSubmitted, sittingCorrecting, sittingPublicity = "open", "submitted", "correcting", "publicity"
	auditApproved, auditRejected                                       = "approved", "rejected"
	resultPass, resultFail                                             = "pass", "fail"
)

// CandidateStatusNames are the candidate statuses' Chinese names.
var CandidateStatusNames = map[string]string{
	CandidateNoScores:  "未录入成绩",
	CandidateToSubmit:  "待报送",
	CandidateInAudit:   "待审核",
	CandidateReturned:  "退回更正",
	CandidateCorrected: "已更正，待重新报送",
	CandidatePassed:    "通过",
	CandidateInPublic:  "通过，公示中",
	CandidateCertified: "通过，已发证",
	CandidateFailed:    "未通过",
}

// CandidateStatus answers a candidate's status in a sitting of status sitting.
func CandidateStatus(sitting, result, audit, certificate string) string {
	switch {
	case certificate != "":
		return CandidateCertified
	case audit == auditRejected:
		return CandidateReturned
	case result != resultPass && result != resultFail:
		return CandidateNoScores
	}
	switch sitting {
	case sittingOpen:
		return CandidateToSubmit
	case sittingSubmitted:
		return CandidateInAudit
	}
	// The centre has decided at least once (correcting, publicity, issued).
	if result == resultFail {
		return CandidateFailed
	}
	switch {
	case audit == auditApproved && sitting == sittingPublicity:
		return CandidateInPublic
	case audit == auditApproved:
		return CandidatePassed
	case sitting == sittingCorrecting:
		// A pass not yet approved while the sitting is corrected: a returned candidate's
		// corrected scores (SetScores puts the audit back to pending).
		return CandidateCorrected
	}
	return CandidateInAudit
}

// CandidateStatusName answers the Chinese name of a candidate's status.
func CandidateStatusName(sitting, result, audit, certificate string) string {
	return CandidateStatusNames[CandidateStatus(sitting, result, audit, certificate)]
}
