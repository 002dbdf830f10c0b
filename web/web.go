// Package web holds the server-rendered pages' templates and static assets, embedded in the
// binary so that `skillcert dev` needs no front-end build.
package web

import "embed"

// Templates holds the HTML templates (templates/*.html).
//
//go:embed templates/*.html
var Templates embed.FS

// Static holds the CSS, scripts and images served under /static/.
//
//go:embed static
var Static embed.FS
