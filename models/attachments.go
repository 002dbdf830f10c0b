package models

import (
	"context"
	"errors"
	"time"

	"skillcert/domain"
)

// Attachment is one stored version of an uploaded document. Rows are never updated or
// deleted: uploading into the same slot again adds the next version, so any version an
// application cited can still be shown.
type Attachment struct {
	ID           string `gorm:"primaryKey" json:"id"`
	EnterpriseID string `json:"enterprise_id"`
	// JurisdictionCode is the enterprise's jurisdiction at upload, for jurisdiction-wide lists.
	JurisdictionCode string `json:"jurisdiction_code"`
	Purpose          string `json:"purpose"`
	// SlotID is the ID of the document's first version; every version shares it.
	SlotID  string `json:"slot_id"`
	Version int    `json:"version"`
	// ReplacesID is the previous version, nil for the first.
	ReplacesID  *string `json:"replaces_id,omitempty"`
	Name        string  `json:"name"`         // sanitised original file name, display only
	ContentType string  `json:"content_type"` // decided by the server from the content
	Size        int64   `json:"size"`
	SHA256      string  `gorm:"column:sha256" json:"sha256"`
	// StorageKey names the content in the attachment store; it is random and never leaves
	// the server.
	StorageKey string `json:"-"`
	// SessionID is the sitting an original record (domain.RecordKinds) belongs to; nil for the
	// application's documents.
	SessionID  *string   `json:"session_id,omitempty"`
	UploadedBy string    `json:"uploaded_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// Attachment purposes: what a document evidences. The seven conditions are
// ConditionPurpose(1) to ConditionPurpose(7).
const (
	PurposeRules          = "rules"           // rules and regulations (附件1 §1)
	PurposeSite           = "site"            // site ownership or lease proof (§4)
	PurposeEquipment      = "equipment"       // ownership proof of facilities and equipment (§4)
	PurposeAgreement      = "agreement"       // non-employee's service commitment or cooperation agreement (§5)
	PurposeWorkPlan       = "work_plan"       // work plan filed with the region
	PurposeEvaluationSpec = "evaluation_spec" // evaluation specification
	PurposeOther          = "other"
)

// AttachmentPurposeNames maps every accepted purpose to its Chinese name.
var AttachmentPurposeNames = map[string]string{
	PurposeRules:            "规章制度",
	PurposeSite:             "场地权属证明",
	PurposeEquipment:        "设施设备权属证明",
	PurposeAgreement:        "服务承诺书或合作协议",
	PurposeWorkPlan:         "工作方案",
	PurposeEvaluationSpec:   "评价规范",
	PurposeOther:            "其他材料",
	ConditionPurpose(1):     "基本条件（一）佐证材料",
	ConditionPurpose(2):     "基本条件（二）佐证材料",
	ConditionPurpose(3):     "基本条件（三）佐证材料",
	ConditionPurpose(4):     "基本条件（四）佐证材料",
	ConditionPurpose(5):     "基本条件（五）佐证材料",
	ConditionPurpose(6):     "基本条件（六）佐证材料",
	ConditionPurpose(7):     "基本条件（七）佐证材料",
	domain.RecordSignIn:     domain.RecordNames[domain.RecordSignIn],
	domain.RecordPapers:     domain.RecordNames[domain.RecordPapers],
	domain.RecordScoreSheet: domain.RecordNames[domain.RecordScoreSheet],
	domain.RecordVideoIndex: domain.RecordNames[domain.RecordVideoIndex],
}

// ConditionPurpose is the purpose of the evidence for basic condition n (1 to 7).
func ConditionPurpose(n int) string {
	return "condition_" + string(rune('0'+n))
}

// ErrAttachmentPurpose is returned when a new version would change the purpose of the
// document it replaces.
var ErrAttachmentPurpose = errors.New("a new version must keep the purpose of the version it replaces")

// CreateAttachment records an uploaded version. Without ReplacesID it starts a new document
// (version 1); with it, it becomes the next version of that document, which must belong to
// the same enterprise (else ErrNotFound) and have the same purpose (else ErrAttachmentPurpose).
// A version that already has a successor cannot be replaced again: ErrConflict, so two
// concurrent replacements never fork the history.
func (db *DB) CreateAttachment(ctx context.Context, a *Attachment) error {
	if a.ID == "" {
		a.ID = NewID()
	}
	if a.ReplacesID == nil || *a.ReplacesID == "" {
		a.ReplacesID, a.SlotID, a.Version = nil, a.ID, 1
		return conflict(db.WithContext(ctx).Create(a).Error)
	}
	return db.Tx(ctx, func(tx *DB) error {
		var prev Attachment
		if err := tx.First(&prev, "id = ? AND enterprise_id = ?", *a.ReplacesID, a.EnterpriseID).Error; err != nil {
			return notFound(err)
		}
		if prev.Purpose != a.Purpose {
			return ErrAttachmentPurpose
		}
		a.SlotID, a.Version, a.SessionID = prev.SlotID, prev.Version+1, prev.SessionID // a version stays with its sitting
		return conflict(tx.Create(a).Error)
	})
}

// AttachmentByID returns one attachment version.
func (db *DB) AttachmentByID(ctx context.Context, id string) (Attachment, error) {
	var a Attachment
	err := db.WithContext(ctx).First(&a, "id = ?", id).Error
	return a, notFound(err)
}

// AttachmentsByEnterprise lists the current (latest) version of each of the enterprise's
// documents (not the sittings' original records), optionally of one purpose only, by purpose and upload time.
func (db *DB) AttachmentsByEnterprise(ctx context.Context, enterpriseID, purpose string) ([]Attachment, error) {
	q := db.WithContext(ctx).Where("enterprise_id = ? AND session_id IS NULL", enterpriseID).
		Where("NOT EXISTS (SELECT 1 FROM attachments n WHERE n.replaces_id = attachments.id)")
	if purpose != "" {
		q = q.Where("purpose = ?", purpose)
	}
	as := []Attachment{}
	err := q.Order("purpose, created_at, id").Find(&as).Error
	return as, err
}

// AttachmentVersions returns every version of the document that version id belongs to,
// oldest first; ErrNotFound if id is unknown.
func (db *DB) AttachmentVersions(ctx context.Context, id string) ([]Attachment, error) {
	a, err := db.AttachmentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	var as []Attachment
	err = db.WithContext(ctx).Where("slot_id = ?", a.SlotID).Order("version").Find(&as).Error
	return as, err
}

// SittingRecords lists the current (latest) version of each original record of a sitting, by
// purpose and upload time.
func (db *DB) SittingRecords(ctx context.Context, sessionID string) ([]Attachment, error) {
	as := []Attachment{}
	err := db.WithContext(ctx).Where("session_id = ?", sessionID).
		Where("NOT EXISTS (SELECT 1 FROM attachments n WHERE n.replaces_id = attachments.id)").
		Order("purpose, created_at, id").Find(&as).Error
	return as, err
}
