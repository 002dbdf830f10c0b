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

	// The cells and merged ranges are compared with the form in TestGoldenLeagueSummary.
	// Numbers are numbers, not text, so officials can sort and count.
	typ, err := f.GetCellType(sheet, "A6")
	require.NoError(t, err)
	require.NotEqual(t, excelize.CellTypeSharedString, typ)
	require.NotEqual(t, excelize.CellTypeInlineString, typ)

	requireA4PortraitFitToWidth(t, f, sheet)

	// Table cells have borders; the footer has none.
	for _, ref := range []string{"A2", "B3", "C4", "G7", "H6"} {
		requireBorder(t, f, sheet, ref, true)
	}
	requireBorder(t, f, sheet, "A10", false)
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
	require.Equal(t, "职业技能等级认定试点企业申报汇总表", got["A1"])
	require.Equal(t, "（无申报企业）", got["A3"])
	require.Equal(t, "填报单位（盖章）：", got["A5"])
	require.Equal(t, "填报日期：　　年　　月　　日", got["F6"], "a zero date leaves blanks to fill by hand")
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
		"A1": "内蒙古自治区职业技能等级认定试点企业申报汇总表",
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
	require.Equal(t, "职业技能等级认定试点企业申报汇总表", got["A1"])
	require.Equal(t, "稀土冶炼工", got["C4"])
	require.Equal(t, "五级至三级", got["E4"])
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
