package occupations

// Exclusion is an occupation that enterprises may not certify themselves
// because its qualification is access-type (准入类): a licence required to
// practise, issued under its own law or regulation.
type Exclusion struct {
	// Code is the occupation code; empty when the entry names something that
	// has no code of its own in the dictionary, in which case Name is matched.
	Code string `json:"code"`
	// Name is the occupation name as the dictionary spells it.
	Name string `json:"name"`
	// Reason says in Chinese why the occupation is excluded.
	Reason string `json:"reason"`
}

// accessType2017 is the reason for the five access-type skill qualifications
// of the 2017 national catalogue.
const accessType2017 = "《国家职业资格目录》（2017年）所列准入类技能人员职业资格，不纳入职业技能等级认定"

// DefaultExclusions returns the seed list of access-type exclusions. It is
// our best reading of the 2017 catalogue's five access-type skill
// qualifications, not a list the notice gives, so it is seed data for a list
// the region edits. The 2021 catalogue also made special-operation
// (特种作业、特种设备、建筑施工特种作业) and transport licences access-type;
// those are licence categories rather than occupations and are left to the
// region to add. Each call returns a fresh slice.
func DefaultExclusions() []Exclusion {
	return []Exclusion{
		{Code: "6-18-02-04", Name: "焊工", Reason: accessType2017},
		{Code: "5-03-01-01", Name: "家畜繁殖员", Reason: accessType2017},
		{Code: "4-07-05-03", Name: "消防设施操作员", Reason: accessType2017},
		{Code: "4-14-05-03", Name: "游泳救生员", Reason: accessType2017},
		{Code: "4-14-05-01", Name: "社会体育指导员", Reason: accessType2017},
	}
}

// Excluder turns an exclusion list into the predicate CheckOccupation takes.
// An entry with a code matches that code; an entry without one matches any
// code whose name in d is the entry's name (ignoring whitespace and the width
// of parentheses). A nil d means Default(). The list is copied, so later
// edits to it do not change the predicate.
func Excluder(d *Dictionary, list []Exclusion) func(code string) bool {
	if d == nil {
		d = Default()
	}
	codes := map[string]bool{}
	names := map[string]bool{}
	for _, e := range list {
		if e.Code != "" {
			codes[e.Code] = true
		} else if n := canonicalName(e.Name); n != "" {
			names[n] = true
		}
	}
	return func(code string) bool {
		if codes[code] {
			return true
		}
		if len(names) == 0 {
			return false
		}
		o, ok := d.Lookup(code)
		return ok && names[canonicalName(o.Name)]
	}
}
