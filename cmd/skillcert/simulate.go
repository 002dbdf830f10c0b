package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"skillcert/internal/simulate"
	"skillcert/models"
)

// runSimulate runs the randomized model test (package simulate) for long: --checks sequences
// of up to --steps actions each, from --seed (0: random). It prints the seed, and on a violation
// the shortest failing action sequence, and fails.
func runSimulate(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	seed := fs.Uint64("seed", 0, "rapid seed (0: a random one, printed)")
	checks := fs.Int("checks", 10000, "number of random sequences")
	steps := fs.Int("steps", 40, "most actions in one sequence")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 | uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
		*seed >>= 1
	}
	if *checks < 1 || *steps < 1 {
		fmt.Fprintln(os.Stderr, "simulate: --checks and --steps must be positive")
		return 2
	}
	testing.Init() // rapid reads the testing flags (-test.short), which must be parsed
	if err := flag.CommandLine.Parse(nil); err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		return 1
	}
	for name, v := range map[string]string{"rapid.seed": strconv.FormatUint(*seed, 10), "rapid.checks": strconv.Itoa(*checks)} {
		if err := flag.CommandLine.Set(name, v); err != nil {
			fmt.Fprintln(os.Stderr, "simulate:", err)
			return 1
		}
	}
	dir, err := os.MkdirTemp("", "skillcert-simulate-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(dir, "app.db"))
	if err == nil {
		_, err = db.Migrate(ctx)
	}
	if err == nil {
		_, err = db.SeedJurisdictions(ctx)
	}
	if err == nil {
		var pw [12]byte
		_, _ = rand.Read(pw[:])
		_, _, err = db.SeedDemo(ctx, hex.EncodeToString(pw[:]))
	}
	if err == nil {
		err = db.EnsureExperts(ctx)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "simulate: database:", err)
		return 1
	}
	defer db.Close()
	fmt.Fprintf(stdout, "simulate seed=%d checks=%d steps=%d\n", *seed, *checks, *steps)
	began := time.Now()
	t := &simTB{out: stdout}
	var st simulate.Stats
	var wg sync.WaitGroup
	wg.Go(func() { st = simulate.Run(t, db, *steps) }) // a failure ends this goroutine (FailNow)
	wg.Wait()
	if t.Failed() {
		fmt.Fprintf(stdout, "simulate FAILED seed=%d (replay: skillcert simulate --seed %d --checks %d --steps %d)\n", *seed, *seed, *checks, *steps)
		return 1
	}
	fmt.Fprintf(stdout, "simulate ok seed=%d sequences=%d steps=%d accepted=%d violations=0 seconds=%.1f final_stages=%v\n",
		*seed, st.Sequences, st.Steps, st.Accepted, time.Since(began).Seconds(), st.Stages)
	return 0
}

// simTB is rapid's TB outside a test: it prints what rapid reports and records a failure.
type simTB struct {
	mu     sync.Mutex
	out    io.Writer
	failed bool
}

func (t *simTB) Helper()      {}
func (t *simTB) Name() string { return "simulate" }
func (t *simTB) Logf(format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.out, format+"\n", args...)
}
func (t *simTB) Log(args ...any)                  { t.Logf("%s", fmt.Sprint(args...)) }
func (t *simTB) Skipf(format string, args ...any) { t.Logf(format, args...); runtime.Goexit() }
func (t *simTB) Skip(args ...any)                 { t.Log(args...); runtime.Goexit() }
func (t *simTB) SkipNow()                         { runtime.Goexit() }
func (t *simTB) Errorf(format string, args ...any) {
	t.Logf(format, args...)
	t.Fail()
}
func (t *simTB) Error(args ...any)                 { t.Log(args...); t.Fail() }
func (t *simTB) Fatalf(format string, args ...any) { t.Errorf(format, args...); t.FailNow() }
func (t *simTB) Fatal(args ...any)                 { t.Error(args...); t.FailNow() }
func (t *simTB) FailNow()                          { t.Fail(); runtime.Goexit() }
func (t *simTB) Fail() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.failed = true
}
func (t *simTB) Failed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.failed
}
