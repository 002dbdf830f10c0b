package service

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
	"skillcert/policies"
)

type TokenRequest struct {
	Name    string `json:"name"`
	TTLDays int    `json:"ttl_days"`
}

type TokenResponse struct {
	models.APIToken
	Token string `json:"token"`
}

// CreateToken issues a bearer token for the caller, stored with its audit row.
func (s *Service) CreateToken(ctx context.Context, a *Actor, in TokenRequest) (TokenResponse, error) {
	if a == nil {
		return TokenResponse{}, ErrUnauthenticated
	}
	var errs validate.Errors
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || domain.TokenName.Check(in.Name) != nil {
		errs.Add("name", "required", "请填写令牌名称（不超过 64 个字符）。")
	}
	if in.TTLDays == 0 {
		in.TTLDays = 90
	}
	if in.TTLDays < 1 || in.TTLDays > 365 {
		errs.Add("ttl_days", "out_of_range", "有效期应为 1 至 365 天。")
	}
	if len(errs) > 0 {
		return TokenResponse{}, Invalid(errs)
	}
	now := s.now().UTC()
	secret := TokenPrefix + base64.RawURLEncoding.EncodeToString(models.RandomToken(32))
	t := &models.APIToken{UserID: a.User.ID, Name: in.Name, TokenHash: models.HashToken(secret), CreatedAt: now,
		ExpiresAt: now.Add(time.Duration(in.TTLDays) * 24 * time.Hour)}
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateAPIToken(ctx, t); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "token.create", ObjectType: "api_token", ObjectID: t.ID, AfterState: in.Name}, nil
	})
	if err != nil {
		return TokenResponse{}, err
	}
	return TokenResponse{APIToken: *t, Token: secret}, nil
}

// RevokeToken revokes one of the caller's own tokens, with its audit row.
func (s *Service) RevokeToken(ctx context.Context, a *Actor, id string) error {
	if a == nil {
		return ErrUnauthenticated
	}
	return s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.RevokeAPIToken(ctx, a.User.ID, id, s.now().UTC()); err != nil {
			return models.AuditEntry{}, err
		}
		return models.AuditEntry{Action: "token.revoke", ObjectType: "api_token", ObjectID: id}, nil
	})
}

type ListResponse[T any] struct {
	Items  []T   `json:"items"`
	Total  int64 `json:"total"`
	Limit  int   `json:"limit"`
	Offset int   `json:"offset"`
}

// WholeList answers a list that is returned whole (no paging).
func WholeList[T any](items []T) ListResponse[T] {
	if items == nil {
		items = []T{} // an empty list is [], never null
	}
	return ListResponse[T]{Items: items, Total: int64(len(items)), Limit: len(items)}
}

// UserListQuery is the input of ListUsers. Jurisdiction is the domain listed (empty: the
// caller's own); Text matches part of the username or display name; Active, when set, keeps
// enabled (true) or disabled (false) accounts.
type UserListQuery struct {
	Jurisdiction, Role, Text string
	Active                   *bool
	Limit, Offset            int
}

// ListUsers lists the accounts of the domain's subtree, where the caller needs user:read.
func (s *Service) ListUsers(ctx context.Context, a *Actor, in UserListQuery) (ListResponse[models.User], error) {
	if f := domain.SearchQuery.Check(in.Text); f != nil {
		// SQLite refuses a LIKE pattern over 50,000 bytes; nobody searches for more than a name.
		return ListResponse[models.User]{}, Invalid(validate.Errors{{Field: "q", Code: f.Code, Message: f.Message}})
	}
	domain := in.Jurisdiction
	if domain == "" && a != nil {
		domain = a.Domain
	}
	if err := s.Require(ctx, a, "user", "read", domain); err != nil {
		return ListResponse[models.User]{}, err
	}
	us, total, err := s.db.SearchUsers(ctx, models.UserQuery{Jurisdictions: s.SubtreeOf(domain), Role: in.Role, Text: in.Text,
		Active: in.Active, Limit: in.Limit, Offset: in.Offset})
	if err != nil {
		return ListResponse[models.User]{}, err
	}
	return ListResponse[models.User]{Items: us, Total: total, Limit: in.Limit, Offset: in.Offset}, nil
}

type CreateUserRequest struct {
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
	models.RoleSecAdmin:       {models.LevelRegion},
	models.RoleAuditAdmin:     {models.LevelRegion},
}

// CreateUser creates an account, with its audit row in the same transaction. The caller needs
// user:manage in the new user's domain. A caller who may manage no accounts at all is refused
// before anything of the request is looked at, so that the answer tells them nothing about
// usernames, enterprises or the validation rules.
func (s *Service) CreateUser(ctx context.Context, a *Actor, in CreateUserRequest) (CreatedUser, error) {
	if err := s.mayManageUsers(ctx, a); err != nil {
		return CreatedUser{}, err
	}
	var errs validate.Errors
	in.Username = strings.TrimSpace(in.Username)
	checkUsername(&errs, "username", in.Username)
	if strings.TrimSpace(in.DisplayName) == "" {
		errs.Add("display_name", "required", "请填写姓名。")
	} else {
		domain.PersonName.Add(&errs, "display_name", strings.TrimSpace(in.DisplayName))
	}
	domain.Email.Add(&errs, "email", in.Email)
	domain.Phone.Add(&errs, "phone", in.Phone)
	chosen := domain.ChosenPasswordAllowed(in.Role)
	switch {
	case chosen:
		checkNewPassword(&errs, "password", in.Username, in.Password)
	case in.Password != "":
		errs.Add("password", "chosen_password_refused",
			"自治区人社厅、鉴定中心的账户不能由管理员设定密码：提交时不填密码，系统生成一次性初始码，本人首次登录后自行设置密码。")
	}
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
	if v := domain.CheckSeparation("", in.Role); v != "" {
		errs.Add("role", string(v), v.Message())
	}
	g := s.grantFor(ctx, in.Role, in.JurisdictionCode, in.EnterpriseID, &errs)
	if len(errs) > 0 {
		return CreatedUser{}, Invalid(errs)
	}
	u := models.User{Username: in.Username, DisplayName: strings.TrimSpace(in.DisplayName), Role: g.role,
		JurisdictionCode: g.jurisdiction, EnterpriseID: g.enterprise, Email: in.Email, Phone: in.Phone, Active: true}
	if err := s.Require(ctx, a, "user", "manage", g.domain); err != nil {
		return CreatedUser{}, err
	}
	// Whoever typed or received the first password is not its owner: it is changed at the
	// first login. A region or centre official gets a one-time code instead of a chosen one.
	out := CreatedUser{}
	keep := chosen
	if chosen {
		if err := u.SetPassword(in.Password); err != nil {
			return CreatedUser{}, err
		}
	} else {
		out.InitialCode = newResetCode()
		ch, exp, err := s.resetCodeChange(out.InitialCode)
		if err != nil {
			return CreatedUser{}, err
		}
		u.PasswordHash, u.ResetExpiresAt, out.CodeExpiresAt = ch.Hash, ch.ResetExpires, &exp
	}
	now := s.now().UTC()
	u.MustChangePassword, u.PasswordChangedAt = true, &now
	err := s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		if err := tx.CreateUser(ctx, &u); err != nil {
			return models.AuditEntry{}, err
		}
		if keep {
			if err := tx.Create(&models.PasswordHistory{ID: models.NewID(), UserID: u.ID, PasswordHash: u.PasswordHash, CreatedAt: now}).Error; err != nil {
				return models.AuditEntry{}, err
			}
		}
		return models.AuditEntry{Action: "user.create", ObjectType: "user", ObjectID: u.ID,
			AfterState: u.Username + " " + u.Role + " " + g.domain}, nil
	})
	if isConflict(err) {
		return CreatedUser{}, Invalid(validate.Errors{{Field: "username", Code: "taken", Message: "该用户名已被使用。"}})
	}
	if err != nil {
		return CreatedUser{}, err
	}
	out.User = u
	return out, nil
}

// CreatedUser is a new account and, for the roles whose first password no administrator may
// choose (domain.ChosenPasswordAllowed), its one-time initial code, shown only in this answer.
type CreatedUser struct {
	models.User
	InitialCode   string     `json:"initial_code,omitempty"`
	CodeExpiresAt *time.Time `json:"initial_code_expires_at,omitempty"`
}

// mayManageUsers checks, before a request about accounts is read, that the caller may manage
// accounts at all: user:manage in its own domain, which covers every domain it may manage
// (the use case checks the target's domain once it is known).
func (s *Service) mayManageUsers(ctx context.Context, a *Actor) error {
	if a == nil {
		return ErrUnauthenticated
	}
	return s.Require(ctx, a, "user", "manage", a.Domain)
}

// checkPassword applies the password rule (domain.CheckPasswordStrength) to a password typed
// for field by the account username.
func checkPassword(errs *validate.Errors, field, username, pw string) {
	checkNewPassword(errs, field, username, pw)
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
func (s *Service) grantFor(ctx context.Context, role, jurisdiction, enterpriseID string, errs *validate.Errors) userGrant {
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

// checkUsername applies the username rule of account creation to a username typed for field.
func checkUsername(errs *validate.Errors, field, name string) {
	if n := len(name); n < 3 || n > 64 || strings.ContainsAny(name, " \t/\\") {
		errs.Add(field, "invalid_username", "用户名应为 3 至 64 个字符，且不含空格和斜杠。")
	}
}

// TokenPrefix starts every bearer token's secret.
const TokenPrefix = "sc_"
