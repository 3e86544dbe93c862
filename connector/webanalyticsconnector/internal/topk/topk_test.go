// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package topk

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDisplacesTheLeastCounted(t *testing.T) {
	s := New(2)
	_, displaced := s.Observe("/a", 5)
	assert.False(t, displaced)
	s.Observe("/b", 1)
	key, displaced := s.Observe("/c", 1)
	require.True(t, displaced)
	assert.Equal(t, "/b", key)
	assert.True(t, s.Tracked("/c"))
	assert.False(t, s.Tracked("/b"))
	assert.Equal(t, []Entry{{Key: "/a", Count: 5}, {Key: "/c", Count: 2, Error: 1}}, s.Top(10),
		"a newcomer inherits the displaced count as its error bound")
	assert.Equal(t, []Entry{{Key: "/a", Count: 5}}, s.Top(1))
}

// TestZipfStream checks the algorithm's guarantees on page popularity of the
// kind real sites have: every value more frequent than N/capacity is tracked,
// and Count-Error <= true count <= Count for every tracked value.
func TestZipfStream(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	zipf := rand.NewZipf(rng, 1.1, 1, 9999)
	const capacity, observations = 100, 200_000
	s := New(capacity)
	truth := map[string]uint64{}
	for range observations {
		key := fmt.Sprintf("/page/%d", zipf.Uint64())
		truth[key]++
		s.Observe(key, 1)
	}
	for key, n := range truth {
		if n > observations/capacity {
			assert.True(t, s.Tracked(key), "%s seen %d times must be tracked", key, n)
		}
	}
	for _, e := range s.Top(capacity) {
		assert.LessOrEqual(t, e.Count-e.Error, truth[e.Key], e.Key)
		assert.GreaterOrEqual(t, e.Count, truth[e.Key], e.Key)
	}

	keys := make([]string, 0, len(truth))
	for k := range truth {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int { return int(truth[b]) - int(truth[a]) })
	top := s.Top(10)
	for i := range 10 {
		assert.Equal(t, keys[i], top[i].Key, "rank %d", i)
	}
}

// TestKeysAreCopied: pdata hands out strings that alias the request buffer;
// a tracked key must not change when that buffer is reused.
func TestKeysAreCopied(t *testing.T) {
	s := New(4)
	buf := []byte("/from-a-request-buffer")
	aliased := unsafe.String(&buf[0], 5) // #nosec G103 -- imitates pdata's zero-copy strings
	s.Observe(aliased, 1)
	copy(buf, "XXXXX")
	assert.True(t, s.Tracked("/from"))
	assert.Equal(t, "/from", s.Top(1)[0].Key)
}

func BenchmarkObserveZipf(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	zipf := rand.NewZipf(rng, 1.1, 1, 99_999)
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("/page/%d", zipf.Uint64())
	}
	s := New(1000)
	for i := 0; b.Loop(); i++ {
		s.Observe(keys[i&(1<<16-1)], 1)
	}
}

// A restored sketch reports the same top values and displaces the same
// value next as the one saved.
func TestRestoreFromEntries(t *testing.T) {
	saved := New(4)
	for i, key := range []string{"a", "b", "a", "c", "d", "a", "b", "e", "f"} {
		saved.Observe(key, uint64(i%3+1))
	}
	restored := Restore(4, saved.Entries())
	assert.Equal(t, saved.Top(4), restored.Top(4))
	d1, ok1 := saved.Observe("g", 1)
	d2, ok2 := restored.Observe("g", 1)
	assert.Equal(t, ok1, ok2)
	assert.Equal(t, d1, d2)

	smaller := Restore(2, saved.Entries())
	assert.Equal(t, saved.Top(2), smaller.Top(2), "past the capacity the least counted go")
}

// Observe keeps the counters in the order container/heap would: the same
// values are displaced, in the same order, and the same are tracked, as
// with heap.Fix (the reference below), over streams full of ties.
func TestObserveKeepsTheHeapOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for trial := range 200 {
		capacity := 1 + rng.IntN(20)
		got, want := New(capacity), New(capacity)
		for i := range 2000 {
			key := fmt.Sprint("v", rng.IntN(3*capacity))
			n := uint64(rng.IntN(3))
			gotDisplaced, gotOK := got.Observe(key, n)
			wantDisplaced, wantOK := observeWithFix(want, key, n)
			require.Equal(t, wantOK, gotOK, "trial %d, observation %d", trial, i)
			require.Equal(t, wantDisplaced, gotDisplaced, "trial %d, observation %d", trial, i)
		}
		assert.Equal(t, want.Top(capacity), got.Top(capacity), "trial %d", trial)
		for i, c := range got.byCount {
			assert.Equal(t, i, c.pos)
			if i > 0 {
				assert.False(t, got.byCount.Less(i, (i-1)/2), "trial %d: a counter below one it outcounts", trial)
			}
		}
	}
}

// observeWithFix is Observe as it was written with container/heap.
func observeWithFix(s *SpaceSaving, key string, n uint64) (string, bool) {
	if c, tracked := s.index[key]; tracked {
		c.Count += n
		heap.Fix(&s.byCount, c.pos)
		return "", false
	}
	if len(s.byCount) < s.capacity {
		c := &counter{Entry: Entry{Key: key, Count: n}}
		s.index[key] = c
		heap.Push(&s.byCount, c)
		return "", false
	}
	least := s.byCount[0]
	displaced := least.Key
	delete(s.index, displaced)
	least.Key, least.Error, least.Count = key, least.Count, least.Count+n
	s.index[key] = least
	heap.Fix(&s.byCount, 0)
	return displaced, true
}
