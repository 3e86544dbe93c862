// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package binread decodes the varint-framed state the components store
// (checkpoints, sketches). The first error sticks: reads after it return
// zero values, so a decoder checks Err once at the end.
package binread // import "github.com/footfall-analytics/footfall/internal/binread"

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// ErrShort is the error of a read past the end of the data.
var ErrShort = errors.New("unexpected end of data")

// Reader reads from a byte slice.
type Reader struct {
	buf []byte
	err error
}

// New reads data.
func New(data []byte) *Reader { return &Reader{buf: data} }

// Err is the first error met, if any.
func (r *Reader) Err() error { return r.err }

// Len is the number of bytes not read yet.
func (r *Reader) Len() int { return len(r.buf) }

// Byte reads one byte.
func (r *Reader) Byte() byte {
	if r.err != nil || len(r.buf) == 0 {
		r.fail(ErrShort)
		return 0
	}
	b := r.buf[0]
	r.buf = r.buf[1:]
	return b
}

// Uvarint reads an unsigned varint.
func (r *Reader) Uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.fail(ErrShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Varint reads a signed varint.
func (r *Reader) Varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.fail(ErrShort)
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// Fixed64 reads 8 bytes, little endian.
func (r *Reader) Fixed64() uint64 {
	if r.err != nil || len(r.buf) < 8 {
		r.fail(ErrShort)
		return 0
	}
	v := binary.LittleEndian.Uint64(r.buf)
	r.buf = r.buf[8:]
	return v
}

// Next reads the next n bytes, refused when fewer are left. It returns a
// slice of the data, not a copy.
func (r *Reader) Next(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.buf)) {
		r.fail(fmt.Errorf("%d bytes wanted, %d left", n, len(r.buf)))
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

// Fail records err, for what a caller finds wrong in what it read; the
// first error sticks.
func (r *Reader) Fail(err error) { r.fail(err) }

// Count reads a length and refuses one longer than the bytes left could
// hold, so that corrupt data cannot make a caller allocate for it.
func (r *Reader) Count() uint64 {
	n := r.Uvarint()
	if n > uint64(len(r.buf)) {
		r.fail(fmt.Errorf("count %d exceeds the %d bytes left", n, len(r.buf)))
		return 0
	}
	return n
}

// Bytes reads a length-prefixed byte string. It returns a slice of the
// data, not a copy.
func (r *Reader) Bytes() []byte {
	n := r.Count()
	if r.err != nil {
		return nil
	}
	b := r.buf[:n]
	r.buf = r.buf[n:]
	return b
}

// Str reads a length-prefixed string.
func (r *Reader) Str() string { return string(r.Bytes()) }

// Bool reads a byte that must be 0 or 1.
func (r *Reader) Bool() bool {
	b := r.Byte()
	if b > 1 {
		r.fail(fmt.Errorf("boolean byte %d", b))
	}
	return b == 1
}

// Float64 reads 8 bytes, little endian, as a float64.
func (r *Reader) Float64() float64 { return math.Float64frombits(r.Fixed64()) }

// Time reads what binwrite's Time wrote: Unix nanoseconds, 0 for the zero
// time, in UTC.
func (r *Reader) Time() time.Time {
	v := r.Varint()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (r *Reader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// MaxInterned is how many strings a stream numbers: past it, a string not
// numbered yet is written whole each time and not numbered, so that the
// table of a base with a million distinct pages stays small on both sides.
// binwrite's Interned follows it.
const MaxInterned = 1 << 16

// Strings are the strings read through Interned so far, by number. Its
// zero value is ready; one Strings serves one decoding, or decodings of
// encodings written one after the other with one binwrite.Strings.
type Strings struct{ list []string }

// List is the strings read, by number; binwrite's StringsOf numbers them
// again.
func (t *Strings) List() []string { return t.list }

// Interned reads what binwrite's Interned wrote: a new string, or the
// number of one read before.
func (r *Reader) Interned(t *Strings) string {
	n := r.Uvarint()
	switch {
	case r.err != nil:
		return ""
	case n == 0:
		s := r.Str()
		if r.err == nil && len(t.list) < MaxInterned {
			t.list = append(t.list, s)
		}
		return s
	case n > uint64(len(t.list)):
		r.fail(fmt.Errorf("string number %d of %d read", n-1, len(t.list)))
		return ""
	}
	return t.list[n-1]
}

// FloatCompact reads what binwrite's FloatCompact wrote.
func (r *Reader) FloatCompact() float64 {
	n := r.Uvarint()
	switch {
	case n&1 == 0:
		return float64(n >> 1)
	case n == 1:
		return r.Float64()
	}
	r.fail(fmt.Errorf("number tag %d", n))
	return 0
}

// Nanos reads what binwrite's Nanos wrote.
func (r *Reader) Nanos() int64 {
	n := r.Uvarint()
	zigzag := n >> 1
	ns := int64(zigzag>>1) ^ -int64(zigzag&1)
	ns *= int64(time.Millisecond)
	if n&1 == 0 {
		return ns
	}
	rest := r.Uvarint()
	if r.err == nil && (rest == 0 || rest >= uint64(time.Millisecond)) {
		r.fail(fmt.Errorf("nanoseconds past a millisecond: %d", rest))
		return 0
	}
	return ns + int64(rest)
}
