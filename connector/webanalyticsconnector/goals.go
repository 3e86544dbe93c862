// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strings"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// goal counts a conversion and its value once per event id: a goal event
// replayed after a crash upstream must never double revenue.
func (e *event) goal() {
	if id := e.str(schema.AttrEventID); id != "" && e.agg.revenue.Seen(e.siteID, id, e.at) {
		e.skip(skippedDuplicateGoal)
		return
	}
	e.count(goalConversions, e.name)
	value, ok := e.measure(schema.AttrGoalValue)
	if !ok {
		return
	}
	currency := strings.ToUpper(e.str(schema.AttrGoalCurrency))
	if schema.IsCurrency(currency) {
		currency = e.site.currency(currency)
	} else {
		currency = unknownValue
	}
	e.put(revenue, value, e.name, currency)
}
