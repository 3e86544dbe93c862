// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package chunks is an append-only byte buffer kept in pieces, for large
// encodings made a step at a time by a goroutine that must not stall: a
// piece is never copied or zeroed in bulk as the buffer grows, and the
// pieces are joined once, by whoever reads the result.
package chunks // import "github.com/footfall-analytics/footfall/internal/chunks"

import "io"

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
	b.Tail = make([]byte, 0, Size+Size/8)
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

// WriteTo writes the buffer's bytes to w piece by piece, without joining
// them: a large encoding goes to a file without a second copy in memory.
func (b *Buffer) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, piece := range append(b.full, b.Tail) {
		written, err := w.Write(piece)
		n += int64(written)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Bytes joins the pieces.
func (b *Buffer) Bytes() []byte { return b.AppendTo(make([]byte, 0, b.Len())) }
