// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/footfall-analytics/footfall/internal/chunks"
)

// checkpointVersion is bumped whenever the encoding changes; UnmarshalBinary
// refuses versions it does not know instead of guessing.
//
// Encoding: the version, the number of entries, then the entries oldest
// first, each its key (16 bytes, big endian) and its time as a zigzag
// varint of how far it is from the time of the entry before (from 0 for
// the first). Entries come in arrival order, so their times differ by
// milliseconds: one to three bytes where version 1 wrote 8 bytes of Unix
// nanoseconds (a fixed 24-byte entry). Version 1 is still read.
const (
	checkpointVersion   = 2
	checkpointVersionV1 = 1
)

const (
	keySize = 16
	// entrySizeV1 is a version-1 entry: its key and 8 bytes of time.
	entrySizeV1 = keySize + 8
	// minEntrySize is the least a version-2 entry takes.
	minEntrySize = keySize + 1
)

// MarshalBinary encodes the remembered ids, oldest first.
func (c *Cache) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+c.Len()*(keySize+3))
	out = append(out, checkpointVersion)
	out = binary.AppendUvarint(out, uint64(c.Len()))
	var prev int64
	for n := c.ring.first; n < c.ring.next; n++ {
		e := c.ring.at(n)
		out = appendEntry(out, *e, prev)
		prev = e.seen
	}
	return out, nil
}

// appendEntry appends e, whose entry before was seen at prev.
func appendEntry(out []byte, e entry, prev int64) []byte {
	out = binary.BigEndian.AppendUint64(out, e.key[0])
	out = binary.BigEndian.AppendUint64(out, e.key[1])
	return binary.AppendVarint(out, e.seen-prev)
}

// readEntries reads count entries of the given version from body, which
// they must fill exactly, and hands each to yield as it is read (a base of
// a million ids is never decoded whole beside the cache it fills);
// version-1 times (nanoseconds) are rounded up to milliseconds as Seen
// rounds them. An error may come after some entries were yielded.
func readEntries(version byte, count uint64, body []byte, yield func(entry)) error {
	if version == checkpointVersionV1 {
		if len(body)%entrySizeV1 != 0 || count != uint64(len(body)/entrySizeV1) {
			return fmt.Errorf("%d entries in %d bytes", count, len(body))
		}
		for rec := range slices.Chunk(body, entrySizeV1) {
			seen := time.Unix(0, int64(binary.BigEndian.Uint64(rec[keySize:])))
			yield(entry{key: decodeKey(rec), seen: ceilMillis(seen)})
		}
		return nil
	}
	if count > uint64(len(body)/minEntrySize) {
		return fmt.Errorf("%d entries in %d bytes", count, len(body))
	}
	var prev int64
	for range count {
		if len(body) < minEntrySize {
			return errors.New("an entry is cut short")
		}
		diff, n := binary.Varint(body[keySize:])
		if n <= 0 {
			return errors.New("an entry's time is cut short")
		}
		prev += diff
		yield(entry{key: decodeKey(body), seen: prev})
		body = body[keySize+n:]
	}
	if len(body) != 0 {
		return fmt.Errorf("%d bytes after the entries", len(body))
	}
	return nil
}

func decodeKey(rec []byte) key {
	return key{binary.BigEndian.Uint64(rec[0:8]), binary.BigEndian.Uint64(rec[8:16])}
}

// Snapshot is the cache's checkpoint as it was when it began, encoded a
// piece at a time while the owner goes on remembering and forgetting ids,
// so that a million ids never hold up the owner at once. It reads the
// entries where the ring holds them: an entry about to be forgotten (whose
// place may then be reused) is encoded first. It must be finished before
// the next one begins.
type Snapshot struct {
	cache *Cache
	// The entries in view are the size numbered from first on; front is
	// the oldest entry held when the snapshot began.
	first, front uint64
	size         int
	// next is how many entries are encoded, forgotten how many of them the
	// cache has forgotten since the snapshot began.
	next, forgotten int
	// prevSeen is the time of the last entry encoded (appendEntry).
	prevSeen int64
	out      chunks.Buffer
}

// BeginSnapshot starts a snapshot of the cache's entries.
func (c *Cache) BeginSnapshot() *Snapshot {
	sn := &Snapshot{cache: c, first: c.ring.first, front: c.ring.first, size: c.Len()}
	sn.out.Tail = append(sn.out.Tail, checkpointVersion)
	sn.out.Tail = binary.AppendUvarint(sn.out.Tail, uint64(sn.size))
	c.snap = sn
	c.setMark()
	return sn
}

// Step encodes at most budget more entries and reports whether the
// snapshot is complete; Bytes is then MarshalBinary's encoding of the
// cache at the start.
func (sn *Snapshot) Step(budget int) bool {
	// Clamped before adding: encodeAll passes math.MaxInt, and next+budget
	// would wrap negative once next > 0, leaving the snapshot never done.
	sn.encodeTo(sn.next + min(sn.size-sn.next, max(budget, 0)))
	if sn.next < sn.size {
		return false
	}
	if sn.cache.snap == sn {
		sn.cache.snap = nil
	}
	return true
}

// Bytes is the encoding of a complete snapshot. It reads only what the
// snapshot encoded, so it may run on another goroutine than the owner's.
func (sn *Snapshot) Bytes() []byte { return sn.out.Bytes() }

// Take lays out on st what is encoded (the pieces cut so far, and the
// rest once the snapshot is complete) and lets go of it, so that a writer
// can write it to a file while the rest is encoded. Once Take is used,
// Bytes holds only what it did not take.
func (sn *Snapshot) Take(st *chunks.Stream) {
	for _, piece := range sn.out.Take(sn.next == sn.size) {
		st.Append(piece)
	}
}

func (sn *Snapshot) encodeTo(end int) {
	for ; sn.next < end; sn.next++ {
		e := sn.cache.ring.at(sn.first + uint64(sn.next))
		sn.out.Tail = appendEntry(sn.out.Tail, *e, sn.prevSeen)
		sn.prevSeen = e.seen
		sn.out.Cut()
	}
}

// beforeForget encodes the oldest entry before the cache forgets it, when
// the snapshot holds it and has not encoded it yet.
func (sn *Snapshot) beforeForget() {
	if sn.forgotten < sn.size && sn.forgotten >= sn.next {
		sn.encodeTo(sn.forgotten + 1)
	}
	sn.forgotten++
}

// UnmarshalBinary replaces the cache's contents with a checkpoint. When the
// checkpoint holds more ids than this cache may, the newest are kept.
func (c *Cache) UnmarshalBinary(data []byte) error {
	if len(data) == 0 {
		return errors.New("dedup checkpoint is empty")
	}
	if data[0] != checkpointVersion && data[0] != checkpointVersionV1 {
		return fmt.Errorf("dedup checkpoint has version %d; this build reads versions %d and %d", data[0], checkpointVersionV1, checkpointVersion)
	}
	count, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return errors.New("dedup checkpoint is corrupt: bad entry count")
	}
	fresh := New(c.window, c.maxEntries, c.onEvict)
	// The newest maxEntries are kept: those before are skipped.
	skip := count - min(count, uint64(c.maxEntries))
	err := readEntries(data[0], count, data[1+n:], func(e entry) {
		// A key twice (a checkpoint no cache wrote) is kept once.
		if skip > 0 {
			skip--
		} else if !fresh.has(e.key) {
			fresh.push(e)
		}
	})
	if err != nil {
		return fmt.Errorf("dedup checkpoint is corrupt: %w", err)
	}
	if c.snap != nil {
		// A snapshot under way is of the cache before: it reads the
		// entries where they are, so it is encoded to its end first.
		c.snap.Step(math.MaxInt)
	}
	*c = *fresh
	c.setMark()
	return nil
}
