package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"skillcert/models"
	"skillcert/service"
)

const (
	SessionCookie    = "skillcert_session"
	preSessionCookie = "skillcert_pre" // binds the login form's CSRF token before a session exists
	actorKey         = "skillcert.actor"
	authErrKey       = "skillcert.authErr"
)

func ActorFrom(c *gin.Context) *service.Actor {
	if v, ok := c.Get(actorKey); ok {
		return v.(*service.Actor)
	}
	return nil
}

// authenticate identifies the caller from a bearer token or the session cookie. It never
// rejects: routes that need a user say so with requirePageLogin / requireAPILogin, which
// answer with the reason credentials failed (authErrKey). A public route ignores credentials
// it cannot use and serves the request as anonymous; an unknown or revoked token there must
// not turn the public directory or certificate query into a 401.
func (s *Server) authenticate(c *gin.Context) {
	ctx := c.Request.Context()
	now := s.now().UTC()
	fail := func(err error) {
		c.Set(authErrKey, err)
		c.Next()
	}
	if h := c.GetHeader("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tok := strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
		_, u, err := s.db.TokenUser(ctx, models.HashToken(tok), now)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) {
				s.log.WarnContext(ctx, "authenticate: token", "err", err)
			}
			fail(service.ErrUnauthenticated)
			return
		}
		a, err := s.svc.ActorFor(ctx, u)
		if err != nil {
			s.log.WarnContext(ctx, "authenticate: token actor", "err", err)
			fail(err)
			return
		}
		a.ViaToken = true
		c.Set(actorKey, a)
		c.Next()
		return
	}
	if ck, err := c.Cookie(SessionCookie); err == nil && ck != "" {
		hash := models.HashToken(ck)
		sess, u, err := s.db.SessionUser(ctx, hash, now)
		switch {
		case err == nil:
			a, err := s.svc.ActorFor(ctx, u)
			if err != nil {
				s.log.WarnContext(ctx, "authenticate: session actor", "err", err)
				fail(err)
				return
			}
			a.SessionHash = hash
			a.PasswordChangeDue = sess.Method != models.SessionOIDC && s.svc.PasswordChangeDue(u)
			a.SecondFactorSetupDue = s.svc.SecondFactorSetupDue(u)
			c.Set(actorKey, a)
			// Slide the idle expiry at most once a minute, never past the absolute limit.
			if now.Sub(sess.LastSeenAt) > time.Minute {
				exp := now.Add(s.cfg.SessionIdle)
				if max := sess.CreatedAt.Add(s.cfg.SessionMax); exp.After(max) {
					exp = max
				}
				if err := s.db.TouchSession(ctx, hash, now, exp); err != nil {
					s.log.WarnContext(ctx, "touch session", "err", err)
				}
			}
		case errors.Is(err, models.ErrNotFound):
			s.ClearCookie(c, SessionCookie)
		default:
			s.log.WarnContext(ctx, "authenticate: session", "err", err)
			fail(err)
			return
		}
	}
	c.Next()
}

// passwordChangePaths are what a session held to change its password may still reach: the
// change itself, who it is, logging out, and the style sheet.
var passwordChangePaths = map[string]bool{
	"/account/password": true, "/logout": true, "/api/v1/auth/logout": true, "/api/v1/me": true,
	"/api/v1/me/password": true,
}

// PasswordChangePage is the page a session held to change its password is sent to.
const PasswordChangePage = "/account/password"

// passwordGate holds a session whose password must change (first login, after a reset, after
// expiry: service.PasswordChangeDue) to the change: pages redirect to it, the JSON API answers
// 403 password_change_required. Bearer tokens are not held (a reset revokes them, and a
// session held here cannot make new ones).
//
// After the password, a session of an account that must log in with a second factor and has
// none (service.SecondFactorSetupDue) is held the same way to the enrolment, TwoFactorPage
// (403 second_factor_setup_required).
func (s *Server) passwordGate(c *gin.Context) {
	a := ActorFrom(c)
	path := c.Request.URL.Path
	if a == nil || a.SessionHash == "" || strings.HasPrefix(path, "/static/") {
		c.Next()
		return
	}
	page, err := "", error(nil)
	switch {
	case a.PasswordChangeDue && !passwordChangePaths[path]:
		page, err = PasswordChangePage, service.ErrPasswordChangeRequired
	case !a.PasswordChangeDue && a.SecondFactorSetupDue && !twoFactorSetupPaths[path]:
		page, err = TwoFactorPage, service.ErrSecondFactorSetupRequired
	default:
		c.Next()
		return
	}
	if strings.HasPrefix(path, "/api/") || c.Request.Method != http.MethodGet {
		s.WriteError(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, page)
	c.Abort()
}

// TwoFactorPage is the enrolment in two-factor login (TOTP).
const TwoFactorPage = "/account/2fa"

// twoFactorSetupPaths are what a session held to enrol in two-factor login may still reach.
var twoFactorSetupPaths = map[string]bool{
	TwoFactorPage: true, "/logout": true, "/api/v1/auth/logout": true, "/api/v1/me": true,
}

// authFailure is why the request's credentials identified nobody, or nil.
func authFailure(c *gin.Context) error {
	if v, ok := c.Get(authErrKey); ok {
		return v.(error)
	}
	return nil
}

// noStoreForCallers marks every answer to a logged-in caller "Cache-Control: no-store": JSON,
// pages, exports, redirects and errors alike may carry personal data (ID numbers, names,
// phone numbers), which must stay out of shared and browser caches. A handler may still set
// its own, for what holds nothing personal.
func (s *Server) noStoreForCallers(c *gin.Context) {
	if ActorFrom(c) != nil {
		c.Header("Cache-Control", "no-store")
	}
	c.Next()
}

func (s *Server) RequirePageLogin(c *gin.Context) {
	if err := authFailure(c); err != nil {
		s.WriteError(c, err)
		return
	}
	if ActorFrom(c) == nil {
		c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request.URL.RequestURI()))
		c.Abort()
		return
	}
	c.Next()
}

func (s *Server) requireAPILogin(c *gin.Context) {
	if ActorFrom(c) == nil {
		err := authFailure(c)
		if err == nil {
			err = service.ErrUnauthenticated
		}
		s.WriteError(c, err)
		return
	}
	c.Next()
}

// CSRFToken derives the CSRF token for a binding (the session, or the pre-session cookie).
func (s *Server) CSRFToken(binding string) string {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte("csrf|" + binding))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CSRFBinding returns what the request's CSRF token is bound to, creating the pre-session
// cookie when needed (for the login form).
func (s *Server) CSRFBinding(c *gin.Context, create bool) string {
	if a := ActorFrom(c); a != nil && a.SessionHash != "" {
		return "s:" + a.SessionHash
	}
	if v, err := c.Cookie(preSessionCookie); err == nil && len(v) >= 16 {
		return "p:" + v
	}
	if !create {
		return ""
	}
	v := base64.RawURLEncoding.EncodeToString(models.RandomToken(18))
	s.SetCookie(c, preSessionCookie, v, 0)
	return "p:" + v
}

// CSRF rejects unsafe requests whose token does not match their binding. Bearer-token
// requests are exempt; so is a JSON login, which a cross-site form cannot send.
func (s *Server) CSRF(c *gin.Context) {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		c.Next()
		return
	}
	a := ActorFrom(c)
	if a != nil && a.ViaToken {
		c.Next()
		return
	}
	// A bearer token that identified nobody: the request rides on no session, and a
	// cross-site page cannot set the header (no CORS here). A route that needs a caller
	// answers 401 next, as to a revoked token, rather than a CSRF refusal.
	if a == nil && strings.HasPrefix(c.GetHeader("Authorization"), "Bearer ") {
		c.Next()
		return
	}
	// An anonymous JSON request (public complaint, JSON login) carries no session a forged
	// request could ride on, and a cross-site form cannot send a JSON body.
	if a == nil && strings.HasPrefix(c.ContentType(), "application/json") {
		c.Next()
		return
	}
	got := c.GetHeader("X-CSRF-Token")
	if got == "" {
		got = c.PostForm("csrf_token")
	}
	binding := s.CSRFBinding(c, false)
	if binding == "" || got == "" || !hmac.Equal([]byte(got), []byte(s.CSRFToken(binding))) {
		s.log.InfoContext(c.Request.Context(), "csrf rejected", "route", c.FullPath())
		s.WriteError(c, service.ErrCSRF)
		return
	}
	c.Next()
}

func (s *Server) SetCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode})
}

func (s *Server) ClearCookie(c *gin.Context, name string) { s.SetCookie(c, name, "", -1) }

// Login checks credentials with throttling (service.LogIn; in.Addr is the client's) and, on
// success, opens a session and sets its cookie.
func (s *Server) Login(c *gin.Context, in service.LoginInput) (*service.Actor, error) {
	in.Addr = c.ClientIP()
	u, err := s.svc.LogIn(c.Request.Context(), in)
	if errors.Is(err, service.ErrSecondFactorRequired) {
		s.setPendingLogin(c, u.ID, models.SessionPassword, "")
	}
	if err != nil {
		return nil, err
	}
	return s.openSession(c, u, s.now().UTC(), models.SessionPassword, "")
}

// pendingCookie carries, between a correct password (or platform login) and its second factor,
// the account it was for: its ID, the expiry (pendingTTL), how the first step logged in (the
// session's method, and the platform's audience) and an HMAC under the session key over all of
// them. It only lets the second step try codes for that account under the login throttle, and
// the session it opens is of the first step's method.
const (
	pendingCookie = "skillcert_2fa"
	pendingTTL    = 5 * time.Minute
)

func (s *Server) pendingMAC(userID string, exp int64, method, audience string) string {
	m := hmac.New(sha256.New, s.cfg.SessionKey)
	m.Write([]byte("2fa|" + userID + "|" + strconv.FormatInt(exp, 10) + "|" + method + "|" + audience))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Server) setPendingLogin(c *gin.Context, userID, method, audience string) {
	exp := s.now().Add(pendingTTL).Unix()
	v := strings.Join([]string{userID, strconv.FormatInt(exp, 10), method, audience, s.pendingMAC(userID, exp, method, audience)}, ".")
	s.SetCookie(c, pendingCookie, v, int(pendingTTL.Seconds()))
}

// pendingLogin is a first login step whose second factor is awaited.
type pendingLogin struct {
	userID, method, audience string
}

func (s *Server) pendingLogin(c *gin.Context) (pendingLogin, bool) {
	v, err := c.Cookie(pendingCookie)
	if err != nil {
		return pendingLogin{}, false
	}
	f := strings.Split(v, ".")
	if len(f) != 5 {
		return pendingLogin{}, false
	}
	exp, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || s.now().Unix() > exp || !hmac.Equal([]byte(f[4]), []byte(s.pendingMAC(f[0], exp, f[2], f[3]))) {
		return pendingLogin{}, false
	}
	return pendingLogin{userID: f[0], method: f[2], audience: f[3]}, true
}

// PendingLogin is the account whose password (or platform login) was right and whose second
// factor is awaited.
func (s *Server) PendingLogin(c *gin.Context) (string, bool) {
	p, ok := s.pendingLogin(c)
	return p.userID, ok
}

// LoginSecondFactor is the second step of a login (service.SecondFactorLogin): a right code
// opens the session.
func (s *Server) LoginSecondFactor(c *gin.Context, code string, g service.Guard) (*service.Actor, error) {
	p, ok := s.pendingLogin(c)
	if !ok {
		return nil, service.NewError(http.StatusUnauthorized, "login_expired", "登录已超时，请重新输入用户名和密码。")
	}
	g.Addr = c.ClientIP()
	u, err := s.svc.SecondFactorLogin(c.Request.Context(), p.userID, code, g)
	if err != nil {
		return nil, err
	}
	s.ClearCookie(c, pendingCookie)
	return s.openSession(c, u, s.now().UTC(), p.method, loginReason(p.method, p.audience))
}

// loginReason is the audit reason of a login of a method: empty for a password, the platform's
// audience for a platform login ("oidc enterprise").
func loginReason(method, audience string) string {
	switch method {
	case models.SessionOIDC:
		return "oidc " + audience
	case models.SessionRegistration:
		return "registration"
	}
	return ""
}

// openSession logs an account in once it is known to be its owner (a checked password, a
// platform login, or an account this request just registered): a session row of that method,
// its cookie, the actor of the rest of the request, and the audit row of the login (reason says
// how, empty for a password).
func (s *Server) openSession(c *gin.Context, u models.User, now time.Time, method, reason string) (*service.Actor, error) {
	ctx := c.Request.Context()
	a, err := s.svc.ActorFor(ctx, u)
	if err != nil {
		return nil, err
	}
	tok := base64.RawURLEncoding.EncodeToString(models.RandomToken(32))
	hash := models.HashToken(tok)
	sess := &models.Session{TokenHash: hash, UserID: u.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(s.cfg.SessionIdle), UserAgent: service.Truncate(c.Request.UserAgent(), 250), RemoteAddr: c.ClientIP(),
		Method: method}
	if err := s.db.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	if err := s.db.MarkLogin(ctx, u.ID, now); err != nil {
		s.log.WarnContext(ctx, "mark login", "err", err)
	}
	a.SessionHash = hash
	// A platform login never used the local password: its expiry or a reset does not hold it.
	a.PasswordChangeDue = method != models.SessionOIDC && s.svc.PasswordChangeDue(u)
	a.SecondFactorSetupDue = s.svc.SecondFactorSetupDue(u)
	s.SetCookie(c, SessionCookie, tok, int(s.cfg.SessionMax.Seconds()))
	s.ClearCookie(c, preSessionCookie)
	c.Header("Cache-Control", "no-store") // the answer is the caller's, as noStoreForCallers says
	c.Set(actorKey, a)
	_ = s.svc.Audit(ctx, a, models.AuditEntry{Action: "login", ObjectType: "user", ObjectID: u.ID, Reason: reason})
	return a, nil
}

func (s *Server) Logout(c *gin.Context) error {
	a := ActorFrom(c)
	if a == nil || a.SessionHash == "" {
		return nil
	}
	if err := s.db.DeleteSession(c.Request.Context(), a.SessionHash); err != nil {
		return err
	}
	s.ClearCookie(c, SessionCookie)
	_ = s.svc.Audit(c.Request.Context(), a, models.AuditEntry{Action: "logout", ObjectType: "user", ObjectID: a.User.ID})
	return nil
}
