package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

// ---------------------------------------------------------------------------------------------
// Account administration: one account, disable, enable, password reset, role change. The
// handlers decode the request and encode the answer; the use cases below them authorize,
// validate, write and audit, and the administrators' pages call them as well.

// userAdminRoutes registers the routes that act on one account. Each needs user:manage (or
// user:read) in the domain of the account acted on, is audited, and refuses the caller's own
// account where acting on it could lock the caller out.
func (s *Server) userAdminRoutes(v1 *gin.RouterGroup) {
	v1.GET("/users/:id", s.requireAPILogin, s.json(s.apiUser))
	v1.POST("/users/:id/disable", s.requireAPILogin, s.json(s.apiDisableUser))
	v1.POST("/users/:id/enable", s.requireAPILogin, s.json(s.apiEnableUser))
	v1.POST("/users/:id/password", s.requireAPILogin, s.json(s.apiResetPassword))
	v1.PUT("/users/:id/grant", s.requireAPILogin, s.json(s.apiSetUserGrant))
}

// userDomain is the authorization domain of an account: its jurisdiction, or its enterprise's
// node for enterprise users.
func (s *Server) userDomain(ctx context.Context, u models.User) (string, error) {
	if u.Role != models.RoleEnterpriseUser {
		return u.Jurisdiction(), nil
	}
	e, err := s.db.EnterpriseByID(ctx, u.Enterprise())
	if err != nil {
		return "", err
	}
	return policies.EnterpriseDomain(e.JurisdictionCode, e.ID), nil
}

// domainJurisdiction is the jurisdiction an account's audit rows are filed under, from the
// account's domain (so that the scoped audit view of that jurisdiction shows them).
func domainJurisdiction(domain string) string {
	j, _ := policies.SplitDomain(domain)
	return truncate(j, 6)
}

// managedUser loads the account id and checks that the caller may act (read or manage) on
// accounts in its domain; a refusal is audited and answered with errForbidden.
func (s *Server) managedUser(ctx context.Context, a *Actor, id, act string) (u models.User, domain string, err error) {
	if a == nil {
		return u, "", errUnauthenticated
	}
	if u, err = s.db.UserByID(ctx, id); err != nil {
		return u, "", err
	}
	if domain, err = s.userDomain(ctx, u); err != nil {
		return u, "", err
	}
	if err := s.require(ctx, a, "user", act, domain); err != nil {
		return u, domain, err
	}
	return u, domain, nil
}

// userActionBody is the optional body of the account actions: why (kept in the audit log).
type userActionBody struct {
	Reason string `json:"reason"`
}

// userAction is the input of the account actions: the account and the optional reason.
type userAction struct {
	ID, Reason string
}

// maxReasonLen bounds the reasons written to the audit log.
const maxReasonLen = 500

// readReason reads an optional JSON body {"reason": "…"}; no body means no reason.
func readReason(c *gin.Context) (string, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return "", badRequest("bad_body", "请求内容无法读取。")
	}
	var b userActionBody
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", badRequest("bad_json", "请求内容不是有效的 JSON。")
		}
	}
	return b.Reason, nil
}

// checkReason trims a reason and checks its length (and presence when required).
func checkReason(r string, required bool) (string, error) {
	r = strings.TrimSpace(r)
	if required && r == "" {
		return "", invalid(validate.Errors{{Field: "reason", Code: "required", Message: "请填写理由。"}})
	}
	if utf8.RuneCountInString(r) > maxReasonLen {
		return "", invalid(validate.Errors{{Field: "reason", Code: "too_long", Message: "理由不超过 500 字。"}})
	}
	return r, nil
}

// errSelfAction refuses an action on the caller's own account that could lock the caller out
// (and would leave no second person to notice).
var errSelfAction = newError(http.StatusUnprocessableEntity, "own_account", "不能对自己的账户执行此操作，请由其他系统管理员办理。")

// refuseSelf audits and refuses an action on the caller's own account (in domain).
func (s *Server) refuseSelf(ctx context.Context, a *Actor, action string, u models.User, domain string) error {
	_ = s.audit(ctx, a, models.AuditEntry{Action: action, ObjectType: "user", ObjectID: u.ID,
		Outcome: models.OutcomeRejected, Reason: "own account", JurisdictionCode: domainJurisdiction(domain)})
	return errSelfAction
}

// apiUser returns one account; the caller needs user:read in its domain.
func (s *Server) apiUser(c *gin.Context) error {
	u, err := s.getUser(c.Request.Context(), actorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// getUser returns one account; the caller needs user:read in its domain.
func (s *Server) getUser(ctx context.Context, a *Actor, id string) (models.User, error) {
	u, _, err := s.managedUser(ctx, a, id, "read")
	return u, err
}

// accessResult is the answer of an action that may have ended sessions and tokens.
type accessResult struct {
	User          models.User `json:"user"`
	SessionsEnded int64       `json:"sessions_ended"`
	TokensRevoked int64       `json:"tokens_revoked"`
}

// accountAction checks the reason of an action on another account and loads that account,
// which the caller must be allowed to manage; selfAction, when not empty, is the audited action
// that refuses the caller's own account.
func (s *Server) accountAction(ctx context.Context, a *Actor, in userAction, selfAction string) (u models.User, domain, reason string, err error) {
	if reason, err = checkReason(in.Reason, false); err != nil {
		return u, "", "", err
	}
	if u, domain, err = s.managedUser(ctx, a, in.ID, "manage"); err != nil {
		return u, "", "", err
	}
	if selfAction != "" && u.ID == a.User.ID {
		return u, "", "", s.refuseSelf(ctx, a, selfAction, u, domain)
	}
	return u, domain, reason, nil
}

// userActionOf reads the account of the :id parameter and the optional reason body.
func userActionOf(c *gin.Context) (userAction, error) {
	reason, err := readReason(c)
	return userAction{ID: c.Param("id"), Reason: reason}, err
}

func (s *Server) apiDisableUser(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	res, err := s.disableUser(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

// disableUser disables an account: it can no longer log in, and its sessions and API tokens
// end at once, in the transaction that records it. The caller cannot disable their own account.
func (s *Server) disableUser(ctx context.Context, a *Actor, in userAction) (accessResult, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "user.disable")
	if err != nil {
		return accessResult{}, err
	}
	before := userState(u.Active)
	var ended models.AccessEnded
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, ended, err = tx.SetUserActive(ctx, u.ID, false, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.disable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: fmt.Sprintf("disabled sessions=%d tokens=%d", ended.Sessions, ended.Tokens), Reason: reason,
			JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return accessResult{}, err
	}
	// Drop the grant now rather than at the account's next request (which cannot come).
	if err := s.enf.SetGrant(policies.Grant{User: u.ID}); err != nil {
		s.log.WarnContext(ctx, "drop grant", "err", err)
	}
	return accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens}, nil
}

func (s *Server) apiEnableUser(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	u, err := s.enableUser(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// enableUser enables a disabled account; it logs in again with its password.
func (s *Server) enableUser(ctx context.Context, a *Actor, in userAction) (models.User, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "")
	if err != nil {
		return models.User{}, err
	}
	before := userState(u.Active)
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, _, err = tx.SetUserActive(ctx, u.ID, true, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.enable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: userState(true), Reason: reason, JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return models.User{}, err
	}
	return u, nil
}

func userState(active bool) string {
	if active {
		return "active"
	}
	return "disabled"
}

// passwordReset is the answer of a password reset: the only place the new password appears.
type passwordReset struct {
	accessResult
	Password string `json:"password"`
}

// newOneTimePassword makes a reset password: 80 random bits as 16 base32 characters in groups
// of four (A–Z and 2–7, so no digit 0 or 1 to mistake for O or I when read out over the phone),
// far above the password rule and beyond online guessing under the login throttle.
func newOneTimePassword() string {
	t := rand.Text()[:16]
	return t[0:4] + "-" + t[4:8] + "-" + t[8:12] + "-" + t[12:16]
}

func (s *Server) apiResetPassword(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	res, err := s.resetPassword(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
	return nil
}

// resetPassword gives an account a new password and ends its sessions and tokens.
//
// The password is generated here and returned once, in this answer, rather than typed by the
// administrator: a generated password has full entropy, is never chosen, reused or remembered
// by the administrator, never travels in a request body or sits in a form field's history, and
// the only copy besides its hash is this no-store answer, which the administrator hands over
// through a separate channel. Everything opened with the old password is closed, because a
// reset usually means it was lost or exposed. The password is never logged or audited.
func (s *Server) resetPassword(ctx context.Context, a *Actor, in userAction) (passwordReset, error) {
	u, domain, reason, err := s.accountAction(ctx, a, in, "user.password_reset")
	if err != nil {
		return passwordReset{}, err
	}
	pw := newOneTimePassword()
	if err := u.SetPassword(pw); err != nil {
		return passwordReset{}, err
	}
	var ended models.AccessEnded
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, ended, err = tx.SetUserPassword(ctx, u.ID, u.PasswordHash, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.password_reset", ObjectType: "user", ObjectID: u.ID,
			AfterState: fmt.Sprintf("sessions=%d tokens=%d", ended.Sessions, ended.Tokens), Reason: reason,
			JurisdictionCode: domainJurisdiction(domain)}, nil
	})
	if err != nil {
		return passwordReset{}, err
	}
	return passwordReset{accessResult: accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens},
		Password: pw}, nil
}

type grantRequest struct {
	Role             string `json:"role"`
	JurisdictionCode string `json:"jurisdiction_code"`
	EnterpriseID     string `json:"enterprise_id"`
	Reason           string `json:"reason"`
}

// grantInput is the input of setUserGrant: the account and its new grant.
type grantInput struct {
	ID string
	grantRequest
}

func (s *Server) apiSetUserGrant(c *gin.Context) error {
	var req grantRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.setUserGrant(c.Request.Context(), actorFrom(c), grantInput{ID: c.Param("id"), grantRequest: req})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// setUserGrant moves an account to another role and jurisdiction or enterprise (staff change
// post). The caller needs user:manage in both the old and the new domain and cannot change
// their own. Tasks the account has claimed stay with it until reassigned.
func (s *Server) setUserGrant(ctx context.Context, a *Actor, in grantInput) (models.User, error) {
	u, oldDomain, err := s.managedUser(ctx, a, in.ID, "manage")
	if err != nil {
		return models.User{}, err
	}
	if u.ID == a.User.ID {
		return models.User{}, s.refuseSelf(ctx, a, "user.grant", u, oldDomain)
	}
	var errs validate.Errors
	g := s.grantFor(ctx, in.Role, in.JurisdictionCode, in.EnterpriseID, &errs)
	reason, rerr := checkReason(in.Reason, true)
	if e := userError(rerr); e != nil {
		errs = append(errs, e.Fields...)
	}
	if len(errs) > 0 {
		return models.User{}, invalid(errs)
	}
	if err := s.require(ctx, a, "user", "manage", g.domain); err != nil {
		return models.User{}, err
	}
	if g.role == u.Role && g.domain == oldDomain {
		return u, nil
	}
	before := u.Role + " " + oldDomain
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		if u, err = tx.SetUserGrant(ctx, u.ID, g.role, g.jurisdiction, g.enterprise, s.now()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.grant", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
			AfterState: g.role + " " + g.domain, Reason: reason, JurisdictionCode: domainJurisdiction(g.domain)}, nil
	})
	if err != nil {
		return models.User{}, err
	}
	grant := policies.Grant{User: u.ID}
	if u.Active {
		grant.Role, grant.Domain = g.role, g.domain
	}
	if err := s.enf.SetGrant(grant); err != nil {
		s.log.WarnContext(ctx, "set grant", "err", err)
	}
	return u, nil
}

// ---------------------------------------------------------------------------------------------
// The audit log.

// auditQuery is the input of listAudit. Jurisdiction is the domain listed (empty: the caller's
// own); From and To are inclusive days (2006-01-02) in the configured time zone.
type auditQuery struct {
	Jurisdiction                                 string
	ObjectType, ObjectID, Action, Actor, Outcome string
	From, To                                     string
	Limit, Offset                                int
}

// apiAudit lists the audit log newest first, filtered by object, action, actor (username),
// outcome and a range of days (from, to: inclusive dates in the configured time zone).
func (s *Server) apiAudit(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	list, err := s.listAudit(c.Request.Context(), actorFrom(c), auditQuery{Jurisdiction: c.Query("jurisdiction"),
		ObjectType: c.Query("object_type"), ObjectID: c.Query("object_id"), Action: c.Query("action"), Actor: c.Query("actor"),
		Outcome: c.Query("outcome"), From: c.Query("from"), To: c.Query("to"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

// listAudit lists the audit log of the caller's scope (audit:read in the domain listed) newest
// first: below the region only rows of the domain's subtree, the region also anonymous rows.
func (s *Server) listAudit(ctx context.Context, a *Actor, in auditQuery) (listResponse[models.AuditEntry], error) {
	var none listResponse[models.AuditEntry]
	domain := in.Jurisdiction
	if domain == "" && a != nil {
		domain = a.Domain
	}
	if err := s.require(ctx, a, "audit", "read", domain); err != nil {
		return none, err
	}
	f := models.AuditQuery{AuditFilter: models.AuditFilter{ObjectType: in.ObjectType, ObjectID: in.ObjectID,
		Action: in.Action, Limit: in.Limit, Offset: in.Offset}, ActorName: in.Actor, Outcome: in.Outcome}
	switch f.Outcome {
	case "", models.OutcomeOK, models.OutcomeDenied, models.OutcomeRejected:
	default:
		return none, badRequest("bad_outcome", "outcome 应为 ok、denied 或 rejected。")
	}
	var err error
	if f.From, err = s.auditDay(in.From, "from", 0); err != nil {
		return none, err
	}
	if f.To, err = s.auditDay(in.To, "to", 1); err != nil {
		return none, err
	}
	if j, _ := policies.SplitDomain(domain); j != models.RegionCode {
		f.Jurisdictions = s.subtreeOf(domain)
	}
	rows, total, err := s.db.SearchAudit(ctx, f)
	if err != nil {
		return none, err
	}
	return listResponse[models.AuditEntry]{Items: rows, Total: total, Limit: in.Limit, Offset: in.Offset}, nil
}

// auditDay parses a date parameter (2006-01-02, in the configured time zone) and returns the
// start of that day plus addDays; an empty value is the zero time.
func (s *Server) auditDay(v, name string, addDays int) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, s.cfg.Location)
	if err != nil {
		return time.Time{}, badRequest("bad_date", name+" 应为日期，如 2027-05-20。")
	}
	return d.AddDate(0, 0, addDays), nil
}

func (s *Server) apiAuditVerify(c *gin.Context) error {
	rep, err := s.verifyAudit(c.Request.Context(), actorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, rep)
	return nil
}

// verifyAudit checks the audit log's hash chain (audit:verify in the caller's own domain); the
// check is a read, and its audit row is appended after it.
func (s *Server) verifyAudit(ctx context.Context, a *Actor) (models.ChainReport, error) {
	if a == nil {
		return models.ChainReport{}, errUnauthenticated
	}
	if err := s.require(ctx, a, "audit", "verify", a.Domain); err != nil {
		return models.ChainReport{}, err
	}
	rep, err := s.db.VerifyAudit(ctx)
	if err != nil {
		return models.ChainReport{}, err
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "audit.verify", ObjectType: "audit_log",
		AfterState: strconv.FormatBool(rep.OK) + " rows=" + strconv.FormatInt(rep.Rows, 10)})
	return rep, nil
}
