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

// SupervisionReport is a supervisor's report on a drawn session.
type SupervisionReport struct {
	ID           string    `gorm:"primaryKey" json:"id"`
	DrawID       string    `json:"draw_id"`
	SessionID    string    `json:"session_id"`
	SupervisorID string    `json:"supervisor_id"`
	Rating       string    `json:"rating"`
	Findings     string    `json:"findings"`
	CreatedAt    time.Time `json:"created_at"`
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

// PublishedSupervision lists the filed reports with their session, newest first (公开).
func (db *DB) PublishedSupervision(ctx context.Context, limit int) ([]PublicSupervision, error) {
	var out []PublicSupervision
	err := db.WithContext(ctx).Table("supervision_reports AS r").
		Select("d.title AS draw_title, d.created_at AS drawn_at, s.enterprise_name, s.occupation_name, s.level, r.rating, r.findings, r.created_at AS reported_at").
		Joins("JOIN supervision_draws AS d ON d.id = r.draw_id").Joins("JOIN assessment_sessions AS s ON s.id = r.session_id").
		Order("r.created_at DESC").Limit(clampLimit(limit)).Scan(&out).Error
	return out, err
}
