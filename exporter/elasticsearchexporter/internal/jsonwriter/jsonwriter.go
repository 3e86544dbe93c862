// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package jsonwriter appends JSON objects to a byte slice as they are
// walked, with no intermediate maps: the exporter's documents are written
// field by field. An object that ends up with no field is taken back, so
// that empty objects are left out as the mapping wants. Strings and
// numbers are written byte for byte as encoding/json writes them (HTML
// characters escaped, invalid UTF-8 replaced), so that the output equals
// json.Marshal of the same object with its keys in sorted order, which the
// callers keep.
package jsonwriter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/jsonwriter"

import (
	"encoding/base64"
	"errors"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// ErrUnencodable is a value JSON cannot hold: a NaN or infinite double.
var ErrUnencodable = errors.New("a NaN or infinite number has no JSON form")

// Writer appends one JSON value to Buf. Keys must come in sorted order
// within each object for the output to equal encoding/json's.
type Writer struct {
	Buf []byte
	// open holds, per open object, where it began (to take it back) and
	// how many fields it has.
	open []frame
	err  error
}

type frame struct {
	start  int
	fields int
}

// Err is the first value that could not be written.
func (w *Writer) Err() error { return w.err }

// Begin opens the top-level object.
func (w *Writer) Begin() {
	w.err = nil
	w.open = append(w.open[:0], frame{start: len(w.Buf)})
	w.Buf = append(w.Buf, '{')
}

// End closes the top-level object (written even when empty).
func (w *Writer) End() {
	w.Buf = append(w.Buf, '}')
	w.open = w.open[:0]
}

// Object opens an object under key; Close closes it, or takes it back when
// it has no field.
func (w *Writer) Object(key string) {
	start := len(w.Buf)
	w.key(key)
	w.Buf = append(w.Buf, '{')
	w.open = append(w.open, frame{start: start})
}

// Close closes the innermost object opened by Object.
func (w *Writer) Close() {
	top := w.open[len(w.open)-1]
	w.open = w.open[:len(w.open)-1]
	if top.fields == 0 {
		w.Buf = w.Buf[:top.start]
		w.open[len(w.open)-1].fields--
		return
	}
	w.Buf = append(w.Buf, '}')
}

// key writes the separator and "key": and counts the field.
func (w *Writer) key(key string) {
	top := &w.open[len(w.open)-1]
	if top.fields > 0 {
		w.Buf = append(w.Buf, ',')
	}
	top.fields++
	w.Buf = AppendString(w.Buf, key)
	w.Buf = append(w.Buf, ':')
}

// String writes a string field; an empty one is left out.
func (w *Writer) String(key, v string) {
	if v == "" {
		return
	}
	w.key(key)
	w.Buf = AppendString(w.Buf, v)
}

// Field writes a string field, an empty one too.
func (w *Writer) Field(key, v string) {
	w.key(key)
	w.Buf = AppendString(w.Buf, v)
}

// Time writes a timestamp in RFC 3339 with nanoseconds, in UTC; the zero
// timestamp is left out.
func (w *Writer) Time(key string, ts pcommon.Timestamp) {
	if ts == 0 {
		return
	}
	w.TimeOf(key, ts.AsTime())
}

// TimeOf writes t in RFC 3339 with nanoseconds, in UTC, as a string.
func (w *Writer) TimeOf(key string, t time.Time) {
	w.key(key)
	w.Buf = append(w.Buf, '"')
	w.Buf = t.UTC().AppendFormat(w.Buf, time.RFC3339Nano)
	w.Buf = append(w.Buf, '"')
}

// List opens a list of objects under key; each is opened by Item and
// closed by EndItem, and EndList closes the list.
func (w *Writer) List(key string) {
	w.key(key)
	w.Buf = append(w.Buf, '[')
	w.open = append(w.open, frame{start: -1})
}

// Item opens the next object of a list.
func (w *Writer) Item() {
	top := &w.open[len(w.open)-1]
	if top.fields > 0 {
		w.Buf = append(w.Buf, ',')
	}
	top.fields++
	w.Buf = append(w.Buf, '{')
	w.open = append(w.open, frame{start: -1})
}

// EndItem closes an object of a list (written even when empty).
func (w *Writer) EndItem() {
	w.open = w.open[:len(w.open)-1]
	w.Buf = append(w.Buf, '}')
}

// EndList closes a list.
func (w *Writer) EndList() {
	w.open = w.open[:len(w.open)-1]
	w.Buf = append(w.Buf, ']')
}

// Value writes an attribute value of any type, an empty string included;
// an empty value is left out.
func (w *Writer) Value(key string, v pcommon.Value) {
	if v.Type() == pcommon.ValueTypeEmpty {
		return
	}
	w.key(key)
	w.value(v)
}

// Raw writes a field as any value, null for an empty one (as AsRaw and
// encoding/json write it).
func (w *Writer) Raw(key string, v pcommon.Value) {
	w.key(key)
	w.value(v)
}

func (w *Writer) value(v pcommon.Value) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		w.Buf = AppendString(w.Buf, v.Str())
	case pcommon.ValueTypeInt:
		w.Buf = strconv.AppendInt(w.Buf, v.Int(), 10)
	case pcommon.ValueTypeDouble:
		w.float(v.Double())
	case pcommon.ValueTypeBool:
		w.Buf = strconv.AppendBool(w.Buf, v.Bool())
	case pcommon.ValueTypeBytes:
		w.Buf = append(w.Buf, '"')
		w.Buf = base64.StdEncoding.AppendEncode(w.Buf, v.Bytes().AsRaw())
		w.Buf = append(w.Buf, '"')
	case pcommon.ValueTypeSlice:
		w.Buf = append(w.Buf, '[')
		for i, item := range v.Slice().All() {
			if i > 0 {
				w.Buf = append(w.Buf, ',')
			}
			w.value(item)
		}
		w.Buf = append(w.Buf, ']')
	case pcommon.ValueTypeMap:
		w.Buf = append(w.Buf, '{')
		w.open = append(w.open, frame{start: -1})
		for _, k := range SortedKeys(v.Map()) {
			item, _ := v.Map().Get(k)
			w.Raw(k, item)
		}
		w.open = w.open[:len(w.open)-1]
		w.Buf = append(w.Buf, '}')
	default:
		w.Buf = append(w.Buf, "null"...)
	}
}

// float writes f as encoding/json does.
func (w *Writer) float(f float64) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		if w.err == nil {
			w.err = ErrUnencodable
		}
		w.Buf = append(w.Buf, "null"...)
		return
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	w.Buf = strconv.AppendFloat(w.Buf, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(w.Buf)
		if n >= 4 && w.Buf[n-4] == 'e' && w.Buf[n-3] == '-' && w.Buf[n-2] == '0' {
			w.Buf[n-2] = w.Buf[n-1]
			w.Buf = w.Buf[:n-1]
		}
	}
}

// SortedKeys are m's keys in the order encoding/json writes a map's.
func SortedKeys(m pcommon.Map) []string {
	keys := make([]string, 0, m.Len())
	for k := range m.All() {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hex = "0123456789abcdef"

// AppendString appends s as a JSON string, escaped as encoding/json
// escapes it (HTML characters and U+2028/U+2029 too; invalid UTF-8 becomes
// U+FFFD).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
