// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/footfall-analytics/footfall/internal/chunks"
)

// checkpointVersion is bumped whenever the encoding changes; UnmarshalBinary
// refuses versions it does not know instead of guessing.
const checkpointVersion = 1

const entrySize = 8 + 8 + 8

// MarshalBinary encodes the remembered ids, oldest first.
func (c *Cache) MarshalBinary() ([]byte, error) {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+c.Len()*entrySize)
	out = append(out, checkpointVersion)
	out = binary.AppendUvarint(out, uint64(c.Len()))
	for n := c.ring.first; n < c.ring.next; n++ {
		out = appendEntry(out, *c.ring.at(n))
	}
	return out, nil
}

func appendEntry(out []byte, e entry) []byte {
	out = binary.BigEndian.AppendUint64(out, e.key[0])
	out = binary.BigEndian.AppendUint64(out, e.key[1])
	return binary.BigEndian.AppendUint64(out, uint64(e.seen))
}

// Snapshot is the cache's checkpoint as it was when it began, encoded a
// piece at a time while the owner goes on remembering and forgetting ids,
// so that a million ids never hold up the owner at once. It reads the
// entries where the ring holds them: an entry about to be forgotten (whose
// place may then be reused) is encoded first. It must be finished before
// the next one begins.
type Snapshot struct {
	cache *Cache
	// The entries in view are the size numbered from first on.
	first uint64
	size  int
	// next is how many entries are encoded, forgotten how many of them the
	// cache has forgotten since the snapshot began.
	next, forgotten int
	out             chunks.Buffer
}

// BeginSnapshot starts a snapshot of the cache's entries.
func (c *Cache) BeginSnapshot() *Snapshot {
	sn := &Snapshot{cache: c, first: c.ring.first, size: c.Len()}
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
		sn.out.Tail = appendEntry(sn.out.Tail, *sn.cache.ring.at(sn.first + uint64(sn.next)))
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
	if data[0] != checkpointVersion {
		return fmt.Errorf("dedup checkpoint has version %d; this build reads version %d", data[0], checkpointVersion)
	}
	count, n := binary.Uvarint(data[1:])
	if n <= 0 {
		return errors.New("dedup checkpoint is corrupt: bad entry count")
	}
	body := data[1+n:]
	if len(body)%entrySize != 0 || count != uint64(len(body)/entrySize) {
		return fmt.Errorf("dedup checkpoint is corrupt: %d entries in %d bytes", count, len(body))
	}
	entries := len(body) / entrySize
	if c.snap != nil {
		// A snapshot under way is of the cache before: it reads the
		// entries where they are, so it is encoded to its end first.
		c.snap.Step(math.MaxInt)
	}
	fresh := New(c.window, c.maxEntries, c.onEvict)
	for i := max(0, entries-c.maxEntries); i < entries; i++ {
		// A key twice (a checkpoint no cache wrote) is kept once.
		if e := decodeEntry([entrySize]byte(body[i*entrySize : (i+1)*entrySize])); !fresh.has(e.key) {
			fresh.push(e)
		}
	}
	*c = *fresh
	c.setMark()
	return nil
}

func decodeEntry(rec [entrySize]byte) entry {
	return entry{
		key:  key{binary.BigEndian.Uint64(rec[0:8]), binary.BigEndian.Uint64(rec[8:16])},
		seen: int64(binary.BigEndian.Uint64(rec[16:24])),
	}
}
