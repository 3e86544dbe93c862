// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// recordsAt are records of 10 bytes each at offsets.
func recordsAt(offsets ...int64) []*kgo.Record {
	out := make([]*kgo.Record, len(offsets))
	for i, o := range offsets {
		out[i] = &kgo.Record{Offset: o, Value: fmt.Appendf(nil, "record%04d", o)}
	}
	return out
}

func keptOffsets(k *recentRecords) []int64 {
	var out []int64
	for _, rec := range k.records {
		out = append(out, rec.Offset)
	}
	return out
}

// The partitions share one budget: past it the partition adding forgets its
// oldest records, counted; a partition read again from an earlier offset
// keeps each record once; a released partition gives its bytes back.
func TestRecentRecordsKeepWithinTheirBudget(t *testing.T) {
	evicted := 0
	budget := &recentBudget{limit: 100, evicted: func(n int) { evicted += n }}
	a, b := budget.records(), budget.records()

	a.add(recordsAt(0, 1, 2, 3, 4, 5))
	b.add(recordsAt(10, 11, 12))
	assert.Equal(t, int64(90), budget.used.Load())
	assert.Zero(t, evicted)

	// After an abort, a is read again from offset 4: 4 and 5 are not kept twice.
	a.add(recordsAt(4, 5, 6))
	assert.Equal(t, []int64{0, 1, 2, 3, 4, 5, 6}, keptOffsets(a))
	assert.Equal(t, int64(100), budget.used.Load())

	b.add(recordsAt(13, 14))
	assert.Equal(t, []int64{12, 13, 14}, keptOffsets(b), "the partition adding forgets its oldest")
	assert.Equal(t, 2, evicted)
	assert.Equal(t, int64(100), budget.used.Load())

	rec, ok := a.at(3)
	require.True(t, ok)
	assert.Equal(t, "record0003", string(rec.Value))
	_, ok = b.at(11)
	assert.False(t, ok, "forgotten")
	_, ok = a.at(7)
	assert.False(t, ok, "never handed over")

	a.release()
	assert.Equal(t, int64(30), budget.used.Load())
	_, ok = a.at(3)
	assert.False(t, ok)
	b.release()
	assert.Zero(t, budget.used.Load())
}

// A rebuild reads the records a partition handed over lately from memory,
// and the others from the events topic: the events read are the same
// either way.
func TestRecordsHandedOverLatelyAreReadFromMemory(t *testing.T) {
	broker := startCluster(t)
	r := numberedRecords(t, broker, 300)
	ctx := context.Background()

	// The records as the loop fetched and handed them over: 0 to 199.
	fetch := r.eventSource(0, nil)
	var handed []*kgo.Record
	for o := range int64(200) {
		rec, err := fetch.record(ctx, o)
		require.NoError(t, err)
		handed = append(handed, rec)
	}
	fetch.close()
	recent := r.recent.records()
	recent.add(handed)

	source := r.eventSource(0, recent)
	from := map[string]int{}
	source.readAgain = func(where string) { from[where]++ }
	defer source.close()
	offsets := []int64{5, 6, 150, 199, 200, 201, 299}
	ld, err := source.ReadAgain(ctx, encodeOffsets(offsets))
	require.NoError(t, err)
	want := make([]string, len(offsets))
	for i, o := range offsets {
		want[i] = fmt.Sprint(o)
	}
	assert.Equal(t, want, eventNumbers(ld))
	assert.Equal(t, map[string]int{readFromMemory: 4, readFromEventsTopic: 3}, from)

	// The next rebuild finds those read from the events topic in memory too.
	again := r.eventSource(0, recent)
	clear(from)
	again.readAgain = func(where string) { from[where]++ }
	defer again.close()
	ld, err = again.ReadAgain(ctx, encodeOffsets(offsets))
	require.NoError(t, err)
	assert.Equal(t, want, eventNumbers(ld))
	assert.Equal(t, map[string]int{readFromMemory: 7}, from)
}

// A record read again is kept in its place among those handed over, once,
// and only within the budget.
func TestRecordsReadAgainAreKeptInPlace(t *testing.T) {
	evicted := 0
	budget := &recentBudget{limit: 60, evicted: func(n int) { evicted += n }}
	k := budget.records()
	k.add(recordsAt(10, 11, 12))
	k.keep(recordsAt(4)[0])
	k.keep(recordsAt(7)[0])
	k.keep(recordsAt(7)[0])
	assert.Equal(t, []int64{4, 7, 10, 11, 12}, keptOffsets(k))
	assert.Equal(t, int64(50), budget.used.Load())
	k.keep(recordsAt(5)[0])
	k.keep(recordsAt(6)[0])
	assert.Equal(t, []int64{4, 5, 7, 10, 11, 12}, keptOffsets(k), "past the budget a record read again is not kept")
	assert.Equal(t, 1, evicted)
	assert.Equal(t, int64(60), budget.used.Load())
}
