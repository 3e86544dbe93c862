// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// A delta is what changed in the cache since a mark (the last snapshot or
// delta begun): the ring is first in,
// first out, so a change is some entries forgotten from its front and some
// remembered at its back. A checkpoint of the cache at the mark with every
// delta since applied in order is the cache now, at the cost of the ids
// seen in between rather than of every id remembered.
//
// Encoding: deltaVersion, the entries to forget from the front, the count
// of entries to append, then those entries as in a checkpoint of version 2
// (their times from 0 for the first). deltaVersionV1's entries are as in a
// checkpoint of version 1; they are still read.
const (
	deltaVersion   = 0x82
	deltaVersionV1 = 0x81
)

// mark is the ring as it was when the last snapshot or delta began.
type mark struct {
	// pushed and popped count every entry ever remembered and forgotten.
	pushed, popped uint64
	size           int
}

func (c *Cache) setMark() {
	c.mark, c.marked = mark{pushed: c.ring.next, popped: c.ring.first, size: c.Len()}, true
}

// Unchanged reports whether no id was remembered or forgotten since the
// last snapshot or delta began (false before the first).
func (c *Cache) Unchanged() bool {
	return c.marked && c.ring.next == c.mark.pushed && c.ring.first == c.mark.popped
}

// BeginDelta starts a snapshot of the changes since the last BeginSnapshot
// or BeginDelta, and marks the cache again: Step and Bytes as for a
// checkpoint. Its view is the newest entries, those remembered since the
// mark and still held, each encoded before it is forgotten as a
// checkpoint's are.
func (c *Cache) BeginDelta() *Snapshot {
	// Forgotten since the mark: first the entries that were there, then
	// some remembered since.
	forget := min(c.ring.first-c.mark.popped, uint64(c.mark.size))
	sn := &Snapshot{cache: c, front: c.ring.first}
	sn.first, sn.size, sn.forgotten = c.sinceMark()
	sn.out.Tail = append(sn.out.Tail, deltaVersion)
	sn.out.Tail = binary.AppendUvarint(sn.out.Tail, forget)
	sn.out.Tail = binary.AppendUvarint(sn.out.Tail, uint64(sn.size))
	c.snap = sn
	c.setMark()
	return sn
}

// sinceMark is the view of a snapshot of the entries remembered since the
// mark and still held: the newest size entries, numbered from first. Its
// forgotten count starts below zero: the entries before the view are
// forgotten first, and need no copy.
func (c *Cache) sinceMark() (first uint64, size, forgotten int) {
	appended := min(int(c.ring.next-c.mark.pushed), c.Len())
	return c.ring.next - uint64(appended), appended, appended - c.Len()
}

// ApplyDelta applies a delta BeginDelta encoded to the cache it was taken
// from, as of the mark it was taken against (restored from that checkpoint,
// with the deltas before it applied). It reads the whole delta before it
// changes anything, so a corrupt one leaves the cache as it was.
func (c *Cache) ApplyDelta(data []byte) error {
	if len(data) == 0 || (data[0] != deltaVersion && data[0] != deltaVersionV1) {
		return errors.New("dedup delta has an unknown version")
	}
	forget, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return errors.New("dedup delta is corrupt: bad forget count")
	}
	rest := data[1+n:]
	count, n := binary.Uvarint(rest)
	if n <= 0 {
		return errors.New("dedup delta is corrupt: bad entry count")
	}
	version := byte(checkpointVersion)
	if data[0] == deltaVersionV1 {
		version = checkpointVersionV1
	}
	// A delta holds what was remembered in one checkpoint interval: it is
	// read whole before the cache changes.
	var entries []entry
	err := readEntries(version, count, rest[n:], func(e entry) { entries = append(entries, e) })
	if err != nil {
		return fmt.Errorf("dedup delta is corrupt: %w", err)
	}
	for ; forget > 0 && c.Len() > 0; forget-- {
		c.popOldest()
	}
	for _, e := range entries {
		if !c.has(e.key) {
			c.remember(e)
		}
	}
	c.setMark()
	return nil
}
