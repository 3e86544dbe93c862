// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package topk finds the most frequent values of a breakdown in bounded
// memory with the space-saving algorithm (Metwally, Agrawal, El Abbadi 2005),
// so that only they get series of their own and the rest count as "other".
//
// With capacity m over a stream of N observations, every value seen more than
// N/m times is tracked, and each tracked count overestimates the true count
// by at most its Error.
package topk // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"

import (
	"cmp"
	"container/heap"
	"slices"
	"strings"
)

// Entry is one tracked value.
type Entry struct {
	Key string
	// Count overestimates the value's observations by at most Error.
	Count uint64
	Error uint64
}

// SpaceSaving is not safe for concurrent use.
type SpaceSaving struct {
	capacity int
	index    map[string]*counter
	byCount  counterHeap
}

type counter struct {
	Entry
	pos int
}

// New tracks at most capacity values.
func New(capacity int) *SpaceSaving {
	return &SpaceSaving{capacity: capacity, index: make(map[string]*counter, capacity)}
}

// Observe counts n observations of key. When key was not tracked and the table
// was full, the least counted value is displaced and returned: its series
// should stop, and its future observations count as "other" unless it wins
// its place back.
func (s *SpaceSaving) Observe(key string, n uint64) (displaced string, ok bool) {
	if c, tracked := s.index[key]; tracked {
		c.Count += n
		s.byCount.grew(c.pos)
		return "", false
	}
	// Keys often point into a request's buffer; a tracked key outlives it.
	key = strings.Clone(key)
	if len(s.byCount) < s.capacity {
		c := &counter{Entry: Entry{Key: key, Count: n}}
		s.index[key] = c
		heap.Push(&s.byCount, c)
		return "", false
	}
	least := s.byCount[0]
	displaced = least.Key
	delete(s.index, displaced)
	least.Key, least.Error, least.Count = key, least.Count, least.Count+n
	s.index[key] = least
	s.byCount.grew(0)
	return displaced, true
}

// Tracked reports whether key currently has a place.
func (s *SpaceSaving) Tracked(key string) bool {
	_, ok := s.index[key]
	return ok
}

// Top returns up to k tracked values, most counted first (ties by key).
func (s *SpaceSaving) Top(k int) []Entry {
	out := make([]Entry, 0, len(s.byCount))
	for _, c := range s.byCount {
		out = append(out, c.Entry)
	}
	slices.SortFunc(out, func(a, b Entry) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	if len(out) > k {
		out = out[:k]
	}
	return out
}

// Len is the number of tracked values.
func (s *SpaceSaving) Len() int { return len(s.byCount) }

// counterHeap keeps the least counted value on top (ties by key, so that the
// value displaced is the same whatever the map's order).
type counterHeap []*counter

func (h counterHeap) Len() int { return len(h) }
func (h counterHeap) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(h[i].Count, h[j].Count), cmp.Compare(h[i].Key, h[j].Key)) < 0
}

func (h counterHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].pos, h[j].pos = i, j
}

// grew moves the counter at i down past those it now outcounts, its count
// having grown (or its key changed at the same or a higher count): what
// heap.Fix does, without its calls through the interface, on the path
// every counted event takes.
func (h counterHeap) grew(i int) {
	for {
		child := 2*i + 1
		if child >= len(h) {
			return
		}
		if right := child + 1; right < len(h) && h.Less(right, child) {
			child = right
		}
		if !h.Less(child, i) {
			return
		}
		h.Swap(i, child)
		i = child
	}
}

func (h *counterHeap) Push(x any) {
	c := x.(*counter)
	c.pos = len(*h)
	*h = append(*h, c)
}

func (h *counterHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return c
}

// Entries returns every tracked value, in no particular order, for a
// checkpoint.
func (s *SpaceSaving) Entries() []Entry {
	out := make([]Entry, len(s.byCount))
	for i, c := range s.byCount {
		out[i] = c.Entry
	}
	return out
}

// Restore returns a SpaceSaving of capacity tracking entries, as Entries
// returned them; past the capacity the least counted are dropped, and a
// repeated value is taken once.
func Restore(capacity int, entries []Entry) *SpaceSaving {
	s := New(capacity)
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b Entry) int { return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Key, b.Key)) })
	for _, e := range entries {
		if len(s.byCount) >= capacity {
			break
		}
		if _, dup := s.index[e.Key]; dup {
			continue
		}
		c := &counter{Entry: e}
		s.index[e.Key] = c
		heap.Push(&s.byCount, c)
	}
	return s
}
