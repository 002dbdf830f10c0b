package workflows_test

import (
	"context"
	"flag"
	"os"
	"strconv"
	"testing"

	"skillcert/internal/simulate"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// TestModelEnterpriseCase runs the randomized model test (package simulate) over the real
// EnterpriseCase workflow: 200 sequences of up to 40 actions by every role in CI
// (SKILLCERT_MODEL_CHECKS changes the number; -rapid.seed=N replays a failure, whose seed and
// shortest action sequence rapid prints). `skillcert simulate` runs long ones.
func TestModelEnterpriseCase(t *testing.T) {
	checks := 200
	if v := os.Getenv("SKILLCERT_MODEL_CHECKS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			t.Fatalf("SKILLCERT_MODEL_CHECKS: %v", err)
		}
		checks = n
	}
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == "100" {
		_ = f.Value.Set(strconv.Itoa(checks))
	}
	db := dbtest.New(t, models.SQLite)
	ctx := context.Background()
	if _, _, err := db.SeedDemo(ctx, "pw-for-tests"); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureExperts(ctx); err != nil {
		t.Fatal(err)
	}
	st := simulate.Run(t, db, 40)
	t.Logf("%d sequences, %d steps, %d messages accepted; final stages %v", st.Sequences, st.Steps, st.Accepted, st.Stages)
	if st.Accepted == 0 || len(st.Stages) < 4 {
		t.Fatalf("the sequences did not exercise the case (accepted %d, stages %v)", st.Accepted, st.Stages)
	}
}
