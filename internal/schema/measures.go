// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

import "math"

// Range is the closed interval a measure's value must lie in.
type Range struct{ Min, Max float64 }

// Contains reports whether v is a finite number within r: NaN and the
// infinities are never contained.
func (r Range) Contains(v float64) bool {
	return !math.IsNaN(v) && v >= r.Min && v <= r.Max && !math.IsInf(v, 0)
}

// MeasurePrefix starts the key of every measure.
const MeasurePrefix = "footfall."

// Measures are the numeric attributes that metrics sum or observe, with the
// values they may take. The receiver refuses an event whose measure is out of
// range; the connector skips (and counts) one that reaches it anyway: a sum
// must never turn NaN, and a counter must never go down.
var Measures = map[string]Range{
	AttrGoalValue:             {0, math.MaxFloat64},
	AttrEngagementTimeMs:      {0, math.MaxFloat64},
	AttrEngagementScrollDepth: {0, 100},
	AttrWebVitalValue:         {0, math.MaxFloat64},
	AttrSessionDurationMs:     {0, math.MaxFloat64},
	AttrSessionPageViews:      {0, math.MaxFloat64},
}
