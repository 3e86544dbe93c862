// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// memoryStorage is a fresh storage for checkpoints, its write-ahead log, and
// the keys it holds that start with prefix.
func memoryStorage(t *testing.T) (storage.Client, writeAheadLog, func(prefix string) []string) {
	t.Helper()
	ext := storagetest.NewExtension()
	client, err := ext.GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(t, err)
	return client, &storageWAL{client: client}, func(prefix string) []string {
		return slices.DeleteFunc(storedKeys(ext), func(k string) bool { return !strings.HasPrefix(k, prefix) })
	}
}

// segmentBytes is what the memory's segments of the last checkpoint took.
func segmentBytes(run *checkpointRun) int {
	return len(run.snapshot.IDs()) + len(run.snapshot.Visitors())
}

// A base holds the sessions alone: the ids and visitors remembered before
// it are in the segments already stored, and it writes only those
// remembered since. A segment is deleted once the memory has forgotten all
// of it, and the live ones restore the memory: every id still within
// dedup_window, none before.
func TestTheMemoryIsWrittenOnceAndForgottenSegmentsAreDeleted(t *testing.T) {
	const live = 2000
	s := millionSessions(t, live)
	client, log, keys := memoryStorage(t)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 1))
	assert.Equal(t, []string{idsSegmentPrefix + "0"}, keys(idsSegmentPrefix), "the first checkpoint writes the memory whole")
	whole := s.ids.ends[0]
	require.Equal(t, uint64(live), whole)

	// A base of the same sessions, ten new ids and visitors later: it
	// writes those ten, not the two thousand before.
	placeEvents(t, s, newVisitorEvents(live, 10, time.Minute))
	s.chain.based = false
	run := s.newCheckpointRun(nil, 2)
	run.encodeAll()
	require.NoError(t, s.afterCheckpoint(run, log, run.write(context.Background(), client, log)))
	assert.Zero(t, s.chain.deltas, "a base")
	assert.Less(t, segmentBytes(run), 2*10*40, "ten ids and ten visitors, about 18 bytes each")
	assert.Equal(t, []string{idsSegmentPrefix + "0", idsSegmentPrefix + "1"}, keys(idsSegmentPrefix))

	// Past dedup_window, the first two thousand ids are forgotten: their
	// segment goes; the visitors stay (returning_visitor_window).
	window := s.cfg.DedupWindow
	placeEvents(t, s, newVisitorEvents(live+10, 10, window+30*time.Second))
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 3))
	assert.Equal(t, []string{idsSegmentPrefix + "1", idsSegmentPrefix + "2"}, keys(idsSegmentPrefix), "the forgotten segment is deleted")
	assert.Len(t, keys(visitorsSegmentPrefix), 3, "visitors are remembered for longer")
	assert.Empty(t, keys(dedupKey), "no base holds the memory")

	restored := restoreInto(t, client, "")
	assert.Equal(t, s.core.Remembered(), restored.state.core.Remembered())
	assert.True(t, restored.state.core.IsDuplicate("shop", millionVisitor(live+15)), "an id of the last segment")
	assert.True(t, restored.state.core.IsDuplicate("shop", millionVisitor(live+5)), "an id of the segment before, still within the window")
	assert.False(t, restored.state.core.IsDuplicate("shop", millionVisitor(7)), "an id forgotten before the checkpoint")
	assert.True(t, restored.state.ids.based, "the next checkpoint writes what is new")
	assert.Equal(t, s.ids.ends, restored.state.ids.ends)
}

// A store written before segments (checkpoint version 2: the memory whole
// in the base's keys) is read, and the next checkpoint is a base whose
// memory is whole segments; it deletes the keys of before.
func TestAStateOfCheckpointVersion2IsRead(t *testing.T) {
	client, log, keys := memoryStorage(t)
	s := millionSessions(t, 10)
	sessions := s.core.BeginSnapshot(core.Memory{})
	for !sessions.Step(1<<20, 1<<20) {
	}
	sessionsBytes, err := sessions.Sessions()
	require.NoError(t, err)
	ids := dedup.New(time.Hour, 100, nil)
	ids.Seen("shop", "retried", t0)
	idsBytes, err := ids.MarshalBinary()
	require.NoError(t, err)
	visitors := dedup.New(time.Hour, 100, nil)
	visitors.Seen("shop", "back", t0)
	visitorsBytes, err := visitors.MarshalBinary()
	require.NoError(t, err)
	// Version 2: next sequence number, epoch, no retained entry, no
	// undelivered record, no delta.
	envelope := []byte{2, 0, 0, 0, 0, 0}
	require.NoError(t, client.Batch(context.Background(),
		storage.SetOperation(checkpointKey, envelope), storage.SetOperation(sessionsKey, sessionsBytes),
		storage.SetOperation(dedupKey, idsBytes), storage.SetOperation(visitorsKey, visitorsBytes)))

	restored := restoreInto(t, client, "")
	assert.Equal(t, 10, restored.state.core.Live())
	assert.True(t, restored.state.core.IsDuplicate("shop", "retried"))
	assert.False(t, restored.state.chain.based || restored.state.ids.based || restored.state.visitors.based, "the next checkpoint is a base, with the memory whole")

	require.NoError(t, checkpointNow(context.Background(), restored.state, client, log, 1))
	assert.Empty(t, keys(dedupKey), "the keys of version 2 are deleted")
	again := restoreInto(t, client, "")
	assert.True(t, again.state.core.IsDuplicate("shop", "retried"))
	assert.Equal(t, 10, again.state.core.Live())
	assert.Equal(t, restored.state.core.Remembered(), again.state.core.Remembered())
}

// A segment that cannot be read is moved aside and counted; the processor
// starts without that memory (the sessions and the other memory are
// restored), and its next checkpoint writes the memory whole and deletes
// every segment the last one named.
func TestAnUnreadableSegmentIsMovedAside(t *testing.T) {
	s := millionSessions(t, 100)
	client, log, keys := memoryStorage(t)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 1))
	placeEvents(t, s, newVisitorEvents(100, 5, time.Minute))
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 2))
	require.Equal(t, []string{idsSegmentPrefix + "0", idsSegmentPrefix + "1"}, keys(idsSegmentPrefix))
	require.NoError(t, client.Set(context.Background(), idsSegmentPrefix+"1", []byte{0x90, 0xff}))

	restored := restoreInto(t, client, "")
	metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, restored.tel,
		[]metricdata.DataPoint[int64]{{Value: 1, Attributes: attribute.NewSet(attribute.String("part", partDedup))}},
		metricdatatest.IgnoreTimestamp())
	assert.False(t, restored.state.core.IsDuplicate("shop", millionVisitor(3)), "the ids start empty")
	assert.Equal(t, 105, restored.state.core.Live())
	assert.Equal(t, 105, restored.state.core.Remembered(), "the visitors are restored")

	restored.state.core.Apply(newVisitorEvents(105, 1, 2*time.Minute), t0.Add(2*time.Minute), t0)
	require.NoError(t, checkpointNow(context.Background(), restored.state, client, log, 3))
	assert.Equal(t, []string{idsSegmentPrefix + "2"}, keys(idsSegmentPrefix), "one whole segment; the ones before are gone")
}

// A memory of many small segments (a visitor a checkpoint, remembered for
// a day) is written whole once it has maxMemorySegments, so that a restore
// reads a bounded number of keys.
func TestManySegmentsAreWrittenAgainAsOne(t *testing.T) {
	s := millionSessions(t, 1)
	client, log, keys := memoryStorage(t)
	for i := range maxMemorySegments + 1 {
		placeEvents(t, s, newVisitorEvents(1+i, 1, time.Duration(i)*time.Millisecond))
		require.NoError(t, checkpointNow(context.Background(), s, client, log, int64(i+1)))
	}
	n := len(keys(visitorsSegmentPrefix))
	assert.LessOrEqual(t, n, 2, "the segments were written again as one: %d", n)
	restored := restoreInto(t, client, "")
	assert.Equal(t, s.core.Remembered(), restored.state.core.Remembered())
}

func TestMemoryPlanDeletesOnlyWhatIsForgotten(t *testing.T) {
	l := memoryLog{prefix: "p/", based: true, first: 4, ends: []uint64{10, 20, 30}}
	w := l.plan(dedup.Span{Start: 30, End: 35, Front: 20}, false)
	assert.Equal(t, []int{4, 5}, w.stale, "segments ending at or below the front")
	assert.Equal(t, 7, w.segment)
	assert.Equal(t, memoryLog{prefix: "p/", based: true, first: 6, ends: []uint64{30, 35}}, w.after)
	assert.Equal(t, []uint64{10, 20, 30}, l.ends, "the log is unchanged until the checkpoint is stored")

	w = l.plan(dedup.Span{Start: 12, End: 12, Front: 12}, true)
	assert.Equal(t, []int{4, 5, 6}, w.stale, "a whole segment replaces every one")
	assert.Equal(t, -1, w.segment, "an empty memory writes none")
	assert.Equal(t, 7, w.after.first)
	assert.Empty(t, w.after.ends)
}
