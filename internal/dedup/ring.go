// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import "math/bits"

// ring holds a cache's entries in order of first sighting, first in,
// first out. Entries are numbered as they come (from 0, or from where a
// restore's segments say: segment.go): first numbers the
// oldest held and next the one to come, and entry n lives at offset n
// modulo chunkLen of chunk n / chunkLen.
//
// The ring grows and shrinks a chunk at a time (384 KiB of entries). As
// one slice doubled, a cache filling up to a million ids allocated 24 MiB
// at once, and the sessionizer's owner (so every ack) waited 35-40 ms for
// it, most of it the first touch of fresh pages; and a cache whose ids had
// expired kept its largest ring. Entries never move while they are held,
// so a snapshot reads them where they are.
type ring struct {
	// chunkBits is log2 of the entries per chunk.
	chunkBits uint
	// chunks holds chunk k at k modulo its length, a power of two at least
	// the chunks in use.
	chunks [][]entry
	// spare is the last chunk emptied, kept for the next one needed.
	spare       []entry
	first, next uint64
}

// maxChunkBits sizes a chunk: 16,384 entries.
const maxChunkBits = 14

// newRing returns a ring whose chunks suit a cache of at most maxEntries.
func newRing(maxEntries int) ring {
	chunkBits := min(uint(bits.Len(uint(max(maxEntries, 1)-1))), maxChunkBits)
	return ring{chunkBits: chunkBits, chunks: make([][]entry, 2)}
}

// startAt makes an empty ring number its next entry n.
func (r *ring) startAt(n uint64) {
	r.first, r.next = n, n
	if n&(1<<r.chunkBits-1) != 0 {
		r.addChunk(n >> r.chunkBits)
	}
}

// len is the number of entries held.
func (r *ring) len() int { return int(r.next - r.first) }

// at is entry n, which the ring must hold.
func (r *ring) at(n uint64) *entry {
	return &r.chunks[(n>>r.chunkBits)&uint64(len(r.chunks)-1)][n&(1<<r.chunkBits-1)]
}

// push appends e and returns its number.
func (r *ring) push(e entry) uint64 {
	n := r.next
	if n&(1<<r.chunkBits-1) == 0 {
		r.addChunk(n >> r.chunkBits)
	}
	*r.at(n) = e
	r.next++
	return n
}

// pop forgets the oldest entry, letting go of its chunk once it is the
// chunk's last.
func (r *ring) pop() {
	r.first++
	if r.first&(1<<r.chunkBits-1) == 0 {
		k := (r.first - 1) >> r.chunkBits
		slot := &r.chunks[k&uint64(len(r.chunks)-1)]
		r.spare, *slot = *slot, nil
	}
}

// addChunk makes room for chunk k, the one after those in use.
func (r *ring) addChunk(k uint64) {
	if inUse := k - r.first>>r.chunkBits; inUse >= uint64(len(r.chunks)) {
		r.growChunks()
	}
	chunk := r.spare
	r.spare = nil
	if chunk == nil {
		chunk = make([]entry, 1<<r.chunkBits)
	}
	r.chunks[k&uint64(len(r.chunks)-1)] = chunk
}

// growChunks doubles the table of chunks, each placed anew by its number.
func (r *ring) growChunks() {
	grown := make([][]entry, 2*len(r.chunks))
	for k := r.first >> r.chunkBits; k<<r.chunkBits < r.next; k++ {
		grown[k&uint64(len(grown)-1)] = r.chunks[k&uint64(len(r.chunks)-1)]
	}
	r.chunks = grown
}
