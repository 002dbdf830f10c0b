//go:build !noembedded

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/dbtest"
	"skillcert/storage/s3test"
)

// child is one skillcert process of the topology, run from the test binary
// (SKILLCERT_TEST_CHILD_ARGS, see TestMain), with its output in a log file.
type child struct {
	t     *testing.T
	name  string
	args  string
	env   []string
	log   string
	ready func(ctx context.Context) error // nil: none (a command that runs to its end)
	cmd   *exec.Cmd
	// exited is closed when the process has ended, with waitErr.
	exited  chan struct{}
	waitErr error
}

func (c *child) start() {
	c.t.Helper()
	f, err := os.OpenFile(c.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	require.NoError(c.t, err)
	defer f.Close()
	fmt.Fprintf(f, "==== start %s: skillcert %s\n", time.Now().Format(time.RFC3339Nano), c.args)
	c.cmd = exec.Command(os.Args[0], "-test.run=^$")
	c.cmd.Env = append(append(os.Environ(), c.env...), "SKILLCERT_TEST_CHILD=", "SKILLCERT_TEST_CHILD_ARGS="+c.args)
	c.cmd.Stdout, c.cmd.Stderr = f, f
	require.NoError(c.t, c.cmd.Start())
	c.exited = make(chan struct{})
	go func() { c.waitErr = c.cmd.Wait(); close(c.exited) }()
	if c.ready == nil {
		return
	}
	ctx, cancel := context.WithTimeoutCause(context.Background(), 2*time.Minute, errors.New("not ready after 2 minutes"))
	defer cancel()
	go func() {
		select {
		case <-c.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		err := c.ready(ctx)
		if err == nil {
			return
		}
		select {
		case <-c.exited:
			c.t.Fatalf("%s ended before it was ready: %v\n%s", c.name, c.waitErr, c.logTail())
		case <-ctx.Done():
			c.t.Fatalf("%s: %v (%v)\n%s", c.name, context.Cause(ctx), err, c.logTail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// runToEnd runs a command that ends by itself and returns its output; it fails the test when
// the command fails.
func (c *child) runToEnd() string {
	c.t.Helper()
	c.start()
	<-c.exited
	out := c.logTail()
	require.NoError(c.t, c.waitErr, "%s failed:\n%s", c.name, out)
	return out
}

func (c *child) logTail() string { return fileTail(c.log, 6000) }

// kill ends the process with SIGKILL: no shutdown code runs.
func (c *child) kill() {
	_ = c.cmd.Process.Signal(syscall.SIGKILL)
	<-c.exited
}

// stop ends the process with SIGTERM (its graceful shutdown), or SIGKILL after 30 s.
func (c *child) stop() {
	select {
	case <-c.exited:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(30 * time.Second):
		c.kill()
	}
}

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// httpOK tells whether GET url answers 200.
func httpOK(ctx context.Context, u string) error {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", u, resp.StatusCode)
	}
	return nil
}

// balancer is the load balancer in front of the api replicas: round robin over the replicas,
// passing a request on to the next replica when one refuses the connection (it is down). It
// counts the requests each replica answered.
type balancer struct {
	backends []string // host:port
	next     atomic.Uint64
	served   []atomic.Int64
}

func (b *balancer) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req.Body.Close()
	}
	start := int(b.next.Add(1))
	var lastErr error
	for i := range b.backends {
		n := (start + i) % len(b.backends)
		out := req.Clone(req.Context())
		out.URL.Host = b.backends[n]
		out.Body = io.NopCloser(bytes.NewReader(body))
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err == nil {
			b.served[n].Add(1)
			return resp, nil
		}
		lastErr = err
		var op *net.OpError
		if !errors.As(err, &op) || op.Op != "dial" {
			return nil, err // the request may have reached the replica: the client decides
		}
	}
	return nil, lastErr
}

// session is a logged-in HTTP client of one user, on whichever replica base names.
type session struct {
	http *http.Client
	csrf string
}

func (s *session) do(ctx context.Context, method, u string, body any, out any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, r)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		err = json.Unmarshal(raw, out)
	}
	return resp.StatusCode, raw, err
}

// login logs user in at base; cookies are per host, so the session serves every replica on
// 127.0.0.1 (the replicas share the session key and the database).
func login(ctx context.Context, t *testing.T, base, user, password string) (*session, bool) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &session{http: &http.Client{Jar: jar, Timeout: time.Minute}}
	var me struct {
		CSRF                   string `json:"csrf_token"`
		PasswordChangeRequired bool   `json:"password_change_required"`
	}
	code, raw, err := s.do(ctx, http.MethodPost, base+"/api/v1/auth/login", map[string]string{"username": user, "password": password}, &me)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, code, "log in as %s: %s", user, raw)
	s.csrf = me.CSRF
	return s, me.PasswordChangeRequired
}

// TestProductionTopology runs the production topology on this machine: the Temporal server
// in a process of its own (`skillcert temporal`), `skillcert bootstrap`, two `worker` and two
// `api` processes on one PostgreSQL database, attachments in an S3 server running in the test,
// and a round-robin load balancer in front of the api replicas. The lifecycle driver takes
// SKILLCERT_TOPOLOGY_CASES cases (4 by default) from their applications to issued
// certificates through the balancer while the test kills a worker and an api replica with
// SIGKILL and restarts them; an attachment uploaded through one replica is read through the
// other. Then every case must have gone the whole way with nothing lost or repeated.
func TestProductionTopology(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole production topology")
	}
	began := time.Now()
	step := func(format string, args ...any) {
		t.Logf("%6.1fs "+format, append([]any{time.Since(began).Seconds()}, args...)...)
	}
	dsn := dbtest.PostgresSchema(t) // fails, not skips, when SKILLCERT_TEST_POSTGRES=required
	cases := envInt(t, "SKILLCERT_TOPOLOGY_CASES", 4)
	ctx := context.Background()
	dir := t.TempDir()
	s3 := s3test.Start(t, "skillcert-topology")
	key := func() string {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		return base64.StdEncoding.EncodeToString(b)
	}
	const password = "Topo-pass-2026-Zq9"
	temporalAddr := freeAddr(t)
	_, temporalPort, _ := net.SplitHostPort(temporalAddr)
	apiAddrs := []string{freeAddr(t), freeAddr(t)}
	workerAddrs := []string{freeAddr(t), freeAddr(t)}

	lb := &balancer{backends: apiAddrs, served: make([]atomic.Int64, 2)}
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.Out.URL.Scheme, r.Out.URL.Host = "http", apiAddrs[0] // the balancer picks the replica
		r.Out.Host = r.In.Host
	}, Transport: lb})
	defer proxy.Close()

	// The configuration every process shares: the same database, keys, Temporal and bucket.
	env := []string{"SKILLCERT_DATABASE_URL=" + dsn, "TEMPORAL_ADDRESS=" + temporalAddr, "TEMPORAL_NAMESPACE=skillcert",
		"SKILLCERT_TASK_QUEUE=skillcert", "SKILLCERT_DATA_KEY=" + key(), "SKILLCERT_LOOKUP_KEY=" + key(),
		"SKILLCERT_SIGNING_KEY=" + key(), "SKILLCERT_SESSION_KEY=" + key(), "SKILLCERT_AUDIT_KEY=" + key(),
		"SKILLCERT_STORAGE_BACKEND=s3", "SKILLCERT_S3_ENDPOINT=" + s3.URL, "SKILLCERT_S3_BUCKET=" + s3.Bucket,
		"SKILLCERT_S3_REGION=" + s3test.Region, "SKILLCERT_S3_ACCESS_KEY=" + s3test.AccessKey, "SKILLCERT_S3_SECRET_KEY=" + s3test.SecretKey,
		"SKILLCERT_S3_PATH_STYLE=true", "SKILLCERT_PUBLIC_URL=" + proxy.URL, "SKILLCERT_PUBLICITY_SECONDS=1",
		"SKILLCERT_LOG_LEVEL=warn", "SKILLCERT_METRICS_ADDR=", "SKILLCERT_NATIONAL_SYNC_URL=",
		// The driver logs in with passwords only; two-factor login is tested elsewhere.
		"SKILLCERT_2FA_REQUIRED=false",
		"SKILLCERT_ADMIN_PASSWORD=Admin-topo-123", "SKILLCERT_SECADMIN_PASSWORD=Secadmin-topo-456", "SKILLCERT_AUDITADMIN_PASSWORD=Auditadmin-topo-789"}
	var children []*child
	newChild := func(name, args string, extra []string, ready func(context.Context) error) *child {
		c := &child{t: t, name: name, args: args, env: append(append([]string{}, env...), extra...),
			log: filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".log"), ready: ready}
		children = append(children, c)
		return c
	}
	defer func() {
		for i := len(children) - 1; i >= 0; i-- {
			if children[i].cmd != nil {
				children[i].stop()
			}
		}
		if t.Failed() {
			for _, c := range children {
				t.Logf("---- %s log (%s):\n%s", c.name, c.log, c.logTail())
			}
		}
	}()

	// 1. The Temporal server, in its own process, with only the "default" namespace.
	temporal := newChild("temporal", "temporal --port "+temporalPort+" --db-file "+filepath.Join(dir, "temporal.db")+" --log-level fatal", nil,
		func(ctx context.Context) error {
			tc, err := client.DialContext(ctx, client.Options{HostPort: temporalAddr, Namespace: "default",
				Logger: discardTemporalLog{}})
			if err == nil {
				tc.Close()
			}
			return err
		})
	temporal.start()
	step("temporal server up at %s", temporalAddr)

	// 2. Bootstrap from nothing: namespace, search attributes, schema, administrators, the
	// officials (from a roster, with one-time codes) and the expert pool.
	roster := filepath.Join(dir, "roster.csv")
	require.NoError(t, os.WriteFile(roster, []byte("用户名,姓名,角色,辖区代码,手机号,工号\n"+
		"region,王处长,自治区人社厅,150000,13800000101,NM-0101\n"+
		"centre,李主任,自治区职业技能鉴定管理中心,150000,13800000102,NM-0102\n"+
		"hohhot,张科长,盟市人社局,150100,13800000103,HH-0103\n"+
		"baotou,赵科长,盟市人社局,150200,13800000104,BT-0104\n"+
		"ordos,孙科长,盟市人社局,150600,13800000105,EE-0105\n"+
		"expert1,吴教授,评估专家,150000,13800000106,EX-0106\n"+
		"expert2,郑高工,评估专家,150000,13800000107,EX-0107\n"+
		"expert3,冯高工,评估专家,150000,13800000108,EX-0108\n"+
		"expert4,何教授,评估专家,150000,13800000109,EX-0109\n"), 0o600))
	experts := writeXLSX(t, filepath.Join(dir, "experts.xlsx"), [][]string{
		{"用户名", "专业领域", "职业（工种）代码", "工作单位", "状态"},
		{"expert1", "电力", "6-31-01-03", "内蒙古工业大学", "启用"},
		{"expert2", "电力", "6-31-01-03", "内蒙古电力职业学院", "启用"},
		{"expert3", "电力", "6-31-01-03", "内蒙古电力科学研究院", "启用"},
		{"expert4", "电力", "6-31-01-03", "内蒙古大学", "启用"},
	})
	codes := filepath.Join(dir, "codes.txt")
	out := newChild("bootstrap 1", "bootstrap -officials "+roster+" -experts "+experts+" -codes-out "+codes, nil, nil).runToEnd()
	for _, want := range []string{"namespace skillcert  created", "search attributes  created", "database schema  migrated",
		"administrators  created", "officials  created  9 created", "expert pool  changed  4 rows changed"} {
		require.Contains(t, out, want)
	}
	step("bootstrapped: namespace, search attributes, schema, administrators, 9 officials, 4 experts")

	// The enterprises register themselves in a real region; here they are seeded.
	// The test reads the database as the processes do: with their keys (the audit chain's
	// verification needs the audit key).
	cfg, err := loadConfig("worker", nil, func(k string) string {
		for i := len(env) - 1; i >= 0; i-- {
			if v, ok := strings.CutPrefix(env[i], k+"="); ok {
				return v
			}
		}
		return ""
	})
	require.NoError(t, err)
	db, err := openDB(ctx, cfg, slog.New(slog.DiscardHandler), false)
	require.NoError(t, err)
	defer db.Close()
	enterprises, err := db.SeedBenchEnterprises(ctx, cases, password)
	require.NoError(t, err)

	// 3. Two workers; then bootstrap again, which changes nothing but starts the campaign (it
	// needs a worker).
	workers := make([]*child, 2)
	for i := range workers {
		health := "http://" + workerAddrs[i] + "/healthz"
		workers[i] = newChild(fmt.Sprintf("worker %d", i+1), "worker", []string{"SKILLCERT_WORKER_HTTP=" + workerAddrs[i]},
			func(ctx context.Context) error { return httpOK(ctx, health) })
		workers[i].start()
	}
	step("2 workers up (/healthz at %s and %s)", workerAddrs[0], workerAddrs[1])
	year := upcomingYear(time.Now())
	out = newChild("bootstrap 2", "bootstrap -officials "+roster+" -experts "+experts+" -codes-out "+codes+"2 -year "+strconv.Itoa(year), nil, nil).runToEnd()
	for _, want := range []string{"namespace skillcert  unchanged", "search attributes  unchanged", "database schema  unchanged",
		"administrators  unchanged", "officials  unchanged  0 created, 9 unchanged", "expert pool  unchanged",
		"campaign " + strconv.Itoa(year) + "  created"} {
		require.Contains(t, out, want)
	}
	step("bootstrapped again: nothing changed, campaign %d started", year)

	// 4. Two api replicas, each with a storage directory of its own that must stay empty.
	apis := make([]*child, 2)
	storageDirs := make([]string, 2)
	for i := range apis {
		base := "http://" + apiAddrs[i]
		storageDirs[i] = filepath.Join(dir, fmt.Sprintf("api%d-storage", i+1))
		apis[i] = newChild(fmt.Sprintf("api %d", i+1), "api", []string{"SKILLCERT_HTTP_ADDR=" + apiAddrs[i], "SKILLCERT_STORAGE_DIR=" + storageDirs[i]},
			func(ctx context.Context) error { return httpOK(ctx, base+"/readyz") })
		apis[i].start()
	}
	step("2 api replicas ready at %s and %s", apiAddrs[0], apiAddrs[1])

	// The officials log in with their one-time codes and set their passwords, alternately on
	// each replica.
	b, err := os.ReadFile(codes)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.Len(t, lines, 10, string(b))
	for i, l := range lines[1:] {
		f := strings.Fields(l)
		user, code := f[1], f[4]
		base := "http://" + apiAddrs[i%2]
		s, mustChange := login(ctx, t, base, user, code)
		require.True(t, mustChange, "%s sets a password at the first login", user)
		status, raw, err := s.do(ctx, http.MethodPost, base+"/api/v1/me/password", map[string]string{"old_password": code,
			"new_password": password, "new_password_confirm": password}, nil)
		require.NoError(t, err)
		require.Less(t, status, 300, "first password of %s: %s", user, raw)
	}
	step("9 officials set their passwords")

	// An attachment uploaded through one replica is read through the other.
	crossRead := func(from, to int) {
		t.Helper()
		s, _ := login(ctx, t, "http://"+apiAddrs[from], enterprises[0].Username, password)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("purpose", models.PurposeRules)
		fw, _ := mw.CreateFormFile("file", "规章制度.pdf")
		content := fmt.Sprintf("%%PDF-1.4\n%% uploaded through replica %d at %s\n%%%%EOF\n", from+1, time.Now().Format(time.RFC3339Nano))
		_, _ = fw.Write([]byte(content))
		require.NoError(t, mw.Close())
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+apiAddrs[from]+"/api/v1/attachments", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", s.csrf)
		resp, err := s.http.Do(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusCreated, resp.StatusCode, "upload through replica %d: %s", from+1, raw)
		var ref models.AttachmentRef
		require.NoError(t, json.Unmarshal(raw, &ref))
		status, got, err := s.do(ctx, http.MethodGet, "http://"+apiAddrs[to]+"/api/v1/attachments/"+url.PathEscape(ref.ID), nil, nil)
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, status, "read through replica %d: %s", to+1, got)
		require.Equal(t, content, string(got), "replica %d serves what replica %d stored", to+1, from+1)
	}
	crossRead(0, 1)
	step("attachment uploaded through api 1 read through api 2")

	// 5. The driver takes the cases through the balancer; a worker and an api replica are
	// killed with SIGKILL while it runs, and restarted.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	drv := driver.New(proxy.URL, password, enterprises, quiet)
	done := make(chan error, 1)
	driveStart := time.Now()
	// A stalled run fails the test instead of hanging it (a run takes well under a minute).
	dctx, dcancel := context.WithTimeoutCause(ctx, 8*time.Minute, errors.New("the cases did not reach their certificates within 8 minutes"))
	defer dcancel()
	go func() { done <- drv.Run(dctx) }()
	finished := false
	var runErr error
	waitWrites := func(n int64) {
		for !finished && drv.Writes.Load() < n {
			select {
			case runErr = <-done:
				finished = true
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	// About 17 writes a case: kill the worker a third of the way, the api replica half way.
	waitWrites(int64(17 * cases / 3))
	require.False(t, finished, "the cases finished before the worker was killed (err %v): use more cases", runErr)
	workers[0].kill()
	step("kill -9 worker 1 after %d writes", drv.Writes.Load())
	time.Sleep(2 * time.Second) // the survivor carries on alone for a while
	workers[0].start()
	step("worker 1 restarted")
	waitWrites(int64(17 * cases / 2))
	require.False(t, finished, "the cases finished before the api replica was killed (err %v): use more cases", runErr)
	apis[0].kill()
	step("kill -9 api 1 after %d writes", drv.Writes.Load())
	servedBefore := lb.served[1].Load()
	for lb.served[1].Load() < servedBefore+20 && !finished {
		select {
		case runErr = <-done:
			finished = true
		case <-time.After(20 * time.Millisecond):
		}
	}
	apis[0].start()
	step("api 1 restarted (api 2 answered %d requests alone meanwhile)", lb.served[1].Load()-servedBefore)
	crossRead(1, 0)
	step("attachment uploaded through api 2 read through the restarted api 1")
	if !finished {
		runErr = <-done
	}
	require.NoError(t, runErr, "the driver saw every case through")
	step("%d cases driven to their certificates in %.1fs (%d writes; api 1 answered %d requests, api 2 %d)",
		cases, time.Since(driveStart).Seconds(), drv.Writes.Load(), lb.served[0].Load(), lb.served[1].Load())
	require.Positive(t, lb.served[0].Load(), "api 1 served requests")
	require.Positive(t, lb.served[1].Load(), "api 2 served requests")

	// 6. Nothing lost, nothing repeated; every process still healthy; the attachments in the
	// bucket, not on a replica's disk.
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for i := range workers {
		require.NoError(t, httpOK(rctx, "http://"+workerAddrs[i]+"/healthz"), "worker %d", i+1)
	}
	for i := range apis {
		require.NoError(t, httpOK(rctx, "http://"+apiAddrs[i]+"/readyz?full=1"), "api %d", i+1)
	}
	rep, err := driver.Verify(ctx, db, enterprises)
	require.NoError(t, err)
	require.Equal(t, cases, rep.Cases)
	require.Equal(t, cases, rep.Sittings)
	require.Equal(t, 2*cases, rep.Certificates, "one certificate per passed candidate (two of three pass)")
	var certs []models.Certificate
	require.NoError(t, db.Find(&certs).Error)
	numbers := map[string]bool{}
	for _, c := range certs {
		require.False(t, numbers[c.Number], "certificate number %s issued twice", c.Number)
		numbers[c.Number] = true
	}
	for _, d := range storageDirs {
		var files []string
		_ = filepath.WalkDir(d, func(p string, e os.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		require.Empty(t, files, "attachments go to the bucket, not to a replica's disk")
	}
	step("verified: %+v", rep)
}

// discardTemporalLog silences the SDK client the test dials Temporal with.
type discardTemporalLog struct{}

func (discardTemporalLog) Debug(string, ...any) {}
func (discardTemporalLog) Info(string, ...any)  {}
func (discardTemporalLog) Warn(string, ...any)  {}
func (discardTemporalLog) Error(string, ...any) {}
