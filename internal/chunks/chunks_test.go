// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package chunks

import (
	"bytes"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What is appended in steps, cut into pieces, reads back whole and in order.
func TestBufferKeepsWhatIsAppendedInOrder(t *testing.T) {
	var b Buffer
	var want []byte
	for i := range 12000 {
		record := bytes.Repeat([]byte{byte(i)}, 1+i%700)
		b.Tail = append(b.Tail, record...)
		b.Cut()
		want = append(want, record...)
	}
	assert.Greater(t, len(b.full), 1, "the buffer was cut into pieces")
	assert.Equal(t, len(want), b.Len())
	assert.Equal(t, want, b.Bytes())
	assert.Equal(t, append([]byte("head"), want...), b.AppendTo([]byte("head")))
}

// Take hands over the pieces cut so far, and with rest the tail too; what
// was taken, joined, and what is left are the bytes appended, also when
// the pieces taken are recycled into later ones.
func TestTakeHandsOverWhatIsCut(t *testing.T) {
	var b Buffer
	var want, got []byte
	for i := range 6000 {
		record := bytes.Repeat([]byte{byte(i)}, 1+i%700)
		b.Tail = append(b.Tail, record...)
		b.Cut()
		want = append(want, record...)
		if i%1000 == 999 {
			for _, piece := range b.Take(false) {
				assert.GreaterOrEqual(t, len(piece), Size, "only cut pieces are taken")
				got = append(got, piece...)
				// Written: the next Cut may reuse it.
				Recycle(piece)
			}
		}
	}
	assert.Less(t, len(got), len(want), "the tail stays")
	assert.Equal(t, want, append(slices.Clone(got), b.Bytes()...), "what is left follows what was taken")
	for _, piece := range b.Take(true) {
		got = append(got, piece...)
	}
	assert.Equal(t, want, got)
	assert.Equal(t, len(want), b.Len(), "Len counts what was taken")
	assert.Empty(t, b.Bytes(), "nothing is left")
	assert.Empty(t, b.Take(true))
}

// A Stream lays bytes out at their offsets, and a patch over a reserved
// field after them.
func TestStreamLaysOutPiecesAndPatches(t *testing.T) {
	var s Stream
	s.Append([]byte("len="))
	at := s.Reserve(2)
	s.Append([]byte("body"))
	s.Append(nil)
	s.Patch(at, []byte("04"))
	assert.Equal(t, int64(10), s.Len)
	file := make([]byte, s.Len)
	pieces := s.Take()
	require.Len(t, pieces, 4, "an empty append lays nothing out")
	for _, piece := range pieces {
		copy(file[piece.Offset:], piece.Data)
	}
	assert.Equal(t, "len=04body", string(file))
	assert.Empty(t, s.Take(), "taken pieces are let go of")
}
