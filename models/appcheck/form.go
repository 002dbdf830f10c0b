package appcheck

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"skillcert/models"
	"skillcert/models/validate"
)

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
	f.Site.EquipmentOwnership = nonNil(f.Site.EquipmentOwnership)
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
