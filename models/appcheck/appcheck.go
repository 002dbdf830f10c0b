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
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

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
	c.text("contact.name", app.Contact.Name, MaxShortText, "请填写联系人姓名")
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

// ---------------------------------------------------------------------------------------------
// The form as people type it.

// Form is the application form as the enterprise fills it in and as the API exchanges it: the
// shape of models.Application except that people rows carry the ID number as a string — in
// clear for whoever may read personal data, masked for everyone else. It exists only in memory
// and on the wire; what is stored is always the sealed models.Application.
type Form struct {
	Applicant   models.Applicant       `json:"applicant"`
	Contact     models.Contact         `json:"contact"`
	Rules       []models.AttachmentRef `json:"rules"`
	Occupations []models.OccupationRow `json:"occupations"`
	Strengths   string                 `json:"strengths"`
	Site        models.Site            `json:"site"`
	Equipment   []models.EquipmentRow  `json:"equipment"`
	ExamSystem  string                 `json:"exam_system"`
	Staff       []StaffRow             `json:"staff"`
	Assessors   []ExpertRow            `json:"assessors"`
	Supervisors []ExpertRow            `json:"supervisors"`
	Conditions  [7]models.Condition    `json:"conditions"`
}

// StaffRow is a full-time staff row with the ID number as typed (or masked).
type StaffRow struct {
	Name      string                 `json:"name"`
	IDNumber  string                 `json:"id_number"`
	Title     string                 `json:"title"`
	Education string                 `json:"education"`
	Duties    string                 `json:"duties"`
	Employee  bool                   `json:"employee"`
	Agreement []models.AttachmentRef `json:"agreement"`
}

// ExpertRow is an assessor or supervisor row with the ID number as typed (or masked).
type ExpertRow struct {
	Name       string                 `json:"name"`
	IDNumber   string                 `json:"id_number"`
	Employer   string                 `json:"employer"`
	Title      string                 `json:"title"`
	Education  string                 `json:"education"`
	Occupation string                 `json:"occupation"`
	Employee   bool                   `json:"employee"`
	Agreement  []models.AttachmentRef `json:"agreement"`
}

// Sealer encrypts an ID number into its stored form; *pii.Sealer is one.
type Sealer interface {
	Seal(idNumber string) (models.PersonID, error)
}

// Opener decrypts a stored ID number; *pii.Sealer is one.
type Opener interface {
	Open(p models.PersonID) (string, error)
}

// ValidateForm validates a form with its clear ID numbers: Validate on Content.
func ValidateForm(f Form, in Input) validate.Errors {
	app, people := f.Content()
	in.IDs = people
	return Validate(&app, in)
}

// Content splits the form into the stored shape without any ID numbers and the clear ID
// numbers by row, which is what Validate takes.
func (f Form) Content() (models.Application, PeopleIDs) {
	app := models.Application{
		Applicant: f.Applicant, Contact: f.Contact, Rules: f.Rules, Occupations: f.Occupations,
		Strengths: f.Strengths, Site: f.Site, Equipment: f.Equipment, ExamSystem: f.ExamSystem,
		Conditions: f.Conditions,
	}
	var people PeopleIDs
	for _, s := range f.Staff {
		app.Staff = append(app.Staff, models.StaffRow{Name: s.Name, Title: s.Title, Education: s.Education,
			Duties: s.Duties, Employee: s.Employee, Agreement: s.Agreement})
		people.Staff = append(people.Staff, s.IDNumber)
	}
	app.Assessors, people.Assessors = expertContent(f.Assessors)
	app.Supervisors, people.Supervisors = expertContent(f.Supervisors)
	return app, people
}

func expertContent(rows []ExpertRow) ([]models.ExpertRow, []string) {
	var out []models.ExpertRow
	var clear []string
	for _, r := range rows {
		out = append(out, models.ExpertRow{Name: r.Name, Employer: r.Employer, Title: r.Title, Education: r.Education,
			Occupation: r.Occupation, Employee: r.Employee, Agreement: r.Agreement})
		clear = append(clear, r.IDNumber)
	}
	return out, clear
}

// ToApplication returns the stored shape of the form with every ID number sealed and each fee
// in cents (0 while the fee does not parse). prev, the stored form this one edits (may be nil),
// lets a row whose ID number came back masked — from a view that did not show it in clear —
// keep its sealed number instead of storing the asterisks: a masked value that matches the
// same row, or exactly one row anywhere in prev, keeps that row's sealed number.
func (f Form) ToApplication(s Sealer, prev *models.Application) (models.Application, error) {
	app, people := f.Content()
	var prevIDs []models.PersonID
	var prevStaff, prevAssessors, prevSupervisors []models.PersonID
	if prev != nil {
		prevStaff = personIDs(prev.Staff, func(r models.StaffRow) models.PersonID { return r.ID })
		prevAssessors = personIDs(prev.Assessors, func(r models.ExpertRow) models.PersonID { return r.ID })
		prevSupervisors = personIDs(prev.Supervisors, func(r models.ExpertRow) models.PersonID { return r.ID })
		prevIDs = slices.Concat(prevStaff, prevAssessors, prevSupervisors)
	}
	seal := func(clear string, i int, sameList []models.PersonID) (models.PersonID, error) {
		if strings.Contains(clear, "*") {
			masked := validate.NormalizeIDNumber(clear)
			if i < len(sameList) && sameList[i].Cipher != "" && sameList[i].Masked == masked {
				return sameList[i], nil
			}
			var match []models.PersonID
			for _, p := range prevIDs {
				if p.Cipher != "" && p.Masked == masked {
					match = append(match, p)
				}
			}
			if len(match) == 1 {
				return match[0], nil
			}
		}
		return s.Seal(clear)
	}
	var err error
	for i := range app.Staff {
		if app.Staff[i].ID, err = seal(people.Staff[i], i, prevStaff); err != nil {
			return models.Application{}, err
		}
	}
	for i := range app.Assessors {
		if app.Assessors[i].ID, err = seal(people.Assessors[i], i, prevAssessors); err != nil {
			return models.Application{}, err
		}
	}
	for i := range app.Supervisors {
		if app.Supervisors[i].ID, err = seal(people.Supervisors[i], i, prevSupervisors); err != nil {
			return models.Application{}, err
		}
	}
	if len(app.Occupations) > 0 {
		app.Occupations = slices.Clone(app.Occupations)
		for i := range app.Occupations {
			app.Occupations[i].FeeCents, _ = validate.CheckFee(app.Occupations[i].Fee)
		}
	}
	return app, nil
}

func personIDs[T any](rows []T, id func(T) models.PersonID) []models.PersonID {
	out := make([]models.PersonID, len(rows))
	for i, r := range rows {
		out[i] = id(r)
	}
	return out
}

// FromApplication turns a stored form into the Form shape. With reveal the ID numbers are
// decrypted — only for callers allowed to read personal data — otherwise they are the masked
// forms and o is not used (it may be nil). Empty lists come out as empty, not null, so a client
// can append rows without checking.
func FromApplication(app models.Application, o Opener, reveal bool) (Form, error) {
	f := Form{
		Applicant: app.Applicant, Contact: app.Contact, Rules: nonNil(app.Rules), Occupations: nonNil(app.Occupations),
		Strengths: app.Strengths, Site: app.Site, Equipment: nonNil(app.Equipment), ExamSystem: app.ExamSystem,
		Staff: []StaffRow{}, Assessors: []ExpertRow{}, Supervisors: []ExpertRow{}, Conditions: app.Conditions,
	}
	f.Site.Ownership = nonNil(f.Site.Ownership)
	for i := range f.Conditions {
		f.Conditions[i].Evidence = nonNil(f.Conditions[i].Evidence)
	}
	show := func(p models.PersonID) (string, error) {
		if !reveal {
			return p.Masked, nil
		}
		return o.Open(p)
	}
	for _, s := range app.Staff {
		id, err := show(s.ID)
		if err != nil {
			return Form{}, err
		}
		f.Staff = append(f.Staff, StaffRow{Name: s.Name, IDNumber: id, Title: s.Title, Education: s.Education,
			Duties: s.Duties, Employee: s.Employee, Agreement: nonNil(s.Agreement)})
	}
	for _, list := range []struct {
		from []models.ExpertRow
		to   *[]ExpertRow
	}{{app.Assessors, &f.Assessors}, {app.Supervisors, &f.Supervisors}} {
		for _, r := range list.from {
			id, err := show(r.ID)
			if err != nil {
				return Form{}, err
			}
			*list.to = append(*list.to, ExpertRow{Name: r.Name, IDNumber: id, Employer: r.Employer, Title: r.Title,
				Education: r.Education, Occupation: r.Occupation, Employee: r.Employee, Agreement: nonNil(r.Agreement)})
		}
	}
	return f, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Normalize returns a copy of the form in canonical form: identifiers through their validate
// normalisers (credit code and ID numbers upper-case without spaces, mobile without +86, ...),
// every other text trimmed. The form itself is not changed.
func (f Form) Normalize() Form {
	t := strings.TrimSpace
	n := f
	n.Applicant.Name, n.Applicant.Address = t(f.Applicant.Name), t(f.Applicant.Address)
	n.Applicant.CreditCode = validate.NormalizeCreditCode(f.Applicant.CreditCode)
	n.Contact = models.Contact{Name: t(f.Contact.Name), Post: t(f.Contact.Post),
		Landline: validate.NormalizeLandline(f.Contact.Landline), Mobile: validate.NormalizeMobile(f.Contact.Mobile),
		Email: validate.NormalizeEmail(f.Contact.Email)}
	n.Occupations = slices.Clone(f.Occupations)
	for i, o := range n.Occupations {
		n.Occupations[i].Name, n.Occupations[i].WorkType, n.Occupations[i].Fee = t(o.Name), t(o.WorkType), t(o.Fee)
		n.Occupations[i].Code = validate.NormalizeOccupationCode(o.Code)
	}
	n.Strengths, n.ExamSystem = t(f.Strengths), t(f.ExamSystem)
	n.Site.Description = t(f.Site.Description)
	n.Equipment = slices.Clone(f.Equipment)
	for i, e := range n.Equipment {
		n.Equipment[i] = models.EquipmentRow{Name: t(e.Name), Brand: t(e.Brand), Model: t(e.Model), Quantity: e.Quantity, Ownership: t(e.Ownership)}
	}
	n.Staff = slices.Clone(f.Staff)
	for i, s := range n.Staff {
		n.Staff[i] = StaffRow{Name: t(s.Name), IDNumber: validate.NormalizeIDNumber(s.IDNumber), Title: t(s.Title),
			Education: t(s.Education), Duties: t(s.Duties), Employee: s.Employee, Agreement: s.Agreement}
	}
	n.Assessors, n.Supervisors = normalizeExperts(f.Assessors), normalizeExperts(f.Supervisors)
	for i := range n.Conditions {
		n.Conditions[i].Explanation = t(f.Conditions[i].Explanation)
	}
	return n
}

func normalizeExperts(rows []ExpertRow) []ExpertRow {
	t := strings.TrimSpace
	out := slices.Clone(rows)
	for i, r := range out {
		out[i] = ExpertRow{Name: t(r.Name), IDNumber: validate.NormalizeIDNumber(r.IDNumber), Employer: t(r.Employer),
			Title: t(r.Title), Education: t(r.Education), Occupation: t(r.Occupation), Employee: r.Employee, Agreement: r.Agreement}
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Comparing versions.

// Change is one field that differs between two versions of a form.
type Change struct {
	Field  string `json:"field"`
	Before string `json:"before"`
	After  string `json:"after"`
}

// Diff lists the fields that differ from before to after, in form order, with paths as in
// Form ("staff[1].id_number"). ID numbers are compared by their keyed lookup hash — each seal
// has a fresh nonce, so ciphertexts always differ — and shown masked. An attachment is one
// field (its name shown, its identity and hash compared); level ranges read "五级至三级"; a row
// present on one side only shows each of its fields against "". fee_cents is left out: it
// follows fee.
func Diff(before, after *models.Application) []Change {
	if before == nil {
		before = &models.Application{}
	}
	if after == nil {
		after = &models.Application{}
	}
	b, a := leaves(before), leaves(after)
	type pair struct {
		key           []int
		before, after leaf
	}
	union := map[string]*pair{}
	for _, l := range b {
		union[l.path] = &pair{key: l.key, before: l}
	}
	for _, l := range a {
		if p, ok := union[l.path]; ok {
			p.after = l
		} else {
			union[l.path] = &pair{key: l.key, after: l}
		}
	}
	var out []Change
	var keys [][]int
	for path, p := range union {
		if p.before.compare == p.after.compare {
			continue
		}
		out = append(out, Change{Field: path, Before: p.before.display, After: p.after.display})
		keys = append(keys, p.key)
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(i, j int) int { return slices.Compare(keys[i], keys[j]) })
	sorted := make([]Change, len(out))
	for k, i := range idx {
		sorted[k] = out[i]
	}
	return sorted
}

// leaf is one comparable value of a form.
type leaf struct {
	path, display, compare string
	key                    []int // position in form order
}

var (
	personIDType   = reflect.TypeFor[models.PersonID]()
	attachmentType = reflect.TypeFor[models.AttachmentRef]()
	levelRangeType = reflect.TypeFor[validate.LevelRange]()
)

// leaves flattens a form into its comparable values.
func leaves(app *models.Application) []leaf {
	var out []leaf
	var walk func(v reflect.Value, path string, key []int)
	emit := func(path string, key []int, display, compare string) {
		out = append(out, leaf{path: path, display: display, compare: compare, key: slices.Clone(key)})
	}
	walk = func(v reflect.Value, path string, key []int) {
		switch v.Type() {
		case personIDType:
			p := v.Interface().(models.PersonID)
			cmp := p.Lookup
			if cmp == "" {
				cmp = p.Masked
			}
			emit(path, key, p.Masked, cmp)
			return
		case attachmentType:
			r := v.Interface().(models.AttachmentRef)
			emit(path, key, r.Name, r.ID+"|"+r.SHA256)
			return
		case levelRangeType:
			r := v.Interface().(validate.LevelRange)
			s := ""
			if r.Validate() == nil {
				s = r.String()
			} else if !r.IsZero() {
				s = fmt.Sprintf("%d-%d", int(r.Low), int(r.High))
			}
			emit(path, key, s, s)
			return
		}
		switch v.Kind() {
		case reflect.Struct:
			t := v.Type()
			for i := 0; i < t.NumField(); i++ {
				sf := t.Field(i)
				name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
				if name == "-" || name == "fee_cents" || !sf.IsExported() {
					continue
				}
				if name == "" {
					name = sf.Name
				}
				if sf.Type == personIDType {
					name = "id_number" // the Form's name for it, as in validation errors
				}
				p := name
				if path != "" {
					p = path + "." + name
				}
				walk(v.Field(i), p, append(key, i))
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i), append(key, i))
			}
		case reflect.String:
			emit(path, key, v.String(), v.String())
		case reflect.Bool:
			s := "否"
			if v.Bool() {
				s = "是"
			}
			emit(path, key, s, s)
		case reflect.Int, reflect.Int64, reflect.Int32:
			s := strconv.FormatInt(v.Int(), 10)
			emit(path, key, s, s)
		}
	}
	walk(reflect.ValueOf(*app), "", nil)
	return out
}
