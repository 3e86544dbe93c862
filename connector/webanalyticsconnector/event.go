// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/attr"
)

// event is one record being counted, with what every counting step needs:
// its site, its attributes, its name and time, and where its counts go.
type event struct {
	agg    *aggregator
	counts *counts
	siteID string
	site   *siteState
	attrs  pcommon.Map
	name   string
	// at is the event time, never past the wall clock (aggregator.see).
	at time.Time
}

// put adds v to the series of def and values (aggregator.put).
func (e *event) put(def *metricDef, v float64, values ...string) {
	e.agg.put(e.counts, e.siteID, e.site, def, v, values...)
}

// count adds one to the series of def and values.
func (e *event) count(def *metricDef, values ...string) {
	e.put(def, 1, values...)
}

func (e *event) skip(reason string) {
	e.counts.skipped[reason]++
}

// str is the string attribute key, or "".
func (e *event) str(key string) string {
	return attr.Str(e.attrs, key)
}

// measure reads a measure, counting it as skipped when it is present but
// invalid.
func (e *event) measure(key string) (float64, bool) {
	v, status := attr.Measure(e.attrs, key)
	if status == attr.MeasureInvalid {
		e.skip(skippedInvalidMeasure)
	}
	return v, status == attr.MeasureValid
}
