// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"hash/maphash"
	"math/bits"
)

// index finds a remembered key's entry in the ring. It is indexShards
// open-addressing tables with linear probing, each at most half full; the
// top bits of the key's mixed hash pick the table and the bits below them
// the home slot. A slot holds the top 32 bits of that hash (the tag, with
// its lowest bit set so that no occupied slot is 0) above the low 32 bits
// of the entry's number in the ring. A million ids cost 16 MiB of slots beside
// the ring's 24 MiB, where a map[key]int64 cost about 40 MiB beside it; and
// the tables hold no pointers, so the garbage collector never scans them.
//
// The tag does three things: a probe compares it before it reads the ring,
// so a new id (the usual case) costs no second cache miss; it holds the
// slot's home, which deletion needs to shift the slots after it back; and
// it holds the home in a table twice the size, so a table grows by moving
// its slots alone, without the keys or the ring. Tables grow one at a
// time, each when it is half full: a table of a million-id cache holds
// about 4,000 ids. One table of them all, rebuilt from the ring each time
// the ring doubled, made the sessionizer's owner (so every ack) wait 40 ms
// at half a million ids.
//
// Keys are FNV hashes of what clients send, which anyone can compute: the
// slots are placed by a hash seeded anew for every index (as Go's maps
// are), so that no one can choose event ids that pile up in one run of
// slots and make every probe long.
type index struct {
	tables [indexTables]indexTable
	seed   maphash.Seed
}

// indexTable is one of an index's tables.
type indexTable struct {
	slots []uint64
	// shift is 64 less log2(len(slots)): the hash's bits below the
	// table's, shifted up by indexTableBits, give the home.
	shift uint
	used  int
}

const (
	indexTableBits = 8
	indexTables    = 1 << indexTableBits
	minTableSlots  = 8
	emptySlot      = 0
	// tagBit is set in every tag; the home of a table of up to 2^23 slots
	// (MaxEntries ids over indexTables tables, at most half full) never
	// reads it.
	tagBit = 1 << 32
)

// newIndex returns an index sized for capacity entries.
func newIndex(capacity int) index {
	n := minTableSlots
	for n*indexTables < 2*capacity {
		n <<= 1
	}
	x := index{seed: maphash.MakeSeed()}
	for i := range x.tables {
		x.tables[i] = newIndexTable(n)
	}
	return x
}

func newIndexTable(n int) indexTable {
	return indexTable{slots: make([]uint64, n), shift: uint(64 - bits.TrailingZeros(uint(n)))}
}

// tagged is a key's mixed hash as a slot stores it: its top 32 bits, with
// tagBit set. The table is its top indexTableBits.
func (x *index) tagged(k key) uint64 {
	return maphash.Comparable(x.seed, k)&^(tagBit-1) | tagBit
}

func (x *index) table(tagged uint64) *indexTable { return &x.tables[tagged>>(64-indexTableBits)] }

// home is the slot a tagged hash, or a slot holding it, starts its probe
// at.
func (t *indexTable) home(tagged uint64) int {
	return int(tagged &^ (tagBit - 1) << indexTableBits >> t.shift)
}

// find returns the number of k's entry in r, or false.
func (x *index) find(k key, r *ring) (uint64, bool) {
	tagged := x.tagged(k)
	t := x.table(tagged)
	mask := len(t.slots) - 1
	for i := t.home(tagged); ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == emptySlot {
			return 0, false
		}
		if s>>32 == tagged>>32 {
			// The entries held span less than 2^32 numbers from the first.
			n := r.first + uint64(uint32(s)-uint32(r.first))
			if n < r.next && r.at(n).key == k {
				return n, true
			}
		}
	}
}

// insert records that k is the ring's entry numbered n. k must not be in
// the index already.
func (x *index) insert(k key, n uint64) {
	tagged := x.tagged(k)
	t := x.table(tagged)
	if 2*(t.used+1) > len(t.slots) {
		t.grow()
	}
	t.put(tagged | uint64(uint32(n)))
	t.used++
}

// put places slot value s at the first free slot from its home.
func (t *indexTable) put(s uint64) {
	mask := len(t.slots) - 1
	i := t.home(s)
	for t.slots[i] != emptySlot {
		i = (i + 1) & mask
	}
	t.slots[i] = s
}

// grow doubles the table, placing each slot by its tag alone.
func (t *indexTable) grow() {
	old := t.slots
	*t = newIndexTable(2 * len(old))
	for _, s := range old {
		if s != emptySlot {
			t.put(s)
			t.used++
		}
	}
}

// remove forgets k, which is the ring's entry numbered n. Slots after it that
// probed past it move back, so that no probe stops short of its key
// (Knuth's algorithm R: no tombstones, so probes stay short).
func (x *index) remove(k key, n uint64) {
	tagged := x.tagged(k)
	t := x.table(tagged)
	mask := len(t.slots) - 1
	want := tagged | uint64(uint32(n))
	i := t.home(tagged)
	for ; t.slots[i] != emptySlot; i = (i + 1) & mask {
		if t.slots[i] == want {
			break
		}
	}
	if t.slots[i] == emptySlot {
		return
	}
	t.used--
	for j := i; ; {
		j = (j + 1) & mask
		s := t.slots[j]
		if s == emptySlot {
			break
		}
		// s stays where it is when its home lies cyclically in (i, j].
		home := t.home(s)
		if i <= j && i < home && home <= j || i > j && (home > i || home <= j) {
			continue
		}
		t.slots[i] = s
		i = j
	}
	t.slots[i] = emptySlot
}
