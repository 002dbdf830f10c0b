package models_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/dbtest"
)

// Concurrent allocations (each subject asked for three times at once, across three leagues'
// counters) give every subject one number, each league's sequence 1..n without gaps or
// repeats, and no number twice — on SQLite and PostgreSQL.
func TestConcurrentDocumentNumbersAreUnique(t *testing.T) {
	dbtest.ForEach(t, func(t *testing.T, db *models.DB) {
		ctx := context.Background()
		leagues := []string{"150100", "150200", "150600"}
		const perLeague, repeats, workers = 30, 3, 12
		type job struct{ league, subject string }
		var jobs []job
		for r := 0; r < repeats; r++ {
			for _, l := range leagues {
				for i := 0; i < perLeague; i++ {
					jobs = append(jobs, job{l, fmt.Sprintf("case-%s-%02d", l, i)})
				}
			}
		}
		pattern := domain.DefaultFilingNumberPattern
		var mu sync.Mutex
		got := map[string]map[string]bool{} // subject → numbers seen
		errs := make(chan error, len(jobs))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := w; i < len(jobs); i += workers {
					j := jobs[i]
					n, _, err := db.AllocateDocumentNumber(ctx, models.NumberRequest{Kind: domain.DocFiling, Subject: j.subject,
						Scope: domain.NumberScope(pattern, j.league), Year: 2027, At: time.Now(),
						Format: func(seq int) string { return domain.FormatDocumentNumber(pattern, 2027, j.league, seq) }})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					if got[j.subject] == nil {
						got[j.subject] = map[string]bool{}
					}
					got[j.subject][n.Number] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			require.NoError(t, err)
		}
		require.Len(t, got, len(leagues)*perLeague)
		all := map[string]bool{}
		for subject, ns := range got {
			require.Len(t, ns, 1, "subject %s got more than one number: %v", subject, ns)
			for n := range ns {
				require.False(t, all[n], "number %s given twice", n)
				all[n] = true
			}
		}
		for _, l := range leagues {
			var subjects []string
			for i := 0; i < perLeague; i++ {
				subjects = append(subjects, fmt.Sprintf("case-%s-%02d", l, i))
			}
			stored, err := db.DocumentNumbersOf(ctx, domain.DocFiling, subjects)
			require.NoError(t, err)
			require.Len(t, stored, perLeague)
			var seqs []int
			for _, n := range stored {
				require.Equal(t, l, n.Scope)
				require.Equal(t, domain.FormatDocumentNumber(pattern, 2027, l, n.Seq), n.Number)
				seqs = append(seqs, n.Seq)
			}
			sort.Ints(seqs)
			for i, s := range seqs {
				require.Equal(t, i+1, s, "league %s: sequence has a gap or a repeat", l)
			}
		}
		// A new year starts again at 1; the same subject keeps its number.
		n, created, err := db.AllocateDocumentNumber(ctx, models.NumberRequest{Kind: domain.DocFiling, Subject: "case-next-year", Scope: "150100",
			Year: 2028, Format: func(seq int) string { return domain.FormatDocumentNumber(pattern, 2028, "150100", seq) }})
		require.NoError(t, err)
		require.True(t, created)
		require.Equal(t, "内人社技备〔2028〕150100-001号", n.Number)
		again, created, err := db.AllocateDocumentNumber(ctx, models.NumberRequest{Kind: domain.DocFiling, Subject: "case-next-year", Scope: "150100",
			Year: 2028, Format: func(seq int) string { return "unused" }})
		require.NoError(t, err)
		require.False(t, created)
		require.Equal(t, n.Number, again.Number)
	})
}
