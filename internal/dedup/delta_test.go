// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The ground truth is the cache itself: a checkpoint taken at a mark, with
// every delta since applied in order, must hold exactly the ids, in the
// order, that the cache holds, through evictions, expiry and ring growth,
// and with a snapshot being encoded while ids come and go.
func TestCheckpointAndDeltasRebuildTheCache(t *testing.T) {
	for _, maxEntries := range []int{5, 300, 5000} {
		t.Run(fmt.Sprint(maxEntries), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(maxEntries), 7))
			c := New(time.Minute, maxEntries, nil)
			var base []byte
			var deltas [][]byte
			now := t0
			next := 0
			for step := range 4000 {
				switch r := rng.IntN(100); {
				case r < 70:
					now = now.Add(time.Duration(rng.IntN(200)) * time.Millisecond)
					c.Seen("s", fmt.Sprint(next), now)
					next++
				case r < 80:
					c.Seen("s", fmt.Sprint(rng.IntN(next+1)), now) // a retry, mostly
				case r < 88:
					c.Expire(now)
				case r < 97:
					deltas = append(deltas, stepwise(rng, c, c.BeginDelta(), &now, &next))
				default:
					base, deltas = stepwise(rng, c, c.BeginSnapshot(), &now, &next), nil
				}
				if step%50 == 0 && base != nil {
					want, err := c.MarshalBinary()
					require.NoError(t, err)
					deltas = append(deltas, stepwise(rng, c, c.BeginDelta(), &now, &next))
					assertRebuilt(t, c, want, base, deltas)
				}
			}
		})
	}
}

// stepwise encodes sn, half the time while the cache goes on remembering
// and forgetting ids, as the processor's owner does.
func stepwise(rng *rand.Rand, c *Cache, sn *Snapshot, now *time.Time, next *int) []byte {
	for range rng.IntN(3) {
		*now = now.Add(time.Second)
		c.Seen("s", fmt.Sprint(*next), *now)
		*next++
		c.Expire(*now)
		sn.Step(rng.IntN(50))
	}
	sn.Step(math.MaxInt)
	return sn.Bytes()
}

// assertRebuilt checks that base with deltas applied is want: the cache's
// encoding when the last delta began.
func assertRebuilt(t *testing.T, c *Cache, want, base []byte, deltas [][]byte) {
	t.Helper()
	rebuilt := New(c.window, c.maxEntries, nil)
	require.NoError(t, rebuilt.UnmarshalBinary(base))
	for _, d := range deltas {
		require.NoError(t, rebuilt.ApplyDelta(d))
	}
	got, err := rebuilt.MarshalBinary()
	require.NoError(t, err)
	require.Equal(t, want, got)
	requireIndexed(t, rebuilt)
}

func TestADeltaIsTheIDsSeenSinceTheMark(t *testing.T) {
	c := New(time.Hour, 1000, nil)
	for i := range 500 {
		c.Seen("s", fmt.Sprint(i), t0)
	}
	c.BeginSnapshot().Step(math.MaxInt)
	for i := range 10 {
		c.Seen("s", fmt.Sprint(1000+i), t0)
	}
	d := deltaAtOnce(c)
	// Ten keys; the first time in full, the nine after it a byte each.
	first := len(binary.AppendVarint(nil, t0.UnixMilli()))
	assert.Equal(t, 3+10*keySize+first+9, len(d), "ten ids, not five hundred and ten")
	assert.Len(t, deltaAtOnce(c), 3, "nothing changed since")
}

func TestACorruptDeltaChangesNothing(t *testing.T) {
	c := New(time.Hour, 1000, nil)
	c.Seen("s", "a", t0)
	c.BeginSnapshot().Step(math.MaxInt)
	c.Seen("s", "b", t0)
	d := deltaAtOnce(c)
	for _, bad := range [][]byte{nil, {1}, d[:len(d)-1], append([]byte{deltaVersion, 0, 2}, d[3:]...)} {
		r := New(time.Hour, 1000, nil)
		r.Seen("s", "a", t0)
		require.Error(t, r.ApplyDelta(bad))
		assert.Equal(t, 1, r.Len())
	}
}

func deltaAtOnce(c *Cache) []byte {
	sn := c.BeginDelta()
	sn.Step(math.MaxInt)
	return sn.Bytes()
}

// A checkpoint and a delta of version 1 (times as 8 bytes of Unix
// nanoseconds) are still read; their times are rounded up to the
// millisecond, as Seen rounds them.
func TestVersion1CheckpointsAndDeltasAreStillRead(t *testing.T) {
	v1Entry := func(out []byte, site, id string, at time.Time) []byte {
		k := hashKey(site, id)
		out = binary.BigEndian.AppendUint64(out, k[0])
		out = binary.BigEndian.AppendUint64(out, k[1])
		return binary.BigEndian.AppendUint64(out, uint64(at.UnixNano()))
	}
	base := v1Entry(v1Entry([]byte{checkpointVersionV1, 2}, "s", "a", t0), "s", "b", t0.Add(time.Nanosecond))
	delta := v1Entry([]byte{deltaVersionV1, 1, 1}, "s", "c", t0.Add(time.Second))

	c := New(time.Hour, 10, nil)
	require.NoError(t, c.UnmarshalBinary(base))
	require.NoError(t, c.ApplyDelta(delta))
	assert.False(t, c.Has("s", "a"), "the delta forgot the oldest")
	assert.True(t, c.Has("s", "b"))
	assert.True(t, c.Has("s", "c"))
	assert.Equal(t, 0, c.Expire(t0.Add(time.Hour+time.Millisecond)), "b's time, one nanosecond past t0, is t0 plus a millisecond")
	assert.Equal(t, 1, c.Expire(t0.Add(time.Hour+2*time.Millisecond)))
	assert.True(t, c.Has("s", "c"))

	// Written again, they are version 2, and read back the same.
	again, err := c.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, byte(checkpointVersion), again[0])
	restored := New(time.Hour, 10, nil)
	require.NoError(t, restored.UnmarshalBinary(again))
	assert.Equal(t, c.ring.at(c.ring.first).seen, restored.ring.at(restored.ring.first).seen)
	assert.True(t, restored.Has("s", "c"))
}
