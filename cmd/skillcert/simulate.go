package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
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

// simulateRound is the most sequences one database takes: a long run goes in rounds, each on a
// fresh database with the next seed, so that it stays linear in the number of sequences.
const simulateRound = 500

// runSimulate runs the randomized model test (package simulate) for long: --checks sequences
// of up to --steps actions each, in rounds of simulateRound sequences from seeds --seed,
// --seed+1, … (0: a random first seed). It prints the seed range, and on a violation the seed
// and the shortest failing action sequence, and fails.
func runSimulate(args []string, stdout io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	seed := fs.Uint64("seed", 0, "first rapid seed (0: a random one, printed)")
	checks := fs.Int("checks", 10000, "number of random sequences")
	steps := fs.Int("steps", 40, "most actions in one sequence")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		*seed = binary.BigEndian.Uint64(b[:]) >> 2 // room for the rounds' seeds after it
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
	rounds := (*checks + simulateRound - 1) / simulateRound
	last := *seed + uint64(rounds) - 1
	fmt.Fprintf(stdout, "simulate seeds=%d..%d checks=%d steps=%d\n", *seed, last, *checks, *steps)
	began := time.Now()
	total := simulate.Stats{Stages: map[string]int{}}
	for r := 0; r < rounds; r++ {
		n := min(simulateRound, *checks-r*simulateRound)
		s := *seed + uint64(r)
		st, failed, err := simulateOnce(s, n, *steps, stdout)
		if err != nil {
			fmt.Fprintln(os.Stderr, "simulate:", err)
			return 1
		}
		if failed {
			fmt.Fprintf(stdout, "simulate FAILED seed=%d (replay: skillcert simulate --seed %d --checks %d --steps %d)\n", s, s, n, *steps)
			return 1
		}
		total.Sequences += st.Sequences
		total.Steps += st.Steps
		total.Accepted += st.Accepted
		for k, v := range st.Stages {
			total.Stages[k] += v
		}
	}
	fmt.Fprintf(stdout, "simulate ok seeds=%d..%d sequences=%d steps=%d accepted=%d violations=0 seconds=%.1f final_stages=%v\n",
		*seed, last, total.Sequences, total.Steps, total.Accepted, time.Since(began).Seconds(), total.Stages)
	return 0
}

// simulateOnce runs n sequences from seed on a fresh database.
func simulateOnce(seed uint64, n, steps int, stdout io.Writer) (simulate.Stats, bool, error) {
	for name, v := range map[string]string{"rapid.seed": strconv.FormatUint(seed, 10), "rapid.checks": strconv.Itoa(n)} {
		if err := flag.CommandLine.Set(name, v); err != nil {
			return simulate.Stats{}, false, err
		}
	}
	dir, err := os.MkdirTemp("", "skillcert-simulate-")
	if err != nil {
		return simulate.Stats{}, false, err
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
		return simulate.Stats{}, false, fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	t := &simTB{out: stdout}
	var st simulate.Stats
	var wg sync.WaitGroup
	wg.Go(func() { st = simulate.Run(t, db, steps) }) // a failure ends this goroutine (FailNow)
	wg.Wait()
	return st, t.Failed(), nil
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
