// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/pmetrictest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/schema"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite the expected golden files from the current code")

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type harness struct {
	t         *testing.T
	c         *webAnalytics
	sink      *consumertest.MetricsSink
	clock     *testClock
	telemetry *componenttest.Telemetry
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.PathRules = []PathRule{{Match: "/blog/[^/]+", Template: "/blog/{slug}"}}
	cfg.Properties = map[string][]string{"signup": {"plan"}, schema.EventPageView: {"author"}}
	return cfg
}

func newHarness(t *testing.T, cfg *Config) *harness {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	h := &harness{t: t, sink: &consumertest.MetricsSink{}, clock: newTestClock(t0), telemetry: tel}
	c, err := newConnector(cfg, metadatatest.NewSettings(tel), h.sink, h.clock)
	require.NoError(t, err)
	c.start = t0
	h.c = c
	return h
}

func (h *harness) consume(records ...rec) {
	h.t.Helper()
	require.NoError(h.t, h.c.ConsumeLogs(context.Background(), logsOf(records...)))
}

// flush at wall-clock time now and return what was sent.
func (h *harness) flush(now time.Time) pmetric.Metrics {
	h.t.Helper()
	h.clock.Set(now)
	require.NoError(h.t, h.c.flush(context.Background()))
	all := h.sink.AllMetrics()
	return all[len(all)-1]
}

// rec is one record of the sessionized stream.
type rec struct {
	visitor string
	name    string
	at      time.Duration
	attrs   map[string]any
}

func logsOf(records ...rec) plog.Logs { return siteLogs("shop", records...) }

// siteLogs is the sessionized stream of records for one site.
func siteLogs(site string, records ...rec) plog.Logs {
	ld := plog.NewLogs()
	for _, r := range records {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, site)
		rl.Resource().Attributes().PutStr(schema.AttrVisitorID, r.visitor)
		sl := rl.ScopeLogs().AppendEmpty()
		if schema.IsReservedEventName(r.name) {
			sl.Scope().SetName(schema.SessionizeScope) // as the sessionize processor makes them
		}
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(r.name)
		lr.SetTimestamp(pcommon.NewTimestampFromTime(t0.Add(r.at)))
		for k, v := range r.attrs {
			_ = lr.Attributes().PutEmpty(k).FromRaw(v)
		}
	}
	return ld
}

func pageView(visitor string, at time.Duration, path string, seq int, extra ...any) rec {
	attrs := map[string]any{schema.AttrURLPath: path, schema.AttrSessionSeq: int64(seq), schema.AttrEventID: fmt.Sprintf("%s-%s", visitor, at)}
	for i := 0; i+1 < len(extra); i += 2 {
		attrs[extra[i].(string)] = extra[i+1]
	}
	return rec{visitor: visitor, name: schema.EventPageView, at: at, attrs: attrs}
}

// eventOf is one of visitor a's events other than page views. A signup is
// marked a goal, as the sessionize processor configured with goals:
// [signup] marks it.
func eventOf(name string, at time.Duration, extra ...any) rec {
	r := pageView("a", at, "/", 2, extra...)
	r.name = name
	if name == testGoal {
		r.attrs[schema.AttrEventGoal] = true
	}
	return r
}

// testGoal is the goal of the sessionize processor the tests stand behind.
const testGoal = "signup"

func sessionEnd(visitor string, at time.Duration, extra ...any) rec {
	attrs := map[string]any{}
	for i := 0; i+1 < len(extra); i += 2 {
		attrs[extra[i].(string)] = extra[i+1]
	}
	return rec{visitor: visitor, name: schema.EventSessionEnd, at: at, attrs: attrs}
}

// journeys is a small day with known answers: three visitors, four sessions.
func journeys() []rec {
	return []rec{
		// a: lands from Google on the home page, reads a post by Ada, signs up
		// for the pro plan (49.90 EUR).
		{visitor: "a", name: schema.EventSessionStart},
		pageView("a", 0, "/", 1, schema.AttrReferrerClass, "search", schema.AttrReferrerSource, "Google", schema.AttrGeoCountry, "DE", schema.AttrDeviceType, "desktop", schema.AttrUserAgentName, "Firefox"),
		pageView("a", time.Minute, "/blog/launch-day", 2, "author", "Ada"),
		eventOf(schema.EventClick, 90*time.Second, schema.AttrURLPath, "/blog/launch-day", schema.AttrClickElement, "cta"),
		eventOf("signup", 2*time.Minute, schema.AttrGoalValue, 49.9, schema.AttrGoalCurrency, "eur", "plan", " pro "),
		eventOf(schema.EventEngagement, 3*time.Minute, schema.AttrURLPath, "/blog/launch-day", schema.AttrEngagementTimeMs, int64(42_000)),
		eventOf(schema.EventWebVital, 3*time.Minute, schema.AttrURLPath, "/blog/other-post", schema.AttrWebVitalName, "LCP", schema.AttrWebVitalValue, 1800.0),
		sessionEnd("a", 3*time.Minute, schema.AttrSessionEndReason, "idle", schema.AttrSessionBounce, false, schema.AttrSessionDurationMs, int64(180_000),
			schema.AttrSessionPageViews, int64(2), schema.AttrSessionEntryPage, "/", schema.AttrSessionExitPage, "/blog/launch-day",
			schema.AttrReferrerClass, "search", schema.AttrReferrerSource, "Google", schema.AttrSessionGoals, []any{"signup"},
			schema.AttrSessionRevenue, map[string]any{"EUR": 49.9}),
		// b: bounces from a newsletter campaign on the pricing page.
		{visitor: "b", name: schema.EventSessionStart, at: time.Minute},
		pageView("b", time.Minute, "/pricing", 1, schema.AttrReferrerClass, "direct", schema.AttrUTMSource, "newsletter", schema.AttrUTMMedium, "email", schema.AttrUTMCampaign, "launch",
			schema.AttrGeoCountry, "FR", schema.AttrDeviceType, "mobile", schema.AttrUserAgentName, "Chrome Mobile"),
		sessionEnd("b", time.Minute, schema.AttrSessionEndReason, "idle", schema.AttrSessionBounce, true, schema.AttrSessionDurationMs, int64(0),
			schema.AttrSessionPageViews, int64(1), schema.AttrSessionEntryPage, "/pricing", schema.AttrSessionExitPage, "/pricing",
			schema.AttrReferrerClass, "direct", schema.AttrUTMSource, "newsletter", schema.AttrUTMMedium, "email", schema.AttrUTMCampaign, "launch"),
		// c: two sessions, the second still open; product ids become a template.
		{visitor: "c", name: schema.EventSessionStart, at: 2 * time.Minute, attrs: map[string]any{schema.AttrSessionReturning: false}},
		pageView("c", 2*time.Minute, "/product/8812", 1, schema.AttrReferrerClass, "direct", schema.AttrDeviceType, "mobile"),
		pageView("c", 3*time.Minute, "/product/9001", 2),
		sessionEnd("c", 3*time.Minute, schema.AttrSessionEndReason, "campaign", schema.AttrSessionBounce, false, schema.AttrSessionDurationMs, int64(60_000),
			schema.AttrSessionPageViews, int64(2), schema.AttrSessionEntryPage, "/product/8812", schema.AttrSessionExitPage, "/product/9001",
			schema.AttrReferrerClass, "direct"),
		{visitor: "c", name: schema.EventSessionStart, at: 4 * time.Minute, attrs: map[string]any{schema.AttrSessionReturning: true}},
		pageView("c", 4*time.Minute, "/", 1, schema.AttrReferrerClass, "social", schema.AttrReferrerSource, "Reddit"),
	}
}

func TestMetricsOfKnownJourneys(t *testing.T) {
	h := newHarness(t, testConfig())
	h.clock.Set(t0.Add(4 * time.Minute)) // events arrive as they happen
	h.consume(journeys()...)
	got := h.flush(t0.Add(5 * time.Minute))

	assertJourneyTruth(t, got)

	expected := filepath.Join("testdata", "journeys", "expected.yaml")
	if *updateGolden {
		require.NoError(t, golden.WriteMetrics(t, expected, got))
	}
	want, err := golden.ReadMetrics(expected)
	require.NoError(t, err)
	require.NoError(t, pmetrictest.CompareMetrics(want, got, pmetrictest.IgnoreStartTimestamp(), pmetrictest.IgnoreTimestamp()))
}

// assertJourneyTruth checks got against the answers of journeys(), worked
// out by hand.
func assertJourneyTruth(t *testing.T, got pmetric.Metrics) {
	t.Helper()
	values := pointValues(got)
	for _, tt := range []struct {
		series string
		want   float64
	}{
		{"footfall.page_views{site=shop}", 6},
		{"footfall.page_views.by_path{path=/,site=shop}", 2},
		{"footfall.page_views.by_path{path=/blog/{slug},site=shop}", 1},
		{"footfall.page_views.by_path{path=/product/{id},site=shop}", 2},
		{"footfall.sessions{site=shop}", 4},
		{"footfall.sessions.ended{reason=idle,site=shop}", 2},
		{"footfall.sessions.by_visitor_type{site=shop,visitor_type=new}", 1},
		{"footfall.sessions.by_visitor_type{site=shop,visitor_type=returning}", 1},
		{"footfall.sessions.ended{reason=campaign,site=shop}", 1},
		{"footfall.bounces{site=shop}", 1},
		{"footfall.goal.conversions{goal=signup,site=shop}", 1},
		{"footfall.revenue{currency=EUR,goal=signup,site=shop}", 49.9},
		{"footfall.clicks{element=cta,path=/blog/{slug},site=shop}", 1},
		{"footfall.sessions.by_referrer{referrer_class=search,referrer_source=Google,site=shop}", 1},
		{"footfall.sessions.by_referrer{referrer_class=direct,referrer_source=unknown,site=shop}", 2},
		{"footfall.sessions.by_referrer{referrer_class=social,referrer_source=Reddit,site=shop}", 1},
		{"footfall.sessions.by_campaign{site=shop,utm_campaign=launch,utm_medium=email,utm_source=newsletter}", 1},
		{"footfall.sessions.by_country{country=DE,site=shop}", 1},
		{"footfall.sessions.by_country{country=unknown,site=shop}", 2},
		{"footfall.sessions.by_device{device_type=mobile,site=shop}", 2},
		{"footfall.entries{path=/product/{id},site=shop}", 1},
		{"footfall.exits{path=/blog/{slug},site=shop}", 1},
		{"footfall.session.duration{site=shop} count", 3},
		{"footfall.session.duration{site=shop} sum", 240},
		{"footfall.session.page_views{site=shop} sum", 5},
		{"footfall.page.engaged_time{path=/blog/{slug},site=shop} sum", 42},
		{"footfall.web_vitals.lcp{path=/blog/{slug},site=shop} sum", 1.8},
		// First touch: a's conversion is Google's; b and c ended without one.
		{"footfall.sessions.ended.by_referrer{referrer_class=search,referrer_source=Google,site=shop}", 1},
		{"footfall.sessions.ended.by_referrer{referrer_class=direct,referrer_source=unknown,site=shop}", 2},
		{"footfall.sessions.ended.by_campaign{site=shop,utm_campaign=launch,utm_medium=email,utm_source=newsletter}", 1},
		{"footfall.conversions.by_referrer{goal=signup,referrer_class=search,referrer_source=Google,site=shop}", 1},
		{"footfall.revenue.by_referrer{currency=EUR,referrer_class=search,referrer_source=Google,site=shop}", 49.9},
		{"footfall.events.by_property{event_name=signup,property=plan,site=shop,value=pro}", 1},
		{"footfall.events.by_property{event_name=browser.page_view,property=author,site=shop,value=Ada}", 1},
		{"footfall.visitors{site=shop,window=5m}", 3},
		{"footfall.visitors{site=shop,window=1h}", 3},
		{"footfall.visitors{site=shop,window=today}", 3},
		{"footfall.visitors.current{site=shop}", 3},
	} {
		assert.InDelta(t, tt.want, values[tt.series], 1e-9, tt.series)
	}
	for series := range values {
		assert.NotContains(t, series, "footfall.conversions.by_campaign", "the only converted session had no campaign")
	}
}

// pointValues flattens metrics into "name{k=v,...}" -> value (histograms as
// " count" and " sum").
func pointValues(md pmetric.Metrics) map[string]float64 {
	out := map[string]float64{}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						out[m.Name()+labels(dp.Attributes())] = dp.DoubleValue()
					}
				case pmetric.MetricTypeGauge:
					for _, dp := range m.Gauge().DataPoints().All() {
						out[m.Name()+labels(dp.Attributes())] = float64(dp.IntValue())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						out[m.Name()+labels(dp.Attributes())+" count"] = float64(dp.Count())
						out[m.Name()+labels(dp.Attributes())+" sum"] = dp.Sum()
					}
				}
			}
		}
	}
	return out
}

func labels(m pcommon.Map) string {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	sortStrings(keys)
	s := "{"
	for i, k := range keys {
		if i > 0 {
			s += ","
		}
		v, _ := m.Get(k)
		s += k + "=" + v.AsString()
	}
	return s + "}"
}

func reason(r string) attribute.Set { return attribute.NewSet(attribute.String("reason", r)) }

func TestGoalsAndRevenueCountOncePerEventID(t *testing.T) {
	h := newHarness(t, testConfig())
	signup := eventOf("signup", time.Minute, schema.AttrGoalValue, "19.5", schema.AttrGoalCurrency, "USD")
	h.consume(signup)
	// Replayed after an upstream crash, in another batch.
	h.consume(eventOf("newsletter", 90*time.Second), signup)
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))
	assert.InDelta(t, 19.5, values["footfall.revenue{currency=USD,goal=signup,site=shop}"], 1e-9)
	assert.InDelta(t, 1, values["footfall.goal.conversions{goal=signup,site=shop}"], 1e-9)
	metadatatest.AssertEqualConnectorWebanalyticsRecordsSkipped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(skippedDuplicateGoal)}}, metricdatatest.IgnoreTimestamp())
}

// Breakdowns keep the top K values of each site; the rest count as other,
// and every page view is counted once, by its path or as other.
func TestBreakdownsAreBoundedByTopK(t *testing.T) {
	cfg := testConfig()
	cfg.TopK = 3
	h := newHarness(t, cfg)
	var records []rec
	add := func(path string, n int) {
		for range n {
			records = append(records, pageView("v", 0, path, 2))
		}
	}
	add("/p0", 300)
	add("/p1", 200)
	add("/p2", 150)
	for i := range 37 {
		add(fmt.Sprintf("/tail/%c", 'a'+i%26)+fmt.Sprint(i), 5)
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(records), func(i, j int) { records[i], records[j] = records[j], records[i] })
	h.consume(records...)

	byPath, paths := 0.0, 0
	for key, s := range h.c.aggregator.store.series {
		if key.def == pageViewsByPath {
			byPath += s.value
			paths++
		}
	}
	assert.Equal(t, 4, paths, "three values and other")
	assert.InDelta(t, float64(len(records)), byPath, 0)

	// A flush makes the reported values the top 3; new traffic on them is
	// counted by path, on the tail as other.
	h.flush(t0.Add(time.Minute))
	h.consume(pageView("v", time.Minute, "/p0", 2), pageView("v", time.Minute, "/p2", 2), pageView("v", time.Minute, "/tail/a0", 2))
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))
	for _, path := range []string{"/p0", "/p2", "other"} {
		assert.Contains(t, values, "footfall.page_views.by_path{path="+path+",site=shop}")
	}
	assert.NotContains(t, values, "footfall.page_views.by_path{path=/tail/a0,site=shop}")
}

func TestMaxSeriesDropsAndCounts(t *testing.T) {
	cfg := testConfig()
	cfg.MaxSeries = 5
	h := newHarness(t, cfg)
	h.consume(journeys()...)
	got := h.flush(t0.Add(5 * time.Minute))
	assert.Equal(t, 5, got.DataPointCount())
	metadatatest.AssertEqualConnectorWebanalyticsSeries(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 5}}, metricdatatest.IgnoreTimestamp())
	dropped, err := h.telemetry.GetMetric("otelcol_connector_webanalytics_series_dropped")
	require.NoError(t, err)
	assert.Positive(t, dropped.Data.(metricdata.Sum[int64]).DataPoints[0].Value)
}

// Visitor windows follow event time: when traffic stops, the wall clock moves
// them on, so current visitors fall to zero after the window.
func TestVisitorWindowsMoveOnWhenTrafficStops(t *testing.T) {
	h := newHarness(t, testConfig())
	h.consume(pageView("a", 0, "/", 1), pageView("b", 30*time.Second, "/", 1))
	values := pointValues(h.flush(t0.Add(time.Minute)))
	assert.InDelta(t, 2, values["footfall.visitors.current{site=shop}"], 0)
	h.clock.Set(t0.Add(7 * time.Minute))
	values = pointValues(h.flush(t0.Add(7 * time.Minute)))
	assert.InDelta(t, 0, values["footfall.visitors.current{site=shop}"], 0, "nobody in the last 5 minutes")
	assert.InDelta(t, 0, values["footfall.visitors{site=shop,window=5m}"], 0)
}

// An event the sessionize processor marked late is counted late, and still
// added; an old event it did not mark is not late.
func TestLateEventsAreCountedAndStillAdded(t *testing.T) {
	h := newHarness(t, testConfig())
	h.clock.Set(t0.Add(time.Minute))
	h.consume(pageView("a", time.Minute, "/", 1), pageView("b", 0, "/", 1, schema.AttrEventLate, true), pageView("c", 0, "/", 1))
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))
	assert.InDelta(t, 3, values["footfall.page_views{site=shop}"], 0)
	metadatatest.AssertEqualConnectorWebanalyticsEventsLate(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
}

func TestRecordsWithoutSiteOrVisitorAreSkipped(t *testing.T) {
	h := newHarness(t, testConfig())
	ld := plog.NewLogs()
	ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty().LogRecords().AppendEmpty().SetEventName(schema.EventPageView)
	require.NoError(t, h.c.ConsumeLogs(context.Background(), ld))
	metadatatest.AssertEqualConnectorWebanalyticsRecordsSkipped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(skippedMissingSite)}}, metricdatatest.IgnoreTimestamp())
}

func TestLifecycleFlushesOnShutdown(t *testing.T) {
	sink := &consumertest.MetricsSink{}
	factory := NewFactory()
	c, err := factory.CreateLogsToMetrics(context.Background(), connectortest.NewNopSettings(metadata.Type), testConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, c.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, c.ConsumeLogs(context.Background(), logsOf(pageView("a", 0, "/", 1))))
	require.NoError(t, c.Shutdown(context.Background()))
	require.NotEmpty(t, sink.AllMetrics())
	last := sink.AllMetrics()[len(sink.AllMetrics())-1]
	assert.InDelta(t, 1, pointValues(last)["footfall.page_views{site=shop}"], 0)
}

// The connector flushes every flush_interval of its clock, and not before.
func TestFlushesEveryFlushInterval(t *testing.T) {
	cfg := testConfig()
	h := newHarness(t, cfg)
	require.NoError(t, h.c.Start(context.Background(), componenttest.NewNopHost()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, h.clock.BlockUntilContext(ctx, 1), "the flush ticker is started")
	h.consume(pageView("a", 0, "/", 1))
	h.clock.Advance(cfg.FlushInterval - time.Nanosecond)
	assert.Empty(t, h.sink.AllMetrics(), "nothing before flush_interval")
	h.clock.Advance(time.Nanosecond)
	require.Eventually(t, func() bool { return len(h.sink.AllMetrics()) == 1 }, 10*time.Second, time.Millisecond)
	assert.InDelta(t, 1, pointValues(h.sink.AllMetrics()[0])["footfall.page_views{site=shop}"], 0)
	require.NoError(t, h.c.Shutdown(context.Background()))
}

func sortStrings(s []string) { slices.Sort(s) }

// The last hour and today are recomputed every hourly_refresh_interval, the
// last 5 minutes at every flush: between two refreshes new visitors show in
// the 5-minute count first. A longer window never shows fewer visitors than
// a shorter one that it contains.
func TestALongerWindowNeverShowsFewerVisitors(t *testing.T) {
	h := newHarness(t, testConfig())
	h.consume(pageView("a", 0, "/", 1))
	h.flush(t0.Add(time.Second))
	h.consume(pageView("b", 2*time.Second, "/", 1), pageView("c", 3*time.Second, "/", 1))
	values := pointValues(h.flush(t0.Add(5 * time.Second))) // within the 10 s refresh
	assert.InDelta(t, 3, values["footfall.visitors{site=shop,window=5m}"], 0)
	assert.InDelta(t, 3, values["footfall.visitors{site=shop,window=1h}"], 0, "the hour holds the 5 minutes")
	assert.InDelta(t, 3, values["footfall.visitors{site=shop,window=today}"], 0, "today holds the hour")
}

// Just after midnight the last 5 minutes hold yesterday's visitors, which
// today does not.
func TestTodayIsNotRaisedByYesterdaysVisitors(t *testing.T) {
	h := newHarness(t, testConfig())
	midnight := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	before, after := midnight.Add(-time.Minute).Sub(t0), midnight.Add(time.Minute).Sub(t0)
	h.clock.Set(midnight.Add(time.Minute)) // event times are never counted past the wall clock
	h.consume(pageView("a", before, "/", 1), pageView("b", before, "/", 1), pageView("c", after, "/", 1))
	values := pointValues(h.flush(midnight.Add(2 * time.Minute)))
	assert.InDelta(t, 3, values["footfall.visitors{site=shop,window=5m}"], 0)
	assert.InDelta(t, 1, values["footfall.visitors{site=shop,window=today}"], 0, "only c came today")
}
