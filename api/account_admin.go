package api

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"

	"skillcert/service"
)

// ---------------------------------------------------------------------------------------------
// Account administration: one account, disable, enable, password reset, role change. The
// handlers decode the request and encode the answer; the use cases below them authorize,
// validate, write and audit, and the administrators' pages call them as well.

// userActionBody is the optional body of the account actions: why (kept in the audit log).
type userActionBody struct {
	Reason string `json:"reason"`
}

// readReason reads an optional JSON body {"reason": "…"}; no body means no reason.
func readReason(c *gin.Context) (string, error) {
	raw, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return "", service.BadRequest("bad_body", "请求内容无法读取。")
	}
	var b userActionBody
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			return "", bodyError(err)
		}
	}
	return b.Reason, nil
}

// apiUser returns one account; the caller needs user:read in its domain.
func (s *Server) apiUser(c *gin.Context) error {
	u, err := s.svc.GetUser(c.Request.Context(), ActorFrom(c), c.Param("id"))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// userActionOf reads the account of the :id parameter and the optional reason body.
func userActionOf(c *gin.Context) (service.UserAction, error) {
	reason, err := readReason(c)
	return service.UserAction{ID: c.Param("id"), Reason: reason}, err
}

func (s *Server) apiDisableUser(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	res, err := s.svc.DisableUser(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiEnableUser(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	u, err := s.svc.EnableUser(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// apiUnlockUser forgets an account's failed logins (POST /api/v1/users/:id/unlock): its owner
// logs in again without a CAPTCHA or a wait.
func (s *Server) apiUnlockUser(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	res, err := s.svc.UnlockUser(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiResetPassword(c *gin.Context) error {
	in, err := userActionOf(c)
	if err != nil {
		return err
	}
	res, err := s.svc.ResetPassword(c.Request.Context(), ActorFrom(c), in)
	if err != nil {
		return err
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, res)
	return nil
}

func (s *Server) apiSetUserGrant(c *gin.Context) error {
	var req service.GrantRequest
	if err := bindJSON(c, &req); err != nil {
		return err
	}
	u, err := s.svc.SetUserGrant(c.Request.Context(), ActorFrom(c), service.GrantInput{ID: c.Param("id"), GrantRequest: req})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, u)
	return nil
}

// ---------------------------------------------------------------------------------------------
// The audit log.

// apiAudit lists the audit log newest first, filtered by object, action, actor (username),
// outcome and a range of days (from, to: inclusive dates in the configured time zone).
func (s *Server) apiAudit(c *gin.Context) error {
	limit, offset, err := paging(c)
	if err != nil {
		return err
	}
	list, err := s.svc.ListAudit(c.Request.Context(), ActorFrom(c), service.AuditQuery{Jurisdiction: c.Query("jurisdiction"),
		ObjectType: c.Query("object_type"), ObjectID: c.Query("object_id"), Action: c.Query("action"), Actor: c.Query("actor"),
		Outcome: c.Query("outcome"), From: c.Query("from"), To: c.Query("to"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, list)
	return nil
}

func (s *Server) apiAuditVerify(c *gin.Context) error {
	rep, err := s.svc.VerifyAudit(c.Request.Context(), ActorFrom(c))
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, rep)
	return nil
}
