// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// innocentTraffic is what the innocent site "blog" sends in every case: three
// visitors, one page view each, a session each, one signup worth 10 EUR, and
// one ended session that bounced after 4 s.
func innocentTraffic() plog.Logs {
	var records []rec
	for i, v := range []string{"b1", "b2", "b3"} {
		at := time.Duration(10+10*i) * time.Second
		records = append(records,
			rec{visitor: v, name: schema.EventSessionStart, at: at},
			pageView(v, at, "/post", 1, schema.AttrEventID, "blog-pv-"+v))
	}
	signup := eventOf("signup", 40*time.Second, schema.AttrEventID, "blog-signup", schema.AttrGoalValue, 10, schema.AttrGoalCurrency, "EUR")
	signup.visitor = "b2"
	records = append(records, signup,
		sessionEnd("b1", 45*time.Second, schema.AttrSessionEndReason, schema.EndReasonIdle, schema.AttrSessionBounce, true,
			schema.AttrSessionDurationMs, int64(4000), schema.AttrSessionPageViews, int64(1)))
	return siteLogs("blog", records...)
}

// innocentTruth is the ground truth of innocentTraffic, worked out by hand.
var innocentTruth = map[string]float64{
	"footfall.page_views{site=blog}":                                                          3,
	"footfall.sessions{site=blog}":                                                            3,
	"footfall.sessions.ended{reason=idle,site=blog}":                                          1,
	"footfall.bounces{site=blog}":                                                             1,
	"footfall.goal.conversions{goal=signup,site=blog}":                                        1,
	"footfall.revenue{currency=EUR,goal=signup,site=blog}":                                    10,
	"footfall.session.duration{site=blog} sum":                                                4,
	"footfall.session.duration{site=blog} count":                                              1,
	"footfall.visitors{site=blog,window=5m}":                                                  3,
	"footfall.visitors.current{site=blog}":                                                    3,
	"footfall.visitors{site=blog,window=1h}":                                                  3,
	"footfall.page_views.by_path{path=/post,site=blog}":                                       3,
	"footfall.events{event_name=browser.page_view,site=blog}":                                 3,
	"footfall.events{event_name=signup,site=blog}":                                            1,
	"footfall.sessions.by_country{country=unknown,site=blog}":                                 3,
	"footfall.sessions.by_referrer{referrer_class=unknown,referrer_source=unknown,site=blog}": 3,
}

// trusted marks records as the sessionize processor's own.
func trusted(ld plog.Logs) plog.Logs {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.Scope().SetName(schema.SessionizeScope)
		}
	}
	return ld
}

// untrusted strips the scope, as a client's records would come.
func untrusted(ld plog.Logs) plog.Logs {
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			sl.Scope().SetName("footfall.js")
		}
	}
	return ld
}

func shopAt(records ...rec) plog.Logs { return siteLogs("shop", records...) }

// Each case is one attack on the site "shop", sent while the innocent site
// "blog" has its traffic. Whatever the attack does, blog's numbers equal
// their ground truth, and the attacker's own numbers stay finite and never
// go down.
func TestHostileRecordsLeaveOtherSitesExact(t *testing.T) {
	year2100 := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).Sub(t0)
	tests := []struct {
		name   string
		cfg    func(*Config)
		attack func() []plog.Logs
		// check looks at the attacker's own numbers.
		check func(t *testing.T, values map[string]float64)
	}{
		{
			name: "client session.end from the future with a NaN duration and a made-up reason",
			attack: func() []plog.Logs {
				return []plog.Logs{untrusted(shopAt(sessionEnd("x", year2100, schema.AttrSessionEndReason, "pwned-1",
					schema.AttrSessionDurationMs, "NaN", schema.AttrSessionBounce, true)))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.NotContains(t, values, "footfall.sessions.ended{reason=pwned-1,site=shop}")
				assert.NotContains(t, values, "footfall.bounces{site=shop}")
			},
		},
		{
			name: "client session.start floods sessions",
			attack: func() []plog.Logs {
				var records []rec
				for i := range 100 {
					records = append(records, rec{visitor: fmt.Sprint("x", i), name: schema.EventSessionStart, at: time.Second})
				}
				return []plog.Logs{untrusted(shopAt(records...))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.NotContains(t, values, "footfall.sessions{site=shop}")
			},
		},
		{
			name: "session.end under the sessionizer's scope with NaN and negative values and an unknown reason",
			attack: func() []plog.Logs {
				return []plog.Logs{trusted(shopAt(
					sessionEnd("x", time.Second, schema.AttrSessionEndReason, "pwned-2", schema.AttrSessionDurationMs, math.NaN(), schema.AttrSessionPageViews, int64(-7)),
					sessionEnd("y", time.Second, schema.AttrSessionEndReason, schema.EndReasonIdle, schema.AttrSessionDurationMs, "+Inf")))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.InDelta(t, 1, values["footfall.sessions.ended{reason=unknown,site=shop}"], 0)
				assert.InDelta(t, 1, values["footfall.sessions.ended{reason=idle,site=shop}"], 0)
				assert.Zero(t, values["footfall.session.duration{site=shop} count"])
				assert.Zero(t, values["footfall.session.page_views{site=shop} count"])
			},
		},
		{
			name: "goal values NaN, Inf and negative",
			attack: func() []plog.Logs {
				return []plog.Logs{shopAt(
					eventOf("signup", time.Second, schema.AttrEventID, "g1", schema.AttrGoalValue, "5", schema.AttrGoalCurrency, "EUR"),
					eventOf("signup", time.Second, schema.AttrEventID, "g2", schema.AttrGoalValue, "NaN", schema.AttrGoalCurrency, "EUR"),
					eventOf("signup", time.Second, schema.AttrEventID, "g3", schema.AttrGoalValue, "-1e9", schema.AttrGoalCurrency, "EUR"),
					eventOf("signup", time.Second, schema.AttrEventID, "g4", schema.AttrGoalValue, math.Inf(1), schema.AttrGoalCurrency, "EUR"))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.InDelta(t, 5, values["footfall.revenue{currency=EUR,goal=signup,site=shop}"], 0, "only the valid value is summed")
				assert.InDelta(t, 4, values["footfall.goal.conversions{goal=signup,site=shop}"], 0, "the conversions still count")
			},
		},
		{
			name: "web vitals and engagement NaN or negative",
			attack: func() []plog.Logs {
				return []plog.Logs{shopAt(
					eventOf(schema.EventWebVital, time.Second, schema.AttrEventID, "w1", schema.AttrWebVitalName, "LCP", schema.AttrWebVitalValue, "NaN"),
					eventOf(schema.EventWebVital, time.Second, schema.AttrEventID, "w2", schema.AttrWebVitalName, "INP", schema.AttrWebVitalValue, -40.0),
					eventOf(schema.EventWebVital, time.Second, schema.AttrEventID, "w3", schema.AttrWebVitalName, "CLS", schema.AttrWebVitalValue, 0.25),
					eventOf(schema.EventEngagement, time.Second, schema.AttrEventID, "e1", schema.AttrEngagementTimeMs, "-Inf"))}
			},
			check: func(t *testing.T, values map[string]float64) {
				for key, v := range values {
					assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", key, v)
				}
				assert.InDelta(t, 0.25, values["footfall.web_vitals.cls{path=/,site=shop} sum"], 1e-9)
				assert.NotContains(t, values, "footfall.web_vitals.lcp{path=/,site=shop} count")
				assert.NotContains(t, values, "footfall.page.engaged_time{path=/,site=shop} count")
			},
		},
		{
			name: "page view stamped 4m50s in the future",
			attack: func() []plog.Logs {
				return []plog.Logs{shopAt(pageView("x", time.Minute+4*time.Minute+50*time.Second, "/", 1))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.InDelta(t, 1, values["footfall.visitors.current{site=shop}"], 0, "the attacker's own window is not emptied either")
			},
		},
		{
			name: "page view from the year 2100",
			attack: func() []plog.Logs {
				return []plog.Logs{shopAt(pageView("honest", 30*time.Second, "/", 1), pageView("x", year2100, "/", 1))}
			},
			check: func(t *testing.T, values map[string]float64) {
				// The attacker's event counts at the wall clock, so even its
				// own site keeps its honest visitor in the window.
				assert.InDelta(t, 2, values["footfall.visitors.current{site=shop}"], 0)
				assert.InDelta(t, 2, values["footfall.visitors{site=shop,window=5m}"], 0)
			},
		},
		{
			name: "thousands of currencies",
			attack: func() []plog.Logs {
				var records []rec
				for i := range 2000 {
					code := string([]byte{'A' + byte(i/676%26), 'A' + byte(i/26%26), 'A' + byte(i%26)})
					records = append(records, eventOf("signup", time.Second, schema.AttrEventID, fmt.Sprint("c", i), schema.AttrGoalValue, 1, schema.AttrGoalCurrency, code))
				}
				return []plog.Logs{shopAt(records...)}
			},
			check: func(t *testing.T, values map[string]float64) {
				n := 0
				for key := range values {
					if strings.HasPrefix(key, "footfall.revenue{") && strings.Contains(key, "site=shop") {
						n++
					}
				}
				assert.LessOrEqual(t, n, 200, "currencies are ISO 4217 codes or unknown")
				assert.InDelta(t, 2000, sumOf(values, "footfall.revenue{", "site=shop"), 0, "no revenue is lost")
			},
		},
		{
			name: "series flood fills the attacker's own budget only",
			cfg: func(cfg *Config) {
				cfg.MaxSeriesPerSite = 80
				cfg.MaxSeries = 200
			},
			attack: func() []plog.Logs {
				var records []rec
				for i := range 5000 {
					records = append(records, eventOf(fmt.Sprint("ev-", i), time.Second, schema.AttrEventID, fmt.Sprint("f", i),
						schema.AttrURLPath, fmt.Sprint("/p/x", i%977, "y")))
				}
				return []plog.Logs{shopAt(records...)}
			},
			check: func(t *testing.T, values map[string]float64) {
				n := 0
				for key := range values {
					if strings.Contains(key, "site=shop") {
						n++
					}
				}
				assert.LessOrEqual(t, n, 80)
			},
		},
		{
			name: "goal values past any realistic amount",
			attack: func() []plog.Logs {
				return []plog.Logs{shopAt(
					eventOf("signup", time.Second, schema.AttrEventID, "o1", schema.AttrGoalValue, 1.7e308, schema.AttrGoalCurrency, "CHF"),
					eventOf("signup", time.Second, schema.AttrEventID, "o2", schema.AttrGoalValue, 1.7e308, schema.AttrGoalCurrency, "CHF"),
					eventOf("signup", time.Second, schema.AttrEventID, "o3", schema.AttrGoalValue, 7, schema.AttrGoalCurrency, "CHF"))}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.InDelta(t, 7, values["footfall.revenue{currency=CHF,goal=signup,site=shop}"], 0)
			},
		},
		{
			name: "sessions in forty currencies, then new pages",
			cfg: func(cfg *Config) {
				cfg.TopK = 5
				cfg.MaxSeriesPerSite = 90 // the attack's series alone would take 84
			},
			attack: func() []plog.Logs {
				codes := []string{
					"AED", "AFN", "ALL", "AMD", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF", "BMD", "BND", "BOB", "BRL", "BSD",
					"BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN",
				}
				var records []rec
				for i := range 500 {
					records = append(records, sessionEnd(fmt.Sprint("s", i), time.Second, schema.AttrSessionEndReason, schema.EndReasonIdle,
						schema.AttrReferrerClass, "search", schema.AttrReferrerSource, fmt.Sprint("engine-", i),
						schema.AttrUTMSource, fmt.Sprint("u", i), schema.AttrUTMCampaign, fmt.Sprint("c", i),
						schema.AttrSessionRevenue, map[string]any{codes[i%len(codes)]: 1.0}))
				}
				var pages []rec
				for i := range 20 {
					pages = append(pages, pageView("p", 2*time.Second, fmt.Sprint("/page-", i%5), 1, schema.AttrEventID, fmt.Sprint("pv", i)))
				}
				return []plog.Logs{trusted(shopAt(records...)), shopAt(pages...)}
			},
			check: func(t *testing.T, values map[string]float64) {
				currencies := map[string]bool{}
				for key := range values {
					if strings.HasPrefix(key, "footfall.revenue.by_") && strings.Contains(key, "site=shop") {
						currency := strings.SplitN(strings.SplitN(key, "currency=", 2)[1], ",", 2)[0]
						currencies[currency] = true
					}
				}
				assert.LessOrEqual(t, len(currencies), maxCurrenciesPerSite+1, "the first currencies and other: %v", currencies)
				assert.InDelta(t, 20, values["footfall.page_views{site=shop}"], 0)
				for i := range 5 {
					assert.InDelta(t, 4, values[fmt.Sprintf("footfall.page_views.by_path{path=/page-%d,site=shop}", i)], 0,
						"the core breakdown has its series: the revenue series did not take its room")
				}
			},
		},
		{
			name: "the same batch delivered again after a sibling refused it",
			attack: func() []plog.Logs {
				batch := shopAt(pageView("x", time.Second, "/", 1, schema.AttrEventID, "r1"), pageView("y", time.Second, "/", 1, schema.AttrEventID, "r2"))
				return []plog.Logs{batch, batch, batch}
			},
			check: func(t *testing.T, values map[string]float64) {
				assert.InDelta(t, 2, values["footfall.page_views{site=shop}"], 0)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			h := newHarness(t, cfg)
			h.clock.Set(t0.Add(time.Minute))
			// The attack comes first, so that it has every chance to take
			// shared state; then the innocent site's traffic.
			for _, ld := range tt.attack() {
				require.NoError(t, h.c.ConsumeLogs(context.Background(), ld))
			}
			require.NoError(t, h.c.ConsumeLogs(context.Background(), innocentTraffic()))
			values := pointValues(h.flush(t0.Add(time.Minute)))
			for series, want := range innocentTruth {
				assert.InDelta(t, want, values[series], 1e-9, series)
			}
			for key, v := range values {
				assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%s = %v", key, v)
			}
			if tt.check != nil {
				tt.check(t, values)
			}
			// Counters never go down: a second flush after more innocent
			// traffic reads at least as much.
			require.NoError(t, h.c.ConsumeLogs(context.Background(), siteLogs("blog", pageView("b4", 50*time.Second, "/post", 1))))
			later := pointValues(h.flush(t0.Add(2 * time.Minute)))
			assert.InDelta(t, 4, later["footfall.page_views{site=blog}"], 0)
			for key, v := range values {
				if strings.HasPrefix(key, "footfall.revenue") || strings.HasSuffix(key, " sum") {
					assert.GreaterOrEqual(t, later[key], v, key)
				}
			}
		})
	}
}

func sumOf(values map[string]float64, prefix, contains string) float64 {
	total := 0.0
	for key, v := range values {
		if strings.HasPrefix(key, prefix) && strings.Contains(key, contains) {
			total += v
		}
	}
	return total
}

// Values in range can still add up past the largest float: such an
// addition is refused and the sum stays as it was.
func TestSumsStayFinite(t *testing.T) {
	s := &series{def: revenue, value: 0.9 * math.MaxFloat64}
	assert.False(t, s.update(0.9*math.MaxFloat64))
	assert.InDelta(t, 0.9*math.MaxFloat64, s.value, 0)
	assert.True(t, s.update(1))

	h := &series{def: sessionDuration, value: 0.9 * math.MaxFloat64, buckets: make([]uint64, len(sessionDuration.bounds)+1)}
	assert.False(t, h.update(0.9*math.MaxFloat64))
	assert.Zero(t, h.count, "a refused observation is not counted either")

	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	c := counts{skipped: map[string]int{}}
	a.put(&c, "shop", a.site("shop"), revenue, 0.9*math.MaxFloat64, "signup", "EUR")
	a.put(&c, "shop", a.site("shop"), revenue, 0.9*math.MaxFloat64, "signup", "EUR")
	assert.Equal(t, 1, c.skipped[skippedSumOverflow])
}

// A checkpoint holding a sum that is not finite is refused as corrupt,
// not restored into a series that would stay +Inf.
func TestRestoreRefusesNonFiniteState(t *testing.T) {
	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	data, err := a.save(t0, 1)
	require.NoError(t, err)
	st, err := decodeState(data, nil)
	require.NoError(t, err)
	st.Series = []savedSeries{{Metric: revenue.name, Site: "shop", Values: []string{"signup", "CHF"}, Value: math.Inf(1)}}
	require.ErrorContains(t, a.restore(st), "corrupt")
}

// A site's revenue is broken down by its first currencies; the rest count
// as other, and a restart keeps the same ones.
func TestCurrenciesPerSiteAreBounded(t *testing.T) {
	site := &siteState{}
	codes := []string{"EUR", "USD", "CHF", "GBP", "JPY", "SEK", "NOK"}
	var labels []string
	for _, code := range codes {
		labels = append(labels, site.currency(code))
	}
	assert.Equal(t, []string{"EUR", "USD", "CHF", "GBP", "JPY", "other", "other"}, labels)
	assert.Equal(t, "EUR", site.currency("EUR"), "a known currency keeps its label")

	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	var saved []savedSeries
	for _, code := range codes[:maxCurrenciesPerSite] {
		saved = append(saved, savedSeries{Metric: revenueByReferrer.name, Site: "shop", Values: []string{code, "search", "google"}, Value: 1})
	}
	data, err := a.save(t0, 1)
	require.NoError(t, err)
	st, err := decodeState(data, nil)
	require.NoError(t, err)
	st.Series = saved
	require.NoError(t, a.restore(st))
	assert.Equal(t, "other", a.sites["shop"].currency("SEK"), "the restored currencies fill the site's room")
	assert.Equal(t, "JPY", a.sites["shop"].currency("JPY"))
}
