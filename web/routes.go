package web

import (
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/api"
)

// Routes registers the server-rendered pages of the officials', enterprises' and public
// journeys (api.Pages).
func (s *Pages) Routes(r *gin.Engine) {
	p := s
	p.engine = r
	login := s.api.RequirePageLogin

	// Logging in and out, and the home page.
	r.GET("/login", s.api.Page(s.loginPage))
	r.POST("/login", s.api.CSRF, s.api.Page(s.loginSubmit))
	r.POST("/logout", s.api.CSRF, s.api.Page(s.logoutSubmit))
	r.GET("/", login, s.api.Page(s.homePage))

	// Officials: inbox, task, decisions.
	r.GET("/inbox", login, s.api.Authorize("task", "read", api.OwnScope), s.api.Page(p.inbox))
	r.POST("/inbox/bulk", login, s.api.CSRF, s.api.Page(p.bulkDecide))
	r.GET("/tasks/:id", login, s.api.Page(p.taskPage))
	r.POST("/tasks/:id/decide", login, s.api.LimitUpload, p.readMultipart, s.api.CSRF, s.api.Page(p.decide))
	r.POST("/tasks/:id/claim", login, s.api.CSRF, s.api.Page(p.claim))
	r.POST("/tasks/:id/unclaim", login, s.api.CSRF, s.api.Page(p.unclaim))

	// Enterprises: the application form and the case's progress. The form posts multipart
	// (evidence files travel with the typed fields, so nothing typed is lost by an upload).
	r.GET("/application", login, s.api.Page(p.applicationPage))
	form := func(m appMode) []gin.HandlerFunc {
		return []gin.HandlerFunc{login, s.api.LimitUpload, p.readMultipart, s.api.CSRF, s.api.Page(p.applicationPost(m))}
	}
	r.POST("/application/draft", form(modeDraft)...)
	r.POST("/application/upload", form(modeUpload)...)
	r.POST("/application/submit", form(modeSubmit)...)
	r.GET("/status", login, s.api.Page(p.statusPage))

	// Leagues and the region.
	r.GET("/summary", login, s.api.Page(p.summaryPage))
	r.POST("/summary/submit", login, s.api.CSRF, s.api.Page(p.summarySubmit))
	r.GET("/campaign", login, s.api.Authorize("campaign", "read", api.OwnScope), s.api.Page(p.campaignPage))
	r.POST("/campaign/deadline", login, s.api.CSRF, s.api.Page(p.moveDeadline))
	r.GET("/admin/stalled", login, s.api.Authorize("finding", "read", api.OwnScope), s.api.Page(p.stalledPage))
	r.POST("/admin/stalled/remind", login, s.api.CSRF, s.api.Authorize("finding", "act", api.OwnScope), s.api.Page(p.remind))
	r.POST("/admin/stalled/reassign", login, s.api.CSRF, s.api.Authorize("finding", "act", api.OwnScope), s.api.Page(p.reassign))
	r.POST("/admin/stalled/return", login, s.api.CSRF, s.api.Authorize("finding", "act", api.OwnScope), s.api.Page(p.returnCase))
	r.GET("/admin/cases", login, s.api.Authorize("case", "read", api.OwnScope), s.api.Page(p.casesPage))

	// The public.
	r.GET("/directory", s.api.Page(p.directoryPage))
	r.GET("/supervision", s.api.Page(p.supervisionPage))
	r.GET("/complaint", s.api.Page(p.complaintPage))
	r.POST("/complaint", s.api.CSRF, s.api.Page(p.complaintSubmit))
	r.GET("/register", s.api.Page(p.registerPage))
	r.POST("/register", s.api.CSRF, s.api.Page(p.registerSubmit))

	// Certificates: the public query and e-certificate, the logged-in view and revocation.
	throttle := s.api.PublicThrottle
	r.GET("/query", s.api.Page(s.certQueryPage))
	r.POST("/query", s.api.CSRF, throttle, s.api.Page(s.certQuerySubmit))
	r.GET("/c/:token", throttle, s.api.Page(s.publicCertificatePage))
	r.GET("/certificates/:id", login, s.api.Authorize("certificate", "read", s.api.CertificateScope), s.api.Page(s.certificatePage))
	r.POST("/certificates/:id/revoke", login, s.api.CSRF, s.api.Authorize("certificate", "revoke", s.api.CertificateScope), s.api.Page(s.certificateRevokeSubmit))
	// The application form laid out like 附件1, for the browser's print.
	r.GET("/applications/:id/print", login, s.api.Page(s.applicationPrintPage))

	// Enterprises' sittings, candidates, scores and certificates (enterprise_sittings.go).
	p.assessmentRoutes(r, login)
	// Administrators: users, jurisdictions, the audit log (admin.go).
	p.adminRoutes(r, login)
}

// Static serves the style sheet and the scripts; they need no caller.
func (s *Pages) Static(r *gin.Engine) {
	static, _ := fs.Sub(Static, "static")
	r.StaticFS("/static", http.FS(static))
}
