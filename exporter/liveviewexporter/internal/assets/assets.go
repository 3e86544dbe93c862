// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package assets holds the live dashboard page: index.html, app.js and the
// vendored uPlot chart library (vendor/, copied from npm by
// `make liveview-assets` and checked by `make check-liveview`).
package assets // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/assets"

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed index.html app.js vendor
var files embed.FS

// Index serves the dashboard page.
func Index() http.Handler {
	page, _ := files.ReadFile("index.html") // embedded: always there
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(page)
	})
}

// Static serves app.js and vendor/.
func Static() http.Handler {
	sub, _ := fs.Sub(files, ".") // "." is always valid
	return http.FileServerFS(sub)
}
