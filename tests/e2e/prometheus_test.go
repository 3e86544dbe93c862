// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/grafana"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// prometheusServer is a real Prometheus scraping the collector every second.
type prometheusServer struct{ addr string }

func startPrometheus(t *testing.T, targets map[string]string) prometheusServer {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("prometheus is not installed: `make e2e` installs Debian's prometheus package")
		}
		t.Skip("prometheus is not installed: `make e2e` installs it")
	}
	dir := t.TempDir()
	rules, err := filepath.Abs(filepath.Join("..", "..", "alerts", "footfall.rules.yml"))
	require.NoError(t, err)
	config := "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [" + strconv.Quote(rules) + "]\nscrape_configs:\n"
	for job, target := range targets {
		config += fmt.Sprintf("  - job_name: %s\n    static_configs: [{targets: [%q]}]\n", job, target)
	}
	configPath := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(configPath, []byte(config), 0o600))
	p := prometheusServer{addr: "127.0.0.1:" + freePort(t)}
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	require.NoError(t, err)
	cmd := exec.Command(bin, "--config.file="+configPath, "--storage.tsdb.path="+filepath.Join(dir, "data"), // #nosec G204 -- the test's own prometheus
		"--web.listen-address="+p.addr)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logFile.Name())
			t.Logf("prometheus output:\n%s", out)
		}
	})
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + p.addr + "/-/ready")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 100*time.Millisecond, "prometheus did not become ready")
	return p
}

type sample struct {
	labels map[string]string
	value  float64
}

// query runs an instant PromQL query over the HTTP API.
func (p prometheusServer) query(t *testing.T, q string) ([]sample, error) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, err
	}
	if body.Status != "success" {
		return nil, fmt.Errorf("%s: %s", q, body.Error)
	}
	out := make([]sample, 0, len(body.Data.Result))
	for _, r := range body.Data.Result {
		v, err := strconv.ParseFloat(r.Value[1].(string), 64)
		if err != nil {
			return nil, err
		}
		out = append(out, sample{labels: r.Metric, value: v})
	}
	return out, nil
}

func (p prometheusServer) scalar(t *testing.T, q string) float64 {
	t.Helper()
	samples, err := p.query(t, q)
	require.NoError(t, err)
	require.Len(t, samples, 1, q)
	return samples[0].value
}

// journey is one visitor's events, sent as the tracker would.
type journey struct {
	userAgent string
	events    []journeyEvent
}

type journeyEvent struct {
	name  string
	after time.Duration
	attrs map[string]string
	goal  float64
}

func (j journey) logs(visitor int, start time.Time) plog.Logs {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "demo")
	sl := rl.ScopeLogs().AppendEmpty()
	for i, e := range j.events {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(e.name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(start.Add(e.after)))
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprintf("v%d-%d-%d", visitor, start.UnixNano(), i))
		for k, v := range e.attrs {
			lr.Attributes().PutStr(k, v)
		}
		if e.goal > 0 {
			lr.Attributes().PutDouble(schema.AttrGoalValue, e.goal)
			lr.Attributes().PutStr(schema.AttrGoalCurrency, "EUR")
		}
	}
	return ld
}

func firefox(version int) string {
	return fmt.Sprintf("Mozilla/5.0 (X11; Linux x86_64; rv:%d.0) Gecko/20100101 Firefox/%d.0", version, version)
}

func page(path string, after time.Duration, referrer string) journeyEvent {
	attrs := map[string]string{schema.AttrURLFull: "http://localhost:8080" + path}
	if referrer != "" {
		attrs[schema.AttrReferrer] = referrer
	}
	return journeyEvent{name: schema.EventPageView, after: after, attrs: attrs}
}

// Three visitors with known answers, through the receiver, the sessionizer
// and the connector to a real Prometheus; then every dashboard query and
// every alert rule runs against it.
func TestE2EPrometheusDashboardsAndAlerts(t *testing.T) {
	capture := &sink{}
	server := httptest.NewServer(capture)
	t.Cleanup(server.Close)
	// Sessions end after 5 s without events, so the test sees them end.
	c := startCollector(t, server, t.TempDir(), "FOOTFALL_E2E_INACTIVITY=5s")
	prom := startPrometheus(t, map[string]string{"footfall": c.metrics, "footfall-telemetry": "127.0.0.1:" + c.telemetry})

	journeys := []journey{
		// A bouncer from a search engine.
		{userAgent: firefox(130), events: []journeyEvent{page("/", 0, "https://www.google.com/")}},
		// A reader: three pages.
		{userAgent: firefox(131), events: []journeyEvent{
			page("/", 0, ""), page("/blog/hello", time.Second, "http://localhost:8080/"), page("/pricing", 2*time.Second, "http://localhost:8080/blog/hello"),
		}},
		// A converter from the newsletter: one page, a click on the signup button, the signup goal.
		{userAgent: firefox(132), events: []journeyEvent{
			page("/pricing?utm_source=newsletter&utm_medium=email&utm_campaign=launch", 0, ""),
			{name: schema.EventClick, after: time.Second, attrs: map[string]string{schema.AttrURLFull: "http://localhost:8080/pricing", schema.AttrClickElement: "signup"}},
			{name: "signup", after: 2 * time.Second, attrs: map[string]string{schema.AttrURLFull: "http://localhost:8080/pricing", "plan": " pro "}, goal: 10},
		}},
	}
	// Bots, which no panel but "Bots filtered" counts: a crawler's two page
	// views (User-Agent list), and a person's page view from a spam referrer.
	bots := []journey{
		{userAgent: "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", events: []journeyEvent{page("/", 0, ""), page("/pricing", time.Second, "")}},
		{userAgent: firefox(133), events: []journeyEvent{page("/", 0, "https://www.0-0.fr/")}},
	}
	start := time.Now()
	for i, j := range append(journeys, bots...) {
		resp, body := c.post(t, "application/json", jsonBody(t, j.logs(i, start)), map[string]string{"User-Agent": j.userAgent})
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	}

	// Every session has ended (5 s idle) and Prometheus has scraped it.
	require.Eventually(t, func() bool {
		samples, err := prom.query(t, `sum(footfall_sessions_ended_total{site="demo"})`)
		return err == nil && len(samples) == 1 && samples[0].value == 3
	}, 60*time.Second, 250*time.Millisecond, "three sessions did not end in Prometheus")

	exact := map[string]float64{
		`sum(footfall_page_views_total{site="demo"})`:                                                            5,
		`sum(footfall_sessions_total{site="demo"})`:                                                              3,
		`sum(footfall_bounces_total{site="demo"})`:                                                               1,
		`sum(footfall_goal_conversions_total{site="demo",goal="signup"})`:                                        1,
		`sum(footfall_revenue_total{site="demo",goal="signup",currency="EUR"})`:                                  10,
		`sum(footfall_visitors{site="demo",window="today"})`:                                                     3,
		`sum(footfall_visitors_current{site="demo"})`:                                                            3,
		`sum(footfall_session_duration_seconds_count{site="demo"})`:                                              3,
		`sum(footfall_session_page_views_sum{site="demo"})`:                                                      5,
		`sum(footfall_clicks_total{site="demo",path="/pricing",element="signup"})`:                               1,
		`sum(footfall_sessions_by_campaign_total{site="demo",utm_source="newsletter",utm_campaign="launch"})`:    1,
		`sum(footfall_sessions_by_referrer_total{site="demo",referrer_class="search",referrer_source="Google"})`: 1,
		`sum(footfall_events_by_property_total{site="demo",event_name="signup",property="plan",value="pro"})`:    1,
		`sum(footfall_funnel_sessions_total{site="demo",funnel="signup",step="2"})`:                              1,
		`sum(footfall_revenue_by_referrer_total{site="demo",currency="EUR",referrer_class="direct"})`:            10,
	}
	for q, want := range exact {
		assert.InDelta(t, want, prom.scalar(t, q), 1e-9, q)
	}
	// The reader's and the converter's sessions last 2 s (last event minus first).
	assert.InDelta(t, 4, prom.scalar(t, `sum(footfall_session_duration_seconds_sum{site="demo"})`), 0.01)

	t.Run("dashboard panels", func(t *testing.T) {
		dashboards, err := grafana.Load(filepath.Join("..", "..", "dashboards"))
		require.NoError(t, err)
		// The answers the overview must show for the journeys above.
		single := map[string]float64{
			"Current visitors": 3, "Visitors today": 3, "Visitors, last hour": 3, "Page views": 5, "Sessions": 3,
			"Bounce rate": 1.0 / 3, "Average session duration": 4.0 / 3, "Views per visit": 5.0 / 3,
			"Goal conversions": 1, "Conversion rate": 1.0 / 3,
		}
		tables := map[string]map[string]float64{
			"Top pages":     {"/": 2, "/pricing": 2, "/blog/hello": 1},
			"Entry pages":   {"/": 2, "/pricing": 1},
			"Exit pages":    {"/": 1, "/pricing": 2},
			"Countries":     {"unknown": 3},
			"Browsers":      {"Firefox": 3},
			"Bots filtered": {schema.BotReasonUserAgent: 2, schema.BotReasonReferrerSpam: 1},
		}
		// Panels with several labels, as "value/value/...".
		labelled := map[string]map[string]float64{
			// The converter came direct, as did the reader: one of two
			// direct sessions converted; the Google bouncer did not.
			"Conversion rate by source":   {"signup/direct/unknown": 0.5},
			"Conversion rate by campaign": {"signup/newsletter/email/launch": 1},
			"Custom properties":           {"signup/plan/pro": 1},
			// The signup funnel of config/default.yaml: the reader and the
			// converter saw /pricing, the converter signed up.
			"Funnels":           {"signup/1": 2, "signup/2": 1},
			"Funnel conversion": {"signup/1": 1, "signup/2": 0.5},
			// The converter's 10 EUR, first touch direct.
			"Revenue by source": {"EUR/direct/unknown": 10},
		}
		checked := 0
		for _, d := range dashboards {
			for _, p := range d.Panels {
				for _, target := range p.Targets {
					if !target.Prometheus() {
						continue // Elasticsearch panels: no Elasticsearch here
					}
					q := grafana.Expand(target.Expr, "demo")
					samples, err := prom.query(t, q)
					require.NoError(t, err, "%s / %s", d.Title, p.Title)
					checked++
					if want, ok := single[p.Title]; ok {
						require.Len(t, samples, 1, "%s: %s", p.Title, q)
						assert.InDelta(t, want, samples[0].value, 0.01, "%s: %s", p.Title, q)
					}
					if want, ok := tables[p.Title]; ok {
						got := map[string]float64{}
						for _, s := range samples {
							for _, label := range []string{"path", "country", "browser", "reason"} {
								if v, ok := s.labels[label]; ok {
									got[v] = s.value
								}
							}
						}
						assert.Equal(t, want, got, "%s: %s", p.Title, q)
					}
				}
				if want, ok := labelled[p.Title]; ok {
					samples, err := prom.query(t, grafana.Expand(p.Targets[0].Expr, "demo"))
					require.NoError(t, err)
					got := map[string]float64{}
					for _, s := range samples {
						got[labelValues(s.labels, "goal", "currency", "referrer_class", "referrer_source", "utm_source", "utm_medium", "utm_campaign", "event_name", "property", "value", "funnel", "step")] = s.value
					}
					assert.Equal(t, want, got, "%s: %s", p.Title, p.Targets[0].Expr)
				}
				if p.Title == "Click-through rate by page and element" {
					samples, err := prom.query(t, grafana.Expand(p.Targets[0].Expr, "demo"))
					require.NoError(t, err)
					require.Len(t, samples, 1)
					assert.Equal(t, "signup", samples[0].labels["element"])
					assert.InDelta(t, 0.5, samples[0].value, 1e-9, "one click over two page views of /pricing")
				}
			}
		}
		assert.Greater(t, checked, 30)
	})

	t.Run("alert rules evaluate", func(t *testing.T) {
		require.Eventually(t, func() bool {
			resp, err := http.Get("http://" + prom.addr + "/api/v1/rules")
			if err != nil {
				return false
			}
			defer resp.Body.Close()
			var body struct {
				Data struct {
					Groups []struct {
						Rules []struct {
							Name, Health, LastError string
						} `json:"rules"`
					} `json:"groups"`
				} `json:"data"`
			}
			if json.NewDecoder(resp.Body).Decode(&body) != nil {
				return false
			}
			rules := 0
			for _, g := range body.Data.Groups {
				for _, r := range g.Rules {
					if r.Health != "ok" {
						t.Logf("rule %s: %s %s", r.Name, r.Health, r.LastError)
						return false
					}
					rules++
				}
			}
			return rules == 5
		}, 20*time.Second, 250*time.Millisecond, "every alert rule loads and evaluates without error")
	})
}

// labelValues joins the values of the given labels a sample has, in order.
func labelValues(labels map[string]string, names ...string) string {
	var values []string
	for _, name := range names {
		if v, ok := labels[name]; ok {
			values = append(values, v)
		}
	}
	return strings.Join(values, "/")
}
