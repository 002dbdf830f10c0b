package domain

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// Drawable is someone who may be drawn: an expert for a panel, a supervisor for a sitting.
type Drawable struct {
	ID        string
	Employer  string   // name of the employer, if known
	Conflicts []string // enterprise IDs declared as conflicts of interest
}

// Recused reports whether p must stay out of a draw concerning the enterprise: employed by it,
// or a declared conflict (回避). Recusal happens before the draw, never after.
func (p Drawable) Recused(enterpriseID, enterpriseName string) bool {
	return (p.Employer != "" && p.Employer == enterpriseName) || slices.Contains(p.Conflicts, enterpriseID)
}

// Eligible splits a pool into those who may be drawn for the enterprise and those recused, in
// pool order.
func Eligible(pool []Drawable, enterpriseID, enterpriseName string) (eligible, recused []string) {
	for _, p := range pool {
		if p.Recused(enterpriseID, enterpriseName) {
			recused = append(recused, p.ID)
			continue
		}
		eligible = append(eligible, p.ID)
	}
	return eligible, recused
}

// ErrTooFew is returned by Pick when fewer are eligible than needed.
type ErrTooFew struct{ Have, Need int }

func (e ErrTooFew) Error() string {
	return fmt.Sprintf("%d eligible, %d needed", e.Have, e.Need)
}

// Rand is the seeded generator of a draw: the same seed (recorded with the draw) gives the same
// draw, so anyone can re-run and check it. salt tells draws of different kinds apart.
func Rand(seed, salt uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^salt)) }

// Pick draws n of the eligible at random with r, in draw order.
func Pick(r *rand.Rand, eligible []string, n int) ([]string, error) {
	if len(eligible) < n {
		return nil, ErrTooFew{Have: len(eligible), Need: n}
	}
	out := make([]string, 0, n)
	for _, i := range r.Perm(len(eligible))[:n] {
		out = append(out, eligible[i])
	}
	return out, nil
}

// Salts of the two draws (kept from their first release, so recorded draws re-run the same).
const (
	PanelSalt       = 0x9e3779b97f4a7c15
	SupervisionSalt = 0x2545f4914f6cdd1d
)

// DrawnTask reports whether the tasks of role go to people drawn at random (an expert panel):
// such a task belongs to the one drawn. It is never reassigned or released to a queue; only a
// redraw, which records its seed, changes who holds it.
func DrawnTask(role string) bool { return NeedsRelation(role, "task", "decide") }
