package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

// Login through the unified identity platform (service/oidc.go): StartOIDC sends the browser
// to the platform, keeping state, nonce and PKCE verifier in a short-lived cookie signed with
// the session key; FinishOIDC, at the callback, hands them with the platform's answer to
// service.OIDCLogIn and opens the session as a password login does (openSession), or leaves
// the second factor pending (the /login/2fa step) when the account still needs its code.

const (
	oidcCookie = "skillcert_oidc"
	oidcTTL    = 10 * time.Minute
)

// oidcPending is the signed cookie's content.
type oidcPending struct {
	Audience string `json:"a"`
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"r"`
	Exp      int64  `json:"e"`
}

func (s *Server) oidcMAC(payload string) string {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte("oidc|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// StartOIDC begins a platform login of an audience and returns the URL to send the browser
// to; next is where to go after the login (already checked by the caller).
func (s *Server) StartOIDC(c *gin.Context, audience, next string) (string, error) {
	st, err := s.svc.BeginOIDC(c.Request.Context(), audience)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(oidcPending{Audience: audience, State: st.State, Nonce: st.Nonce, Verifier: st.Verifier,
		Next: next, Exp: s.now().Add(oidcTTL).Unix()})
	payload := base64.RawURLEncoding.EncodeToString(b)
	s.SetCookie(c, oidcCookie, payload+"."+s.oidcMAC(payload), int(oidcTTL.Seconds()))
	return st.URL, nil
}

// pendingOIDC reads the signed cookie of a platform login under way.
func (s *Server) pendingOIDC(c *gin.Context) (oidcPending, bool) {
	var p oidcPending
	v, err := c.Cookie(oidcCookie)
	if err != nil {
		return p, false
	}
	payload, mac, ok := strings.Cut(v, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.oidcMAC(payload))) {
		return p, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &p) != nil || s.now().Unix() > p.Exp {
		return p, false
	}
	return p, true
}

var errOIDCDenied = service.NewError(http.StatusUnauthorized, "oidc_denied", "统一身份认证平台未完成登录（已取消或被拒绝）。请重新登录。")

// FinishOIDC handles the platform's callback for an audience: on success the session is open
// (or, with service.ErrSecondFactorRequired, the second factor is pending). It returns where
// the login wanted to go.
func (s *Server) FinishOIDC(c *gin.Context, audience string) (string, error) {
	p, ok := s.pendingOIDC(c)
	s.ClearCookie(c, oidcCookie)
	if !ok || p.Audience != audience {
		p = oidcPending{Audience: audience, Next: "/"}
	}
	if c.Query("error") != "" {
		return p.Next, errOIDCDenied
	}
	u, err := s.svc.OIDCLogIn(c.Request.Context(), service.OIDCCallback{Audience: audience, Code: c.Query("code"),
		State: c.Query("state"), WantState: p.State, Nonce: p.Nonce, Verifier: p.Verifier, Addr: c.ClientIP()})
	if errors.Is(err, service.ErrSecondFactorRequired) {
		s.setPendingLogin(c, u.ID, models.SessionOIDC, audience)
		return p.Next, err
	}
	if err != nil {
		return p.Next, err
	}
	_, err = s.openSession(c, u, s.now().UTC(), models.SessionOIDC, loginReason(models.SessionOIDC, audience))
	return p.Next, err
}
