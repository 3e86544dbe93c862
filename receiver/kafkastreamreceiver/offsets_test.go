// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOffsetsReadBackAsWritten(t *testing.T) {
	for _, offsets := range [][]int64{
		{0},
		{7},
		{3, 4, 5, 6},
		{3, 4, 9, 10, 11, 40},
		{math.MaxInt64 - 2, math.MaxInt64 - 1},
	} {
		got, err := decodeOffsets(encodeOffsets(offsets))
		require.NoError(t, err)
		assert.Equal(t, offsets, got)
	}
	// Runs, not offsets: 500 consecutive records take a few bytes.
	run := make([]int64, 500)
	for i := range run {
		run[i] = 1_000_000 + int64(i)
	}
	assert.Len(t, encodeOffsets(run), 7)
}

func TestAReferenceNotWrittenHereIsRefused(t *testing.T) {
	for name, ref := range map[string][]byte{
		"empty":            {},
		"other version":    {2, 1, 0, 1},
		"no runs":          {offsetsVersion, 0},
		"empty run":        {offsetsVersion, 1, 5, 0},
		"cut short":        {offsetsVersion, 2, 5, 1},
		"trailing bytes":   {offsetsVersion, 1, 5, 1, 9},
		"past the largest": append([]byte{offsetsVersion, 1}, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 3),
		"too many":         {offsetsVersion, 1, 0, 0x81, 0x80, 0x04},
	} {
		_, err := decodeOffsets(ref)
		assert.ErrorIs(t, err, errBadOffsets, name)
	}
}

// FuzzDecodeOffsets: a reference is read from the changelog, bytes anyone
// who reaches the brokers can write. Whatever decodes names at most
// maxRefOffsets ascending offsets, none negative, and encodes back to the
// same bytes.
func FuzzDecodeOffsets(f *testing.F) {
	f.Add(encodeOffsets([]int64{3, 4, 9}))
	f.Add([]byte{offsetsVersion, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1})
	f.Fuzz(func(t *testing.T, ref []byte) {
		offsets, err := decodeOffsets(ref)
		if err != nil {
			return
		}
		require.NotEmpty(t, offsets)
		require.LessOrEqual(t, len(offsets), maxRefOffsets)
		for i, o := range offsets {
			require.GreaterOrEqual(t, o, int64(0))
			if i > 0 {
				require.Greater(t, o, offsets[i-1])
			}
		}
		if canonical := encodeOffsets(offsets); len(canonical) == len(ref) {
			assert.Equal(t, ref, canonical)
		}
	})
}
