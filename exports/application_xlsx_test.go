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

	require.Equal(t, "企业职业技能等级认定试点申报表", rows[0][0], "A1 title")
	require.Equal(t, "申报单位（盖章）：呼和浩特乳业示范有限公司", rows[1][0])
	require.Equal(t, "提交日期：2026年5月10日（第2版）", rows[1][5], "Beijing date of the submission")

	// 一、申报单位基本情况: label over A:B, value over C:H, or two pairs side by side.
	i := rowAfter(t, rows, 0, "一、申报单位基本情况")
	require.Equal(t, []string{"单位名称", "", "呼和浩特乳业示范有限公司", "", "", "", "", ""}, rows[i+1])
	require.Equal(t, []string{"单位地址", "", "呼和浩特市赛罕区金桥开发区示范路1号", "", "", "", "", ""}, rows[i+2])
	require.Equal(t, []string{"所属地区", "", "呼和浩特市赛罕区", "", "", "", "", ""}, rows[i+3])
	require.Equal(t, []string{"统一社会信用代码", "", "91150105MA0N00001B", "", "", "", "", ""}, rows[i+4])
	require.Equal(t, []string{"联系人", "", "王经理", "", "职务", "", "人力资源部部长", ""}, rows[i+5])
	require.Equal(t, []string{"固定电话", "", "(0471)6606215", "", "手机", "", "13800000001", ""}, rows[i+6])
	require.Equal(t, []string{"电子邮箱", "", "hr@dairy.example.cn", "", "", "", "", ""}, rows[i+7])
	require.Equal(t, []string{"规章制度（附件）", "", "职业技能等级认定管理办法.pdf\n考评人员管理制度.pdf", "", "", "", "", ""}, rows[i+8])

	// 二、申报职业（工种）: the level range as written on forms; a fee known only in cents is formatted.
	i = rowAfter(t, rows, i, "二、申报职业（工种）")
	require.Equal(t, []string{"序号", "职业（工种）名称", "", "职业编码", "", "收费标准（元）", "申报等级", ""}, rows[i+1])
	require.Equal(t, []string{"1", "乳品加工工", "", "6-02-04-01", "", "300.00", "五级至三级", ""}, rows[i+2])
	require.Equal(t, []string{"2", "乳品评鉴师", "", "6-02-04-02", "", "450.00", "三级至一级", ""}, rows[i+3])

	i = rowAfter(t, rows, i, "三、组织和专业优势")
	require.Equal(t, "公司是国家级农业产业化重点龙头企业，设有职工培训中心。\n近三年培训职工3000余人次。", rows[i+1][0])

	i = rowAfter(t, rows, i, "四、场地和设备设施")
	require.Equal(t, []string{"场地情况", "", "培训考核基地2000平方米，理论考场2间，实操车间1间", "", "", "", "", ""}, rows[i+1])
	require.Equal(t, []string{"场地权属证明（附件）", "", "不动产权证书.pdf", "", "", "", "", ""}, rows[i+2])
	require.Equal(t, "设备设施", rows[i+3][0])
	require.Equal(t, []string{"序号", "名称", "", "品牌", "规格型号", "", "数量", "权属"}, rows[i+4])
	require.Equal(t, []string{"1", "巴氏杀菌机", "", "利乐", "TBA-19", "", "2", "自有"}, rows[i+5])
	require.Equal(t, []string{"机考及视频监控设备", "", "机考系统1套，考场高清视频监控全覆盖，录像保存90天", "", "", "", "", ""}, rows[i+6])

	// 五、人员情况: ID numbers only ever masked.
	i = rowAfter(t, rows, i, "五、人员情况")
	require.Equal(t, "（一）专职工作人员", rows[i+1][0])
	require.Equal(t, []string{"序号", "姓名", "身份证号", "", "职务/职称", "学历", "主要职责", ""}, rows[i+2])
	require.Equal(t, []string{"1", "赵一", "150105********201X", "", "培训主管", "本科", "组织实施认定", ""}, rows[i+3])
	require.Equal(t, []string{"2", "钱二", "150102********1234", "", "工程师", "硕士", "题库管理", ""}, rows[i+4])
	require.Equal(t, "（二）考评人员", rows[i+5][0])
	require.Equal(t, []string{"序号", "姓名", "身份证号", "", "工作单位", "职务/职称/技能等级", "学历", "考评职业（工种）"}, rows[i+6])
	require.Equal(t, []string{"1", "孙三", "150104********3456", "", "呼和浩特乳业示范有限公司", "高级技师", "大专", "乳品加工工"}, rows[i+7])
	require.Equal(t, "（三）督导人员", rows[i+8][0])
	require.Equal(t, "督导职业（工种）", rows[i+9][7])
	require.Equal(t, []string{"1", "李四", "150121********5678", "", "内蒙古某职业技术学院", "副教授", "硕士", "乳品评鉴师"}, rows[i+10])
	require.Equal(t, "非本单位人员服务承诺书或合作协议（附件）", rows[i+11][0])
	require.Equal(t, "钱二（专职工作人员，非本单位人员）：钱二服务承诺书.pdf\n李四（督导人员，非本单位人员）：未上传", rows[i+11][2])

	// 六: the 7 basic conditions in order, with explanation and evidence names.
	i = rowAfter(t, rows, i, "六、基本条件及佐证材料")
	require.Equal(t, []string{"序号", "基本条件", "", "", "情况说明", "", "佐证材料", ""}, rows[i+1])
	for n, title := range models.ConditionTitles {
		row := rows[i+2+n]
		require.Equal(t, "（"+chineseNumerals[n]+"）", row[0])
		require.Equal(t, title, row[1])
		require.Equal(t, "条件说明"+chineseNumerals[n], row[4])
	}
	require.Equal(t, "营业执照.pdf", rows[i+2][6])
	require.Equal(t, "职工教育经费提取凭证.pdf\n2025年度审计报告.pdf", rows[i+5][6])
	require.Len(t, rows, i+9, "the conditions close the form")

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
	h, err := f.GetRowHeight(ApplicationSheet, rowAfter(t, rows, 0, "规章制度（附件）")+1)
	require.NoError(t, err)
	require.Greater(t, h, 30.0)
}

func TestApplicationXLSXSecondEnterpriseAndDraft(t *testing.T) {
	data, err := ApplicationXLSX(rareApplication(), ApplicationMeta{ApplicationID: "0197-app-2"})
	require.NoError(t, err)
	f := openXLSX(t, data)
	rows := rowsOf(t, f)
	require.Equal(t, "企业职业技能等级认定试点申报表", rows[0][0])
	require.Equal(t, "申报单位（盖章）：包头稀土冶炼示范股份有限公司", rows[1][0])
	require.Equal(t, "草稿，尚未提交", rows[1][5], "a draft says so")

	i := rowAfter(t, rows, 0, "统一社会信用代码")
	require.Equal(t, "91150203MA0N00002N（校验位未通过，经自治区人社厅核准）", rows[i][2])
	i = rowAfter(t, rows, 0, "二、申报职业（工种）")
	require.Equal(t, []string{"1", "稀土冶炼工（稀土萃取工）", "", "6-17-07-04", "", "260", "四级至二级", ""}, rows[i+2])

	// Empty tables say 无 rather than leaving a gap; there is no agreements row.
	i = rowAfter(t, rows, 0, "四、场地和设备设施")
	require.Equal(t, "无", rows[i+5][0])
	for _, r := range rows {
		require.NotEqual(t, "非本单位人员服务承诺书或合作协议（附件）", r[0])
	}
	i = rowAfter(t, rows, 0, "六、基本条件及佐证材料")
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
