//go:build !noembedded

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestActionsLine checks the cost line of bench lifecycle: actions per case sum every billed kind
// (not the workflow tasks, which with_workflow_tasks adds), and every field is key=value so the
// output stays machine-readable next to the lifecycle line.
func TestActionsLine(t *testing.T) {
	work := []workflowWork{
		{Updates: 10, Activities: 5, LocalActivities: 12, Markers: 2, Timers: 6, Upserts: 7, Children: 1, Signals: 3, WorkflowTasks: 20},
		{Updates: 2, Activities: 1, LocalActivities: 4, Timers: 2, Signals: 1, WorkflowTasks: 6},
	}
	line := actionsLine(work, 2)
	fields := map[string]string{}
	for _, f := range strings.Fields(line) {
		k, v, ok := strings.Cut(f, "=")
		require.True(t, ok, f)
		fields[k] = v
	}
	// (12+6+16+2+8+7+1+4) / 2 = 28; with 26 workflow tasks, 41.
	require.Equal(t, "28.0", fields["temporal_actions_per_case"])
	require.Equal(t, "41.0", fields["with_workflow_tasks"])
	require.Equal(t, "13.00", fields["workflow_tasks_per_case"])
	require.Equal(t, "4.00", fields["timers_per_case"])
	require.Equal(t, "3.50", fields["search_attribute_upserts_per_case"])
	require.Equal(t, "1.00", fields["markers_per_case"])
}
