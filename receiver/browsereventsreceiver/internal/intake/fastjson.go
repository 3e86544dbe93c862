// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// decodeJSONFast decodes the OTLP/JSON a browser sends (footfall.js, the
// OpenTelemetry JS SDK) into pdata in one pass, leaving room on each record
// for room(pageView, query) more attributes, where enrichment puts what it
// derives (pageView unless the record's name, read before its attributes,
// says otherwise; query when its url.full has one). It
// knows the camelCase fields of logs and string, bool, int and double
// values, written without escapes; for anything else (a field it does not
// know, snake_case, arrays, maps, bytes, trace ids, an escaped string, a
// duplicate attribute, null, trailing bytes, malformed JSON) it reports
// false and the caller decodes with pdata, which knows all of OTLP. What it
// decodes, pdata decodes the same (FuzzFastJSONDecodesAsPdata): pdata's
// decoder spends most of its time and allocations on generality the
// browser's payload does not use, and allocates each record's attributes
// once more when enrichment adds to them.
func decodeJSONFast(body []byte, room func(pageView, query bool) int) (plog.Logs, bool) {
	d := fastDecoder{s: scanner{b: body}, room: room}
	logs := plog.NewLogs()
	ok := d.s.object(func(key []byte) bool {
		if string(key) != "resourceLogs" {
			return false
		}
		return d.s.array(func() bool { return d.resourceLogs(logs.ResourceLogs().AppendEmpty()) })
	})
	if !ok || !d.s.end() {
		return plog.Logs{}, false
	}
	return logs, true
}

// fastDecoder builds pdata from what its scanner reads; kvs is scratch
// space for one attribute list, read whole before the map is sized.
type fastDecoder struct {
	s    scanner
	room func(pageView, query bool) int
	kvs  []keyValue
	// text gathers the strings of one attribute list (keys the schema
	// does not know, string values), made into one string once the list
	// is read: one allocation for the list rather than one per string.
	text []byte
}

// keyValue is one attribute as read: a string, bool, int or double, or
// nothing (an empty value). A key or string value not yet made a string is
// at [keyAt, keyEnd) or [strAt, strEnd) of the decoder's text.
type keyValue struct {
	key            string
	kind           pcommon.ValueType
	str            string
	num            int64
	dbl            float64
	bool           bool
	keyAt, keyEnd  int
	strAt, strEnd  int
	keyText, strIn bool
}

func (d *fastDecoder) resourceLogs(rl plog.ResourceLogs) bool {
	return d.s.object(func(key []byte) bool {
		switch string(key) {
		case "resource":
			return d.s.object(func(key []byte) bool {
				switch string(key) {
				case "attributes":
					return d.attributes(rl.Resource().Attributes(), 0)
				case "droppedAttributesCount":
					n, ok := d.uint(32)
					rl.Resource().SetDroppedAttributesCount(uint32(n))
					return ok
				}
				return false
			})
		case "scopeLogs":
			return d.s.array(func() bool { return d.scopeLogs(rl.ScopeLogs().AppendEmpty()) })
		case "schemaUrl":
			s, ok := d.s.string()
			rl.SetSchemaUrl(s)
			return ok
		}
		return false
	})
}

func (d *fastDecoder) scopeLogs(sl plog.ScopeLogs) bool {
	return d.s.object(func(key []byte) bool {
		switch string(key) {
		case "scope":
			return d.scope(sl.Scope())
		case "logRecords":
			return d.s.array(func() bool { return d.logRecord(sl.LogRecords().AppendEmpty()) })
		case "schemaUrl":
			s, ok := d.s.string()
			sl.SetSchemaUrl(s)
			return ok
		}
		return false
	})
}

func (d *fastDecoder) scope(scope pcommon.InstrumentationScope) bool {
	return d.s.object(func(key []byte) bool {
		switch string(key) {
		case "name":
			s, ok := d.s.string()
			scope.SetName(s)
			return ok
		case "version":
			s, ok := d.s.string()
			scope.SetVersion(s)
			return ok
		case "attributes":
			return d.attributes(scope.Attributes(), 0)
		case "droppedAttributesCount":
			n, ok := d.uint(32)
			scope.SetDroppedAttributesCount(uint32(n))
			return ok
		}
		return false
	})
}

func (d *fastDecoder) logRecord(lr plog.LogRecord) bool {
	pageView := true
	return d.s.object(func(key []byte) bool {
		switch string(key) {
		case "timeUnixNano":
			n, ok := d.uint(64)
			lr.SetTimestamp(pcommon.Timestamp(n))
			return ok
		case "observedTimeUnixNano":
			n, ok := d.uint(64)
			lr.SetObservedTimestamp(pcommon.Timestamp(n))
			return ok
		case "severityNumber":
			n, ok := d.s.plainUint()
			if !ok || n > math.MaxInt32 {
				return false
			}
			lr.SetSeverityNumber(plog.SeverityNumber(n))
			return true
		case "severityText":
			s, ok := d.s.string()
			lr.SetSeverityText(s)
			return ok
		case "eventName":
			s, ok := d.s.string()
			lr.SetEventName(s)
			pageView = s == schema.EventPageView
			return ok
		case "body":
			var kv keyValue
			if !d.value(&kv, false) {
				return false
			}
			kv.putTo(lr.Body())
			return true
		case "attributes":
			return d.recordAttributes(lr.Attributes(), pageView)
		case "droppedAttributesCount":
			n, ok := d.uint(32)
			lr.SetDroppedAttributesCount(uint32(n))
			return ok
		case "flags":
			n, ok := d.uint(32)
			lr.SetFlags(plog.LogRecordFlags(n))
			return ok
		}
		return false
	})
}

// recordAttributes reads a record's attributes, leaving the room
// enrichment needs.
func (d *fastDecoder) recordAttributes(m pcommon.Map, pageView bool) bool {
	if !d.readAttributes() {
		return false
	}
	query := false
	for i := range d.kvs {
		if d.kvs[i].key == schema.AttrURLFull && d.kvs[i].kind == pcommon.ValueTypeStr {
			query = strings.IndexByte(d.kvs[i].str, '?') >= 0
		}
	}
	return d.putAttributes(m, d.room(pageView, query))
}

// attributes reads an attribute list into m, sized for it.
func (d *fastDecoder) attributes(m pcommon.Map, spare int) bool {
	return d.readAttributes() && d.putAttributes(m, spare)
}

// readAttributes reads an attribute list into d.kvs.
func (d *fastDecoder) readAttributes() bool {
	d.kvs, d.text = d.kvs[:0], d.text[:0]
	ok := d.s.array(func() bool {
		kv := keyValue{}
		seenKey := false
		if !d.s.object(func(key []byte) bool {
			switch string(key) {
			case "key":
				k, ok := d.s.bytes()
				seenKey = true
				if known, isKnown := clientSent[string(k)]; isKnown {
					kv.key, kv.keyText = known, false
				} else {
					kv.keyAt, kv.keyText = len(d.text), true
					d.text = append(d.text, k...)
					kv.keyEnd = len(d.text)
				}
				return ok
			case "value":
				return d.value(&kv, true)
			}
			return false
		}) || !seenKey {
			return false
		}
		d.kvs = append(d.kvs, kv)
		return true
	})
	if !ok {
		return false
	}
	text := string(d.text)
	for i := range d.kvs {
		kv := &d.kvs[i]
		if kv.keyText {
			kv.key = text[kv.keyAt:kv.keyEnd]
		}
		if kv.strIn {
			kv.str = text[kv.strAt:kv.strEnd]
		}
	}
	return true
}

// putAttributes puts what readAttributes read into m, sized for it and
// spare more. A key twice is left to pdata, which keeps both.
func (d *fastDecoder) putAttributes(m pcommon.Map, spare int) bool {
	m.EnsureCapacity(m.Len() + len(d.kvs) + spare)
	for i := range d.kvs {
		before := m.Len()
		v := m.PutEmpty(d.kvs[i].key)
		if m.Len() == before {
			return false // a key twice
		}
		d.kvs[i].putTo(v)
	}
	return true
}

// value reads an AnyValue object into kv; inText puts a string in the
// decoder's text (readAttributes makes it a string) rather than copying it
// at once.
func (d *fastDecoder) value(kv *keyValue, inText bool) bool {
	kv.kind = pcommon.ValueTypeEmpty
	return d.s.object(func(key []byte) bool {
		switch string(key) {
		case "stringValue":
			kv.kind = pcommon.ValueTypeStr
			if !inText {
				s, ok := d.s.string()
				kv.str = s
				return ok
			}
			b, ok := d.s.bytes()
			kv.strAt, kv.strIn = len(d.text), true
			d.text = append(d.text, b...)
			kv.strEnd = len(d.text)
			return ok
		case "boolValue":
			kv.kind = pcommon.ValueTypeBool
			b, ok := d.s.boolean()
			kv.bool = b
			return ok
		case "intValue":
			kv.kind = pcommon.ValueTypeInt
			n, ok := d.int()
			kv.num = n
			return ok
		case "doubleValue":
			kv.kind = pcommon.ValueTypeDouble
			f, ok := d.double()
			kv.dbl = f
			return ok
		}
		return false
	})
}

func (kv *keyValue) putTo(v pcommon.Value) {
	switch kv.kind {
	case pcommon.ValueTypeStr:
		v.SetStr(kv.str)
	case pcommon.ValueTypeBool:
		v.SetBool(kv.bool)
	case pcommon.ValueTypeInt:
		v.SetInt(kv.num)
	case pcommon.ValueTypeDouble:
		v.SetDouble(kv.dbl)
	}
}

// uint reads an unsigned integer of bits bits, as OTLP/JSON writes one: a
// number, or a decimal string (read as pdata reads it).
func (d *fastDecoder) uint(bits int) (uint64, bool) {
	if d.s.peek() == '"' {
		s, ok := d.s.bytes()
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseUint(string(s), 10, bits)
		return n, err == nil
	}
	n, ok := d.s.plainUint()
	return n, ok && (bits == 64 || n < 1<<bits)
}

// int reads a signed 64-bit integer, a number or a decimal string.
func (d *fastDecoder) int() (int64, bool) {
	if d.s.peek() == '"' {
		s, ok := d.s.bytes()
		if !ok {
			return 0, false
		}
		n, err := strconv.ParseInt(string(s), 10, 64)
		return n, err == nil
	}
	return d.s.plainInt()
}

// double reads a number or a string, as strconv reads it.
func (d *fastDecoder) double() (float64, bool) {
	var token []byte
	var ok bool
	if d.s.peek() == '"' {
		token, ok = d.s.bytes()
	} else {
		token, ok = d.s.number()
	}
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(token), 64)
	return f, err == nil
}

// clientSent holds the attribute keys trackers send (schema.ClientSent),
// so that they are not allocated again for every record.
var clientSent = func() map[string]string {
	m := make(map[string]string, len(schema.ClientSent))
	for _, k := range schema.ClientSent {
		m[k] = k
	}
	return m
}()
