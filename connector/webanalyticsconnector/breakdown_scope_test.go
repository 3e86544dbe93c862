// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// seriesOf sums the values of one metric's series whose labels hold every
// one of the given key=value pairs, and counts those series.
func seriesOf(values map[string]float64, metric string, pairs ...string) (sum float64, n int) {
	for key, v := range values {
		if !strings.HasPrefix(key, metric+"{") {
			continue
		}
		matches := true
		for _, pair := range pairs {
			matches = matches && (strings.Contains(key, "{"+pair+",") || strings.Contains(key, ","+pair+",") || strings.Contains(key, ","+pair+"}"))
		}
		if matches {
			sum += v
			n++
		}
	}
	return sum, n
}

// Each event name and property has its own top K: a property with many
// values cannot push another's out, and the values past K count as other
// under their own event name and property. Every event carrying a property
// is counted once, by its value or as other; values that cannot be labels
// are skipped and counted.
func TestPropertiesHaveATopKPerEventAndProperty(t *testing.T) {
	cfg := testConfig()
	cfg.TopK = 2
	cfg.Properties = map[string][]string{"signup": {"plan", "coupon"}, schema.EventPageView: {"author"}}
	h := newHarness(t, cfg)
	var records []rec
	signup := func(plan any, coupon string) {
		extra := []any{"plan", plan}
		if coupon != "" {
			extra = append(extra, "coupon", coupon)
		}
		r := eventOf("signup", time.Duration(len(records))*time.Second, extra...)
		records = append(records, r)
	}
	for range 5 {
		signup("pro", "")
	}
	for range 4 {
		signup("team", "SPRING")
	}
	signup("free", "AUTUMN")
	signup(int64(7), "WINTER")
	signup("bad\x00plan", "")
	signup(map[string]any{"nested": "no"}, "")
	for i, author := range []string{"Ada", "Ada", "Grace", "Linus"} {
		records = append(records, pageView("b", time.Duration(i)*time.Second, "/blog/post", 2, "author", author))
	}
	h.consume(records...)
	values := pointValues(h.flush(t0.Add(time.Minute)))

	const metric = "footfall.events.by_property"
	sum, n := seriesOf(values, metric, "event_name=signup", "property=plan")
	assert.InDelta(t, 11, sum, 0, "every signup with a valid plan, once")
	assert.Equal(t, 3, n, "two plans and other")
	assert.InDelta(t, 5, values[metric+"{event_name=signup,property=plan,site=shop,value=pro}"], 0)
	assert.InDelta(t, 4, values[metric+"{event_name=signup,property=plan,site=shop,value=team}"], 0)
	assert.InDelta(t, 2, values[metric+"{event_name=signup,property=plan,site=shop,value=other}"], 0, "free and 7")

	sum, n = seriesOf(values, metric, "event_name=signup", "property=coupon")
	assert.InDelta(t, 6, sum, 0)
	assert.Equal(t, 3, n, "two coupons and other: the plans took none of their room")
	sum, n = seriesOf(values, metric, "event_name=browser.page_view", "property=author")
	assert.InDelta(t, 4, sum, 0)
	assert.Equal(t, 3, n)
	assert.InDelta(t, 2, values[metric+"{event_name=browser.page_view,property=author,site=shop,value=Ada}"], 0)

	metadatatest.AssertEqualConnectorWebanalyticsRecordsSkipped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: reason(skippedInvalidProperty)}}, metricdatatest.IgnoreTimestamp())
}

// Conversions by source have a top K per goal: with room for one source,
// the signups' source and the purchases' source both keep their series. An
// ended session counts once in the denominator, and once per goal it
// reached in the numerator.
func TestConversionsHaveATopKPerGoal(t *testing.T) {
	cfg := testConfig()
	cfg.TopK = 1
	h := newHarness(t, cfg)
	end := func(visitor, source string, goals ...any) rec {
		return sessionEnd(visitor, time.Minute, schema.AttrReferrerClass, "search", schema.AttrReferrerSource, source, schema.AttrSessionGoals, goals)
	}
	h.consume(end("a", "Google", "signup"), end("b", "Google", "signup"), end("c", "Google"),
		end("d", "Bing", "purchase"), end("e", "Bing", "purchase", "signup"))
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))

	const metric = "footfall.conversions.by_referrer"
	assert.InDelta(t, 2, values[metric+"{goal=signup,referrer_class=search,referrer_source=Google,site=shop}"], 0)
	assert.InDelta(t, 1, values[metric+"{goal=signup,referrer_class=other,referrer_source=other,site=shop}"], 0)
	assert.InDelta(t, 2, values[metric+"{goal=purchase,referrer_class=search,referrer_source=Bing,site=shop}"], 0)
	_, n := seriesOf(values, metric, "goal=purchase")
	assert.Equal(t, 1, n, "the signups' source took no room of the purchases")
	assert.InDelta(t, 3, values["footfall.sessions.ended.by_referrer{referrer_class=search,referrer_source=Google,site=shop}"], 0)
	assert.InDelta(t, 2, values["footfall.sessions.ended.by_referrer{referrer_class=other,referrer_source=other,site=shop}"], 0)
}

// The top K of each scope survives a checkpoint: after a restore, the
// values reported before keep their room, and new ones count as other.
func TestScopedBreakdownsSurviveACheckpoint(t *testing.T) {
	cfg := testConfig()
	cfg.TopK = 1
	h := newHarness(t, cfg)
	h.consume(eventOf("signup", time.Second, "plan", "team"), eventOf("signup", time.Second, "plan", "team"),
		pageView("b", time.Second, "/", 2, "author", "Ada"), pageView("b", time.Second, "/", 2, "author", "Ada"))
	h.flush(t0.Add(time.Minute))
	saved, err := h.c.aggregator.save(t0, 1)
	require.NoError(t, err)

	restored := newHarness(t, cfg)
	st, err := decodeState(saved, nil)
	require.NoError(t, err)
	require.NoError(t, restored.c.aggregator.restore(st))
	restored.consume(eventOf("signup", 2*time.Second, "plan", "pro"), pageView("b", 2*time.Second, "/", 2, "author", "Grace"))
	values := pointValues(restored.flush(t0.Add(2 * time.Minute)))
	const metric = "footfall.events.by_property"
	assert.InDelta(t, 2, values[metric+"{event_name=signup,property=plan,site=shop,value=team}"], 0)
	assert.InDelta(t, 1, values[metric+"{event_name=signup,property=plan,site=shop,value=other}"], 0, "team kept the one place")
	assert.InDelta(t, 2, values[metric+"{event_name=browser.page_view,property=author,site=shop,value=Ada}"], 0)
	assert.InDelta(t, 1, values[metric+"{event_name=browser.page_view,property=author,site=shop,value=other}"], 0, "Ada kept the one place")
}

// Revenue by source sums the goal values session.end reports under the
// session's first touch, each currency with its own top K; an amount or a
// currency that no sessionize processor writes is skipped and counted.
func TestRevenueByFirstTouch(t *testing.T) {
	cfg := testConfig()
	cfg.TopK = 1
	h := newHarness(t, cfg)
	end := func(visitor, source string, revenue map[string]any, utm ...any) rec {
		attrs := append([]any{schema.AttrReferrerClass, "search", schema.AttrReferrerSource, source, schema.AttrSessionRevenue, revenue}, utm...)
		return sessionEnd(visitor, time.Minute, attrs...)
	}
	newsletter := []any{schema.AttrUTMSource, "newsletter", schema.AttrUTMMedium, "email", schema.AttrUTMCampaign, "launch"}
	h.consume(
		end("a", "Google", map[string]any{"EUR": 30.5, "USD": 10.0}),
		end("b", "Google", map[string]any{"EUR": 19.5}, newsletter...),
		end("c", "Bing", map[string]any{"EUR": 5, "USD": int64(7)}),
		end("d", "Bing", map[string]any{"EUR": "12", "XYZ": 1.0, "USD": -3.0}),
		end("e", "Bing", map[string]any{}),
		end("f", "Google", map[string]any{"USD": 2.0}),
	)
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))

	const byReferrer = "footfall.revenue.by_referrer"
	assert.InDelta(t, 50, values[byReferrer+"{currency=EUR,referrer_class=search,referrer_source=Google,site=shop}"], 1e-9)
	assert.InDelta(t, 5, values[byReferrer+"{currency=EUR,referrer_class=other,referrer_source=other,site=shop}"], 1e-9, "Bing is past EUR's top 1")
	assert.InDelta(t, 12, values[byReferrer+"{currency=USD,referrer_class=search,referrer_source=Google,site=shop}"], 1e-9)
	assert.InDelta(t, 7, values[byReferrer+"{currency=USD,referrer_class=other,referrer_source=other,site=shop}"], 1e-9)
	sum, n := seriesOf(values, byReferrer)
	assert.InDelta(t, 74, sum, 1e-9, "every valid amount is in exactly one series")
	assert.Equal(t, 4, n)
	sum, n = seriesOf(values, "footfall.revenue.by_campaign")
	assert.InDelta(t, 19.5, sum, 1e-9, "only b's session had UTM parameters")
	assert.Equal(t, 1, n)
	assert.InDelta(t, 19.5, values["footfall.revenue.by_campaign{currency=EUR,site=shop,utm_campaign=launch,utm_medium=email,utm_source=newsletter}"], 1e-9)

	metadatatest.AssertEqualConnectorWebanalyticsRecordsSkipped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 3, Attributes: reason(skippedInvalidMeasure)}}, metricdatatest.IgnoreTimestamp())
}
