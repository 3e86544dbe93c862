// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// A segment is the entries a cache remembered since the last snapshot,
// delta or segment began, numbered: entries are numbered as they come
// (ring), and a segment says the number of its first. A cache is its live
// segments applied oldest first, less the entries numbered below its front
// (the number of the oldest entry it holds). So a host that stores each
// checkpoint's new entries as a segment of its own never writes an entry
// twice: it deletes a segment once the front has passed its end, and the
// memory is never rewritten whole, where a base rewrote every id and
// visitor remembered, however long ago (a day of visitors, where a session
// changes in minutes). A whole segment holds every entry held: the first
// after a restart of the memory, or to replace many small segments.
//
// Encoding: segmentVersion, the number of the first entry, the count of
// entries, then the entries as in a checkpoint of version 2 (their times
// from 0 for the first).
const segmentVersion = 0x90

// Span is a segment's place in the numbering: its entries are numbered
// from Start up to End; Front is the oldest entry the cache held when the
// segment began (entries below it are forgotten).
type Span struct{ Start, End, Front uint64 }

// BeginSegment starts a snapshot of the entries remembered since the last
// snapshot, delta or segment began and still held (every entry held, when
// whole or when none began), and marks the cache again: Step and Bytes as
// for a checkpoint.
func (c *Cache) BeginSegment(whole bool) *Snapshot {
	sn := &Snapshot{cache: c, first: c.ring.first, size: c.Len(), front: c.ring.first}
	if !whole {
		sn.first, sn.size, sn.forgotten = c.sinceMark()
	}
	sn.out.Tail = append(sn.out.Tail, segmentVersion)
	sn.out.Tail = binary.AppendUvarint(sn.out.Tail, sn.first)
	sn.out.Tail = binary.AppendUvarint(sn.out.Tail, uint64(sn.size))
	c.snap = sn
	c.setMark()
	return sn
}

// Span is where the snapshot's entries are in the numbering.
func (sn *Snapshot) Span() Span {
	return Span{Start: sn.first, End: sn.first + uint64(sn.size), Front: sn.front}
}

// ApplySegment adds a segment's entries after those the cache holds, as
// numbered, and returns the number after its last. It reads the whole
// segment before it changes anything, so a corrupt one leaves the cache as
// it was. The segments must come oldest first; ForgetBefore follows the
// last.
func (c *Cache) ApplySegment(data []byte) (end uint64, err error) {
	start, count, body, err := parseSegment(data)
	if err != nil {
		return 0, err
	}
	if err := readEntries(checkpointVersion, count, body, func(entry) {}); err != nil {
		return 0, fmt.Errorf("dedup segment is corrupt: %w", err)
	}
	if c.snap != nil {
		// A snapshot under way reads the entries where they are.
		c.snap.Step(math.MaxInt)
	}
	if c.Len() == 0 || start > c.ring.next {
		// Entries between the last held and this segment were forgotten
		// before it was taken, so every entry before it was too.
		c.restartAt(start)
	}
	// Entries held already (a segment overlapping the one before) are
	// skipped, so that every entry keeps its number.
	skip := c.ring.next - start
	_ = readEntries(checkpointVersion, count, body, func(e entry) {
		if skip > 0 {
			skip--
			return
		}
		c.place(e)
	})
	c.setMark()
	return start + count, nil
}

func parseSegment(data []byte) (start, count uint64, body []byte, err error) {
	if len(data) == 0 || data[0] != segmentVersion {
		return 0, 0, nil, errors.New("dedup segment has an unknown version")
	}
	start, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return 0, 0, nil, errors.New("dedup segment is corrupt: bad start")
	}
	rest := data[1+n:]
	count, n = binary.Uvarint(rest)
	if n <= 0 || start > math.MaxUint64-count {
		return 0, 0, nil, errors.New("dedup segment is corrupt: bad entry count")
	}
	return start, count, rest[n:], nil
}

// place appends a segment's entry under the next number. A key the cache
// already holds was forgotten before this entry was remembered (an id seen
// again after its window): the older entry stays in the ring for its
// number, no longer indexed, until ForgetBefore drops it.
func (c *Cache) place(e entry) {
	if n, ok := c.index.find(e.key, &c.ring); ok {
		c.index.remove(e.key, n)
	}
	c.remember(e)
}

// ForgetBefore forgets the entries numbered below front: what the cache had
// forgotten when the last segment applied began.
func (c *Cache) ForgetBefore(front uint64) {
	for c.Len() > 0 && c.ring.first < front {
		c.popOldest()
	}
	if c.Len() == 0 && c.ring.next < front {
		c.restartAt(front)
	}
	c.setMark()
}

// restartAt empties the cache, the next entry to be numbered n.
func (c *Cache) restartAt(n uint64) {
	c.ring = newRing(c.maxEntries)
	c.ring.startAt(n)
	c.index = newIndex(1024)
}
