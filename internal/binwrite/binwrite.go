// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package binwrite encodes the varint-framed state the components store, as
// internal/binread reads it.
package binwrite // import "github.com/footfall-analytics/footfall/internal/binwrite"

import (
	"encoding/binary"
	"math"
	"time"
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
