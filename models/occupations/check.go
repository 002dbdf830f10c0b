package occupations

import (
	"fmt"
	"strconv"

	"skillcert/models/validate"
)

// Field names used in the errors of CheckOccupation; prefix them with
// validate.Errors.Prefixed to place them in a form.
const (
	// FieldCode is the occupation code field.
	FieldCode = "code"
	// FieldName is the occupation name field.
	FieldName = "name"
	// FieldLevels is the requested level range field.
	FieldLevels = "levels"
)

// Sentinels for the faults of CheckOccupation, usable with errors.Is on the
// returned errors' Err(). Format faults use the validate sentinels.
var (
	// ErrUnknown is a well-formed code that is not in the dictionary.
	ErrUnknown = &validate.Fault{Code: "occupation_unknown", Message: "职业编码不在职业分类大典中"}
	// ErrNotSkillType is an occupation outside the skill-type major groups.
	ErrNotSkillType = &validate.Fault{Code: "occupation_not_skill", Message: "该职业不是技能类职业"}
	// ErrExcluded is an access-type occupation.
	ErrExcluded = &validate.Fault{Code: "occupation_excluded", Message: "该职业属于准入类职业资格"}
	// ErrNameMismatch is a name that differs from the dictionary's name for the code.
	ErrNameMismatch = &validate.Fault{Code: "occupation_name_mismatch", Message: "职业名称与编码不符"}
	// ErrLevelRange is a requested range outside the occupation's levels.
	ErrLevelRange = &validate.Fault{Code: "occupation_level_range", Message: "申报等级超出该职业设置的等级范围"}
)

// CheckOccupation checks one occupation row of an application: the code (in
// canonical form, see validate.NormalizeOccupationCode) must be well formed,
// in d, skill-type and not excluded; the name must be the dictionary's name
// for the code (whitespace and parenthesis width aside); the requested range
// must be a valid range within the occupation's levels. A nil d means
// Default(); a nil excluded excludes nothing. Faults are returned under
// FieldCode, FieldName and FieldLevels with Chinese messages; the result is
// empty when the row is acceptable.
func CheckOccupation(d *Dictionary, excluded func(code string) bool, code, name string, requested validate.LevelRange) validate.Errors {
	if d == nil {
		d = Default()
	}
	var errs validate.Errors
	requireName := func() {
		if canonicalName(name) == "" {
			errs.Add(FieldName, validate.ErrRequired.Code, "请填写职业名称")
		}
	}
	if err := validate.CheckOccupationCodeFormat(code); err != nil {
		errs.AddError(FieldCode, err)
		requireName()
		return errs
	}
	o, ok := d.Lookup(code)
	if !ok {
		errs.Add(FieldCode, ErrUnknown.Code, fmt.Sprintf("职业编码%s在职业分类大典中不存在，请核对", code))
		requireName()
		return errs
	}
	label := fmt.Sprintf("“%s”（%s）", o.Name, o.Code)
	certifiable := true
	if !o.SkillType {
		certifiable = false
		group := "第" + strconv.Itoa(o.Major) + "大类"
		if n, ok := GroupName(strconv.Itoa(o.Major)); ok {
			group += "“" + n + "”"
		}
		errs.Add(FieldCode, ErrNotSkillType.Code, fmt.Sprintf(
			"%s属于%s，不是技能类职业，不能申报职业技能等级认定", label, group))
	}
	if excluded != nil && excluded(o.Code) {
		certifiable = false
		errs.Add(FieldCode, ErrExcluded.Code, fmt.Sprintf(
			"%s属于准入类职业资格，不纳入企业职业技能等级自主评价范围", label))
	}
	requireName()
	if n := canonicalName(name); n != "" && n != canonicalName(o.Name) {
		errs.Add(FieldName, ErrNameMismatch.Code, fmt.Sprintf(
			"职业名称“%s”与编码%s不符，职业分类大典中该编码为“%s”", clip(name), o.Code, o.Name))
	}
	if !certifiable {
		return errs
	}
	if err := requested.Validate(); err != nil {
		if validate.CodeOf(err) == validate.ErrRequired.Code {
			errs.Add(FieldLevels, validate.ErrRequired.Code, "请选择申报的等级范围")
		} else {
			errs.AddError(FieldLevels, err)
		}
		return errs
	}
	if !requested.Within(o.Levels) {
		errs.Add(FieldLevels, ErrLevelRange.Code, fmt.Sprintf(
			"%s申报%s超出范围，该职业仅设%s", label, requested, o.Levels))
	}
	return errs
}
