package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"skillcert/workflows"
)

// DefaultWatchdogInterval is how often the watchdog runs when no interval is given.
const DefaultWatchdogInterval = 10 * time.Minute

// watchdogType is the registered name of workflows.Watchdog, as a described schedule reports it.
const watchdogType = "Watchdog"

// watchdogRunTimeout bounds one watchdog run. With overlap policy skip, a run that never
// finishes (no worker polling the queue, say) would hold back every later run; a timeout
// lets the schedule start afresh.
const watchdogRunTimeout = 15 * time.Minute

// EnsureWatchdogSchedule makes sure the Schedule workflows.WatchdogScheduleID starts
// workflows.Watchdog on taskQueue every `every` (DefaultWatchdogInterval when zero), skipping a
// run while the previous one is still going. It is idempotent and safe to call from every
// worker replica at start: it creates the schedule, or updates one that differs (interval, task
// queue, policies) and leaves one that matches alone. An update keeps the schedule's state, so
// a schedule an operator paused stays paused.
func EnsureWatchdogSchedule(ctx context.Context, c client.Client, taskQueue string, every time.Duration) error {
	if every <= 0 {
		every = DefaultWatchdogInterval
	}
	if every < 10*time.Second {
		return fmt.Errorf("watchdog interval %s is shorter than 10s", every)
	}
	want := watchdogSchedule(taskQueue, every)
	sc := c.ScheduleClient()
	_, err := sc.Create(ctx, client.ScheduleOptions{
		ID:            workflows.WatchdogScheduleID,
		Spec:          *want.Spec,
		Action:        want.Action,
		Overlap:       want.Policy.Overlap,
		CatchupWindow: want.Policy.CatchupWindow,
		Note:          "skillcert stalled-case watchdog",
	})
	if err == nil {
		return nil
	}
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) {
		return fmt.Errorf("create watchdog schedule: %w", err)
	}
	err = sc.GetHandle(ctx, workflows.WatchdogScheduleID).Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			have := in.Description.Schedule
			if watchdogScheduleMatches(have, want) {
				return nil, temporal.ErrSkipScheduleUpdate
			}
			have.Spec, have.Action, have.Policy = want.Spec, want.Action, want.Policy
			return &client.ScheduleUpdate{Schedule: &have}, nil
		},
	})
	if err != nil {
		return fmt.Errorf("update watchdog schedule: %w", err)
	}
	return nil
}

// watchdogSchedule is the schedule EnsureWatchdogSchedule wants.
func watchdogSchedule(taskQueue string, every time.Duration) client.Schedule {
	return client.Schedule{
		Spec: &client.ScheduleSpec{Intervals: []client.ScheduleIntervalSpec{{Every: every}}},
		Action: &client.ScheduleWorkflowAction{
			ID:                       workflows.WatchdogScheduleID,
			Workflow:                 workflows.Watchdog,
			Args:                     []any{workflows.WatchdogInput{}},
			TaskQueue:                taskQueue,
			WorkflowExecutionTimeout: watchdogRunTimeout,
		},
		Policy: &client.SchedulePolicies{
			Overlap: enumspb.SCHEDULE_OVERLAP_POLICY_SKIP,
			// After an outage one catch-up run is enough: a scan looks at the present.
			CatchupWindow: max(every, time.Minute),
		},
	}
}

// watchdogScheduleMatches reports whether a described schedule already does what want says.
func watchdogScheduleMatches(have, want client.Schedule) bool {
	if have.Spec == nil || len(have.Spec.Intervals) != 1 || len(have.Spec.Calendars) != 0 || len(have.Spec.CronExpressions) != 0 {
		return false
	}
	if have.Spec.Intervals[0] != want.Spec.Intervals[0] {
		return false
	}
	a, ok := have.Action.(*client.ScheduleWorkflowAction)
	w := want.Action.(*client.ScheduleWorkflowAction)
	if !ok || a.Workflow != watchdogType || a.TaskQueue != w.TaskQueue || a.ID != w.ID || a.WorkflowExecutionTimeout != w.WorkflowExecutionTimeout {
		return false
	}
	return have.Policy != nil && have.Policy.Overlap == want.Policy.Overlap && have.Policy.CatchupWindow == want.Policy.CatchupWindow
}
