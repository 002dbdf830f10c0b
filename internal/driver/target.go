package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp/totp"

	"skillcert/models"
	"skillcert/workflows"
)

// Admin is the credential of a system administrator of a deployment: the benchmark creates its
// accounts through the API with it. TOTPSecret (base32) answers the second factor of an
// administrator enrolled in two-factor login.
type Admin struct {
	User, Password, TOTPSecret string
}

// Provision prepares a deployment for a benchmark through its API only: as admin it creates
// one league official per benchmark league (each changes the first password to password at
// its first login, as the deployment demands), and it registers the benchmark enterprises as
// an enterprise would (POST /api/v1/enterprises/register) with password. It returns a driver
// whose deciders are those league officials. A deployment counts registrations by address and
// asks for a CAPTCHA after a few: the error says so.
func Provision(ctx context.Context, base string, admin Admin, password, run string, enterprises []models.BenchEnterprise, log *slog.Logger) (*Driver, error) {
	code := ""
	if admin.TOTPSecret != "" {
		c, err := totp.GenerateCode(admin.TOTPSecret, time.Now())
		if err != nil {
			return nil, fmt.Errorf("admin TOTP secret: %w", err)
		}
		code = c
	}
	ac, me, err := login(ctx, base, admin.User, admin.Password, code)
	if err != nil {
		return nil, fmt.Errorf("admin: %w", err)
	}
	if me.PasswordChangeRequired || me.SecondFactorSetupRequired {
		return nil, errors.New("admin: the account must change its password or enrol in two-factor login first")
	}
	d := New(base, password, enterprises, log)
	leagues := map[string]bool{}
	for _, e := range enterprises {
		leagues[e.League] = true
	}
	var codes []string
	for l := range leagues {
		codes = append(codes, l)
	}
	sort.Strings(codes)
	for _, l := range codes {
		user := fmt.Sprintf("b%s%s", run, l)
		err := ac.do(ctx, http.MethodPost, "/api/v1/users", map[string]string{"username": user, "display_name": "基准测试科员",
			"password": password + "#0", "role": models.RoleLeagueOfficial, "jurisdiction_code": l}, nil)
		if err != nil {
			return nil, fmt.Errorf("create league official %s: %w", user, err)
		}
		c, me, err := login(ctx, base, user, password+"#0", "")
		if err != nil {
			return nil, err
		}
		if me.PasswordChangeRequired {
			err := c.do(ctx, http.MethodPost, "/api/v1/me/password", map[string]string{"old_password": password + "#0",
				"new_password": password, "new_password_confirm": password}, nil)
			if err != nil {
				return nil, fmt.Errorf("first password of %s: %w", user, err)
			}
		}
		d.deciders = append(d.deciders, decider{user, models.ViewAll, workflows.KindLeagueReview})
	}
	var wg sync.WaitGroup
	errs := make([]error, len(enterprises))
	for i, e := range enterprises {
		wg.Go(func() {
			c := &demoClient{base: base, http: &http.Client{Timeout: time.Minute}}
			c.http.Jar, _ = cookiejar.New(nil)
			err := c.do(ctx, http.MethodPost, "/api/v1/enterprises/register", map[string]string{"enterprise_name": e.Name,
				"credit_code": e.CreditCode, "county_code": e.County, "address": e.Address, "contact_name": "王经理",
				"contact_mobile": fmt.Sprintf("139%08d", e.Seq), "username": e.Username, "password": password, "password_confirm": password}, nil)
			if statusOf(err) == http.StatusTooManyRequests || (err != nil && containsCaptcha(err)) {
				err = fmt.Errorf("the deployment asks this address for a CAPTCHA after a few registrations: %w", err)
			}
			if err != nil {
				errs[i] = fmt.Errorf("register %s: %w", e.Username, err)
			}
		})
	}
	wg.Wait()
	return d, errors.Join(errs...)
}

func containsCaptcha(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && strings.Contains(se.Body, "captcha")
}

// meAnswer is the part of a login's answer Provision reads.
type meAnswer struct {
	CSRF                      string `json:"csrf_token"`
	PasswordChangeRequired    bool   `json:"password_change_required"`
	SecondFactorSetupRequired bool   `json:"second_factor_setup_required"`
}

// login opens a session, with a TOTP code when one is given.
func login(ctx context.Context, base, user, password, code string) (*demoClient, meAnswer, error) {
	jar, _ := cookiejar.New(nil)
	c := &demoClient{base: base, http: &http.Client{Jar: jar, Timeout: time.Minute}}
	var me meAnswer
	body := map[string]string{"username": user, "password": password}
	if code != "" {
		body["otp_code"] = code
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", body, &me); err != nil {
		return nil, me, fmt.Errorf("log in as %s: %w", user, err)
	}
	c.csrf = me.CSRF
	return c, me, nil
}
