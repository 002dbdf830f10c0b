package web

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The audit log showed codes (session.scores, session.candidate_add) where officials read
// Chinese. Every action the code audits has a Chinese name; a new action without one fails
// here. Actions built from a prefix ("case." + the adjustment) are listed by hand.
func TestEveryAuditedActionHasAChineseName(t *testing.T) {
	literal := regexp.MustCompile(`Action: +"([a-z_]+\.[a-z_]*[a-z])"`) // not a prefix ("campaign.move_" + which)
	found := map[string]bool{"case.withdraw": true, "case.suspend": true, "case.resume": true, "case.remove": true,
		"case.return": true, "case.redraw": true, "case.publish_late": true, "case.draw_panel": true,
		"campaign.move_collection": true, "campaign.move_publication": true, "calendar.remove": true}
	for _, dir := range []string{"../service", "../workflows", "../activities", "../api", "."} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			b, err := os.ReadFile(f)
			require.NoError(t, err)
			for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
				found[m[1]] = true
			}
		}
	}
	require.Greater(t, len(found), 40, "the scan finds the audited actions")
	for a := range found {
		require.NotEmpty(t, actionName(a), "audited action %q has no Chinese name in actionNames", a)
	}
	require.Equal(t, "投诉核查", stageName("complaint"), "the complaint's stage in the inbox")
}
