// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/diskguard"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// Near a full disk the write-ahead log stops taking batches while room for
// a checkpoint remains: batches are refused as retryable (the intake
// answers 503), a checkpoint is still written, and once space returns
// batches are taken again. Nothing refused is kept, nothing taken is lost.
func TestAppendsStopBeforeTheDiskIsFull(t *testing.T) {
	var free atomic.Int64
	free.Store(1 << 30)
	cfg := storageConfigWith(t.TempDir())
	cfg.FlushOnShutdown = true
	ext := storagetest.NewExtension()
	h := start(t, cfg, ext, nil, func(p *sessionizeProcessor) {
		p.disk = diskguard.New(cfg.WALDirectory, 0, func(string) (int64, error) { return free.Load(), nil }, p.clock.Now)
	})
	h.mustConsume(logsOf(pv("a", "e1", 0, "/")))

	free.Store(diskguard.MinReserve + 10) // any batch would eat into the reserve
	h.tick(t0.Add(time.Second))           // the guard's last reading of the disk is old
	err := h.consume(logsOf(pv("b", "e2", time.Second, "/")))
	require.ErrorIs(t, err, diskguard.ErrLow)
	assert.False(t, consumererror.IsPermanent(err), "the sender retries")
	metadatatest.AssertEqualProcessorSessionizeEventsRefused(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(refusedDiskLow)}}, metricdatatest.IgnoreTimestamp())

	h.checkpointAt(t0.Add(time.Hour)) // written from the reserve
	require.Contains(t, storedKeys(ext), checkpointKey)
	assert.Positive(t, h.p.disk.Reserve())

	free.Store(1 << 30) // space returned
	h.mustConsume(logsOf(pv("b", "e2", time.Second, "/")))
	metadatatest.AssertEqualProcessorSessionizeDiskFreeBytes(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1 << 30}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
	var events []string
	for _, line := range summary(h.output()) {
		// The retry is placed after the checkpoint's hour: late, but counted.
		if line = strings.TrimSuffix(line, " late"); line == "a e1 S1 #1" || line == "b e2 S2 #1" {
			events = append(events, line)
		}
	}
	assert.ElementsMatch(t, []string{"a e1 S1 #1", "b e2 S2 #1"}, events, "each event once: the refused attempt left nothing")
}
