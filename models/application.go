package models

import (
	"skillcert/models/validate"
)

// Application is the content of the application form (附件1), every field of domain.md §3. It
// is stored as JSON, one row per saved draft and one per submitted version; the ID numbers of
// people are kept only in encrypted form (see PersonID) and never in this JSON in clear.
type Application struct {
	Applicant   Applicant       `json:"applicant"`
	Contact     Contact         `json:"contact"`
	Rules       []AttachmentRef `json:"rules"` // rules and regulations documents
	Occupations []OccupationRow `json:"occupations"`
	Strengths   string          `json:"strengths"` // organisational and professional strengths
	Site        Site            `json:"site"`
	Equipment   []EquipmentRow  `json:"equipment"`
	ExamSystem  string          `json:"exam_system"` // computer-based exam administration and video monitoring
	Staff       []StaffRow      `json:"staff"`
	Assessors   []ExpertRow     `json:"assessors"`
	Supervisors []ExpertRow     `json:"supervisors"`
	Conditions  [7]Condition    `json:"conditions"` // the 7 basic conditions, in order
}

// Applicant identifies the enterprise.
type Applicant struct {
	Name       string `json:"name"`
	Address    string `json:"address"`
	CreditCode string `json:"credit_code"`
	// CreditCodeOverride is set when a region official accepted a real code that fails the
	// check character (audited).
	CreditCodeOverride bool `json:"credit_code_override,omitempty"`
}

// Contact is the enterprise's contact person.
type Contact struct {
	Name     string `json:"name"`
	Post     string `json:"post"`
	Landline string `json:"landline"`
	Mobile   string `json:"mobile"`
	Email    string `json:"email"`
}

// OccupationRow is one occupation (工种) applied for.
type OccupationRow struct {
	Name string `json:"name"` // occupation name as the dictionary spells it for Code
	Code string `json:"code"` // M-MM-MM-MM
	// WorkType is the 工种 where the occupation's standard divides it (free text, optional): the
	// form's "职业（工种）名称" column can hold either, and the certificate prints both, so the
	// two are kept apart and only Name is checked against the dictionary.
	WorkType string              `json:"work_type,omitempty"`
	FeeCents int64               `json:"fee_cents"`
	Fee      string              `json:"fee"` // as entered, e.g. "300.00"
	Levels   validate.LevelRange `json:"levels"`
}

// Site describes the assessment sites.
type Site struct {
	Description string          `json:"description"`
	Ownership   []AttachmentRef `json:"ownership"` // ownership or lease proof
	// EquipmentOwnership is the ownership proof of the facilities and equipment (设施设备权属证明),
	// which 附件1 has attached separately ("设施设备…权属证明材料另附").
	EquipmentOwnership []AttachmentRef `json:"equipment_ownership,omitempty"`
}

// EquipmentRow is one item of equipment.
type EquipmentRow struct {
	Name      string `json:"name"`
	Brand     string `json:"brand"`
	Model     string `json:"model"`
	Quantity  int    `json:"quantity"`
	Ownership string `json:"ownership"` // 自有 / 租赁 / 其他
}

// PersonID is an ID number held for a person: encrypted (AES-256-GCM, base64) with a keyed
// hash for lookups and the masked form for display. The clear number never appears here.
type PersonID struct {
	Cipher string `json:"cipher,omitempty"`
	Lookup string `json:"lookup,omitempty"`
	Masked string `json:"masked,omitempty"`
}

// StaffRow is a full-time staff member of the evaluation unit.
type StaffRow struct {
	Name      string          `json:"name"`
	ID        PersonID        `json:"id"`
	Title     string          `json:"title"` // post / title
	Education string          `json:"education"`
	Duties    string          `json:"duties"`
	Employee  bool            `json:"employee"`            // false: needs Agreement
	Agreement []AttachmentRef `json:"agreement,omitempty"` // signed commitment or cooperation agreement
}

// ExpertRow is an assessor (考评人员) or a quality supervisor (督导人员).
type ExpertRow struct {
	Name       string          `json:"name"`
	ID         PersonID        `json:"id"`
	Employer   string          `json:"employer"`
	Title      string          `json:"title"` // post / title / skill level
	Education  string          `json:"education"`
	Occupation string          `json:"occupation"` // occupation assessed or supervised
	Employee   bool            `json:"employee"`
	Agreement  []AttachmentRef `json:"agreement,omitempty"`
}

// Condition is the evidence for one of the 7 basic conditions.
type Condition struct {
	Explanation string          `json:"explanation"`
	Evidence    []AttachmentRef `json:"evidence"`
}

// AttachmentRef points at a stored attachment version.
type AttachmentRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// ConditionTitles are the 7 basic conditions of domain.md §3, in order.
var ConditionTitles = [7]string{
	"在我国境内注册、具有独立法人资格",
	"依法设立、管理规范、诚信良好，建立培训、评价、使用、激励相衔接的机制和人力资源管理制度",
	"申报职业（工种）从业人员较多、技能含量较高，与主营业务密切相关，具有行业影响力",
	"足额提取职工教育经费",
	"具有管理制度、专门的内部培训考核机构和专职工作人员，稳定的专家、考评员和质量督导员队伍",
	"具备与评价相适应的场地、设备设施和视频监控条件",
	"对取得证书的职工兑现相应待遇",
}
