package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"skillcert/api"
	"skillcert/domain"
	"skillcert/models"
	"skillcert/models/appcheck"
	"skillcert/models/validate"
	"skillcert/service"
)

// appMode is what a post of the application form asks for.
type appMode int

const (
	modeDraft  appMode = iota // save the draft (also: add or remove a row or a file)
	modeUpload                // save the draft with the chosen files uploaded
	modeSubmit                // save the draft, then submit it
)

// chineseNumerals number the basic conditions; fieldLabel names the form's fields
// (domain.FormFieldLabel).
var chineseNumerals = domain.ChineseNumerals

func fieldLabel(path string) string { return domain.FormFieldLabel(path) }

// reviewFields are the parts of the form a reviewer can tie a reason to, in form order.
func reviewFields() []string {
	out := []string{"applicant.name", "applicant.address", "applicant.credit_code", "contact.name", "contact.post", "contact.landline",
		"contact.mobile", "contact.email", "rules", "occupations", "strengths", "site.description", "site.ownership", "site.equipment_ownership", "equipment",
		"exam_system", "staff", "assessors", "supervisors"}
	for i := range models.ConditionTitles {
		out = append(out, fmt.Sprintf("conditions[%d].explanation", i), fmt.Sprintf("conditions[%d].evidence", i))
	}
	return out
}

func reviewFieldChoices(selected string) []choice {
	out := []choice{{Value: "", Label: "请选择（或整体意见）", Selected: selected == ""}}
	for _, f := range reviewFields() {
		out = append(out, choice{Value: f, Label: fieldLabel(f), Selected: f == selected})
	}
	return out
}

// appRead is an application form laid out for reading.
type appRead struct {
	Source                                           string
	Masked                                           bool
	Applicant                                        models.Applicant
	Contact                                          models.Contact
	Occupations                                      []occRead
	Strengths, Site, ExamSystem                      string
	Equipment                                        []models.EquipmentRow
	Staff                                            []appcheck.StaffRow
	Assessors, Supervisors                           []appcheck.ExpertRow
	Conditions                                       []condRead
	Rules, Ownership, EquipmentOwnership, Agreements []attLink
	PrintHref, CompareHref, VersionNo                string
}

type occRead struct{ Name, Code, WorkType, Fee, Levels string }

type condRead struct {
	No, Title, Explanation string
	Evidence               []attLink
}

func links(label string, refs []models.AttachmentRef) []attLink {
	out := make([]attLink, 0, len(refs))
	for _, r := range refs {
		out = append(out, attLink{Label: label, Name: r.Name, Href: attachmentHref(r.ID)})
	}
	return out
}

// readApplication lays out a form (as ApplicationView gave it: ID numbers masked or not).
func readApplication(f appcheck.Form, av service.ApplicationView) *appRead {
	r := &appRead{Masked: av.IDsMasked, Applicant: f.Applicant, Contact: f.Contact, Strengths: f.Strengths, Site: f.Site.Description,
		ExamSystem: f.ExamSystem, Equipment: f.Equipment, Staff: f.Staff, Assessors: f.Assessors, Supervisors: f.Supervisors,
		Rules: links("规章制度", f.Rules), Ownership: links("场地权属证明", f.Site.Ownership),
		EquipmentOwnership: links("设施设备权属证明", f.Site.EquipmentOwnership),
		PrintHref:          "/applications/" + url.PathEscape(av.ID) + "/print"}
	switch av.FormSource {
	case "version":
		r.Source = fmt.Sprintf("第 %d 版", av.FormVersion)
		r.VersionNo = strconv.Itoa(av.FormVersion)
		if av.FormVersion > 1 {
			r.CompareHref = "/applications/" + url.PathEscape(av.ID) + "/compare"
		}
	case "draft":
		r.Source = fmt.Sprintf("草稿，第 %d 稿", av.DraftVersion) // shown inside 申报表（…）
	}
	for _, o := range f.Occupations {
		r.Occupations = append(r.Occupations, occRead{Name: o.Name, Code: o.Code, WorkType: o.WorkType, Fee: o.Fee, Levels: levelText(o.Levels)})
	}
	for i, s := range f.Staff {
		r.Agreements = append(r.Agreements, links(fmt.Sprintf("专职工作人员第%d行（%s）服务承诺书或合作协议", i+1, s.Name), s.Agreement)...)
	}
	for _, list := range []struct {
		label string
		rows  []appcheck.ExpertRow
	}{{"考评人员", f.Assessors}, {"督导人员", f.Supervisors}} {
		for i, x := range list.rows {
			r.Agreements = append(r.Agreements, links(fmt.Sprintf("%s第%d行（%s）服务承诺书或合作协议", list.label, i+1, x.Name), x.Agreement)...)
		}
	}
	for i, cnd := range f.Conditions {
		r.Conditions = append(r.Conditions, condRead{No: chineseNumerals[i], Title: models.ConditionTitles[i], Explanation: cnd.Explanation,
			Evidence: links(fmt.Sprintf("基本条件（%s）佐证材料", chineseNumerals[i]), cnd.Evidence)})
	}
	return r
}

// allAttachments lists every attachment the form cites.
func (r *appRead) allAttachments() []attLink {
	out := append(append([]attLink{}, r.Rules...), r.Ownership...)
	out = append(out, r.Agreements...)
	for _, c := range r.Conditions {
		out = append(out, c.Evidence...)
	}
	return out
}

// appFormView is p_application.html's data.
type appFormView struct {
	pageView
	AppID, StatusName, Updated string
	DraftVersion               int
	Editable                   bool
	Read                       *appRead
	Sections                   []formSection
	ErrorSummary               []errorLink
	ErrorTitle                 string
	Reviews                    []string
	ReturnedAt                 string
	HasWarnings                bool
}

type formSection struct {
	ID, Title, Intro string
	Items            []formItem
}

type formItem struct {
	Field *formField
	Slot  *attachSlot
	List  *rowList
	Group *formGroup
}

type formGroup struct {
	ID, Legend string
	Fields     []formField
	Slot       *attachSlot
	Reviews    []string
}

type rowList struct {
	Name, ID, Title, Hint, RowTitle string
	Rows                            []formRow
	Errors, Reviews                 []string
}

type formRow struct {
	ID, Legend, Remove string
	Fields             []formField
	Slot               *attachSlot
	Errors             []string
}

type attachSlot struct {
	Path, ID, Label, Hint, FileName string
	Refs                            []slotRef
	Errors, Reviews                 []string
}

type slotRef struct{ Prefix, ID, Name, SHA256, Href, Remove string }

// appPurpose is the attachment purpose of an upload slot of the form.
func appPurpose(slot string) string {
	switch {
	case slot == "rules":
		return models.PurposeRules
	case slot == "site.ownership":
		return models.PurposeSite
	case slot == "site.equipment_ownership":
		return models.PurposeEquipment
	case strings.HasSuffix(slot, ".agreement"):
		return models.PurposeAgreement
	case strings.HasPrefix(slot, "conditions["):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(slot, "conditions["), "].evidence"))
		if err == nil && n >= 0 && n < len(models.ConditionTitles) {
			return models.ConditionPurpose(n + 1)
		}
	}
	return ""
}

// applicationPage shows the enterprise's application: the form while it may be edited, the
// submitted form otherwise.
func (p *Pages) applicationPage(c *gin.Context) error {
	a := api.ActorFrom(c)
	if a.User.Role != models.RoleEnterpriseUser {
		return service.ErrNoEnterprise
	}
	av, err := p.svc.MyApplication(c.Request.Context(), a)
	if err != nil {
		return err
	}
	var form appcheck.Form
	if av.Form != nil {
		form = *av.Form
	}
	warnings := newFieldBag()
	warnings.addAll(av.Warnings)
	v := p.applicationFormView(&av, form, nil, warnings, c.Query("add"))
	return p.show(c, http.StatusOK, "p_application", v)
}

// applicationFormView lays out the form with its errors (submission), warnings (faults typed
// so far) and the reviewer's reasons of the latest return.
func (p *Pages) applicationFormView(av *service.ApplicationView, form appcheck.Form, errs validate.Errors, warnings *fieldBag, add string) *appFormView {
	v := &appFormView{pageView: pageView{pageData: pageData{Title: "申报表"}}, AppID: av.ID, StatusName: av.StatusName,
		DraftVersion: av.DraftVersion, Editable: av.Editable, Updated: p.when(av.UpdatedAt), HasWarnings: len(av.Warnings) > 0}
	if !av.Editable {
		if av.Form != nil {
			v.Read = readApplication(*av.Form, *av)
		}
		return v
	}
	reviews := newFieldBag()
	if av.Return != nil && av.Status == models.ApplicationReturned {
		v.ReturnedAt = p.when(av.Return.ReturnedAt)
		for _, r := range av.Return.Reasons {
			reviews.add(r.Field, r.Message)
		}
	}
	eb := newFieldBag()
	eb.addAll(errs)
	b := &formBuilder{errs: eb, warns: warnings, reviews: reviews, known: map[string]bool{}}
	v.Sections = b.sections(form, add)
	v.Reviews = reviews.rest()
	if len(errs) > 0 {
		v.ErrorTitle = fmt.Sprintf("申报表有 %d 处需要修改，未能提交；草稿已保存。", len(errs))
		v.ErrorSummary = summaryLinks(errs, b.known)
		eb.rest()
	}
	return v
}

// formBuilder lays out the form's fields and takes each field's messages from the bags.
type formBuilder struct {
	errs, warns, reviews *fieldBag
	known                map[string]bool
}

func (b *formBuilder) field(path, label, kind, value string) formField {
	f := formField{Name: path, ID: fieldID(path), Label: label, Kind: kind, Value: value,
		Errors: b.errs.take(path), Warnings: b.warns.take(path), Reviews: b.reviews.take(path)}
	if kind == "textarea" {
		f.Rows, f.Wide = 5, true
	}
	b.known[f.ID] = true
	return f
}

func (b *formBuilder) slot(path, label, hint string, refs []models.AttachmentRef) *attachSlot {
	s := &attachSlot{Path: path, ID: fieldID(path), Label: label, Hint: hint, FileName: "file:" + path,
		Errors: b.errs.takeUnder(path), Reviews: b.reviews.takeUnder(path)}
	b.warns.takeUnder(path)
	for i, r := range refs {
		prefix := fmt.Sprintf("%s[%d]", path, i)
		s.Refs = append(s.Refs, slotRef{Prefix: prefix, ID: r.ID, Name: r.Name, SHA256: r.SHA256, Href: attachmentHref(r.ID), Remove: prefix})
	}
	b.known[s.ID] = true
	return s
}

func (b *formBuilder) list(name, title, rowTitle, hint string) *rowList {
	l := &rowList{Name: name, ID: fieldID(name), Title: title, RowTitle: rowTitle, Hint: hint}
	b.known[l.ID] = true
	return l
}

// rowsToShow is how many rows a list shows: its rows, at least one, one more when asked.
func rowsToShow(n int, name, add string) int {
	if n == 0 || add == name {
		return n + 1
	}
	return n
}

func (b *formBuilder) sections(f appcheck.Form, add string) []formSection {
	text := func(path, label, value string) formItem {
		x := b.field(path, label, "text", value)
		return formItem{Field: &x}
	}
	with := func(it formItem, mod func(*formField)) formItem { mod(it.Field); return it }
	area := func(path, label, value string) formItem {
		x := b.field(path, label, "textarea", value)
		return formItem{Field: &x}
	}

	s1 := formSection{ID: "sec-applicant", Title: "一、申报单位基本情况", Items: []formItem{
		with(text("applicant.name", "单位名称", f.Applicant.Name), func(x *formField) { x.Required, x.Autocomplete = true, "organization" }),
		with(text("applicant.address", "单位地址", f.Applicant.Address), func(x *formField) { x.Required, x.Wide = true, true }),
		with(text("applicant.credit_code", "统一社会信用代码", f.Applicant.CreditCode), func(x *formField) {
			x.Required, x.MaxLength, x.Hint = true, "18", "18位，如 91150105MA0N00001B。"
		}),
		with(text("contact.name", "联系人姓名", f.Contact.Name), func(x *formField) { x.Required, x.Autocomplete = true, "name" }),
		with(text("contact.post", "联系人职务", f.Contact.Post), func(x *formField) { x.Required = true }),
		with(text("contact.landline", "固定电话", f.Contact.Landline), func(x *formField) {
			x.Kind, x.Required, x.Hint, x.Autocomplete = "tel", true, "区号加号码，如 (0471)6606214。", "tel"
		}),
		with(text("contact.mobile", "手机", f.Contact.Mobile), func(x *formField) {
			x.Kind, x.Required, x.InputMode, x.Autocomplete = "tel", true, "numeric", "tel"
		}),
		with(text("contact.email", "电子邮箱", f.Contact.Email), func(x *formField) { x.Kind, x.Required, x.Autocomplete = "email", true, "email" }),
		{Slot: b.slot("rules", "规章制度（附件）", "上传本单位培训、评价、使用、激励和人力资源管理相关制度文件。", f.Rules)},
	}}

	occ := b.list("occupations", "申报职业（工种）", "申报职业", "每个职业（工种）一行；职业编码按《职业分类大典》填写，如 6-31-01-03。")
	for i := 0; i < rowsToShow(len(f.Occupations), "occupations", add); i++ {
		var o models.OccupationRow
		if i < len(f.Occupations) {
			o = f.Occupations[i]
		}
		p := fmt.Sprintf("occupations[%d]", i)
		name := b.field(p+".name", "职业（工种）名称", "text", o.Name)
		code := b.field(p+".code", "职业编码", "text", o.Code)
		code.Hint = "格式 M-MM-MM-MM"
		work := b.field(p+".work_type", "工种（可选）", "text", o.WorkType)
		fee := b.field(p+".fee", "收费标准（元）", "text", o.Fee)
		fee.InputMode, fee.Hint = "decimal", "不收费请填 0"
		low := b.field(p+".levels", "申报等级：从", "select", "")
		low.Name, low.Options = p+".levels.low", levelOptions(o.Levels.Low)
		high := b.field(p+".levels.high", "至", "select", "")
		high.Options = levelOptions(o.Levels.High)
		occ.Rows = append(occ.Rows, formRow{ID: fieldID(p), Legend: fmt.Sprintf("申报职业第%d行", i+1), Remove: p,
			Fields: []formField{name, code, work, fee, low, high}, Errors: b.errs.takeUnder(p)})
		b.known[fieldID(p)] = true
	}
	occ.Errors, occ.Reviews = b.errs.takeUnder("occupations"), b.reviews.takeUnder("occupations")
	s2 := formSection{ID: "sec-occupations", Title: "二、申报职业（工种）", Items: []formItem{{List: occ}}}

	s3 := formSection{ID: "sec-strengths", Title: "三、组织和专业优势", Items: []formItem{area("strengths", "组织和专业优势", f.Strengths)}}

	eq := b.list("equipment", "设备设施", "设备设施", "名称、品牌、规格型号、数量和权属（自有、租赁等）。")
	for i := 0; i < rowsToShow(len(f.Equipment), "equipment", add); i++ {
		var e models.EquipmentRow
		if i < len(f.Equipment) {
			e = f.Equipment[i]
		}
		p := fmt.Sprintf("equipment[%d]", i)
		qty := ""
		if e.Quantity != 0 {
			qty = strconv.Itoa(e.Quantity)
		}
		quantity := b.field(p+".quantity", "数量", "number", qty)
		quantity.Min, quantity.InputMode = "1", "numeric"
		eq.Rows = append(eq.Rows, formRow{ID: fieldID(p), Legend: fmt.Sprintf("设备设施第%d行", i+1), Remove: p, Fields: []formField{
			b.field(p+".name", "名称", "text", e.Name), b.field(p+".brand", "品牌", "text", e.Brand), b.field(p+".model", "规格型号", "text", e.Model),
			quantity, b.field(p+".ownership", "权属", "text", e.Ownership)}, Errors: b.errs.takeUnder(p)})
		b.known[fieldID(p)] = true
	}
	eq.Errors, eq.Reviews = b.errs.takeUnder("equipment"), b.reviews.takeUnder("equipment")
	s4 := formSection{ID: "sec-site", Title: "四、场地和设备设施", Items: []formItem{
		area("site.description", "场地情况", f.Site.Description),
		{Slot: b.slot("site.ownership", "场地权属证明（附件）", "产权证明或租赁合同。", f.Site.Ownership)},
		{List: eq},
		{Slot: b.slot("site.equipment_ownership", "设施设备权属证明（附件）", "设施设备的购置发票、产权证明或租赁合同等（附件1：设施设备权属证明材料另附）。", f.Site.EquipmentOwnership)},
		area("exam_system", "计算机考务管理及视频监控设备配置情况", f.ExamSystem),
	}}

	const peopleHint = "身份证号填写18位公民身份号码（末位可为 X）；非本单位人员须上传签订的服务承诺书或合作协议。"
	staff := b.list("staff", "专职工作人员", "专职工作人员", peopleHint)
	for i := 0; i < rowsToShow(len(f.Staff), "staff", add); i++ {
		s := appcheck.StaffRow{Employee: true}
		if i < len(f.Staff) {
			s = f.Staff[i]
		}
		p := fmt.Sprintf("staff[%d]", i)
		staff.Rows = append(staff.Rows, b.personRow(p, fmt.Sprintf("专职工作人员第%d行", i+1), []formField{
			b.field(p+".name", "姓名", "text", s.Name), b.idField(p, s.IDNumber), b.field(p+".title", "职务/职称", "text", s.Title),
			b.field(p+".education", "学历", "text", s.Education), b.field(p+".duties", "主要职责", "text", s.Duties),
		}, s.Employee, s.Agreement))
	}
	staff.Errors, staff.Reviews = b.errs.takeUnder("staff"), b.reviews.takeUnder("staff")
	experts := func(list, title, occLabel string, rows []appcheck.ExpertRow) *rowList {
		l := b.list(list, title, title, peopleHint)
		for i := 0; i < rowsToShow(len(rows), list, add); i++ {
			x := appcheck.ExpertRow{Employee: true}
			if i < len(rows) {
				x = rows[i]
			}
			p := fmt.Sprintf("%s[%d]", list, i)
			l.Rows = append(l.Rows, b.personRow(p, fmt.Sprintf("%s第%d行", title, i+1), []formField{
				b.field(p+".name", "姓名", "text", x.Name), b.idField(p, x.IDNumber), b.field(p+".employer", "工作单位", "text", x.Employer),
				b.field(p+".title", "职务/职称/技能等级", "text", x.Title), b.field(p+".education", "学历", "text", x.Education),
				b.field(p+".occupation", occLabel, "text", x.Occupation),
			}, x.Employee, x.Agreement))
		}
		l.Errors, l.Reviews = b.errs.takeUnder(list), b.reviews.takeUnder(list)
		return l
	}
	s5 := formSection{ID: "sec-people", Title: "五、人员情况", Items: []formItem{{List: staff},
		{List: experts("assessors", "考评人员", "评价职业（工种）", f.Assessors)},
		{List: experts("supervisors", "督导人员", "督导职业（工种）", f.Supervisors)}}}

	s6 := formSection{ID: "sec-conditions", Title: "六、基本条件及佐证材料", Intro: "逐条说明符合情况，并上传佐证材料。"}
	for i, title := range models.ConditionTitles {
		p := fmt.Sprintf("conditions[%d]", i)
		g := &formGroup{ID: fieldID(p), Legend: "（" + chineseNumerals[i] + "）" + title,
			Fields: []formField{b.field(p+".explanation", "情况说明", "textarea", f.Conditions[i].Explanation)},
			Slot:   b.slot(p+".evidence", "佐证材料", "", f.Conditions[i].Evidence), Reviews: b.reviews.takeUnder(p)}
		b.known[g.ID] = true
		s6.Items = append(s6.Items, formItem{Group: g})
	}
	return []formSection{s1, s2, s3, s4, s5, s6}
}

func (b *formBuilder) idField(row, value string) formField {
	f := b.field(row+".id_number", "身份证号", "text", value)
	f.MaxLength, f.Autocomplete = "18", "off"
	return f
}

func (b *formBuilder) personRow(p, legend string, fields []formField, employee bool, agreement []models.AttachmentRef) formRow {
	emp := b.field(p+".employee", "本单位职工", "checkbox", "on")
	emp.Checked = employee
	b.known[fieldID(p)] = true
	return formRow{ID: fieldID(p), Legend: legend, Remove: p, Fields: append(fields, emp),
		Slot:   b.slot(p+".agreement", "服务承诺书或合作协议（非本单位人员）", "", agreement),
		Errors: b.errs.takeUnder(p)}
}
