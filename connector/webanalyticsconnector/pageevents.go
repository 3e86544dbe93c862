// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strings"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// pageEvent counts what a visitor did on a page: the event by name, its
// kind's own metric, the session it starts, and what the sessionize
// processor marked on it: late, a goal, funnel steps. Then its custom
// properties.
func (e *event) pageEvent() {
	if attr.Bool(e.attrs, schema.AttrEventLate) {
		e.counts.late++
	}
	e.count(eventsByName, e.name)
	path := e.agg.paths.Normalize(e.str(schema.AttrURLPath))
	if seq, ok := e.attrs.Get(schema.AttrSessionSeq); ok && seq.Int() == 1 {
		e.sessionFirstEvent()
	}
	switch e.name {
	case schema.EventPageView:
		e.count(pageViews)
		e.count(pageViewsByPath, path)
	case schema.EventClick:
		e.count(clicks, path, orUnknown(e.str(schema.AttrClickElement)))
	case schema.EventEngagement:
		if ms, ok := e.measure(schema.AttrEngagementTimeMs); ok {
			e.put(engagedTime, ms/1000, path)
		}
	case schema.EventWebVital:
		e.webVital(path)
	}
	if attr.Bool(e.attrs, schema.AttrEventGoal) {
		e.goal()
	}
	if len(e.agg.properties) > 0 {
		e.properties()
	}
	if steps, ok := e.attrs.Get(schema.AttrSessionFunnelSteps); ok {
		e.funnelSteps(steps)
	}
}

func (e *event) webVital(path string) {
	v, ok := e.measure(schema.AttrWebVitalValue)
	if !ok {
		return
	}
	switch strings.ToUpper(e.str(schema.AttrWebVitalName)) {
	case "LCP":
		e.put(webVitalLCP, v/1000, path)
	case "INP":
		e.put(webVitalINP, v/1000, path)
	case "CLS":
		e.put(webVitalCLS, v, path)
	}
}

// properties counts the event under the value of each of its configured
// custom properties that it carries.
func (e *event) properties() {
	for _, key := range e.agg.properties[e.name] {
		v, ok := e.attrs.Get(key)
		if !ok {
			continue
		}
		value, ok := attr.Label(v)
		if !ok {
			e.skip(skippedInvalidProperty)
			continue
		}
		e.count(eventsByProperty, e.name, key, value)
	}
}
