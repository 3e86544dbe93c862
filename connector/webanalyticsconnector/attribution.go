// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// trafficSource is where a session came from, as labels: the referrer and
// campaign of its first page view.
type trafficSource struct {
	class, source, utmSource, medium, campaign string
	// campaigned is set when the page view had UTM parameters.
	campaigned bool
}

// trafficSource reads the event's source: a session's first event carries
// its own, a session.end the first touch the sessionize processor kept.
func (e *event) trafficSource() trafficSource {
	utmSource, medium, campaign := e.str(schema.AttrUTMSource), e.str(schema.AttrUTMMedium), e.str(schema.AttrUTMCampaign)
	return trafficSource{
		class:      orUnknown(e.str(schema.AttrReferrerClass)),
		source:     orUnknown(e.str(schema.AttrReferrerSource)),
		utmSource:  orUnknown(utmSource),
		medium:     orUnknown(medium),
		campaign:   orUnknown(campaign),
		campaigned: utmSource != "" || medium != "" || campaign != "",
	}
}

// attributeConversions counts an ended session under its first touch (the
// referrer and campaign of its first page view, as the sessionize processor
// reports them on session.end): once as a session, once for each goal it
// reached, and its goal values. Conversion rate by source is the second
// divided by the first.
func (e *event) attributeConversions() {
	touch := e.trafficSource()
	e.count(sessionsEndedByReferrer, touch.class, touch.source)
	if touch.campaigned {
		e.count(sessionsEndedByCampaign, touch.utmSource, touch.medium, touch.campaign)
	}
	e.attributeRevenue(touch)
	goals, ok := e.attrs.Get(schema.AttrSessionGoals)
	if !ok || goals.Type() != pcommon.ValueTypeSlice {
		return
	}
	for _, g := range goals.Slice().All() {
		// The sessionize processor writes only its configured goals, at
		// most session.MaxGoals; the breakdowns bound them again.
		goal, ok := attr.Label(g)
		if !ok {
			e.skip(skippedInvalidGoal)
			continue
		}
		e.count(conversionsByReferrer, goal, touch.class, touch.source)
		if touch.campaigned {
			e.count(conversionsByCampaign, goal, touch.utmSource, touch.medium, touch.campaign)
		}
	}
}

// attributeRevenue adds the session's goal values, per currency, to its
// first touch. A currency outside ISO 4217 or an amount that is not a
// valid goal value is skipped and counted: only the sessionize processor
// writes the attribute, so neither happens unless something upstream is
// broken.
func (e *event) attributeRevenue(touch trafficSource) {
	sums, ok := e.attrs.Get(schema.AttrSessionRevenue)
	if !ok || sums.Type() != pcommon.ValueTypeMap {
		return
	}
	for currency, amount := range sums.Map().All() {
		value, valid := goalAmount(amount)
		if !valid || !schema.IsCurrency(currency) {
			e.skip(skippedInvalidMeasure)
			continue
		}
		currency = e.site.currency(currency)
		e.put(revenueByReferrer, value, currency, touch.class, touch.source)
		if touch.campaigned {
			e.put(revenueByCampaign, value, currency, touch.utmSource, touch.medium, touch.campaign)
		}
	}
}

// goalAmount reads one currency's sum of goal values.
func goalAmount(v pcommon.Value) (float64, bool) {
	var f float64
	switch v.Type() {
	case pcommon.ValueTypeDouble:
		f = v.Double()
	case pcommon.ValueTypeInt:
		f = float64(v.Int())
	default:
		return 0, false
	}
	return f, schema.Measures[schema.AttrGoalValue].Contains(f)
}
