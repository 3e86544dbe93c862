// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/promtext"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// bundleBrowserScript builds one script of browser/ for the browser with
// esbuild.
func bundleBrowserScript(t *testing.T, script string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.js")
	cmd := exec.Command(filepath.Join("node_modules", ".bin", "esbuild"), script, "--bundle", "--format=iife", "--platform=browser", "--target=es2020", "--outfile="+out)
	cmd.Dir = browserDir
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "esbuild: %s", output)
	bundle, err := os.ReadFile(out)
	require.NoError(t, err)
	return bundle
}

// serveDropInSite serves /faro/* and /plausible/*: pages that run the Faro
// Web SDK and the Plausible tracker, pointed at the collector.
func serveDropInSite(t *testing.T, collectorURL string) *httptest.Server {
	t.Helper()
	bundles := map[string][]byte{
		"faro":      bundleBrowserScript(t, "faro-page.js"),
		"plausible": bundleBrowserScript(t, "plausible-page.js"),
	}
	config, err := json.Marshal(map[string]string{"collector": collectorURL, "app": "faro-shop", "domain": "plausible-shop.example"})
	require.NoError(t, err)
	mux := http.NewServeMux()
	for sdk, bundle := range bundles {
		mux.HandleFunc("GET /"+sdk+"/", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			page := html.EscapeString(r.URL.Path)
			_, _ = fmt.Fprintf(w, `<!doctype html><title>%s</title><h1>%s, sent with %s</h1><p>%s</p>
<script>window.FOOTFALL_E2E = %s</script><script src="/%s.js"></script>`, page, page, sdk, strings.Repeat("Some text. ", 50), config, sdk) // #nosec G705 -- the path is escaped; the rest is the test's own
		})
		mux.HandleFunc("GET /"+sdk+".js", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/javascript")
			_, _ = w.Write(bundle)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// Real browsers run the Grafana Faro Web SDK and the Plausible tracker from
// npm, pointed at the collector with nothing else changed: each SDK's
// scripted visits (a reader of two pages, a converter who signs up for
// 10 EUR) give exact page views, sessions, goals and revenue on the metrics
// endpoint, in the site the SDK names. With FOOTFALL_CAPTURE_DROPIN set to
// a directory, the bodies the SDKs post are saved there (how the golden
// inputs of the receiver's dropin package were captured).
func TestE2EDropInSDKs(t *testing.T) {
	footfallBinary(t)
	requireBrowser(t)
	capture := &sink{}
	captureServer := httptest.NewServer(capture)
	defer captureServer.Close()
	c := startCollectorWith(t, captureServer, t.TempDir(), []string{filepath.Join("testdata", "dropin.yaml")}, "FOOTFALL_E2E_STORE_USER_AGENT=true")
	site := serveDropInSite(t, "http://"+c.intake)

	userAgents := map[string]string{}
	for _, sdk := range []string{"faro", "plausible"} {
		for _, v := range []string{"reader", "converter"} {
			userAgents[sdk+"-"+v] = visitorUA(sdk + "-" + v)
		}
	}
	options := map[string]any{"site": site.URL, "collector": "http://" + c.intake, "userAgents": userAgents}
	if dir := os.Getenv("FOOTFALL_CAPTURE_DROPIN"); dir != "" {
		options["capture"] = dir
	}
	runNode(t, "dropin.mjs", options)

	endpoint := c.metrics
	exact := map[string]float64{
		"footfall_page_views_total":                            3,
		"footfall_sessions_total":                              2,
		`footfall_goal_conversions_total{goal="signup"}`:       1,
		`footfall_revenue_total{goal="signup",currency="EUR"}`: 10,
	}
	for _, sdk := range []string{"faro", "plausible"} {
		for series, want := range exact {
			name, labels := splitSeries(series)
			labels = append(labels, fmt.Sprintf("site=%q", sdk))
			assert.Eventually(t, func() bool { return scrapeSeries(t, endpoint, name, labels...) == want },
				20*time.Second, 200*time.Millisecond, "%s of %s: %v", series, sdk, scrapeSeries(t, endpoint, name, labels...))
		}
	}
	// What each SDK measures on the page as it is hidden: Faro's CLS (the
	// headless browser paints no largest contentful paint it would
	// report), Plausible's engaged time; one per page view.
	sum := func(metric, site string) float64 {
		v, _, err := promtext.Sum(endpoint, metric, fmt.Sprintf("site=%q", site))
		require.NoError(t, err)
		return v
	}
	assert.Eventually(t, func() bool { return sum("footfall_web_vitals_cls_count", "faro") == 3 }, 20*time.Second, 200*time.Millisecond,
		"Faro's CLS: %v", sum("footfall_web_vitals_cls_count", "faro"))
	assert.Eventually(t, func() bool { return sum("footfall_page_engaged_time_seconds_count", "plausible") == 3 }, 20*time.Second, 200*time.Millisecond,
		"Plausible's engagement: %v", sum("footfall_page_engaged_time_seconds_count", "plausible"))
	time.Sleep(2 * time.Second) // anything counted twice would show now
	for _, sdk := range []string{"faro", "plausible"} {
		assert.InDelta(t, 3, scrapeSeries(t, endpoint, "footfall_page_views_total", fmt.Sprintf("site=%q", sdk)), 0, sdk)
	}
	assert.InDelta(t, 3, sum("footfall_web_vitals_cls_count", "faro"), 0)

	events, _, duplicates := capture.browserEvents()
	assert.Zero(t, duplicates)
	byFormat := map[string]int{}
	for _, e := range events {
		format, _ := e.attrs[schema.AttrIngestFormat].(string)
		byFormat[format]++
		assert.Equal(t, strings.SplitN(e.visitor, "-", 2)[0], format, "%s of %s", e, e.visitor)
	}
	assert.Positive(t, byFormat["faro"])
	assert.Positive(t, byFormat["plausible"])
}

// splitSeries cuts `name{a="b",...}` into the name and its label matchers.
func splitSeries(series string) (string, []string) {
	name, labels, found := strings.Cut(series, "{")
	if !found {
		return name, nil
	}
	return name, strings.Split(strings.TrimSuffix(labels, "}"), ",")
}
