// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strconv"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// sessionStart counts a session.start record: a session, new or returning.
func (e *event) sessionStart() {
	e.count(sessions)
	if returning, ok := e.attrs.Get(schema.AttrSessionReturning); ok && returning.Type() == pcommon.ValueTypeBool {
		visitorType := "new"
		if returning.Bool() {
			visitorType = "returning"
		}
		e.count(sessionsByVisitorType, visitorType)
	}
}

// sessionFirstEvent counts the session a session's first event starts,
// under that event's source, country, device and browser.
func (e *event) sessionFirstEvent() {
	source := e.trafficSource()
	e.count(sessionsByReferrer, source.class, source.source)
	if source.campaigned {
		e.count(sessionsByCampaign, source.utmSource, source.medium, source.campaign)
	}
	e.count(sessionsByCountry, orUnknown(e.str(schema.AttrGeoCountry)))
	e.count(sessionsByDevice, orUnknown(e.str(schema.AttrDeviceType)))
	e.count(sessionsByBrowser, orUnknown(e.str(schema.AttrUserAgentName)))
}

// sessionEnd counts a session.end record: why it ended, whether it
// bounced, how long and deep it was, where it entered and left, and what
// its first touch converted (attribution.go).
func (e *event) sessionEnd() {
	reason := e.str(schema.AttrSessionEndReason)
	if !schema.IsEndReason(reason) {
		reason = unknownValue
	}
	e.count(sessionsEnded, reason)
	if b, ok := e.attrs.Get(schema.AttrSessionBounce); ok && b.Bool() {
		e.count(bounces)
	}
	if ms, ok := e.measure(schema.AttrSessionDurationMs); ok {
		e.put(sessionDuration, ms/1000)
	}
	if pv, ok := e.measure(schema.AttrSessionPageViews); ok {
		e.put(sessionPageViews, pv)
	}
	if entry := e.str(schema.AttrSessionEntryPage); entry != "" {
		e.count(entries, e.agg.paths.Normalize(entry))
	}
	if exit := e.str(schema.AttrSessionExitPage); exit != "" {
		e.count(exits, e.agg.paths.Normalize(exit))
	}
	e.attributeConversions()
}

// funnelSteps counts the funnel steps the sessionize processor says the
// event did: each is one session reaching that step, once.
func (e *event) funnelSteps(steps pcommon.Value) {
	if steps.Type() != pcommon.ValueTypeMap {
		e.skip(skippedInvalidFunnelStep)
		return
	}
	for funnel, step := range steps.Map().All() {
		if step.Type() != pcommon.ValueTypeInt || step.Int() < 1 || step.Int() > schema.MaxFunnelSteps ||
			funnel == "" || len(funnel) > attr.MaxLabelBytes || !utf8.ValidString(funnel) {
			e.skip(skippedInvalidFunnelStep)
			continue
		}
		e.count(funnelSessions, funnel, strconv.Itoa(int(step.Int())))
	}
}
