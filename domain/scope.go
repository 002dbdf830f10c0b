package domain

import (
	"fmt"

	"skillcert/models/validate"
)

// Occupation is an occupation (工种) and the level range applied for or approved.
type Occupation struct {
	Code   string              `json:"code"`
	Name   string              `json:"name"`
	Levels validate.LevelRange `json:"levels"`
}

// ApprovedWithinApplied checks the region's approved scope against the application: it may not
// be empty, and every approved occupation must be one applied for, once, with a valid level
// range within the one applied for (不得超出申报范围核准). Field errors are keyed approved[i].
func ApprovedWithinApplied(applied, approved []Occupation) validate.Errors {
	var errs validate.Errors
	if len(approved) == 0 {
		errs.Add("approved", "required", "请列明核准的职业（工种）及等级范围。")
		return errs
	}
	byCode := map[string]Occupation{}
	for _, o := range applied {
		byCode[o.Code] = o
	}
	seen := map[string]bool{}
	for i, ap := range approved {
		field := fmt.Sprintf("approved[%d]", i)
		o, ok := byCode[ap.Code]
		switch {
		case !ok:
			errs.Add(field+".code", "not_applied", fmt.Sprintf("职业编码 %s 不在该企业的申报范围内，不得超范围核准。", ap.Code))
		case seen[ap.Code]:
			errs.Add(field+".code", "duplicate", fmt.Sprintf("职业编码 %s 重复。", ap.Code))
		case ap.Levels.Validate() != nil:
			errs.Add(field+".levels", "bad_levels", "等级范围无效，应从较低等级写到较高等级，如五级至三级。")
		case !ap.Levels.Within(o.Levels):
			errs.Add(field+".levels", "wider_than_applied", fmt.Sprintf("%s 核准等级（%s）超出申报等级（%s）。", o.Name, ap.Levels, o.Levels))
		}
		seen[ap.Code] = true
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

// SittingWithinApproved checks that a sitting's occupation and level lie within the approved
// scope (不得超范围认定). It answers the field at fault and the message.
func SittingWithinApproved(approved []Occupation, code string, level int) (field, msg string, ok bool) {
	for _, a := range approved {
		if a.Code != code {
			continue
		}
		if !a.Levels.Contains(validate.Level(level)) {
			return "level", fmt.Sprintf("%s 核准等级为%s，不得认定%s", a.Name, a.Levels, validate.Level(level).Name()), false
		}
		return "", "", true
	}
	return "occupation_code", fmt.Sprintf("职业 %s 不在核准的认定范围内，不得超范围认定", code), false
}
