package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// After a few failures a CAPTCHA is due (captcha_required): GET /api/v1/captcha.
	CaptchaID     string `json:"captcha_id"`
	CaptchaAnswer string `json:"captcha_answer"`
	// OTPCode is the TOTP code (or a recovery code) of an account with two-factor login on;
	// without it a right password answers 401 second_factor_required.
	OTPCode string `json:"otp_code"`
}

type MeResponse struct {
	User         models.User `json:"user"`
	RoleName     string      `json:"role_name"`
	Jurisdiction string      `json:"jurisdiction_code"`
	CSRFToken    string      `json:"csrf_token,omitempty"`
	// PasswordChangeRequired: this session can do nothing but POST /me/password.
	PasswordChangeRequired bool       `json:"password_change_required"`
	PasswordExpiresAt      *time.Time `json:"password_expires_at,omitempty"`
	// SecondFactorSetupRequired: this session can do nothing but enrol in TOTP (/account/2fa).
	SecondFactorSetupRequired bool `json:"second_factor_setup_required"`
}

func (s *Server) me(c *gin.Context, a *service.Actor) MeResponse {
	r := MeResponse{User: a.User, RoleName: models.RoleNames[a.User.Role], Jurisdiction: a.Jurisdiction,
		PasswordChangeRequired: a.PasswordChangeDue, SecondFactorSetupRequired: a.SecondFactorSetupDue}
	if t := s.svc.PasswordExpiresAt(a.User); !t.IsZero() {
		r.PasswordExpiresAt = &t
	}
	if a.SessionHash != "" {
		r.CSRFToken = s.CSRFToken("s:" + a.SessionHash)
	}
	return r
}

// apiLogin opens a cookie session from JSON credentials. Only JSON bodies are accepted: a
// cross-site HTML form cannot send one, which is what makes this endpoint CSRF-safe.
func (s *Server) apiLogin(c *gin.Context) error {
	if !strings.HasPrefix(c.ContentType(), "application/json") {
		return service.NewError(http.StatusUnsupportedMediaType, "json_required", "请以 JSON 格式提交。")
	}
	var req loginRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	a, err := s.Login(c, service.LoginInput{Username: req.Username, Password: req.Password, Code: req.OTPCode,
		Guard: service.Guard{CaptchaID: req.CaptchaID, CaptchaAnswer: req.CaptchaAnswer}})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, s.me(c, a))
	return nil
}

func (s *Server) apiLogout(c *gin.Context) error {
	if err := s.Logout(c); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func (s *Server) apiMe(c *gin.Context) error {
	c.JSON(http.StatusOK, s.me(c, ActorFrom(c)))
	return nil
}

// apiCreateToken issues a bearer token for the caller; the secret is shown only in this answer.
func (s *Server) apiCreateToken(c *gin.Context) error {
	var req service.TokenRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	t, err := s.svc.CreateToken(c.Request.Context(), ActorFrom(c), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, t)
	return nil
}

func (s *Server) apiRevokeToken(c *gin.Context) error {
	if err := s.svc.RevokeToken(c.Request.Context(), ActorFrom(c), c.Param("id")); err != nil {
		return err
	}
	c.Status(http.StatusNoContent)
	return nil
}

func paging(c *gin.Context) (limit, offset int, err error) {
	limit, offset = 50, 0
	if v := c.Query("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			return 0, 0, service.BadRequest("bad_limit", "limit 应为 1 至 200 之间的整数。")
		}
	}
	if v := c.Query("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, service.BadRequest("bad_offset", "offset 应为非负整数。")
		}
	}
	return limit, offset, nil
}

// writeList answers a list held whole in memory in the one list envelope of the API: the page
// asked for by limit (1–200, default 200) and offset, the total across pages, and the limit
// and offset applied. An empty page is [], never null.
func writeList[T any](c *gin.Context, all []T) error { return writeListOf(c, all, 200) }

// writeListOf is writeList with another default page size.
func writeListOf[T any](c *gin.Context, all []T, defaultLimit int) error {
	limit, offset := defaultLimit, 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return service.BadRequest("bad_limit", "limit 应为 1 至 200 之间的整数。")
		}
		limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return service.BadRequest("bad_offset", "offset 应为非负整数。")
		}
		offset = n
	}
	page := []T{}
	if offset < len(all) {
		page = append(page, all[offset:min(len(all), offset+limit)]...)
	}
	c.JSON(http.StatusOK, service.ListResponse[T]{Items: page, Total: int64(len(all)), Limit: limit, Offset: offset})
	return nil
}

// apiJurisdictions lists the jurisdictions within the authorized scope.
func (s *Server) apiJurisdictions(c *gin.Context) error {
	js, err := s.svc.ListJurisdictions(c.Request.Context(), ActorFrom(c), c.Query("under"))
	if err != nil {
		return err
	}
	return writeList(c, js)
}

// apiUsers lists users within the authorized scope, optionally by role, by part of the
// username or display name (q) and by state (active=true|false).
func (s *Server) apiUsers(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	in := service.UserListQuery{Jurisdiction: c.Query("jurisdiction"), Role: c.Query("role"), Text: c.Query("q"), Limit: limit, Offset: offset}
	if v := c.Query("active"); v != "" {
		active, err := strconv.ParseBool(v)
		if err != nil {
			return service.BadRequest("bad_active", "active 应为 true 或 false。")
		}
		in.Active = &active
	}
	list, err := s.svc.ListUsers(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

func (s *Server) apiCreateUser(c *gin.Context) error {
	var req service.CreateUserRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(c.Request.Context(), ActorFrom(c), req)
	if err != nil {
		return err
	}
	c.JSON(http.StatusCreated, u)
	return nil
}

// apiChangePassword changes the caller's own password (POST /api/v1/me/password): the current
// password and the new one, typed twice. The session goes on; the caller's other sessions and
// tokens end.
func (s *Server) apiChangePassword(c *gin.Context) error {
	var req service.PasswordChangeInput
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	a := ActorFrom(c)
	if _, err := s.svc.ChangeOwnPassword(c.Request.Context(), a, req); err != nil {
		return err
	}
	a.PasswordChangeDue = false
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, s.me(c, a))
	return nil
}

// apiMyLogins lists the caller's login history (GET /api/v1/me/logins).
func (s *Server) apiMyLogins(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	list, err := s.svc.LoginHistory(c.Request.Context(), ActorFrom(c), service.LoginHistoryQuery{Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

// apiLogins lists every account's login history, or one account's (?user_id=), for the audit
// administrator (GET /api/v1/logins).
func (s *Server) apiLogins(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	in := service.LoginHistoryQuery{UserID: c.Query("user_id"), All: c.Query("user_id") == "", Limit: limit, Offset: offset}
	list, err := s.svc.LoginHistory(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}
