package web

import (
	"regexp"
	"strconv"
	"strings"

	"skillcert/models/validate"
)

// formField is one labelled input. Kind is an input type ("text", "tel", "email", "number",
// "date"), "textarea", "select" or "checkbox".
type formField struct {
	Name, ID, Label, Kind, Value string
	Checked, Required, Wide      bool
	Options                      []choice
	Hint                         string
	Autocomplete, InputMode      string
	Min, Max, MaxLength          string
	Rows                         int
	Errors, Warnings, Reviews    []string
}

// Describedby lists the IDs of the hint and messages that describe the input.
func (f formField) Describedby() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID+"-hint")
	}
	if len(f.Reviews) > 0 {
		ids = append(ids, f.ID+"-rev")
	}
	if len(f.Errors) > 0 {
		ids = append(ids, f.ID+"-err")
	}
	if len(f.Warnings) > 0 {
		ids = append(ids, f.ID+"-warn")
	}
	return strings.Join(ids, " ")
}

// choice is one choice of a select or radio group.
type choice struct {
	Value, Label string
	Selected     bool
}

func choices(selected string, pairs ...string) []choice {
	out := make([]choice, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, choice{Value: pairs[i], Label: pairs[i+1], Selected: pairs[i] == selected})
	}
	return out
}

var fieldIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

// fieldID turns a field path ("occupations[0].code") into an element ID ("f-occupations-0-code").
func fieldID(path string) string {
	return "f-" + strings.Trim(fieldIDUnsafe.ReplaceAllString(path, "-"), "-")
}

// fieldBag holds messages by field path; each consumer takes its own, and what no field took
// is shown in the page's summary.
type fieldBag struct {
	order []string
	msgs  map[string][]string
	taken map[string]bool
}

func newFieldBag() *fieldBag {
	return &fieldBag{msgs: map[string][]string{}, taken: map[string]bool{}}
}

func (b *fieldBag) add(path, msg string) {
	if _, ok := b.msgs[path]; !ok {
		b.order = append(b.order, path)
	}
	b.msgs[path] = append(b.msgs[path], msg)
}

func (b *fieldBag) addAll(fs validate.Errors) {
	for _, f := range fs {
		b.add(f.Field, f.Message)
	}
}

func (b *fieldBag) empty() bool { return b == nil || len(b.order) == 0 }

// take returns the messages of exactly these paths.
func (b *fieldBag) take(paths ...string) []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range paths {
		if m, ok := b.msgs[p]; ok && !b.taken[p] {
			b.taken[p] = true
			out = append(out, m...)
		}
	}
	return out
}

// takeUnder returns the messages of path and of every path below it ("rules", "rules[0]").
func (b *fieldBag) takeUnder(path string) []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range b.order {
		if b.taken[p] {
			continue
		}
		if p == path || strings.HasPrefix(p, path+"[") || strings.HasPrefix(p, path+".") {
			b.taken[p] = true
			out = append(out, b.msgs[p]...)
		}
	}
	return out
}

// rest returns the messages no field took.
func (b *fieldBag) rest() []string {
	if b == nil {
		return nil
	}
	var out []string
	for _, p := range b.order {
		if !b.taken[p] {
			b.taken[p] = true
			out = append(out, b.msgs[p]...)
		}
	}
	return out
}

// summary lists every message of the bag, taken or not, in the order they were added, each
// linked to the nearest element of known that its path or a parent path names; messages
// without such an element link to fallback (if not empty).
func (b *fieldBag) summary(known map[string]bool, fallback string) []errorLink {
	if b == nil {
		return nil
	}
	var out []errorLink
	for _, path := range b.order {
		href := fallback
		for p := path; p != ""; p = parentPath(p) {
			if known[fieldID(p)] {
				href = "#" + fieldID(p)
				break
			}
		}
		for _, m := range b.msgs[path] {
			out = append(out, errorLink{Href: href, Message: m})
		}
	}
	return out
}

// errorLink is an entry of a form's error summary: the message and the field it is about.
type errorLink struct{ Href, Message string }

// summaryLinks lists every field error with a link to the nearest element that exists.
func summaryLinks(errs validate.Errors, known map[string]bool) []errorLink {
	var out []errorLink
	for _, e := range errs {
		href := ""
		for p := e.Field; p != ""; p = parentPath(p) {
			if known[fieldID(p)] {
				href = "#" + fieldID(p)
				break
			}
		}
		out = append(out, errorLink{Href: href, Message: e.Message})
	}
	return out
}

// parentPath drops the last element of a field path: "staff[1].name" → "staff[1]" → "staff".
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i <= 0 {
		return ""
	}
	return p[:i]
}

// levelOptions are the choices of a level select, lowest grade first, with selected marked.
func levelOptions(selected validate.Level) []choice {
	out := []choice{{Value: "", Label: "请选择", Selected: selected == 0}}
	for l := validate.Level5; l >= validate.Level1; l-- {
		out = append(out, choice{Value: strconv.Itoa(int(l)), Label: l.Name(), Selected: l == selected})
	}
	return out
}

func parseLevel(v string) validate.Level {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || !validate.Level(n).Valid() {
		return 0
	}
	return validate.Level(n)
}

// levelText writes a level range, or "" for none.
func levelText(r validate.LevelRange) string {
	if r.Validate() != nil {
		return ""
	}
	return r.String()
}
