// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Twelve processors in turn on one storage, each restoring what the last
// one stored at shutdown: a base, or a base and a delta after it. The
// output is that of one processor fed everything (the ground truth).
func TestRestartsFromABaseAndItsDeltas(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		batches := stream(3, 200, 10*time.Second)
		want := runAll(t, batches)

		ext := storagetest.NewExtension()
		var outputs []plog.Logs
		const runs = 12
		fromDeltas := 0
		for i := range runs {
			cfg := storageConfigWith(walDir)
			cfg.WatermarkIdleTimeout = 0
			cfg.FlushOnShutdown = i == runs-1
			h := start(t, cfg, ext, nil)
			if h.p.state.chain.deltas > 0 {
				fromDeltas++
			}
			share := batches[i*len(batches)/runs : (i+1)*len(batches)/runs]
			for _, b := range share {
				h.mustConsume(logsOf(b...))
			}
			h.shutdown()
			outputs = append(outputs, h.output())
		}
		assert.Equal(t, want, summary(joinLogs(outputs)), "restarts from a base and deltas neither repeat nor lose output")
		// Each share changes about as much as the base holds, so a delta and
		// a base take turns: half the runs restore a base and a delta.
		assert.GreaterOrEqual(t, fromDeltas, runs/2-1, "runs restore a base and a delta")
	})
}

// A crash after a delta replays from it: the output up to the delta from
// the first processor, the rest from the second. The storage holds the base
// of an empty processor, so the first processor's checkpoint is a delta.
func TestCrashReplaysSinceTheLastDelta(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		ext := storagetest.NewExtension()
		start(t, storageConfig(), ext, nil).shutdown()
		require.Zero(t, countDeltas(storedKeys(ext)), "the first checkpoint is a base")
		testCrashReplaysSinceLastCheckpoint(t, walDir, ext, func(h *harness) {
			h.checkpointAt(t0.Add(time.Hour))
			require.Equal(t, 1, countDeltas(storedKeys(ext)), "the next is a delta")
		})
	})
}

// A checkpoint is skipped when nothing changed since the last: a quiet
// processor writes nothing.
func TestNoCheckpointWhenNothingChanged(t *testing.T) {
	ext := storagetest.NewExtension()
	cfg := storageConfig()
	cfg.WatermarkIdleTimeout = 0
	h := start(t, cfg, ext, nil)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("b", "e2", time.Minute, "/")))
	h.waitDelivered()
	h.checkpointAt(t0.Add(time.Hour))
	written := checkpointsTaken(h)
	require.Equal(t, uint64(1), written)
	h.tick(t0.Add(2 * time.Hour))
	h.tick(t0.Add(3 * time.Hour))
	assert.Equal(t, written, checkpointsTaken(h), "nothing changed: no checkpoint")
	h.mustConsume(logsOf(pv("c", "e3", 2*time.Minute, "/")))
	h.waitDelivered()
	h.checkpointAt(t0.Add(4 * time.Hour)) // an event came: a checkpoint
	h.shutdown()
}

// Nor does one that never took an event: its checkpoint would store an
// empty state, which restores as no checkpoint does. Its first follows its
// first event.
func TestNoCheckpointBeforeTheFirstEvent(t *testing.T) {
	ext := storagetest.NewExtension()
	h := start(t, storageConfig(), ext, nil)
	h.tick(t0.Add(time.Hour))
	h.tick(t0.Add(2 * time.Hour))
	require.Never(t, func() bool { return checkpointsTaken(h) > 0 || len(storedKeys(ext)) > 0 }, 200*time.Millisecond, 10*time.Millisecond,
		"nothing to store")
	h.mustConsume(logsOf(pv("a", "e1", 3*time.Hour, "/")))
	h.waitDelivered()
	h.checkpointAt(t0.Add(3 * time.Hour))
	assert.Equal(t, uint64(1), checkpointsTaken(h), "the one after the first event")
	assert.Contains(t, storedKeys(ext), checkpointKey)
	h.shutdown()
}

// Nor does a quiet processor whose idle watermark the wall clock moves at
// every tick: a move that places nothing changes no output, and were it a
// change, a checkpoint would be written every checkpoint_interval, and a
// base of the whole state after every maxCheckpointDeltas of them, all
// night long. What the moves placed (the sessions they ended) is a change.
func TestNoCheckpointWhenOnlyTheIdleWatermarkMoved(t *testing.T) {
	ext := storagetest.NewExtension()
	h := start(t, storageConfig(), ext, nil)
	h.mustConsume(logsOf(pv("a", "e1", 0, "/"), pv("b", "e2", time.Minute, "/")))
	h.waitDelivered()
	h.checkpointAt(t0.Add(time.Hour))
	// The idle watermark ended both sessions at that tick, after the
	// checkpoint began: the next one holds their ends.
	h.waitDelivered()
	h.checkpointAt(t0.Add(2 * time.Hour))
	written := checkpointsTaken(h)
	for hour := 3; hour <= 3+maxCheckpointDeltas; hour++ {
		h.tick(t0.Add(time.Duration(hour) * time.Hour))
	}
	// A tick's checkpoint is written in the background; shutdown waits for
	// any under way, then writes its own.
	h.shutdown()
	assert.Equal(t, written+1, checkpointsTaken(h), "only the idle watermark moved: no checkpoint but shutdown's")
}

func countDeltas(keys []string) int {
	n := 0
	for _, k := range keys {
		if strings.HasPrefix(k, deltaKeyPrefix) {
			n++
		}
	}
	return n
}

// With many sessions open and few changing, a delta is what changed: the
// bytes the telemetry counts for it are a small part of the base's.
func TestADeltaWritesWhatChanged(t *testing.T) {
	ext := storagetest.NewExtension()
	cfg := storageConfig()
	cfg.WatermarkIdleTimeout = 0
	h := start(t, cfg, ext, nil)
	var events []event
	for v := range 2000 {
		events = append(events, pv(fmt.Sprintf("v%d", v), fmt.Sprintf("e%d", v), time.Duration(v)*time.Millisecond, "/"))
	}
	for b := range slices.Chunk(events, 100) {
		h.mustConsume(logsOf(b...))
	}
	h.checkpointAt(t0.Add(time.Hour)) // the base
	h.mustConsume(logsOf(pv("v1", "e-next", 3*time.Second, "/next"), pv("v2", "e-next2", 3*time.Second, "/next")))
	h.checkpointAt(t0.Add(2 * time.Hour)) // a delta
	var base, delta int64
	for _, dp := range checkpointBytes(t, h) {
		kind, _ := dp.Attributes.Value("kind")
		switch kind.AsString() {
		case "base":
			base = dp.Value
		case "delta":
			delta = dp.Value
		}
	}
	require.Positive(t, delta)
	assert.Less(t, delta*20, base, "two changed sessions of 2,000: base %d bytes, delta %d", base, delta)
	h.shutdown()
}

// When every open session changed, a delta holds them all, and a base
// would hold them and the whole dedup and visitor memory besides: the
// delta is still the smaller write, and is written. (Before, a delta was
// refused once half the sessions had changed, and a partition catching up
// rewrote its whole memory at every checkpoint.)
func TestADeltaOfEverySessionWhenABaseWouldWriteMore(t *testing.T) {
	const live = 5000
	s := millionSessions(t, live)
	client, log := checkpointStorage(t)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 1))
	require.Zero(t, s.chain.deltas, "the first checkpoint is a base")

	events := make([]session.Input, live)
	for i := range live {
		v := millionVisitor(i)
		at := t0.Add(time.Minute + time.Duration(i)*time.Microsecond)
		events[i] = session.Input{Key: session.Key{Site: "shop", Visitor: v}, EventID: v + "-next", Received: at, Event: session.Event{Time: at, PageView: true, Path: "/next"}}
	}
	_, refused := s.core.Apply(events, events[live-1].Received, t0)
	require.Empty(t, refused)
	s.core.PlacePending()
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 2))
	require.Equal(t, 1, s.chain.deltas, "every session changed, and the second checkpoint is a delta")
	assert.Less(t, s.chain.deltaBytes, s.chain.baseBytes, "the smaller write")
}

// While the state grows (a partition catching up), the deltas hold what is
// new rather than what they overwrite: they follow one another, where a
// base was written whenever they added up to the last one. Once they
// overwrite the same sessions again and again, the chain reaches
// maxChainStates times the state and a base follows, so a restore reads at
// most that and one delta.
func TestDeltasFollowWhileTheStateGrows(t *testing.T) {
	const first = 1000
	s := millionSessions(t, first)
	client, log := checkpointStorage(t)
	epoch := int64(1)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, epoch))
	require.Zero(t, s.chain.deltas, "the first checkpoint is a base")

	visitors := first
	for round := 1; round <= 4; round++ {
		for range 2 {
			placeEvents(t, s, newVisitorEvents(visitors, first, time.Duration(round)*time.Minute))
			visitors += first
		}
		epoch++
		require.NoError(t, checkpointNow(context.Background(), s, client, log, epoch))
		require.Equal(t, round, s.chain.deltas, "round %d: the state grew from %d to %d sessions, and a delta follows", round, first, visitors)
	}
	assert.Greater(t, s.chain.deltaBytes, 4*s.chain.baseBytes, "the deltas outgrew the base")
	assert.Less(t, s.chain.baseBytes+s.chain.deltaBytes, 2*baseWrittenNow(t, s), "while the state grew, the chain stayed below twice it")

	// Now every session changes at each checkpoint (a page more in the same
	// visit): the chain grows by the sessions alone until a base is the
	// faster restore.
	for round := 1; ; round++ {
		require.Less(t, round, 4*maxChainStates, "a base follows once the chain reaches maxChainStates times the state")
		before := s.chain
		placeEvents(t, s, nextEvents(visitors, 5*time.Minute+time.Duration(round)*time.Minute))
		epoch++
		require.NoError(t, checkpointNow(context.Background(), s, client, log, epoch))
		if s.chain.deltas == 0 {
			assert.Greater(t, before.baseBytes+before.deltaBytes, s.chain.baseBytes,
				"round %d: a base only once the chain is larger than the state", round)
			break
		}
		// The delta was written while the chain was less than
		// maxChainStates times the state (as estimated: a tenth more than
		// written here), so a restore reads at most that and one delta.
		state := baseWrittenNow(t, s)
		require.Less(t, before.baseBytes+before.deltaBytes, maxChainStates*state+state/5*maxChainStates/2, "round %d: a delta follows a chain of less than maxChainStates times the state", round)
	}
}

// newVisitorEvents are page views of n visitors from the from-th on, at.
func newVisitorEvents(from, n int, at time.Duration) []session.Input {
	events := make([]session.Input, n)
	for i := range n {
		v := millionVisitor(from + i)
		when := t0.Add(at + time.Duration(i)*time.Microsecond)
		events[i] = session.Input{Key: session.Key{Site: "shop", Visitor: v}, EventID: v, Received: when, Event: session.Event{Time: when, PageView: true, Path: "/"}}
	}
	return events
}

// nextEvents are one more page view of each of the first n visitors, at.
func nextEvents(n int, at time.Duration) []session.Input {
	events := newVisitorEvents(0, n, at)
	for i := range events {
		events[i].EventID += "-" + at.String()
		events[i].Event.Path = "/next"
	}
	return events
}

// placeEvents applies events to the state and places them, a thousand at a
// time (millionSessions' states hold no more pending).
func placeEvents(t testing.TB, s *state, events []session.Input) {
	t.Helper()
	for chunk := range slices.Chunk(events, 1000) {
		_, refused := s.core.Apply(chunk, chunk[len(chunk)-1].Received, t0)
		require.Empty(t, refused)
		s.core.PlacePending()
	}
}

// baseWrittenNow is the size of a base of s's state as it is now, written
// to storage of its own; s's chain is left as it was.
func baseWrittenNow(t *testing.T, s *state) int64 {
	t.Helper()
	chain := s.chain
	defer func() { s.chain = chain }()
	s.chain.based = false
	client, log := checkpointStorage(t)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 1))
	return s.chain.baseBytes
}

func checkpointBytes(t *testing.T, h *harness) []metricdata.DataPoint[int64] {
	m, err := h.telemetry.GetMetric("otelcol_processor_sessionize_checkpoint_bytes")
	require.NoError(t, err)
	return m.Data.(metricdata.Sum[int64]).DataPoints
}

// A checkpoint chain with an unreadable or missing delta restores what it
// can read: the sessions stop before that delta, the delta is moved aside
// and counted, and the next checkpoint is a base again. The memory is in
// segments of its own, and comes back whole.
func TestADeltaThatCannotBeReadIsMovedAside(t *testing.T) {
	for name, corrupt := range map[string]func([]byte) []byte{
		"cut short": func(b []byte) []byte { return b[:len(b)-2] },
		"missing":   func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			ext := storagetest.NewExtension()
			first := start(t, storageConfig(), ext, nil)
			var many []event
			for v := range 50 {
				many = append(many, pv(fmt.Sprintf("v%d", v), fmt.Sprintf("v%d-1", v), 0, "/"))
			}
			first.mustConsume(logsOf(many...))
			// Past allowed_lateness: the sessions above are placed, in the base.
			first.mustConsume(logsOf(pv("a", "e1", time.Minute, "/")))
			first.shutdown() // the base
			second := start(t, storageConfig(), ext, nil)
			second.mustConsume(logsOf(pv("a", "e2", 2*time.Minute, "/")))
			second.shutdown() // a delta
			require.Equal(t, 1, countDeltas(storedKeys(ext)))
			setStored(t, ext, deltaKey(0), corrupt)

			cfg := storageConfig()
			cfg.FlushOnShutdown = true
			third := start(t, cfg, ext, nil)
			want := []metricdata.DataPoint[int64]{
				{Value: 1, Attributes: attribute.NewSet(attribute.String("part", partSessions))},
			}
			metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, third.telemetry, want, metricdatatest.IgnoreTimestamp())
			assert.False(t, third.p.state.chain.based, "the next checkpoint is a base")
			assert.True(t, third.p.state.core.IsDuplicate("shop", "e2"), "the delta's ids are in their segment")
			third.mustConsume(logsOf(pv("b", "e3", 2*time.Minute, "/")))
			third.shutdown()
			assert.Zero(t, countDeltas(storedKeys(ext)), "a base deletes the deltas")
			assert.Contains(t, summary(third.output()), "b e3 S2 #1", "the processor works after the start")
		})
	}
}
