package appcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"skillcert/models"
	"skillcert/models/pii"
	"skillcert/models/validate"
)

// testToday is the "today" of these tests, in Beijing time.
var testToday = time.Date(2026, 4, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Valid ID numbers (domain.md and computed independently in models/validate's tests).
const (
	idA = "11010519491231002X"
	idB = "150102199001011230"
	idC = "150203198512310045"
	idD = "15010220000229002X"
	idE = "110101190001010014"
)

func att(name string) []models.AttachmentRef {
	return []models.AttachmentRef{{ID: "att-" + name, Name: name + ".pdf", SHA256: "ab12"}}
}

// goodForm returns a form that passes every rule.
func goodForm() Form {
	f := Form{
		Applicant: models.Applicant{Name: "呼和浩特乳业示范有限公司", Address: "呼和浩特市赛罕区金桥开发区示范路1号", CreditCode: "91150105MA0N00001B"},
		Contact:   models.Contact{Name: "王敏", Post: "人力资源部部长", Landline: "(0471)6606214", Mobile: "13800138000", Email: "hr@example.com"},
		Rules:     att("规章制度汇编"),
		Occupations: []models.OccupationRow{
			{Name: "乳品加工工", Code: "6-02-04-01", Fee: "300", Levels: validate.LevelRange{Low: validate.Level5, High: validate.Level3}},
			{Name: "乳品评鉴师", Code: "6-02-04-02", Fee: "500.50", Levels: validate.LevelRange{Low: validate.Level3, High: validate.Level1}},
		},
		Strengths:  "设有技能人才评价中心，乳品加工技术全区领先。",
		Site:       models.Site{Description: "实训基地2000平方米，理论考场3间。", Ownership: att("不动产权证")},
		Equipment:  []models.EquipmentRow{{Name: "巴氏杀菌机", Brand: "伊科", Model: "PS-2000", Quantity: 2, Ownership: "自有"}},
		ExamSystem: "机考系统一套，考场全覆盖高清视频监控。",
		Staff: []StaffRow{
			{Name: "李强", IDNumber: idB, Title: "评价中心主任", Education: "本科", Duties: "统筹评价工作", Employee: true},
		},
		Assessors: []ExpertRow{
			{Name: "赵刚", IDNumber: idC, Employer: "本单位", Title: "高级技师", Education: "大专", Occupation: "乳品加工工", Employee: true},
			{Name: "孙丽", IDNumber: idA, Employer: "内蒙古农业大学", Title: "教授", Education: "博士", Occupation: "乳品评鉴师", Agreement: att("合作协议")},
		},
		Supervisors: []ExpertRow{
			{Name: "周平", IDNumber: idD, Employer: "本单位", Title: "质量部经理", Education: "本科", Occupation: "乳品加工工", Employee: true},
		},
	}
	for i := range f.Conditions {
		f.Conditions[i] = models.Condition{Explanation: "符合，详见佐证材料。", Evidence: att("条件" + chineseNumeral(i+1))}
	}
	return f
}

func check(f Form) validate.Errors { return ValidateForm(f, Input{Today: testToday}) }

type fieldCode struct{ Field, Code string }

func fieldCodes(errs validate.Errors) []fieldCode {
	out := []fieldCode{}
	for _, e := range errs {
		out = append(out, fieldCode{e.Field, e.Code})
	}
	return out
}

func TestGoodFormPasses(t *testing.T) {
	errs := check(goodForm())
	require.Empty(t, errs, "a complete, correct form: %v", errs)
}

func TestEachRuleGivesItsFieldError(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *Form)
		want   []fieldCode
		msg    string // fragment of the first message
	}{
		{"applicant name", func(f *Form) { f.Applicant.Name = " " }, []fieldCode{{"applicant.name", "required"}}, "请填写申报单位名称"},
		{"address too long", func(f *Form) { f.Applicant.Address = strings.Repeat("路", MaxShortText+1) }, []fieldCode{{"applicant.address", CodeTooLong}}, "最多200字"},
		{"credit code check char", func(f *Form) { f.Applicant.CreditCode = "91150105MA0N00001A" }, []fieldCode{{"applicant.credit_code", "credit_code_check"}}, "未通过校验"},
		{"credit code override excuses the check char", func(f *Form) {
			f.Applicant.CreditCode, f.Applicant.CreditCodeOverride = "91150105MA0N00001A", true
		}, []fieldCode{}, ""},
		{"credit code override does not excuse a malformed code", func(f *Form) {
			f.Applicant.CreditCode, f.Applicant.CreditCodeOverride = "9115010IMA0N00001B", true
		}, []fieldCode{{"applicant.credit_code", "credit_code_char"}}, "第8位"},
		{"contact post", func(f *Form) { f.Contact.Post = "" }, []fieldCode{{"contact.post", "required"}}, "职务"},
		{"landline without area code", func(f *Form) { f.Contact.Landline = "6606214" }, []fieldCode{{"contact.landline", "landline_format"}}, "区号"},
		{"mobile", func(f *Form) { f.Contact.Mobile = "12800138000" }, []fieldCode{{"contact.mobile", "mobile_format"}}, "手机号码"},
		{"email", func(f *Form) { f.Contact.Email = "hr.example.com" }, []fieldCode{{"contact.email", "email_format"}}, "电子邮箱"},
		{"rules attachment", func(f *Form) { f.Rules = nil }, []fieldCode{{"rules", "required"}}, "规章制度"},
		{"broken attachment reference", func(f *Form) { f.Rules = []models.AttachmentRef{{Name: "x.pdf"}} }, []fieldCode{{"rules[0]", CodeAttachment}}, "重新上传"},
		{"no occupation", func(f *Form) { f.Occupations = nil }, []fieldCode{{"occupations", "required"}}, "至少填写一个"},
		{"occupation code format", func(f *Form) { f.Occupations[0].Code = "6-2-04-01" }, []fieldCode{{"occupations[0].code", "occupation_code_format"}}, "M-MM-MM-MM"},
		{"occupation not in dictionary", func(f *Form) { f.Occupations[0].Code = "6-99-99-99" }, []fieldCode{{"occupations[0].code", "occupation_unknown"}}, "不存在"},
		{"not a skill occupation", func(f *Form) {
			f.Occupations[0] = models.OccupationRow{Name: "地质实验测试工程技术人员", Code: "2-02-01-01", Fee: "1", Levels: validate.FullRange()}
		}, []fieldCode{{"occupations[0].code", "occupation_not_skill"}}, "不是技能类职业"},
		{"access-type occupation", func(f *Form) {
			f.Occupations[0] = models.OccupationRow{Name: "焊工", Code: "6-18-02-04", Fee: "1", Levels: validate.FullRange()}
		}, []fieldCode{{"occupations[0].code", "occupation_excluded"}}, "准入类"},
		{"name does not match code", func(f *Form) { f.Occupations[0].Name = "电工" }, []fieldCode{{"occupations[0].name", "occupation_name_mismatch"}}, "乳品加工工"},
		{"work type is free text", func(f *Form) { f.Occupations[0].WorkType = "乳品预处理工" }, []fieldCode{}, ""},
		{"level outside the occupation's levels", func(f *Form) {
			f.Occupations[1].Levels = validate.LevelRange{Low: validate.Level5, High: validate.Level3}
		}, []fieldCode{{"occupations[1].levels", "occupation_level_range"}}, "仅设三级至一级"},
		{"levels written high to low", func(f *Form) {
			f.Occupations[0].Levels = validate.LevelRange{Low: validate.Level3, High: validate.Level5}
		}, []fieldCode{{"occupations[0].levels", "level_range_order"}}, "从低到高"},
		{"negative fee", func(f *Form) { f.Occupations[0].Fee = "-300" }, []fieldCode{{"occupations[0].fee", "fee_negative"}}, "不能为负数"},
		{"fee missing", func(f *Form) { f.Occupations[0].Fee = "" }, []fieldCode{{"occupations[0].fee", "required"}}, "收费标准"},
		{"zero fee is fine", func(f *Form) { f.Occupations[0].Fee = "0" }, []fieldCode{}, ""},
		{"duplicate occupation row", func(f *Form) { f.Occupations = append(f.Occupations, f.Occupations[0]) }, []fieldCode{{"occupations[2].code", CodeDuplicateOccupation}}, "与第1行"},
		{"same occupation, other work type", func(f *Form) {
			o := f.Occupations[0]
			o.WorkType = "乳品预处理工"
			f.Occupations = append(f.Occupations, o)
		}, []fieldCode{}, ""},
		{"strengths", func(f *Form) { f.Strengths = "" }, []fieldCode{{"strengths", "required"}}, "专业优势"},
		{"site proof", func(f *Form) { f.Site.Ownership = nil }, []fieldCode{{"site.ownership", "required"}}, "产权"},
		{"no equipment", func(f *Form) { f.Equipment = nil }, []fieldCode{{"equipment", "required"}}, "设备"},
		{"equipment quantity zero", func(f *Form) { f.Equipment[0].Quantity = 0 }, []fieldCode{{"equipment[0].quantity", "required"}}, "至少为1"},
		{"equipment quantity negative", func(f *Form) { f.Equipment[0].Quantity = -2 }, []fieldCode{{"equipment[0].quantity", CodeQuantity}}, "实际为-2"},
		{"equipment brand", func(f *Form) { f.Equipment[0].Brand = "" }, []fieldCode{{"equipment[0].brand", "required"}}, "设备设施第1行"},
		{"exam system", func(f *Form) { f.ExamSystem = "" }, []fieldCode{{"exam_system", "required"}}, "视频监控"},
		{"no staff", func(f *Form) { f.Staff = nil }, []fieldCode{{"staff", "required"}}, "专职工作人员"},
		{"staff duties", func(f *Form) { f.Staff[0].Duties = "" }, []fieldCode{{"staff[0].duties", "required"}}, "主要职责"},
		{"staff ID check digit", func(f *Form) { f.Staff[0].IDNumber = "340524198001010013" }, []fieldCode{{"staff[0].id_number", "id_check"}}, "未通过校验"},
		{"staff ID birth date in the future", func(f *Form) { f.Staff[0].IDNumber = withIDCheck(t, "15010220260416001") }, []fieldCode{{"staff[0].id_number", "id_birth_date"}}, "晚于今天"},
		{"staff ID missing", func(f *Form) { f.Staff[0].IDNumber = "" }, []fieldCode{{"staff[0].id_number", "required"}}, "公民身份号码"},
		{"non-employee without agreement", func(f *Form) { f.Staff[0].Employee = false }, []fieldCode{{"staff[0].agreement", "required"}}, "服务承诺书或合作协议"},
		{"assessor employer", func(f *Form) { f.Assessors[0].Employer = "" }, []fieldCode{{"assessors[0].employer", "required"}}, "考评人员第1行"},
		{"assessor agreement", func(f *Form) { f.Assessors[1].Agreement = nil }, []fieldCode{{"assessors[1].agreement", "required"}}, "考评人员第2行"},
		{"duplicate assessor", func(f *Form) { f.Assessors[1].IDNumber = f.Assessors[0].IDNumber }, []fieldCode{{"assessors[1].id_number", CodeDuplicateID}}, "与第1行重复"},
		{"same person assesses and supervises", func(f *Form) { f.Supervisors[0].IDNumber = f.Assessors[0].IDNumber }, []fieldCode{}, ""},
		{"no supervisors", func(f *Form) { f.Supervisors = []ExpertRow{} }, []fieldCode{{"supervisors", "required"}}, "督导人员"},
		{"supervisor occupation", func(f *Form) { f.Supervisors[0].Occupation = "" }, []fieldCode{{"supervisors[0].occupation", "required"}}, "督导职业"},
		{"condition 4 explanation", func(f *Form) { f.Conditions[3].Explanation = "" }, []fieldCode{{"conditions[3].explanation", "required"}}, "足额提取职工教育经费"},
		{"condition 7 evidence", func(f *Form) { f.Conditions[6].Evidence = nil }, []fieldCode{{"conditions[6].evidence", "required"}}, "基本条件（七）"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodForm()
			tt.mutate(&f)
			errs := check(f)
			require.Equal(t, tt.want, fieldCodes(errs), "errors: %v", errs)
			if tt.msg != "" {
				require.Contains(t, errs[0].Message, tt.msg)
			}
		})
	}
}

// withIDCheck appends the check character to 17 digits.
func withIDCheck(t *testing.T, first17 string) string {
	t.Helper()
	c, err := validate.IDNumberCheckChar(first17)
	require.NoError(t, err)
	return first17 + string(c)
}

// The known-good and known-bad identifiers of domain.md §5 on their form fields.
func TestDomainIdentifiersOnTheForm(t *testing.T) {
	codes := []struct {
		code string
		want string // fault code, "" for valid
	}{
		{"91440101MA5CJQ4N59", ""},
		{"91350200776049653A", ""},
		{"913502000728319549", ""},
		{"91150105MA0N00001B", ""},
		{"91440101MA5CJQ4N58", "credit_code_check"},
		{"913502007760496539", "credit_code_check"},
		{"91440101MA5CJQ4N5", "credit_code_length"},
		{"9144010IMA5CJQ4N59", "credit_code_char"},
		{"", "required"},
	}
	for _, tt := range codes {
		t.Run("credit code "+tt.code, func(t *testing.T) {
			f := goodForm()
			f.Applicant.CreditCode = tt.code
			got := fieldCodes(check(f))
			if tt.want == "" {
				require.Empty(t, got)
			} else {
				require.Equal(t, []fieldCode{{"applicant.credit_code", tt.want}}, got)
			}
		})
	}
	ids := []struct {
		id   string
		want string
	}{
		{"11010519491231002X", ""},
		{"11010519491231002x", ""}, // accepted after normalisation, stored upper-case
		{"150102199001011230", ""},
		{"340524198001010013", "id_check"},
		{withIDCheck(t, "15010219800230001"), "id_birth_date"},
		{"15010219900101123", "id_length"},
		{"0" + idA[1:], "id_division"},
	}
	for _, tt := range ids {
		t.Run("ID number "+validate.MaskIDNumber(tt.id), func(t *testing.T) {
			f := goodForm()
			f.Supervisors[0].IDNumber = tt.id
			got := fieldCodes(ValidateForm(f.Normalize(), Input{Today: testToday}))
			if tt.want == "" {
				require.Empty(t, got)
			} else {
				require.Equal(t, []fieldCode{{"supervisors[0].id_number", tt.want}}, got)
			}
		})
	}
}

func TestEmptyFormOnSubmitAndAsDraft(t *testing.T) {
	errs := check(Form{})
	fields := map[string]bool{}
	for _, e := range errs {
		require.Equal(t, "required", e.Code, "%s", e.Field)
		require.NotEmpty(t, e.Message)
		fields[e.Field] = true
	}
	for _, f := range []string{"applicant.name", "applicant.address", "applicant.credit_code", "contact.name", "contact.post",
		"contact.landline", "contact.mobile", "contact.email", "rules", "occupations", "strengths", "site.description",
		"site.ownership", "equipment", "exam_system", "staff", "assessors", "supervisors",
		"conditions[0].explanation", "conditions[0].evidence", "conditions[6].explanation", "conditions[6].evidence"} {
		require.True(t, fields[f], "missing required error on %s", f)
	}
	require.Len(t, errs, 18+14)

	// A draft is judged only on what was typed.
	f := Form{Contact: models.Contact{Mobile: "123"}, Equipment: []models.EquipmentRow{{Name: "杀菌机"}}}
	got := ValidateForm(f, Input{Today: testToday, Mode: Draft})
	require.Equal(t, []fieldCode{{"contact.mobile", "mobile_format"}}, fieldCodes(got))
	require.Empty(t, ValidateForm(Form{}, Input{Today: testToday, Mode: Draft}))
}

func TestNormalizeMakesTypedValuesCanonical(t *testing.T) {
	f := goodForm()
	f.Applicant.CreditCode = " 91150105ma0n00001b "
	f.Contact.Mobile = "+86 138-0013-8000"
	f.Contact.Landline = "（0471）6606214"
	f.Contact.Email = " HR@Example.COM "
	f.Occupations[0].Code = "6－02－04－01"
	f.Staff[0].IDNumber = " 1501 0219 9001 0112 30 "
	f.Assessors[1].IDNumber = "11010519491231002x"
	require.NotEmpty(t, check(f), "raw input is not canonical")
	n := f.Normalize()
	require.Empty(t, check(n))
	require.Equal(t, "91150105MA0N00001B", n.Applicant.CreditCode)
	require.Equal(t, "13800138000", n.Contact.Mobile)
	require.Equal(t, "HR@example.com", n.Contact.Email)
	require.Equal(t, idA, n.Assessors[1].IDNumber)
	require.Equal(t, "6－02－04－01", f.Occupations[0].Code, "Normalize does not touch the original")
	require.Equal(t, n, n.Normalize(), "idempotent")
}

func TestAttachmentExistenceHook(t *testing.T) {
	f := goodForm()
	errs := ValidateForm(f, Input{Today: testToday, AttachmentExists: func(r models.AttachmentRef) bool { return r.ID != "att-合作协议" }})
	require.Equal(t, []fieldCode{{"assessors[1].agreement[0]", CodeAttachment}}, fieldCodes(errs))
	require.Contains(t, errs[0].Message, "合作协议.pdf")
}

func TestRowLimits(t *testing.T) {
	f := goodForm()
	for len(f.Equipment) <= MaxRows {
		f.Equipment = append(f.Equipment, f.Equipment[0])
	}
	require.Equal(t, []fieldCode{{"equipment", CodeTooMany}}, fieldCodes(check(f)))
}

func newSealer(t testing.TB) *pii.Sealer {
	s, err := pii.New(bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32))
	require.NoError(t, err)
	return s
}

func TestFormSealsRevealsAndMasks(t *testing.T) {
	s := newSealer(t)
	f := goodForm()
	app, err := f.ToApplication(s, nil)
	require.NoError(t, err)
	raw, err := json.Marshal(app)
	require.NoError(t, err)
	for _, id := range []string{idA, idB, idC, idD} {
		require.NotContains(t, string(raw), id, "a clear ID number in the stored form")
		require.NotContains(t, string(raw), id[6:14], "a birth date in the stored form")
	}
	require.Equal(t, "150102********1230", app.Staff[0].ID.Masked)
	require.EqualValues(t, 50050, app.Occupations[1].FeeCents)

	// Revealed, it is the form again (lists empty rather than null).
	back, err := FromApplication(app, s, true)
	require.NoError(t, err)
	require.Equal(t, f.Staff[0].IDNumber, back.Staff[0].IDNumber)
	require.Equal(t, f.Assessors[1].IDNumber, back.Assessors[1].IDNumber)
	require.Equal(t, f.Supervisors[0].IDNumber, back.Supervisors[0].IDNumber)
	require.NotNil(t, back.Staff[0].Agreement)

	// Masked for readers without personal-data rights.
	masked, err := FromApplication(app, nil, false)
	require.NoError(t, err)
	require.Equal(t, "110105********002X", masked.Assessors[1].IDNumber)

	// A masked form sent back keeps the sealed numbers, even after rows moved.
	masked.Assessors[0], masked.Assessors[1] = masked.Assessors[1], masked.Assessors[0]
	again, err := masked.ToApplication(s, &app)
	require.NoError(t, err)
	require.Equal(t, app.Assessors[1].ID, again.Assessors[0].ID)
	require.Equal(t, app.Assessors[0].ID, again.Assessors[1].ID)
	require.Equal(t, app.Staff[0].ID, again.Staff[0].ID)
	// An unknown masked value is stored as typed and fails validation instead of being guessed.
	masked.Staff[0].IDNumber = "999999********9999"
	again, err = masked.ToApplication(s, &app)
	require.NoError(t, err)
	clear, err := s.Open(again.Staff[0].ID)
	require.NoError(t, err)
	require.Equal(t, "999999********9999", clear)
}

func TestDiffShowsChangedFieldsWithIDsMasked(t *testing.T) {
	s := newSealer(t)
	f1 := goodForm()
	v1, err := f1.ToApplication(s, nil)
	require.NoError(t, err)
	// Sealing the same numbers again gives new ciphertexts but no changes.
	same, err := f1.ToApplication(s, nil)
	require.NoError(t, err)
	require.Empty(t, Diff(&v1, &same))

	f2 := goodForm()
	f2.Contact.Mobile = "13900139000"
	f2.Occupations[0].Levels.High = validate.Level4
	f2.Staff[0].IDNumber = idE
	f2.Rules[0].SHA256 = "cd34"
	f2.Supervisors = append(f2.Supervisors, ExpertRow{Name: "新督导", IDNumber: idB})
	v2, err := f2.ToApplication(s, nil)
	require.NoError(t, err)
	got := Diff(&v1, &v2)
	want := []Change{
		{Field: "contact.mobile", Before: "13800138000", After: "13900139000"},
		{Field: "rules[0]", Before: "规章制度汇编.pdf", After: "规章制度汇编.pdf"},
		{Field: "occupations[0].levels", Before: "五级至三级", After: "五级至四级"},
		{Field: "staff[0].id_number", Before: "150102********1230", After: "110101********0014"},
		{Field: "supervisors[1].name", Before: "", After: "新督导"},
		{Field: "supervisors[1].id_number", Before: "", After: "150102********1230"},
		{Field: "supervisors[1].employee", Before: "", After: "否"},
	}
	require.Equal(t, want, got)
	for _, c := range got {
		require.NotContains(t, c.Before+c.After, "19900101")
	}
	// Against nothing, every filled field is a change, in form order.
	all := Diff(nil, &v1)
	require.Equal(t, Change{Field: "applicant.name", After: "呼和浩特乳业示范有限公司"}, all[0])
	require.Equal(t, "conditions[6].evidence[0]", all[len(all)-1].Field)
}

func TestErrorMessagesNeverQuoteAnIDNumber(t *testing.T) {
	f := goodForm()
	bad := []string{"340524198001010013", withIDCheck(t, "15010220300101001"), "1501021990010112"}
	f.Staff[0].IDNumber, f.Assessors[0].IDNumber, f.Supervisors[0].IDNumber = bad[0], bad[1], bad[2]
	errs := check(f)
	require.Len(t, errs, 3)
	for _, e := range errs {
		for _, id := range bad {
			require.NotContains(t, e.Message, id)
		}
	}
}
