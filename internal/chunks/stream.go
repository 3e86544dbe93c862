// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package chunks // import "github.com/footfall-analytics/footfall/internal/chunks"

// Piece is bytes of an encoding and where they stand in it.
type Piece struct {
	Offset int64
	Data   []byte
}

// Stream lays an encoding out as pieces with their offsets, for a writer
// that writes them to a file as they come (io.WriterAt): bytes appended in
// order, and a field written once the bytes after it are known (a length
// that comes before what it counts). The zero value starts at offset 0.
type Stream struct {
	// Len is how many bytes were appended.
	Len    int64
	pieces []Piece
}

// Append adds data after what was appended; the stream keeps data, which
// must not change afterwards.
func (s *Stream) Append(data []byte) {
	if len(data) == 0 {
		return
	}
	s.pieces = append(s.pieces, Piece{Offset: s.Len, Data: data})
	s.Len += int64(len(data))
}

// Reserve appends n zero bytes for a field written later with Patch, and
// returns their offset.
func (s *Stream) Reserve(n int) int64 {
	at := s.Len
	s.Append(make([]byte, n))
	return at
}

// Patch writes data at offset, over bytes appended before.
func (s *Stream) Patch(offset int64, data []byte) {
	s.pieces = append(s.pieces, Piece{Offset: offset, Data: data})
}

// Take returns the pieces laid out since the last Take, in the order they
// were, and lets go of them.
func (s *Stream) Take() []Piece {
	taken := s.pieces
	s.pieces = nil
	return taken
}
