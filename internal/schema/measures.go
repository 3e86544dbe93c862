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
// values they may take: each bounded by the largest value a real visit can
// give (docs/events.md), so that no single event can dominate a sum, and
// sums stay finite. The receiver refuses an event whose measure is out of
// range; the sessionizer and the connector skip (and count) one that
// reaches them anyway: a sum must never turn NaN or infinite, and a
// counter must never go down.
var Measures = map[string]Range{
	// A trillion units of any currency: more than any one purchase.
	AttrGoalValue: {0, MaxGoalValue},
	// A day of engaged time on one page view.
	AttrEngagementTimeMs:      {0, 24 * 3600 * 1000},
	AttrEngagementScrollDepth: {0, 100},
	// An hour, in milliseconds (LCP, INP, FCP, TTFB); CLS is a small score.
	AttrWebVitalValue: {0, 3600 * 1000},
	// A week: sessions end at midnight and after the maximum duration.
	AttrSessionDurationMs: {0, 7 * 24 * 3600 * 1000},
	AttrSessionPageViews:  {0, 1_000_000},
}

// MaxGoalValue is the largest goal value, and the largest sum of one
// session's goal values in one currency.
const MaxGoalValue = 1e12
