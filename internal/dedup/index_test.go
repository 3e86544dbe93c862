// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// model is what a cache must remember, kept the plain way: ids in order of
// first sighting, oldest first.
type model struct {
	max   int
	order []string
	seen  map[string]time.Time
}

func (m *model) sighting(id string, at time.Time) bool {
	if _, ok := m.seen[id]; ok {
		return true
	}
	if len(m.order) == m.max {
		m.forgetOldest()
	}
	m.order = append(m.order, id)
	m.seen[id] = at
	return false
}

func (m *model) expire(horizon time.Time) {
	for len(m.order) > 0 && m.seen[m.order[0]].Before(horizon) {
		m.forgetOldest()
	}
}

func (m *model) forgetOldest() {
	delete(m.seen, m.order[0])
	m.order = m.order[1:]
}

// The cache answers every question as the model does, through random
// sightings, retries, expiry and eviction, in caches small enough that
// the index's probes run into each other and wrap around its end and its
// deletions shift slots back, and large enough that the ring grows.
func TestTheCacheRemembersWhatAModelRemembers(t *testing.T) {
	for run := range 40 {
		rng := rand.New(rand.NewPCG(uint64(run), 7))
		maxEntries := []int{1, 2, 3, 7, 50, 300, 3000}[run%7]
		universe := 1 + rng.IntN(4*maxEntries+10)
		window := time.Duration(1+rng.IntN(100)) * time.Second
		c := New(window, maxEntries, nil)
		m := &model{max: maxEntries, seen: map[string]time.Time{}}
		now := t0
		for step := range 20_000 {
			id := fmt.Sprint(rng.IntN(universe))
			switch op := rng.IntN(10); {
			case op < 6:
				now = now.Add(time.Duration(rng.IntN(200)) * time.Millisecond)
				require.Equal(t, m.sighting(id, now), c.Seen("s", id, now), "run %d step %d: Seen(%s)", run, step, id)
			case op < 9:
				_, want := m.seen[id]
				require.Equal(t, want, c.Has("s", id), "run %d step %d: Has(%s)", run, step, id)
			default:
				c.Expire(now)
				m.expire(now.Add(-window))
			}
			require.Equal(t, len(m.order), c.Len(), "run %d step %d", run, step)
		}
		for i := range universe {
			id := fmt.Sprint(i)
			_, want := m.seen[id]
			require.Equal(t, want, c.Has("s", id), "run %d: Has(%s) at the end", run, id)
		}
		requireIndexed(t, c)
	}
}

// requireIndexed checks the index holds exactly the ring's entries, each
// at its position.
func requireIndexed(t *testing.T, c *Cache) {
	t.Helper()
	require.Equal(t, c.Len(), occupiedSlots(t, c), "the index holds one slot per entry")
	for n := c.ring.first; n < c.ring.next; n++ {
		found, ok := c.index.find(c.ring.at(n).key, &c.ring)
		require.True(t, ok, "entry %d is found", n)
		require.Equal(t, n, found, "entry %d is found where it is", n)
	}
}

// A checkpoint no cache wrote may name a key twice: it is remembered once,
// and forgetting it leaves nothing behind.
func TestAKeyTwiceInACheckpointIsRememberedOnce(t *testing.T) {
	c := New(time.Hour, 10, nil)
	c.Seen("s", "a", t0)
	c.Seen("s", "b", t0)
	data, err := c.MarshalBinary()
	require.NoError(t, err)
	body := data[2:]
	// "a" again, after "b": its time is the same as b's.
	a := c.ring.at(c.ring.first)
	twice := append(binary.AppendUvarint([]byte{checkpointVersion}, 3), appendEntry(slices.Clone(body), *a, a.seen)...)

	restored := New(time.Hour, 10, nil)
	require.NoError(t, restored.UnmarshalBinary(twice))
	require.Equal(t, 2, restored.Len())
	requireIndexed(t, restored)
	restored.Expire(t0.Add(2 * time.Hour))
	require.Equal(t, 0, restored.Len())
	require.False(t, restored.Has("s", "a"))
	requireIndexed(t, restored)
}

// BenchmarkCacheMemory reports the heap a full cache of a million ids
// holds (the default dedup_max_entries).
func BenchmarkCacheMemory(b *testing.B) {
	const full = 1_000_000
	for b.Loop() {
		before := heapInUse()
		c := New(10*time.Minute, full, nil)
		for i := range full {
			c.Seen("shop", fmt.Sprintf("0b8f7c1e-4f0e-4c43-9a51-%012d", i), t0)
		}
		b.ReportMetric(float64(heapInUse()-before)/full, "B/id")
		runtime.KeepAlive(c)
	}
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// FuzzRestoreKeepsTheIndex restores a checkpoint then applies a delta, both
// arbitrary bytes. Whatever decodes, the index holds exactly the ring's
// entries, and holds none once the cache forgets them all.
func FuzzRestoreKeepsTheIndex(f *testing.F) {
	c := New(time.Hour, 8, nil)
	for i := range 5 {
		c.Seen("s", fmt.Sprint(i), t0.Add(time.Duration(i)*time.Minute))
	}
	base, err := c.MarshalBinary()
	require.NoError(f, err)
	c.BeginDelta().Step(math.MaxInt)
	for i := range 6 {
		c.Seen("s", fmt.Sprint(i+3), t0)
	}
	delta := c.BeginDelta()
	delta.Step(math.MaxInt)
	f.Add(base, delta.Bytes())
	f.Add(base, base)
	f.Fuzz(func(t *testing.T, checkpoint, delta []byte) {
		c := New(time.Hour, 8, nil)
		_ = c.UnmarshalBinary(checkpoint)
		requireIndexed(t, c)
		_ = c.ApplyDelta(delta)
		requireIndexed(t, c)
		for c.Len() > 0 {
			c.popOldest()
		}
		requireIndexed(t, c)
	})
}

// Keys whose two halves fold to one value (keys a client could choose, the
// FNV hash being public) still spread over the table: the placement is
// seeded, so probes stay short. Unseeded (the halves folded, then
// multiplied), all of them had one home and a probe ran past them all.
func TestChosenKeysDoNotPileUp(t *testing.T) {
	const n = 2000
	r := newRing(n)
	x := newIndex(n)
	for i := range n {
		lo := uint64(i) * 0x9e3779b97f4a7c15
		k := key{0x5555 ^ bits.RotateLeft64(lo, 32), lo}
		x.insert(k, r.push(entry{key: k}))
	}
	longest, fullest := 0, 0
	for _, table := range x.tables {
		fullest = max(fullest, table.used)
		run := 0
		for _, s := range append(table.slots, table.slots...) { // runs wrap around
			if s == emptySlot {
				run = 0
				continue
			}
			run++
			longest = max(longest, run)
		}
	}
	require.Less(t, longest, 64, "the longest run of occupied slots")
	require.Less(t, fullest, 8*n/indexTables, "the fullest table")
	for i := range uint64(n) {
		found, ok := x.find(r.at(i).key, &r)
		require.True(t, ok, "key %d", i)
		require.Equal(t, i, found, "key %d", i)
	}
}

// No sighting rebuilds the index or moves the ring: each insert grows at
// most the one table it lands in, and the ring adds a chunk at a time.
func TestNoSightingRebuildsTheIndex(t *testing.T) {
	c := New(time.Hour, 1<<20, nil)
	var before [indexTables]*uint64
	for i := range 100_000 {
		for j := range c.index.tables {
			before[j] = &c.index.tables[j].slots[0]
		}
		c.Seen("s", fmt.Sprint(i), t0)
		moved := 0
		for j := range c.index.tables {
			if &c.index.tables[j].slots[0] != before[j] {
				moved++
			}
		}
		require.LessOrEqual(t, moved, 1, "sighting %d grew %d tables", i, moved)
	}
	requireIndexed(t, c)
}

// BenchmarkSlowestSighting reports the longest a single sighting took while
// a cache filled up to a million ids: the stall an owner sees once.
func BenchmarkSlowestSighting(b *testing.B) {
	const full = 1_000_000
	ids := make([]string, full)
	for i := range ids {
		ids[i] = fmt.Sprintf("0b8f7c1e-4f0e-4c43-9a51-%012d", i)
	}
	for b.Loop() {
		c := New(10*time.Minute, full, nil)
		var slowest time.Duration
		for _, id := range ids {
			start := time.Now()
			c.Seen("shop", id, t0)
			slowest = max(slowest, time.Since(start))
		}
		b.ReportMetric(float64(slowest.Microseconds()), "slowest-us")
	}
}

// occupiedSlots counts the index's slots in use, checking that each table
// counts its own and is at most half full.
func occupiedSlots(t *testing.T, c *Cache) int {
	t.Helper()
	occupied := 0
	for _, table := range c.index.tables {
		used := 0
		for _, s := range table.slots {
			if s != emptySlot {
				used++
			}
		}
		require.Equal(t, used, table.used, "a table counts the slots it uses")
		require.LessOrEqual(t, 2*used, len(table.slots), "a table is at most half full")
		occupied += used
	}
	return occupied
}
