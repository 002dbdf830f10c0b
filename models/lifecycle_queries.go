package models

import (
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"skillcert/domain"
)

// TaskByID returns one task.
func (db *DB) TaskByID(ctx context.Context, id string) (Task, error) {
	var t Task
	err := db.WithContext(ctx).First(&t, "id = ?", id).Error
	return t, notFound(err)
}

// Inbox views.
const (
	ViewMine = "mine" // claimed by me
	ViewUnit = "unit" // open in my unit, not claimed
	ViewAll  = "all"  // every open task in my jurisdiction subtree
)

// InboxFilter selects tasks for an inbox; Scope is always applied.
type InboxFilter struct {
	View string
	// Role and Domain of the caller: the unit's queue is tasks for this role in this exact domain.
	Role, Domain, UserID string
	// Jurisdictions is the caller's subtree, for the "all" view.
	Jurisdictions []string
	// ScopeLevel is the level of the caller's jurisdiction (Domain): with it the "all" view
	// filters on one indexed column (the league or the county) instead of the subtree's list.
	ScopeLevel                             string
	Kind, Stage, League, Jurisdiction, SLA string
	Batch                                  int
	DueBefore                              *time.Time
	Status                                 string // default open
	Desc                                   bool
	Limit, Offset                          int
}

// inboxQuery builds an inbox view's query; each view has an index that starts with its
// equality columns and ends with due_at, so the first page is read in order without sorting.
func (db *DB) inboxQuery(ctx context.Context, f InboxFilter) *gorm.DB {
	status := f.Status
	if status == "" {
		status = TaskOpen
	}
	cond, args := inboxViewCondition(f)
	q := db.WithContext(ctx).Model(&Task{}).Where("status = ?", status).Where(cond, args...)
	if f.Kind != "" {
		q = q.Where("kind = ?", f.Kind)
	}
	if f.Stage != "" {
		q = q.Where("stage = ?", f.Stage)
	}
	if f.League != "" {
		q = q.Where("league_code = ?", f.League)
	}
	if f.Jurisdiction != "" {
		q = q.Where("jurisdiction_code = ?", f.Jurisdiction)
	}
	if f.SLA != "" {
		q = q.Where("sla_state = ?", f.SLA)
	}
	if f.Batch != 0 {
		q = q.Where("batch = ?", f.Batch)
	}
	if f.DueBefore != nil {
		q = q.Where("due_at < ?", f.DueBefore.UTC())
	}
	return q
}

// InboxPage returns one page of an inbox and whether more follow, in a single indexed query.
func (db *DB) InboxPage(ctx context.Context, f InboxFilter) ([]Task, bool, error) {
	order := "due_at, id"
	if f.Desc {
		order = "due_at DESC, id DESC"
	}
	limit := clampLimit(f.Limit)
	var ts []Task
	if err := db.inboxQuery(ctx, f).Order(order).Limit(limit + 1).Offset(f.Offset).Find(&ts).Error; err != nil {
		return nil, false, err
	}
	if len(ts) > limit {
		return ts[:limit], true, nil
	}
	return ts, false, nil
}

// InboxCount counts an inbox's tasks (a second query, for pages that show a total).
func (db *DB) InboxCount(ctx context.Context, f InboxFilter) (int64, error) {
	var n int64
	err := db.inboxQuery(ctx, f).Count(&n).Error
	return n, err
}

// Inbox returns a page and the total.
func (db *DB) Inbox(ctx context.Context, f InboxFilter) ([]Task, int64, error) {
	ts, _, err := db.InboxPage(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	n, err := db.InboxCount(ctx, f)
	return ts, n, err
}

// ClaimTask assigns an open, unclaimed task to user, checking the version the caller saw.
func (db *DB) ClaimTask(ctx context.Context, id, userID string, version int) (Task, error) {
	return db.updateTaskVersioned(ctx, id, version, map[string]any{"assignee_id": userID}, "assignee_id = ''")
}

// UnclaimTask returns a task claimed by user to the unit's queue.
func (db *DB) UnclaimTask(ctx context.Context, id, userID string, version int) (Task, error) {
	return db.updateTaskVersioned(ctx, id, version, map[string]any{"assignee_id": ""}, "assignee_id = ?", userID)
}

// ReassignTask gives an open task to another user (or to the queue with an empty assignee).
func (db *DB) ReassignTask(ctx context.Context, id, assignee string, version int) (Task, error) {
	return db.updateTaskVersioned(ctx, id, version, map[string]any{"assignee_id": assignee}, "")
}

func (db *DB) updateTaskVersioned(ctx context.Context, id string, version int, set map[string]any, cond string, args ...any) (Task, error) {
	set["version"] = gorm.Expr("version + 1")
	set["updated_at"] = time.Now().UTC()
	q := db.WithContext(ctx).Model(&Task{}).Where("id = ? AND status = ? AND version = ?", id, TaskOpen, version)
	if cond != "" {
		q = q.Where(cond, args...)
	}
	res := q.Updates(set)
	if res.Error != nil {
		return Task{}, res.Error
	}
	if res.RowsAffected == 0 {
		if _, err := db.TaskByID(ctx, id); err != nil {
			return Task{}, err
		}
		return Task{}, ErrConflict
	}
	return db.TaskByID(ctx, id)
}

// CaseByID returns one case.
func (db *DB) CaseByID(ctx context.Context, id string) (Case, error) {
	var c Case
	err := db.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// CaseByApplication returns the case of an application.
func (db *DB) CaseByApplication(ctx context.Context, applicationID string) (Case, error) {
	var c Case
	err := db.WithContext(ctx).First(&c, "application_id = ?", applicationID).Error
	return c, notFound(err)
}

// CaseFilter selects cases; Jurisdictions (the caller's subtree) or EnterpriseID always applies.
type CaseFilter struct {
	Jurisdictions     []string
	EnterpriseID      string
	CampaignID, Stage string
	League, Status    string
	Batch             int
	Limit, Offset     int
}

// Cases lists cases in scope, most recently active first.
func (db *DB) Cases(ctx context.Context, f CaseFilter) ([]Case, int64, error) {
	q := db.WithContext(ctx).Model(&Case{})
	if f.EnterpriseID != "" {
		q = q.Where("enterprise_id = ?", f.EnterpriseID)
	} else {
		q = q.Where("jurisdiction_code IN ?", f.Jurisdictions)
	}
	for col, v := range map[string]string{"campaign_id": f.CampaignID, "stage": f.Stage, "league_code": f.League, "status": f.Status} {
		if v != "" {
			q = q.Where(col+" = ?", v)
		}
	}
	if f.Batch != 0 {
		q = q.Where("batch = ?", f.Batch)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var cs []Case
	err := q.Order("last_event_at DESC, id").Limit(clampLimit(f.Limit)).Offset(f.Offset).Find(&cs).Error
	return cs, total, err
}

// CaseEvents returns a case's timeline, oldest first; publicOnly hides internal rows.
func (db *DB) CaseEvents(ctx context.Context, caseID string, publicOnly bool) ([]CaseEvent, error) {
	q := db.WithContext(ctx).Where("case_id = ?", caseID)
	if publicOnly {
		q = q.Where("public = ?", true)
	}
	var es []CaseEvent
	err := q.Order("at, id").Find(&es).Error
	return es, err
}

// OpenTasksOfCase returns a case's open tasks.
func (db *DB) OpenTasksOfCase(ctx context.Context, caseID string) ([]Task, error) {
	var ts []Task
	err := db.WithContext(ctx).Where("case_id = ? AND status = ?", caseID, TaskOpen).Order("due_at").Find(&ts).Error
	return ts, err
}

// HoldsOpenTaskOnApplication reports whether user holds an open task on a case of the
// application (an expert whose panel is scoring it).
func (db *DB) HoldsOpenTaskOnApplication(ctx context.Context, userID, applicationID string) (bool, error) {
	return db.holdsOpenTaskOnCases(ctx, userID, db.Model(&Case{}).Select("id").Where("application_id = ?", applicationID))
}

// HoldsOpenTaskOnEnterprise reports whether user holds an open task on a case of the
// enterprise.
func (db *DB) HoldsOpenTaskOnEnterprise(ctx context.Context, userID, enterpriseID string) (bool, error) {
	return db.holdsOpenTaskOnCases(ctx, userID, db.Model(&Case{}).Select("id").Where("enterprise_id = ?", enterpriseID))
}

// holdsOpenTaskOnCases reports whether user holds an open task on one of the cases the
// subquery selects.
func (db *DB) holdsOpenTaskOnCases(ctx context.Context, userID string, cases *gorm.DB) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Task{}).Where("assignee_id = ? AND status = ? AND case_id IN (?)", userID, TaskOpen, cases).
		Count(&n).Error
	return n > 0, err
}

// CampaignByID returns one campaign.
func (db *DB) CampaignByID(ctx context.Context, id string) (Campaign, error) {
	var c Campaign
	err := db.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// LatestCampaign returns the newest campaign.
func (db *DB) LatestCampaign(ctx context.Context) (Campaign, error) {
	var c Campaign
	err := db.WithContext(ctx).Order("year DESC").First(&c).Error
	return c, notFound(err)
}

// LeagueCollections returns a campaign's league collections.
func (db *DB) LeagueCollections(ctx context.Context, campaignID string) ([]LeagueCollection, error) {
	var ls []LeagueCollection
	err := db.WithContext(ctx).Where("campaign_id = ?", campaignID).Order("jurisdiction_code").Find(&ls).Error
	return ls, err
}

// LeagueCollectionOf returns one league's collection in a campaign.
func (db *DB) LeagueCollectionOf(ctx context.Context, campaignID, league string) (LeagueCollection, error) {
	var l LeagueCollection
	err := db.WithContext(ctx).First(&l, "campaign_id = ? AND jurisdiction_code = ?", campaignID, league).Error
	return l, notFound(err)
}

// CasesAwaitingPublication lists the workflow IDs of a campaign's cases selected for a batch.
func (db *DB) CasesAwaitingPublication(ctx context.Context, campaignID string, batch int) ([]string, error) {
	var ids []string
	err := db.WithContext(ctx).Model(&Case{}).Where("campaign_id = ? AND batch = ? AND stage = ?", campaignID, batch, "awaiting_publication").
		Order("id").Pluck("workflow_id", &ids).Error
	return ids, err
}

// Directory lists published entries of a campaign (all campaigns when empty), by batch then name.
func (db *DB) Directory(ctx context.Context, campaignID string, batch int, includeInactive bool) ([]DirectoryEntry, error) {
	q := db.WithContext(ctx).Model(&DirectoryEntry{})
	if campaignID != "" {
		q = q.Where("campaign_id = ?", campaignID)
	}
	if batch != 0 {
		q = q.Where("batch = ?", batch)
	}
	if !includeInactive {
		q = q.Where("status = ?", "active")
	}
	var ds []DirectoryEntry
	err := q.Order("batch, enterprise_name").Find(&ds).Error
	return ds, err
}

// NotificationsFor lists a user's notifications, newest first.
func (db *DB) NotificationsFor(ctx context.Context, userID string, limit int) ([]Notification, error) {
	var ns []Notification
	err := db.WithContext(ctx).Where("user_id = ?", userID).Order("created_at DESC, id").Limit(clampLimit(limit)).Find(&ns).Error
	return ns, err
}

// UnreadNotifications counts a user's notifications not yet marked read (the header's bell).
func (db *DB) UnreadNotifications(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID).Count(&n).Error
	return n, err
}

// MarkNotificationsRead marks a user's unread notifications read at now: the one with id, or
// all of them when id is empty. Another user's rows are never touched. It returns how many
// rows changed.
func (db *DB) MarkNotificationsRead(ctx context.Context, userID, id string, now time.Time) (int64, error) {
	q := db.WithContext(ctx).Model(&Notification{}).Where("user_id = ? AND read_at IS NULL", userID)
	if id != "" {
		q = q.Where("id = ?", id)
	}
	res := q.Update("read_at", now.UTC())
	return res.RowsAffected, res.Error
}

// ExpertPool returns the experts who may be drawn: active entries whose account is active and
// still an expert's, in user ID order (the order a recorded draw re-runs in).
func (db *DB) ExpertPool(ctx context.Context) ([]Expert, error) {
	var es []Expert
	err := db.WithContext(ctx).Model(&Expert{}).Select("experts.*").
		Joins("JOIN users ON users.id = experts.user_id").
		Where("experts.active = ? AND users.active = ? AND users.role = ?", true, true, RoleExpert).
		Order("experts.user_id").Find(&es).Error
	return es, err
}

// EnsureExperts adds every expert-role user missing from the pool (demo and first start).
func (db *DB) EnsureExperts(ctx context.Context) error {
	return db.WithContext(ctx).Exec(`INSERT INTO experts (user_id, employer, speciality, conflicts, active)
		SELECT id, '', '', '', ? FROM users WHERE role = ? AND id NOT IN (SELECT user_id FROM experts)`, true, RoleExpert).Error
}

// CreateComplaint stores a complaint as filed (before its workflow starts).
func (db *DB) CreateComplaint(ctx context.Context, c *Complaint) error {
	return db.WithContext(ctx).Create(c).Error
}

// ComplaintByReceipt finds a complaint by its receipt code (ErrNotFound when none).
func (db *DB) ComplaintByReceipt(ctx context.Context, code string) (Complaint, error) {
	var c Complaint
	err := db.WithContext(ctx).Where("receipt_code = ?", code).Take(&c).Error
	return c, notFound(err)
}

// ReceiptCodeTaken tells whether a complaint already holds the receipt code.
func (db *DB) ReceiptCodeTaken(ctx context.Context, code string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&Complaint{}).Where("receipt_code = ?", code).Count(&n).Error
	return n > 0, err
}

// WorkflowTasks lists the tasks a workflow opened, oldest first.
func (db *DB) WorkflowTasks(ctx context.Context, workflowID string) ([]Task, error) {
	var ts []Task
	err := db.WithContext(ctx).Where("workflow_id = ?", workflowID).Order("created_at").Find(&ts).Error
	return ts, err
}

// Complaints lists complaints in the jurisdictions, newest first.
func (db *DB) Complaints(ctx context.Context, jurisdictions []string) ([]Complaint, error) {
	var cs []Complaint
	err := db.WithContext(ctx).Where("jurisdiction_code IN ?", jurisdictions).Order("created_at DESC").Limit(200).Find(&cs).Error
	return cs, err
}

// OpenFindings lists unresolved findings in the jurisdictions (plus those without one), oldest problem first.
func (db *DB) OpenFindings(ctx context.Context, jurisdictions []string) ([]Finding, error) {
	var fs []Finding
	err := db.WithContext(ctx).Where("resolved_at IS NULL AND (jurisdiction_code IN ? OR jurisdiction_code = '')", jurisdictions).
		Order("since").Limit(500).Find(&fs).Error
	return fs, err
}

// InboxTally is what one inbox view holds: every open task, those overdue, and those due
// before a cut-off (overdue ones included, as the inbox's due_before filter counts them).
type InboxTally struct {
	View           string
	Total, Overdue int64
	DueBefore      int64
}

// InboxTallies counts the views' open tasks, overdue tasks and tasks due before dueBefore in
// one query (one conditional count per view and figure), for the home page. Each view is
// selected as inboxQuery selects it, so the counts equal what the inbox shows.
func (db *DB) InboxTallies(ctx context.Context, f InboxFilter, views []string, dueBefore time.Time) ([]InboxTally, error) {
	if len(views) == 0 {
		return nil, nil
	}
	var cols []string
	var args []any
	for i, v := range views {
		vf := f
		vf.View = v
		cond, cargs := inboxViewCondition(vf)
		cols = append(cols,
			fmt.Sprintf("COUNT(CASE WHEN %s THEN 1 END) AS t%d", cond, i),
			fmt.Sprintf("COUNT(CASE WHEN (%s) AND sla_state = ? THEN 1 END) AS o%d", cond, i),
			fmt.Sprintf("COUNT(CASE WHEN (%s) AND due_at < ? THEN 1 END) AS d%d", cond, i))
		args = append(args, cargs...)
		args = append(args, cargs...)
		args = append(args, SLAOverdue)
		args = append(args, cargs...)
		args = append(args, dueBefore.UTC())
	}
	status := f.Status
	if status == "" {
		status = TaskOpen
	}
	args = append(args, status)
	rows, err := db.WithContext(ctx).Raw("SELECT "+strings.Join(cols, ", ")+" FROM tasks WHERE status = ?", args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	vals := make([]int64, 3*len(views))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]InboxTally, len(views))
	for i, v := range views {
		out[i] = InboxTally{View: v, Total: vals[3*i], Overdue: vals[3*i+1], DueBefore: vals[3*i+2]}
	}
	return out, nil
}

// inboxViewCondition is the SQL condition that selects an inbox view's tasks (beside the
// status), with its arguments.
func inboxViewCondition(f InboxFilter) (string, []any) {
	switch f.View {
	case ViewMine:
		return "assignee_id = ?", []any{f.UserID}
	case ViewUnit:
		return "candidate_role = ? AND candidate_domain = ? AND assignee_id = ''", []any{f.Role, f.Domain}
	}
	switch {
	case domain.IsEnterpriseDomain(f.Domain):
		return "candidate_domain = ?", []any{f.Domain}
	case f.ScopeLevel == LevelRegion:
		return "1 = 1", nil
	case f.ScopeLevel == LevelLeague:
		return "league_code = ?", []any{f.Domain}
	case f.ScopeLevel == LevelCounty:
		return "jurisdiction_code = ?", []any{f.Domain}
	case len(f.Jurisdictions) == 0:
		return "1 = 0", nil
	default:
		return "jurisdiction_code IN ?", []any{f.Jurisdictions}
	}
}
