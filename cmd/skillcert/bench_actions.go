//go:build !noembedded

package main

import (
	"fmt"
	"strings"
)

// localActivityMarker is the name of the marker a local activity leaves in history; version
// (GetVersion) and side-effect markers have other names.
const localActivityMarker = "LocalActivity"

// actionsLine is the cost line of a lifecycle run: the Temporal actions per case counted from
// the histories of every workflow the run used (cases, sittings, league collections, campaign).
// temporal_actions_per_case counts what Temporal Cloud bills as actions (Updates, activities,
// local activities, version and side-effect markers, timers, search-attribute upserts, child
// workflows, signals sent); workflow tasks are printed beside it, and with_workflow_tasks adds
// them (what a self-hosted cluster pays in persistence writes). Every field is key=value.
func actionsLine(work []workflowWork, cases int) string {
	var t workflowWork
	for _, w := range work {
		t.WorkflowTasks += w.WorkflowTasks
		t.Updates += w.Updates
		t.Activities += w.Activities
		t.LocalActivities += w.LocalActivities
		t.Markers += w.Markers
		t.Timers += w.Timers
		t.Upserts += w.Upserts
		t.Children += w.Children
		t.Signals += w.Signals
	}
	n := float64(max(cases, 1))
	actions := t.Updates + t.Activities + t.LocalActivities + t.Markers + t.Timers + t.Upserts + t.Children + t.Signals
	kinds := []struct {
		name  string
		count int
	}{
		{"workflow_tasks", t.WorkflowTasks}, {"updates", t.Updates}, {"activities", t.Activities},
		{"local_activities", t.LocalActivities}, {"markers", t.Markers}, {"timers", t.Timers},
		{"search_attribute_upserts", t.Upserts}, {"child_workflows", t.Children}, {"signals", t.Signals},
	}
	var b strings.Builder
	fmt.Fprintf(&b, "temporal_actions_per_case=%.1f with_workflow_tasks=%.1f", float64(actions)/n, float64(actions+t.WorkflowTasks)/n)
	for _, k := range kinds {
		fmt.Fprintf(&b, " %s_per_case=%.2f", k.name, float64(k.count)/n)
	}
	return b.String()
}
