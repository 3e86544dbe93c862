// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package binwrite encodes the varint-framed state the components store, as
// internal/binread reads it.
package binwrite // import "github.com/footfall-analytics/footfall/internal/binwrite"

import (
	"encoding/binary"
	"math"
	"time"

	"github.com/footfall-analytics/footfall/internal/binread"
)

// Writer appends to Buf.
type Writer struct{ Buf []byte }

func (w *Writer) Byte(b byte)       { w.Buf = append(w.Buf, b) }
func (w *Writer) Uvarint(v uint64)  { w.Buf = binary.AppendUvarint(w.Buf, v) }
func (w *Writer) Varint(v int64)    { w.Buf = binary.AppendVarint(w.Buf, v) }
func (w *Writer) Fixed64(v uint64)  { w.Buf = binary.LittleEndian.AppendUint64(w.Buf, v) }
func (w *Writer) Float64(v float64) { w.Fixed64(math.Float64bits(v)) }

// Bytes writes a length-prefixed byte string; Str a string so.
func (w *Writer) Bytes(b []byte) {
	w.Uvarint(uint64(len(b)))
	w.Buf = append(w.Buf, b...)
}

func (w *Writer) Str(s string) {
	w.Uvarint(uint64(len(s)))
	w.Buf = append(w.Buf, s...)
}

func (w *Writer) Bool(b bool) {
	if b {
		w.Byte(1)
	} else {
		w.Byte(0)
	}
}

// Time writes an instant as Unix nanoseconds, the zero time as 0.
func (w *Writer) Time(t time.Time) {
	if t.IsZero() {
		w.Varint(0)
		return
	}
	w.Varint(t.UnixNano())
}

// Strings numbers the strings a Writer wrote through Interned, so that a
// string written again costs its number (one byte for the first 127).
// Its zero value is ready; one Strings serves one encoding, or encodings
// read one after the other with one binread.Strings.
type Strings struct{ index map[string]uint64 }

// StringsOf numbers list as a Writer that wrote it in order would have:
// the table a reader that read list holds, so that writing goes on where
// the reading left off.
func StringsOf(list []string) *Strings {
	t := &Strings{index: make(map[string]uint64, len(list))}
	for i, s := range list {
		t.index[s] = uint64(i)
	}
	return t
}

// Interned writes s once: the first time as 0 then the string, after that
// as its number plus one. Past binread.MaxInterned strings, one not
// numbered yet is written whole every time. binread's Interned reads it.
func (w *Writer) Interned(t *Strings, s string) {
	if i, ok := t.index[s]; ok {
		w.Uvarint(i + 1)
		return
	}
	if t.index == nil {
		t.index = map[string]uint64{}
	}
	if len(t.index) < binread.MaxInterned {
		t.index[s] = uint64(len(t.index))
	}
	w.Uvarint(0)
	w.Str(s)
}

// maxWholeFloat is the largest whole number FloatCompact writes as a
// varint: every whole number up to it is a float64 exactly.
const maxWholeFloat = 1 << 53

// FloatCompact writes a float64 that is usually a count: a whole number
// from 0 to 2^53 as a varint of twice it (one to eight bytes), anything
// else as 1 then its 8 bytes.
func (w *Writer) FloatCompact(v float64) {
	if v >= 0 && v <= maxWholeFloat && v == math.Trunc(v) {
		w.Uvarint(uint64(v) << 1)
		return
	}
	w.Uvarint(1)
	w.Float64(v)
}

// Nanos writes a signed count of nanoseconds, a time or a time's distance
// from another, as its whole milliseconds (floored) zigzagged and shifted
// left, the low bit set when nanoseconds past them follow as a uvarint
// (1 to 999,999). Browser clocks give milliseconds, so the times a state
// holds are usually whole ones: half an hour takes four bytes, where a
// varint of its nanoseconds takes six. No int64 overflows on the way.
func (w *Writer) Nanos(ns int64) {
	ms, rest := ns/nanosPerMilli, ns%nanosPerMilli
	if rest < 0 {
		ms, rest = ms-1, rest+nanosPerMilli
	}
	zigzag := uint64(ms<<1) ^ uint64(ms>>63)
	if rest == 0 {
		w.Uvarint(zigzag << 1)
		return
	}
	w.Uvarint(zigzag<<1 | 1)
	w.Uvarint(uint64(rest))
}

const nanosPerMilli = int64(time.Millisecond)
