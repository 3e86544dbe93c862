// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/plogtest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// heldStream is batches whose events wait in the reorder buffer and are
// placed by later batches: whole batches, a late event placed at once, and
// a batch whose events leave the buffer at different steps (one is ahead of
// its receive time).
func heldStream() []plog.Logs {
	return []plog.Logs{
		logsOf(pv("v1", "e1", 0, "/"), pv("v2", "e2", time.Second, "/pricing").with("utm.source", "news")),
		logsOf(click("v1", "e3", 3*time.Second), pv("v3", "e4", 4*time.Second, "/docs")),
		logsOf(pv("v2", "e5", 12*time.Second, "/signup")),
		logsOf(pv("v1", "e6", 14*time.Second, "/about")),
		logsOf(click("v2", "e7", 2500*time.Millisecond).receivedAt(15 * time.Second)),
		logsOf(click("v3", "e8", 16*time.Second), pv("v4", "e9", 60*time.Second, "/").receivedAt(16*time.Second)),
		logsOf(pv("v1", "e10", 30*time.Second, "/")),
		logsOf(pv("v5", "e11", 75*time.Second, "/")),
	}
}

// A batch the tracker still holds records of keeps only their encoding,
// and what comes out is what the same records give when they are held as
// pdata (without storage there is no encoding to keep).
func TestHeldBatchesKeepOnlyTheirEncoding(t *testing.T) {
	run := func(withStorage bool) (plog.Logs, *harness) {
		cfg := testConfig()
		var ext component.Component
		if withStorage {
			cfg.Storage, ext = &storageID, storagetest.NewExtension()
		}
		h := start(t, cfg, ext, nil)
		for _, ld := range heldStream() {
			h.mustConsume(ld)
		}
		h.waitDelivered()
		out := h.output()
		h.shutdown()
		return out, h
	}
	want, _ := run(false)
	got, stored := run(true)
	require.NoError(t, plogtest.CompareLogs(want, got))
	// Everything but the last event, which its site's watermark has not
	// passed: 10 events and 4 session.start records.
	require.Equal(t, 14, got.LogRecordCount())

	// The last batch still waits for the watermark (a shutdown with storage
	// checkpoints it rather than placing it): it holds only its encoding.
	require.Len(t, stored.p.state.batches, 1)
	for _, b := range stored.p.state.batches {
		assert.True(t, b.encodedOnly)
		assert.Equal(t, plog.Logs{}, b.logs)
		assert.NotEmpty(t, b.wire)
	}
}

// A held record whose encoding cannot be read back is dropped and counted;
// its batch is let go, and the other records go on.
func TestAnUndecodableHeldRecordIsDroppedAndCounted(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	p, err := newProcessor(testConfig(), metadatatest.NewSettings(tel), consumertest.NewNop(), clockwork.NewRealClock())
	require.NoError(t, err)
	s := p.state
	apply := func(seq uint64, ld plog.Logs) *emitted {
		b, _, _ := p.reader.read(ld)
		wire, err := protoMarshaler.MarshalLogs(b.logs)
		require.NoError(t, err)
		b.seq, b.wire, b.accepted = seq, wire, make([]bool, len(b.inputs))
		for i := range b.accepted {
			b.accepted[i] = true
		}
		e := s.applyAll([]*batch{b}, t0)
		s.count(e)
		return e
	}
	held := apply(1, logsOf(pv("v1", "e1", 0, "/"), click("v1", "e2", time.Second)))
	require.Zero(t, held.records)
	require.True(t, s.batches[1].encodedOnly)
	s.batches[1].wire = []byte{0xff, 0xff, 0xff}

	e := apply(2, logsOf(pv("v2", "e3", 20*time.Second, "/")))
	assert.Equal(t, 2, e.undecodable)
	assert.Zero(t, e.records)
	assert.NotContains(t, s.batches, uint64(1))
	metadatatest.AssertEqualProcessorSessionizeEventsDropped(t, tel,
		[]metricdata.DataPoint[int64]{{Value: 2, Attributes: reason(reasonUndecodable)}}, metricdatatest.IgnoreTimestamp())
}

// A batch still held in the reorder buffer after a restore keeps only its
// compressed encoding, as it did before the crash, and its events are placed
// from it as a processor that never stopped places them.
func TestARestoredHeldBatchKeepsOnlyItsEncoding(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		batch := func() plog.Logs { return logsOf(pv("v", "a", 0, "/"), pv("w", "b", 0, "/").on("blog")) }
		placedBy := func(h *harness) []string {
			h.tick(t0.Add(11 * time.Second)) // the idle watermark passes the page views
			require.Eventually(t, func() bool { return len(summary(h.output())) >= 4 }, 10*time.Second, time.Millisecond)
			return summary(h.output())
		}
		reference := start(t, storageConfig(), storagetest.NewExtension(), nil)
		reference.mustConsume(batch())
		want := placedBy(reference)
		reference.shutdown()

		ext := storagetest.NewExtension()
		first := start(t, storageConfigWith(walDir), ext, nil)
		first.mustConsume(batch())
		first.crash()
		second := start(t, storageConfigWith(walDir), ext, nil)
		require.Len(t, second.p.state.batches, 1, "held for allowed_lateness")
		for _, b := range second.p.state.batches {
			assert.True(t, b.encodedOnly, "the restored batch holds its encoding")
			assert.Equal(t, plog.Logs{}, b.logs, "and not its pdata")
		}
		assert.Equal(t, want, placedBy(second))
		second.shutdown()
	})
}
