// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package uniques

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/binread"
)

// A base with the deltas after it applied in order counts what the windows
// that went on counting uninterrupted count: every window, at every end, over
// random streams that cross local midnight, arrive late (within the hour and
// past it), start minutes and days anew after a mark, restart today (a
// change of time zone), and grow sketches from sparse to dense.
func TestDeltasRestoreTheWindows(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	// 22:40 UTC is 23:40 in Berlin: the streams cross its midnight.
	start := time.Date(2026, 11, 30, 22, 40, 0, 0, time.UTC)
	deltas := 0
	todayKinds := map[byte]int{}
	for seed := range 30 {
		rng := rand.New(rand.NewPCG(uint64(seed), 82))
		visitors, events := 3000, 4000
		if seed == 0 {
			visitors, events = 200_000, 150_000 // sketches turn dense
		}
		live := New(berlin)
		var restored *Windows
		rebase := func() {
			data, err := live.MarshalBinary()
			require.NoError(t, err)
			live.Mark()
			restored = New(berlin)
			require.NoError(t, restored.UnmarshalBinary(data))
		}
		at := start
		for i := range events {
			if i == events/10 {
				rebase()
			}
			at = at.Add(time.Duration(rng.IntN(int(3 * time.Second))))
			when := at
			switch r := rng.IntN(100); {
			case r < 8:
				when = at.Add(-time.Duration(rng.IntN(int(70 * time.Minute)))) // late, sometimes past the ring
			case r == 8 && rng.IntN(20) == 0:
				live.RestartToday()
			}
			live.Add(fmt.Sprintf("v%d", rng.IntN(visitors)), when)
			if restored == nil || rng.IntN(events/8) != 0 {
				continue
			}
			if rng.IntN(6) == 0 {
				rebase()
				continue
			}
			delta, err := live.AppendDelta(nil)
			require.NoError(t, err)
			require.NoError(t, restored.ApplyDelta(delta))
			deltas++
			todayKinds[todayKind(t, delta)]++
			assertSameWindows(t, live, restored, at)
		}
		delta, err := live.AppendDelta(nil)
		require.NoError(t, err)
		require.NoError(t, restored.ApplyDelta(delta))
		assertSameWindows(t, live, restored, at)
		// Both go on counting alike.
		for _, w := range []*Windows{live, restored} {
			w.Add("after", at)
		}
		assertSameWindows(t, live, restored, at)
	}
	assert.Greater(t, deltas, 100)
	// Today as the minutes' merge, and with a sketch of its own (a visitor
	// past the ring, a new day), were both restored.
	assert.Greater(t, todayKinds[addedAsMinutes], 10, "%v", todayKinds)
	assert.Greater(t, todayKinds[added], 10, "%v", todayKinds)
}

// todayKind reads the kind of today's change in a delta.
func todayKind(t *testing.T, delta []byte) byte {
	r := binread.New(delta[1:])
	r.Varint()
	r.Varint()
	kind := r.Byte()
	require.NoError(t, r.Err())
	return kind
}

// Today's visitors added since the mark are written as the minutes' when
// they went to the minutes too, and as a sketch of their own when one went
// to today alone (too late for the hour the ring holds).
func TestTodayIsWrittenAsTheMinutesWhenItTookTheirVisitors(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := New(time.UTC)
	w.Add("before", at)
	base, err := w.MarshalBinary()
	require.NoError(t, err)
	w.Mark()
	for i := range 30 {
		w.Add(fmt.Sprintf("v%d", i%12), at.Add(time.Duration(i)*5*time.Second)) // two minutes, repeat visits
	}
	asMinutes, err := w.AppendDelta(nil)
	require.NoError(t, err)
	assert.Equal(t, addedAsMinutes, todayKind(t, asMinutes))
	restored := New(time.UTC)
	require.NoError(t, restored.UnmarshalBinary(base))
	require.NoError(t, restored.ApplyDelta(asMinutes))
	assertSameWindows(t, w, restored, at.Add(2*time.Minute))
	assert.Equal(t, uint64(13), restored.Estimate(at.Add(2*time.Minute)).Today)

	w.Add("v0", at.Add(3*time.Minute))
	w.Add("late", at.Add(-2*time.Hour)) // today, not the ring
	ownSketch, err := w.AppendDelta(nil)
	require.NoError(t, err)
	assert.Equal(t, added, todayKind(t, ownSketch))
	require.NoError(t, restored.ApplyDelta(ownSketch))
	assertSameWindows(t, w, restored, at.Add(3*time.Minute))
	assert.Equal(t, uint64(14), restored.Estimate(at.Add(3*time.Minute)).Today)
}

func assertSameWindows(t *testing.T, live, restored *Windows, at time.Time) {
	t.Helper()
	for _, end := range []time.Time{at, at.Add(-7 * time.Minute), at.Add(30 * time.Minute)} {
		require.Equal(t, live.Estimate(end), restored.Estimate(end), "windows ending %v", end)
		for _, n := range []int{1, 5, 60} {
			require.Equal(t, live.EstimateLast(end, n), restored.EstimateLast(end, n), "last %d minutes ending %v", n, end)
		}
	}
}

// A delta costs the visitors counted since the mark, not the windows' sketches.
func TestADeltaHoldsWhatWasAddedSinceTheMark(t *testing.T) {
	w := New(time.UTC)
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		w.Add(fmt.Sprintf("v%d", i), at.Add(time.Duration(i)*time.Millisecond))
	}
	base, err := w.MarshalBinary()
	require.NoError(t, err)
	w.Mark()
	for i := range 100 {
		w.Add(fmt.Sprintf("new%d", i), at.Add(100*time.Second))
	}
	delta, err := w.AppendDelta(nil)
	require.NoError(t, err)
	assert.Greater(t, len(base), 100_000, "the windows' sketches are dense")
	assert.Less(t, len(delta), 2_000, "a hundred visitors cost bytes, not sketches")
	unchanged, err := w.AppendDelta(nil)
	require.NoError(t, err)
	assert.Equal(t, []byte{0, 0}, unchanged[len(unchanged)-2:], "nothing counted since: today unchanged, no minute")
	assert.Less(t, len(unchanged), 16)
}

// A delta applied to windows it was not taken from is refused, and changes
// nothing: corrupt bytes, or visitors added to a minute or day not held.
func TestApplyDeltaRefusesWhatDoesNotFit(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	w := New(time.UTC)
	w.Add("a", at)
	w.Mark()
	w.Add("b", at)
	delta, err := w.AppendDelta(nil)
	require.NoError(t, err)
	empty := New(time.UTC)
	assert.ErrorContains(t, empty.ApplyDelta(delta), "not held")
	assert.Equal(t, Counts{}, empty.Estimate(at))
	for _, bad := range [][]byte{nil, {99}, delta[:len(delta)-1], append(delta, 0)} {
		held := New(time.UTC)
		held.Add("a", at)
		before := held.Estimate(at)
		assert.Error(t, held.ApplyDelta(bad))
		assert.Equal(t, before, held.Estimate(at))
	}
}

// FuzzApplyDelta applies whatever storage holds as a delta to the windows
// it would follow: it never panics, and a delta refused changes nothing.
func FuzzApplyDelta(f *testing.F) {
	at := time.Date(2026, 12, 1, 23, 59, 0, 0, time.UTC)
	base := func() *Windows {
		w := New(time.UTC)
		for i := range 50 {
			w.Add(fmt.Sprintf("v%d", i), at.Add(-time.Duration(i)*time.Minute))
		}
		return w
	}
	w := base()
	w.Mark()
	for i := range 20 {
		w.Add(fmt.Sprintf("n%d", i), at.Add(time.Duration(i)*10*time.Second)) // past midnight: today begins anew
	}
	delta, err := w.AppendDelta(nil)
	require.NoError(f, err)
	f.Add(delta)
	w = base()
	w.Mark()
	w.Add("n", at.Add(-time.Minute)) // today as the minutes'
	delta, err = w.AppendDelta(nil)
	require.NoError(f, err)
	f.Add(delta)
	f.Fuzz(func(t *testing.T, data []byte) {
		w := base()
		before := w.Estimate(at)
		if err := w.ApplyDelta(data); err != nil {
			require.Equal(t, before, w.Estimate(at))
			return
		}
		w.Estimate(at.Add(time.Hour))
		w.EstimateLast(at, 5)
	})
}

// hashOf is the hash Insert takes: a sketch fed hashes is the sketch fed
// visitors, byte for byte, sparse and dense.
func TestHashOfIsInsertsHash(t *testing.T) {
	byInsert, byHash := newSketch(), newSketch()
	for i := range 100_000 {
		visitor := fmt.Sprintf("visitor-%d", i)
		byInsert.Insert([]byte(visitor))
		byHash.InsertHash(hashOf(visitor))
		if i == 100 || i == 99_999 {
			want, err := byInsert.MarshalBinary()
			require.NoError(t, err)
			got, err := byHash.MarshalBinary()
			require.NoError(t, err)
			require.Equal(t, want, got, "after %d visitors", i+1)
		}
	}
}
