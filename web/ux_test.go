package web

import (
	"math"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFocusRingContrast checks the focus outline against the white of the cards and the grey
// of the page: WCAG 1.4.11 asks 3:1 for the parts needed to see the focus.
func TestFocusRingContrast(t *testing.T) {
	css, err := Static.ReadFile("static/app.css")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^:focus-visible \{ outline: 3px solid (#[0-9a-f]{6});`).FindSubmatch(css)
	require.NotNil(t, m, "a focus-visible rule with a colour")
	for _, bg := range []string{"#ffffff", "#f5f7fa"} {
		got := contrast(string(m[1]), bg)
		require.GreaterOrEqual(t, got, 3.0, "focus ring %s on %s: %.2f:1", m[1], bg, got)
	}
	// The skip link, once focused, takes its own line instead of covering the brand text.
	require.Regexp(t, `\.skip:focus \{ position:static;`, string(css))
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	lum := func(h string) float64 {
		var c [3]float64
		for i := range c {
			n, _ := strconv.ParseUint(h[1+2*i:3+2*i], 16, 8)
			x := float64(n) / 255
			if x <= 0.03928 {
				c[i] = x / 12.92
			} else {
				c[i] = math.Pow((x+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*c[0] + 0.7152*c[1] + 0.0722*c[2]
	}
	x, y := lum(a), lum(b)
	return (max(x, y) + 0.05) / (min(x, y) + 0.05)
}
