package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/internal/driver"
	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/workflows"
)

// TestMain lets the test binary run skillcert as a child process, so the tests need no
// separate build: SKILLCERT_TEST_CHILD=dev runs `skillcert dev` (the process the reliability
// test kills), SKILLCERT_TEST_CHILD_ARGS any command with its arguments (separated by spaces;
// the production-topology test runs temporal, bootstrap, api and worker this way).
func TestMain(m *testing.M) {
	if os.Getenv("SKILLCERT_TEST_CHILD") == "dev" {
		os.Exit(run([]string{"dev"}, os.Getenv, io.Discard))
	}
	if args := strings.Fields(os.Getenv("SKILLCERT_TEST_CHILD_ARGS")); len(args) > 0 {
		os.Exit(run(args, os.Getenv, os.Stdout))
	}
	os.Exit(m.Run())
}

// devProcess is `skillcert dev` running as a child process on a data directory.
type devProcess struct {
	t    *testing.T
	env  []string
	base string
	log  *os.File
	cmd  *exec.Cmd
	// exited is closed when the process has ended (Wait runs in the background), with waitErr.
	exited  chan struct{}
	waitErr error
}

func (p *devProcess) start() {
	p.t.Helper()
	p.cmd = exec.Command(os.Args[0], "-test.run=^$")
	p.cmd.Env = append(os.Environ(), p.env...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	require.NoError(p.t, p.cmd.Start())
	p.exited = make(chan struct{})
	go func() { p.waitErr = p.cmd.Wait(); close(p.exited) }()
	// Ready within two minutes even on a loaded machine, or the test says why not.
	ctx, cancel := context.WithTimeoutCause(context.Background(), 2*time.Minute, errors.New("not ready after 2 minutes"))
	defer cancel()
	go func() {
		select {
		case <-p.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	if err := waitReady(ctx, p.base); err != nil {
		select {
		case <-p.exited:
			p.t.Fatalf("dev process ended before it was ready: %v\n%s", p.waitErr, p.logTail())
		default:
			p.t.Fatalf("%v\n%s", err, p.logTail())
		}
	}
}

// logTail is the end of the dev process's log.
func (p *devProcess) logTail() string { return fileTail(p.log.Name(), 4000) }

// fileTail is the last max bytes of a child process's log file.
func fileTail(path string, max int) string {
	b, _ := os.ReadFile(path)
	if len(b) > max {
		b = b[len(b)-max:]
	}
	return string(b)
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (p *devProcess) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// TestKillNineDuringLifecycle kills the dev process with SIGKILL at random moments while the
// lifecycle driver takes cases from their applications to issued certificates, restarts it each
// time, and then checks that every case went the whole way with no decision, certificate or
// notification lost or repeated. SKILLCERT_RELIABILITY_CASES sets the number of cases (10 by
// default; the full run is 50) and SKILLCERT_RELIABILITY_KILLS the kills (at least 5).
func TestKillNineDuringLifecycle(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills the whole system several times")
	}
	cases, kills := envInt(t, "SKILLCERT_RELIABILITY_CASES", 10), envInt(t, "SKILLCERT_RELIABILITY_KILLS", 5)
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	const password = "reliability-pw-1"
	env := []string{"SKILLCERT_TEST_CHILD=dev", "SKILLCERT_PUBLICITY_SECONDS=1", "SKILLCERT_DATA_DIR=" + dir, "SKILLCERT_HTTP_ADDR=" + addr, "SKILLCERT_DEV_TEMPORAL_PORT=0",
		"SKILLCERT_DEMO_PASSWORD=" + password, "SKILLCERT_LOG_LEVEL=warn", "SKILLCERT_TEMPORAL_LOG_LEVEL=fatal", "SKILLCERT_DATABASE_URL="}

	// The benchmark enterprises exist before the first start (the dev server then stages no demo cases).
	ctx := context.Background()
	cfg, err := loadConfig("dev", nil, func(k string) string {
		for _, kv := range env {
			if len(kv) > len(k) && kv[:len(k)+1] == k+"=" {
				return kv[len(k)+1:]
			}
		}
		return ""
	})
	require.NoError(t, err)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := openDB(ctx, cfg, quiet, true)
	require.NoError(t, err)
	_, err = db.SeedJurisdictions(ctx)
	require.NoError(t, err)
	_, _, err = db.SeedDemo(ctx, password)
	require.NoError(t, err)
	enterprises, err := db.SeedBenchEnterprises(ctx, cases, password)
	require.NoError(t, err)
	require.NoError(t, db.Close())

	logFile, err := os.Create(filepath.Join(dir, "dev.log"))
	require.NoError(t, err)
	defer logFile.Close()
	p := &devProcess{t: t, env: env, base: "http://" + addr, log: logFile}
	p.start()
	defer func() {
		select {
		case <-p.exited:
		default:
			p.kill()
		}
	}()

	drv := driver.New(p.base, password, enterprises, quiet)
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- drv.Run(ctx) }()

	// Kill at random points spread over the whole run: after a random share of the run's
	// writes (about 17 per case: forms, decisions, sittings), plus a random 0–400 ms.
	// The kill points derive from the seed: SKILLCERT_RELIABILITY_SEED replays a run's.
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("SKILLCERT_RELIABILITY_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		require.NoError(t, err, "SKILLCERT_RELIABILITY_SEED")
		seed = n
	}
	r := rand.New(rand.NewPCG(seed, 1))
	t.Logf("random seed %d (SKILLCERT_RELIABILITY_SEED=%d replays the kill points)", seed, seed)
	targets := make([]int64, kills)
	for i := range targets {
		targets[i] = int64(float64(17*cases) * (0.05 + 0.85*r.Float64()))
	}
	slices.Sort(targets)
	killed := 0
	var runErr error
	finished := false
	for _, target := range targets {
		for !finished && drv.Writes.Load() < target {
			select {
			case runErr = <-done:
				finished = true
			case <-time.After(20 * time.Millisecond):
			}
		}
		if finished {
			break
		}
		time.Sleep(time.Duration(r.IntN(400)) * time.Millisecond)
		p.kill()
		killed++
		t.Logf("%5.1fs kill -9 #%d after %d HTTP writes", time.Since(start).Seconds(), killed, drv.Writes.Load())
		p.start()
	}
	if !finished {
		runErr = <-done
	}
	require.NoError(t, runErr, "the driver saw every case through (dev log: %s)", logFile.Name())
	require.Equal(t, kills, killed, "every kill landed while cases were still in progress: use more cases")
	t.Logf("%d cases done in %.1fs with %d kills", cases, time.Since(start).Seconds(), killed)

	// Stop it for good and look at what it stored.
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	<-p.exited
	db, err = openDB(ctx, cfg, quiet, false)
	require.NoError(t, err)
	defer db.Close()
	rep, err := driver.Verify(ctx, db, enterprises)
	require.NoError(t, err)
	require.Equal(t, cases, rep.Cases)
	require.Equal(t, cases, rep.Sittings)
	require.Equal(t, 2*cases, rep.Certificates, "one certificate per passed candidate (two of three pass)")
	t.Logf("verified: %+v", rep)
	var certs []models.Certificate
	require.NoError(t, db.Find(&certs).Error)
	numbers := map[string]bool{}
	for _, c := range certs {
		require.False(t, numbers[c.Number], "certificate number %s issued twice", c.Number)
		numbers[c.Number] = true
	}
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	require.NoError(t, err, "%s", name)
	return n
}

// TestSubmissionHandedOverAfterRestart: a submission stored just before the process died,
// whose case workflow never started, becomes a case when the server starts again, without the
// enterprise submitting again.
func TestSubmissionHandedOverAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir, filepath.Join(dir, "app.db"))
	defer func() { s.stop() }()
	now := time.Now()
	s.must(http.StatusAccepted, "region", http.MethodPost, "/api/v1/campaigns", map[string]any{"year": upcomingYear(now),
		"collection_deadline": now.Add(2 * time.Hour), "publication_target": now.Add(4 * time.Hour)}, nil)

	// What the submit handler stores before it starts the case: the sealed version, status submitted.
	var v appView
	s.must(http.StatusOK, "energy", http.MethodGet, "/api/v1/applications/mine", nil, &v)
	form := s.applicationForm("energy")
	sealer, err := pii.New([]byte(e2eDataKey), []byte(e2eLookupKey))
	require.NoError(t, err)
	content, err := form.Normalize().ToApplication(sealer, nil)
	require.NoError(t, err)
	var me struct {
		User models.User `json:"user"`
	}
	s.must(http.StatusOK, "energy", http.MethodGet, "/api/v1/me", nil, &me)
	_, err = s.db.SubmitApplication(context.Background(), models.Submission{ApplicationID: v.ID, DraftVersion: v.DraftVersion,
		Content: content, SubmittedBy: me.User.ID, At: time.Now()})
	require.NoError(t, err)
	_, err = s.db.CaseByApplication(context.Background(), v.ID)
	require.ErrorIs(t, err, models.ErrNotFound, "no case yet: the process died before the hand-over")

	s.stop()
	s = startStack(t, dir, filepath.Join(dir, "app.db"))
	s.waitStage(v.ID, workflows.StageLeagueReview)
	c := s.caseOf("energy", v.ID)
	require.Equal(t, []string{"submitted"}, c.eventKinds())
}
