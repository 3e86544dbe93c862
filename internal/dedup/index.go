// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package dedup // import "github.com/footfall-analytics/footfall/internal/dedup"

import (
	"hash/maphash"
	"math/bits"
)

// index finds a remembered key's entry in the ring. It is an open-addressing
// table with linear probing, at most half full, whose slots hold the ring
// position (plus one: 0 is an empty slot) under the top 32 bits of the
// key's mixed hash. A million ids cost 16 MiB of slots beside the ring's
// 24 MiB, where a map[key]int64 cost about 40 MiB beside it; and the table
// holds no pointers, so the garbage collector never scans it.
//
// The stored hash bits do two things: a probe compares them before it
// reads the ring, so a new id (the usual case) costs no second cache miss;
// and they hold the slot's home, which deletion needs to shift the slots
// after it back.
//
// Keys are FNV hashes of what clients send, which anyone can compute: the
// slots are placed by a hash seeded anew for every table (as Go's maps
// are), so that no one can choose event ids that pile up in one run of
// slots and make every probe long.
type index struct {
	slots []uint64
	// shift is 64 less log2(len(slots)): a hash's top bits are its home.
	shift uint
	seed  maphash.Seed
}

const emptySlot = 0

// newIndex returns an index for a ring of capacity entries.
func newIndex(capacity int) index {
	n := 8
	for n < 2*capacity {
		n <<= 1
	}
	return index{slots: make([]uint64, n), shift: uint(64 - bits.TrailingZeros(uint(n))), seed: maphash.MakeSeed()}
}

// mix spreads a key over 64 bits: its top bits pick the home slot.
func (x *index) mix(k key) uint64 { return maphash.Comparable(x.seed, k) }

// find returns the ring position of k, or -1.
func (x *index) find(k key, ring []entry) int {
	h := x.mix(k)
	tag := h >> 32
	mask := len(x.slots) - 1
	for i := int(h >> x.shift); ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == emptySlot {
			return -1
		}
		if s>>32 == tag {
			if pos := int(uint32(s)) - 1; ring[pos].key == k {
				return pos
			}
		}
	}
}

// insert records that k is at ring position pos. k must not be in the
// index already.
func (x *index) insert(k key, pos int) {
	h := x.mix(k)
	mask := len(x.slots) - 1
	i := int(h >> x.shift)
	for x.slots[i] != emptySlot {
		i = (i + 1) & mask
	}
	x.slots[i] = h>>32<<32 | uint64(pos+1)
}

// remove forgets k, which is at ring position pos. Slots after it that
// probed past it move back, so that no probe stops short of its key
// (Knuth's algorithm R: no tombstones, so probes stay short).
func (x *index) remove(k key, pos int) {
	mask := len(x.slots) - 1
	want := uint64(pos + 1)
	i := int(x.mix(k) >> x.shift)
	for ; x.slots[i] != emptySlot; i = (i + 1) & mask {
		if uint32(x.slots[i]) == uint32(want) {
			break
		}
	}
	if x.slots[i] == emptySlot {
		return
	}
	for j := i; ; {
		j = (j + 1) & mask
		s := x.slots[j]
		if s == emptySlot {
			break
		}
		// s stays where it is when its home lies cyclically in (i, j].
		home := int(s >> x.shift)
		if i <= j && i < home && home <= j || i > j && (home > i || home <= j) {
			continue
		}
		x.slots[i] = s
		i = j
	}
	x.slots[i] = emptySlot
}
