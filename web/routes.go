package web

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/api"
)

// Routes registers the server-rendered pages of the officials', enterprises' and public
// journeys (api.Pages).
func (p *Pages) Routes(r *gin.Engine) {
	p.engine = r
	login := p.api.RequirePageLogin

	// Logging in and out, and the home page.
	r.GET("/login", p.api.Page(p.loginPage))
	r.POST("/login", p.api.CSRF, p.api.Page(p.loginSubmit))
	r.POST("/logout", p.api.CSRF, p.api.Page(p.logoutSubmit))
	r.GET("/", p.api.Page(p.rootPage)) // the public landing page, or the user's 工作台
	// The header's 大字 (text_size.go).
	r.POST("/text-size", p.api.CSRF, p.api.Page(p.textSizeSubmit))
	// In-app notifications (the header's bell).
	r.GET("/notifications", login, p.api.Page(p.notificationsPage))
	r.POST("/notifications/read", login, p.api.CSRF, p.api.Page(p.notificationsRead))

	// Officials: inbox, task, decisions.
	r.GET("/inbox", login, p.api.Authorize("task", "read", api.OwnScope), p.api.Page(p.inbox))
	r.POST("/inbox/bulk", login, p.api.CSRF, p.api.Page(p.bulkDecide))
	r.GET("/tasks/:id", login, p.api.Page(p.taskPage))
	r.POST("/tasks/:id/decide", login, p.api.LimitUpload, p.readMultipart, p.api.GuardForm, p.api.CSRF, p.api.Page(p.decide))
	r.POST("/tasks/:id/claim", login, p.api.CSRF, p.api.Page(p.claim))
	r.POST("/tasks/:id/unclaim", login, p.api.CSRF, p.api.Page(p.unclaim))
	r.POST("/tasks/:id/redraw", login, p.api.CSRF, p.api.Page(p.redraw))

	// Enterprises: the application form and the case's progress. The form posts multipart
	// (evidence files travel with the typed fields, so nothing typed is lost by an upload).
	r.GET("/application", login, p.api.Page(p.applicationPage))
	form := func(m appMode) []gin.HandlerFunc {
		return []gin.HandlerFunc{login, p.api.LimitUpload, p.readMultipart, p.api.GuardForm, p.api.CSRF, p.api.Page(p.applicationPost(m))}
	}
	r.POST("/application/draft", form(modeDraft)...)
	r.POST("/application/upload", form(modeUpload)...)
	r.POST("/application/submit", form(modeSubmit)...)
	r.GET("/status", login, p.api.Page(p.statusPage))

	// Leagues and the region.
	r.GET("/summary", login, p.api.Page(p.summaryPage))
	r.POST("/summary/submit", login, p.api.CSRF, p.api.Page(p.summarySubmit))
	r.POST("/summary/paper", login, p.api.CSRF, p.api.Page(p.paperReceiptSubmit))
	r.GET("/campaign", login, p.api.Authorize("campaign", "read", api.OwnScope), p.api.Page(p.campaignPage))
	r.GET("/statistics", login, p.api.Authorize("statistics", "read", api.OwnScope), p.api.Page(p.statisticsPage))
	r.POST("/campaign/deadline", login, p.api.CSRF, p.api.Page(p.moveDeadline))
	r.POST("/campaign/start", login, p.api.CSRF, p.api.Page(p.startCampaign))
	r.GET("/admin/stalled", login, p.api.Authorize("finding", "read", api.OwnScope), p.api.Page(p.stalledPage))
	r.POST("/admin/stalled/remind", login, p.api.CSRF, p.api.Authorize("finding", "act", api.OwnScope), p.api.Page(p.remind))
	r.POST("/admin/stalled/reassign", login, p.api.CSRF, p.api.Authorize("finding", "act", api.OwnScope), p.api.Page(p.reassign))
	r.POST("/admin/stalled/return", login, p.api.CSRF, p.api.Authorize("finding", "act", api.OwnScope), p.api.Page(p.returnCase))
	r.GET("/admin/calendar", login, p.api.Authorize("calendar", "manage", api.OwnScope), p.api.Page(p.calendarPage))
	r.POST("/admin/calendar", login, p.api.CSRF, p.api.Authorize("calendar", "manage", api.OwnScope), p.api.Page(p.calendarSubmit))
	r.GET("/admin/cases", login, p.api.Authorize("case", "read", api.OwnScope), p.api.Page(p.casesPage))
	// Supervision reports: the region's review before publication, the supervisors' status.
	r.GET("/supervision/review", login, p.api.Authorize("supervision", "review", api.OwnScope), p.api.Page(p.supervisionReviewPage))
	r.POST("/supervision/review", login, p.api.CSRF, p.api.Page(p.supervisionReviewSubmit))
	r.GET("/supervision/mine", login, p.api.Page(p.supervisionMinePage))
	p.supervisionDrawRoutes(r, login) // the draws and the supervisors' report form (official_supervision_draws.go)

	// The public.
	r.GET("/directory", p.api.Page(p.directoryPage))
	r.GET("/supervision", p.api.Page(p.supervisionPage))
	r.GET("/publicity", p.api.Page(p.publicityPage))
	r.GET("/publicity/:id/objection", p.api.Page(p.objectionPage))
	r.POST("/publicity/:id/objection", p.api.CSRF, p.api.Page(p.objectionSubmit))
	r.GET("/complaint", p.api.Page(p.complaintPage))
	r.POST("/complaint", p.api.CSRF, p.api.Page(p.complaintSubmit))
	p.complaintStatusRoutes(r) // the complainant's progress page (public_complaint.go)
	r.GET("/register", p.api.Page(p.registerPage))
	r.POST("/register", p.api.CSRF, p.api.Page(p.registerSubmit))

	// Certificates: the public query and e-certificate, the logged-in view and revocation.
	throttle := p.api.PublicThrottle
	r.GET("/query", p.api.Page(p.certQueryPage))
	r.POST("/query", p.api.CSRF, throttle, p.api.Page(p.certQuerySubmit))
	r.GET("/c/:token", throttle, p.api.Page(p.publicCertificatePage))
	r.GET("/certificates/:id", login, p.api.Authorize("certificate", "read", p.api.CertificateScope), p.api.Page(p.certificatePage))
	r.GET("/certificates/:id/photo", login, p.api.Authorize("certificate", "read", p.api.CertificateScope), p.api.Page(p.certificatePhoto))
	r.POST("/certificates/:id/revoke", login, p.api.CSRF, p.api.Authorize("certificate", "revoke", p.api.CertificateScope), p.api.Page(p.certificateRevokeSubmit))
	// The application form laid out like 附件1, for the browser's print.
	r.GET("/applications/:id/print", login, p.api.Page(p.applicationPrintPage))
	// What changed between two submitted versions, in Chinese (enterprise_application_compare.go).
	r.GET("/applications/:id/compare", login, p.api.Page(p.applicationComparePage))

	// Enterprises' sittings, candidates, scores and certificates (enterprise_sittings.go).
	p.assessmentRoutes(r, login)
	// Administrators: users, jurisdictions, the audit log (admin.go).
	p.adminRoutes(r, login)
	// The appraisal centre's expert pool (admin_experts.go).
	p.expertRoutes(r, login)
	// The caller's password and login history (account_security.go).
	p.accountRoutes(r, login)
	p.twoFactorRoutes(r, login)
	// National filing codes and the work ledger (admin_filing.go).
	p.noticeRoutes(r, login)
	p.oidcRoutes(r)                  // unified identity login (oidc.go)
	p.auditExportRoutes(r, login)    // admin_audit.go
	p.securityPolicyRoutes(r, login) // admin_security.go
}

// Static serves the style sheet and the scripts; they need no caller. A directory is not
// found: nothing lists what the server holds.
func (p *Pages) Static(r *gin.Engine) {
	static, _ := fs.Sub(Static, "static")
	r.StaticFS("/static", filesOnly{http.FS(static)})
}

// filesOnly is a file system whose directories cannot be opened, so http.FileServer answers
// 404 for them instead of a listing.
type filesOnly struct{ http.FileSystem }

func (f filesOnly) Open(name string) (http.File, error) {
	file, err := f.FileSystem.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := file.Stat(); err != nil || st.IsDir() {
		_ = file.Close()
		return nil, fs.ErrNotExist
	}
	return file, nil
}
