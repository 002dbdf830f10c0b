package domain

// Supervision reports (双随机、一公开): a drawn supervisor's report is public only once the
// region has reviewed it. A report is filed as submitted (待审核); the reviewer publishes it
// (公开) or returns it to the supervisor with a reason (退回补充); a returned report is
// refiled (amended) and waits for review again. A published report is final.
//
// Who reviews: the holders of "supervision review" in AccessTable, the regional department
// (region_official) alone. Publishing a supervision result is the department's public act, like
// publishing the directory (directory publish, also region_official alone); the appraisal
// centre and the league bureaus organise draws (supervision manage) and read the reports, but
// do not decide what the public sees.

// Statuses of a supervision report.
const (
	ReportSubmitted = "submitted" // 待审核
	ReportPublished = "published" // 已公开
	ReportReturned  = "returned"  // 已退回督导员补充
)

// Review actions on a report, the supervisor's refiling of a returned one and amending of one
// still awaiting review (before the region has looked at it, the supervisor may correct it).
const (
	ReviewPublish = "publish"
	ReviewReturn  = "return"
	ReportRefile  = "refile"
	ReportAmend   = "amend"
)

// ReportStatusNames are the statuses' Chinese names.
var ReportStatusNames = map[string]string{
	ReportSubmitted: "待审核", ReportPublished: "已公开", ReportReturned: "已退回补充",
}

// reportMoves are the allowed transitions: status → action → next status.
var reportMoves = map[string]map[string]string{
	ReportSubmitted: {ReviewPublish: ReportPublished, ReviewReturn: ReportReturned, ReportAmend: ReportSubmitted},
	ReportReturned:  {ReportRefile: ReportSubmitted},
}

// NextReportStatus returns the status a report in status from moves to by action, and false
// when the action is not allowed from there (a published report is final; only a returned one
// is refiled; only a submitted one is reviewed or amended).
func NextReportStatus(from, action string) (string, bool) {
	to, ok := reportMoves[from][action]
	return to, ok
}

// ReviewsSupervision reports whether role may review (publish or return) supervision reports.
func ReviewsSupervision(role string) bool {
	_, ok := RelationFor(role, "supervision", "review")
	return ok
}

// ReportPublic reports whether a report in status appears in the public list (一公开).
func ReportPublic(status string) bool { return status == ReportPublished }

// RatingNeedsFollowUp reports whether a published report of rating tells the enterprise to
// act: 需整改 (rectify) and 存在严重问题 (serious).
func RatingNeedsFollowUp(rating string) bool { return rating == "rectify" || rating == "serious" }
