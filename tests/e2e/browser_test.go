// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/promtext"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/web/demo"
)

const (
	chromiumPath = "/usr/bin/chromium"
	browserDir   = "browser"
	chromeUA     = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
)

// The scripted visitors of browser/visitors.mjs. Each has a user agent of
// its own, so the receiver gives each its own visitor id.
var browserVisitors = []string{"bouncer", "reader", "spa", "converter", "otel", "returning"}

// privateVisitors opted out (localStorage, Global Privacy Control), or are
// automated browsers on pages without data-allow-automation: the tracker
// sends nothing for them.
var privateVisitors = []string{"optout", "gpc", "automated"}

func visitorUA(name string) string { return chromeUA + " FootfallE2E/" + name }

// requireBrowser checks what ./scripts/ensure-browser.sh installs; under CI
// a missing piece fails the run.
func requireBrowser(t *testing.T) {
	t.Helper()
	var missing []string
	if _, err := os.Stat(chromiumPath); err != nil {
		missing = append(missing, chromiumPath)
	}
	if _, err := os.Stat(filepath.Join(browserDir, "node_modules", "playwright-core")); err != nil {
		missing = append(missing, "tests/e2e/browser/node_modules")
	}
	if _, err := exec.LookPath("node"); err != nil {
		missing = append(missing, "node")
	}
	if len(missing) == 0 {
		return
	}
	msg := fmt.Sprintf("missing %v: run ./scripts/ensure-browser.sh (make e2e does)", missing)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// testOutputDir is where the browser test leaves its screenshot.
func testOutputDir(t *testing.T) string {
	dir := os.Getenv("FOOTFALL_TEST_OUTPUT")
	if dir == "" {
		dir = filepath.Join("..", "..", "test-output")
	}
	dir, err := filepath.Abs(filepath.Join(dir, "browser"))
	require.NoError(t, err)
	return dir
}

// bundleOpenTelemetrySDK builds browser/otel-page.js (the OpenTelemetry JS
// logs SDK and its OTLP/HTTP exporter) for the browser.
func bundleOpenTelemetrySDK(t *testing.T) []byte { return bundleBrowserScript(t, "otel-page.js") }

// serveDemoSite serves web/demo with data-allow-automation (the test's
// browsers are automated), the same site without it under /no-opt-in/, and
// /otel: a page that sends its page view through the OpenTelemetry JS SDK
// instead of footfall.js.
func serveDemoSite(t *testing.T, collectorURL string, otelBundle []byte) *httptest.Server {
	t.Helper()
	site, err := demo.Handler(demo.Options{Collector: collectorURL, Site: "demo", AllowAutomation: true})
	require.NoError(t, err)
	noOptIn, err := demo.Handler(demo.Options{Collector: collectorURL, Site: "demo"})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/", site)
	mux.Handle("/no-opt-in/", http.StripPrefix("/no-opt-in", noOptIn))
	mux.HandleFunc("GET /otel", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><title>OpenTelemetry SDK page</title><h1>Sent with the OpenTelemetry JS SDK</h1><script src="/otel-sdk.js"></script>`))
	})
	mux.HandleFunc("GET /otel-sdk.js", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/javascript")
		_, _ = w.Write(otelBundle)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// runNode runs a script of browser/ with its options as JSON, logs what it
// prints and returns it.
func runNode(t *testing.T, script string, options map[string]any) string {
	t.Helper()
	arg, err := json.Marshal(options)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script, string(arg))
	cmd.Dir = browserDir
	output, err := cmd.CombinedOutput()
	scanner := bufio.NewScanner(strings.NewReader(string(output)))
	for scanner.Scan() {
		t.Log(script + ": " + scanner.Text())
	}
	require.NoError(t, err, "%s failed", script)
	return string(output)
}

// browserEvent is one captured record of a scripted visitor.
type browserEvent struct {
	visitor, visitorID, name, path, sessionID string
	seq                                       int64
	attrs                                     map[string]any
}

func (e browserEvent) String() string { return e.name + " " + e.path }

// browserEvents returns the captured records of the scripted visitors: events
// by the user agent they came with, and session records by visitor id.
func (s *sink) browserEvents() (events []browserEvent, sessionRecords []browserEvent, duplicates int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, ld := range s.logs {
		for _, rl := range ld.ResourceLogs().All() {
			visitorID, _ := rl.Resource().Attributes().Get(schema.AttrVisitorID)
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					attrs := lr.Attributes().AsRaw()
					e := browserEvent{visitorID: visitorID.Str(), name: lr.EventName(), attrs: attrs}
					e.sessionID, _ = attrs[schema.AttrSessionID].(string)
					e.path, _ = attrs[schema.AttrURLPath].(string)
					e.seq, _ = attrs[schema.AttrSessionSeq].(int64)
					if e.name == schema.EventSessionStart || e.name == schema.EventSessionEnd {
						sessionRecords = append(sessionRecords, e)
						continue
					}
					id, _ := attrs[schema.AttrEventID].(string)
					if seen[id] {
						duplicates++
						continue
					}
					seen[id] = true
					ua, _ := attrs[schema.AttrUserAgentOriginal].(string)
					if _, name, ok := strings.Cut(ua, "FootfallE2E/"); ok {
						e.visitor = name
						events = append(events, e)
					}
				}
			}
		}
	}
	return events, sessionRecords, duplicates
}

// scrapeSeries returns the value of the first series of metric whose labels
// include every given label="value" (site="demo" unless a site is given),
// or -1.
func scrapeSeries(t *testing.T, endpoint, metric string, labels ...string) float64 {
	t.Helper()
	if !slices.ContainsFunc(labels, func(l string) bool { return strings.HasPrefix(l, "site=") }) {
		labels = append(labels, `site="demo"`)
	}
	v, ok, err := promtext.Value(endpoint, metric, labels...)
	if err != nil || !ok {
		return -1
	}
	return v
}

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Real visitors in Chromium, on the demo site with footfall.js served by the
// collector, and one page that uses the OpenTelemetry JS SDK instead: the
// exact events reach the collector, are sessionized, and are counted.
func TestE2EBrowserVisitors(t *testing.T) {
	footfallBinary(t)
	requireBrowser(t)
	otelBundle := bundleOpenTelemetrySDK(t)

	capture := &sink{}
	captureServer := httptest.NewServer(capture)
	defer captureServer.Close()
	// Clock skew of up to an hour, for the returning visitor whose clock runs
	// 31 minutes ahead. Lateness is measured on the collector's clock, so
	// that visitor ends no one else's session: sessions end after 20 s
	// without an event instead of 30 minutes, so that they end during the
	// test (each scripted visitor is done in a few seconds).
	c := startCollector(t, captureServer, t.TempDir(), "FOOTFALL_E2E_MAX_CLOCK_SKEW=1h", "FOOTFALL_E2E_STORE_USER_AGENT=true",
		"FOOTFALL_E2E_INACTIVITY=20s")
	site := serveDemoSite(t, "http://"+c.intake, otelBundle)

	userAgents := map[string]string{}
	for _, v := range append(slices.Clone(browserVisitors), privateVisitors...) {
		userAgents[v] = visitorUA(v)
	}
	outputDir := testOutputDir(t)
	output := runNode(t, "visitors.mjs", map[string]any{
		"demo":       site.URL,
		"collector":  "http://" + c.intake,
		"site":       "demo",
		"outputDir":  outputDir,
		"userAgents": userAgents,
	})
	t.Logf("screenshot: %s", filepath.Join(outputDir, "demo-pricing.png"))
	require.Contains(t, output, "intake refused 1 request with 503", "the reader's retry was exercised")
	require.Contains(t, output, "the refused batch came again after its Retry-After", "the tracker honours Retry-After")
	require.Contains(t, output, "automated navigator.webdriver true", "the automated visitor's browser says it is driven")
	for _, v := range privateVisitors {
		assert.NotContains(t, output, " "+v+" intake answered", "%s sends no request at all", v)
	}

	// What each visitor did, as events (name and path), web vitals aside:
	// they depend on what the browser measured.
	want := map[string][]string{
		"bouncer": {"browser.page_view /", "browser.engagement /"},
		"reader": {
			"browser.page_view /", "browser.engagement /",
			"browser.page_view /pricing", "pricing.viewed /pricing", "browser.engagement /pricing",
			"browser.page_view /docs", "browser.engagement /docs",
		},
		"spa": {
			"browser.page_view /app/", "browser.engagement /app/",
			"browser.page_view /app/inbox", "browser.engagement /app/inbox",
			"browser.page_view /app/settings", "browser.engagement /app/settings",
			"browser.page_view /app/inbox", "browser.engagement /app/inbox",
		},
		"converter": {
			"browser.page_view /pricing", "pricing.viewed /pricing", "signup /pricing", "browser.engagement /pricing",
			"browser.page_view /", "browser.click /", "browser.click /", "browser.engagement /",
		},
		"otel":      {"browser.page_view /otel"},
		"optout":    nil,
		"gpc":       nil,
		"automated": nil,
		"returning": {
			"browser.page_view /docs", "browser.engagement /docs",
			"browser.page_view /pricing", "pricing.viewed /pricing", "browser.engagement /pricing",
		},
	}
	wantPageViews := 0
	for _, evs := range want {
		for _, e := range evs {
			if strings.HasPrefix(e, schema.EventPageView+" ") {
				wantPageViews++
			}
		}
	}

	got := func() map[string][]browserEvent {
		events, _, _ := capture.browserEvents()
		byVisitor := map[string][]browserEvent{}
		for _, e := range events {
			if e.name != schema.EventWebVital {
				byVisitor[e.visitor] = append(byVisitor[e.visitor], e)
			}
		}
		return byVisitor
	}
	summary := func(evs []browserEvent) []string {
		out := make([]string, 0, len(evs))
		for _, e := range evs {
			out = append(out, e.String())
		}
		slices.Sort(out)
		return out
	}
	var byVisitor map[string][]browserEvent
	if !assert.Eventually(t, func() bool {
		byVisitor = got()
		for v, evs := range want {
			if len(byVisitor[v]) < len(evs) {
				return false
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond) {
		for v := range want {
			t.Logf("%s: %v", v, summary(byVisitor[v]))
		}
	}
	// Anything late would show up now.
	time.Sleep(2 * time.Second)
	byVisitor = got()
	for v, evs := range want {
		assert.ElementsMatch(t, evs, summary(byVisitor[v]), "events of the %s", v)
	}
	events, sessionRecords, duplicates := capture.browserEvents()
	assert.Zero(t, duplicates, "no event reaches the exporter twice")

	t.Run("events carry what the tracker promised", func(t *testing.T) {
		for _, e := range events {
			assert.Regexp(t, uuidPattern, e.attrs[schema.AttrEventID], "%s of the %s has a UUID event id", e, e.visitor)
			assert.NotContains(t, e.attrs, schema.AttrEventIDGenerated)
			assert.NotEmpty(t, e.sessionID, "%s is sessionized", e)
			assert.Equal(t, "Chrome", e.attrs[schema.AttrUserAgentName], "%s", e)
			assert.Equal(t, "desktop", e.attrs[schema.AttrDeviceType], "%s", e)
		}
		// Page views in the order the visitor saw them, by session sequence.
		var spaPaths []string
		spa := slices.Clone(byVisitor["spa"])
		slices.SortFunc(spa, func(a, b browserEvent) int { return int(a.seq - b.seq) })
		for _, e := range spa {
			if e.name == schema.EventPageView {
				spaPaths = append(spaPaths, e.path)
			}
		}
		assert.Equal(t, []string{"/app/", "/app/inbox", "/app/settings", "/app/inbox"}, spaPaths, "history.pushState and the back button are page views")

		for _, e := range byVisitor["converter"] {
			switch e.name {
			case "signup":
				assert.Equal(t, "pro", e.attrs["plan"], "data-footfall-prop-plan")
			case "pricing.viewed":
				assert.Equal(t, "a", e.attrs["variant"], "a call queued before the script loaded keeps its properties")
			case schema.EventClick:
				switch e.attrs[schema.AttrClickElement] {
				case "download":
					assert.Equal(t, site.URL+"/files/footfall-guide.pdf", e.attrs[schema.AttrLinkURL])
				case "outbound":
					assert.Equal(t, "https://opentelemetry.io/", e.attrs[schema.AttrLinkURL])
				default:
					t.Errorf("unexpected click %v", e.attrs)
				}
			}
		}
		for _, e := range byVisitor["reader"] {
			if e.name == schema.EventEngagement && e.path == "/docs" {
				assert.EqualValues(t, 100, e.attrs[schema.AttrEngagementScrollDepth], "the reader scrolled to the end")
				assert.GreaterOrEqual(t, e.attrs[schema.AttrEngagementTimeMs], int64(1000), "the reader stayed over a second, visible and focused")
			}
			if e.name == schema.EventPageView && e.path == "/pricing" {
				assert.Equal(t, site.URL+"/", e.attrs["footfall.referrer"], "a page reached by a link has the previous page as referrer")
				assert.Equal(t, "internal", e.attrs["footfall.referrer.class"])
			}
		}

		var vitals []string
		for _, e := range events {
			if e.name == schema.EventWebVital {
				name, _ := e.attrs[schema.AttrWebVitalName].(string)
				assert.Contains(t, []string{"LCP", "INP", "CLS"}, name)
				vitals = append(vitals, e.visitor+" "+name+" "+e.path)
			}
		}
		t.Logf("web vitals reported: %v", vitals)
		assert.Contains(t, vitals, "bouncer LCP /", "LCP is reported when the page is hidden")
	})

	t.Run("sessions", func(t *testing.T) {
		visitorOf := map[string]string{}
		for _, e := range events {
			visitorOf[e.visitorID] = e.visitor
		}
		starts := map[string][]browserEvent{}
		for _, r := range sessionRecords {
			if r.name == schema.EventSessionStart && visitorOf[r.visitorID] != "" {
				starts[visitorOf[r.visitorID]] = append(starts[visitorOf[r.visitorID]], r)
			}
		}
		for _, v := range browserVisitors {
			want := 1
			if v == "returning" {
				want = 2
			}
			assert.Len(t, starts[v], want, "sessions of the %s", v)
		}
		returned := 0
		for _, r := range starts["returning"] {
			if r.attrs[schema.AttrSessionReturning] == true {
				returned++
			}
		}
		assert.Equal(t, 1, returned, "the visitor back after 31 minutes is returning")
	})

	t.Run("metrics", func(t *testing.T) {
		// Every session ends 20 s after its last event on the collector's
		// clock, except the returning visitor's second one: its clock runs 31
		// minutes ahead, so it stays open that much longer.
		wantMetrics := []struct {
			metric string
			labels []string
			value  float64
		}{
			{"footfall_page_views_total", nil, float64(wantPageViews)},
			{"footfall_sessions_total", nil, 7},
			{"footfall_sessions_by_visitor_type_total", []string{`visitor_type="returning"`}, 1},
			{"footfall_sessions_ended_total", []string{`reason="idle"`}, 6},
			// The bouncer, the OpenTelemetry SDK page, and the returning
			// visitor's first visit: one page view and nothing else.
			{"footfall_bounces_total", nil, 3},
			{"footfall_goal_conversions_total", []string{`goal="signup"`}, 1},
			{"footfall_clicks_total", []string{`element="outbound"`}, 1},
			{"footfall_clicks_total", []string{`element="download"`}, 1},
		}
		assert.Eventually(t, func() bool {
			for _, m := range wantMetrics {
				if scrapeSeries(t, c.metrics, m.metric, m.labels...) != m.value {
					return false
				}
			}
			return true
		}, 30*time.Second, 200*time.Millisecond)
		for _, m := range wantMetrics {
			assert.Equal(t, m.value, scrapeSeries(t, c.metrics, m.metric, m.labels...), "%s%v", m.metric, m.labels)
		}
	})
}

// The live dashboard in Chromium shows new visitors and page views within
// two seconds of the events (sessionizer lateness 0 here: the default holds
// events 10s for late arrivals).
func TestE2EBrowserLiveDashboard(t *testing.T) {
	footfallBinary(t)
	requireBrowser(t)
	capture := &sink{}
	captureServer := httptest.NewServer(capture)
	defer captureServer.Close()
	c := startCollector(t, captureServer, t.TempDir(), "FOOTFALL_E2E_LATENESS=0s")

	output := runNode(t, "dashboard.mjs", map[string]any{
		"dashboard": "http://" + c.liveview + "/",
		"intake":    "http://" + c.intake,
		"origin":    "http://localhost:8080",
		"outputDir": testOutputDir(t),
	})
	_, line, ok := strings.Cut(output, "RESULT ")
	require.True(t, ok, "dashboard.mjs printed no result")
	var result struct {
		CurrentVisitorsMs, ChartMs int
		Pages5m, Funnels5m         []string
		Pressed                    string
	}
	require.NoError(t, json.Unmarshal([]byte(strings.TrimSpace(line)), &result))
	assert.Equal(t, "5m", result.Pressed, "the window picker shows the window chosen")
	// Each list line is the name then the count.
	assert.Equal(t, []string{"/pricing3"}, result.Pages5m, "the last five minutes' top pages")
	assert.Equal(t, []string{"signup · step 13"}, result.Funnels5m, "config/default.yaml's signup funnel: three sessions saw /pricing")
	t.Logf("current visitors shown after %d ms, the chart after %d ms; screenshot: %s", result.CurrentVisitorsMs, result.ChartMs, filepath.Join(testOutputDir(t), "liveview.png"))
	assert.LessOrEqual(t, result.CurrentVisitorsMs, 2000, "current visitors within 2s")
	assert.LessOrEqual(t, result.ChartMs, 2000, "page-views chart within 2s")
}
