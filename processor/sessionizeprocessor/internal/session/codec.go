// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/footfall-analytics/footfall/internal/binread"
)

// encoder appends varint-framed fields.
type encoder struct{ buf []byte }

func (e *encoder) uint(v uint64) { e.buf = binary.AppendUvarint(e.buf, v) }
func (e *encoder) int(v int64)   { e.buf = binary.AppendVarint(e.buf, v) }
func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.buf = append(e.buf, s...)
}

func (e *encoder) float(v float64) {
	e.buf = binary.LittleEndian.AppendUint64(e.buf, math.Float64bits(v))
}

func (e *encoder) time(t time.Time) {
	if t.IsZero() {
		e.int(0)
		return
	}
	e.int(t.UnixNano())
}

func (e *encoder) bool(b bool) {
	if b {
		e.buf = append(e.buf, 1)
	} else {
		e.buf = append(e.buf, 0)
	}
}

// decoder reads what encoder wrote, on binread's Reader: the first error
// sticks and later reads return zero values, so callers check Err once at
// the end.
type decoder struct{ *binread.Reader }

func newDecoder(data []byte) *decoder { return &decoder{binread.New(data)} }

func (d *decoder) uint() uint64 { return d.Uvarint() }
func (d *decoder) int() int64   { return d.Varint() }
func (d *decoder) str() string  { return string(d.Bytes()) }

// fixedBytes reads a length of 8 bytes (little endian) and returns a slice
// of the decoder's buffer that long, not a copy.
func (d *decoder) fixedBytes() []byte { return d.Next(d.Fixed64()) }

// float reads a float64 that must be finite and not negative: the only
// floats a checkpoint holds are sums of goal values.
func (d *decoder) float() float64 {
	v := math.Float64frombits(d.Fixed64())
	if d.Err() == nil && (math.IsNaN(v) || math.IsInf(v, 0) || v < 0) {
		d.Fail(fmt.Errorf("checkpoint is corrupt: amount %v", v))
		return 0
	}
	return v
}

func (d *decoder) time() time.Time {
	v := d.int()
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(0, v).UTC()
}

func (d *decoder) bool() bool {
	b := d.Byte()
	if b > 1 {
		d.Fail(fmt.Errorf("checkpoint is corrupt: boolean byte %d", b))
	}
	return b == 1
}
