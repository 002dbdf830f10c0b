package models

import (
	"context"
	"time"
)

// Session statuses.
const (
	SessionOpen       = "open"       // candidates and scores are entered
	SessionSubmitted  = "submitted"  // results with the appraisal centre
	SessionCorrecting = "correcting" // rejected candidates being corrected
	SessionIssued     = "issued"     // certificates issued
	// SessionPublicity (publicity.go): approved results in publicity, certificates to follow.
)

// AssessmentSession is one sitting of a pilot enterprise (projection of AssessmentSession).
type AssessmentSession struct {
	ID               string    `gorm:"primaryKey" json:"id"`
	WorkflowID       string    `json:"workflow_id"`
	CaseID           string    `json:"case_id"`
	EnterpriseID     string    `json:"enterprise_id"`
	EnterpriseName   string    `json:"enterprise_name"`
	JurisdictionCode string    `json:"jurisdiction_code"`
	OccupationCode   string    `json:"occupation_code"`
	OccupationName   string    `json:"occupation_name"`
	WorkType         string    `json:"work_type"`
	Level            int       `json:"level"`
	ExamDate         time.Time `json:"exam_date"`
	Site             string    `json:"site"`
	AssessorsJSON    string    `json:"assessors_json"`
	Status           string    `json:"status"`
	// PublicityStartsAt and PublicityEndsAt are the current publicity of the results (公示), set
	// by the centre's approval; nil before.
	PublicityStartsAt *time.Time `json:"publicity_starts_at,omitempty"`
	PublicityEndsAt   *time.Time `json:"publicity_ends_at,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

// SessionCandidate is a registered candidate with scores and the audit result.
type SessionCandidate struct {
	ID        string `gorm:"primaryKey" json:"id"`
	SessionID string `json:"session_id"`
	Name      string `json:"name"`
	IDCipher  string `json:"-"`
	IDLookup  string `json:"-"`
	IDMasked  string `json:"id_masked"`
	Employee  bool   `json:"employee"`
	// The eligibility facts the candidate declared (domain.CandidateFacts).
	YearsInOccupation int    `json:"years_in_occupation"`
	HeldLevel         int    `json:"held_level"`
	HeldYear          int    `json:"held_year"`
	Education         string `json:"education"`
	Apprenticeship    bool   `json:"apprenticeship"`
	Theory            *int   `json:"theory"`
	Skill             *int   `json:"skill"`
	Review            *int   `json:"review"`
	Notes             string `json:"notes"`
	// Ethics (品德) and performance (业绩、创新成果), recorded beside the scores.
	Ethics      string `json:"ethics"`
	Performance string `json:"performance"`
	// The ID type, gender and certificate photo (copied onto the certificate).
	HolderIdentity
	Result            string    `json:"result"`
	AuditStatus       string    `json:"audit_status"`
	AuditReason       string    `json:"audit_reason"`
	CertificateNumber string    `json:"certificate_number"`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`

	// StatGender (M | F) and StatAge (whole years on the exam date) are derived from the ID
	// number when the candidate is recorded, for statistics that must not open ID numbers; nil
	// until backfilled for candidates recorded before migration 00015.
	StatGender *string `json:"-"`
	StatAge    *int    `json:"-"`
}

// CandidateUpdate is a change to candidates made by the session workflow.
type CandidateUpdate struct {
	ID                string
	AuditStatus       string
	AuditReason       string
	CertificateNumber string
}

// SessionByID returns one session.
func (db *DB) SessionByID(ctx context.Context, id string) (AssessmentSession, error) {
	var s AssessmentSession
	err := db.WithContext(ctx).First(&s, "id = ?", id).Error
	return s, notFound(err)
}

// SessionsOfCase lists a case's sessions, newest first.
func (db *DB) SessionsOfCase(ctx context.Context, caseID string) ([]AssessmentSession, error) {
	var ss []AssessmentSession
	err := db.WithContext(ctx).Where("case_id = ?", caseID).Order("exam_date DESC").Find(&ss).Error
	return ss, err
}

// Candidates lists a session's candidates in registration order.
func (db *DB) Candidates(ctx context.Context, sessionID string) ([]SessionCandidate, error) {
	var cs []SessionCandidate
	err := db.WithContext(ctx).Where("session_id = ?", sessionID).Order("created_at, id").Find(&cs).Error
	return cs, err
}

// CandidateByID returns one candidate.
func (db *DB) CandidateByID(ctx context.Context, id string) (SessionCandidate, error) {
	var c SessionCandidate
	err := db.WithContext(ctx).First(&c, "id = ?", id).Error
	return c, notFound(err)
}

// RegisteredElsewhere reports whether the person (by ID lookup hash) is registered for the same
// occupation and level in another session that is not finished.
func (db *DB) RegisteredElsewhere(ctx context.Context, lookup, occupation string, level int, exceptSession string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Table("session_candidates AS c").Joins("JOIN assessment_sessions AS s ON s.id = c.session_id").
		Where("c.id_lookup = ? AND s.occupation_code = ? AND s.level = ? AND s.status <> ? AND s.id <> ?", lookup, occupation, level, SessionIssued, exceptSession).
		Count(&n).Error
	return n > 0, err
}

// AddCandidate registers a candidate; the same person twice in one session is ErrConflict.
func (db *DB) AddCandidate(ctx context.Context, c *SessionCandidate) error {
	if c.ID == "" {
		c.ID = NewID()
	}
	c.Result, c.AuditStatus = "pending", "pending"
	return conflict(db.WithContext(ctx).Create(c).Error)
}

// Scores are what SetScores records of a candidate.
type Scores struct {
	Theory, Skill, Review      *int
	Notes, Ethics, Performance string
}

// SetScores records a candidate's scores and result; a rejected candidate goes back to pending
// audit, since the correction is what the centre looks at again.
func (db *DB) SetScores(ctx context.Context, id string, sc Scores, result string) (SessionCandidate, error) {
	set := map[string]any{"theory": sc.Theory, "skill": sc.Skill, "review": sc.Review, "notes": sc.Notes, "ethics": sc.Ethics,
		"performance": sc.Performance, "result": result, "updated_at": time.Now().UTC()}
	res := db.WithContext(ctx).Model(&SessionCandidate{}).Where("id = ?", id).Updates(set)
	if res.Error != nil {
		return SessionCandidate{}, res.Error
	}
	db.WithContext(ctx).Model(&SessionCandidate{}).Where("id = ? AND audit_status = ?", id, "rejected").
		Updates(map[string]any{"audit_status": "pending"})
	return db.CandidateByID(ctx, id)
}

// EligibilityRule is an occupation's own eligibility routes for one level (domain.EligibilityRoute
// list as JSON), replacing the common template's.
type EligibilityRule struct {
	OccupationCode string    `gorm:"primaryKey" json:"occupation_code"`
	Level          int       `gorm:"primaryKey" json:"level"`
	RoutesJSON     string    `json:"-"`
	Source         string    `json:"source"`
	UpdatedBy      string    `json:"-"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// EligibilityRules lists an occupation's overrides, by level.
func (db *DB) EligibilityRules(ctx context.Context, occupation string) ([]EligibilityRule, error) {
	var rs []EligibilityRule
	err := db.WithContext(ctx).Where("occupation_code = ?", occupation).Order("level DESC").Find(&rs).Error
	return rs, err
}

// SaveEligibilityRule stores (or replaces) an occupation's override for one level.
func (db *DB) SaveEligibilityRule(ctx context.Context, r EligibilityRule) error {
	return db.WithContext(ctx).Save(&r).Error
}

// DeleteEligibilityRule removes an occupation's override for one level (the template applies again).
func (db *DB) DeleteEligibilityRule(ctx context.Context, occupation string, level int) error {
	return db.WithContext(ctx).Where("occupation_code = ? AND level = ?", occupation, level).Delete(&EligibilityRule{}).Error
}

// SetCandidatePhoto records a candidate's checked certificate photo.
func (db *DB) SetCandidatePhoto(ctx context.Context, id, key, contentType, sha string) error {
	return db.WithContext(ctx).Model(&SessionCandidate{}).Where("id = ?", id).
		Updates(map[string]any{"photo_key": key, "photo_type": contentType, "photo_sha256": sha, "updated_at": time.Now().UTC()}).Error
}
