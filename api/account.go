package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
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

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meResponse struct {
	User         models.User `json:"user"`
	RoleName     string      `json:"role_name"`
	Jurisdiction string      `json:"jurisdiction_code"`
	CSRFToken    string      `json:"csrf_token,omitempty"`
}

func (s *Server) me(c *gin.Context, a *Actor) meResponse {
	r := meResponse{User: a.User, RoleName: models.RoleNames[a.User.Role], Jurisdiction: a.Jurisdiction}
	if a.sessionHash != "" {
		r.CSRFToken = s.csrfToken("s:" + a.sessionHash)
	}
	return r
}

// apiLogin opens a cookie session from JSON credentials. Only JSON bodies are accepted: a
// cross-site HTML form cannot send one, which is what makes this endpoint CSRF-safe.
func (s *Server) apiLogin(c *gin.Context) error {
	if !strings.HasPrefix(c.ContentType(), "application/json") {
		return newError(http.StatusUnsupportedMediaType, "json_required", "请以 JSON 格式提交。")
	}
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	a, err := s.login(c, req.Username, req.Password)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.me(c, a))
	return nil
}

func (s *Server) apiLogout(c *gin.Context) error {
	if err := s.logout(c); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) apiMe(c *gin.Context) error {
	c.JSON(http.StatusOK, s.me(c, actorFrom(c)))
	return nil
}

type tokenRequest struct {
	Name    string `json:"name"`
	TTLDays int    `json:"ttl_days"`
}

type tokenResponse struct {
	models.APIToken
	Token string `json:"token"`
}

// apiCreateToken issues a bearer token for the caller; the secret is shown only in this answer.
func (s *Server) apiCreateToken(c *gin.Context) error {
	var req tokenRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var errs validate.Errors
	req.Name = strings.TrimSpace(req.Name)
	if req.Name == "" || len([]rune(req.Name)) > 64 {
		errs.Add("name", "required", "请填写令牌名称（不超过 64 个字符）。")
	}
	if req.TTLDays == 0 {
		req.TTLDays = 90
	}
	if req.TTLDays < 1 || req.TTLDays > 365 {
		errs.Add("ttl_days", "out_of_range", "有效期应为 1 至 365 天。")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	a := actorFrom(c)
	now := s.now().UTC()
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(models.RandomToken(32))
	t := &models.APIToken{UserID: a.User.ID, Name: req.Name, TokenHash: models.HashToken(secret), CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(req.TTLDays) * 24 * time.Hour)}
	if err := s.db.CreateAPIToken(c.Request.Context(), t); err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), a, models.AuditEntry{Action: "token.create", ObjectType: "api_token", ObjectID: t.ID, AfterState: req.Name})
	c.JSON(http.StatusCreated, tokenResponse{APIToken: *t, Token: secret})
	return nil
}

func (s *Server) apiRevokeToken(c *gin.Context) error {
	a := actorFrom(c)
	if err := s.db.RevokeAPIToken(c.Request.Context(), a.User.ID, c.Param("id"), s.now().UTC()); err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), a, models.AuditEntry{Action: "token.revoke", ObjectType: "api_token", ObjectID: c.Param("id")})
	c.Status(http.StatusNoContent)
	return nil
}

type listResponse[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// wholeList answers a list that is returned whole (no paging).
func wholeList[T any](items []T) listResponse[T] {
	return listResponse[T]{Items: items, Total: int64(len(items)), Limit: len(items)}
}

func paging(c *gin.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return 0, 0, badRequest("bad_limit", "limit 应为 1 至 200 之间的整数。")
		}
	}
	if v := c.Query("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, badRequest("bad_offset", "offset 应为非负整数。")
		}
	}
	return limit, offset, nil
}

// apiJurisdictions lists the jurisdictions within the authorized scope.
func (s *Server) apiJurisdictions(c *gin.Context) error {
	all, err := s.db.Jurisdictions(c.Request.Context())
	if err != nil {
		return err
	}
	in := map[string]bool{}
	for _, code := range s.subtree(c) {
		in[code] = true
	}
	out := []models.Jurisdiction{}
	for _, j := range all {
		if in[j.Code] {
			out = append(out, j)
		}
	}
	c.JSON(http.StatusOK, wholeList(out))
	return nil
}

// apiUsers lists users within the authorized scope, optionally by role, by part of the
// username or display name (q) and by state (active=true|false).
func (s *Server) apiUsers(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	f := models.UserQuery{Jurisdictions: s.subtree(c), Role: c.Query("role"), Text: c.Query("q"), Limit: limit, Offset: offset}
	if v := c.Query("active"); v != "" {
		active, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("bad_active", "active 应为 true 或 false。")
		}
		f.Active = &active
	}
	us, total, err := s.db.SearchUsers(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, listResponse[models.User]{Items: us, Total: total, Limit: limit, Offset: offset})
	return nil
}

type createUserRequest struct {
	Username         string `json:"username"`
	DisplayName      string `json:"display_name"`
	Password         string `json:"password"`
	Role             string `json:"role"`
	JurisdictionCode string `json:"jurisdiction_code"`
	EnterpriseID     string `json:"enterprise_id"`
	Email            string `json:"email"`
	Phone            string `json:"phone"`
}

// roleLevels says at which jurisdiction level each official role may be bound.
var roleLevels = map[string][]string{
	models.RoleRegionOfficial: {models.LevelRegion},
	models.RoleRegionCentre:   {models.LevelRegion},
	models.RoleLeagueOfficial: {models.LevelLeague},
	models.RoleCountyOfficial: {models.LevelCounty},
	models.RoleExpert:         {models.LevelRegion, models.LevelLeague},
	models.RoleSupervisor:     {models.LevelRegion, models.LevelLeague, models.LevelCounty},
	models.RoleSysadmin:       {models.LevelRegion},
}

// apiCreateUser creates an account. The caller needs user:manage in the new user's domain.
func (s *Server) apiCreateUser(c *gin.Context) error {
	ctx := c.Request.Context()
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	var errs validate.Errors
	req.Username = strings.TrimSpace(req.Username)
	checkUsername(&errs, "username", req.Username)
	if strings.TrimSpace(req.DisplayName) == "" {
		errs.Add("display_name", "required", "请填写姓名。")
	}
	checkPassword(&errs, "password", req.Password)
	if req.Email != "" {
		if err := validate.CheckEmail(req.Email); err != nil {
			errs.Add("email", validate.CodeOf(err), err.Error())
		}
	}
	if req.Phone != "" {
		if err := validate.CheckMobile(req.Phone); err != nil {
			errs.Add("phone", validate.CodeOf(err), err.Error())
		}
	}
	g := s.grantFor(ctx, req.Role, req.JurisdictionCode, req.EnterpriseID, &errs)
	if len(errs) > 0 {
		return invalid(errs)
	}
	u := models.User{Username: req.Username, DisplayName: strings.TrimSpace(req.DisplayName), Role: g.role,
		JurisdictionCode: g.jurisdiction, EnterpriseID: g.enterprise, Email: req.Email, Phone: req.Phone, Active: true}
	a := actorFrom(c)
	if !s.enf.Allowed(a.User.ID, g.domain, "user", "manage") {
		s.deny(c, a, "user", "manage", g.domain)
		return nil
	}
	if err := u.SetPassword(req.Password); err != nil {
		return err
	}
	if err := s.db.CreateUser(ctx, &u); err != nil {
		if isConflict(err) {
			return invalid(validate.Errors{{Field: "username", Code: "taken", Message: "该用户名已被使用。"}})
		}
		return err
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
		AfterState: u.Username + " " + u.Role + " " + g.domain})
	c.JSON(http.StatusCreated, u)
	return nil
}

// minPasswordLen is the shortest password an account may be given.
const minPasswordLen = 10

// checkPassword applies the password rule to a password typed for field.
func checkPassword(errs *validate.Errors, field, pw string) {
	if len(pw) < minPasswordLen {
		errs.Add(field, "weak_password", "密码至少 10 位。")
	}
}

// userGrant is a validated role binding: the role, exactly one of jurisdiction and enterprise,
// and the authorization domain they make.
type userGrant struct {
	role                     string
	jurisdiction, enterprise *string
	domain                   string
}

// grantFor validates a role with the jurisdiction (officials, at a level the role allows) or
// the enterprise (enterprise users) it is to be bound to, adding field errors to errs.
func (s *Server) grantFor(ctx context.Context, role, jurisdiction, enterpriseID string, errs *validate.Errors) userGrant {
	g := userGrant{role: role}
	switch {
	case role == "":
		errs.Add("role", "required", "请选择角色。")
	case role == models.RoleEnterpriseUser && enterpriseID == "":
		errs.Add("enterprise_id", "required", "请选择企业用户所属的企业。")
	case role != models.RoleEnterpriseUser && roleLevels[role] != nil && jurisdiction == "":
		errs.Add("jurisdiction_code", "required", "请选择所属行政区划。")
	case role == models.RoleEnterpriseUser:
		e, err := s.db.EnterpriseByID(ctx, enterpriseID)
		if err != nil {
			errs.Add("enterprise_id", "unknown_enterprise", "所选企业不存在。")
			break
		}
		g.enterprise = &e.ID
		g.domain = policies.EnterpriseDomain(e.JurisdictionCode, e.ID)
	case roleLevels[role] != nil:
		j, err := s.db.JurisdictionByCode(ctx, jurisdiction)
		if err != nil {
			errs.Add("jurisdiction_code", "unknown_jurisdiction", "所选行政区划不存在。")
			break
		}
		okLevel := false
		for _, l := range roleLevels[role] {
			okLevel = okLevel || l == j.Level
		}
		if !okLevel {
			errs.Add("jurisdiction_code", "level_mismatch", models.RoleNames[role]+"不能设在"+j.Name+"这一级。")
		}
		g.jurisdiction = &j.Code
		g.domain = j.Code
	default:
		errs.Add("role", "unknown_role", "角色无效。")
	}
	return g
}

// ---------------------------------------------------------------------------------------------
// Account administration: one account, disable, enable, password reset, role change.

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

// managedUser loads the account of the :id parameter and checks that the caller may act on
// accounts in its domain; a refusal is audited and answered, and ok is false.
func (s *Server) managedUser(c *gin.Context, act string) (u models.User, domain string, ok bool, err error) {
	ctx := c.Request.Context()
	u, err = s.db.UserByID(ctx, c.Param("id"))
	if err != nil {
		return u, "", false, err
	}
	if domain, err = s.userDomain(ctx, u); err != nil {
		return u, "", false, err
	}
	a := actorFrom(c)
	if !s.enf.Allowed(a.User.ID, domain, "user", act) {
		s.deny(c, a, "user", act, domain)
		return u, domain, false, nil
	}
	return u, domain, true, nil
}

// userActionBody is the optional body of the account actions: why (kept in the audit log).
type userActionBody struct {
	Reason string `json:"reason"`
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
	return checkReason(b.Reason, false)
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

// refuseSelf audits and refuses an action on the caller's own account.
func (s *Server) refuseSelf(c *gin.Context, action string, u models.User) error {
	_ = s.audit(c.Request.Context(), actorFrom(c), models.AuditEntry{Action: action, ObjectType: "user", ObjectID: u.ID,
		Outcome: models.OutcomeRejected, Reason: "own account", JurisdictionCode: s.userJurisdiction(c, u)})
	return errSelfAction
}

// userJurisdiction is the jurisdiction an account's audit rows are filed under (so that the
// scoped audit view of that jurisdiction shows them).
func (s *Server) userJurisdiction(c *gin.Context, u models.User) string {
	d, err := s.userDomain(c.Request.Context(), u)
	if err != nil {
		return ""
	}
	j, _ := policies.SplitDomain(d)
	return truncate(j, 6)
}

// apiUser returns one account; the caller needs user:read in its domain.
func (s *Server) apiUser(c *gin.Context) error {
	u, _, ok, err := s.managedUser(c, "read")
	if err != nil || !ok {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// accessResult is the answer of an action that may have ended sessions and tokens.
type accessResult struct {
	User          models.User `json:"user"`
	SessionsEnded int64       `json:"sessions_ended"`
	TokensRevoked int64       `json:"tokens_revoked"`
}

// accountAction reads the reason of an action on another account and loads that account, which
// the caller must be allowed to manage; selfAction, when not empty, is the audited action that
// refuses the caller's own account. ok is false when the answer has been written.
func (s *Server) accountAction(c *gin.Context, selfAction string) (u models.User, reason string, ok bool, err error) {
	if reason, err = readReason(c); err != nil {
		return u, "", false, err
	}
	if u, _, ok, err = s.managedUser(c, "manage"); err != nil || !ok {
		return u, "", false, err
	}
	if selfAction != "" && u.ID == actorFrom(c).User.ID {
		return u, "", false, s.refuseSelf(c, selfAction, u)
	}
	return u, reason, true, nil
}

// apiDisableUser disables an account: it can no longer log in, and its sessions and API tokens
// end at once. The caller cannot disable their own account.
func (s *Server) apiDisableUser(c *gin.Context) error {
	ctx := c.Request.Context()
	u, reason, ok, err := s.accountAction(c, "user.disable")
	if err != nil || !ok {
		return err
	}
	a := actorFrom(c)
	before := userState(u.Active)
	u, ended, err := s.db.SetUserActive(ctx, u.ID, false, s.now())
	if err != nil {
		return err
	}
	// Drop the grant now rather than at the account's next request (which cannot come).
	if err := s.enf.SetGrant(policies.Grant{User: u.ID}); err != nil {
		s.log.WarnContext(ctx, "drop grant", "err", err)
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "user.disable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
		AfterState: fmt.Sprintf("disabled sessions=%d tokens=%d", ended.Sessions, ended.Tokens), Reason: reason,
		JurisdictionCode: s.userJurisdiction(c, u)})
	c.JSON(http.StatusOK, accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens})
	return nil
}

// apiEnableUser enables a disabled account; it logs in again with its password.
func (s *Server) apiEnableUser(c *gin.Context) error {
	ctx := c.Request.Context()
	u, reason, ok, err := s.accountAction(c, "")
	if err != nil || !ok {
		return err
	}
	before := userState(u.Active)
	if u, _, err = s.db.SetUserActive(ctx, u.ID, true, s.now()); err != nil {
		return err
	}
	_ = s.audit(ctx, actorFrom(c), models.AuditEntry{Action: "user.enable", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
		AfterState: userState(true), Reason: reason, JurisdictionCode: s.userJurisdiction(c, u)})
	c.JSON(http.StatusOK, u)
	return nil
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

// apiResetPassword gives an account a new password and ends its sessions and tokens.
//
// The password is generated here and returned once, in this answer, rather than typed by the
// administrator: a generated password has full entropy, is never chosen, reused or remembered
// by the administrator, never travels in a request body or sits in a form field's history, and
// the only copy besides its hash is this no-store answer, which the administrator hands over
// through a separate channel. Everything opened with the old password is closed, because a
// reset usually means it was lost or exposed. The password is never logged or audited.
func (s *Server) apiResetPassword(c *gin.Context) error {
	ctx := c.Request.Context()
	u, reason, ok, err := s.accountAction(c, "user.password_reset")
	if err != nil || !ok {
		return err
	}
	a := actorFrom(c)
	pw := newOneTimePassword()
	if err := u.SetPassword(pw); err != nil {
		return err
	}
	u, ended, err := s.db.SetUserPassword(ctx, u.ID, u.PasswordHash, s.now())
	if err != nil {
		return err
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "user.password_reset", ObjectType: "user", ObjectID: u.ID,
		AfterState: fmt.Sprintf("sessions=%d tokens=%d", ended.Sessions, ended.Tokens), Reason: reason,
		JurisdictionCode: s.userJurisdiction(c, u)})
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, passwordReset{accessResult: accessResult{User: u, SessionsEnded: ended.Sessions, TokensRevoked: ended.Tokens},
		Password: pw})
	return nil
}

type grantRequest struct {
	Role             string `json:"role"`
	JurisdictionCode string `json:"jurisdiction_code"`
	EnterpriseID     string `json:"enterprise_id"`
	Reason           string `json:"reason"`
}

// apiSetUserGrant moves an account to another role and jurisdiction or enterprise (staff change
// post). The caller needs user:manage in both the old and the new domain and cannot change
// their own. Tasks the account has claimed stay with it until reassigned.
func (s *Server) apiSetUserGrant(c *gin.Context) error {
	ctx := c.Request.Context()
	var req grantRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, oldDomain, ok, err := s.managedUser(c, "manage")
	if err != nil || !ok {
		return err
	}
	a := actorFrom(c)
	if u.ID == a.User.ID {
		return s.refuseSelf(c, "user.grant", u)
	}
	var errs validate.Errors
	g := s.grantFor(ctx, req.Role, req.JurisdictionCode, req.EnterpriseID, &errs)
	reason, rerr := checkReason(req.Reason, true)
	if e := userError(rerr); e != nil {
		errs = append(errs, e.Fields...)
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	if !s.enf.Allowed(a.User.ID, g.domain, "user", "manage") {
		s.deny(c, a, "user", "manage", g.domain)
		return nil
	}
	if g.role == u.Role && g.domain == oldDomain {
		c.JSON(http.StatusOK, u)
		return nil
	}
	before := u.Role + " " + oldDomain
	if u, err = s.db.SetUserGrant(ctx, u.ID, g.role, g.jurisdiction, g.enterprise, s.now()); err != nil {
		return err
	}
	grant := policies.Grant{User: u.ID}
	if u.Active {
		grant.Role, grant.Domain = g.role, g.domain
	}
	if err := s.enf.SetGrant(grant); err != nil {
		s.log.WarnContext(ctx, "set grant", "err", err)
	}
	_ = s.audit(ctx, a, models.AuditEntry{Action: "user.grant", ObjectType: "user", ObjectID: u.ID, BeforeState: before,
		AfterState: g.role + " " + g.domain, Reason: reason, JurisdictionCode: s.userJurisdiction(c, u)})
	c.JSON(http.StatusOK, u)
	return nil
}

// apiAudit lists the audit log newest first, filtered by object, action, actor (username),
// outcome and a range of days (from, to: inclusive dates in the configured time zone).
func (s *Server) apiAudit(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	f := models.AuditQuery{AuditFilter: models.AuditFilter{ObjectType: c.Query("object_type"), ObjectID: c.Query("object_id"),
		Action: c.Query("action"), Limit: limit, Offset: offset}, ActorName: c.Query("actor"), Outcome: c.Query("outcome")}
	switch f.Outcome {
	case "", models.OutcomeOK, models.OutcomeDenied, models.OutcomeRejected:
	default:
		return badRequest("bad_outcome", "outcome 应为 ok、denied 或 rejected。")
	}
	if f.From, err = s.auditDay(c.Query("from"), "from", 0); err != nil {
		return err
	}
	if f.To, err = s.auditDay(c.Query("to"), "to", 1); err != nil {
		return err
	}
	if j, _ := policies.SplitDomain(scopeOf(c)); j != models.RegionCode {
		// Below the region only rows of the caller's subtree; the region also sees anonymous rows.
		f.Jurisdictions = s.subtree(c)
	}
	rows, total, err := s.db.SearchAudit(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, listResponse[models.AuditEntry]{Items: rows, Total: total, Limit: limit, Offset: offset})
	return nil
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
	rep, err := s.db.VerifyAudit(c.Request.Context())
	if err != nil {
		return err
	}
	_ = s.audit(c.Request.Context(), actorFrom(c), models.AuditEntry{Action: "audit.verify", ObjectType: "audit_log",
		AfterState: strconv.FormatBool(rep.OK) + " rows=" + strconv.FormatInt(rep.Rows, 10)})
	c.JSON(http.StatusOK, rep)
	return nil
}
