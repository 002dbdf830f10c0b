package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"skillcert/internal/driver"
	"skillcert/models"
)

// benchTarget is how a benchmark reaches an external deployment (--target): the administrator
// whose credential creates the benchmark's accounts through the API, and the number of the
// first benchmark enterprise (so that a second run registers new ones).
type benchTarget struct {
	adminUser, adminPassword, adminTOTP, password *string
	first                                         *int
}

// targetFlags declares the --target companions on fs; the administrator's credential defaults
// to SKILLCERT_BENCH_ADMIN_USER, SKILLCERT_BENCH_ADMIN_PASSWORD and (for an administrator
// enrolled in two-factor login) SKILLCERT_BENCH_ADMIN_TOTP_SECRET, the base32 TOTP secret.
func targetFlags(fs *flag.FlagSet) benchTarget {
	return benchTarget{
		adminUser:     fs.String("admin-user", os.Getenv("SKILLCERT_BENCH_ADMIN_USER"), "with --target: administrator who creates the benchmark's accounts (SKILLCERT_BENCH_ADMIN_USER)"),
		adminPassword: fs.String("admin-password", "", "with --target: the administrator's password (default SKILLCERT_BENCH_ADMIN_PASSWORD)"),
		adminTOTP:     fs.String("admin-totp-secret", "", "with --target: the administrator's base32 TOTP secret if enrolled (default SKILLCERT_BENCH_ADMIN_TOTP_SECRET)"),
		password:      fs.String("password", "", "with --target: password of the accounts the benchmark creates (default SKILLCERT_BENCH_PASSWORD, else random)"),
		first:         fs.Int("first", 0, "with --target: number of the first benchmark enterprise to register (default: from the clock, so runs do not collide)"),
	}
}

// provision creates the benchmark's accounts on the deployment at target and returns the
// driver for them.
func (t benchTarget) provision(ctx context.Context, log *slog.Logger, target string, n int) (*driver.Driver, error) {
	admin := driver.Admin{User: *t.adminUser, Password: orEnv(*t.adminPassword, "SKILLCERT_BENCH_ADMIN_PASSWORD"),
		TOTPSecret: orEnv(*t.adminTOTP, "SKILLCERT_BENCH_ADMIN_TOTP_SECRET")}
	if admin.User == "" || admin.Password == "" {
		return nil, errors.New("--target needs an administrator's credential: --admin-user and SKILLCERT_BENCH_ADMIN_PASSWORD")
	}
	password := orEnv(*t.password, "SKILLCERT_BENCH_PASSWORD")
	if password == "" {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		password = "Bench-" + hex.EncodeToString(b) + "-Zq9"
	}
	first := *t.first
	if first == 0 {
		first = 1 + int(time.Now().Unix()/60%900)*100
	}
	if first < 1 || first+n > 100_000 {
		return nil, errors.New("--first and --cases must keep the enterprises' numbers between 1 and 99,999")
	}
	return driver.Provision(ctx, strings.TrimRight(target, "/"), admin, password, strconv.Itoa(first), models.BenchEnterprisesFrom(first, n), log)
}

func orEnv(v, env string) string {
	if v != "" {
		return v
	}
	return os.Getenv(env)
}
