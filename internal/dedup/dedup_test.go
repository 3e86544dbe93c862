// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/chunks"
)

var t0 = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestDuplicatesWithinTheWindow(t *testing.T) {
	c := New(10*time.Minute, 100, nil)
	assert.False(t, c.Seen("shop", "e1", t0))
	assert.True(t, c.Seen("shop", "e1", t0.Add(time.Minute)), "a retry is a duplicate")
	assert.False(t, c.Seen("blog", "e1", t0), "ids are per site")
	assert.False(t, c.Seen("shop", "e2", t0))

	assert.Equal(t, 0, c.Expire(t0.Add(10*time.Minute)), "exactly at the window edge it is still remembered")
	assert.True(t, c.Seen("shop", "e1", t0.Add(10*time.Minute)))
	assert.Equal(t, 0, c.Expire(t0.Add(10*time.Minute+time.Nanosecond)), "times are kept in milliseconds, never forgotten early")
	assert.Equal(t, 3, c.Expire(t0.Add(10*time.Minute+time.Millisecond)))
	assert.False(t, c.Seen("shop", "e1", t0.Add(11*time.Minute)), "forgotten after the window")
}

func TestBoundedWithEvictionsCounted(t *testing.T) {
	evicted := 0
	c := New(time.Hour, 3, func() { evicted++ })
	for i := range 5 {
		c.Seen("s", fmt.Sprint(i), t0)
	}
	assert.Equal(t, 3, c.Len())
	assert.Equal(t, 2, evicted)
	assert.False(t, c.Seen("s", "0", t0), "the oldest were dropped")
	assert.True(t, c.Seen("s", "4", t0), "the newest are kept")
}

func TestRingWrapsAroundUnderSteadyTraffic(t *testing.T) {
	c := New(time.Minute, 2500, nil)
	now := t0
	for i := range 20_000 {
		now = now.Add(100 * time.Millisecond)
		require.False(t, c.Seen("s", fmt.Sprint(i), now))
		c.Expire(now)
		if i > 0 && i%97 == 0 {
			require.True(t, c.Seen("s", fmt.Sprint(i-1), now), "id %d", i-1)
		}
	}
	assert.Equal(t, 601, c.Len(), "one minute of ids at 10/s, edges included")
}

func TestCheckpointRoundTrip(t *testing.T) {
	c := New(time.Hour, 1000, nil)
	for i := range 50 {
		c.Seen("s", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Second))
	}
	data, err := c.MarshalBinary()
	require.NoError(t, err)

	restored := New(time.Hour, 1000, nil)
	require.NoError(t, restored.UnmarshalBinary(data))
	assert.Equal(t, 50, restored.Len())
	for i := range 50 {
		assert.True(t, restored.Seen("s", fmt.Sprint(i), t0), "id %d survives", i)
	}
	assert.Equal(t, 10, restored.Expire(t0.Add(time.Hour+10*time.Second)), "times survive too")

	smaller := New(time.Hour, 20, nil)
	require.NoError(t, smaller.UnmarshalBinary(data))
	assert.Equal(t, 20, smaller.Len())
	assert.True(t, smaller.Seen("s", "49", t0), "a smaller cache keeps the newest")
	assert.False(t, smaller.Seen("s", "0", t0))
}

func TestCheckpointRefusesWhatItCannotRead(t *testing.T) {
	c := New(time.Hour, 10, nil)
	require.ErrorContains(t, c.UnmarshalBinary(nil), "empty")
	require.ErrorContains(t, c.UnmarshalBinary([]byte{9, 0}), "version 9; this build reads versions 1 and 2")
	require.ErrorContains(t, c.UnmarshalBinary([]byte{1, 2, 0, 0}), "corrupt")
}

// BenchmarkSeen inserts new ids into a full cache of a million, the steady
// state of a busy processor (every insert evicts the oldest).
func BenchmarkSeen(b *testing.B) {
	const full = 1_000_000
	c := New(10*time.Minute, full, nil)
	ids := make([]string, 2*full)
	for i := range ids {
		ids[i] = fmt.Sprintf("0b8f7c1e-4f0e-4c43-9a51-%012d", i)
	}
	for _, id := range ids[:full] {
		c.Seen("shop", id, t0)
	}
	for i := 0; b.Loop(); i++ {
		c.Seen("shop", ids[full+i%full], t0)
	}
}

// The ring takes a chunk at a time as ids come, and gives chunks back as
// they expire, keeping one spare.
func TestRingGrowsAndShrinksAChunkAtATime(t *testing.T) {
	chunk := 1 << maxChunkBits
	c := New(time.Hour, 1<<20, nil)
	for i := range 5 * chunk / 2 {
		c.Seen("s", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	assert.Equal(t, 3, chunksHeld(c), "two and a half chunks of ids")
	for i := range 5 * chunk / 2 {
		require.True(t, c.Seen("s", fmt.Sprint(i), t0), "id %d", i)
	}
	c.Expire(t0.Add(time.Hour + time.Duration(2*chunk)*time.Millisecond))
	assert.Equal(t, chunk/2, c.Len())
	assert.Equal(t, 1, chunksHeld(c), "the emptied chunks are let go")
	assert.NotNil(t, c.ring.spare, "but one")
	requireIndexed(t, c)
}

func chunksHeld(c *Cache) int {
	held := 0
	for _, chunk := range c.ring.chunks {
		if chunk != nil {
			held++
		}
	}
	return held
}

func TestHasDoesNotRemember(t *testing.T) {
	c := New(time.Hour, 10, nil)
	assert.False(t, c.Has("shop", "e1"))
	assert.False(t, c.Has("shop", "e1"), "asking twice is still not a sighting")
	assert.Equal(t, 0, c.Len())
	c.Seen("shop", "e1", t0)
	assert.True(t, c.Has("shop", "e1"))
	assert.False(t, c.Has("blog", "e1"))
}

// A snapshot taken a piece at a time while ids keep coming, expiring and
// being evicted encodes the cache as MarshalBinary did at its start: the
// ring grows and wraps meanwhile, and a second snapshot follows the first.
func TestSnapshotWhileIDsArriveIsTheCacheAtItsStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		c := New(time.Minute, 1+rng.IntN(3000), nil)
		at := t0
		n := 0
		feed := func(k int) {
			for range k {
				at = at.Add(time.Duration(rng.IntN(100)) * time.Millisecond)
				c.Seen("shop", fmt.Sprint(n), at)
				n++
				if rng.IntN(50) == 0 {
					c.Expire(at)
				}
			}
		}
		feed(rng.IntN(3000))
		for range 2 {
			want, err := c.MarshalBinary()
			require.NoError(t, err)
			snap := c.BeginSnapshot()
			for !snap.Step(rng.IntN(20)) {
				feed(rng.IntN(40))
			}
			require.Equal(t, want, snap.Bytes(), "trial %d", trial)
			feed(rng.IntN(1000))
		}
	}
}

// Take lays out, while ids keep coming, what Bytes would return: the
// pieces cut so far at each step, the rest at the end.
func TestSnapshotTakenAsItIsEncodedIsTheCacheAtItsStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	c := New(time.Hour, 200_000, nil)
	at := t0
	n := 0
	feed := func(k int) {
		for range k {
			at = at.Add(time.Millisecond)
			c.Seen("shop", fmt.Sprint(n), at)
			n++
		}
	}
	feed(150_000)
	for range 2 {
		want, err := c.MarshalBinary()
		require.NoError(t, err)
		require.Greater(t, len(want), 2*chunks.Size, "more than one piece")
		snap := c.BeginSnapshot()
		var st chunks.Stream
		var file []byte
		early := 0
		for done := false; !done; {
			done = snap.Step(rng.IntN(20_000))
			snap.Take(&st)
			for _, piece := range st.Take() {
				require.Equal(t, int64(len(file)), piece.Offset, "laid out in order")
				file = append(file, piece.Data...)
				if !done {
					early++
				}
			}
			feed(rng.IntN(5_000))
		}
		assert.Positive(t, early, "pieces were laid out before the end")
		assert.Equal(t, want, file)
		feed(rng.IntN(10_000))
	}
}

// A snapshot begun a piece at a time can be finished at once, as a
// shutdown does with math.MaxInt: the budget must not wrap around once
// part is encoded (it did, and the shutdown then waited forever).
func TestSnapshotFinishesAtOnceAfterPartialSteps(t *testing.T) {
	c := New(time.Hour, 100, nil)
	for i := range 50 {
		c.Seen("shop", fmt.Sprint(i), t0)
	}
	want, err := c.MarshalBinary()
	require.NoError(t, err)
	snap := c.BeginSnapshot()
	require.False(t, snap.Step(10))
	require.True(t, snap.Step(math.MaxInt))
	assert.Equal(t, want, snap.Bytes())
}

// A restore while a snapshot is under way leaves the snapshot what it was:
// the cache as it was when the snapshot began.
func TestARestoreDuringASnapshotKeepsTheSnapshot(t *testing.T) {
	c := New(time.Hour, 1000, nil)
	for i := range 300 {
		c.Seen("s", fmt.Sprint(i), t0)
	}
	want, err := c.MarshalBinary()
	require.NoError(t, err)
	other := New(time.Hour, 1000, nil)
	other.Seen("s", "other", t0)
	replacement, err := other.MarshalBinary()
	require.NoError(t, err)

	sn := c.BeginSnapshot()
	require.False(t, sn.Step(100))
	require.NoError(t, c.UnmarshalBinary(replacement))
	require.True(t, sn.Step(math.MaxInt))
	assert.Equal(t, want, sn.Bytes())
	assert.Equal(t, 1, c.Len())
	assert.True(t, c.Has("s", "other"))
}
