package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"skillcert/activities"
)

// WatchdogScheduleID is the ID of the Temporal Schedule that starts the Watchdog. Its runs
// get this ID with the scheduled time appended by the server (skillcert-watchdog-<RFC 3339>).
const WatchdogScheduleID = "skillcert-watchdog"

// CaseWorkflowType is the registered type name of EnterpriseCase, which the watchdog looks for
// in Visibility. It is the function's name: renaming the function would change it.
const CaseWorkflowType = "EnterpriseCase"

// WatchdogInput tunes the Watchdog; zero fields take the defaults of activities.ScanInput.
// The schedule starts it with the zero value.
type WatchdogInput struct {
	// SilentDays: a case waiting on a person with no business event for this many days is silent.
	SilentDays int `json:"silent_days,omitempty"`
	// RetryAttempts: a pending activity at this attempt or later is reported.
	RetryAttempts int `json:"retry_attempts,omitempty"`
	// MaxCases bounds the case workflows described per run.
	MaxCases int `json:"max_cases,omitempty"`
	// Grace is how long a disagreement between projection and workflow must last to be drift.
	Grace time.Duration `json:"grace,omitempty"`
}

// watchdogScanOptions is the activity-options preset of the watchdog scan. A scan of a thousand
// cases takes seconds; five minutes per attempt is ample, and the heartbeat (sent every 50
// workflows described) notices a hung call within a minute. A few quick retries ride out a
// database or frontend blip; beyond that the next scheduled run tries again, so the whole
// retry budget stays under the default ten-minute interval and runs never queue up.
var watchdogScanOptions = workflow.ActivityOptions{
	StartToCloseTimeout:    5 * time.Minute,
	ScheduleToCloseTimeout: 8 * time.Minute,
	HeartbeatTimeout:       time.Minute,
	RetryPolicy: &temporal.RetryPolicy{
		InitialInterval:    5 * time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    time.Minute,
		MaximumAttempts:    3,
	},
}

// Watchdog looks for stalled cases once and writes what it finds to the findings table that the
// admin dashboard lists: overdue tasks, silent cases, activities that keep retrying, and drift
// between the projection and the case workflows (see activities.ScanStalled).
//
// ID: started by the Schedule WatchdogScheduleID (see worker.EnsureWatchdogSchedule) as
// "skillcert-watchdog-<scheduled time>"; overlap policy skip, so runs never overlap. It can also
// be started by hand with any ID. Messages: none. Timers: none. No continue-as-new: a run is
// one activity, and the scan's time is the workflow's clock, so a retried scan writes the same
// rows.
func Watchdog(ctx workflow.Context, in WatchdogInput) (activities.ScanResult, error) {
	ctx = workflow.WithActivityOptions(ctx, watchdogScanOptions)
	scan := activities.ScanInput{
		Now:                   workflow.Now(ctx),
		SilentDays:            in.SilentDays,
		RetryAttempts:         in.RetryAttempts,
		MaxCases:              in.MaxCases,
		Grace:                 in.Grace,
		CaseWorkflowType:      CaseWorkflowType,
		StageAttribute:        CaseStage.GetName(),
		JurisdictionAttribute: JurisdictionCode.GetName(),
		StageNames:            StageNames,
	}
	var a *activities.Activities
	var res activities.ScanResult
	err := workflow.ExecuteActivity(ctx, a.ScanStalled, scan).Get(ctx, &res)
	return res, err
}
