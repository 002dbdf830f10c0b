package models

import (
	"context"
	"time"

	"skillcert/domain"
)

// Kinds of watchdog findings.
const (
	FindingOverdueTask      = "overdue_task"      // an open task past its due time
	FindingSilentCase       = "silent_case"       // nothing business-relevant for days while waiting on a person
	FindingRetryingActivity = "retrying_activity" // a case workflow's activity (or workflow task) keeps failing
	FindingDrift            = "drift"             // the projection and the workflow disagree
	FindingNoNextStep       = "no_next_step"      // an open case with no open task that waits on nothing else
)

// CasesWithoutNextStep returns up to n open cases that have no open task although their stage
// waits on one (not domain.WaitsOutside), unchanged since before: nobody can move them on.
func (db *DB) CasesWithoutNextStep(ctx context.Context, before time.Time, n int) ([]Case, error) {
	var waiting []string
	for _, st := range domain.Stages {
		if domain.WaitsOutside(st) {
			waiting = append(waiting, st)
		}
	}
	var cs []Case
	noTask := db.Where("stage NOT IN ? AND NOT EXISTS (SELECT 1 FROM tasks WHERE tasks.case_id = cases.id AND tasks.status = ?)", waiting, TaskOpen)
	// Waiting for the publication of a batch that was published before the grace period:
	// nothing will ever publish it.
	passedBy := db.Where(`stage = ? AND EXISTS (SELECT 1 FROM campaigns WHERE campaigns.id = cases.campaign_id AND
		((cases.batch = 1 AND campaigns.batch1_published_at < ?) OR (cases.batch = 2 AND campaigns.batch2_published_at < ?)))`,
		domain.StageAwaitingPublication, before.UTC(), before.UTC())
	err := db.WithContext(ctx).
		Where("status = ? AND updated_at < ?", "open", before.UTC()).
		Where(noTask.Or(passedBy)).
		Order("updated_at, id").Limit(n).Find(&cs).Error
	return cs, err
}

// OverdueTasks returns up to n open tasks due before now, the longest overdue first.
func (db *DB) OverdueTasks(ctx context.Context, now time.Time, n int) ([]Task, error) {
	var ts []Task
	err := db.WithContext(ctx).Where("status = ? AND due_at < ?", TaskOpen, now.UTC()).
		Order("due_at, id").Limit(n).Find(&ts).Error
	return ts, err
}

// SilentCases returns up to n open cases whose last business event is before `before` while
// they wait on a person, i.e. have an open task, the longest silent first. Cases that wait on
// the calendar (the league summary, the publication of a batch) have no task of their own and
// are left out: their waits end at deadlines that the tasks of those processes carry.
func (db *DB) SilentCases(ctx context.Context, before time.Time, n int) ([]Case, error) {
	var cs []Case
	err := db.WithContext(ctx).
		Where("status = ? AND waiting_on <> '' AND last_event_at < ?", "open", before.UTC()).
		Where("EXISTS (SELECT 1 FROM tasks WHERE tasks.case_id = cases.id AND tasks.status = ?)", TaskOpen).
		Order("last_event_at, id").Limit(n).Find(&cs).Error
	return cs, err
}

// OpenCasesByActivity returns up to n open cases, the least recently active first.
func (db *DB) OpenCasesByActivity(ctx context.Context, n int) ([]Case, error) {
	var cs []Case
	err := db.WithContext(ctx).Where("status = ?", "open").Order("last_event_at, id").Limit(n).Find(&cs).Error
	return cs, err
}

// CasesByWorkflowID returns the cases of the given workflow IDs (open or not), by workflow ID.
func (db *DB) CasesByWorkflowID(ctx context.Context, workflowIDs []string) (map[string]Case, error) {
	out := make(map[string]Case, len(workflowIDs))
	for chunk := range inChunks(workflowIDs, 500) {
		var cs []Case
		if err := db.WithContext(ctx).Where("workflow_id IN ?", chunk).Find(&cs).Error; err != nil {
			return nil, err
		}
		for _, c := range cs {
			out[c.WorkflowID] = c
		}
	}
	return out, nil
}

// JurisdictionNames maps every jurisdiction code to its name.
func (db *DB) JurisdictionNames(ctx context.Context) (map[string]string, error) {
	js, err := db.Jurisdictions(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(js))
	for _, j := range js {
		m[j.Code] = j.Name
	}
	return m, nil
}

// FindingScope is a part of the problem space that a scan looked at completely: unresolved
// findings in it that the scan did not see again are resolved. A scan that could not look at
// everything (a bound was hit, a workflow could not be described) narrows its scopes so that
// it never resolves a finding it did not check.
type FindingScope struct {
	Kind string
	// KeyPrefix narrows the scope to keys with this prefix; empty means every key of the kind.
	KeyPrefix string
	// All: the scan covered every object of the kind.
	All bool
	// CaseIDs: the scan covered these cases.
	CaseIDs []string
	// ClosedCases: the scope also holds findings of cases that are no longer open (or gone):
	// a per-case problem ends with the case.
	ClosedCases bool
}

// RecordScan writes the findings of one scan made at `at` and resolves what it no longer
// sees, in one transaction. Each finding is upserted by FindingKey: first_seen stays, last_seen
// becomes `at`, a resolved finding that is seen again reopens; a zero Since keeps the stored
// one (or takes `at` for a new finding). Unresolved findings in a scope with last_seen before
// `at` get resolved_at = at. Running it again with the same `at` changes nothing, so a retried
// scan is harmless. It returns the number of findings resolved.
func (db *DB) RecordScan(ctx context.Context, at time.Time, findings []Finding, scopes []FindingScope) (int64, error) {
	// Truncated like the column (PostgreSQL keeps microseconds) so that a finding written now
	// compares equal to `at`, never earlier, when resolving.
	at = at.UTC().Truncate(time.Microsecond)
	var resolved int64
	err := db.Tx(ctx, func(tx *DB) error {
		for _, f := range findings {
			keepSince := f.Since.IsZero()
			since := f.Since.UTC()
			if keepSince {
				since = at
			}
			if f.ID == "" {
				f.ID = NewID()
			}
			// excluded.* is the row that would have been inserted; findings.* the stored one.
			if err := tx.Exec(`INSERT INTO findings
				(id, finding_key, kind, case_id, task_id, jurisdiction_code, detail, since, first_seen, last_seen, resolved_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)
				ON CONFLICT (finding_key) DO UPDATE SET
					kind = excluded.kind, case_id = excluded.case_id, task_id = excluded.task_id,
					jurisdiction_code = excluded.jurisdiction_code, detail = excluded.detail,
					since = CASE WHEN ? THEN findings.since ELSE excluded.since END,
					last_seen = CASE WHEN findings.last_seen > excluded.last_seen THEN findings.last_seen ELSE excluded.last_seen END,
					resolved_at = NULL`,
				f.ID, f.FindingKey, f.Kind, f.CaseID, f.TaskID, f.JurisdictionCode, f.Detail, since, at, at, keepSince).Error; err != nil {
				return err
			}
		}
		for _, s := range scopes {
			if !s.All && len(s.CaseIDs) == 0 && !s.ClosedCases {
				continue
			}
			q := tx.Model(&Finding{}).Where("resolved_at IS NULL AND kind = ? AND last_seen < ?", s.Kind, at)
			if s.KeyPrefix != "" {
				// substr, not LIKE: keys hold '_', a LIKE wildcard.
				q = q.Where("substr(finding_key, 1, ?) = ?", len(s.KeyPrefix), s.KeyPrefix)
			}
			if !s.All {
				closed := "NOT EXISTS (SELECT 1 FROM cases WHERE cases.id = findings.case_id AND cases.status = 'open')"
				switch {
				case len(s.CaseIDs) > 0 && s.ClosedCases:
					q = q.Where("(case_id IN ? OR "+closed+")", s.CaseIDs)
				case len(s.CaseIDs) > 0:
					q = q.Where("case_id IN ?", s.CaseIDs)
				default:
					q = q.Where(closed)
				}
			}
			res := q.Update("resolved_at", at)
			if res.Error != nil {
				return res.Error
			}
			resolved += res.RowsAffected
		}
		return nil
	})
	return resolved, err
}

// FindingByKey returns one finding, resolved or not.
func (db *DB) FindingByKey(ctx context.Context, key string) (Finding, error) {
	var f Finding
	err := db.WithContext(ctx).First(&f, "finding_key = ?", key).Error
	return f, notFound(err)
}

// inChunks yields s in pieces of at most n, to keep IN lists within every driver's limits.
func inChunks(s []string, n int) func(yield func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}
