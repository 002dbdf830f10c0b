package domain

import (
	"time"

	"skillcert/models/validate"
)

// The league's submission is paper and electronic (纸质版与电子版, domain.md §1 汇总, §10): the
// electronic application is the case; the receipt of the enterprise's signed paper application
// is recorded on the case by its league/city (date, who received it, remark).
var (
	PaperReceivedBy = Text{Label: "接收人", Max: 50, Columns: []string{"paper_receipts.received_by"}}
	PaperRemark     = Text{Label: "备注", Max: 500, Multiline: true, Columns: []string{"paper_receipts.remark"}}
)

// PaperCopyBlocksSummary says whether a league's summary may be reported while a case in it has
// no paper copy recorded. It does not: the notice sets one deadline for the league (20 May) and
// asks for the table and the materials "paper and electronic", but the electronic summary is
// what the campaign's deadline and the experts' evaluation run on, and a paper copy in the post
// must not make a league overdue. The summary page and its XLSX warn instead, naming each case
// without one, so the league sends the paper copies after it or explains why not.
const PaperCopyBlocksSummary = false

// CheckPaperReceipt checks a paper receipt as typed: the day (YYYY-MM-DD) is a real day, not
// after today (in loc) and not before the case was created; who received it is named. It returns
// the day parsed.
func CheckPaperReceipt(day, receivedBy, remark string, caseCreated, now time.Time, loc *time.Location) (time.Time, validate.Errors) {
	var errs validate.Errors
	d, err := time.ParseInLocation("2006-01-02", day, loc)
	switch {
	case day == "":
		errs.Add("received_on", "required", "请填写纸质申报表的接收日期。")
	case err != nil:
		errs.Add("received_on", "format", "接收日期应为 年-月-日，如 2027-05-18。")
	case d.After(now.In(loc)):
		errs.Add("received_on", CodeOutOfRange, "接收日期不能晚于今天。")
	case !caseCreated.IsZero() && d.AddDate(0, 0, 1).Before(caseCreated):
		errs.Add("received_on", CodeOutOfRange, "接收日期不能早于该申报提交的日期。")
	}
	if receivedBy == "" {
		errs.Add("received_by", "required", "请填写接收人。")
	}
	PaperReceivedBy.Add(&errs, "received_by", receivedBy)
	PaperRemark.Add(&errs, "remark", remark)
	return d, errs
}
