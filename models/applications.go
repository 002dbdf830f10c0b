package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Application statuses. The enterprise edits in draft and returned; the lifecycle moves a
// submitted application on (RecordReturn, MarkApplicationStatus).
const (
	ApplicationDraft     = "draft"
	ApplicationSubmitted = "submitted"
	ApplicationReturned  = "returned"
	ApplicationAccepted  = "accepted"
	ApplicationRejected  = "rejected"
	ApplicationWithdrawn = "withdrawn"
)

// ApplicationStatusNames maps each status to its Chinese name.
var ApplicationStatusNames = map[string]string{
	ApplicationDraft:     "草稿",
	ApplicationSubmitted: "已提交",
	ApplicationReturned:  "退回修改",
	ApplicationAccepted:  "审核通过",
	ApplicationRejected:  "不予通过",
	ApplicationWithdrawn: "已撤回",
}

// editableStatuses are the statuses in which the enterprise may save and submit.
var editableStatuses = []string{ApplicationDraft, ApplicationReturned}

// ApplicationEditable reports whether an application in status may be edited and submitted.
func ApplicationEditable(status string) bool {
	return status == ApplicationDraft || status == ApplicationReturned
}

// Errors of the application queries. Each wraps ErrConflict, so a caller that only knows the
// generic vocabulary still answers 409; errors.Is on the specific one gives a better message.
var (
	// ErrNotEditable is a save or submit of an application whose status no longer allows it.
	ErrNotEditable = fmt.Errorf("%w: application is not editable in its status", ErrConflict)
	// ErrDuplicateApplication is a submission whose credit code another live application of the
	// same campaign already carries.
	ErrDuplicateApplication = fmt.Errorf("%w: another application of the campaign has this credit code", ErrConflict)
	// ErrCreditCodeTaken is a submission whose credit code is registered to another enterprise.
	ErrCreditCodeTaken = fmt.Errorf("%w: credit code belongs to another enterprise", ErrConflict)
)

// ApplicationRecord is an enterprise's application of one campaign: the working draft and where
// it stands. Submitted content lives in ApplicationVersion.
type ApplicationRecord struct {
	ID           string `gorm:"primaryKey" json:"id"`
	EnterpriseID string `json:"enterprise_id"`
	CampaignID   string `json:"campaign_id"`
	Status       string `json:"status"`
	// DraftJSON is the draft as JSON of Application; ID numbers in it are sealed.
	DraftJSON string `gorm:"column:draft_json" json:"-"`
	// DraftVersion is bumped by every save and submit; a save must name the version it edited.
	DraftVersion int `json:"draft_version"`
	// CurrentVersion is the latest submitted version, 0 before the first submission.
	CurrentVersion int `json:"current_version"`
	// CreditCode is the credit code of the latest submitted version (duplicate detection).
	CreditCode string `json:"credit_code"`
	// CreditCodeOverride is the code a region official accepted although its check character
	// fails; it only excuses that very code.
	CreditCodeOverride string     `json:"credit_code_override,omitempty"`
	SubmittedAt        *time.Time `json:"submitted_at,omitempty"`
	CreatedAt          time.Time  `json:"created_at"`
	UpdatedAt          time.Time  `json:"updated_at"`
}

// TableName is the applications table.
func (ApplicationRecord) TableName() string { return "applications" }

// Draft decodes the draft.
func (r ApplicationRecord) Draft() (Application, error) { return decodeApplication(r.DraftJSON) }

// ApplicationVersion is one submitted version, never changed after it is written.
type ApplicationVersion struct {
	ApplicationID string    `gorm:"primaryKey" json:"application_id"`
	Version       int       `gorm:"primaryKey;autoIncrement:false" json:"version"`
	ContentJSON   string    `gorm:"column:content_json" json:"-"`
	CreditCode    string    `json:"credit_code"`
	SubmittedAt   time.Time `json:"submitted_at"`
	SubmittedBy   string    `json:"submitted_by"` // user ID
}

// TableName is the versions table.
func (ApplicationVersion) TableName() string { return "application_versions" }

// Content decodes the submitted form.
func (v ApplicationVersion) Content() (Application, error) { return decodeApplication(v.ContentJSON) }

// ApplicationVersionInfo describes a version for listings, without its content.
type ApplicationVersionInfo struct {
	Version         int       `json:"version"`
	CreditCode      string    `json:"credit_code"`
	SubmittedAt     time.Time `json:"submitted_at"`
	SubmittedBy     string    `json:"submitted_by"`
	SubmittedByName string    `json:"submitted_by_name"`
}

// ReturnReason is a reviewer's reason for returning an application, bound to a form field
// path such as "contact.mobile" or "staff[1].id_number" ("" for the form as a whole).
type ReturnReason struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ApplicationReturn is the return of one version for correction.
type ApplicationReturn struct {
	ApplicationID string    `gorm:"primaryKey" json:"application_id"`
	Version       int       `gorm:"primaryKey;autoIncrement:false" json:"version"`
	ReasonsJSON   string    `gorm:"column:reasons" json:"-"`
	ReturnedBy    string    `json:"returned_by"`
	ReturnedAt    time.Time `json:"returned_at"`
}

// TableName is the returns table.
func (ApplicationReturn) TableName() string { return "application_returns" }

// Reasons decodes the reasons.
func (r ApplicationReturn) Reasons() ([]ReturnReason, error) {
	var out []ReturnReason
	if err := json.Unmarshal([]byte(r.ReasonsJSON), &out); err != nil {
		return nil, fmt.Errorf("decode return reasons of %s v%d: %w", r.ApplicationID, r.Version, err)
	}
	return out, nil
}

func encodeApplication(a Application) (string, error) {
	b, err := json.Marshal(a)
	if err != nil {
		return "", fmt.Errorf("encode application: %w", err)
	}
	return string(b), nil
}

func decodeApplication(s string) (Application, error) {
	var a Application
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return a, fmt.Errorf("decode application: %w", err)
	}
	return a, nil
}

// OpenApplication returns the enterprise's application of the campaign, creating it as a
// draft holding initial when there is none yet; created tells which. Two concurrent first
// visits create one row: the loser of the unique key reads the winner's.
func (db *DB) OpenApplication(ctx context.Context, enterpriseID, campaignID string, initial Application, now time.Time) (rec ApplicationRecord, created bool, err error) {
	rec, err = db.ApplicationOf(ctx, enterpriseID, campaignID)
	if !errors.Is(err, ErrNotFound) {
		return rec, false, err
	}
	draft, err := encodeApplication(initial)
	if err != nil {
		return rec, false, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	rec = ApplicationRecord{ID: NewID(), EnterpriseID: enterpriseID, CampaignID: campaignID, Status: ApplicationDraft,
		DraftJSON: draft, DraftVersion: 1, CreatedAt: now, UpdatedAt: now}
	if err := db.WithContext(ctx).Create(&rec).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			rec, err = db.ApplicationOf(ctx, enterpriseID, campaignID)
			return rec, false, err
		}
		return rec, false, fmt.Errorf("create application: %w", err)
	}
	return rec, true, nil
}

// ApplicationByID returns one application.
func (db *DB) ApplicationByID(ctx context.Context, id string) (ApplicationRecord, error) {
	var r ApplicationRecord
	err := db.WithContext(ctx).First(&r, "id = ?", id).Error
	return r, notFound(err)
}

// ApplicationOf returns the enterprise's application of a campaign.
func (db *DB) ApplicationOf(ctx context.Context, enterpriseID, campaignID string) (ApplicationRecord, error) {
	var r ApplicationRecord
	err := db.WithContext(ctx).First(&r, "enterprise_id = ? AND campaign_id = ?", enterpriseID, campaignID).Error
	return r, notFound(err)
}

// SaveDraft replaces the draft if it is still at draftVersion and the application is editable,
// and returns the updated row. A stale version is ErrConflict (someone saved in between: the
// caller must reload rather than overwrite), a locked status ErrNotEditable. Nothing is
// validated: a draft keeps whatever was typed.
func (db *DB) SaveDraft(ctx context.Context, id string, draftVersion int, content Application, now time.Time) (ApplicationRecord, error) {
	draft, err := encodeApplication(content)
	if err != nil {
		return ApplicationRecord{}, err
	}
	var out ApplicationRecord
	err = db.Tx(ctx, func(tx *DB) error {
		res := tx.Model(&ApplicationRecord{}).
			Where("id = ? AND draft_version = ? AND status IN ?", id, draftVersion, editableStatuses).
			Updates(map[string]any{"draft_json": draft, "draft_version": gorm.Expr("draft_version + 1"), "updated_at": now.UTC()})
		if res.Error != nil {
			return res.Error
		}
		cur, err := tx.ApplicationByID(ctx, id)
		if err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			return staleOrLocked(cur)
		}
		out = cur
		return nil
	})
	return out, err
}

// staleOrLocked explains why a guarded update of an existing application touched no row.
func staleOrLocked(cur ApplicationRecord) error {
	if !ApplicationEditable(cur.Status) {
		return ErrNotEditable
	}
	return fmt.Errorf("%w: draft is at version %d", ErrConflict, cur.DraftVersion)
}

// Submission is a validated form to store as the next version.
type Submission struct {
	ApplicationID string
	// DraftVersion is the draft version the content was taken from; a save after it makes the
	// submission stale (ErrConflict).
	DraftVersion int
	// Content is the validated, normalised form with ID numbers sealed.
	Content     Application
	SubmittedBy string // user ID
	At          time.Time
}

// SubmitApplication stores the next version and marks the application submitted in one
// transaction, so there is never a submitted status without its version or the reverse. The
// draft becomes the submitted content. It refuses a credit code that another live application
// of the campaign carries (ErrDuplicateApplication) or that is registered to another enterprise
// (ErrCreditCodeTaken); the partial unique index backs the first check against races.
func (db *DB) SubmitApplication(ctx context.Context, sub Submission) (ApplicationVersion, error) {
	content, err := encodeApplication(sub.Content)
	if err != nil {
		return ApplicationVersion{}, err
	}
	code := sub.Content.Applicant.CreditCode
	at := sub.At.UTC().Truncate(time.Microsecond)
	var v ApplicationVersion
	err = db.Tx(ctx, func(tx *DB) error {
		cur, err := tx.ApplicationByID(ctx, sub.ApplicationID)
		if err != nil {
			return err
		}
		if !ApplicationEditable(cur.Status) || cur.DraftVersion != sub.DraftVersion {
			return staleOrLocked(cur)
		}
		var n int64
		if err := tx.Model(&ApplicationRecord{}).
			Where("campaign_id = ? AND credit_code = ? AND id <> ? AND status <> ?", cur.CampaignID, code, cur.ID, ApplicationWithdrawn).
			Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrDuplicateApplication
		}
		if err := tx.Model(&Enterprise{}).Where("credit_code = ? AND id <> ?", code, cur.EnterpriseID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return ErrCreditCodeTaken
		}
		v = ApplicationVersion{ApplicationID: cur.ID, Version: cur.CurrentVersion + 1, ContentJSON: content,
			CreditCode: code, SubmittedAt: at, SubmittedBy: sub.SubmittedBy}
		res := tx.Model(&ApplicationRecord{}).
			Where("id = ? AND draft_version = ? AND status IN ?", cur.ID, sub.DraftVersion, editableStatuses).
			Updates(map[string]any{"status": ApplicationSubmitted, "current_version": v.Version, "draft_json": content,
				"draft_version": gorm.Expr("draft_version + 1"), "credit_code": code, "submitted_at": at, "updated_at": at})
		if res.Error != nil {
			if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
				return ErrDuplicateApplication
			}
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%w: application changed during submission", ErrConflict)
		}
		return conflict(tx.Create(&v).Error)
	})
	return v, err
}

// ApplicationVersions lists the submitted versions, oldest first, with the submitter's name.
func (db *DB) ApplicationVersions(ctx context.Context, applicationID string) ([]ApplicationVersionInfo, error) {
	var out []ApplicationVersionInfo
	err := db.WithContext(ctx).Table("application_versions AS v").
		Select("v.version, v.credit_code, v.submitted_at, v.submitted_by, COALESCE(u.display_name, '') AS submitted_by_name").
		Joins("LEFT JOIN users u ON u.id = v.submitted_by").
		Where("v.application_id = ?", applicationID).
		Order("v.version").Scan(&out).Error
	return out, err
}

// ApplicationVersionByNumber returns one submitted version.
func (db *DB) ApplicationVersionByNumber(ctx context.Context, applicationID string, version int) (ApplicationVersion, error) {
	var v ApplicationVersion
	err := db.WithContext(ctx).First(&v, "application_id = ? AND version = ?", applicationID, version).Error
	return v, notFound(err)
}

// RecordReturn stores the reasons for returning version of the application for correction and
// moves it from submitted to returned, in one transaction. Only the version under review (the
// current one) can be returned. It is idempotent for the lifecycle's retries: returning a
// version that already was returned changes nothing and succeeds. Any other state is
// ErrConflict.
func (db *DB) RecordReturn(ctx context.Context, applicationID string, version int, reasons []ReturnReason, by string, at time.Time) error {
	if len(reasons) == 0 {
		return errors.New("record return: at least one reason is required")
	}
	b, err := json.Marshal(reasons)
	if err != nil {
		return fmt.Errorf("encode return reasons: %w", err)
	}
	at = at.UTC().Truncate(time.Microsecond)
	return db.Tx(ctx, func(tx *DB) error {
		cur, err := tx.ApplicationByID(ctx, applicationID)
		if err != nil {
			return err
		}
		if cur.Status == ApplicationReturned && cur.CurrentVersion == version {
			return nil // already done by an earlier attempt
		}
		if cur.Status != ApplicationSubmitted || cur.CurrentVersion != version {
			return fmt.Errorf("%w: application is %s at version %d, cannot return version %d", ErrConflict, cur.Status, cur.CurrentVersion, version)
		}
		res := tx.Model(&ApplicationRecord{}).Where("id = ? AND status = ? AND current_version = ?", applicationID, ApplicationSubmitted, version).
			Updates(map[string]any{"status": ApplicationReturned, "updated_at": at})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%w: application changed while being returned", ErrConflict)
		}
		return conflict(tx.Create(&ApplicationReturn{ApplicationID: applicationID, Version: version, ReasonsJSON: string(b),
			ReturnedBy: by, ReturnedAt: at}).Error)
	})
}

// LatestReturn returns the most recent return of the application, ErrNotFound if it was never
// returned.
func (db *DB) LatestReturn(ctx context.Context, applicationID string) (ApplicationReturn, error) {
	var r ApplicationReturn
	err := db.WithContext(ctx).Where("application_id = ?", applicationID).Order("version DESC").Take(&r).Error
	return r, notFound(err)
}

// applicationTransitions are the moves MarkApplicationStatus may make. Submitting and returning
// have functions of their own because they write a version or reasons with the status.
var applicationTransitions = map[string][]string{
	ApplicationDraft:     {ApplicationWithdrawn},
	ApplicationSubmitted: {ApplicationAccepted, ApplicationRejected, ApplicationWithdrawn},
	ApplicationReturned:  {ApplicationRejected, ApplicationWithdrawn},
	ApplicationAccepted:  {ApplicationWithdrawn},
}

// MarkApplicationStatus moves the application to status (accepted, rejected or withdrawn) for
// the lifecycle. Setting the status it already has succeeds without change, so retries are
// harmless; a move the lifecycle does not allow from the current status is ErrConflict.
func (db *DB) MarkApplicationStatus(ctx context.Context, applicationID, status string, at time.Time) error {
	switch status {
	case ApplicationAccepted, ApplicationRejected, ApplicationWithdrawn:
	default:
		return fmt.Errorf("mark application status: %q is not set this way", status)
	}
	return db.Tx(ctx, func(tx *DB) error {
		cur, err := tx.ApplicationByID(ctx, applicationID)
		if err != nil {
			return err
		}
		if cur.Status == status {
			return nil
		}
		allowed := false
		for _, s := range applicationTransitions[cur.Status] {
			allowed = allowed || s == status
		}
		if !allowed {
			return fmt.Errorf("%w: application cannot go from %s to %s", ErrConflict, cur.Status, status)
		}
		res := tx.Model(&ApplicationRecord{}).Where("id = ? AND status = ?", applicationID, cur.Status).
			Updates(map[string]any{"status": status, "updated_at": at.UTC()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fmt.Errorf("%w: application changed while its status was set", ErrConflict)
		}
		return nil
	})
}

// SetCreditCodeOverride records the credit code a region official accepted although its check
// character fails ("" clears it). The API audits who did it and why.
func (db *DB) SetCreditCodeOverride(ctx context.Context, applicationID, code string, at time.Time) error {
	res := db.WithContext(ctx).Model(&ApplicationRecord{}).Where("id = ?", applicationID).
		Updates(map[string]any{"credit_code_override": code, "updated_at": at.UTC()})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
