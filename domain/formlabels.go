package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// FormFieldLabels are the Chinese names of the form's fields and lists (paths as in appcheck.Form).
var FormFieldLabels = map[string]string{
	"applicant.name": "单位名称", "applicant.address": "单位地址", "applicant.credit_code": "统一社会信用代码",
	"contact.name": "联系人姓名", "contact.post": "联系人职务", "contact.landline": "联系人固定电话", "contact.mobile": "联系人手机",
	"contact.email": "联系人电子邮箱", "rules": "规章制度（附件）", "occupations": "申报职业（工种）", "strengths": "组织和专业优势",
	"site.description": "场地情况", "site.ownership": "场地权属证明（附件）", "site.equipment_ownership": "设施设备权属证明（附件）", "equipment": "设备设施", "exam_system": "计算机考务管理及视频监控设备配置情况",
	"staff": "专职工作人员", "assessors": "考评人员", "supervisors": "督导人员",
}

// FormColumnLabels are the Chinese names of the columns of each list.
var FormColumnLabels = map[string]map[string]string{
	"occupations": {"name": "职业（工种）名称", "code": "职业编码", "work_type": "工种", "fee": "收费标准（元）", "levels": "申报等级"},
	"equipment":   {"name": "名称", "brand": "品牌", "model": "规格型号", "quantity": "数量", "ownership": "权属"},
	"staff": {"name": "姓名", "id_number": "身份证号", "title": "职务/职称", "education": "学历", "duties": "主要职责",
		"employee": "本单位职工", "agreement": "服务承诺书或合作协议"},
	"assessors": {"name": "姓名", "id_number": "身份证号", "employer": "工作单位", "title": "职务/职称/技能等级", "education": "学历",
		"occupation": "评价职业（工种）", "employee": "本单位职工", "agreement": "服务承诺书或合作协议"},
	"supervisors": {"name": "姓名", "id_number": "身份证号", "employer": "工作单位", "title": "职务/职称/技能等级", "education": "学历",
		"occupation": "督导职业（工种）", "employee": "本单位职工", "agreement": "服务承诺书或合作协议"},
}

var ChineseNumerals = []string{"一", "二", "三", "四", "五", "六", "七"}

// FormFieldLabel names a field path of the application form (appcheck.Form) in Chinese:
// "staff[1].id_number" is 专职工作人员第2行·身份证号; a path it does not know is returned as is.
func FormFieldLabel(path string) string {
	if l, ok := FormFieldLabels[path]; ok {
		return l
	}
	list, rest, ok := strings.Cut(path, "[")
	if !ok {
		return path
	}
	num, tail, _ := strings.Cut(rest, "]")
	i, err := strconv.Atoi(num)
	if err != nil {
		return path
	}
	tail = strings.TrimPrefix(tail, ".")
	col, _, _ := strings.Cut(tail, ".")
	col, _, _ = strings.Cut(col, "[")
	if list == "conditions" && i >= 0 && i < len(ChineseNumerals) {
		what := map[string]string{"explanation": "情况说明", "evidence": "佐证材料"}[col]
		return "基本条件（" + ChineseNumerals[i] + "）" + what
	}
	label := FormFieldLabels[list]
	if label == "" {
		return path
	}
	label += fmt.Sprintf("第%d行", i+1)
	if c := FormColumnLabels[list][col]; c != "" {
		label += "·" + c
	}
	return label
}
