// Package exports renders the documents officials print and file: the application form
// (附件1) of one enterprise and the league and region summary tables (附件2), as XLSX laid
// out like the paper forms. Generators are pure functions of their input: they read no
// database and no clock, so the same input always gives the same cells.
package exports

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"skillcert/models"
)

// ApplicationTitle is the title of 附件1, as the notice prints it.
const ApplicationTitle = "职业技能等级认定试点企业申报表"

// The notes 附件1 prints under its site and equipment part and its people part.
const (
	EquipmentProofNote = "注：设施设备、场地权属证明材料另附。"
	NonEmployeeNote    = "注：非本单位人员须签订服务承诺书或合作协议，并作为附件另附。"
)

// AdditionsTitle heads what the export adds to the form (申报等级, 所属地区, the attached files
// and the 7 basic conditions), kept apart from the form's own parts.
const AdditionsTitle = "附：系统补充信息（以下内容不属于申报表原表）"

// ApplicationSheet is the name of the application form's worksheet.
const ApplicationSheet = "申报表"

// chinaTime is Beijing time. China has kept UTC+8 without daylight saving since 1991, so a
// fixed zone is exact and needs no time zone database.
var chinaTime = time.FixedZone("CST", 8*60*60)

// ApplicationMeta is what the form shows besides the application content.
type ApplicationMeta struct {
	// ApplicationID identifies the application (shown in the page footer for reference).
	ApplicationID string
	// Version is the submitted version shown; 0 means the working draft.
	Version int
	// SubmittedAt is when Version was submitted; zero for a draft.
	SubmittedAt time.Time
	// Jurisdiction is the name of the enterprise's jurisdiction, e.g. 呼和浩特市赛罕区.
	Jurisdiction string
	// Location is the time zone dates are shown in; nil means Beijing time.
	Location *time.Location
	// IDNumbers maps a person's encrypted ID (PersonID.Cipher) to the number in clear. It is set
	// only for copies made for a role that may read personal data (the copy the region files);
	// without it every ID number is printed masked.
	IDNumbers map[string]string
}

// Draft reports whether the meta describes an unsubmitted working copy.
func (m ApplicationMeta) Draft() bool { return m.Version == 0 }

// Form is an application laid out as 附件1 shows it: every value already turned into the text
// printed, ID numbers masked. The XLSX export and the printable page both render a Form, so
// they cannot disagree about what an application says.
type Form struct {
	Title     string
	Applicant models.Applicant
	// Jurisdiction is where the enterprise is registered, the bureau it applies through.
	Jurisdiction string
	Contact      models.Contact
	CreditNote   string   // set when a region official accepted a code failing its check character
	Rules        []string // names of the rules and regulations documents
	// Status is the line under the title: the submission date and version, or that it is a draft.
	Status          string
	Occupations     []FormOccupation
	Strengths       string
	SiteDescription string
	SiteOwnership   []string
	// EquipmentOwnership names the ownership proofs of the facilities and equipment.
	EquipmentOwnership []string
	Equipment          []FormEquipment
	ExamSystem         string
	Staff              []FormStaff
	Assessors          []FormExpert
	Supervisors        []FormExpert
	// Agreements lists, for each person who is not an employee, who they are and the names of
	// their signed commitment or cooperation agreement.
	Agreements []string
	Conditions []FormCondition
	Reference  string // application ID and version, for the page footer
	// FullIDs reports that ID numbers are printed in full (ApplicationMeta.IDNumbers); IDNote says
	// which, for the additions.
	FullIDs bool
	IDNote  string
	// Notes printed by the form itself.
	EquipmentProofNote, NonEmployeeNote, AdditionsTitle string
}

// FormOccupation is one row of the occupations table.
type FormOccupation struct {
	No                      int
	Name, Code, Fee, Levels string
}

// FormEquipment is one row of the equipment table.
type FormEquipment struct {
	No                                      int
	Name, Brand, Model, Quantity, Ownership string
}

// FormStaff is one row of the full-time staff table. ID is the ID number in full or masked
// (ApplicationMeta.IDNumbers).
type FormStaff struct {
	No                                 int
	Name, ID, Title, Education, Duties string
}

// FormExpert is one row of the assessor or supervisor table.
type FormExpert struct {
	No                                               int
	Name, ID, Employer, Title, Education, Occupation string
}

// ExpertTable is the assessor or the supervisor table with its titles.
type ExpertTable struct {
	Title            string // （二）考评人员
	OccupationHeader string // 考评职业（工种）
	Rows             []FormExpert
}

// FormStaffTitle is the heading of the full-time staff table.
const FormStaffTitle = "（一）专职工作人员"

// ExpertTables returns the assessor and supervisor tables in the form's order.
func (f Form) ExpertTables() []ExpertTable {
	return []ExpertTable{
		{"（二）考评人员", "考评职业（工种）", f.Assessors},
		{"（三）督导人员", "督导职业（工种）", f.Supervisors},
	}
}

// FormCondition is one of the 7 basic conditions with its explanation and evidence.
type FormCondition struct {
	No          string // （一） to （七）
	Title       string
	Explanation string
	Evidence    []string
}

var chineseNumerals = [...]string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}

// NewForm lays out app for printing.
func NewForm(app models.Application, meta ApplicationMeta) Form {
	f := Form{
		Title:           ApplicationTitle,
		Applicant:       app.Applicant,
		Jurisdiction:    meta.Jurisdiction,
		Contact:         app.Contact,
		Rules:           refNames(app.Rules),
		Strengths:       app.Strengths,
		SiteDescription: app.Site.Description,
		SiteOwnership:   refNames(app.Site.Ownership),
		ExamSystem:      app.ExamSystem,

		EquipmentOwnership: refNames(app.Site.EquipmentOwnership),
		EquipmentProofNote: EquipmentProofNote, NonEmployeeNote: NonEmployeeNote, AdditionsTitle: AdditionsTitle,
		FullIDs: meta.IDNumbers != nil,
		IDNote:  "身份证号已按规定脱敏（保留前6位和后4位）",
	}
	if f.FullIDs {
		f.IDNote = "身份证号完整显示（供有权查阅个人信息的人员存档，注意保密）"
	}
	idText := func(p models.PersonID) string {
		if n, ok := meta.IDNumbers[p.Cipher]; ok && p.Cipher != "" {
			return n
		}
		return p.Masked
	}
	if app.Applicant.CreditCodeOverride {
		f.CreditNote = "（校验位未通过，经自治区人社厅核准）"
	}
	if meta.Draft() {
		f.Status = "草稿，尚未提交"
	} else {
		f.Status = "提交日期：" + DateText(meta.SubmittedAt, meta.Location) + "（第" + strconv.Itoa(meta.Version) + "版）"
	}
	if meta.ApplicationID != "" {
		f.Reference = "申报编号：" + meta.ApplicationID
		if !meta.Draft() {
			f.Reference += "，第" + strconv.Itoa(meta.Version) + "版"
		}
	}
	for i, o := range app.Occupations {
		f.Occupations = append(f.Occupations, FormOccupation{No: i + 1, Name: OccupationName(o), Code: o.Code,
			Fee: FeeText(o), Levels: levelsText(o)})
	}
	for i, e := range app.Equipment {
		q := ""
		if e.Quantity != 0 {
			q = strconv.Itoa(e.Quantity)
		}
		f.Equipment = append(f.Equipment, FormEquipment{No: i + 1, Name: e.Name, Brand: e.Brand, Model: e.Model,
			Quantity: q, Ownership: e.Ownership})
	}
	for i, p := range app.Staff {
		f.Staff = append(f.Staff, FormStaff{No: i + 1, Name: p.Name, ID: idText(p.ID), Title: p.Title,
			Education: p.Education, Duties: p.Duties})
		if !p.Employee {
			f.Agreements = append(f.Agreements, agreementLine(p.Name, "专职工作人员", p.Agreement))
		}
	}
	experts := func(rows []models.ExpertRow, role string) []FormExpert {
		var out []FormExpert
		for i, p := range rows {
			out = append(out, FormExpert{No: i + 1, Name: p.Name, ID: idText(p.ID), Employer: p.Employer,
				Title: p.Title, Education: p.Education, Occupation: p.Occupation})
			if !p.Employee {
				f.Agreements = append(f.Agreements, agreementLine(p.Name, role, p.Agreement))
			}
		}
		return out
	}
	f.Assessors = experts(app.Assessors, "考评人员")
	f.Supervisors = experts(app.Supervisors, "督导人员")
	for i, title := range models.ConditionTitles {
		c := app.Conditions[i]
		f.Conditions = append(f.Conditions, FormCondition{No: "（" + chineseNumerals[i] + "）", Title: title,
			Explanation: c.Explanation, Evidence: refNames(c.Evidence)})
	}
	return f
}

func agreementLine(name, role string, refs []models.AttachmentRef) string {
	files := strings.Join(refNames(refs), "、")
	if files == "" {
		files = "未上传"
	}
	return name + "（" + role + "，非本单位人员）：" + files
}

func refNames(refs []models.AttachmentRef) []string {
	var out []string
	for _, r := range refs {
		if r.Name != "" {
			out = append(out, r.Name)
		}
	}
	return out
}

// OccupationName is an occupation as the forms print it: the occupation, followed by the 工种
// in parentheses where the standard divides it.
func OccupationName(o models.OccupationRow) string {
	if o.WorkType != "" && o.WorkType != o.Name {
		return o.Name + "（" + o.WorkType + "）"
	}
	return o.Name
}

// FeeText is the fee standard in yuan as entered, or formatted from cents when only those are
// known.
func FeeText(o models.OccupationRow) string {
	if o.Fee != "" {
		return o.Fee
	}
	if o.FeeCents == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%02d", o.FeeCents/100, o.FeeCents%100)
}

func levelsText(o models.OccupationRow) string {
	if o.Levels.IsZero() {
		return ""
	}
	return o.Levels.String()
}

// DateText writes a date the way the forms do, 2026年5月20日, in loc (Beijing time if nil);
// a zero time leaves the blanks of a paper form.
func DateText(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "　　年　　月　　日"
	}
	if loc == nil {
		loc = chinaTime
	}
	return t.In(loc).Format("2006年1月2日")
}

// ApplicationXLSX renders app as 附件1: one A4 portrait sheet, fitted to the page width, with
// the title, the five sections of the form and the 7 basic conditions with their evidence.
func ApplicationXLSX(app models.Application, meta ApplicationMeta) ([]byte, error) {
	form := NewForm(app, meta)
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", ApplicationSheet); err != nil {
		return nil, err
	}
	w, err := newSheetWriter(f, ApplicationSheet, applicationColumns)
	if err != nil {
		return nil, err
	}
	writeApplication(w, form)
	if w.err != nil {
		return nil, w.err
	}
	footer := "&C第 &P 页，共 &N 页"
	if form.Reference != "" {
		footer = "&L" + escapeHeaderFooter(form.Reference) + footer
	}
	if err := setPrint(f, ApplicationSheet, footer, ""); err != nil {
		return nil, err
	}
	_ = f.SetDocProps(&excelize.DocProperties{Title: ApplicationTitle, Subject: form.Applicant.Name, Language: "zh-CN"})
	return finish(f)
}

// applicationColumns are the widths of A to H. Every table of the form is laid over these
// eight columns by merging, so all tables line up and the sheet prints one page wide.
var applicationColumns = []float64{6, 12, 12, 12, 12, 12, 12, 14}

// writeApplication lays out 附件1 as the notice prints it — title, the five parts with the
// form's labels, the (一)(二)(三) people tables and the form's two notes — and then, under
// AdditionsTitle and apart from the form, what the export adds.
func writeApplication(w *sheetWriter, form Form) {
	w.row = 1
	w.mergedRow(form.Title, w.st.title, 36)
	w.cells(18, cell{"A", "E", "申报单位（盖章）：" + form.Applicant.Name, w.st.note}, cell{"F", "H", form.Status, w.st.noteRight})

	w.section("一、申报单位基本情况")
	w.labelRow("单位名称", form.Applicant.Name)
	w.labelRow("单位地址", form.Applicant.Address)
	w.labelRow("统一社会信用代码", form.Applicant.CreditCode+form.CreditNote)
	w.pairRow("联系人", form.Contact.Name, "职务", form.Contact.Post)
	w.pairRow("座机", form.Contact.Landline, "手机", form.Contact.Mobile)
	w.labelRow("电子邮箱", form.Contact.Email)
	w.labelRow("规章制度", attachedText(form.Rules))

	w.section("二、申报职业（工种）")
	occ := []span{{"A", "A"}, {"B", "D"}, {"E", "F"}, {"G", "H"}}
	w.tableHeader(occ, "序号", "职业（工种）名称", "职业编码", "收费标准（元）")
	for _, o := range form.Occupations {
		w.tableRow(occ, strconv.Itoa(o.No), o.Name, o.Code, o.Fee)
	}
	if len(form.Occupations) == 0 {
		w.emptyRow()
	}

	w.section("三、组织和专业优势")
	w.textBlock(form.Strengths)

	w.section("四、场地和设备设施")
	w.labelRow("场地情况", form.SiteDescription)
	w.subsection("设备设施")
	eq := []span{{"A", "A"}, {"B", "C"}, {"D", "D"}, {"E", "F"}, {"G", "G"}, {"H", "H"}}
	w.tableHeader(eq, "序号", "名称", "品牌", "规格型号", "数量", "所有权归属")
	for _, e := range form.Equipment {
		w.tableRow(eq, strconv.Itoa(e.No), e.Name, e.Brand, e.Model, e.Quantity, e.Ownership)
	}
	if len(form.Equipment) == 0 {
		w.emptyRow()
	}
	w.labelRow("计算机考务管理及视频监控设备配置情况", form.ExamSystem)
	w.mergedRow(form.EquipmentProofNote, w.st.text, 20)

	w.section("五、人员情况")
	w.mergedRow(form.NonEmployeeNote, w.st.text, 20)
	w.subsection(FormStaffTitle)
	staff := []span{{"A", "A"}, {"B", "B"}, {"C", "D"}, {"E", "E"}, {"F", "F"}, {"G", "H"}}
	w.tableHeader(staff, "序号", "姓名", "身份证号", "职务/职称", "学历", "主要职责")
	for _, p := range form.Staff {
		w.tableRow(staff, strconv.Itoa(p.No), p.Name, p.ID, p.Title, p.Education, p.Duties)
	}
	if len(form.Staff) == 0 {
		w.emptyRow()
	}
	expert := []span{{"A", "A"}, {"B", "B"}, {"C", "D"}, {"E", "E"}, {"F", "F"}, {"G", "G"}, {"H", "H"}}
	for _, table := range form.ExpertTables() {
		w.subsection(table.Title)
		w.tableHeader(expert, "序号", "姓名", "身份证号", "所在单位", "职务/职称/技能等级", "学历", table.OccupationHeader)
		for _, p := range table.Rows {
			w.tableRow(expert, strconv.Itoa(p.No), p.Name, p.ID, p.Employer, p.Title, p.Education, p.Occupation)
		}
		if len(table.Rows) == 0 {
			w.emptyRow()
		}
	}

	// What the export adds, after a blank line and under its own heading.
	w.row++
	w.section(form.AdditionsTitle)
	w.labelRow("所属地区", form.Jurisdiction)
	w.labelRow("身份证号", form.IDNote)
	w.subsection("申报等级")
	lv := []span{{"A", "A"}, {"B", "E"}, {"F", "H"}}
	w.tableHeader(lv, "序号", "职业（工种）名称", "申报等级")
	for _, o := range form.Occupations {
		w.tableRow(lv, strconv.Itoa(o.No), o.Name, o.Levels)
	}
	if len(form.Occupations) == 0 {
		w.emptyRow()
	}
	w.subsection("另附材料")
	w.labelRow("场地权属证明", lines(form.SiteOwnership))
	w.labelRow("设施设备权属证明", lines(form.EquipmentOwnership))
	w.labelRow("非本单位人员服务承诺书或合作协议", lines(form.Agreements))
	w.subsection("基本条件及佐证材料")
	cond := []span{{"A", "A"}, {"B", "D"}, {"E", "F"}, {"G", "H"}}
	w.tableHeader(cond, "序号", "基本条件", "情况说明", "佐证材料")
	for _, c := range form.Conditions {
		w.tableRow(cond, c.No, c.Title, c.Explanation, lines(c.Evidence))
	}
}

// attachedText is a list of attached documents in a form cell: 另附 and their names.
func attachedText(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return "另附：" + strings.Join(names, "、")
}

func lines(ss []string) string { return strings.Join(ss, "\n") }

// escapeHeaderFooter doubles the ampersands that would otherwise start a header/footer code.
func escapeHeaderFooter(s string) string { return strings.ReplaceAll(s, "&", "&&") }

// span is a range of columns one logical column of a table occupies.
type span struct{ from, to string }

// cell is a value placed over columns from..to of the current row.
type cell struct {
	from, to string
	value    string
	style    int
}

// styles are the cell styles of the forms.
type styles struct {
	title, note, noteRight, section, subsection, header, label, text, center, footer, footerRight, number int
}

// sheetWriter writes a form row by row. It keeps the first error and turns later calls into
// no-ops, so layout code reads as the sequence of rows it produces.
type sheetWriter struct {
	f      *excelize.File
	sheet  string
	widths map[string]float64
	last   string // last column
	row    int    // next row to write
	st     styles
	err    error
	// asText maps a style to its twin that marks a cell as typed text (see cellStyle).
	asText map[int]int
}

func newSheetWriter(f *excelize.File, sheet string, widths []float64) (*sheetWriter, error) {
	w := &sheetWriter{f: f, sheet: sheet, widths: map[string]float64{}, row: 1, asText: map[int]int{}}
	for i, width := range widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return nil, err
		}
		if err := f.SetColWidth(sheet, col, col, width); err != nil {
			return nil, err
		}
		w.widths[col] = width
		w.last = col
	}
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	w.st = st
	return w, nil
}

const fontFamily = "宋体"

func newStyles(f *excelize.File) (styles, error) {
	var st styles
	var err error
	thin := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	font := func(size float64, bold bool) *excelize.Font {
		return &excelize.Font{Family: fontFamily, Size: size, Bold: bold}
	}
	align := func(h string) *excelize.Alignment {
		return &excelize.Alignment{Horizontal: h, Vertical: "center", WrapText: true}
	}
	grey := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EDEFF2"}}
	for _, def := range []struct {
		id *int
		s  excelize.Style
	}{
		{&st.title, excelize.Style{Font: font(18, true), Alignment: align("center")}},
		{&st.note, excelize.Style{Font: font(11, false), Alignment: align("left")}},
		{&st.noteRight, excelize.Style{Font: font(11, false), Alignment: align("right")}},
		{&st.section, excelize.Style{Font: font(12, true), Alignment: align("left"), Border: thin, Fill: grey}},
		{&st.subsection, excelize.Style{Font: font(11, true), Alignment: align("left"), Border: thin}},
		{&st.header, excelize.Style{Font: font(11, true), Alignment: align("center"), Border: thin, Fill: grey}},
		{&st.label, excelize.Style{Font: font(11, true), Alignment: align("center"), Border: thin}},
		{&st.text, excelize.Style{Font: font(11, false), Alignment: align("left"), Border: thin}},
		{&st.center, excelize.Style{Font: font(11, false), Alignment: align("center"), Border: thin}},
		{&st.footer, excelize.Style{Font: font(11, false), Alignment: align("left")}},
		{&st.footerRight, excelize.Style{Font: font(11, false), Alignment: align("right")}},
		{&st.number, excelize.Style{Font: font(11, false), Alignment: align("center"), Border: thin}},
	} {
		s := def.s
		if *def.id, err = f.NewStyle(&s); err != nil {
			return st, err
		}
	}
	return st, nil
}

// cells writes one row of cells, merging each over its columns, and sizes the row to its
// tallest wrapped text (Excel does not grow rows for merged cells by itself).
func (w *sheetWriter) cells(minHeight float64, cs ...cell) {
	if w.err != nil {
		return
	}
	height := minHeight
	for _, c := range cs {
		from, to := w.ref(c.from, w.row), w.ref(c.to, w.row)
		w.set(from, c.value)
		if c.from != c.to {
			w.merge(from, to)
		}
		w.style(from, to, w.cellStyle(c.value, c.style))
		height = max(height, rowHeight(c.value, w.width(c.from, c.to)))
	}
	w.height(w.row, height)
	w.row++
}

// mergedRow writes one value across the whole width.
func (w *sheetWriter) mergedRow(value string, style int, height float64) {
	w.cells(height, cell{"A", w.last, value, style})
}

func (w *sheetWriter) section(title string)    { w.mergedRow(title, w.st.section, 24) }
func (w *sheetWriter) subsection(title string) { w.mergedRow(title, w.st.subsection, 20) }
func (w *sheetWriter) textBlock(text string)   { w.mergedRow(text, w.st.text, 60) }
func (w *sheetWriter) emptyRow()               { w.mergedRow("无", w.st.center, 20) }

// labelRow is a label over A:B and its value over C to the last column.
func (w *sheetWriter) labelRow(label, value string) {
	w.cells(20, cell{"A", "B", label, w.st.label}, cell{"C", w.last, value, w.st.text})
}

// pairRow is two label/value pairs side by side: A:B C:D and E:F G:H.
func (w *sheetWriter) pairRow(label1, value1, label2, value2 string) {
	w.cells(20, cell{"A", "B", label1, w.st.label}, cell{"C", "D", value1, w.st.text},
		cell{"E", "F", label2, w.st.label}, cell{"G", "H", value2, w.st.text})
}

func (w *sheetWriter) tableHeader(spans []span, titles ...string) {
	w.cells(22, w.spanCells(spans, titles, w.st.header, w.st.header)...)
}

// tableRow writes one table row; the first column (序号) is centred.
func (w *sheetWriter) tableRow(spans []span, values ...string) {
	w.cells(20, w.spanCells(spans, values, w.st.number, w.st.text)...)
}

func (w *sheetWriter) spanCells(spans []span, values []string, first, rest int) []cell {
	cs := make([]cell, len(spans))
	for i, s := range spans {
		style := rest
		if i == 0 {
			style = first
		}
		v := ""
		if i < len(values) {
			v = values[i]
		}
		cs[i] = cell{s.from, s.to, v, style}
	}
	return cs
}

func (w *sheetWriter) ref(col string, row int) string { return col + strconv.Itoa(row) }

func (w *sheetWriter) set(ref, value string) {
	if w.err == nil && value != "" {
		w.err = w.f.SetCellStr(w.sheet, ref, value)
	}
}

// cellStyle is the style a cell holding value gets: style itself, or, if the value starts
// like a formula (looksLikeFormula), style's twin with Excel's quote prefix. Every text cell is
// a shared string, which Excel shows as it is when it opens the file; but an official who
// edits such a cell and presses Enter would have Excel read "=HYPERLINK(…)" typed by an
// enterprise as a formula. The quote prefix is what Excel itself stores for a typed leading
// apostrophe: the cell stays text when edited, and the value keeps its own characters (a
// phone number "+86 …" is not shown as "'+86 …").
func (w *sheetWriter) cellStyle(value string, style int) int {
	if w.err != nil || !looksLikeFormula(value) {
		return style
	}
	if twin, ok := w.asText[style]; ok {
		return twin
	}
	// excelize's Style has no quote prefix; its parsed style sheet does. f.Styles is loaded,
	// since newStyles made the styles. The twin goes after every style NewStyle made, so
	// NewStyle, which reuses the first matching style, never hands it out for another.
	xfs := w.f.Styles.CellXfs
	if xfs == nil || style < 0 || style >= len(xfs.Xf) {
		w.err = fmt.Errorf("exports: no cell style %d", style)
		return style
	}
	xf, yes := xfs.Xf[style], true
	xf.QuotePrefix = &yes
	xfs.Xf = append(xfs.Xf, xf)
	xfs.Count = len(xfs.Xf)
	w.asText[style] = len(xfs.Xf) - 1
	return w.asText[style]
}

// looksLikeFormula reports whether a spreadsheet program could take text typed into a cell
// for a formula: it starts with = + - @ (or their full-width forms, which Excel in Chinese
// converts), a tab or a carriage return.
func looksLikeFormula(value string) bool {
	r, _ := utf8.DecodeRuneInString(value)
	return strings.ContainsRune("=+-@\t\r＝＋－＠", r)
}

func (w *sheetWriter) setInt(ref string, value int) {
	if w.err == nil {
		w.err = w.f.SetCellInt(w.sheet, ref, int64(value))
	}
}

func (w *sheetWriter) merge(from, to string) {
	if w.err == nil {
		w.err = w.f.MergeCell(w.sheet, from, to)
	}
}

func (w *sheetWriter) style(from, to string, style int) {
	if w.err == nil {
		w.err = w.f.SetCellStyle(w.sheet, from, to, style)
	}
}

func (w *sheetWriter) height(row int, h float64) {
	if w.err == nil {
		w.err = w.f.SetRowHeight(w.sheet, row, min(h, 409)) // 409 pt is Excel's limit
	}
}

// width is the total width of columns from..to, in Excel's character units.
func (w *sheetWriter) width(from, to string) float64 {
	a, _ := excelize.ColumnNameToNumber(from)
	b, _ := excelize.ColumnNameToNumber(to)
	total := 0.0
	for i := a; i <= b; i++ {
		name, _ := excelize.ColumnNumberToName(i)
		total += w.widths[name]
	}
	return total
}

// rowHeight estimates the height in points a wrapped text needs in a cell width units wide:
// a CJK character takes about two units, and a line of 11-point text about 15 points.
func rowHeight(text string, width float64) float64 {
	if text == "" || width <= 0 {
		return 0
	}
	usable := max(width-1, 1)
	n := 0
	for _, para := range strings.Split(text, "\n") {
		units := 0.0
		for _, r := range para {
			if r < utf8.RuneSelf {
				units++
			} else {
				units += 2
			}
		}
		n += max(1, int((units+usable-1)/usable))
	}
	return float64(n)*15 + 6
}

// setPrint sets A4 portrait, one page wide and as many pages tall as needed, with narrow
// margins, a page-number footer and, when titleRows is set (e.g. "$1:$3"), header rows
// repeated on every page.
func setPrint(f *excelize.File, sheet, footer, titleRows string) error {
	a4, portrait, one, anyHeight := 9, "portrait", 1, 0
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &a4, Orientation: &portrait,
		FitToWidth: &one, FitToHeight: &anyHeight}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	side, topBottom, hf, centre := 0.5, 0.75, 0.3, true
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &side, Right: &side,
		Top: &topBottom, Bottom: &topBottom, Header: &hf, Footer: &hf, Horizontally: &centre}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: footer}); err != nil {
		return err
	}
	if titleRows != "" {
		return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: sheet,
			RefersTo: "'" + sheet + "'!" + titleRows})
	}
	return nil
}

func finish(f *excelize.File) ([]byte, error) {
	buf, err := f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
