package exports

import (
	"fmt"

	"github.com/xuri/excelize/v2"
)

// StatsOverviewSheet is the first sheet of StatisticsXLSX: the title, the period, the scope and
// the totals.
const StatsOverviewSheet = "概况"

// StatsHeader is the header of every breakdown sheet of StatisticsXLSX.
var StatsHeader = []string{"分组", "报名人数", "已出结果人数", "合格人数", "合格率（%）"}

// StatsSheet is one table of the statistics workbook.
type StatsSheet struct {
	// Name is the sheet's name (at most 31 characters), Title the heading in its first row.
	Name, Title string
	// Header names the columns; Rows hold strings, int64 counts and float64 rates (shown with one
	// decimal).
	Header []string
	Rows   [][]any
}

// StatisticsXLSX writes the statistics workbook: an overview sheet (title, then label–value
// facts) and one sheet per table with its title in row 1, its header in row 2 and the rows
// below. Text is written as text (never a formula), counts as numbers.
func StatisticsXLSX(title string, facts [][2]string, sheets []StatsSheet) ([]byte, error) {
	f := excelize.NewFile()
	defer func() { _ = f.Close() }()
	if err := f.SetSheetName("Sheet1", StatsOverviewSheet); err != nil {
		return nil, err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:   excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDE4EE"}},
		Border: []excelize.Border{{Type: "bottom", Color: "000000", Style: 1}}})
	if err != nil {
		return nil, err
	}
	oneDecimal := "0.0"
	rate, err := f.NewStyle(&excelize.Style{CustomNumFmt: &oneDecimal})
	if err != nil {
		return nil, err
	}
	set := func(sheet string, col, row int, v any) error {
		ref, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		switch x := v.(type) {
		case string:
			return f.SetCellStr(sheet, ref, x)
		case float64:
			if err := f.SetCellFloat(sheet, ref, x, 1, 64); err != nil {
				return err
			}
			return f.SetCellStyle(sheet, ref, ref, rate)
		default:
			return f.SetCellValue(sheet, ref, x)
		}
	}
	if err := set(StatsOverviewSheet, 1, 1, title); err != nil {
		return nil, err
	}
	if err := f.SetCellStyle(StatsOverviewSheet, "A1", "A1", bold); err != nil {
		return nil, err
	}
	for i, kv := range facts {
		if err := set(StatsOverviewSheet, 1, i+2, kv[0]); err != nil {
			return nil, err
		}
		if err := set(StatsOverviewSheet, 2, i+2, kv[1]); err != nil {
			return nil, err
		}
	}
	if err := f.SetColWidth(StatsOverviewSheet, "A", "A", 24); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(StatsOverviewSheet, "B", "B", 40); err != nil {
		return nil, err
	}
	for _, sh := range sheets {
		if _, err := f.NewSheet(sh.Name); err != nil {
			return nil, fmt.Errorf("sheet %s: %w", sh.Name, err)
		}
		if err := set(sh.Name, 1, 1, sh.Title); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(sh.Name, "A1", "A1", bold); err != nil {
			return nil, err
		}
		for c, h := range sh.Header {
			if err := set(sh.Name, c+1, 2, h); err != nil {
				return nil, err
			}
		}
		last, _ := excelize.CoordinatesToCellName(max(len(sh.Header), 1), 2)
		if err := f.SetCellStyle(sh.Name, "A2", last, head); err != nil {
			return nil, err
		}
		for r, row := range sh.Rows {
			for c, v := range row {
				if err := set(sh.Name, c+1, r+3, v); err != nil {
					return nil, err
				}
			}
		}
		if err := f.SetColWidth(sh.Name, "A", "A", 28); err != nil {
			return nil, err
		}
		if err := f.SetColWidth(sh.Name, "B", "E", 14); err != nil {
			return nil, err
		}
		if err := f.SetPanes(sh.Name, &excelize.Panes{Freeze: true, YSplit: 2, TopLeftCell: "A3", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
	}
	return finish(f)
}
