// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package attr reads event attributes the one way every component reads
// them: strings only when they are strings, numbers from ints, doubles or
// numeric strings, and measures only when they are in range.
package attr // import "github.com/footfall-analytics/footfall/internal/attr"

import (
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// Str is the string value of key, or "" when it is absent or not a string.
func Str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

// StrOK is the string value of key, and whether key holds a string.
func StrOK(m pcommon.Map, key string) (string, bool) {
	v, ok := m.Get(key)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return "", false
	}
	return v.Str(), true
}

// Int is the value of key when it is an int, else 0.
func Int(m pcommon.Map, key string) int64 {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeInt {
		return v.Int()
	}
	return 0
}

// Bool is the value of key when it is a bool, else false.
func Bool(m pcommon.Map, key string) bool {
	v, ok := m.Get(key)
	return ok && v.Type() == pcommon.ValueTypeBool && v.Bool()
}

// PutNonEmpty sets key to value unless value is empty: an attribute the
// pipeline could not derive is left out, not written empty.
func PutNonEmpty(m pcommon.Map, key, value string) {
	if value != "" {
		m.PutStr(key, value)
	}
}

// Lookup reads key from the resource, falling back to the record: the
// receiver puts site and visitor on the resource, other pipelines may not.
func Lookup(res, record pcommon.Map, key string) string {
	if v := Str(res, key); v != "" {
		return v
	}
	return Str(record, key)
}

// Number reads an int, a double, or a numeric string. It does not judge the
// value: see Measure.
func Number(m pcommon.Map, key string) (float64, bool) {
	v, ok := m.Get(key)
	if !ok {
		return 0, false
	}
	switch v.Type() {
	case pcommon.ValueTypeInt:
		return float64(v.Int()), true
	case pcommon.ValueTypeDouble:
		return v.Double(), true
	case pcommon.ValueTypeStr:
		f, err := strconv.ParseFloat(v.Str(), 64)
		return f, err == nil
	}
	return 0, false
}

// MeasureStatus says what Measure found.
type MeasureStatus int

const (
	// MeasureAbsent: the attribute is not there.
	MeasureAbsent MeasureStatus = iota
	// MeasureValid: a finite number within the measure's schema.Range.
	MeasureValid
	// MeasureInvalid: there, but not a number, not finite, or out of range.
	MeasureInvalid
)

// Measure reads the measure key (one of schema.Measures) and judges it
// against its range.
func Measure(m pcommon.Map, key string) (float64, MeasureStatus) {
	if _, present := m.Get(key); !present {
		return 0, MeasureAbsent
	}
	v, ok := Number(m, key)
	r, known := schema.Measures[key]
	if !known {
		r = schema.Range{Min: -math.MaxFloat64, Max: math.MaxFloat64}
	}
	if !ok || !r.Contains(v) {
		return 0, MeasureInvalid
	}
	return v, MeasureValid
}
