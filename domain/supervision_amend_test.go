package domain_test

import (
	"testing"

	"skillcert/domain"
)

// A report awaiting review may be amended by its supervisor (it stays awaiting review); a
// returned one is refiled; a published one is final.
func TestSupervisionReportAmendBeforeReview(t *testing.T) {
	cases := []struct {
		from, action, want string
		ok                 bool
	}{
		{domain.ReportSubmitted, domain.ReportAmend, domain.ReportSubmitted, true},
		{domain.ReportReturned, domain.ReportAmend, "", false},
		{domain.ReportPublished, domain.ReportAmend, "", false},
		{domain.ReportReturned, domain.ReportRefile, domain.ReportSubmitted, true},
	}
	for _, c := range cases {
		got, ok := domain.NextReportStatus(c.from, c.action)
		if got != c.want || ok != c.ok {
			t.Errorf("%s %s: %q %v, want %q %v", c.from, c.action, got, ok, c.want, c.ok)
		}
	}
}
