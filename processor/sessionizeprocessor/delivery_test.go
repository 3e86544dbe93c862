// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// failingConsumer refuses its first calls with err, then passes to the sink.
type failingConsumer struct {
	mu       sync.Mutex
	failures int
	err      error
	calls    int
	sink     *consumertest.LogsSink
}

func (*failingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (f *failingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	f.mu.Lock()
	f.calls++
	fail := f.calls <= f.failures
	f.mu.Unlock()
	if fail {
		return f.err
	}
	return f.sink.ConsumeLogs(ctx, ld)
}

func TestRetryableDownstreamErrorsAreRetriedInOrder(t *testing.T) {
	next := &failingConsumer{failures: 3, err: errors.New("exporter queue is full"), sink: &consumertest.LogsSink{}}
	cfg := testConfig()
	cfg.FlushOnShutdown = true
	cfg.DeliveryBackoff.InitialInterval = time.Second
	cfg.DeliveryBackoff.Multiplier = 3
	cfg.DeliveryBackoff.MaxInterval = 5 * time.Second
	cfg.DeliveryBackoff.RandomizationFactor = 0
	var mu sync.Mutex
	var waits []time.Duration
	h := start(t, cfg, nil, next, func(p *sessionizeProcessor) {
		p.sleep = func(ctx context.Context, d time.Duration) bool {
			mu.Lock()
			waits = append(waits, d)
			mu.Unlock()
			return ctx.Err() == nil
		}
	})
	h.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	h.mustConsume(logsOf(click("a", "e2", time.Minute)))
	h.shutdown()
	assert.Equal(t, []string{
		"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
		"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
	}, summary(joinLogs(next.sink.AllLogs())))
	assert.Equal(t, []time.Duration{time.Second, 3 * time.Second, 5 * time.Second}, waits, "delivery_backoff")
	metadatatest.AssertEqualProcessorSessionizeDeliveryRetries(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeOutboxRecords(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
}

func TestPermanentDownstreamErrorsAreDroppedAndCounted(t *testing.T) {
	next := &failingConsumer{failures: 1, err: consumererror.NewPermanent(errors.New("mapping conflict")), sink: &consumertest.LogsSink{}}
	cfg := testConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, nil, next)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "e2", time.Minute, "/2")))
	h.shutdown()
	// The first delivery (session.start and e1, placed when e2 moved the
	// watermark) was refused for good; the rest arrived.
	assert.Equal(t, []string{"a e2 S1 #2", "a end S1 shutdown pv=2 events=2 bounce=false entry=/ exit=/2"}, summary(joinLogs(next.sink.AllLogs())))
	metadatatest.AssertEqualProcessorSessionizeDeliveryDropped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 2}}, metricdatatest.IgnoreTimestamp())
}

func TestRefusesNewBatchesWhileTheNextConsumerIsBehind(t *testing.T) {
	stuck := &blockingConsumer{release: make(chan struct{})}
	cfg := testConfig()
	cfg.MaxUndeliveredRecords = 3
	cfg.AllowedLateness = 0
	h := start(t, cfg, nil, stuck)
	// With no lateness every batch is placed at once: 2 records each (start + event).
	require.NoError(t, h.consume(logsOf(pv("a", "e1", 0, "/"))))
	require.NoError(t, h.consume(logsOf(pv("b", "e2", 0, "/"))))
	err := h.consume(logsOf(pv("c", "e3", 0, "/")))
	require.ErrorContains(t, err, "next consumer is not keeping up")
	assert.False(t, consumererror.IsPermanent(err))
	metadatatest.AssertEqualProcessorSessionizeOutboxRecords(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())

	close(stuck.release)
	h.waitDelivered()
	require.NoError(t, h.consume(logsOf(pv("c", "e3", 0, "/"))), "taken once the backlog drained")
	h.shutdown()
}

// Records that are not browser events are none of the processor's business:
// they go on unchanged, before the call returns.
func TestForeignRecordsPassThroughUnchanged(t *testing.T) {
	h := start(t, testConfig(), nil, nil)
	ld := logsOf(pv("a", "e1", 0, "/"))
	foreign := ld.ResourceLogs().AppendEmpty()
	foreign.Resource().Attributes().PutStr("service.name", "checkout")
	record := foreign.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	record.Body().SetStr("payment accepted")
	want := plog.NewLogs()
	foreign.CopyTo(want.ResourceLogs().AppendEmpty())

	require.NoError(t, h.consume(ld))
	require.Len(t, h.sink.AllLogs(), 1, "forwarded before ConsumeLogs returned")
	assert.Equal(t, want, h.sink.AllLogs()[0])
	metadatatest.AssertEqualProcessorSessionizeRecordsForwardedUnchanged(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(reasonMissingSite)}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
}

func TestBrokenBrowserEventsAreRefusedPermanently(t *testing.T) {
	h := start(t, testConfig(), nil, nil)
	ld := logsOf(pv("a", "e1", 0, "/"))
	ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes().Remove(schema.AttrEventID)
	err := h.consume(ld)
	require.ErrorContains(t, err, "none of the 1 records can be sessionized: 1 missing_event_id")
	assert.True(t, consumererror.IsPermanent(err))

	mixed := logsOf(pv("a", "e2", 0, "/"), pv("a", "e3", time.Second, "/"))
	mixed.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetTimestamp(0)
	mixed.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).SetObservedTimestamp(0)
	require.NoError(t, h.consume(mixed), "the good event of a mixed batch is taken")
	metadatatest.AssertEqualProcessorSessionizeEventsDropped(t, h.telemetry, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: reason(reasonMissingEventID)},
		{Value: 1, Attributes: reason(reasonMissingTime)},
	}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
}

// The wall clock moves the watermark only once no newer event has come for
// watermark_idle_timeout; an event a moment ago holds it.
func TestIdleWatermarkWaitsForTheIdleTimeout(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = time.Minute
	h := start(t, cfg, nil, nil)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	h.tick(t0.Add(4 * time.Second))
	assert.Empty(t, h.sink.AllLogs(), "within watermark_idle_timeout nothing moves")
	h.tick(t0.Add(30 * time.Second))
	h.waitDelivered()
	assert.Equal(t, []string{"a start S1 prev=", "a e1 S1 #1"}, summary(h.output()))
	h.tick(t0.Add(80 * time.Second))
	h.waitDelivered()
	assert.Equal(t, []string{"a start S1 prev=", "a e1 S1 #1", "a end S1 idle pv=1 events=1 bounce=true entry=/ exit=/"}, summary(h.output()))
	h.shutdown()
}

func TestTelemetry(t *testing.T) {
	cfg := testConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, nil, nil)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("b", "e2", 0, "/").receivedAt(-time.Hour)))
	h.mustConsume(logsOf(pv("a", "e3", 40*time.Minute, "/"), pv("a", "e3", 40*time.Minute, "/")))
	h.mustConsume(logsOf(click("b", "e4", 10*time.Second)))
	// The owner reports its gauges after it replies: its next tick comes
	// after that report.
	h.tick(h.clock.Now().Add(tickInterval))
	metadatatest.AssertEqualProcessorSessionizeSessionsLive(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsPending(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
	metadatatest.AssertEqualProcessorSessionizeSessionsStarted(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 4}}, metricdatatest.IgnoreTimestamp())
	// b's second session ends idle before a's event at 40m is placed at shutdown.
	metadatatest.AssertEqualProcessorSessionizeSessionsEnded(t, h.telemetry, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: reason("idle")},
		{Value: 1, Attributes: reason("shutdown")},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeSessionsLive(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 0}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsLate(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsClockSkewed(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsDropped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(reasonDuplicate)}}, metricdatatest.IgnoreTimestamp())
}

// Only this processor makes session.start and session.end: a client's are
// dropped and counted, one under this processor's scope (from another
// sessionize processor upstream) goes on unchanged.
func TestClientSessionRecordsAreDropped(t *testing.T) {
	require.Equal(t, schema.SessionizeScope, metadata.ScopeName, "the schema names this processor's scope")
	h := start(t, testConfig(), nil, nil)
	ld := logsOf(pv("a", "e1", 0, "/"))
	forged := ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().AppendEmpty()
	forged.SetEventName(schema.EventSessionEnd)
	forged.Attributes().PutStr(schema.AttrEventID, "forged")
	forged.Attributes().PutStr(schema.AttrSessionEndReason, "pwned")
	forged.SetTimestamp(pcommon.NewTimestampFromTime(t0))

	own := plog.NewLogs()
	rl := own.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, "b")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName(schema.SessionizeScope)
	sl.LogRecords().AppendEmpty().SetEventName(schema.EventSessionStart)
	want := plog.NewLogs()
	own.CopyTo(want)
	own.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())

	require.NoError(t, h.consume(ld))
	require.Len(t, h.sink.AllLogs(), 1)
	assert.Equal(t, want, h.sink.AllLogs()[0], "the trusted record goes on; the forged one does not")
	metadatatest.AssertEqualProcessorSessionizeEventsDropped(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: reason(reasonReservedName)}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
	for _, line := range summary(h.output()) {
		assert.NotContains(t, line, "forged")
	}
}

// A checkpoint never encodes a batch the next consumer holds (it may change
// it): it begins once the consumer has given it back, the write-ahead log
// kept until then.
func TestCheckpointWaitsForTheBatchTheNextConsumerHolds(t *testing.T) {
	release := make(chan struct{})
	taking := make(chan struct{}, 1)
	var calls atomic.Int32
	next, err := consumer.NewLogs(func(context.Context, plog.Logs) error {
		if calls.Add(1) == 1 {
			taking <- struct{}{}
			<-release
		}
		return nil
	})
	require.NoError(t, err)
	ext := storagetest.NewExtension()
	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, ext, next)
	h.p.handoffWait = 10 * time.Millisecond
	h.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	h.tick(t0.Add(30 * time.Second)) // places e1, before a checkpoint is due: the consumer takes it and holds it
	<-taking
	h.tick(t0.Add(time.Hour)) // a checkpoint is due but cannot begin
	require.Never(t, func() bool { return slices.Contains(storedKeys(ext), checkpointKey) }, 200*time.Millisecond, 10*time.Millisecond,
		"no checkpoint while the consumer holds a batch")
	assert.Contains(t, storedKeys(ext), walKey(0), "the write-ahead entry stays")
	close(release)
	require.Eventually(t, func() bool {
		keys := storedKeys(ext)
		return slices.Contains(keys, checkpointKey) && !slices.Contains(keys, walKey(0))
	}, 10*time.Second, time.Millisecond, "once the batch is given back, the checkpoint is written and the entry of its events, delivered, released")
	h.shutdown()
}
