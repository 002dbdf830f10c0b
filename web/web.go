// Package web serves the server-rendered pages of the officials', enterprises',
// administrators' and the public's journeys, in Simplified Chinese, usable without
// JavaScript. The pages are a thin layer over the same use cases as the JSON API (the methods
// of service.Service taking the actor), so that no rule, check or audit row exists twice, and
// no page goes through the JSON router. Sessions, CSRF, throttling and the authorize check are
// package api's middleware; the templates and static assets are embedded here, so that
// `skillcert dev` needs no front-end build.
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
