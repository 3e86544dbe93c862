// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

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
	metadatatest.AssertEqualProcessorSessionizeEventsRefused(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: reason(refusedPendingFull)}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualProcessorSessionizeEventsPending(t, h.telemetry,
		[]metricdata.DataPoint[int64]{{Value: 3}}, metricdatatest.IgnoreTimestamp())
	h.shutdown()
}

func TestRefusesAnUnknownCheckpointVersion(t *testing.T) {
	ext := storagetest.NewExtension()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), checkpointKey, []byte{99}))

	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil)
	require.NoError(t, err)
	host := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}
	err = p.Start(context.Background(), host)
	require.ErrorContains(t, err, "sessionize checkpoint has version 99; this build reads version 1")
	require.NoError(t, p.Shutdown(context.Background()))
}

func TestRefusesACorruptCheckpoint(t *testing.T) {
	ext := storagetest.NewExtension()
	first := start(t, storageConfig(), ext, nil)
	first.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "e2", time.Minute, "/")))
	first.shutdown()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	data, err := client.Get(context.Background(), checkpointKey)
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), checkpointKey, data[:len(data)/2]))

	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil)
	require.NoError(t, err)
	err = p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}})
	require.ErrorContains(t, err, "checkpoint")
}

func TestStorageMustBeAStorageExtension(t *testing.T) {
	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil)
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

func TestRefusesACorruptSessionsCheckpoint(t *testing.T) {
	ext := storagetest.NewExtension()
	first := start(t, storageConfig(), ext, nil)
	first.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("a", "e2", time.Minute, "/")))
	first.shutdown()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	data, err := client.Get(context.Background(), sessionsKey)
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), sessionsKey, data[:len(data)-3]))

	p, err := newProcessor(storageConfig(), metadatatest.NewSettings(newTelemetry(t)), nil)
	require.NoError(t, err)
	err = p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}})
	require.ErrorContains(t, err, "session checkpoint")
}
