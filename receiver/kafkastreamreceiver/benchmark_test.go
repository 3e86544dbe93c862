// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"testing"
	"time"

	"github.com/footfall-analytics/footfall/internal/visitcorpus"
)

// BenchmarkOneCollectorCatchesUp times one processing collector reading a
// topic the corpus filled (4 partitions, about 36,000 records of one event)
// until its group has committed everything: events/s through the read, the
// per-partition sessionizer and aggregator, and the transactional commits
// of state and offsets, against an in-process broker on the same cores.
func BenchmarkOneCollectorCatchesUp(b *testing.B) {
	records := 0
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		broker := startCluster(b)
		c := visitcorpus.New(6000, eventsTopic, partitions)
		produce(b, broker, c.Records)
		records += len(c.Records)
		b.StartTimer()
		start := time.Now()
		col := startCollector(b, broker, "bench")
		waitForLagZero(b, broker)
		elapsed += time.Since(start)
		b.StopTimer()
		_ = col.r.Shutdown(context.Background())
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
}
