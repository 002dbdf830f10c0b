package exports

import (
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// The enterprise's work ledger (工作台账): its sittings, the candidates with their results, and
// the certificates it issued, one sheet each after an overview. ID numbers are given as the
// caller may see them (the service masks them unless the caller may read personal data).
const (
	LedgerOverviewSheet    = "概况"
	LedgerSittingsSheet    = "认定场次"
	LedgerCandidatesSheet  = "考生及成绩"
	LedgerCertificateSheet = "证书发放"
)

// LedgerTitleSuffix ends the ledger's title (after the enterprise's name).
const LedgerTitleSuffix = "职业技能等级认定工作台账"

// Headers of the ledger's tables (row 2 of each sheet).
var (
	LedgerSittingsHeader   = []string{"序号", "场次编号", "职业（工种）", "职业编码", "等级", "考核日期", "考核地点", "考评人员", "考生人数", "合格人数", "状态", "公示期"}
	LedgerCandidatesHeader = []string{"序号", "场次编号", "职业（工种）", "等级", "姓名", "证件号码", "理论知识", "操作技能", "综合评审", "品德表现", "业绩、创新成果", "认定结果", "审核", "证书编号"}
	LedgerCertsHeader      = []string{"序号", "证书编号", "姓名", "证件号码", "职业（工种）", "等级", "发证日期", "状态", "场次编号"}
)

// Ledger is one enterprise's ledger.
type Ledger struct {
	Enterprise, CreditCode string
	// PublicationNumber (公布文号) and FilingNumber (备案号) identify its pilot.
	PublicationNumber, FilingNumber string
	// IDsInFull says the ID numbers are unmasked (noted on the overview).
	IDsInFull   bool
	GeneratedAt time.Time
	Location    *time.Location
	Sittings    [][]string
	Candidates  [][]string
	Certs       [][]string
}

// Title is the ledger's title.
func (l Ledger) Title() string { return l.Enterprise + LedgerTitleSuffix }

// LedgerXLSX writes the ledger workbook: 概况 (title and facts), then the three tables, each
// with its title in row 1, the header in row 2 and a numbered row per entry. Everything typed
// is written as text (never a formula).
func LedgerXLSX(l Ledger) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", LedgerOverviewSheet); err != nil {
		return nil, err
	}
	w, err := newSheetWriter(f, LedgerOverviewSheet, []float64{22, 60})
	if err != nil {
		return nil, err
	}
	w.mergedRow(l.Title(), w.st.title, 36)
	ids := "已按规定隐去中间位"
	if l.IDsInFull {
		ids = "完整（含个人信息，按规定保管，不得外传）"
	}
	loc := l.Location
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	for _, kv := range [][2]string{
		{"企业名称", l.Enterprise}, {"统一社会信用代码", l.CreditCode},
		{"目录公布文号", orNone(l.PublicationNumber)}, {"工作方案备案号", orNone(l.FilingNumber)},
		{"认定场次", strconv.Itoa(len(l.Sittings))}, {"考生人次", strconv.Itoa(len(l.Candidates))}, {"发放证书", strconv.Itoa(len(l.Certs))},
		{"证件号码", ids}, {"导出时间", l.GeneratedAt.In(loc).Format("2006-01-02 15:04")},
	} {
		w.cells(20, cell{"A", "A", kv[0], w.st.label}, cell{"B", "B", kv[1], w.st.text})
	}
	if w.err != nil {
		return nil, w.err
	}
	for _, t := range []struct {
		sheet, title string
		header       []string
		rows         [][]string
		widths       []float64
	}{
		{LedgerSittingsSheet, "认定场次", LedgerSittingsHeader, l.Sittings, []float64{6, 14, 18, 12, 12, 12, 20, 24, 8, 8, 14, 24}},
		{LedgerCandidatesSheet, "考生及成绩", LedgerCandidatesHeader, l.Candidates, []float64{6, 14, 18, 12, 10, 20, 8, 8, 8, 20, 20, 10, 10, 24}},
		{LedgerCertificateSheet, "证书发放", LedgerCertsHeader, l.Certs, []float64{6, 24, 10, 20, 18, 12, 12, 8, 14}},
	} {
		if _, err := f.NewSheet(t.sheet); err != nil {
			return nil, err
		}
		w, err := newSheetWriter(f, t.sheet, t.widths)
		if err != nil {
			return nil, err
		}
		w.mergedRow(l.Enterprise+" "+t.title, w.st.section, 24)
		spans := make([]span, len(t.header))
		for i := range t.header {
			col, _ := excelize.ColumnNumberToName(i + 1)
			spans[i] = span{col, col}
		}
		w.tableHeader(spans, t.header...)
		for i, r := range t.rows {
			w.tableRow(spans, append([]string{strconv.Itoa(i + 1)}, r...)...)
		}
		if len(t.rows) == 0 {
			w.emptyRow()
		}
		if w.err != nil {
			return nil, w.err
		}
	}
	f.SetActiveSheet(0)
	_ = f.SetDocProps(&excelize.DocProperties{Title: l.Title(), Language: "zh-CN"})
	return finish(f)
}

func orNone(s string) string {
	if s == "" {
		return "（尚无）"
	}
	return s
}
