// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// Each funnel step the sessionize processor stamps on an event is one
// session reaching it. Entries it cannot have written are skipped and
// counted, and the rest of their event still counts.
func TestFunnelStepsCountSessionsPerStep(t *testing.T) {
	h := newHarness(t, testConfig())
	steps := func(id string, at time.Duration, stamp any) rec {
		r := pageView("v"+id, at, "/", 2, schema.AttrSessionFunnelSteps, stamp)
		r.attrs[schema.AttrEventID] = id
		return r
	}
	h.consume(
		steps("1", 0, map[string]any{"checkout": int64(1)}),
		steps("2", 0, map[string]any{"checkout": int64(1)}),
		steps("3", time.Second, map[string]any{"checkout": int64(2), "blog": int64(1)}),
		steps("4", time.Second, map[string]any{"checkout": int64(3)}),
		steps("5", time.Second, map[string]any{"checkout": int64(9), "blog": "2", "": int64(1)}),
		steps("6", time.Second, "checkout"),
	)
	values := pointValues(h.flush(t0.Add(time.Minute)))
	for series, want := range map[string]float64{
		"footfall.funnel.sessions{funnel=checkout,site=shop,step=1}": 2,
		"footfall.funnel.sessions{funnel=checkout,site=shop,step=2}": 1,
		"footfall.funnel.sessions{funnel=checkout,site=shop,step=3}": 1,
		"footfall.funnel.sessions{funnel=blog,site=shop,step=1}":     1,
		"footfall.page_views{site=shop}":                             6,
	} {
		assert.InDelta(t, want, values[series], 0, series)
	}
	n := 0
	for series := range values {
		if len(series) > len("footfall.funnel.sessions") && series[:len("footfall.funnel.sessions")] == "footfall.funnel.sessions" {
			n++
		}
	}
	assert.Equal(t, 4, n, "no series for the invalid entries")
	metadatatest.AssertEqualConnectorWebanalyticsRecordsSkipped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 4, Attributes: reason(skippedInvalidFunnelStep)}}, metricdatatest.IgnoreTimestamp())
}
