package api

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

// Enterprise self-registration: POST /api/v1/enterprises/register (JSON) and the /register
// page. Both go through RegisterEnterprise, so every rule below exists once.

// RegisterResponse is the answer to a registration: the new session's caller (as GET /me
// gives it, with the CSRF token) and the enterprise.
type RegisterResponse struct {
	MeResponse
	Enterprise models.Enterprise `json:"enterprise"`
}

// apiRegister registers an enterprise with its first account and logs that account in. Like
// the JSON login it accepts only JSON bodies, which a cross-site form cannot send.
func (s *Server) apiRegister(c *gin.Context) error {
	if !strings.HasPrefix(c.ContentType(), "application/json") {
		return service.NewError(http.StatusUnsupportedMediaType, "json_required", "请以 JSON 格式提交。")
	}
	var req service.RegisterRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	a, ent, err := s.RegisterAndLogin(c, req)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, RegisterResponse{MeResponse: s.me(c, a), Enterprise: ent})
	return nil
}

// RegisterAndLogin registers an enterprise (RegisterEnterprise) from a browser that is not
// logged in and opens a session for the new account.
func (s *Server) RegisterAndLogin(c *gin.Context, req service.RegisterRequest) (*service.Actor, models.Enterprise, error) {
	if ActorFrom(c) != nil {
		return nil, models.Enterprise{}, service.ErrAlreadyLoggedIn
	}
	now := s.now().UTC()
	u, ent, err := s.svc.RegisterEnterprise(c.Request.Context(), c.ClientIP(), now, req)
	if err != nil {
		return nil, models.Enterprise{}, err
	}
	a, err := s.openSession(c, u, now, models.SessionRegistration, loginReason(models.SessionRegistration, ""))
	if err != nil {
		return nil, models.Enterprise{}, err
	}
	return a, ent, nil
}

// ---------------------------------------------------------------------------------------------
// The /register page.
