// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/binwrite"
)

// encoder appends varint-framed fields. From compactVersion on, the
// strings many sessions share (sites, pages, countries, devices,
// attribution, goals, currencies, bot verdicts) are written through name:
// each once in a stream, then as its number (binwrite.Interned). names is
// the stream's table; nil before compactVersion, where name writes the
// string itself.
type encoder struct {
	buf   []byte
	names *binwrite.Strings
	// since is the Unix nanoseconds of the watermark of the tracker's part
	// being encoded (0 for none): from spanVersion on, a session's start and
	// an ended session's memory count from it.
	since int64
}

// span writes the distance between two of a session's times, never
// negative: from spanVersion on as binwrite's Nanos, before it as a uvarint
// of nanoseconds.
func (e *encoder) span(ns int64, version byte) {
	if version < spanVersion {
		e.uint(uint64(ns))
		return
	}
	e.nanos(ns)
}

// signedSpan writes a distance that may be negative: a varint before
// spanVersion.
func (e *encoder) signedSpan(ns int64, version byte) {
	if version < spanVersion {
		e.int(ns)
		return
	}
	e.nanos(ns)
}

// instant writes a session's start: from spanVersion on, its distance from
// since; before it, Unix nanoseconds.
func (e *encoder) instant(ns int64, version byte) {
	if version < spanVersion {
		e.int(ns)
		return
	}
	e.nanos(ns - e.since)
}

// until writes an ended session's memory's end as instant does, the zero
// time as 0 before spanVersion.
func (e *encoder) until(t time.Time, version byte) {
	if version < spanVersion {
		e.time(t)
		return
	}
	e.instant(t.UnixNano(), version)
}

func (e *encoder) nanos(ns int64) {
	w := binwrite.Writer{Buf: e.buf}
	w.Nanos(ns)
	e.buf = w.Buf
}

// nanosOf is a watermark's Unix nanoseconds, 0 for none.
func nanosOf(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// name writes a string many sessions share.
func (e *encoder) name(s string) {
	if e.names == nil {
		e.str(s)
		return
	}
	w := binwrite.Writer{Buf: e.buf}
	w.Interned(e.names, s)
	e.buf = w.Buf
}

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
type decoder struct {
	*binread.Reader
	// names is the table of the stream being read (encoder's names).
	names *binread.Strings
	// since is encoder's since, read from the part's watermark.
	since int64
}

// span, signedSpan, instant and until read what encoder's methods of the
// same names wrote.
func (d *decoder) span(version byte) int64 {
	if version < spanVersion {
		return int64(d.uint())
	}
	return d.Nanos()
}

func (d *decoder) signedSpan(version byte) int64 {
	if version < spanVersion {
		return d.int()
	}
	return d.Nanos()
}

func (d *decoder) instant(version byte) int64 {
	if version < spanVersion {
		return d.int()
	}
	return d.since + d.Nanos()
}

func (d *decoder) until(version byte) time.Time {
	if version < spanVersion {
		return d.time()
	}
	return time.Unix(0, d.instant(version)).UTC()
}

func newDecoder(data []byte) *decoder { return &decoder{Reader: binread.New(data)} }

// name reads what encoder's name wrote.
func (d *decoder) name() string {
	if d.names == nil {
		return d.str()
	}
	return d.Interned(d.names)
}

// startNames starts a stream's table of names, from compactVersion on.
func (d *decoder) startNames(version byte) {
	d.names = nil
	if version >= compactVersion {
		d.names = &binread.Strings{}
	}
}

// newNames is a new stream's table of names at version: none before
// compactVersion.
func newNames(version byte) *binwrite.Strings {
	if version < compactVersion {
		return nil
	}
	return &binwrite.Strings{}
}

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
