package models

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"skillcert/domain"
)

// DrawSession is a candidate session of a supervision draw.
type DrawSession struct {
	ID             string `json:"id"`
	EnterpriseID   string `json:"enterprise_id"`
	EnterpriseName string `json:"enterprise_name"`
}

// DrawSupervisor is a candidate supervisor with what rules them out for a session.
type DrawSupervisor struct {
	UserID    string   `json:"user_id"`
	Employer  string   `json:"employer"`
	Conflicts []string `json:"conflicts"` // enterprise IDs with a declared relation
}

// DrawAssignment is a drawn session and its drawn supervisors.
type DrawAssignment struct {
	SessionID   string   `json:"session_id"`
	Supervisors []string `json:"supervisors"`
	// Eligible are the supervisors left for the session after conflicts were excluded, before
	// the draw.
	Eligible []string `json:"eligible"`
}

// ErrTooFewSupervisors is returned when a drawn session has fewer eligible supervisors than needed.
var ErrTooFewSupervisors = fmt.Errorf("%w: too few eligible supervisors", ErrConflict)

// RunDraw draws count sessions at random, then perSession supervisors at random for each from
// those without a conflict (same employer as the enterprise, or a declared relation) — the
// exclusion happens before the draw. It is a pure function of its inputs, so anyone holding the
// seed and the candidate lists can re-run it and get the same assignments.
func RunDraw(seed uint64, sessions []DrawSession, supervisors []DrawSupervisor, count, perSession int) ([]DrawAssignment, error) {
	r := domain.Rand(seed, domain.SupervisionSalt)
	if count > len(sessions) {
		count = len(sessions)
	}
	pool := make([]domain.Drawable, len(supervisors))
	for i, p := range supervisors {
		pool[i] = domain.Drawable{ID: p.UserID, Employer: p.Employer, Conflicts: p.Conflicts}
	}
	var out []DrawAssignment
	for _, i := range r.Perm(len(sessions))[:count] {
		s := sessions[i]
		eligible, _ := domain.Eligible(pool, s.EnterpriseID, s.EnterpriseName)
		picked, err := domain.Pick(r, eligible, perSession)
		if err != nil {
			return nil, fmt.Errorf("%w: session %s has %d, needs %d", ErrTooFewSupervisors, s.ID, len(eligible), perSession)
		}
		out = append(out, DrawAssignment{SessionID: s.ID, Eligible: eligible, Supervisors: picked})
	}
	return out, nil
}

// SupervisionDraw is a recorded draw.
type SupervisionDraw struct {
	ID               string    `gorm:"primaryKey" json:"id"`
	Title            string    `json:"title"`
	JurisdictionCode string    `json:"jurisdiction_code"`
	Seed             int64     `json:"seed"`
	PerSession       int       `json:"per_session"`
	SessionsJSON     string    `json:"sessions_json"`
	SupervisorsJSON  string    `json:"supervisors_json"`
	AssignmentsJSON  string    `json:"assignments_json"`
	CreatedBy        string    `json:"created_by"`
	CreatedAt        time.Time `json:"created_at"`
}

// Assignments decodes the draw's assignments.
func (d SupervisionDraw) Assignments() ([]DrawAssignment, error) {
	var as []DrawAssignment
	err := json.Unmarshal([]byte(d.AssignmentsJSON), &as)
	return as, err
}

// Rerun re-runs the draw from its recorded seed and candidate lists.
func (d SupervisionDraw) Rerun() ([]DrawAssignment, error) {
	var ss []DrawSession
	var ps []DrawSupervisor
	if err := json.Unmarshal([]byte(d.SessionsJSON), &ss); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(d.SupervisorsJSON), &ps); err != nil {
		return nil, err
	}
	as, err := d.Assignments()
	if err != nil {
		return nil, err
	}
	return RunDraw(uint64(d.Seed), ss, ps, len(as), d.PerSession)
}

// SupervisionReport is a supervisor's report on a drawn session. It is public only once the
// region has published it (Status, see domain.NextReportStatus).
type SupervisionReport struct {
	ID           string `gorm:"primaryKey" json:"id"`
	DrawID       string `json:"draw_id"`
	SessionID    string `json:"session_id"`
	SupervisorID string `json:"supervisor_id"`
	Rating       string `json:"rating"`
	Findings     string `json:"findings"`
	// Status is submitted (待审核), published or returned (退回补充, with ReturnReason).
	Status       string     `json:"status"`
	ReturnReason string     `json:"return_reason"`
	ReviewedBy   string     `json:"reviewed_by,omitempty"`
	ReviewedAt   *time.Time `json:"reviewed_at,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	// UpdatedAt is when a returned report was last refiled.
	UpdatedAt *time.Time `gorm:"autoUpdateTime:false" json:"updated_at,omitempty"`
}

// DrawCandidates returns the sessions in the jurisdictions that can be supervised (not yet
// issued) and the supervisor pool with employers and declared conflicts.
func (db *DB) DrawCandidates(ctx context.Context, jurisdictions []string) ([]DrawSession, []DrawSupervisor, error) {
	var ss []AssessmentSession
	if err := db.WithContext(ctx).Where("jurisdiction_code IN ? AND status <> ?", jurisdictions, SessionIssued).
		Order("id").Find(&ss).Error; err != nil {
		return nil, nil, err
	}
	sessions := make([]DrawSession, 0, len(ss))
	for _, s := range ss {
		sessions = append(sessions, DrawSession{ID: s.ID, EnterpriseID: s.EnterpriseID, EnterpriseName: s.EnterpriseName})
	}
	var pool []struct {
		UserID, Employer, Conflicts string
	}
	if err := db.WithContext(ctx).Table("users").Select("users.id AS user_id, COALESCE(experts.employer, '') AS employer, COALESCE(experts.conflicts, '') AS conflicts").
		Joins("LEFT JOIN experts ON experts.user_id = users.id").Where("users.role = ? AND users.active = ?", RoleSupervisor, true).
		Order("users.id").Scan(&pool).Error; err != nil {
		return nil, nil, err
	}
	sups := make([]DrawSupervisor, 0, len(pool))
	for _, p := range pool {
		d := DrawSupervisor{UserID: p.UserID, Employer: p.Employer}
		for _, c := range strings.Split(p.Conflicts, ",") {
			if c = strings.TrimSpace(c); c != "" {
				d.Conflicts = append(d.Conflicts, c)
			}
		}
		sups = append(sups, d)
	}
	return sessions, sups, nil
}

// CreateDraw stores a draw.
func (db *DB) CreateDraw(ctx context.Context, d *SupervisionDraw) error {
	if d.ID == "" {
		d.ID = NewID()
	}
	return db.WithContext(ctx).Create(d).Error
}

// DrawByID returns one draw.
func (db *DB) DrawByID(ctx context.Context, id string) (SupervisionDraw, error) {
	var d SupervisionDraw
	err := db.WithContext(ctx).First(&d, "id = ?", id).Error
	return d, notFound(err)
}

// AddSupervisionReport stores a report; a second report by the same supervisor is ErrConflict.
func (db *DB) AddSupervisionReport(ctx context.Context, r *SupervisionReport) error {
	if r.ID == "" {
		r.ID = NewID()
	}
	return conflict(db.WithContext(ctx).Create(r).Error)
}

// SupervisionReportByID returns one report.
func (db *DB) SupervisionReportByID(ctx context.Context, id string) (SupervisionReport, error) {
	var r SupervisionReport
	err := db.WithContext(ctx).First(&r, "id = ?", id).Error
	return r, notFound(err)
}

// SupervisionReportOf returns the report a supervisor filed on a drawn session.
func (db *DB) SupervisionReportOf(ctx context.Context, drawID, sessionID, supervisorID string) (SupervisionReport, error) {
	var r SupervisionReport
	err := db.WithContext(ctx).First(&r, "draw_id = ? AND session_id = ? AND supervisor_id = ?", drawID, sessionID, supervisorID).Error
	return r, notFound(err)
}

// ReviewSupervisionReport moves a report from status from to status to, recording the
// reviewer and the reason of a return. It changes nothing and answers ErrConflict when the
// report is no longer in from (another reviewer was first).
func (db *DB) ReviewSupervisionReport(ctx context.Context, id, from, to, reason, by string, at time.Time) error {
	res := db.WithContext(ctx).Model(&SupervisionReport{}).Where("id = ? AND status = ?", id, from).
		Updates(map[string]any{"status": to, "return_reason": reason, "reviewed_by": by, "reviewed_at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: report %s is not %s", ErrConflict, id, from)
	}
	return nil
}

// RefileSupervisionReport replaces a returned report's rating and findings and puts it back
// for review; ErrConflict when the report is no longer returned.
func (db *DB) RefileSupervisionReport(ctx context.Context, id, rating, findings string, at time.Time) error {
	res := db.WithContext(ctx).Model(&SupervisionReport{}).Where("id = ? AND status = ?", id, domain.ReportReturned).
		Updates(map[string]any{"status": domain.ReportSubmitted, "rating": rating, "findings": findings, "updated_at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%w: report %s is not returned", ErrConflict, id)
	}
	return nil
}

// SupervisionReportRow is a report with its draw and sitting, for the review and status lists.
type SupervisionReportRow struct {
	SupervisionReport
	DrawTitle        string `json:"draw_title"`
	DrawJurisdiction string `json:"draw_jurisdiction_code"`
	EnterpriseName   string `json:"enterprise_name"`
	OccupationName   string `json:"occupation_name"`
	Level            int    `json:"level"`
	SupervisorName   string `json:"supervisor_name"`
}

// ReportFilter selects reports: those of draws in Jurisdictions, or those filed by
// SupervisorID when it is set; of one Status when set.
type ReportFilter struct {
	Jurisdictions []string
	SupervisorID  string
	Status        string
	Limit         int
}

// SupervisionReports lists reports with their draw and sitting, oldest first (the review queue's
// order).
func (db *DB) SupervisionReports(ctx context.Context, f ReportFilter) ([]SupervisionReportRow, error) {
	q := db.WithContext(ctx).Table("supervision_reports AS r").
		Select("r.*, d.title AS draw_title, d.jurisdiction_code AS draw_jurisdiction, COALESCE(s.enterprise_name, '') AS enterprise_name, " +
			"COALESCE(s.occupation_name, '') AS occupation_name, COALESCE(s.level, 0) AS level, COALESCE(u.display_name, '') AS supervisor_name").
		Joins("JOIN supervision_draws AS d ON d.id = r.draw_id").
		Joins("LEFT JOIN assessment_sessions AS s ON s.id = r.session_id").
		Joins("LEFT JOIN users AS u ON u.id = r.supervisor_id")
	if f.SupervisorID != "" {
		q = q.Where("r.supervisor_id = ?", f.SupervisorID)
	} else {
		q = q.Where("d.jurisdiction_code IN ?", f.Jurisdictions)
	}
	if f.Status != "" {
		q = q.Where("r.status = ?", f.Status)
	}
	out := []SupervisionReportRow{}
	err := q.Order("r.created_at, r.id").Limit(clampLimit(f.Limit)).Scan(&out).Error
	return out, err
}

// PublicSupervision is one published supervision result.
type PublicSupervision struct {
	DrawTitle      string    `json:"draw_title"`
	DrawnAt        time.Time `json:"drawn_at"`
	EnterpriseName string    `json:"enterprise_name"`
	OccupationName string    `json:"occupation_name"`
	Level          int       `json:"level"`
	Rating         string    `json:"rating"`
	Findings       string    `json:"findings"`
	ReportedAt     time.Time `json:"reported_at"`
}

// PublishedSupervision lists the published reports with their session, newest first (公开);
// a report the region has not published is not among them.
func (db *DB) PublishedSupervision(ctx context.Context, limit int) ([]PublicSupervision, error) {
	var out []PublicSupervision
	err := db.WithContext(ctx).Table("supervision_reports AS r").
		Select("d.title AS draw_title, d.created_at AS drawn_at, s.enterprise_name, s.occupation_name, s.level, r.rating, r.findings, r.created_at AS reported_at").
		Joins("JOIN supervision_draws AS d ON d.id = r.draw_id").Joins("JOIN assessment_sessions AS s ON s.id = r.session_id").
		Where("r.status = ?", domain.ReportPublished).
		Order("r.created_at DESC").Limit(clampLimit(limit)).Scan(&out).Error
	return out, err
}
