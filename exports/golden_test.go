package exports

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// The golden files in testdata/ are the forms of the notice (附件1 for two enterprises, 附件2
// for a league), written cell by cell: every label and value with its cell, and every merged
// range. The test reads the generated XLSX back with excelize and compares all of it, so a
// changed title, heading, label or block layout fails here. SKILLCERT_UPDATE_GOLDEN=1 rewrites
// the files after a deliberate change; review the diff against shared/docs/domain.md.

// sheetDump lists a sheet's non-empty cells in row-major order ("B4\t单位名称") and then its
// merged ranges ("merge A1:H1"), sorted.
func sheetDump(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	var b strings.Builder
	for r, row := range rows {
		for c, v := range row {
			if v == "" {
				continue
			}
			ref, err := excelize.CoordinatesToCellName(c+1, r+1)
			require.NoError(t, err)
			fmt.Fprintf(&b, "%s\t%s\n", ref, strings.ReplaceAll(v, "\n", `\n`))
		}
	}
	merges, err := f.GetMergeCells(sheet)
	require.NoError(t, err)
	var ms []string
	for _, m := range merges {
		ms = append(ms, "merge "+m.GetStartAxis()+":"+m.GetEndAxis())
	}
	sort.Slice(ms, func(i, j int) bool { return mergeLess(ms[i], ms[j]) })
	for _, m := range ms {
		b.WriteString(m + "\n")
	}
	return b.String()
}

// mergeLess orders merged ranges by their first cell's row, then column.
func mergeLess(a, b string) bool {
	ca, ra, _ := excelize.CellNameToCoordinates(strings.Split(strings.TrimPrefix(a, "merge "), ":")[0])
	cb, rb, _ := excelize.CellNameToCoordinates(strings.Split(strings.TrimPrefix(b, "merge "), ":")[0])
	if ra != rb {
		return ra < rb
	}
	return ca < cb
}

func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if os.Getenv("SKILLCERT_UPDATE_GOLDEN") == "1" {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), got, "%s differs from the form (SKILLCERT_UPDATE_GOLDEN=1 rewrites it)", path)
}

func TestGoldenApplicationForms(t *testing.T) {
	submitted := time.Date(2026, time.May, 9, 17, 0, 0, 0, time.UTC)
	dairy := dairyApplication()
	dairy.Site.EquipmentOwnership = append(dairy.Site.EquipmentOwnership, ref("巴氏杀菌机购置发票.pdf"))
	full := map[string]string{}
	for _, p := range dairy.Staff {
		full[p.ID.Cipher] = "FULL-" + p.ID.Masked
	}
	for _, p := range append(dairy.Assessors, dairy.Supervisors...) {
		full[p.ID.Cipher] = "FULL-" + p.ID.Masked
	}
	cases := []struct {
		golden string
		data   func() ([]byte, error)
	}{
		// The copy the region files: ID numbers in full.
		{"attachment1-dairy.golden", func() ([]byte, error) {
			return ApplicationXLSX(dairy, ApplicationMeta{ApplicationID: "0197-app-1", Version: 2, SubmittedAt: submitted,
				Jurisdiction: "呼和浩特市赛罕区", IDNumbers: full})
		}},
		// A second enterprise, a draft, masked.
		{"attachment1-rare.golden", func() ([]byte, error) {
			return ApplicationXLSX(rareApplication(), ApplicationMeta{ApplicationID: "0197-app-2", Jurisdiction: "包头市昆都仑区"})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.golden, func(t *testing.T) {
			data, err := tc.data()
			require.NoError(t, err)
			f := openXLSX(t, data)
			requireGolden(t, tc.golden, sheetDump(t, f, ApplicationSheet))
		})
	}
}

func TestGoldenApplicationIDsMaskedUnlessGiven(t *testing.T) {
	data, err := ApplicationXLSX(dairyApplication(), ApplicationMeta{Version: 1})
	require.NoError(t, err)
	dump := sheetDump(t, openXLSX(t, data), ApplicationSheet)
	require.Contains(t, dump, "150105********201X")
	require.NotContains(t, dump, "CIPHER-")
	require.Contains(t, dump, "身份证号已按规定脱敏")
}

func TestGoldenLeagueSummary(t *testing.T) {
	s := hohhotSummary()
	s.Enterprises[0].Jurisdiction = "呼和浩特市赛罕区"
	s.Enterprises[1].Jurisdiction = "呼和浩特市新城区"
	// The paper copy: one received, one not (the warning below the footer names it).
	s.Enterprises[0].PaperCopy = "2026-05-12 由王科员接收"
	s.Enterprises[1].PaperCopy = "未登记"
	s.MissingPaper = []string{s.Enterprises[1].Name}
	data, err := SummaryXLSX(s)
	require.NoError(t, err)
	f := openXLSX(t, data)
	requireGolden(t, "attachment2-hohhot.golden", sheetDump(t, f, f.GetSheetList()[0]))
}
