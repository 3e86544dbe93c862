// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package chunks is an append-only byte buffer kept in pieces, for large
// encodings made a step at a time by a goroutine that must not stall: a
// piece is never copied or zeroed in bulk as the buffer grows, and the
// pieces are joined once, by whoever reads the result, or written to a file
// as they are cut (Take and Stream), so that the whole encoding is never in
// memory at once.
package chunks // import "github.com/footfall-analytics/footfall/internal/chunks"

import (
	"sync"
)

// Size is about how large a piece grows before the next one starts.
const Size = 1 << 20

// Buffer is appended to through Tail, then Cut; the zero value is empty.
type Buffer struct {
	// Tail is the piece being appended to.
	Tail []byte
	full [][]byte
	size int
}

// Cut starts a new piece once the tail has reached Size.
func (b *Buffer) Cut() {
	if len(b.Tail) < Size {
		return
	}
	b.full = append(b.full, b.Tail)
	b.size += len(b.Tail)
	b.Tail = newPiece()
}

// pieceCap is a piece's capacity: room for the record that crosses Size.
const pieceCap = Size + Size/8

// pieces keeps the pieces a writer is done with (Recycle) for the next
// Cut. Written as it is encoded, a large encoding then reuses a few pieces
// rather than allocating all of it: memory the GC would not take back
// before the heap had grown by as much, so that a base checkpoint of a
// million sessions raised the peak RSS by its whole size even when written
// piece by piece.
var pieces = sync.Pool{New: func() any {
	piece := make([]byte, 0, pieceCap)
	return &piece
}}

func newPiece() []byte { return (*pieces.Get().(*[]byte))[:0] }

// Recycle gives back a piece that was taken (Take) and written, and that
// nothing refers to any more: the next Cut may reuse it.
func Recycle(piece []byte) {
	if cap(piece) != pieceCap {
		return
	}
	piece = piece[:0]
	pieces.Put(&piece)
}

// Take returns the pieces cut since the last Take and lets go of them, so
// that they can be written while more is appended; with rest, it takes the
// tail too and the buffer starts empty. Len still counts what was taken;
// AppendTo and Bytes hold only what was not.
func (b *Buffer) Take(rest bool) [][]byte {
	taken := b.full
	b.full = nil
	if rest && len(b.Tail) > 0 {
		taken = append(taken, b.Tail)
		b.size += len(b.Tail)
		b.Tail = nil
	}
	return taken
}

// Len is the number of bytes appended.
func (b *Buffer) Len() int { return b.size + len(b.Tail) }

// AppendTo appends the buffer's bytes to dst.
func (b *Buffer) AppendTo(dst []byte) []byte {
	for _, piece := range b.full {
		dst = append(dst, piece...)
	}
	return append(dst, b.Tail...)
}

// Bytes joins the pieces.
func (b *Buffer) Bytes() []byte { return b.AppendTo(make([]byte, 0, b.Len())) }
