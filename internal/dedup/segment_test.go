// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// storedSegment is a segment as a host keeps it.
type storedSegment struct {
	span Span
	data []byte
}

// The ground truth is the cache itself: its live segments applied oldest
// first, less what is below the last one's front, must hold exactly the
// ids, in the order and under the numbers, that the cache held when the
// last one began; through evictions, expiry (ids seen again after their
// window among them), ring growth, whole segments and segments encoded
// while ids come and go. The segments a host deletes (their end at or
// below the front) are never needed.
func TestLiveSegmentsRebuildTheCache(t *testing.T) {
	for _, maxEntries := range []int{5, 300, 5000} {
		t.Run(fmt.Sprint(maxEntries), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(maxEntries), 9))
			c := New(time.Minute, maxEntries, nil)
			var live []storedSegment
			now := t0
			next := 0
			take := func(whole bool) {
				want, err := c.MarshalBinary()
				require.NoError(t, err)
				first, following := c.ring.first, c.ring.next
				sn := c.BeginSegment(whole)
				span := sn.Span()
				data := stepwise(rng, c, sn, &now, &next)
				if whole {
					live = nil
				}
				for len(live) > 0 && live[0].span.End <= span.Front {
					live = live[1:]
				}
				if span.End > span.Start {
					live = append(live, storedSegment{span: span, data: data})
				}
				rebuilt := New(c.window, c.maxEntries, nil)
				for _, s := range live {
					end, err := rebuilt.ApplySegment(s.data)
					require.NoError(t, err)
					require.Equal(t, s.span.End, end)
				}
				rebuilt.ForgetBefore(span.Front)
				got, err := rebuilt.MarshalBinary()
				require.NoError(t, err)
				require.Equal(t, want, got)
				require.Equal(t, [2]uint64{first, following}, [2]uint64{rebuilt.ring.first, rebuilt.ring.next}, "every entry keeps its number")
				requireIndexed(t, rebuilt)
			}
			for range 4000 {
				switch r := rng.IntN(100); {
				case r < 65:
					now = now.Add(time.Duration(rng.IntN(200)) * time.Millisecond)
					c.Seen("s", fmt.Sprint(next), now)
					next++
				case r < 80:
					c.Seen("s", fmt.Sprint(rng.IntN(next+1)), now) // a retry, or an id after its window
				case r < 88:
					c.Expire(now)
				case r < 98:
					take(false)
				default:
					take(true)
				}
			}
			assert.LessOrEqual(t, len(live), maxEntries+1, "segments whose entries are all forgotten are dropped")
		})
	}
}

// A cache that goes on from its segments numbers its next entries after
// theirs, so that the segments it takes next follow them.
func TestACacheRestoredFromSegmentsGoesOnNumbering(t *testing.T) {
	c := New(time.Minute, 100, nil)
	for i := range 10 {
		c.Seen("s", fmt.Sprint(i), t0)
	}
	first := segmentAtOnce(c, false)
	c.Expire(t0.Add(2 * time.Minute))
	for i := range 3 {
		c.Seen("s", fmt.Sprint(100+i), t0.Add(2*time.Minute))
	}
	sn := c.BeginSegment(false)
	sn.Step(1 << 30)
	second, span := sn.Bytes(), sn.Span()
	assert.Equal(t, Span{Start: 10, End: 13, Front: 10}, span)

	restored := New(time.Minute, 100, nil)
	for _, s := range [][]byte{first, second} {
		_, err := restored.ApplySegment(s)
		require.NoError(t, err)
	}
	restored.ForgetBefore(span.Front)
	assert.Equal(t, 3, restored.Len())
	assert.True(t, restored.Has("s", "101"))
	assert.False(t, restored.Has("s", "1"), "forgotten before the front")
	restored.Seen("s", "200", t0.Add(2*time.Minute))
	sn = restored.BeginSegment(false)
	assert.Equal(t, Span{Start: 13, End: 14, Front: 10}, sn.Span())
}

// An empty memory whose entries were all forgotten starts again at its
// front, so that a segment taken after the restore is numbered as the cache
// before it would have numbered it.
func TestAnEmptyMemoryStartsAtItsFront(t *testing.T) {
	c := New(time.Minute, 100, nil)
	c.ForgetBefore(7)
	c.Seen("s", "a", t0)
	assert.Equal(t, Span{Start: 7, End: 8, Front: 7}, c.BeginSegment(false).Span())
}

func TestACorruptSegmentChangesNothing(t *testing.T) {
	c := New(time.Minute, 100, nil)
	c.Seen("s", "a", t0)
	c.Seen("s", "b", t0)
	data := segmentAtOnce(c, true)
	restored := New(time.Minute, 100, nil)
	for _, bad := range [][]byte{nil, {0x82, 0, 0}, data[:len(data)-1], append(append([]byte{}, data...), 0), {segmentVersion, 0xff}} {
		_, err := restored.ApplySegment(bad)
		assert.Error(t, err)
		assert.Zero(t, restored.Len())
	}
}

func segmentAtOnce(c *Cache, whole bool) []byte {
	sn := c.BeginSegment(whole)
	sn.Step(1 << 30)
	return sn.Bytes()
}

// FuzzApplySegment: whatever a stored segment holds, applying it (after a
// segment a cache wrote) and forgetting below any front leaves a cache
// whose index names exactly its entries.
func FuzzApplySegment(f *testing.F) {
	c := New(time.Hour, 8, nil)
	for i := range 5 {
		c.Seen("s", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute))
	}
	first := segmentAtOnce(c, true)
	for i := range 6 {
		c.Seen("s", fmt.Sprint(i+3), t0)
	}
	f.Add(first, segmentAtOnce(c, false), uint64(3))
	f.Add(first, first, uint64(0))
	f.Fuzz(func(t *testing.T, stored, segment []byte, front uint64) {
		c := New(time.Hour, 8, nil)
		_, _ = c.ApplySegment(stored)
		requireIndexedNewest(t, c)
		_, _ = c.ApplySegment(segment)
		requireIndexedNewest(t, c)
		c.ForgetBefore(front % 64)
		requireIndexedNewest(t, c)
		for c.Len() > 0 {
			c.popOldest()
		}
		requireIndexed(t, c)
	})
}

// requireIndexedNewest checks the index names, for each key the ring
// holds, its newest entry, and nothing else. Segments a cache wrote hold a
// key twice only when the older entry is below the front; corrupt ones may
// hold it twice anywhere.
func requireIndexedNewest(t *testing.T, c *Cache) {
	t.Helper()
	newest := map[key]uint64{}
	for n := c.ring.first; n < c.ring.next; n++ {
		newest[c.ring.at(n).key] = n
	}
	require.Equal(t, len(newest), occupiedSlots(t, c), "the index holds one slot per key")
	for k, n := range newest {
		found, ok := c.index.find(k, &c.ring)
		require.True(t, ok)
		require.Equal(t, n, found, "a key is found at its newest entry")
	}
}
