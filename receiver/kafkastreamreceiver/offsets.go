// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"encoding/binary"
	"errors"
	"math"
)

// A batch's reference to its records (a sourcelog reference, kept in the
// sessionizer's write-ahead entry in the changelog) is their offsets in
// the partition, ascending, as runs of consecutive offsets:
//
//	version (1) | runs (uvarint) | per run: gap (uvarint) | length (uvarint)
//
// The first run's gap is its first offset; each next run's, the distance
// from the end of the one before. A batch of consecutive records takes a
// few bytes, however many records it holds.
const offsetsVersion = 1

// maxRefOffsets bounds the offsets one reference may name (a batch holds at
// most recordsPerBatch): the changelog is read from outside, and a forged
// reference must not make a restore allocate without end.
const maxRefOffsets = 1 << 16

var errBadOffsets = errors.New("not a reference to records of the events topic")

// encodeOffsets encodes ascending offsets.
func encodeOffsets(offsets []int64) []byte {
	var runs [][2]int64 // gap, length
	end := int64(0)
	for i := 0; i < len(offsets); {
		j := i + 1
		for j < len(offsets) && offsets[j] == offsets[j-1]+1 {
			j++
		}
		runs = append(runs, [2]int64{offsets[i] - end, int64(j - i)})
		end = offsets[j-1] + 1
		i = j
	}
	out := binary.AppendUvarint([]byte{offsetsVersion}, uint64(len(runs)))
	for _, run := range runs {
		out = binary.AppendUvarint(out, uint64(run[0]))
		out = binary.AppendUvarint(out, uint64(run[1]))
	}
	return out
}

// decodeOffsets reads a reference encodeOffsets wrote; anything else is
// errBadOffsets.
func decodeOffsets(ref []byte) ([]int64, error) {
	if len(ref) == 0 || ref[0] != offsetsVersion {
		return nil, errBadOffsets
	}
	rest := ref[1:]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return 0, false
		}
		rest = rest[n:]
		return v, true
	}
	runs, ok := next()
	if !ok || runs == 0 || runs > maxRefOffsets {
		return nil, errBadOffsets
	}
	var offsets []int64
	end := uint64(0)
	for range runs {
		gap, ok1 := next()
		length, ok2 := next()
		if !ok1 || !ok2 || length == 0 || length > maxRefOffsets-uint64(len(offsets)) ||
			gap > math.MaxInt64-end || length > math.MaxInt64-end-gap {
			return nil, errBadOffsets
		}
		first := end + gap
		for i := range length {
			offsets = append(offsets, int64(first+i))
		}
		end = first + length
	}
	if len(rest) != 0 {
		return nil, errBadOffsets
	}
	return offsets, nil
}
