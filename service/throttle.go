package service

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mojocn/base64Captcha"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/validate"
)

// Abuse resistance of the public routes: the budgets of domain/throttle.go, counted in the
// database (table throttles) so that every replica sees every attempt, and the CAPTCHAs they
// call for, whose answers are kept hashed in the database (table captchas), single use.

// Guard is where a public attempt comes from and the CAPTCHA answered with it. API clients
// send captcha_id and captcha_answer in the body (or the query of a GET) once an answer says
// captcha_required; GET /api/v1/captcha hands one out.
type Guard struct {
	// Addr is the client address (set by the HTTP layer, never from the body).
	Addr          string `json:"-"`
	CaptchaID     string `json:"captcha_id,omitempty"`
	CaptchaAnswer string `json:"captcha_answer,omitempty"`
}

// CaptchaChallenge is a CAPTCHA handed out: its ID, to send back with the answer, and its
// image as a data: URL (PNG).
type CaptchaChallenge struct {
	ID        string `json:"captcha_id"`
	Image     string `json:"image"`
	ExpiresIn int    `json:"expires_in"` // seconds
	Prompt    string `json:"prompt"`
}

// CaptchaPrompt is what the pages and the API say beside the image.
const CaptchaPrompt = "请输入图中字符"

// captchaTTL is how long a CAPTCHA can be answered.
const captchaTTL = 5 * time.Minute

// captchaDriver draws five digits: easy to type on a phone, 100,000 answers for one guess.
var captchaDriver = base64Captcha.NewDriverDigit(80, 240, 5, 0.7, 80)

// Errors of the guard. Both carry a field error on captcha_answer for forms.
var (
	// ErrCaptchaRequired: the attempt needs a CAPTCHA and came without one.
	ErrCaptchaRequired = &Error{Status: http.StatusPreconditionRequired, Code: "captcha_required",
		Message: "为防止恶意操作，" + CaptchaPrompt + "后再提交。",
		Fields:  []validate.FieldError{{Field: "captcha_answer", Code: "captcha_required", Message: CaptchaPrompt + "。"}}}
	// ErrCaptchaInvalid: the answer was wrong, or the CAPTCHA expired or was used already.
	ErrCaptchaInvalid = &Error{Status: http.StatusPreconditionRequired, Code: "captcha_invalid",
		Message: "验证码错误或已失效，请按新图片重新输入。",
		Fields:  []validate.FieldError{{Field: "captcha_answer", Code: "captcha_invalid", Message: "验证码错误或已失效，请按新图片重新输入。"}}}
)

// throttleState is the service's share of the throttling: the budgets, the CAPTCHA answers'
// source (tests fix it) and when this replica last pruned the tables.
type throttleState struct {
	budgets domain.ThrottleBudgets
	answer  func() string
	pruned  atomic.Int64
}

func (s *Service) initThrottle(d Deps) {
	s.thr.budgets = d.Config.Throttle
	if s.thr.budgets == nil {
		s.thr.budgets = domain.DefaultThrottleBudgets()
	}
	s.thr.answer = d.CaptchaAnswer
	if s.thr.answer == nil {
		s.thr.answer = func() string { _, _, a := captchaDriver.GenerateIdQuestionAnswer(); return a }
	}
}

// NewCaptcha hands out a CAPTCHA: draws a fresh answer, keeps its hash and returns the image.
func (s *Service) NewCaptcha(ctx context.Context) (CaptchaChallenge, error) {
	now := s.now().UTC()
	s.prune(ctx, now)
	answer := s.thr.answer()
	item, err := captchaDriver.DrawCaptcha(answer)
	if err != nil {
		return CaptchaChallenge{}, err
	}
	id := base64.RawURLEncoding.EncodeToString(models.RandomToken(18))
	if err := s.db.CreateCaptcha(ctx, models.Captcha{ID: id, AnswerHash: captchaHash(id, answer), ExpiresAt: now.Add(captchaTTL)}); err != nil {
		return CaptchaChallenge{}, err
	}
	return CaptchaChallenge{ID: id, Image: item.EncodeB64string(), ExpiresIn: int(captchaTTL.Seconds()), Prompt: CaptchaPrompt}, nil
}

// captchaHash binds the answer to its CAPTCHA, so that one answer's hash says nothing of another.
func captchaHash(id, answer string) string {
	return models.HashToken("captcha|" + id + "|" + answer)
}

// checkCaptcha takes the guard's CAPTCHA (it cannot be answered twice) and checks the answer.
func (s *Service) checkCaptcha(ctx context.Context, g Guard) error {
	id, answer := strings.TrimSpace(g.CaptchaID), normalizeCaptchaAnswer(g.CaptchaAnswer)
	if id == "" || answer == "" {
		return ErrCaptchaRequired
	}
	if len(id) > 40 || len(answer) > 16 {
		return ErrCaptchaInvalid
	}
	c, err := s.db.TakeCaptcha(ctx, id, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return ErrCaptchaInvalid
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(c.AnswerHash), []byte(captchaHash(id, answer))) != 1 {
		return ErrCaptchaInvalid
	}
	return nil
}

// normalizeCaptchaAnswer drops spaces and turns full-width digits (a Chinese input method's)
// into ASCII.
func normalizeCaptchaAnswer(a string) string {
	var b strings.Builder
	for _, r := range a {
		switch {
		case r >= '０' && r <= '９':
			b.WriteRune('0' + r - '０')
		case r == ' ' || r == '\t' || r == '\u3000':
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// loginPurpose and loginAccountKey name an account's counter of failed logins (where the
// local name domain is taken by a domain string).
const loginPurpose = string(domain.ThrottleLogin)

func loginAccountKey(username string) string { return domain.AccountKey(username) }

// budget is a purpose's budget (off when the configuration has none).
func (s *Service) budget(p domain.ThrottlePurpose) domain.PurposeBudget { return s.thr.budgets[p] }

// judge reads the counters of the address (and the account, for logins) and applies the budget.
func (s *Service) judge(ctx context.Context, p domain.ThrottlePurpose, addr, account string) (domain.ThrottleVerdict, error) {
	b := s.budget(p)
	if b.Off() {
		return domain.ThrottleVerdict{}, nil
	}
	keys := []string{domain.AddressKey(addr)}
	if account != "" {
		keys = append(keys, domain.AccountKey(account))
	}
	rows, err := s.db.Throttles(ctx, string(p), keys...)
	if err != nil {
		return domain.ThrottleVerdict{}, err
	}
	tally := func(k string) domain.ThrottleTally {
		r, ok := rows[k]
		if !ok {
			return domain.ThrottleTally{}
		}
		return domain.ThrottleTally{Count: r.Count, Last: r.LastAt}
	}
	var acct domain.ThrottleTally
	if account != "" {
		acct = tally(keys[1])
	}
	return b.Judge(tally(keys[0]), acct, s.now()), nil
}

// CaptchaDue tells a form whether its next submission from addr (for the account, on the login
// form) needs a CAPTCHA, so that it can show one beforehand.
func (s *Service) CaptchaDue(ctx context.Context, p domain.ThrottlePurpose, addr, account string) (bool, error) {
	v, err := s.judge(ctx, p, addr, account)
	return v.Captcha, err
}

// throttled is the refusal of an attempt that must wait; msg says what (e.g. "登录失败次数过多").
func throttled(wait time.Duration, msg string) *Error {
	secs := max(int(math.Ceil(wait.Seconds())), 1)
	when := strconv.Itoa(secs) + " 秒"
	if secs > 90 {
		when = strconv.Itoa((secs+59)/60) + " 分钟"
	}
	return &Error{Status: http.StatusTooManyRequests, Code: "throttled", RetryAfter: secs, Message: msg + "，请 " + when + "后再试。"}
}

// count adds an attempt to the address's counter (and the account's, for logins). A failure to
// count is logged, not the caller's problem.
func (s *Service) count(ctx context.Context, p domain.ThrottlePurpose, addr, account string) {
	b := s.budget(p)
	if b.Off() {
		return
	}
	now := s.now().UTC()
	hit := func(key string, w time.Duration) {
		if err := s.db.CountAttempt(ctx, string(p), key, now, now.Add(-w)); err != nil {
			s.log.WarnContext(ctx, "count attempt", "purpose", string(p), "err", err)
		}
	}
	hit(domain.AddressKey(addr), b.Address.Window)
	if account != "" {
		hit(domain.AccountKey(account), b.Account.Window)
	}
	s.prune(ctx, now)
}

// pruneEvery is how often a replica deletes counters unused for a day and expired CAPTCHAs.
const pruneEvery = 10 * time.Minute

func (s *Service) prune(ctx context.Context, now time.Time) {
	last := s.thr.pruned.Load()
	if now.UnixNano()-last < int64(pruneEvery) || !s.thr.pruned.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	if err := s.db.PruneThrottles(ctx, now.Add(-24*time.Hour), now); err != nil {
		s.log.WarnContext(ctx, "prune throttles", "err", err)
	}
}

// guard applies a purpose's budget to an attempt before it does anything: admit, then solve.
func (s *Service) guard(ctx context.Context, p domain.ThrottlePurpose, g Guard, account, refusal string, audit models.AuditEntry) error {
	v, err := s.admit(ctx, p, g, account, refusal, audit)
	if err != nil {
		return err
	}
	return s.solve(ctx, v, g, audit)
}

// admit refuses an attempt whose wait is still due (429 with Retry-After; refusal names the
// attempt in the message, e.g. "登录失败次数过多") and returns the verdict, whose CAPTCHA solve
// checks. A refusal is audited as audit (action, object) denied.
func (s *Service) admit(ctx context.Context, p domain.ThrottlePurpose, g Guard, account, refusal string, audit models.AuditEntry) (domain.ThrottleVerdict, error) {
	v, err := s.judge(ctx, p, g.Addr, account)
	if err != nil {
		return v, err
	}
	if v.Wait > 0 {
		s.auditThrottled(ctx, audit, "throttled")
		return v, throttled(v.Wait, refusal)
	}
	return v, nil
}

// solve checks the guard's CAPTCHA when the verdict asks for one; a refusal is audited.
func (s *Service) solve(ctx context.Context, v domain.ThrottleVerdict, g Guard, audit models.AuditEntry) error {
	if !v.Captcha {
		return nil
	}
	if err := s.checkCaptcha(ctx, g); err != nil {
		var e *Error
		if errors.As(err, &e) {
			s.auditThrottled(ctx, audit, e.Code)
		}
		return err
	}
	return nil
}

// auditThrottled records a refused attempt (none when audit has no action: the public queries,
// which are anonymous reads, and whose refusals would only fill the log).
func (s *Service) auditThrottled(ctx context.Context, audit models.AuditEntry, reason string) {
	if audit.Action == "" {
		return
	}
	audit.Outcome, audit.Reason = models.OutcomeDenied, reason
	_ = s.Audit(ctx, nil, audit)
}

// UnlockResult is the answer of an unlock: the account and how many failed logins were forgotten.
type UnlockResult struct {
	User     models.User `json:"user"`
	Failures int         `json:"failures_forgotten"`
}

// UnlockUser forgets an account's failed logins, so that its owner logs in again without a
// CAPTCHA or a wait (security administrators, `user:credential` in the account's domain; audited).
func (s *Service) UnlockUser(ctx context.Context, a *Actor, in UserAction) (UnlockResult, error) {
	u, domainOf, reason, err := s.accountAction(ctx, a, in, "credential", "")
	if err != nil {
		return UnlockResult{}, err
	}
	var n int
	err = s.audited(ctx, a, func(tx *models.DB) (models.AuditEntry, error) {
		var err error
		n, err = tx.ClearThrottle(ctx, string(domain.ThrottleLogin), domain.AccountKey(u.Username))
		return models.AuditEntry{Action: "user.unlock", ObjectType: "user", ObjectID: u.ID,
			BeforeState: "failures=" + strconv.Itoa(n), AfterState: "failures=0", Reason: reason,
			JurisdictionCode: domainJurisdiction(domainOf)}, err
	})
	if err != nil {
		return UnlockResult{}, err
	}
	return UnlockResult{User: u, Failures: n}, nil
}

// LoginFailures is how many failed logins are counted against an account now (for the admin page).
func (s *Service) LoginFailures(ctx context.Context, username string) (int, error) {
	key := domain.AccountKey(username)
	rows, err := s.db.Throttles(ctx, string(domain.ThrottleLogin), key)
	if err != nil {
		return 0, err
	}
	r, ok := rows[key]
	if !ok || !s.now().Before(r.LastAt.Add(s.budget(domain.ThrottleLogin).Account.Window)) {
		return 0, nil
	}
	return r.Count, nil
}
