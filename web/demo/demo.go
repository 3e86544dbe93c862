// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package demo serves a small website with the Footfall tracker on every
// page: a home page with an outbound and a download link, a pricing page with
// a signup goal, a long docs page, and a single-page app. `make demo` and the
// browser end-to-end test use it.
package demo // import "github.com/footfall-analytics/footfall/web/demo"

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"net/http"
	"strings"
)

//go:embed pages/*.html
var pages embed.FS

// Options say where the site's pages send their events.
type Options struct {
	// Collector is the browserevents receiver's base URL, e.g. http://localhost:4319.
	Collector string
	// Site is the site id the tracker sends (data-site).
	Site string
	// Metrics, when set, is linked from every page.
	Metrics string
	// AllowAutomation sets data-allow-automation on the tracker's script
	// tag, so that browsers driven by tests send their events (footfall.js
	// sends nothing from an automated browser otherwise).
	AllowAutomation bool
}

// Handler returns the demo site.
func Handler(o Options) (http.Handler, error) {
	if o.Collector == "" || o.Site == "" {
		return nil, fmt.Errorf("demo: the collector URL and the site id are required")
	}
	o.Collector = strings.TrimSuffix(o.Collector, "/")
	tmpl, err := template.ParseFS(pages, "pages/*.html")
	if err != nil {
		return nil, err
	}
	// Every route of the single-page app serves the same page, so that deep
	// links and reloads work.
	routes := []struct{ pattern, file, title string }{
		{"GET /{$}", "index.html", "Home"},
		{"GET /pricing", "pricing.html", "Pricing"},
		{"GET /docs", "docs.html", "Docs"},
		{"GET /app/", "app.html", "App"},
	}
	mux := http.NewServeMux()
	for _, r := range routes {
		var buf bytes.Buffer
		data := struct {
			Options
			Title string
		}{o, r.title}
		if err := tmpl.ExecuteTemplate(&buf, r.file, data); err != nil {
			return nil, err
		}
		body := buf.Bytes()
		mux.HandleFunc(r.pattern, func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write(body)
		})
	}
	mux.HandleFunc("GET /files/footfall-guide.pdf", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Header().Set("Content-Disposition", `attachment; filename="footfall-guide.pdf"`)
		_, _ = w.Write([]byte("%PDF-1.4\n% Footfall demo download\n%%EOF\n"))
	})
	return mux, nil
}
