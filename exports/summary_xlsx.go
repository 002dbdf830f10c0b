package exports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/models/validate"
)

// SummaryTitle is the title of 附件2 as the notice prints it; the league is named by the
// 填报单位 of the footer (and the sheet's name), not in the title. SummaryBlankLeague stands
// for a league not named.
const (
	SummaryTitle       = "职业技能等级认定试点企业申报汇总表"
	SummaryBlankLeague = "____盟市"
)

// RegionSheet is the name of the region-wide overview sheet of RegionSummaryXLSX.
const RegionSheet = "全区汇总"

// RegionTitle is the title of the region-wide overview.
const RegionTitle = "内蒙古自治区" + SummaryTitle

// Summary is one league's (盟市) summary table, 附件2.
type Summary struct {
	// League is the league or city, e.g. 呼和浩特市; it fills the blank of the title.
	League string
	// ReportingUnit (填报单位), Contact (联系人) and Phone (联系电话) identify who filed it.
	ReportingUnit, Contact, Phone string
	// Date is the filing date (填报日期); zero leaves it blank for writing by hand.
	Date time.Time
	// Location is the time zone of Date; nil means Beijing time.
	Location    *time.Location
	Enterprises []SummaryEnterprise
	// MissingPaper names the enterprises whose signed paper application the league has not
	// recorded as received; the sheet warns about them below the footer (an addition).
	MissingPaper []string
}

// SummaryEnterprise is one enterprise's block of the summary table.
type SummaryEnterprise struct {
	Name, Address, Contact, Phone string
	Occupations                   []SummaryOccupation
	// Jurisdiction (所属地区) is an addition to the form, printed apart from its 基本信息.
	Jurisdiction string
	// PaperCopy states the receipt of the signed paper application (纸质版), an addition
	// printed in column I; empty leaves the cell blank.
	PaperCopy string
}

// SummaryOccupation is one occupation applied for and its level range.
type SummaryOccupation struct {
	Name   string
	Levels validate.LevelRange
}

// PaperWarning is the summary's warning about cases without a recorded paper copy (an addition
// below the form, not part of it).
func PaperWarning(names []string) string {
	return "系统提示（不属于汇总表原表）：以下 " + strconv.Itoa(len(names)) + " 家企业尚未登记纸质申报表接收，纸质材料应与电子版一并报送：" +
		strings.Join(names, "、") + "。"
}

// Title is the summary's title, SummaryTitle.
func (s Summary) Title() string { return SummaryTitle }

// occupationCount is the number of enterprise–occupation pairs.
func (s Summary) occupationCount() int {
	n := 0
	for _, e := range s.Enterprises {
		n += len(e.Occupations)
	}
	return n
}

// SummaryEnterpriseOf takes an enterprise's block from its application form: contact person,
// landline and mobile, and each occupation (with its 工种) and level range.
func SummaryEnterpriseOf(app models.Application) SummaryEnterprise {
	e := SummaryEnterprise{Name: app.Applicant.Name, Address: app.Applicant.Address, Contact: app.Contact.Name,
		Phone: joinNonEmpty("、", app.Contact.Landline, app.Contact.Mobile)}
	for _, o := range app.Occupations {
		e.Occupations = append(e.Occupations, SummaryOccupation{Name: OccupationName(o), Levels: o.Levels})
	}
	return e
}

// OccupationsText is every occupation of the block, joined by 、 (the form itself gives each
// occupation a row of its own).
func (e SummaryEnterprise) OccupationsText() string {
	names := make([]string, len(e.Occupations))
	for i, o := range e.Occupations {
		names[i] = o.Name
	}
	return strings.Join(names, "、")
}

// LevelsText is the block's level ranges in one text: the common range when every occupation has the same
// one, otherwise each occupation with its own range (乳品加工工：五级至三级；乳品评鉴师：三级至一级),
// so a range is never read against the wrong occupation.
func (e SummaryEnterprise) LevelsText() string {
	if len(e.Occupations) == 0 {
		return ""
	}
	same := true
	for _, o := range e.Occupations[1:] {
		if o.Levels != e.Occupations[0].Levels {
			same = false
		}
	}
	if same {
		return rangeText(e.Occupations[0].Levels)
	}
	parts := make([]string, len(e.Occupations))
	for i, o := range e.Occupations {
		parts[i] = o.Name + "：" + rangeText(o.Levels)
	}
	return strings.Join(parts, "；")
}

func rangeText(r validate.LevelRange) string {
	if r.IsZero() {
		return ""
	}
	return r.String()
}

func joinNonEmpty(sep string, ss ...string) string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

// Layout of the summary sheet: the title, the header 序号 | 基本信息 (with the additions'
// column), then the blocks from SummaryFirstRow on, then the footer.
const (
	SummaryHeaderRow = 2
	SummaryFirstRow  = 3
)

// summaryColumns are the widths of A (序号), B to G (基本信息: label, value three times), H
// (所属地区, an addition) and I (纸质版接收, an addition).
var summaryColumns = []float64{6, 14, 30, 8, 30, 10, 18, 16, 18}

// SummaryXLSX renders one league's summary table (附件2) on one A4 portrait sheet named after
// the league, as the notice prints the form: the title, the header 序号 | 基本信息, and per
// enterprise a numbered block whose label rows are repeated in each block: 企业名称 | 地址 |
// 联系人 over one row per occupation 职业（工种）名称 | 等级范围, with 联系方式 beside them;
// then the footer with 填报单位, 联系人, 联系电话 and 填报日期. The enterprise's 所属地区 is an
// addition in column H, headed as such.
func SummaryXLSX(s Summary) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	name := sheetNames([]Summary{s}, nil)[0]
	if err := f.SetSheetName("Sheet1", name); err != nil {
		return nil, err
	}
	if err := writeSummarySheet(f, name, s); err != nil {
		return nil, err
	}
	_ = f.SetDocProps(&excelize.DocProperties{Title: s.Title(), Language: "zh-CN"})
	return finish(f)
}

// RegionSummaryXLSX renders the region's workbook: a 全区汇总 sheet first, with each league's
// counts of enterprises and occupations, its filer and date and a 合计 row, then one sheet per
// league laid out as SummaryXLSX lays it out.
func RegionSummaryXLSX(leagues []Summary) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", RegionSheet); err != nil {
		return nil, err
	}
	names := sheetNames(leagues, map[string]bool{RegionSheet: true})
	if err := writeRegionSheet(f, leagues); err != nil {
		return nil, err
	}
	for i, s := range leagues {
		if _, err := f.NewSheet(names[i]); err != nil {
			return nil, err
		}
		if err := writeSummarySheet(f, names[i], s); err != nil {
			return nil, err
		}
	}
	f.SetActiveSheet(0)
	_ = f.SetDocProps(&excelize.DocProperties{Title: RegionTitle, Language: "zh-CN"})
	return finish(f)
}

func writeSummarySheet(f *excelize.File, sheet string, s Summary) error {
	w, err := newSheetWriter(f, sheet, summaryColumns)
	if err != nil {
		return err
	}
	w.mergedRow(s.Title(), w.st.title, 40)

	header := w.row
	w.cells(24, cell{"A", "A", "序号", w.st.header}, cell{"B", "G", "基本信息", w.st.header},
		cell{"H", "H", "所属地区（附加）", w.st.header}, cell{"I", "I", "纸质版接收（附加）", w.st.header})

	for i, e := range s.Enterprises {
		first := w.row
		w.cells(22, cell{"A", "A", "", w.st.number}, cell{"B", "B", "企业名称", w.st.label}, cell{"C", "C", e.Name, w.st.text},
			cell{"D", "D", "地址", w.st.label}, cell{"E", "E", e.Address, w.st.text},
			cell{"F", "F", "联系人", w.st.label}, cell{"G", "G", e.Contact, w.st.center}, cell{"H", "H", e.Jurisdiction, w.st.text},
			cell{"I", "I", e.PaperCopy, w.st.text})
		occs := e.Occupations
		if len(occs) == 0 {
			occs = []SummaryOccupation{{}}
		}
		for j, o := range occs {
			phoneLabel, phone := "", ""
			if j == 0 {
				phoneLabel, phone = "联系方式", e.Phone
			}
			w.cells(22, cell{"A", "A", "", w.st.number}, cell{"B", "B", "职业（工种）名称", w.st.label}, cell{"C", "C", o.Name, w.st.text},
				cell{"D", "D", "等级范围", w.st.label}, cell{"E", "E", rangeText(o.Levels), w.st.text},
				cell{"F", "F", phoneLabel, w.st.label}, cell{"G", "G", phone, w.st.center}, cell{"H", "H", "", w.st.text},
				cell{"I", "I", "", w.st.text})
		}
		last := w.row - 1
		w.setInt(w.ref("A", first), i+1)
		w.merge(w.ref("A", first), w.ref("A", last))
		w.merge(w.ref("H", first), w.ref("H", last))
		w.merge(w.ref("I", first), w.ref("I", last))
		if last > first+1 {
			w.merge(w.ref("F", first+1), w.ref("F", last))
			w.merge(w.ref("G", first+1), w.ref("G", last))
		}
	}
	if len(s.Enterprises) == 0 {
		w.mergedRow("（无申报企业）", w.st.center, 22)
	}

	w.row++ // a blank line between the table and the footer, as on the paper form
	w.cells(24, cell{"A", "C", "填报单位（盖章）：" + s.ReportingUnit, w.st.footer},
		cell{"D", "E", "联系人：" + s.Contact, w.st.footer}, cell{"F", "H", "联系电话：" + s.Phone, w.st.footer})
	w.cells(24, cell{"F", "H", "填报日期：" + DateText(s.Date, s.Location), w.st.footerRight})
	if len(s.MissingPaper) > 0 {
		// Not part of the form: the warning that paper copies are still due.
		w.row++
		w.cells(36, cell{"A", "I", PaperWarning(s.MissingPaper), w.st.text})
	}
	if w.err != nil {
		return w.err
	}
	return setPrint(f, sheet, "&C第 &P 页，共 &N 页", fmt.Sprintf("$%d:$%d", header, header))
}

// regionColumns are the widths of the overview's columns A to H.
var regionColumns = []float64{6, 16, 12, 14, 28, 12, 18, 18}

func writeRegionSheet(f *excelize.File, leagues []Summary) error {
	w, err := newSheetWriter(f, RegionSheet, regionColumns)
	if err != nil {
		return err
	}
	w.mergedRow(RegionTitle, w.st.title, 40)
	header := w.row
	cols := []span{{"A", "A"}, {"B", "B"}, {"C", "C"}, {"D", "D"}, {"E", "E"}, {"F", "F"}, {"G", "G"}, {"H", "H"}}
	w.tableHeader(cols, "序号", "盟市", "申报企业数", "申报职业（工种）项数", "填报单位", "联系人", "联系电话", "填报日期")
	enterprises, occupations := 0, 0
	for i, s := range leagues {
		league := strings.TrimSpace(s.League)
		if league == "" {
			league = SummaryBlankLeague
		}
		r := w.row
		w.tableRow(cols, "", league, "", "", s.ReportingUnit, s.Contact, s.Phone, DateText(s.Date, s.Location))
		w.setInt(w.ref("A", r), i+1)
		w.setInt(w.ref("C", r), len(s.Enterprises))
		w.setInt(w.ref("D", r), s.occupationCount())
		w.style(w.ref("C", r), w.ref("D", r), w.st.center)
		enterprises += len(s.Enterprises)
		occupations += s.occupationCount()
	}
	r := w.row
	w.cells(22, cell{"A", "B", "合计", w.st.label}, cell{"C", "C", "", w.st.center}, cell{"D", "D", "", w.st.center},
		cell{"E", "H", "", w.st.text})
	w.setInt(w.ref("C", r), enterprises)
	w.setInt(w.ref("D", r), occupations)
	if w.err != nil {
		return w.err
	}
	return setPrint(f, RegionSheet, "&C第 &P 页，共 &N 页", "$"+strconv.Itoa(header)+":$"+strconv.Itoa(header))
}

// sheetNames gives each summary a worksheet name: its league, made safe for Excel (at most 31
// characters, none of []:*?/\) and unique within the workbook.
func sheetNames(ss []Summary, taken map[string]bool) []string {
	if taken == nil {
		taken = map[string]bool{}
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		base := strings.Map(func(r rune) rune {
			if strings.ContainsRune(`[]:*?/\'`, r) {
				return -1
			}
			return r
		}, strings.TrimSpace(s.League))
		if base == "" {
			base = "汇总表"
		}
		base = clipRunes(base, 28)
		name := base
		for n := 2; taken[name]; n++ {
			name = base + "(" + strconv.Itoa(n) + ")"
		}
		taken[name] = true
		out[i] = name
	}
	return out
}

func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}
