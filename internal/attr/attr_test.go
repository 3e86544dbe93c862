// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package attr

import (
	"math"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/schema"
)

func TestMeasure(t *testing.T) {
	tests := []struct {
		name  string
		key   string
		set   func(m pcommon.Map, key string)
		want  MeasureStatus
		value float64
	}{
		{"absent", schema.AttrGoalValue, func(pcommon.Map, string) {}, MeasureAbsent, 0},
		{"int", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutInt(k, 12) }, MeasureValid, 12},
		{"double", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutDouble(k, 9.5) }, MeasureValid, 9.5},
		{"numeric string", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutStr(k, "19.99") }, MeasureValid, 19.99},
		{"zero", schema.AttrEngagementTimeMs, func(m pcommon.Map, k string) { m.PutInt(k, 0) }, MeasureValid, 0},
		{"NaN string", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutStr(k, "NaN") }, MeasureInvalid, 0},
		{"Inf string", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutStr(k, "+Inf") }, MeasureInvalid, 0},
		{"NaN double", schema.AttrWebVitalValue, func(m pcommon.Map, k string) { m.PutDouble(k, math.NaN()) }, MeasureInvalid, 0},
		{"-Inf double", schema.AttrWebVitalValue, func(m pcommon.Map, k string) { m.PutDouble(k, math.Inf(-1)) }, MeasureInvalid, 0},
		{"negative", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutStr(k, "-1e9") }, MeasureInvalid, 0},
		{"negative int", schema.AttrSessionDurationMs, func(m pcommon.Map, k string) { m.PutInt(k, -5) }, MeasureInvalid, 0},
		{"scroll depth over 100", schema.AttrEngagementScrollDepth, func(m pcommon.Map, k string) { m.PutInt(k, 101) }, MeasureInvalid, 0},
		{"scroll depth 100", schema.AttrEngagementScrollDepth, func(m pcommon.Map, k string) { m.PutInt(k, 100) }, MeasureValid, 100},
		{"not a number", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutStr(k, "ten") }, MeasureInvalid, 0},
		{"bool", schema.AttrGoalValue, func(m pcommon.Map, k string) { m.PutBool(k, true) }, MeasureInvalid, 0},
		{"unknown key NaN", "custom", func(m pcommon.Map, k string) { m.PutDouble(k, math.NaN()) }, MeasureInvalid, 0},
		{"unknown key negative", "custom", func(m pcommon.Map, k string) { m.PutInt(k, -3) }, MeasureValid, -3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			tt.set(m, tt.key)
			v, status := Measure(m, tt.key)
			if status != tt.want || v != tt.value {
				t.Fatalf("Measure = %v, %v; want %v, %v", v, status, tt.value, tt.want)
			}
		})
	}
}

func TestLookupPrefersResource(t *testing.T) {
	res, rec := pcommon.NewMap(), pcommon.NewMap()
	rec.PutStr(schema.AttrSiteID, "record")
	if got := Lookup(res, rec, schema.AttrSiteID); got != "record" {
		t.Fatalf("fallback to record: got %q", got)
	}
	res.PutStr(schema.AttrSiteID, "resource")
	if got := Lookup(res, rec, schema.AttrSiteID); got != "resource" {
		t.Fatalf("resource first: got %q", got)
	}
	rec.PutInt("n", 3)
	if got := Str(rec, "n"); got != "" {
		t.Fatalf("Str of an int: got %q", got)
	}
}

// The typed readers take a value only of their type; PutNonEmpty writes
// only a value.
func TestTypedReadersAndPutNonEmpty(t *testing.T) {
	m := pcommon.NewMap()
	m.PutStr("s", "x")
	m.PutInt("i", 7)
	m.PutBool("b", true)
	m.PutStr("empty", "")
	for key, want := range map[string]struct {
		s  string
		ok bool
	}{"s": {"x", true}, "empty": {"", true}, "i": {"", false}, "none": {"", false}} {
		s, ok := StrOK(m, key)
		if s != want.s || ok != want.ok {
			t.Errorf("StrOK(%q) = %q, %v", key, s, ok)
		}
	}
	if Int(m, "i") != 7 || Int(m, "s") != 0 || !Bool(m, "b") || Bool(m, "i") {
		t.Error("Int or Bool read a value of another type")
	}
	PutNonEmpty(m, "new", "")
	PutNonEmpty(m, "set", "v")
	if _, ok := m.Get("new"); ok || Str(m, "set") != "v" {
		t.Error("PutNonEmpty wrote an empty value or missed a value")
	}
}
