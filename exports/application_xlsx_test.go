package exports

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"skillcert/models"
	"skillcert/models/validate"
)

func ref(name string) models.AttachmentRef {
	return models.AttachmentRef{ID: "att-" + name, Name: name, SHA256: strings.Repeat("a", 64)}
}

// sealed is how an ID number is held: the cipher and lookup must never reach an export.
func sealed(masked string) models.PersonID {
	return models.PersonID{Cipher: "CIPHER-" + masked, Lookup: "LOOKUP-" + masked, Masked: masked}
}

func dairyApplication() models.Application {
	app := models.Application{
		Applicant: models.Applicant{Name: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号", CreditCode: "91150105MA0N00001B"},
		Contact:   models.Contact{Name: "王经理", Post: "人力资源部部长", Landline: "(0471)6606215", Mobile: "13800000001", Email: "hr@dairy.example.cn"},
		Rules:     []models.AttachmentRef{ref("职业技能等级认定管理办法.pdf"), ref("考评人员管理制度.pdf")},
		Occupations: []models.OccupationRow{
			{Name: "乳品加工工", Code: "6-02-04-01", FeeCents: 30000, Fee: "300.00", Levels: fiveToThree},
			{Name: "乳品评鉴师", Code: "6-02-04-02", FeeCents: 45000, Levels: threeToOne},
		},
		Strengths:  "公司是国家级农业产业化重点龙头企业，设有职工培训中心。\n近三年培训职工3000余人次。",
		Site:       models.Site{Description: "培训考核基地2000平方米，理论考场2间，实操车间1间", Ownership: []models.AttachmentRef{ref("不动产权证书.pdf")}},
		Equipment:  []models.EquipmentRow{{Name: "巴氏杀菌机", Brand: "利乐", Model: "TBA-19", Quantity: 2, Ownership: "自有"}},
		ExamSystem: "机考系统1套，考场高清视频监控全覆盖，录像保存90天",
		Staff: []models.StaffRow{
			{Name: "赵一", ID: sealed("150105********201X"), Title: "培训主管", Education: "本科", Duties: "组织实施认定", Employee: true},
			{Name: "钱二", ID: sealed("150102********1234"), Title: "工程师", Education: "硕士", Duties: "题库管理", Employee: false,
				Agreement: []models.AttachmentRef{ref("钱二服务承诺书.pdf")}},
		},
		Assessors: []models.ExpertRow{
			{Name: "孙三", ID: sealed("150104********3456"), Employer: "呼和浩特乳业示范有限公司", Title: "高级技师", Education: "大专", Occupation: "乳品加工工", Employee: true},
		},
		Supervisors: []models.ExpertRow{
			{Name: "李四", ID: sealed("150121********5678"), Employer: "内蒙古某职业技术学院", Title: "副教授", Education: "硕士", Occupation: "乳品评鉴师", Employee: false},
		},
	}
	for i := range app.Conditions {
		app.Conditions[i] = models.Condition{Explanation: "条件说明" + chineseNumerals[i]}
	}
	app.Conditions[0].Evidence = []models.AttachmentRef{ref("营业执照.pdf")}
	app.Conditions[3].Evidence = []models.AttachmentRef{ref("职工教育经费提取凭证.pdf"), ref("2025年度审计报告.pdf")}
	return app
}

func rareApplication() models.Application {
	app := models.Application{
		Applicant: models.Applicant{Name: "包头稀土冶炼示范股份有限公司", Address: "包头市昆都仑区钢铁大街示范路2号", CreditCode: "91150203MA0N00002N", CreditCodeOverride: true},
		Contact:   models.Contact{Name: "周经理", Post: "培训中心主任", Mobile: "13700000003"},
		Occupations: []models.OccupationRow{
			{Name: "稀土冶炼工", WorkType: "稀土萃取工", Code: "6-17-07-04", Fee: "260", Levels: validate.LevelRange{Low: validate.Level4, High: validate.Level2}},
		},
	}
	return app
}

// rowsOf returns a sheet's rows, each padded to the eight columns A to H.
func rowsOf(t *testing.T, f *excelize.File) [][]string {
	t.Helper()
	rows, err := f.GetRows(ApplicationSheet)
	require.NoError(t, err)
	for i, r := range rows {
		for len(r) < 8 {
			r = append(r, "")
		}
		rows[i] = r
	}
	return rows
}

// rowAfter returns the index of the row whose column A holds label, searching from start.
func rowAfter(t *testing.T, rows [][]string, start int, label string) int {
	t.Helper()
	for i := start; i < len(rows); i++ {
		if rows[i][0] == label {
			return i
		}
	}
	t.Fatalf("no row labelled %q after row %d", label, start+1)
	return -1
}

func TestApplicationXLSXLaysOutTheForm(t *testing.T) {
	meta := ApplicationMeta{ApplicationID: "0197-app-1", Version: 2, SubmittedAt: time.Date(2026, time.May, 9, 17, 0, 0, 0, time.UTC),
		Jurisdiction: "呼和浩特市赛罕区"}
	data, err := ApplicationXLSX(dairyApplication(), meta)
	require.NoError(t, err)
	f := openXLSX(t, data)
	require.Equal(t, []string{ApplicationSheet}, f.GetSheetList())
	rows := rowsOf(t, f)
	// The cells and merged ranges are compared with the form in TestGoldenApplicationForms; here
	// the page set-up, the styles and the ID numbers.
	require.Equal(t, ApplicationTitle, rows[0][0], "A1 title")
	require.Equal(t, "150105********201X", rows[rowAfter(t, rows, 0, FormStaffTitle)+2][2], "masked without IDNumbers")

	// No cell carries a sealed ID number's cipher or lookup.
	for _, r := range rows {
		for _, v := range r {
			require.NotContains(t, v, "CIPHER")
			require.NotContains(t, v, "LOOKUP")
		}
	}

	merges := mergeRanges(t, f, ApplicationSheet)
	for _, m := range []string{"A1:H1", "A2:E2", "F2:H2", "A4:B4", "C4:H4", "C8:D8", "G8:H8"} {
		require.Contains(t, merges, m)
	}
	requireA4PortraitFitToWidth(t, f, ApplicationSheet)
	requireBorder(t, f, ApplicationSheet, "A4", true)
	requireBorder(t, f, ApplicationSheet, "A1", false)
	for col, want := range map[string]float64{"A": 6, "C": 12, "H": 14} {
		got, err := f.GetColWidth(ApplicationSheet, col)
		require.NoError(t, err)
		require.Equal(t, want, got, "width of %s", col)
	}
	// Wrapped multi-line values get taller rows (Excel does not size merged cells itself).
	h, err := f.GetRowHeight(ApplicationSheet, rowAfter(t, rows, 0, "非本单位人员服务承诺书或合作协议")+1)
	require.NoError(t, err)
	require.Greater(t, h, 30.0)
}

func TestApplicationXLSXSecondEnterpriseAndDraft(t *testing.T) {
	data, err := ApplicationXLSX(rareApplication(), ApplicationMeta{ApplicationID: "0197-app-2"})
	require.NoError(t, err)
	f := openXLSX(t, data)
	rows := rowsOf(t, f)
	require.Equal(t, ApplicationTitle, rows[0][0])
	require.Equal(t, "申报单位（盖章）：包头稀土冶炼示范股份有限公司", rows[1][0])
	require.Equal(t, "草稿，尚未提交", rows[1][5], "a draft says so")

	i := rowAfter(t, rows, 0, "统一社会信用代码")
	require.Equal(t, "91150203MA0N00002N（校验位未通过，经自治区人社厅核准）", rows[i][2])
	i = rowAfter(t, rows, 0, "二、申报职业（工种）")
	require.Equal(t, []string{"1", "稀土冶炼工（稀土萃取工）", "", "", "6-17-07-04", "", "260", ""}, rows[i+2])
	i = rowAfter(t, rows, 0, "申报等级")
	require.Equal(t, []string{"1", "稀土冶炼工（稀土萃取工）", "", "", "", "四级至二级", "", ""}, rows[i+2], "the level is an addition")

	// Empty tables say 无 rather than leaving a gap.
	i = rowAfter(t, rows, 0, "四、场地和设备设施")
	require.Equal(t, "无", rows[i+4][0])
	i = rowAfter(t, rows, 0, "基本条件及佐证材料")
	require.Equal(t, models.ConditionTitles[6], rows[i+8][1])
	requireA4PortraitFitToWidth(t, f, ApplicationSheet)
}

func TestNewFormTexts(t *testing.T) {
	require.Equal(t, "12.05", FeeText(models.OccupationRow{FeeCents: 1205}))
	require.Equal(t, "", FeeText(models.OccupationRow{}))
	require.Equal(t, "电工", OccupationName(models.OccupationRow{Name: "电工", WorkType: "电工"}))
	require.Equal(t, "2026年5月20日", DateText(time.Date(2026, 5, 19, 16, 0, 0, 0, time.UTC), nil))
	require.Equal(t, "2026年5月19日", DateText(time.Date(2026, 5, 19, 16, 0, 0, 0, time.UTC), time.UTC))

	f := NewForm(dairyApplication(), ApplicationMeta{ApplicationID: "x", Version: 1, SubmittedAt: time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)})
	require.Equal(t, "申报编号：x，第1版", f.Reference)
	require.Len(t, f.Conditions, 7)
	require.Equal(t, "五级至三级", f.Occupations[0].Levels)
}

func TestRowHeightGrowsWithText(t *testing.T) {
	require.Equal(t, 0.0, rowHeight("", 10))
	one := rowHeight("短", 20)
	require.Equal(t, 21.0, one)
	require.Equal(t, 36.0, rowHeight("一行\n两行", 20))
	require.Greater(t, rowHeight(strings.Repeat("长", 50), 20), 60.0, "50 CJK characters need several lines in 20 units")
}
