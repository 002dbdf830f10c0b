package exports

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/models/validate"
)

var (
	fiveToThree = validate.LevelRange{Low: validate.Level5, High: validate.Level3}
	threeToOne  = validate.LevelRange{Low: validate.Level3, High: validate.Level1}
)

// hohhotSummary is a league summary with two enterprises: one whose occupations have
// different level ranges, one whose occupations share a range.
func hohhotSummary() Summary {
	return Summary{
		League:        "呼和浩特市",
		ReportingUnit: "呼和浩特市人力资源和社会保障局",
		Contact:       "张科长",
		Phone:         "(0471)6606214",
		Date:          time.Date(2026, time.May, 18, 2, 30, 0, 0, time.UTC), // 10:30 in Beijing
		Enterprises: []SummaryEnterprise{
			{
				Name: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号",
				Contact: "王经理", Phone: "(0471)6606215、13800000001",
				Occupations: []SummaryOccupation{{"乳品加工工", fiveToThree}, {"乳品评鉴师", threeToOne}},
			},
			{
				Name: "呼和浩特电力检修示范有限公司", Address: "呼和浩特市新城区电力路4号",
				Contact: "李主任", Phone: "13900000002",
				Occupations: []SummaryOccupation{{"电工", fiveToThree}, {"继电保护员", fiveToThree}},
			},
		},
	}
}

func openXLSX(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err, "the export opens as a workbook")
	t.Cleanup(func() { f.Close() })
	return f
}

// cellMap returns every non-empty cell of a sheet by reference.
func cellMap(t *testing.T, f *excelize.File, sheet string) map[string]string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	out := map[string]string{}
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			ref, err := excelize.CoordinatesToCellName(c+1, r+1)
			require.NoError(t, err)
			out[ref] = v
		}
	}
	return out
}

// mergeRanges returns a sheet's merged ranges as "A1:D1".
func mergeRanges(t *testing.T, f *excelize.File, sheet string) []string {
	t.Helper()
	ms, err := f.GetMergeCells(sheet)
	require.NoError(t, err)
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.GetStartAxis() + ":" + m.GetEndAxis()
	}
	sort.Strings(out)
	return out
}

func requireA4PortraitFitToWidth(t *testing.T, f *excelize.File, sheet string) {
	t.Helper()
	pl, err := f.GetPageLayout(sheet)
	require.NoError(t, err)
	require.NotNil(t, pl.Size)
	require.Equal(t, 9, *pl.Size, "A4")
	require.NotNil(t, pl.Orientation)
	require.Equal(t, "portrait", *pl.Orientation)
	require.NotNil(t, pl.FitToWidth)
	require.Equal(t, 1, *pl.FitToWidth, "one page wide")
	require.NotNil(t, pl.FitToHeight)
	require.Equal(t, 0, *pl.FitToHeight, "as many pages tall as needed")
	props, err := f.GetSheetProps(sheet)
	require.NoError(t, err)
	require.NotNil(t, props.FitToPage)
	require.True(t, *props.FitToPage)
}

func TestSummaryXLSXLaysOutTwoEnterprises(t *testing.T) {
	data, err := SummaryXLSX(hohhotSummary())
	require.NoError(t, err)
	f := openXLSX(t, data)
	require.Equal(t, []string{"呼和浩特市"}, f.GetSheetList())
	const sheet = "呼和浩特市"

	want := map[string]string{
		"A1": "呼和浩特市企业职业技能等级认定试点申报汇总表",
		// Header: two rows mirroring each block, 序号 over both.
		"A2": "序号", "B2": "企业名称", "C2": "地址", "D2": "联系人",
		"B3": "工种（职业）名称", "C3": "等级范围", "D3": "联系电话",
		// Block 1: ranges differ, so each occupation carries its own.
		"A4": "1", "B4": "呼和浩特乳业示范有限公司", "C4": "呼和浩特市赛罕区金桥开发区示范路1号", "D4": "王经理",
		"B5": "乳品加工工、乳品评鉴师", "C5": "乳品加工工：五级至三级；乳品评鉴师：三级至一级", "D5": "(0471)6606215、13800000001",
		// Block 2: one shared range.
		"A6": "2", "B6": "呼和浩特电力检修示范有限公司", "C6": "呼和浩特市新城区电力路4号", "D6": "李主任",
		"B7": "电工、继电保护员", "C7": "五级至三级", "D7": "13900000002",
		// Footer after a blank row; the date is in Beijing time.
		"A9": "填报单位（盖章）：呼和浩特市人力资源和社会保障局", "C9": "联系人：张科长", "D9": "联系电话：(0471)6606214",
		"C10": "填报日期：2026年5月18日",
	}
	require.Equal(t, want, cellMap(t, f, sheet))

	// Numbers are numbers, not text, so officials can sort and count.
	typ, err := f.GetCellType(sheet, "A6")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeSharedString, typ)
	require.NotEqual(t, excelize.CellTypeInlineString, typ)

	require.Equal(t, []string{"A1:D1", "A2:A3", "A4:A5", "A6:A7", "A9:B9", "C10:D10"}, mergeRanges(t, f, sheet))
	requireA4PortraitFitToWidth(t, f, sheet)

	// Table cells have borders; the footer has none.
	for _, ref := range []string{"A2", "D3", "A4", "B5", "D7"} {
		requireBorder(t, f, sheet, ref, true)
	}
	requireBorder(t, f, sheet, "A9", false)
}

func requireBorder(t *testing.T, f *excelize.File, sheet, ref string, want bool) {
	t.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	require.NoError(t, err)
	st, err := f.GetStyle(id)
	require.NoError(t, err)
	require.Equal(t, want, len(st.Border) == 4, "%s bordered", ref)
}

func TestSummaryXLSXBlanksAndEmptyList(t *testing.T) {
	data, err := SummaryXLSX(Summary{})
	require.NoError(t, err)
	f := openXLSX(t, data)
	sheet := f.GetSheetList()[0]
	require.Equal(t, "汇总表", sheet)
	got := cellMap(t, f, sheet)
	require.Equal(t, "____盟市企业职业技能等级认定试点申报汇总表", got["A1"], "the paper form's blank")
	require.Equal(t, "（无申报企业）", got["A4"])
	require.Equal(t, "填报单位（盖章）：", got["A6"])
	require.Equal(t, "填报日期：　　年　　月　　日", got["C7"], "a zero date leaves blanks to fill by hand")
}

func TestRegionSummaryXLSX(t *testing.T) {
	baotou := Summary{
		League: "包头市", ReportingUnit: "包头市人力资源和社会保障局", Contact: "赵科长", Phone: "0472-5123456",
		Date: time.Date(2026, time.May, 19, 16, 30, 0, 0, time.UTC), // 20 May 00:30 in Beijing
		Enterprises: []SummaryEnterprise{{
			Name: "包头稀土冶炼示范股份有限公司", Address: "包头市昆都仑区钢铁大街示范路2号", Contact: "周经理", Phone: "13700000003",
			Occupations: []SummaryOccupation{{"稀土冶炼工", fiveToThree}},
		}},
	}
	hohhot := hohhotSummary()
	data, err := RegionSummaryXLSX([]Summary{hohhot, baotou})
	require.NoError(t, err)
	f := openXLSX(t, data)
	require.Equal(t, []string{"全区汇总", "呼和浩特市", "包头市"}, f.GetSheetList())
	require.Equal(t, 0, f.GetActiveSheetIndex(), "the overview opens first")

	want := map[string]string{
		"A1": "内蒙古自治区企业职业技能等级认定试点申报汇总表",
		"A2": "序号", "B2": "盟市", "C2": "申报企业数", "D2": "申报职业（工种）项数", "E2": "填报单位", "F2": "联系人", "G2": "联系电话", "H2": "填报日期",
		"A3": "1", "B3": "呼和浩特市", "C3": "2", "D3": "4", "E3": "呼和浩特市人力资源和社会保障局", "F3": "张科长", "G3": "(0471)6606214", "H3": "2026年5月18日",
		"A4": "2", "B4": "包头市", "C4": "1", "D4": "1", "E4": "包头市人力资源和社会保障局", "F4": "赵科长", "G4": "0472-5123456", "H4": "2026年5月20日",
		"A5": "合计", "C5": "3", "D5": "5",
	}
	require.Equal(t, want, cellMap(t, f, RegionSheet))
	require.Contains(t, mergeRanges(t, f, RegionSheet), "A5:B5")
	requireA4PortraitFitToWidth(t, f, RegionSheet)

	// Each league's sheet is exactly what SummaryXLSX makes for that league.
	for _, s := range []Summary{hohhot, baotou} {
		single, err := SummaryXLSX(s)
		require.NoError(t, err)
		sf := openXLSX(t, single)
		require.Equal(t, cellMap(t, sf, s.League), cellMap(t, f, s.League), s.League)
		require.Equal(t, mergeRanges(t, sf, s.League), mergeRanges(t, f, s.League), s.League)
		requireA4PortraitFitToWidth(t, f, s.League)
	}
	got := cellMap(t, f, "包头市")
	require.Equal(t, "包头市企业职业技能等级认定试点申报汇总表", got["A1"])
	require.Equal(t, "稀土冶炼工", got["B5"])
	require.Equal(t, "五级至三级", got["C5"])
}

func TestSheetNamesAreSafeAndUnique(t *testing.T) {
	got := sheetNames([]Summary{{League: "呼和浩特市"}, {League: "呼和浩特市"}, {League: "a/b[c]:*?"}, {League: ""}, {League: "全区汇总"}},
		map[string]bool{RegionSheet: true})
	require.Equal(t, []string{"呼和浩特市", "呼和浩特市(2)", "abc", "汇总表", "全区汇总(2)"}, got)
}

func TestSummaryEnterpriseText(t *testing.T) {
	e := SummaryEnterprise{Occupations: []SummaryOccupation{{"乳品评鉴师", threeToOne}}}
	require.Equal(t, "乳品评鉴师", e.OccupationsText())
	require.Equal(t, "三级至一级", e.LevelsText())
	single := validate.LevelRange{Low: validate.Level4, High: validate.Level4}
	e = SummaryEnterprise{Occupations: []SummaryOccupation{{"电工", single}}}
	require.Equal(t, "四级", e.LevelsText())
	require.Equal(t, "", SummaryEnterprise{}.LevelsText())
}
