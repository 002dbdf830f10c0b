package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"go.temporal.io/sdk/client"

	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/worker"
	"skillcert/worker/devserver"
)

func bootstrapTestConfig(dsn, hostPort, namespace string, dir string) Config {
	return Config{DatabaseURL: dsn, TemporalAddress: hostPort, TemporalNamespace: namespace, TaskQueue: namespace,
		DataKey: []byte(e2eDataKey), LookupKey: []byte(e2eLookupKey), SigningKey: []byte("e2e-signing-key-e2e-signing-key!"),
		SessionKey: []byte("e2e-session-key-e2e-session-key!!"), StorageDir: filepath.Join(dir, "attachments"),
		AdminPassword: "Admin-pass-123", SecAdminPassword: "Secadmin-pass-456", AuditAdminPassword: "Auditadmin-pass-789"}
}

// writeXLSX writes rows (the first is the header) to a new workbook file.
func writeXLSX(t *testing.T, path string, rows [][]string) string {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		for j, v := range r {
			c, _ := excelize.CoordinatesToCellName(j+1, i+1)
			require.NoError(t, f.SetCellValue(f.GetSheetName(0), c, v))
		}
	}
	require.NoError(t, f.SaveAs(path))
	return path
}

// bootstrapDSN is a fresh, empty application database of the dialect.
func bootstrapDSN(t *testing.T, d models.Dialect) string {
	if d == models.Postgres {
		return dbtest.PostgresSchema(t)
	}
	return filepath.Join(t.TempDir(), "app.db")
}

// A region comes up from nothing with one command, and the command run again changes nothing:
// namespace and search attributes on the Temporal cluster, schema, reference data and the
// administrators, the officials' roster (one-time codes into a 0600 file, never logged), the
// expert pool and the campaign (once a worker runs).
func TestBootstrapFromNothingIsIdempotent(t *testing.T) {
	ts, err := devserver.Start(devserver.Config{DatabaseFile: filepath.Join(t.TempDir(), "temporal.db"), Namespace: "default", LogLevel: "fatal"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = ts.Stop() })
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			dir := t.TempDir()
			ns := "boot-" + string(d)
			cfg := bootstrapTestConfig(bootstrapDSN(t, d), ts.HostPort(), ns, dir)
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			experts := writeXLSX(t, filepath.Join(dir, "experts.xlsx"), [][]string{
				{"用户名", "专业领域", "职业（工种）代码", "工作单位", "状态"},
				{"nm-expert1", "乳品加工", "6-02-04-01", "内蒙古农业大学", "启用"},
				{"nm-expert2", "电力", "6-18-02-04", "内蒙古电力职业学院", "启用"},
			})
			codes := filepath.Join(dir, "codes.txt")
			o := bootstrapOptions{Officials: "testdata/roster.csv", Experts: experts, CodesOut: codes, Retention: 72 * time.Hour,
				CampaignWait: time.Minute}

			var out bytes.Buffer
			require.NoError(t, runBootstrap(ctx, cfg, log, o, &out), out.String())
			first := out.String()
			for _, want := range []string{"namespace " + ns + "  created", "search attributes  created", "database schema  migrated",
				"jurisdictions  unchanged  0 added", "administrators  created", "officials  created  7 created, 0 unchanged",
				"expert pool  changed  2 rows changed, 0 unchanged (as nm-centre)", "initial codes of 7 accounts written to " + codes} {
				require.Contains(t, first, want)
			}
			st, err := os.Stat(codes)
			require.NoError(t, err)
			require.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "only its owner reads the codes")
			b, err := os.ReadFile(codes)
			require.NoError(t, err)
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			require.Len(t, lines, 8, string(b))

			db, err := models.Open(ctx, cfg.DatabaseURL)
			require.NoError(t, err)
			defer db.Close()
			// The migrations seed every reference jurisdiction, so the seed step finds nothing to add.
			var jurisdictions int64
			require.NoError(t, db.Model(&models.Jurisdiction{}).Count(&jurisdictions).Error)
			require.EqualValues(t, 116, jurisdictions)
			for _, l := range lines[1:] {
				f := strings.Fields(l)
				username, code := f[1], f[4]
				require.NotContains(t, logs.String(), code, "no initial code in the log")
				require.NotContains(t, first, code, "written to the file, not printed")
				u, err := db.UserByUsername(ctx, username)
				require.NoError(t, err)
				require.True(t, u.CheckPassword(code), username)
				require.True(t, u.MustChangePassword, "%s sets a password at the first login", username)
				require.NotNil(t, u.ResetExpiresAt, "%s: the code logs in once", username)
			}
			var staff string
			require.NoError(t, db.Raw("SELECT staff_id FROM users WHERE username = ?", "hhht-league").Scan(&staff).Error)
			require.Equal(t, "HH-0101", staff)
			u, err := db.UserByUsername(ctx, "xincheng-county")
			require.NoError(t, err)
			require.Equal(t, "150102", u.Jurisdiction())
			require.Equal(t, models.RoleCountyOfficial, u.Role)
			require.Equal(t, "13800000004", u.Phone)
			pool, err := db.ExpertRoster(ctx)
			require.NoError(t, err)
			drawable := 0
			for _, p := range pool {
				if p.Drawable() {
					drawable++
				}
			}
			require.Equal(t, 2, drawable)

			// The campaign step needs a worker on the task queue.
			tc, err := client.DialContext(ctx, client.Options{HostPort: ts.HostPort(), Namespace: ns})
			require.NoError(t, err)
			defer tc.Close()
			w := worker.New(tc, cfg.TaskQueue, worker.Deps{DB: db, Logger: log, Temporal: tc, Namespace: ns,
				SigningKey: ed25519.NewKeyFromSeed(cfg.SigningKey)})
			require.NoError(t, w.Start())
			defer w.Stop()

			year := time.Now().Year() + 1
			o.Year, o.CodesOut = year, filepath.Join(dir, "codes2.txt")
			out.Reset()
			require.NoError(t, runBootstrap(ctx, cfg, log, o, &out), out.String())
			second := out.String()
			for _, want := range []string{"namespace " + ns + "  unchanged", "search attributes  unchanged", "database schema  unchanged",
				"jurisdictions  unchanged", "administrators  unchanged", "officials  unchanged  0 created, 7 unchanged",
				"expert pool  unchanged", "campaign " + strconv.Itoa(year) + "  created"} {
				require.Contains(t, second, want)
			}
			_, err = os.Stat(o.CodesOut)
			require.ErrorIs(t, err, os.ErrNotExist, "no account created, no codes file")
			cp, err := db.CampaignByID(ctx, strconv.Itoa(year))
			require.NoError(t, err)
			require.Equal(t, time.Month(5), cp.CollectionDeadline.In(shanghai(t)).Month())

			var auditRows, users int64
			require.NoError(t, db.Model(&models.AuditEntry{}).Count(&auditRows).Error)
			require.NoError(t, db.Model(&models.User{}).Count(&users).Error)
			out.Reset()
			require.NoError(t, runBootstrap(ctx, cfg, log, o, &out), out.String())
			require.NotContains(t, out.String(), "  created  ", "no step creates anything")
			require.Contains(t, out.String(), "expert pool  unchanged")
			require.Contains(t, out.String(), "campaign "+strconv.Itoa(year)+"  unchanged")
			var auditAfter, usersAfter int64
			require.NoError(t, db.Model(&models.AuditEntry{}).Count(&auditAfter).Error)
			require.NoError(t, db.Model(&models.User{}).Count(&usersAfter).Error)
			require.Equal(t, auditRows, auditAfter, "running it again writes nothing")
			require.Equal(t, users, usersAfter)
		})
	}
}

func shanghai(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	require.NoError(t, err)
	return loc
}

// A roster with faulty rows is refused whole: every fault named by its row, in Chinese, and no
// account created (nor the codes file).
func TestBootstrapRefusesABadRosterWhole(t *testing.T) {
	for _, d := range dbtest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			cfg := bootstrapTestConfig(bootstrapDSN(t, d), "", "skillcert", dir)
			log := slog.New(slog.NewTextHandler(io.Discard, nil))
			codes := filepath.Join(dir, "codes.txt")
			o := bootstrapOptions{Officials: "testdata/roster_bad.csv", CodesOut: codes, SkipTemporal: true}
			var out bytes.Buffer
			err := runBootstrap(ctx, cfg, log, o, &out)
			require.Error(t, err)
			msg := err.Error()
			for _, want := range []string{
				"第 3 行：角色“系统管理员”不能由名单导入",
				"第 4 行：盟市人社局不能设在",
				"第 5 行：手机号码“1234”格式不正确",
				"第 6 行：用户名 ok-league 与第 2 行重复",
				"第 7 行：所选行政区划不存在",
			} {
				require.Contains(t, msg, want)
			}
			require.NotContains(t, msg, "第 2 行：", "row 2 is fine (only named as the duplicate's partner)")
			_, err = os.Stat(codes)
			require.ErrorIs(t, err, os.ErrNotExist)
			db, err := models.Open(ctx, cfg.DatabaseURL)
			require.NoError(t, err)
			defer db.Close()
			_, err = db.UserByUsername(ctx, "ok-league")
			require.ErrorIs(t, err, models.ErrNotFound, "nothing created on error")

			// The same from a workbook; a fixed roster then goes through.
			bad := writeXLSX(t, filepath.Join(dir, "roster.xlsx"), [][]string{
				{"用户名", "姓名", "角色", "辖区代码", "手机号", "工号"},
				{"ok-league", "张伟", "盟市人社局", "150100", "13800000003", "HH-0101"},
				{"", "无名", "盟市人社局", "150100", "13800000004", "工号一"},
			})
			o.Officials = bad
			err = runBootstrap(ctx, cfg, log, o, &out)
			require.Error(t, err)
			require.Contains(t, err.Error(), "第 3 行：用户名应为 3 至 64 个字符")
			require.Contains(t, err.Error(), "第 3 行：工号应为 1 至 32 位字母、数字、连字符或下划线。")
			_, err = db.UserByUsername(ctx, "ok-league")
			require.ErrorIs(t, err, models.ErrNotFound)
			good := writeXLSX(t, filepath.Join(dir, "roster-fixed.xlsx"), [][]string{
				{"用户名", "姓名", "角色", "辖区代码", "手机号", "工号"},
				{"ok-league", "张伟", "盟市人社局", "150100", "13800000003", "HH-0101"},
			})
			o.Officials = good
			out.Reset()
			require.NoError(t, runBootstrap(ctx, cfg, log, o, &out))
			require.Contains(t, out.String(), "officials  created  1 created, 0 unchanged")
		})
	}
}
