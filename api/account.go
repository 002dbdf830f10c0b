package api

import (
	"context"
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
	t, err := s.createToken(c.Request.Context(), actorFrom(c), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

// createToken issues a bearer token for the caller, stored with its audit row.
func (s *Server) createToken(ctx context.Context, a *Actor, in tokenRequest) (tokenResponse, error) {
	if a == nil {
		return tokenResponse{}, errUnauthenticated
	}
	var errs validate.Errors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len([]rune(in.Name)) > 64 {
		errs.Add("name", "required", "请填写令牌名称（不超过 64 个字符）。")
	}
	if in.TTLDays == 0 {
		in.TTLDays = 90
	}
	if in.TTLDays < 1 || in.TTLDays > 365 {
		errs.Add("ttl_days", "out_of_range", "有效期应为 1 至 365 天。")
	}
	if len(errs) > 0 {
		return tokenResponse{}, invalid(errs)
	}
	now := s.now().UTC()
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(models.RandomToken(32))
	t := &models.APIToken{UserID: a.User.ID, Name: in.Name, TokenHash: models.HashToken(secret), CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(in.TTLDays) * 24 * time.Hour)}
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "token.create", ObjectType: "api_token", ObjectID: t.ID, AfterState: in.Name}, nil
	})
	if err != nil {
		return tokenResponse{}, err
	}
	return tokenResponse{APIToken: *t, Token: secret}, nil
}

func (s *Server) apiRevokeToken(c *gin.Context) error {
	if err := s.revokeToken(c.Request.Context(), actorFrom(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

// revokeToken revokes one of the caller's own tokens, with its audit row.
func (s *Server) revokeToken(ctx context.Context, a *Actor, id string) error {
	if a == nil {
		return errUnauthenticated
	}
	return s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.RevokeAPIToken(ctx, a.User.ID, id, s.now().UTC()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "token.revoke", ObjectType: "api_token", ObjectID: id}, nil
	})
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
	js, err := s.listJurisdictions(c.Request.Context(), actorFrom(c), c.Query("under"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, wholeList(js))
	return nil
}

// listJurisdictions lists the jurisdictions of the subtree of under (empty: the caller's own
// domain), where the caller needs jurisdiction:read.
func (s *Server) listJurisdictions(ctx context.Context, a *Actor, under string) ([]models.Jurisdiction, error) {
	if under == "" && a != nil {
		under = a.Domain
	}
	if err := s.require(ctx, a, "jurisdiction", "read", under); err != nil {
		return nil, err
	}
	all, err := s.db.Jurisdictions(ctx)
	if err != nil {
		return nil, err
	}
	in := map[string]bool{}
	for _, code := range s.subtreeOf(under) {
		in[code] = true
	}
	out := []models.Jurisdiction{}
	for _, j := range all {
		if in[j.Code] {
			out = append(out, j)
		}
	}
	return out, nil
}

// userListQuery is the input of listUsers. Jurisdiction is the domain listed (empty: the
// caller's own); Text matches part of the username or display name; Active, when set, keeps
// enabled (true) or disabled (false) accounts.
type userListQuery struct {
	Jurisdiction, Role, Text string
	Active                   *bool
	Limit, Offset            int
}

// apiUsers lists users within the authorized scope, optionally by role, by part of the
// username or display name (q) and by state (active=true|false).
func (s *Server) apiUsers(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	in := userListQuery{Jurisdiction: c.Query("jurisdiction"), Role: c.Query("role"), Text: c.Query("q"), Limit: limit, Offset: offset}
	if v := c.Query("active"); v != "" {
		active, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("bad_active", "active 应为 true 或 false。")
		}
		in.Active = &active
	}
	list, err := s.listUsers(c.Request.Context(), actorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

// listUsers lists the accounts of the domain's subtree, where the caller needs user:read.
func (s *Server) listUsers(ctx context.Context, a *Actor, in userListQuery) (listResponse[models.User], error) {
	domain := in.Jurisdiction
	if domain == "" && a != nil {
		domain = a.Domain
	}
	if err := s.require(ctx, a, "user", "read", domain); err != nil {
		return listResponse[models.User]{}, err
	}
	us, total, err := s.db.SearchUsers(ctx, models.UserQuery{Jurisdictions: s.subtreeOf(domain), Role: in.Role, Text: in.Text,
		Active: in.Active, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return listResponse[models.User]{}, err
	}
	return listResponse[models.User]{Items: us, Total: total, Limit: in.Limit, Offset: in.Offset}, nil
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

func (s *Server) apiCreateUser(c *gin.Context) error {
	var req createUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.createUser(c.Request.Context(), actorFrom(c), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, u)
	return nil
}

// createUser creates an account, with its audit row in the same transaction. The caller needs
// user:manage in the new user's domain.
func (s *Server) createUser(ctx context.Context, a *Actor, in createUserRequest) (models.User, error) {
	if a == nil {
		return models.User{}, errUnauthenticated
	}
	var errs validate.Errors
	in.Username = strings.TrimSpace(in.Username)
	checkUsername(&errs, "username", in.Username)
	if strings.TrimSpace(in.DisplayName) == "" {
		errs.Add("display_name", "required", "请填写姓名。")
	}
	checkPassword(&errs, "password", in.Password)
	if in.Email != "" {
		if err := validate.CheckEmail(in.Email); err != nil {
			errs.Add("email", validate.CodeOf(err), err.Error())
		}
	}
	if in.Phone != "" {
		if err := validate.CheckMobile(in.Phone); err != nil {
			errs.Add("phone", validate.CodeOf(err), err.Error())
		}
	}
	g := s.grantFor(ctx, in.Role, in.JurisdictionCode, in.EnterpriseID, &errs)
	if len(errs) > 0 {
		return models.User{}, invalid(errs)
	}
	u := models.User{Username: in.Username, DisplayName: strings.TrimSpace(in.DisplayName), Role: g.role,
		JurisdictionCode: g.jurisdiction, EnterpriseID: g.enterprise, Email: in.Email, Phone: in.Phone, Active: true}
	if err := s.require(ctx, a, "user", "manage", g.domain); err != nil {
		return models.User{}, err
	}
	if err := u.SetPassword(in.Password); err != nil {
		return models.User{}, err
	}
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
			AfterState: u.Username + " " + u.Role + " " + g.domain}, nil
	})
	if isConflict(err) {
		return models.User{}, invalid(validate.Errors{{Field: "username", Code: "taken", Message: "该用户名已被使用。"}})
	}
	if err != nil {
		return models.User{}, err
	}
	return u, nil
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
