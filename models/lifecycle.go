package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"skillcert/domain"
)

// Task statuses.
const (
	TaskOpen      = "open"
	TaskDone      = "done"
	TaskCancelled = "cancelled"
)

// SLA states of tasks and cases.
const (
	SLAOnTime  = "on_time"
	SLADueSoon = "due_soon"
	SLAOverdue = "overdue"
)

// Campaign is the projection of one pilot year's calendar.
type Campaign struct {
	ID                 string     `gorm:"primaryKey" json:"id"`
	Year               int        `json:"year"`
	CollectionDeadline time.Time  `json:"collection_deadline"`
	PublicationTarget  time.Time  `json:"publication_target"`
	Status             string     `json:"status"`
	Batch1PublishedAt  *time.Time `json:"batch1_published_at,omitempty"`
	Batch2PublishedAt  *time.Time `json:"batch2_published_at,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// LeagueCollection is one league/city's collection in a campaign.
type LeagueCollection struct {
	ID               string     `gorm:"primaryKey" json:"id"`
	CampaignID       string     `json:"campaign_id"`
	JurisdictionCode string     `json:"jurisdiction_code"`
	Status           string     `json:"status"`
	SubmittedAt      *time.Time `json:"submitted_at,omitempty"`
	SubmittedBy      string     `json:"submitted_by,omitempty"`
	ContactName      string     `json:"contact_name"`
	ContactPhone     string     `json:"contact_phone"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// Case is the projection of one enterprise case.
type Case struct {
	ID                 string     `gorm:"primaryKey" json:"id"`
	WorkflowID         string     `json:"workflow_id"`
	CampaignID         string     `json:"campaign_id"`
	EnterpriseID       string     `json:"enterprise_id"`
	EnterpriseName     string     `json:"enterprise_name"`
	ApplicationID      string     `json:"application_id"`
	ApplicationVersion int        `json:"application_version"`
	JurisdictionCode   string     `json:"jurisdiction_code"`
	LeagueCode         string     `json:"league_code"`
	Stage              string     `json:"stage"`
	Status             string     `json:"status"`
	Outcome            string     `json:"outcome"`
	Batch              int        `json:"batch"`
	ApprovedJSON       string     `json:"approved_json,omitempty"`
	PanelJSON          string     `json:"panel_json,omitempty"`
	WaitingOn          string     `json:"waiting_on"`
	NextDeadline       *time.Time `json:"next_deadline,omitempty"`
	SLAState           string     `json:"sla_state"`
	LastEventAt        time.Time  `json:"last_event_at"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// Task is a human task in an inbox.
type Task struct {
	ID               string     `gorm:"primaryKey" json:"id"`
	WorkflowID       string     `json:"workflow_id"`
	CaseID           string     `json:"case_id"`
	Kind             string     `json:"kind"`
	Title            string     `json:"title"`
	Stage            string     `json:"stage"`
	CandidateRole    string     `json:"candidate_role"`
	CandidateDomain  string     `json:"candidate_domain"`
	JurisdictionCode string     `json:"jurisdiction_code"`
	LeagueCode       string     `json:"league_code"`
	EnterpriseName   string     `json:"enterprise_name"`
	CampaignID       string     `json:"campaign_id"`
	Batch            int        `json:"batch"`
	AssigneeID       string     `json:"assignee_id"`
	Status           string     `json:"status"`
	SLAState         string     `json:"sla_state"`
	DueAt            time.Time  `json:"due_at"`
	Escalated        int        `json:"escalated"`
	Outcome          string     `json:"outcome"`
	Reasons          string     `json:"reasons"`
	DecidedBy        string     `json:"decided_by"`
	DecidedAt        *time.Time `json:"decided_at,omitempty"`
	RequestKey       string     `json:"-"`
	Version          int        `json:"version"`
	CreatedAt        time.Time  `json:"created_at"`
	UpdatedAt        time.Time  `json:"updated_at"`
}

// CaseEvent is one row of a case's timeline.
type CaseEvent struct {
	ID         string    `gorm:"primaryKey" json:"id"`
	CaseID     string    `json:"case_id"`
	At         time.Time `json:"at"`
	Kind       string    `json:"kind"`
	Stage      string    `json:"stage"`
	ActorID    string    `json:"actor_id,omitempty"`
	ActorName  string    `json:"actor_name,omitempty"`
	ActorRole  string    `json:"actor_role,omitempty"`
	Summary    string    `json:"summary"`
	DetailJSON string    `json:"detail_json,omitempty"`
	Public     bool      `json:"public"`
}

// Notification is an outbox row: one message to one user.
type Notification struct {
	ID        string     `gorm:"primaryKey" json:"id"`
	DedupeKey string     `json:"-"`
	UserID    string     `json:"user_id"`
	CaseID    string     `json:"case_id,omitempty"`
	Kind      string     `json:"kind"`
	Subject   string     `json:"subject"`
	Body      string     `json:"body"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
	// ReadAt is when the recipient marked the notification read in the app (nil: unread).
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// DirectoryEntry is a published pilot enterprise.
type DirectoryEntry struct {
	CaseID           string    `gorm:"primaryKey" json:"case_id"`
	CampaignID       string    `json:"campaign_id"`
	EnterpriseID     string    `json:"enterprise_id"`
	Batch            int       `json:"batch"`
	EnterpriseName   string    `json:"enterprise_name"`
	Address          string    `json:"address"`
	ContactName      string    `json:"contact_name"`
	ContactPhone     string    `json:"contact_phone"`
	JurisdictionCode string    `json:"jurisdiction_code"`
	OccupationsJSON  string    `json:"occupations_json"`
	Status           string    `json:"status"`
	PublishedAt      time.Time `json:"published_at"`
	UpdatedAt        time.Time `json:"updated_at"`
}

// Complaint is a complaint about a pilot enterprise.
type Complaint struct {
	ID               string `gorm:"primaryKey" json:"id"`
	EnterpriseID     string `json:"enterprise_id"`
	CaseID           string `json:"case_id"`
	JurisdictionCode string `json:"jurisdiction_code"`
	Anonymous        bool   `json:"anonymous"`
	Complainant      string `json:"complainant,omitempty"`
	Contact          string `json:"contact,omitempty"`
	Content          string `json:"content"`
	Status           string `json:"status"`
	Outcome          string `json:"outcome"`
	// ReceiptCode is the short receipt code (8 characters, domain.ReceiptAlphabet) the
	// complainant follows the complaint with; ReceiptPin the 4-digit second factor given on the
	// receipt when the contact has no 4 digits (empty otherwise).
	ReceiptCode string    `json:"receipt_code"`
	ReceiptPin  string    `json:"-"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Finding is a stalled-case finding of the watchdog.
type Finding struct {
	ID               string     `gorm:"primaryKey" json:"id"`
	FindingKey       string     `json:"key"`
	Kind             string     `json:"kind"`
	CaseID           string     `json:"case_id"`
	TaskID           string     `json:"task_id"`
	JurisdictionCode string     `json:"jurisdiction_code"`
	Detail           string     `json:"detail"`
	Since            time.Time  `json:"since"`
	FirstSeen        time.Time  `json:"first_seen"`
	LastSeen         time.Time  `json:"last_seen"`
	ResolvedAt       *time.Time `json:"resolved_at,omitempty"`
}

// Expert is an evaluation expert's pool entry (评估专家库), kept by the region's appraisal
// centre. Only active entries of active expert accounts are drawn (ExpertPool).
type Expert struct {
	UserID string `gorm:"primaryKey" json:"user_id"`
	// Employer recuses the expert from the panels of the enterprise of that name.
	Employer string `json:"employer"`
	// Field is the expert's field of expertise (the speciality column of the first schema).
	Field string `gorm:"column:speciality" json:"field"`
	// Occupations are the occupation codes the expert evaluates, comma-separated.
	Occupations string     `json:"occupations"`
	Conflicts   string     `json:"conflicts"`
	Active      bool       `json:"active"`
	UpdatedAt   *time.Time `json:"updated_at,omitempty"`
}

// Transition is one atomic change of the projection made by a workflow step. It is plain data
// (an activity input), written in one transaction, and applied at most once per Key.
type Transition struct {
	Key         string
	At          time.Time
	Case        *Case
	Campaign    *Campaign
	League      *LeagueCollection
	CloseTasks  []TaskClose
	OpenTasks   []Task
	UpdateTasks []TaskUpdate
	Events      []CaseEvent
	Audit       []AuditEntry
	Notify      []NotifyRequest
	Directory   []DirectoryEntry
	// DirectoryStatus changes the status of existing entries (case ID → status).
	DirectoryStatus map[string]string
	Complaint       *Complaint
	// UpdateLeagues changes league collections' status (e.g. to overdue at the deadline).
	UpdateLeagues []LeagueStatus
	// Application moves the application's status along with the case.
	Application *ApplicationChange
	// Session upserts an assessment session; Candidates change its candidates.
	Session    *AssessmentSession
	Candidates []CandidateUpdate
	// Objections change objections raised in a sitting's publicity.
	Objections []ObjectionChange
}

// ApplicationChange is the application status that goes with a case transition: returned
// (with the reviewer's reasons per field), accepted, rejected or withdrawn.
type ApplicationChange struct {
	ID      string
	Version int
	Status  string
	Reasons []ReturnReason
	By      string
}

// LeagueStatus sets a league collection's status, only from OnlyIf when that is set.
type LeagueStatus struct {
	ID, Status, OnlyIf string
}

// TaskClose closes an open task.
type TaskClose struct {
	ID        string
	Status    string // done | cancelled
	Outcome   string
	Reasons   string
	DecidedBy string
	// RequestKey is the key of the decision request, so a repeat of it can be recognised.
	RequestKey string
}

// TaskUpdate changes an open task's routing or SLA (escalation, reminder).
type TaskUpdate struct {
	ID              string
	CandidateRole   string // empty: unchanged
	CandidateDomain string
	SLAState        string
	Escalate        bool
	DueAt           *time.Time // moved deadline
}

// NotifyRequest asks for a message to the users holding Role in Domain (a jurisdiction code or
// an enterprise node), or to one user.
type NotifyRequest struct {
	UserID  string
	Role    string
	Domain  string
	CaseID  string
	Kind    string
	Subject string
	Body    string
}

// ApplyTransition writes a transition in one transaction. A key already applied is a no-op, so
// activity retries and workflow replays never write twice. It reports whether it wrote.
func (db *DB) ApplyTransition(ctx context.Context, tr Transition) (bool, error) {
	if tr.Key == "" {
		return false, errors.New("transition without key")
	}
	at := tr.At.UTC()
	if at.IsZero() {
		at = time.Now().UTC()
	}
	applied := false
	err := db.Tx(ctx, func(tx *DB) error {
		res := tx.Exec("INSERT INTO transitions (transition_key, applied_at) VALUES (?, ?) ON CONFLICT DO NOTHING", tr.Key, at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return nil // applied before
		}
		applied = true
		if tr.Campaign != nil {
			c := *tr.Campaign
			c.UpdatedAt = at
			if c.CreatedAt.IsZero() {
				c.CreatedAt = at
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"collection_deadline", "publication_target", "status", "batch1_published_at", "batch2_published_at", "updated_at"})}).Create(&c).Error; err != nil {
				return fmt.Errorf("campaign: %w", err)
			}
		}
		if tr.League != nil {
			l := *tr.League
			l.UpdatedAt = at
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"status", "submitted_at", "submitted_by", "contact_name", "contact_phone", "updated_at"})}).Create(&l).Error; err != nil {
				return fmt.Errorf("league collection: %w", err)
			}
		}
		for _, l := range tr.UpdateLeagues {
			q := tx.Model(&LeagueCollection{}).Where("id = ?", l.ID)
			if l.OnlyIf != "" {
				q = q.Where("status = ?", l.OnlyIf)
			}
			if err := q.Updates(map[string]any{"status": l.Status, "updated_at": at}).Error; err != nil {
				return fmt.Errorf("league status: %w", err)
			}
		}
		if tr.Case != nil {
			c := *tr.Case
			c.UpdatedAt, c.LastEventAt = at, at
			if c.CreatedAt.IsZero() {
				c.CreatedAt = at
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"application_version", "stage", "status", "outcome", "batch", "approved_json", "panel_json", "waiting_on",
					"next_deadline", "sla_state", "last_event_at", "updated_at"})}).Create(&c).Error; err != nil {
				return fmt.Errorf("case: %w", err)
			}
		}
		for _, t := range tr.CloseTasks {
			if err := tx.Model(&Task{}).Where("id = ? AND status = ?", t.ID, TaskOpen).Updates(map[string]any{
				"status": t.Status, "outcome": t.Outcome, "reasons": t.Reasons, "decided_by": t.DecidedBy, "request_key": t.RequestKey,
				"decided_at": at, "updated_at": at, "version": gorm.Expr("version + 1"),
			}).Error; err != nil {
				return fmt.Errorf("close task: %w", err)
			}
		}
		for _, u := range tr.UpdateTasks {
			set := map[string]any{"updated_at": at, "version": gorm.Expr("version + 1")}
			if u.CandidateRole != "" {
				set["candidate_role"] = u.CandidateRole
			}
			if u.CandidateDomain != "" {
				set["candidate_domain"] = u.CandidateDomain
				set["assignee_id"] = "" // a task moved up a level goes back to the unit's queue
			}
			if u.SLAState != "" {
				set["sla_state"] = u.SLAState
			}
			if u.Escalate {
				set["escalated"] = gorm.Expr("escalated + 1")
			}
			if u.DueAt != nil {
				set["due_at"] = u.DueAt.UTC()
			}
			if err := tx.Model(&Task{}).Where("id = ? AND status = ?", u.ID, TaskOpen).Updates(set).Error; err != nil {
				return fmt.Errorf("update task: %w", err)
			}
		}
		for _, t := range tr.OpenTasks {
			t.Status, t.CreatedAt, t.UpdatedAt, t.Version = TaskOpen, at, at, 1
			if t.SLAState == "" {
				t.SLAState = SLAOnTime
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&t).Error; err != nil {
				return fmt.Errorf("open task: %w", err)
			}
		}
		for i, e := range tr.Events {
			if e.ID == "" {
				e.ID = NewID()
			}
			if e.At.IsZero() {
				e.At = at.Add(time.Duration(i) * time.Microsecond)
			}
			if err := tx.Create(&e).Error; err != nil {
				return fmt.Errorf("event: %w", err)
			}
		}
		for _, d := range tr.Directory {
			d.UpdatedAt = at
			if d.PublishedAt.IsZero() {
				d.PublishedAt = at
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"batch", "occupations_json", "status", "updated_at"})}).Create(&d).Error; err != nil {
				return fmt.Errorf("directory: %w", err)
			}
		}
		for caseID, st := range tr.DirectoryStatus {
			if err := tx.Model(&DirectoryEntry{}).Where("case_id = ?", caseID).Updates(map[string]any{"status": st, "updated_at": at}).Error; err != nil {
				return fmt.Errorf("directory status: %w", err)
			}
		}
		if tr.Complaint != nil {
			c := *tr.Complaint
			c.UpdatedAt = at
			if c.CreatedAt.IsZero() {
				c.CreatedAt = at
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"case_id", "status", "outcome", "updated_at"})}).Create(&c).Error; err != nil {
				return fmt.Errorf("complaint: %w", err)
			}
		}
		for i, n := range tr.Notify {
			users, err := tx.recipients(ctx, n)
			if err != nil {
				return err
			}
			for _, uid := range users {
				row := Notification{ID: NewID(), DedupeKey: tr.Key + "/" + strconv.Itoa(i) + "/" + uid, UserID: uid, CaseID: n.CaseID,
					Kind: n.Kind, Subject: n.Subject, Body: n.Body, Status: "pending", CreatedAt: at}
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
					return fmt.Errorf("notification: %w", err)
				}
			}
		}
		if tr.Session != nil {
			ss := *tr.Session
			ss.UpdatedAt = at
			if ss.CreatedAt.IsZero() {
				ss.CreatedAt = at
			}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "id"}}, DoUpdates: clause.AssignmentColumns(
				[]string{"status", "publicity_starts_at", "publicity_ends_at", "updated_at"})}).Create(&ss).Error; err != nil {
				return fmt.Errorf("session: %w", err)
			}
		}
		for _, oc := range tr.Objections {
			set := map[string]any{"status": oc.Status, "updated_at": at}
			if oc.TaskID != "" {
				set["task_id"] = oc.TaskID
			}
			if oc.Reason != "" {
				set["decision_reason"], set["decided_by"] = oc.Reason, oc.DecidedBy
			}
			if err := tx.Model(&ResultObjection{}).Where("id = ?", oc.ID).Updates(set).Error; err != nil {
				return fmt.Errorf("objection: %w", err)
			}
		}
		for _, cu := range tr.Candidates {
			set := map[string]any{"updated_at": at}
			if cu.AuditStatus != "" {
				set["audit_status"], set["audit_reason"] = cu.AuditStatus, cu.AuditReason
			}
			if cu.CertificateNumber != "" {
				set["certificate_number"] = cu.CertificateNumber
			}
			if err := tx.Model(&SessionCandidate{}).Where("id = ?", cu.ID).Updates(set).Error; err != nil {
				return fmt.Errorf("candidate: %w", err)
			}
		}
		if ch := tr.Application; ch != nil {
			var err error
			if ch.Status == ApplicationReturned {
				err = tx.RecordReturn(ctx, ch.ID, ch.Version, ch.Reasons, ch.By, at)
			} else {
				err = tx.MarkApplicationStatus(ctx, ch.ID, ch.Status, at)
			}
			// The case is the source of truth: an application row that is missing or already
			// elsewhere must not block the case, so only other errors fail the transition.
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrConflict) {
				return fmt.Errorf("application status: %w", err)
			}
		}
		for _, a := range tr.Audit {
			a.At = at
			if err := tx.AppendAudit(ctx, &a); err != nil {
				return err
			}
		}
		return nil
	})
	return applied, err
}

// recipients resolves a notification request to active user IDs.
func (db *DB) recipients(ctx context.Context, n NotifyRequest) ([]string, error) {
	if n.UserID != "" {
		return []string{n.UserID}, nil
	}
	q := db.WithContext(ctx).Model(&User{}).Where("active = ? AND role = ?", true, n.Role)
	if _, e := domain.SplitDomain(n.Domain); e != "" {
		q = q.Where("enterprise_id = ?", e)
	} else {
		q = q.Where("jurisdiction_code = ?", n.Domain)
	}
	var ids []string
	err := q.Order("id").Pluck("id", &ids).Error
	return ids, err
}
