package occupations

import (
	"bytes"
	"encoding/csv"
	"strings"
	"sync"
)

// groupNames maps the codes of the embedded major, middle and minor groups
// ("6", "6-31", "6-31-01") to their names.
var groupNames = sync.OnceValue(func() map[string]string {
	recs, err := csv.NewReader(bytes.NewReader(groupsCSV)).ReadAll()
	if err != nil {
		panic("occupations: embedded groups: " + err.Error())
	}
	m := make(map[string]string, len(recs))
	for _, r := range recs[1:] { // skip the header code,level,name
		m[strings.TrimSpace(r[0])] = strings.TrimSpace(r[2])
	}
	return m
})

// GroupName returns the name of a major ("6"), middle ("6-31") or minor
// ("6-31-01") group of the embedded 2022 edition.
func GroupName(code string) (string, bool) {
	n, ok := groupNames()[code]
	return n, ok
}
