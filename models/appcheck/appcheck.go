// Package appcheck validates the application form (附件1) against every rule of domain.md §3
// and §5, converts between the form as people type it (Form: ID numbers in clear) and the form
// as it is stored (models.Application: ID numbers sealed), and compares two versions field by
// field.
//
// Validation has two modes. Submit enforces everything. Draft reports only what is wrong with
// what has been typed — nothing is required yet — so a half-filled draft can be saved and the
// person still sees early that a phone number is malformed.
//
// Field paths follow the JSON of Form: "applicant.credit_code", "occupations[0].code",
// "staff[1].id_number", "conditions[3].explanation". Messages are Simplified Chinese. The
// package does no I/O: the caller passes the dictionary, the exclusions, today and, if it can,
// an attachment existence check. No message quotes an ID number.
package appcheck

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/occupations"
	"skillcert/models/validate"
)

// Limits on the size of a form. They keep one request from storing megabytes of rows and are
// far above what a real enterprise declares.
const (
	MaxOccupations  = 50   // occupation rows
	MaxRows         = 500  // rows of each of equipment, staff, assessors and supervisors
	MaxAttachments  = 50   // attachments in one list
	MaxShortText    = 200  // characters of a name, title, address and the like
	MaxLongText     = 5000 // characters of a free-text answer
	conditionsCount = len(models.ConditionTitles)
)

// Fault codes of this package beyond those of validate and occupations.
const (
	CodeTooLong             = "too_long"
	CodeTooMany             = "too_many"
	CodeQuantity            = "quantity_min"
	CodeDuplicateOccupation = "occupation_duplicate"
	CodeDuplicateID         = "id_duplicate"
	CodeAttachment          = "attachment_invalid"
)

// Mode selects how strictly Validate checks.
type Mode int

const (
	// Submit enforces every rule. It is the zero value so that forgetting to choose is strict.
	Submit Mode = iota
	// Draft reports only faults in values that were typed: required-but-empty is not a fault.
	Draft
)

// PeopleIDs are the clear ID numbers of the people rows, by list and row index. The stored
// form holds only sealed numbers, so whoever validates supplies the clear ones.
type PeopleIDs struct {
	Staff       []string
	Assessors   []string
	Supervisors []string
}

// Input is what Validate needs besides the form.
type Input struct {
	// Dictionary is the occupation dictionary; nil means occupations.Default().
	Dictionary *occupations.Dictionary
	// Excluded reports access-type occupations; nil means the seed list
	// occupations.DefaultExclusions(), never "nothing excluded", so that a caller that forgets
	// it cannot let 焊工 through.
	Excluded func(code string) bool
	// Today is the current time in the applicant's zone (Asia/Shanghai); birth dates must not be
	// after its calendar date. The zero time means time.Now(), as a safe default only: callers
	// pass their clock so that tests and replays are deterministic.
	Today time.Time
	// IDs are the clear ID numbers of the people rows; a missing entry counts as empty.
	IDs PeopleIDs
	// Mode is Submit (default) or Draft.
	Mode Mode
	// AttachmentExists, when set, reports whether a referenced attachment is stored and belongs
	// to the applicant; without it only the reference's shape is checked.
	AttachmentExists func(ref models.AttachmentRef) bool
}

// checker accumulates the faults of one form.
type checker struct {
	in   Input
	errs validate.Errors
}

func (c *checker) add(field, code, msg string) { c.errs.Add(field, code, msg) }

// text adds a required fault when v is blank and a length fault when it is too long.
func (c *checker) text(field, v string, max int, missing string) {
	t := strings.TrimSpace(v)
	if t == "" {
		c.add(field, validate.ErrRequired.Code, missing)
		return
	}
	if n := utf8.RuneCountInString(t); n > max {
		c.add(field, CodeTooLong, fmt.Sprintf("内容过长（%d字），最多%d字", n, max))
	}
}

// optional checks only the length of a value that may be empty.
func (c *checker) optional(field, v string, max int) {
	if n := utf8.RuneCountInString(strings.TrimSpace(v)); n > max {
		c.add(field, CodeTooLong, fmt.Sprintf("内容过长（%d字），最多%d字", n, max))
	}
}

// check binds the fault of a validator to field.
func (c *checker) check(field string, err error) { c.errs.AddError(field, err) }

// rows checks the number of rows of a list: at least one on submit, at most max.
func (c *checker) rows(field string, n, max int, missing string) {
	if n == 0 {
		c.add(field, validate.ErrRequired.Code, missing)
	}
	if n > max {
		c.add(field, CodeTooMany, fmt.Sprintf("最多填写%d行，实际为%d行", max, n))
	}
}

// attachments checks a list of attachment references; missing says what to upload when the
// list is empty and the attachments are required.
func (c *checker) attachments(field string, refs []models.AttachmentRef, required bool, missing string) {
	if len(refs) == 0 {
		if required {
			c.add(field, validate.ErrRequired.Code, missing)
		}
		return
	}
	if len(refs) > MaxAttachments {
		c.add(field, CodeTooMany, fmt.Sprintf("附件最多%d个，实际为%d个", MaxAttachments, len(refs)))
		return
	}
	for j, r := range refs {
		f := fmt.Sprintf("%s[%d]", field, j)
		switch {
		case strings.TrimSpace(r.ID) == "":
			c.add(f, CodeAttachment, "附件引用无效，请重新上传该文件")
		case c.in.AttachmentExists != nil && !c.in.AttachmentExists(r):
			c.add(f, CodeAttachment, fmt.Sprintf("附件“%s”不存在或不属于本单位，请重新上传", clip(r.Name)))
		}
	}
}

// Validate checks a form against every rule and returns all faults, in form order. In Draft
// mode faults of empty values are left out. app is not modified. Values are checked as they
// are: normalise them first (Form.Normalize) so that what is checked is what gets stored.
func Validate(app *models.Application, in Input) validate.Errors {
	if app == nil {
		app = &models.Application{}
	}
	if in.Dictionary == nil {
		in.Dictionary = occupations.Default()
	}
	if in.Excluded == nil {
		in.Excluded = occupations.Excluder(in.Dictionary, occupations.DefaultExclusions())
	}
	if in.Today.IsZero() {
		in.Today = time.Now()
	}
	c := &checker{in: in}

	// 1. Applicant, contact person, rules and regulations.
	c.text("applicant.name", app.Applicant.Name, MaxShortText, "请填写申报单位名称")
	c.text("applicant.address", app.Applicant.Address, MaxShortText, "请填写单位地址")
	if err := validate.CheckCreditCode(app.Applicant.CreditCode); err != nil {
		// An override excuses only a failing check character, never a malformed code.
		if !(app.Applicant.CreditCodeOverride && errors.Is(err, validate.ErrCreditCodeCheck)) {
			c.check("applicant.credit_code", err)
		}
	}
	// The contact person is published with the directory (domain.ContactName sizes its column).
	c.text("contact.name", app.Contact.Name, domain.ContactName.Max, "请填写联系人姓名")
	c.text("contact.post", app.Contact.Post, MaxShortText, "请填写联系人职务")
	c.check("contact.landline", validate.CheckLandline(app.Contact.Landline))
	c.check("contact.mobile", validate.CheckMobile(app.Contact.Mobile))
	c.check("contact.email", validate.CheckEmail(app.Contact.Email))
	c.attachments("rules", app.Rules, true, "请上传单位规章制度文件")

	// 2. Occupations.
	c.rows("occupations", len(app.Occupations), MaxOccupations, "请至少填写一个申报职业（工种）")
	firstRow := map[string]int{}
	for i, o := range limit(app.Occupations, MaxOccupations) {
		p := fmt.Sprintf("occupations[%d]", i)
		label := fmt.Sprintf("申报职业第%d行：", i+1)
		rowErrs := occupations.CheckOccupation(in.Dictionary, in.Excluded, o.Code, strings.TrimSpace(o.Name), o.Levels)
		for _, fe := range rowErrs.Prefixed(p) {
			c.add(fe.Field, fe.Code, label+fe.Message)
		}
		c.optional(p+".work_type", o.WorkType, MaxShortText)
		if _, err := validate.CheckFee(o.Fee); err != nil {
			var f *validate.Fault
			switch {
			case errors.Is(err, validate.ErrRequired):
				c.add(p+".fee", validate.ErrRequired.Code, label+"请填写收费标准（元），不收费请填0")
			case errors.As(err, &f):
				c.add(p+".fee", f.Code, label+"收费标准"+strings.TrimPrefix(f.Message, "金额"))
			}
		}
		if validate.CheckOccupationCodeFormat(o.Code) == nil {
			key := o.Code + "|" + strings.TrimSpace(o.WorkType)
			if first, dup := firstRow[key]; dup {
				c.add(p+".code", CodeDuplicateOccupation, fmt.Sprintf("%s与第%d行申报的职业（工种）重复，请合并为一行", label, first+1))
			} else {
				firstRow[key] = i
			}
		}
	}

	// 3. Strengths.
	c.text("strengths", app.Strengths, MaxLongText, "请填写组织机构和专业优势")

	// 4. Sites and equipment.
	c.text("site.description", app.Site.Description, MaxLongText, "请填写场地情况")
	c.attachments("site.ownership", app.Site.Ownership, true, "请上传场地产权或租赁证明")
	c.attachments("site.equipment_ownership", app.Site.EquipmentOwnership, false, "")
	c.rows("equipment", len(app.Equipment), MaxRows, "请至少填写一项设备设施")
	for i, e := range limit(app.Equipment, MaxRows) {
		p := fmt.Sprintf("equipment[%d]", i)
		label := fmt.Sprintf("设备设施第%d行：", i+1)
		c.text(p+".name", e.Name, MaxShortText, label+"请填写设备名称")
		c.text(p+".brand", e.Brand, MaxShortText, label+"请填写品牌")
		c.text(p+".model", e.Model, MaxShortText, label+"请填写规格型号")
		switch {
		case e.Quantity == 0:
			c.add(p+".quantity", validate.ErrRequired.Code, label+"请填写数量，至少为1")
		case e.Quantity < 0:
			c.add(p+".quantity", CodeQuantity, fmt.Sprintf("%s数量应至少为1，实际为%d", label, e.Quantity))
		}
		c.text(p+".ownership", e.Ownership, MaxShortText, label+"请填写权属（自有、租赁等）")
	}
	c.text("exam_system", app.ExamSystem, MaxLongText, "请填写机考组织实施和视频监控设备情况")

	// 5. People.
	c.rows("staff", len(app.Staff), MaxRows, "请至少填写一名专职工作人员")
	staffIDs := ids(in.IDs.Staff, len(app.Staff))
	for i, s := range limit(app.Staff, MaxRows) {
		p := fmt.Sprintf("staff[%d]", i)
		label := fmt.Sprintf("专职工作人员第%d行：", i+1)
		c.text(p+".name", s.Name, MaxShortText, label+"请填写姓名")
		c.idNumber(p+".id_number", label, staffIDs, i)
		c.text(p+".title", s.Title, MaxShortText, label+"请填写职务（职称）")
		c.text(p+".education", s.Education, MaxShortText, label+"请填写文化程度")
		c.text(p+".duties", s.Duties, MaxLongText, label+"请填写主要职责")
		c.agreement(p, label, s.Employee, s.Agreement)
	}
	c.experts("assessors", "考评人员", "评价职业（工种）", app.Assessors, ids(in.IDs.Assessors, len(app.Assessors)))
	c.experts("supervisors", "督导人员", "督导职业（工种）", app.Supervisors, ids(in.IDs.Supervisors, len(app.Supervisors)))

	// The 7 basic conditions: an explanation and evidence for each.
	for i := 0; i < conditionsCount; i++ {
		cond := app.Conditions[i]
		p := fmt.Sprintf("conditions[%d]", i)
		label := fmt.Sprintf("基本条件（%s）“%s”：", chineseNumeral(i+1), models.ConditionTitles[i])
		c.text(p+".explanation", cond.Explanation, MaxLongText, label+"请填写情况说明")
		c.attachments(p+".evidence", cond.Evidence, true, label+"请上传佐证材料")
	}

	if in.Mode == Draft {
		return slices.DeleteFunc(c.errs, func(fe validate.FieldError) bool { return fe.Code == validate.ErrRequired.Code })
	}
	return c.errs
}

// experts checks the assessor or supervisor rows.
func (c *checker) experts(list, who, occupationColumn string, rows []models.ExpertRow, clearIDs []string) {
	c.rows(list, len(rows), MaxRows, "请至少填写一名"+who)
	for i, r := range limit(rows, MaxRows) {
		p := fmt.Sprintf("%s[%d]", list, i)
		label := fmt.Sprintf("%s第%d行：", who, i+1)
		c.text(p+".name", r.Name, MaxShortText, label+"请填写姓名")
		c.idNumber(p+".id_number", label, clearIDs, i)
		c.text(p+".employer", r.Employer, MaxShortText, label+"请填写工作单位")
		c.text(p+".title", r.Title, MaxShortText, label+"请填写职务（职称、职业技能等级）")
		c.text(p+".education", r.Education, MaxShortText, label+"请填写文化程度")
		c.text(p+".occupation", r.Occupation, MaxShortText, label+"请填写"+occupationColumn)
		c.agreement(p, label, r.Employee, r.Agreement)
	}
}

// idNumber checks row i's clear ID number and that no earlier row of the list has the same.
// The number itself never goes into a message: only the validator's explanation, which names
// at most the division code, a birth date the typist entered, or single characters.
func (c *checker) idNumber(field, label string, clearIDs []string, i int) {
	id := clearIDs[i]
	if err := validate.CheckIDNumber(id, c.in.Today); err != nil {
		var f *validate.Fault
		if errors.As(err, &f) {
			c.add(field, f.Code, label+f.Message)
		}
		return
	}
	for j := 0; j < i; j++ {
		if clearIDs[j] == id {
			c.add(field, CodeDuplicateID, fmt.Sprintf("%s公民身份号码与第%d行重复", label, j+1))
			return
		}
	}
}

// agreement requires the signed commitment or cooperation agreement of a non-employee.
func (c *checker) agreement(p, label string, employee bool, refs []models.AttachmentRef) {
	c.attachments(p+".agreement", refs, !employee, label+"非本单位职工须上传签订的服务承诺书或合作协议")
}

// ids returns the clear IDs padded to n rows, so a short list counts as empty numbers.
func ids(given []string, n int) []string {
	out := make([]string, n)
	copy(out, given)
	return out
}

// limit returns at most max rows: beyond that the list is already refused as too long and
// checking every row would only multiply messages.
func limit[T any](rows []T, max int) []T {
	if len(rows) > max {
		return rows[:max]
	}
	return rows
}

// chineseNumeral writes 1 to 10 as 一 to 十 for condition labels.
func chineseNumeral(n int) string {
	const digits = "一二三四五六七八九十"
	r := []rune(digits)
	if n >= 1 && n <= len(r) {
		return string(r[n-1])
	}
	return strconv.Itoa(n)
}

// clip shortens a value quoted in a message.
func clip(s string) string {
	r := []rune(strings.ToValidUTF8(s, "\uFFFD"))
	if len(r) <= 40 {
		return string(r)
	}
	return string(r[:40]) + "…"
}
