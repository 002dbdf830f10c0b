package api

import (
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"

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
	c.JSON(http.StatusOK, listResponse[models.Jurisdiction]{Items: out, Total: int64(len(out)), Limit: len(out)})
	return nil
}

// apiUsers lists users within the authorized scope.
func (s *Server) apiUsers(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	us, total, err := s.db.Users(c.Request.Context(), models.UserFilter{Jurisdictions: s.subtree(c), Role: c.Query("role"), Limit: limit, Offset: offset})
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
	if n := len(req.Username); n < 3 || n > 64 || strings.ContainsAny(req.Username, " \t/\\") {
		errs.Add("username", "invalid_username", "用户名应为 3 至 64 个字符，且不含空格和斜杠。")
	}
	if strings.TrimSpace(req.DisplayName) == "" {
		errs.Add("display_name", "required", "请填写姓名。")
	}
	if len(req.Password) < 10 {
		errs.Add("password", "weak_password", "密码至少 10 位。")
	}
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
	u := models.User{Username: req.Username, DisplayName: strings.TrimSpace(req.DisplayName), Role: req.Role,
		Email: req.Email, Phone: req.Phone, Active: true}
	var domain string
	switch {
	case req.Role == models.RoleEnterpriseUser:
		e, err := s.db.EnterpriseByID(ctx, req.EnterpriseID)
		if err != nil {
			errs.Add("enterprise_id", "unknown_enterprise", "所选企业不存在。")
		} else {
			u.EnterpriseID = &e.ID
			domain = policies.EnterpriseDomain(e.JurisdictionCode, e.ID)
		}
	case roleLevels[req.Role] != nil:
		j, err := s.db.JurisdictionByCode(ctx, req.JurisdictionCode)
		if err != nil {
			errs.Add("jurisdiction_code", "unknown_jurisdiction", "所选行政区划不存在。")
			break
		}
		okLevel := false
		for _, l := range roleLevels[req.Role] {
			okLevel = okLevel || l == j.Level
		}
		if !okLevel {
			errs.Add("jurisdiction_code", "level_mismatch", models.RoleNames[req.Role]+"不能设在"+j.Name+"这一级。")
		}
		u.JurisdictionCode = &j.Code
		domain = j.Code
	default:
		errs.Add("role", "unknown_role", "角色无效。")
	}
	if len(errs) > 0 {
		return invalid(errs)
	}
	a := actorFrom(c)
	if !s.enf.Allowed(a.User.ID, domain, "user", "manage") {
		s.deny(c, a, "user", "manage", domain)
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
		AfterState: u.Username + " " + u.Role + " " + domain})
	c.JSON(http.StatusCreated, u)
	return nil
}

func (s *Server) apiAudit(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	f := models.AuditFilter{ObjectType: c.Query("object_type"), ObjectID: c.Query("object_id"), Action: c.Query("action"),
		Limit: limit, Offset: offset}
	if j, _ := policies.SplitDomain(scopeOf(c)); j != models.RegionCode {
		// Below the region only rows of the caller's subtree; the region also sees anonymous rows.
		f.Jurisdictions = s.subtree(c)
	}
	rows, total, err := s.db.AuditEntries(c.Request.Context(), f)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, listResponse[models.AuditEntry]{Items: rows, Total: total, Limit: limit, Offset: offset})
	return nil
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
