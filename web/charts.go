package web

import (
	"math"
	"strconv"
	"strings"
)

// Charts drawn on the server as inline SVG: no script, no style attribute (the site's CSP has
// style-src 'self'), colours as presentation attributes. Each chart carries a <title> and a
// <desc> and is labelled by them (role="img"); the table beside it is the accessible source of
// its numbers. Coordinates are computed here, the markup is in p_statistics.html.

// barDatum is one bar: its category, its value and the text printed after it.
type barDatum struct {
	Label string
	Value float64
	Text  string
}

// barChart is a horizontal bar chart (one row per category, so long Chinese names fit).
type barChart struct {
	ID, Title, Desc string
	Width, Height   int
	// LabelX is where category labels end (right-aligned), PlotX where bars start, PlotW the
	// width a bar of the scale's maximum takes.
	LabelX, PlotX, PlotW int
	Bars                 []barView
	Ticks                []tickView
	AxisY1, AxisY2       int
}

type barView struct {
	Label, Text          string
	Y, W, H, TextX, MidY int
}

type tickView struct {
	Label  string
	X, Y   int
	Y1, Y2 int
}

const (
	barRow     = 26
	barTop     = 10
	barBottom  = 30
	chartWidth = 640
)

// newBarChart lays out bars; scale is the value of a full-width bar (0: the largest value,
// rounded up to a readable number).
func newBarChart(id, title, desc string, data []barDatum, scale float64) *barChart {
	if scale <= 0 {
		for _, d := range data {
			scale = math.Max(scale, d.Value)
		}
		scale = niceCeil(scale)
	}
	c := &barChart{ID: id, Title: title, Desc: desc, Width: chartWidth, LabelX: 120, PlotX: 128, PlotW: chartWidth - 128 - 80}
	c.Height = barTop + len(data)*barRow + barBottom
	c.AxisY1, c.AxisY2 = barTop-4, barTop+len(data)*barRow
	for i, d := range data {
		w := 0
		if scale > 0 && d.Value > 0 {
			w = int(math.Round(math.Min(d.Value, scale) / scale * float64(c.PlotW)))
		}
		y := barTop + i*barRow
		c.Bars = append(c.Bars, barView{Label: d.Label, Text: d.Text, Y: y + 4, W: w, H: barRow - 8, TextX: c.PlotX + w + 6, MidY: y + barRow/2 + 5})
	}
	for i := 0; i <= 4; i++ {
		x := c.PlotX + i*c.PlotW/4
		c.Ticks = append(c.Ticks, tickView{Label: numberText(scale * float64(i) / 4), X: x, Y: c.AxisY2 + 18, Y1: c.AxisY1, Y2: c.AxisY2})
	}
	return c
}

// lineSeries is one line of a line chart.
type lineSeries struct {
	Name, Color, Dash string
	Values            []float64
}

// lineChart is a line chart over categories (months).
type lineChart struct {
	ID, Title, Desc      string
	Width, Height        int
	PlotX, PlotY         int
	PlotW, PlotH, Bottom int
	PlotRight            int
	XLabels              []tickView
	YTicks               []tickView
	Series               []lineView
	Legend               []legendView
}

type lineView struct {
	Name, Color, Dash, Points string
	Dots                      []dotView
}

type dotView struct {
	X, Y  int
	Title string
}

type legendView struct {
	Name, Color, Dash      string
	X, X2, Y, TextX, TextY int
}

// newLineChart lays out the series over the labels; the y axis starts at 0.
func newLineChart(id, title, desc string, labels []string, series []lineSeries) *lineChart {
	c := &lineChart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: 260, PlotX: 48, PlotY: 34}
	c.PlotW, c.PlotH = c.Width-c.PlotX-16, c.Height-c.PlotY-40
	c.Bottom, c.PlotRight = c.PlotY+c.PlotH, c.PlotX+c.PlotW
	top := 0.0
	for _, s := range series {
		for _, v := range s.Values {
			top = math.Max(top, v)
		}
	}
	top = niceCeil(top)
	if top == 0 {
		top = 4
	}
	x := func(i int) int {
		if len(labels) <= 1 {
			return c.PlotX + c.PlotW/2
		}
		return c.PlotX + i*c.PlotW/(len(labels)-1)
	}
	y := func(v float64) int { return c.Bottom - int(math.Round(v/top*float64(c.PlotH))) }
	every := max(1, (len(labels)+11)/12)
	for i, l := range labels {
		if i%every == 0 || i == len(labels)-1 {
			c.XLabels = append(c.XLabels, tickView{Label: l, X: x(i), Y: c.Bottom + 18})
		}
	}
	for i := 0; i <= 4; i++ {
		v := top * float64(i) / 4
		c.YTicks = append(c.YTicks, tickView{Label: numberText(v), X: c.PlotX - 6, Y: y(v) + 4, Y1: y(v)})
	}
	for k, s := range series {
		lv := lineView{Name: s.Name, Color: s.Color, Dash: s.Dash}
		var pts []string
		for i, v := range s.Values {
			px, py := x(i), y(v)
			pts = append(pts, strconv.Itoa(px)+","+strconv.Itoa(py))
			lbl := ""
			if i < len(labels) {
				lbl = labels[i]
			}
			lv.Dots = append(lv.Dots, dotView{X: px, Y: py, Title: lbl + " " + s.Name + " " + numberText(v)})
		}
		lv.Points = strings.Join(pts, " ")
		c.Series = append(c.Series, lv)
		c.Legend = append(c.Legend, legendView{Name: s.Name, Color: s.Color, Dash: s.Dash, X: c.PlotX + k*120, X2: c.PlotX + k*120 + 22,
			Y: 14, TextX: c.PlotX + k*120 + 28, TextY: 18})
	}
	return c
}

// niceCeil rounds a positive maximum up to 1, 2, 2.5 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 0
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func numberText(v float64) string {
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
