package domain_test

import (
	"testing"

	"skillcert/domain"
)

// After the centre's audit every candidate has a final status: one who failed is 未通过, not
// still 待审核 (the centre audits the passes only, so a failed candidate's audit stays pending).
func TestCandidateStatusAfterTheAudit(t *testing.T) {
	cases := []struct{ sitting, result, audit, cert, want string }{
		{"open", "pending", "pending", "", "未录入成绩"},
		{"open", "pass", "pending", "", "待报送"},
		{"open", "fail", "pending", "", "待报送"},
		{"submitted", "pass", "pending", "", "待审核"},
		{"submitted", "fail", "pending", "", "待审核"},
		{"correcting", "pass", "rejected", "", "退回更正"},
		{"correcting", "pass", "pending", "", "已更正，待重新报送"},
		{"correcting", "pass", "approved", "", "通过"},
		{"correcting", "fail", "pending", "", "未通过"},
		{"publicity", "pass", "approved", "", "通过，公示中"},
		{"publicity", "fail", "pending", "", "未通过"},
		{"issued", "pass", "approved", "1500012027000001", "通过，已发证"},
		{"issued", "fail", "pending", "", "未通过"},
	}
	for _, c := range cases {
		if got := domain.CandidateStatusName(c.sitting, c.result, c.audit, c.cert); got != c.want {
			t.Errorf("%s/%s/%s: %q, want %q", c.sitting, c.result, c.audit, got, c.want)
		}
	}
}
