package appcheck

import (
	"encoding/json"
	"testing"

	"skillcert/models/validate"
)

// FuzzValidateForm decodes arbitrary JSON into a form and runs everything a request can reach:
// normalising, validating in both modes, sealing, revealing and comparing. None of it may
// panic, and every fault must name its field and explain itself.
func FuzzValidateForm(f *testing.F) {
	good, _ := json.Marshal(goodForm())
	f.Add(good)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"occupations":[{"code":"6-18-02-04","name":"焊工","levels":{"low":9,"high":-3},"fee":"-1e9"}]}`))
	f.Add([]byte(`{"staff":[{"id_number":"１1010519491231002x"},{"id_number":"150102********1230"}],"assessors":[{}]}`))
	f.Add([]byte(`{"equipment":[{"quantity":-9223372036854775808}],"conditions":[{},{},{},{},{},{},{},{},{}]}`))
	f.Add([]byte(`{"applicant":{"credit_code":"\u0000\uFFFD","credit_code_override":true},"contact":{"email":"<a@b>","landline":"(0471"}}`))
	s := newSealer(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var form Form
		if json.Unmarshal(data, &form) != nil {
			return
		}
		for _, in := range []Input{{Today: testToday}, {Today: testToday, Mode: Draft}} {
			for _, fm := range []Form{form, form.Normalize()} {
				for _, e := range ValidateForm(fm, in) {
					if e.Field == "" || e.Code == "" || e.Message == "" {
						t.Fatalf("fault without field, code or message: %+v", e)
					}
				}
			}
		}
		app, err := form.ToApplication(s, nil)
		if err != nil {
			t.Fatalf("ToApplication: %v", err)
		}
		back, err := FromApplication(app, s, true)
		if err != nil {
			t.Fatalf("FromApplication: %v", err)
		}
		for i := range back.Staff {
			if want := validate.NormalizeIDNumber(form.Staff[i].IDNumber); back.Staff[i].IDNumber != want {
				t.Fatalf("staff[%d] ID did not survive sealing", i)
			}
		}
		if d := Diff(&app, &app); len(d) != 0 {
			t.Fatalf("a form differs from itself: %v", d)
		}
		again, err := back.ToApplication(s, &app)
		if err != nil {
			t.Fatalf("ToApplication again: %v", err)
		}
		if d := Diff(&app, &again); len(d) != 0 {
			t.Fatalf("reveal and reseal changed the form: %v", d)
		}
	})
}
