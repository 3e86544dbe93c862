// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

func reason(r string) attribute.Set { return attribute.NewSet(attribute.String("reason", r)) }

// Success means the events are on the storage extension: when it cannot be
// written, the batch is refused with a retryable error and nothing is kept.
func TestAcksOnlyWhatTheWriteAheadLogHolds(t *testing.T) {
	ext := storagetest.NewExtension()
	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, ext, nil)
	input := logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second))

	ext.FailWith = errors.New("disk full")
	err := h.consume(cloneLogs(input))
	require.ErrorContains(t, err, "write-ahead log: disk full")
	assert.False(t, consumererror.IsPermanent(err), "a storage failure is worth retrying")
	metadatatest.AssertEqualProcessorSessionizeEventsRefused(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: reason(refusedStorage)}}, metricdatatest.IgnoreTimestamp())

	ext.FailWith = nil
	require.NoError(t, h.consume(cloneLogs(input)), "the sender's retry")
	assert.Equal(t, []string{"wal/0000000000000000"}, storedKeys(ext))
	h.shutdown()
	assert.Equal(t, []string{
		"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
		"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
	}, summary(h.output()), "the refused attempt left nothing behind")
}

func cloneLogs(ld plog.Logs) plog.Logs {
	out := plog.NewLogs()
	ld.CopyTo(out)
	return out
}

func TestRefusesWhatTheReorderBufferCannotHold(t *testing.T) {
	cfg := testConfig()
	cfg.MaxPendingEvents = 3
	h := start(t, cfg, nil, nil)
	require.NoError(t, h.consume(logsOf(pv("a", "e1", 0, "/"), pv("b", "e2", 0, "/"))))
	err := h.consume(logsOf(pv("c", "e3", 0, "/"), pv("d", "e4", 0, "/")))
	require.ErrorContains(t, err, "reorder buffer is full")
	assert.False(t, consumererror.IsPermanent(err))
	require.NoError(t, h.consume(logsOf(pv("c", "e3", 0, "/"))), "a batch that fits is taken")
	h.tick(h.clock.Now().Add(tickInterval)) // after the owner's report of its gauges, which follows its reply
	metadatatest.AssertEqualProcessorSessionizeEventsRefused(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: reason(refusedPendingFull)}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsPending(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
}

// quarantined lists the keys moved aside under quarantine/, without their time.
func quarantined(ext *storagetest.Extension) []string {
	var keys []string
	for key := range ext.Snapshot(component.KindProcessor, processorID, "") {
		if rest, ok := strings.CutPrefix(key, "quarantine/"); ok {
			_, name, _ := strings.Cut(rest, "/")
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	return keys
}

func setStored(t *testing.T, ext *storagetest.Extension, key string, value func([]byte) []byte) {
	t.Helper()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	data, err := client.Get(context.Background(), key)
	require.NoError(t, err)
	if replaced := value(data); replaced != nil {
		require.NoError(t, client.Set(context.Background(), key, replaced))
		return
	}
	require.NoError(t, client.Delete(context.Background(), key), "value nil: the key is deleted")
}

// A checkpoint this build cannot read (a newer version, or bytes cut short)
// is moved aside with its parts; the processor starts empty and works.
func TestMovesAsideAnUnreadableCheckpoint(t *testing.T) {
	for name, corrupt := range map[string]func([]byte) []byte{
		"unknown version": func([]byte) []byte { return []byte{99} },
		"cut short":       func(b []byte) []byte { return b[:len(b)/2] },
	} {
		t.Run(name, func(t *testing.T) {
			ext := storagetest.NewExtension()
			first := start(t, storageConfig(), ext, nil)
			first.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "e2", time.Minute, "/")))
			first.shutdown()
			setStored(t, ext, checkpointKey, corrupt)

			cfg := storageConfig()
			cfg.FlushOnShutdown = true
			next := start(t, cfg, ext, nil)
			assert.Equal(t, []string{checkpointKey, sessionsKey}, quarantined(ext))
			metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, next.telemetry,
				[]metricdata.DataPoint[int64]{{Value: 2, Attributes: attribute.NewSet(attribute.String("part", partCheckpoint))}},
				metricdatatest.IgnoreTimestamp())
			next.mustConsume(logsOf(pv("b", "e3", 2*time.Minute, "/")))
			next.shutdown()
			got := summary(next.output())
			assert.Contains(t, got, "b e3 S2 #1", "the processor works after the start")
			assert.Contains(t, got, "a e2 S1 #2", "acknowledged events still in the write-ahead log are replayed")
		})
	}
}

// An unreadable part of the checkpoint is moved aside alone: the rest of the
// state is restored.
func TestMovesAsideAnUnreadableSessionsCheckpoint(t *testing.T) {
	ext := storagetest.NewExtension()
	first := start(t, storageConfig(), ext, nil)
	first.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "e2", time.Minute, "/")))
	first.shutdown()
	setStored(t, ext, sessionsKey, func(b []byte) []byte { return b[:len(b)-3] })

	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	next := start(t, cfg, ext, nil)
	assert.Equal(t, []string{sessionsKey}, quarantined(ext))
	metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, next.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("part", partSessions))}},
		metricdatatest.IgnoreTimestamp())
	next.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	next.shutdown()
	// e2 was acknowledged and still buffered: the write-ahead log gives it
	// back. The dedup memory was restored, so e1 sent again is a duplicate.
	events := 0
	for _, line := range summary(next.output()) {
		if strings.HasPrefix(line, "a e1 ") || strings.HasPrefix(line, "a e2 ") {
			events++
		}
	}
	assert.Equal(t, 2, events, "e1 and e2 once each: %v", summary(next.output()))
	assert.Contains(t, summary(next.output()), "a e2 S1 #2")
}

// A write-ahead entry that cannot be decoded is moved aside; the entries
// after it are replayed.
func TestMovesAsideAnUnreadableWriteAheadEntry(t *testing.T) {
	ext := storagetest.NewExtension()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), walKey(0), []byte{walVersion, 0xff}))

	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	first := start(t, cfg, ext, nil)
	assert.Equal(t, []string{walKey(0)}, quarantined(ext))
	metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, first.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("part", partWAL))}},
		metricdatatest.IgnoreTimestamp())
	first.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	first.shutdown()
	assert.Contains(t, summary(first.output()), "a e1 S1 #1")
}

func TestStorageMustBeAStorageExtension(t *testing.T) {
	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil, clockwork.NewRealClock())
	require.NoError(t, err)
	err = p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{}})
	require.ErrorContains(t, err, `storage: extension "file_storage" not found`)
}

// blockingConsumer holds every call until released or until its context ends.
type blockingConsumer struct {
	release chan struct{}
	mu      sync.Mutex
	got     []plog.Logs
}

func (*blockingConsumer) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (b *blockingConsumer) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, ld)
	return nil
}

// Shutdown gives up on a stuck next consumer when its context ends, and the
// checkpoint keeps what was not delivered for the next start.
func TestShutdownHonoursItsContextAndKeepsUndeliveredRecords(t *testing.T) {
	ext := storagetest.NewExtension()
	stuck := &blockingConsumer{release: make(chan struct{})}
	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, ext, stuck)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Minute)))

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.NoError(t, h.p.Shutdown(ctx), "with storage nothing is lost, so shutdown succeeds")
	assert.Empty(t, stuck.got)

	next := start(t, storageConfig(), ext, nil)
	next.shutdown()
	assert.Equal(t, []string{
		"a start S1 prev=", "a e1 S1 #1", "a e2 S1 #2",
		"a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
	}, summary(next.output()))
}

// A batch larger than one write-ahead entry can be is refused with a
// permanent error (its retry would be as large) and counted; the batches
// around it are kept, and only they come back after a restart.
func TestRefusesABatchLargerThanAWriteAheadEntry(t *testing.T) {
	ext := storagetest.NewExtension()
	cfg := storageConfigWith(t.TempDir())
	small := func(p *sessionizeProcessor) { p.walSegmentSize = 2 * 32 * 1024 }
	first := start(t, cfg, ext, nil, small)
	first.mustConsume(logsOf(pv("a", "before", 0, "/")))
	// Random event ids, which compression cannot shrink: 4,000 of them
	// are more than the two pages a segment has here.
	rnd := rand.New(rand.NewPCG(1, 2))
	var large []event
	for i := range 4000 {
		large = append(large, click("b", fmt.Sprintf("large-%d-%016x%016x", i, rnd.Uint64(), rnd.Uint64()), time.Duration(i)*time.Millisecond))
	}
	err := first.consume(logsOf(large...))
	require.Error(t, err)
	assert.True(t, consumererror.IsPermanent(err), "a retry would be as large")
	first.mustConsume(logsOf(pv("c", "after", time.Second, "/")))
	metadatatest.AssertEqualProcessorSessionizeEventsDropped(t, first.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 4000, Attributes: reason(reasonTooLarge)}}, metricdatatest.IgnoreTimestamp())
	first.crash()

	cfg.FlushOnShutdown = true
	second := start(t, cfg, ext, nil, small)
	second.shutdown()
	lines := summary(second.output())
	assert.Contains(t, lines, "a before S1 #1")
	assert.Contains(t, lines, "c after S2 #1")
	for _, l := range lines {
		assert.NotContains(t, l, "large-", "the refused batch was never logged")
	}
}
