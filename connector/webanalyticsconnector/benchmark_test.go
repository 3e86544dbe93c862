// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadatatest"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// sessionizedBatch is 20 page views of 20 visitors out of 50,000, on 500
// paths, as the sessionizer forwards them.
func sessionizedBatch(n int) plog.Logs {
	records := make([]rec, 20)
	for i := range records {
		k := n*20 + i
		visitor := fmt.Sprintf("%016x", uint64(k%50_000)*0x9e3779b97f4a7c15)
		records[i] = pageView(visitor, time.Duration(k)*time.Millisecond, fmt.Sprintf("/docs/page-%d", k%500), 1+k%3,
			schema.AttrReferrerClass, "search", schema.AttrReferrerSource, "Google", schema.AttrGeoCountry, "DE",
			schema.AttrDeviceType, "desktop", schema.AttrUserAgentName, "Firefox")
	}
	return logsOf(records...)
}

// BenchmarkConsumeLogs is the connector's cost per event: uniques, counters
// and breakdowns, for batches of 20.
func BenchmarkConsumeLogs(b *testing.B) {
	c, err := newConnector(testConfig(), metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop(), clockwork.NewRealClock())
	require.NoError(b, err)
	batches := make([]plog.Logs, 1000)
	for i := range batches {
		batches[i] = sessionizedBatch(i)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if err := c.ConsumeLogs(context.Background(), batches[i%len(batches)]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/event")
}

// BenchmarkFlush renders every series and refreshes the visitor gauges of a
// site with 50,000 visitors in its last hour.
func BenchmarkFlush(b *testing.B) {
	c, err := newConnector(testConfig(), metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop(), clockwork.NewFakeClockAt(t0.Add(time.Hour)))
	require.NoError(b, err)
	for i := range 2500 {
		require.NoError(b, c.ConsumeLogs(context.Background(), sessionizedBatch(i)))
	}
	for b.Loop() {
		require.NoError(b, c.flush(context.Background()))
	}
}

// BenchmarkSiteState is what one site costs in memory: its unique-visitor
// sketches and its top-K sketches, after 50,000 visitors on 500 paths.
func BenchmarkSiteState(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		a, err := newAggregator(testConfig())
		require.NoError(b, err)
		for i := range 2500 {
			a.consume(sessionizedBatch(i), t0)
		}
		a.store = newStore(1, 1, 0) // count the sketches, not the exported series
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc), "heap-bytes/site")
		runtime.KeepAlive(a)
	}
}
