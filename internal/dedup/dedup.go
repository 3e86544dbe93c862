// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package dedup remembers which event ids were seen within a window of event
// time, in bounded memory, so that at-least-once delivery (browser retries,
// Kafka redelivery, replays) still counts every event once.
package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"hash/fnv"
	"time"
)

// key is a 128-bit hash of (site, event id): fixed size whatever the id's
// length, and stable across processes so that it can be checkpointed. At a
// million entries the chance of any collision is about 1e-27.
type key [2]uint64

type entry struct {
	key key
	// seen is the event time of the first sighting in Unix milliseconds,
	// rounded up so that no id is forgotten before its window ends: a
	// checkpoint then writes it as the few bytes it differs from the
	// entry's before (checkpoint.go).
	seen int64
}

// ceilMillis is t in Unix milliseconds, rounded up.
func ceilMillis(t time.Time) int64 {
	ms := t.UnixMilli()
	if t.Nanosecond()%int(time.Millisecond) != 0 {
		ms++
	}
	return ms
}

// Cache is not safe for concurrent use: it belongs to the processor's state owner.
type Cache struct {
	window     time.Duration
	maxEntries int
	onEvict    func()

	// ring holds the entries by first sighting, numbered as they come;
	// index finds a key's entry in it by its number.
	ring  ring
	index index
	// snap is the snapshot being taken, if any (checkpoint.go).
	snap *Snapshot
	// mark is the ring at the last snapshot or delta (delta.go).
	mark   mark
	marked bool
}

// MaxEntries is the most ids a cache holds (40 GiB of them): the index
// keeps the low 32 bits of entry numbers.
const MaxEntries = 1 << 30

// New returns a cache remembering ids for window of event time, holding at
// most maxEntries (at most MaxEntries); onEvict is called for each entry
// dropped early because the cache was full (a duplicate of such an id would
// pass).
func New(window time.Duration, maxEntries int, onEvict func()) *Cache {
	maxEntries = min(maxEntries, MaxEntries)
	return &Cache{
		window:     window,
		maxEntries: maxEntries,
		onEvict:    onEvict,
		ring:       newRing(maxEntries),
		index:      newIndex(1024),
	}
}

func hashKey(site, eventID string) key {
	h := fnv.New128a()
	_, _ = h.Write([]byte(site))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(eventID))
	var sum [16]byte
	h.Sum(sum[:0])
	var k key
	for i := range 8 {
		k[0] = k[0]<<8 | uint64(sum[i])
		k[1] = k[1]<<8 | uint64(sum[8+i])
	}
	return k
}

// Has reports whether (site, eventID) is remembered, without remembering it:
// the processor checks a batch first and remembers it once the batch is durable.
func (c *Cache) Has(site, eventID string) bool { return c.has(hashKey(site, eventID)) }

func (c *Cache) has(k key) bool {
	_, ok := c.index.find(k, &c.ring)
	return ok
}

// oldest is the entry forgotten next; the cache must hold one.
func (c *Cache) oldest() *entry { return c.ring.at(c.ring.first) }

// Seen reports whether (site, eventID) was already seen, and remembers it if not.
func (c *Cache) Seen(site, eventID string, eventTime time.Time) bool {
	k := hashKey(site, eventID)
	if c.has(k) {
		return true
	}
	if c.remember(entry{key: k, seen: ceilMillis(eventTime)}) && c.onEvict != nil {
		c.onEvict()
	}
	return false
}

// remember appends e, whose key is not remembered, forgetting the oldest
// entry first when the cache is full; it reports whether it did.
func (c *Cache) remember(e entry) (evicted bool) {
	if c.ring.len() == c.maxEntries {
		c.popOldest()
		evicted = true
	}
	c.push(e)
	return evicted
}

// Expire forgets ids first seen more than the window before watermark. Entries
// are kept in arrival order, so an id seen out of order may outlive its window
// by the lateness of its neighbours, and any id by up to two milliseconds
// (its time is rounded up, the horizon down); memory stays bounded by
// maxEntries.
func (c *Cache) Expire(watermark time.Time) int {
	horizon := watermark.Add(-c.window).UnixMilli()
	n := 0
	for c.ring.len() > 0 && c.oldest().seen < horizon {
		c.popOldest()
		n++
	}
	return n
}

// Len is the number of remembered ids.
func (c *Cache) Len() int { return c.ring.len() }

func (c *Cache) push(e entry) {
	c.index.insert(e.key, c.ring.push(e))
}

func (c *Cache) popOldest() {
	if c.snap != nil {
		c.snap.beforeForget()
	}
	c.index.remove(c.oldest().key, c.ring.first)
	c.ring.pop()
}
