package models

import (
	"context"
	"strconv"
	"time"

	"gorm.io/gorm/clause"

	"skillcert/domain"
)

// SessionPublicity is the status of a sitting whose approved results are in publicity (公示).
const SessionPublicity = "publicity"

// Objection statuses besides domain's: received (stored, not yet with the workflow) and refused
// (the workflow did not take it: the period had ended).
const (
	ObjectionReceived = "received"
	ObjectionRefused  = "refused"
)

// SettingPublicityDays names the region's publicity length (working days).
const SettingPublicityDays = "publicity_days"

// CalendarDay is an entry of the region's working-day table.
type CalendarDay struct {
	Day       string    `gorm:"primaryKey" json:"day"`
	Kind      string    `json:"kind"`
	Note      string    `json:"note"`
	UpdatedBy string    `json:"-"`
	UpdatedAt time.Time `json:"updated_at"`
}

// TableName is the table of CalendarDay.
func (CalendarDay) TableName() string { return "work_calendar_days" }

// RegionSetting is one setting the region keeps.
type RegionSetting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedBy string
	UpdatedAt time.Time
}

// ResultObjection is an objection raised in a publicity of results.
type ResultObjection struct {
	ID             string    `gorm:"primaryKey" json:"id"`
	SessionID      string    `json:"session_id"`
	CandidateID    string    `json:"candidate_id"`
	Objector       string    `json:"objector"`
	Contact        string    `json:"contact"`
	Content        string    `json:"content"`
	Status         string    `json:"status"`
	TaskID         string    `json:"task_id"`
	DecisionReason string    `json:"decision_reason"`
	DecidedBy      string    `json:"-"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// ObjectionChange is a change the session workflow makes to an objection.
type ObjectionChange struct {
	ID, Status, TaskID, Reason, DecidedBy string
}

// WorkCalendar reads the working-day table.
func (db *DB) WorkCalendar(ctx context.Context) (domain.WorkCalendar, []CalendarDay, error) {
	var days []CalendarDay
	if err := db.WithContext(ctx).Order("day").Find(&days).Error; err != nil {
		return domain.WorkCalendar{}, nil, err
	}
	cal := domain.WorkCalendar{Holidays: map[string]bool{}, Workdays: map[string]bool{}}
	for _, d := range days {
		if d.Kind == domain.DayHoliday {
			cal.Holidays[d.Day] = true
		} else if d.Kind == domain.DayWorkday {
			cal.Workdays[d.Day] = true
		}
	}
	return cal, days, nil
}

// SetCalendarDay writes (or replaces) an entry of the working-day table.
func (db *DB) SetCalendarDay(ctx context.Context, d CalendarDay) error {
	d.UpdatedAt = time.Now().UTC()
	return db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "day"}},
		DoUpdates: clause.AssignmentColumns([]string{"kind", "note", "updated_by", "updated_at"})}).Create(&d).Error
}

// DeleteCalendarDay removes an entry of the working-day table; ErrNotFound when there is none.
func (db *DB) DeleteCalendarDay(ctx context.Context, day string) error {
	res := db.WithContext(ctx).Where("day = ?", day).Delete(&CalendarDay{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// PublicityDays is the region's publicity length in working days (the default when unset).
func (db *DB) PublicityDays(ctx context.Context) (int, error) {
	var s RegionSetting
	err := db.WithContext(ctx).Where("name = ?", SettingPublicityDays).Limit(1).Find(&s).Error
	if err != nil {
		return 0, err
	}
	if n, err := strconv.Atoi(s.Value); err == nil && n > 0 {
		return n, nil
	}
	return domain.DefaultPublicityDays, nil
}

// SetPublicityDays sets the region's publicity length.
func (db *DB) SetPublicityDays(ctx context.Context, days int, by string) error {
	s := RegionSetting{Name: SettingPublicityDays, Value: strconv.Itoa(days), UpdatedBy: by, UpdatedAt: time.Now().UTC()}
	return db.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"value", "updated_by", "updated_at"})}).Create(&s).Error
}

// SessionsInPublicity lists the sittings whose results are in publicity, or whose publicity
// ended within the last since (for the public page), newest publicity first.
func (db *DB) SessionsInPublicity(ctx context.Context, now time.Time, since time.Duration) ([]AssessmentSession, error) {
	var ss []AssessmentSession
	err := db.WithContext(ctx).Where("publicity_ends_at IS NOT NULL AND (status = ? OR publicity_ends_at > ?)", SessionPublicity, now.Add(-since)).
		Order("publicity_starts_at DESC").Limit(200).Find(&ss).Error
	return ss, err
}

// CreateObjection stores an objection as received.
func (db *DB) CreateObjection(ctx context.Context, o *ResultObjection) error {
	if o.ID == "" {
		o.ID = NewID()
	}
	now := time.Now().UTC()
	o.CreatedAt, o.UpdatedAt = now, now
	return db.WithContext(ctx).Create(o).Error
}

// SetObjectionStatus changes an objection's status (as the service does when the workflow refused it).
func (db *DB) SetObjectionStatus(ctx context.Context, id, status string) error {
	return db.WithContext(ctx).Model(&ResultObjection{}).Where("id = ?", id).
		Updates(map[string]any{"status": status, "updated_at": time.Now().UTC()}).Error
}

// ObjectionsOfSession lists a sitting's objections (not those refused), oldest first.
func (db *DB) ObjectionsOfSession(ctx context.Context, sessionID string) ([]ResultObjection, error) {
	var os []ResultObjection
	err := db.WithContext(ctx).Where("session_id = ? AND status <> ?", sessionID, ObjectionRefused).Order("created_at, id").Find(&os).Error
	return os, err
}

// ObjectionByTask returns the objection a review task is about.
func (db *DB) ObjectionByTask(ctx context.Context, taskID string) (ResultObjection, error) {
	var o ResultObjection
	err := db.WithContext(ctx).First(&o, "task_id = ?", taskID).Error
	return o, notFound(err)
}
