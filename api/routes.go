package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

// Every JSON route, with who may call it. The table is the API's authorization at a glance:
//
//   - public: anyone, logged in or not;
//   - preCSRF: anyone; registered before the CSRF check, because these take JSON bodies only,
//     which a cross-site form cannot send, and a visitor has no session a forgery could ride on;
//   - throttled: anyone, within the per-address budget of the public certificate routes;
//   - loggedIn: any logged-in caller (session or bearer token), for what is the caller's own;
//   - useCase(obj, act): a logged-in caller; the use case requires the Casbin rule obj/act in
//     the domain of the object it loads (a task's, a case's enterprise …), which the route
//     cannot know;
//   - policy(obj, act, scope): a logged-in caller whom the authorize middleware allows obj/act
//     in the domain scope names, before the handler runs (the use case may check again);
//   - uploadPolicy(obj, act, scope): policy, for the multipart upload, whose body is bounded before
//     the CSRF check reads its form.
//
// Refusals are audited and answered 403 in both places. Unsafe methods need a CSRF token unless
// they come with a bearer token (see csrf).
func (s *Server) jsonRoutes() []route {
	// Scopes: the caller's own domain, one named by the request, or the object's.
	own, region := OwnScope, fixedScope(models.RegionCode)
	app, cert, attList := s.applicationScope, s.CertificateScope, s.attachmentListScope
	under, inJurisdiction, code := scopeFromQuery("under"), scopeFromQuery("jurisdiction"), scopeFromParam("code")
	const GET, POST, PUT, PATCH, DELETE = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete

	return []route{
		// Accounts, sessions and tokens.
		{POST, "/auth/login", preCSRF, s.apiLogin},
		{GET, "/captcha", throttled, s.apiCaptcha},
		{POST, "/enterprises/register", preCSRF, s.apiRegister},
		{POST, "/auth/logout", loggedIn, s.apiLogout},
		{GET, "/me", loggedIn, s.apiMe},
		{POST, "/me/password", loggedIn, s.apiChangePassword},
		{GET, "/me/logins", loggedIn, s.apiMyLogins},
		{GET, "/logins", policy("login", "read", own), s.apiLogins},
		{POST, "/tokens", loggedIn, s.apiCreateToken},
		{DELETE, "/tokens/:id", loggedIn, s.apiRevokeToken},

		// Jurisdictions, users and the audit log.
		{GET, "/jurisdictions", policy("jurisdiction", "read", under), s.apiJurisdictions},
		{POST, "/jurisdictions", policy("jurisdiction", "manage", own), s.apiCreateCounty},
		{PATCH, "/jurisdictions/:code", policy("jurisdiction", "manage", own), s.apiUpdateCounty},
		{PUT, "/jurisdictions/:code/precheck", policy("jurisdiction", "configure", code), s.apiSetPrecheck},
		{GET, "/users", policy("user", "read", inJurisdiction), s.apiUsers},
		{POST, "/users", policy("user", "manage", own), s.apiCreateUser},
		{GET, "/users/:id", useCase("user", "read"), s.apiUser},
		{POST, "/users/:id/disable", policy("user", "manage", own), s.apiDisableUser},
		{POST, "/users/:id/enable", policy("user", "manage", own), s.apiEnableUser},
		{POST, "/users/:id/password", policy("user", "credential", own), s.apiResetPassword},
		{POST, "/users/:id/unlock", policy("user", "credential", own), s.apiUnlockUser},
		{PUT, "/users/:id/grant", policy("user", "grant", own), s.apiSetUserGrant},
		{GET, "/audit", policy("audit", "read", inJurisdiction), s.apiAudit},
		{POST, "/audit/verify", policy("audit", "verify", own), s.apiAuditVerify},

		// The application form (附件1), its attachments and exports.
		{GET, "/applications/mine", policy("application", "read", own), s.apiMyApplication},
		{GET, "/applications/:id", useCase("application", "read"), s.apiApplication},
		{PUT, "/applications/:id/draft", policy("application", "edit", app), s.apiSaveDraft},
		{POST, "/applications/:id/submit", policy("application", "submit", app), s.apiSubmitApplication},
		{GET, "/applications/:id/versions", useCase("application", "read"), s.apiApplicationVersions},
		{GET, "/applications/:id/versions/:v", useCase("application", "read"), s.apiApplicationVersion},
		{GET, "/applications/:id/compare", useCase("application", "read"), s.apiCompareVersions},
		{POST, "/applications/:id/credit-code-override", policy("application", "override", app), s.apiCreditCodeOverride},
		{GET, "/applications/:id/export.xlsx", useCase("application", "read"), s.apiExportApplicationXLSX},
		{POST, "/attachments", uploadPolicy("attachment", "upload", own), s.apiUploadAttachment},
		{GET, "/attachments", policy("application", "read", attList), s.apiListAttachments},
		{GET, "/attachments/:id", useCase("application", "read"), s.apiDownloadAttachment},
		{GET, "/attachments/:id/versions", useCase("application", "read"), s.apiAttachmentVersions},
		{GET, "/occupations", loggedIn, s.apiOccupations},
		{GET, "/occupations/exclusions", loggedIn, s.apiExclusions},
		{POST, "/occupations/exclusions", policy("occupation", "manage", own), s.apiAddExclusion},
		{DELETE, "/occupations/exclusions/:name", policy("occupation", "manage", own), s.apiRemoveExclusion},
		{GET, "/occupations/eligibility/:code", loggedIn, s.apiEligibility},
		{PUT, "/occupations/eligibility/:code/:level", policy("occupation", "manage", own), s.apiSetEligibility},

		// Tasks and cases.
		{GET, "/tasks", policy("task", "read", own), s.apiTasks},
		{GET, "/tasks/:id", useCase("task", "read"), s.apiTask},
		{POST, "/tasks/:id/claim", useCase("task", "claim"), s.apiClaim},
		{POST, "/tasks/:id/unclaim", useCase("task", "claim"), s.apiUnclaim},
		{POST, "/tasks/:id/reassign", useCase("task", "reassign"), s.apiReassign},
		{POST, "/tasks/:id/decision", useCase("task", "decide"), s.apiDecide},
		{GET, "/cases", policy("case", "read", own), s.apiCases},
		{GET, "/cases/:id", useCase("case", "read"), s.apiCase},
		{POST, "/cases/:id/adjust", useCase("case", "adjust"), s.apiAdjust},
		{GET, "/notifications", loggedIn, s.apiNotifications},
		{GET, "/findings", policy("finding", "read", own), s.apiFindings},

		// Campaigns and the leagues' summaries (附件2).
		{GET, "/campaigns/current", loggedIn, s.apiCampaign},
		{POST, "/campaigns", policy("campaign", "manage", own), s.apiStartCampaign},
		{POST, "/campaigns/:id/deadlines", useCase("campaign", "manage"), s.apiMoveDeadline},
		{GET, "/leagues/:code/summary", useCase("summary", "read"), s.apiSummary},
		{GET, "/leagues/:code/summary/export.xlsx", policy("summary", "export", code), s.apiLeagueSummaryXLSX},
		{GET, "/summaries/export.xlsx", policy("summary", "export", region), s.apiRegionSummaryXLSX},

		// The paper application's receipt, the work ledger (工作台账), the national filing codes.
		{POST, "/cases/:id/paper-receipt", useCase("summary", "submit"), s.apiPaperReceipt},
		{GET, "/enterprises/:id/ledger.xlsx", useCase("certificate", "read"), s.apiLedgerXLSX},
		{GET, "/filing-codes", policy("enterprise", "manage", region), s.apiFilingCodes},
		{PUT, "/enterprises/:id/filing-code", useCase("enterprise", "manage"), s.apiSetFilingCode},

		// The expert pool (评估专家库), kept by the appraisal centre.
		{GET, "/experts", policy("expert", "read", region), s.apiExperts},
		{POST, "/experts", policy("expert", "manage", region), s.apiSaveExpert},
		{POST, "/experts/import", uploadPolicy("expert", "manage", region), s.apiImportExperts},
		{GET, "/experts/template.xlsx", policy("expert", "read", region), s.apiExpertTemplate},

		// Sittings, candidates and scores.
		{GET, "/cases/:id/assessors", useCase("assessment", "manage"), s.apiDeclaredAssessors},
		{POST, "/cases/:id/sessions", useCase("assessment", "manage"), s.apiPlanSession},
		{GET, "/cases/:id/sessions", useCase("case", "read"), s.apiCaseSessions},
		{GET, "/sessions/:id", useCase("case", "read"), s.apiSession},
		{POST, "/sessions/:id/candidates", useCase("assessment", "manage"), s.apiAddCandidate},
		{PUT, "/sessions/:id/candidates/:cid/scores", useCase("assessment", "manage"), s.apiSetScores},
		{PUT, "/sessions/:id/candidates/:cid/photo", useCase("assessment", "manage"), s.apiSetCandidatePhoto},
		{POST, "/sessions/:id/records", uploadPolicy("attachment", "upload", own), s.apiUploadSittingRecord},
		{GET, "/sessions/:id/records", useCase("case", "read"), s.apiSittingRecords},
		{GET, "/sessions/:id/candidates/:cid/photo", useCase("case", "read"), s.apiCandidatePhoto},
		// Sittings in bulk: the score grid, removal before submission, the XLSX export and imports.
		{PUT, "/sessions/:id/scores", useCase("assessment", "manage"), s.apiSetScoresGrid},
		{POST, "/sessions/:id/candidates/:cid/remove", useCase("assessment", "manage"), s.apiRemoveCandidate},
		{GET, "/sessions/:id/workbook.xlsx", useCase("case", "read"), s.apiSittingWorkbook},
		{POST, "/sessions/:id/candidates/import", uploadPolicy("assessment", "manage", own), s.apiImportSitting(false)},
		{POST, "/sessions/:id/scores/import", uploadPolicy("assessment", "manage", own), s.apiImportSitting(true)},

		// Certificates.
		{GET, "/public/certificates", throttled, s.apiPublicCertificates},
		{GET, "/certificates/public-key", public, s.apiCertificatePublicKey},
		{GET, "/certificates/:id/verify", throttled, s.apiVerifyCertificate},
		{POST, "/certificates/:id/revoke", policy("certificate", "revoke", cert), s.apiRevokeCertificate},
		{GET, "/reports/certificates", policy("report", "read", own), s.apiCertificateReport},
		{GET, "/statistics", policy("statistics", "read", own), s.apiStatistics},
		{GET, "/statistics/export.xlsx", policy("statistics", "read", own), s.apiStatisticsXLSX},

		// Supervision (双随机、一公开), complaints and the public directory.
		{POST, "/supervision/draws", policy("supervision", "manage", own), s.apiDraw},
		{GET, "/supervision/draws/:id", useCase("supervision", "read"), s.apiGetDraw},
		{GET, "/supervision/draws/:id/verify", useCase("supervision", "read"), s.apiVerifyDraw},
		{POST, "/supervision/draws/:id/reports", useCase("supervision", "report"), s.apiSupervisionReport},
		{GET, "/supervision/reports", policy("supervision", "read", own), s.apiSupervisionReports},
		{POST, "/supervision/reports/:id/review", useCase("supervision", "review"), s.apiReviewSupervisionReport},
		{GET, "/public/supervision", public, s.apiPublicSupervision},
		{POST, "/complaints", public, s.apiFileComplaint},
		{GET, "/complaints", policy("complaint", "read", own), s.apiComplaints},
		{GET, "/directory", public, s.apiDirectory},
		{POST, "/public/complaints/status", throttled, s.apiComplaintStatus},

		// Results publicity (公示), objections, the region's working-day table.
		{GET, "/public/publicity", public, s.apiPublicity},
		{GET, "/public/publicity/:id", public, s.apiPublicitySitting},
		{POST, "/public/publicity/:id/objections", public, s.apiFileObjection},
		{GET, "/sessions/:id/objections", useCase("objection", "read"), s.apiSessionObjections},
		{GET, "/calendar", policy("calendar", "manage", region), s.apiWorkCalendar},
		{PUT, "/calendar/days", policy("calendar", "manage", region), s.apiSetCalendarDay},
		{PUT, "/calendar/publicity-days", policy("calendar", "manage", region), s.apiSetPublicityDays},

		// The API's own description.
		{GET, "/openapi.yaml", public, s.openAPI},
	}
}

// route is one JSON route under /api/v1.
type route struct {
	method, path string
	access       access
	handle       func(*gin.Context) error
}

// access is who may call a route (see jsonRoutes).
type access struct {
	kind     accessKind
	obj, act string
	scope    ScopeFunc
}

type accessKind int

const (
	kindPublic accessKind = iota
	kindPreCSRF
	kindThrottled
	kindLoggedIn
	kindUseCase
	kindPolicy
	kindUpload
)

var (
	public    = access{kind: kindPublic}
	preCSRF   = access{kind: kindPreCSRF}
	throttled = access{kind: kindThrottled}
	loggedIn  = access{kind: kindLoggedIn}
)

func useCase(obj, act string) access { return access{kind: kindUseCase, obj: obj, act: act} }

func policy(obj, act string, scope ScopeFunc) access {
	return access{kind: kindPolicy, obj: obj, act: act, scope: scope}
}

func uploadPolicy(obj, act string, scope ScopeFunc) access {
	return access{kind: kindUpload, obj: obj, act: act, scope: scope}
}

// fixedScope is always the same domain.
func fixedScope(domain string) ScopeFunc {
	return func(*gin.Context, *service.Actor) (string, error) { return domain, nil }
}

// mountJSON registers the JSON routes: the pre-CSRF ones, then the CSRF check for the rest of
// /api/v1, each route's access check, and its handler, whose error writeError answers.
func (s *Server) mountJSON(r *gin.Engine) {
	routes := s.jsonRoutes()
	v1 := r.Group("/api/v1", jsonShape)
	for _, rt := range routes {
		if rt.access.kind == kindPreCSRF {
			v1.Handle(rt.method, rt.path, s.json(rt.handle))
		}
	}
	v1.Use(s.CSRF)
	for _, rt := range routes {
		h := s.json(rt.handle)
		switch a := rt.access; a.kind {
		case kindPublic:
			v1.Handle(rt.method, rt.path, h)
		case kindThrottled:
			v1.Handle(rt.method, rt.path, s.PublicThrottle, h)
		case kindLoggedIn, kindUseCase:
			v1.Handle(rt.method, rt.path, s.requireAPILogin, h)
		case kindPolicy:
			v1.Handle(rt.method, rt.path, s.requireAPILogin, s.Authorize(a.obj, a.act, a.scope), h)
		case kindUpload:
			// On the engine, not the v1 group, so that the body limit runs before the CSRF
			// check: for a cookie request without the X-CSRF-Token header that check reads
			// the csrf_token form field, which parses the whole multipart body, unbounded.
			r.Handle(rt.method, "/api/v1"+rt.path, jsonShape, s.requireAPILogin, s.LimitUpload, s.CSRF, s.Authorize(a.obj, a.act, a.scope), h)
		}
	}
}

// scopeFromParam takes the domain from a path parameter.
func scopeFromParam(name string) ScopeFunc {
	return func(c *gin.Context, _ *service.Actor) (string, error) { return c.Param(name), nil }
}
