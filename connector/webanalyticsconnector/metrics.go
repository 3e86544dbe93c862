// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import "github.com/footfall-analytics/footfall/internal/schema"

// The exported metrics. Names are OpenTelemetry names; the prometheus
// exporter adds the unit and _total suffixes (docs/metrics.md lists the
// Prometheus names and the exact definitions).
var (
	pageViews = &metricDef{
		core: true, name: schema.MetricPageViews, unit: "{page_view}", kind: counter,
		description: "Page views.",
	}
	pageViewsByPath = &metricDef{
		core: true, name: schema.MetricPageViewsByPath, unit: "{page_view}", kind: counter, labels: []string{"path"}, breakdown: true,
		description: "Page views by page template; values outside the site's top K count as other.",
	}
	eventsByName = &metricDef{
		core: true, name: "footfall.events", unit: "{event}", kind: counter, labels: []string{"event_name"}, breakdown: true,
		description: "Browser events by name (page views, clicks, custom events).",
	}
	sessions = &metricDef{
		core: true, name: schema.MetricSessions, unit: "{session}", kind: counter,
		description: "Sessions started.",
	}
	sessionsByReferrer = &metricDef{
		core: true, name: schema.MetricSessionsByRef, unit: "{session}", kind: counter, labels: []string{"referrer_class", "referrer_source"}, breakdown: true,
		description: "Sessions started, by the referrer of their first event.",
	}
	sessionsByCampaign = &metricDef{
		name: "footfall.sessions.by_campaign", unit: "{session}", kind: counter, labels: []string{"utm_source", "utm_medium", "utm_campaign"}, breakdown: true,
		description: "Sessions started with UTM parameters, by source, medium and campaign.",
	}
	sessionsByCountry = &metricDef{
		core: true, name: schema.MetricSessionsByGeo, unit: "{session}", kind: counter, labels: []string{"country"}, breakdown: true,
		description: "Sessions started, by country of their first event.",
	}
	sessionsByDevice = &metricDef{
		core: true, name: schema.MetricSessionsByDevice, unit: "{session}", kind: counter, labels: []string{"device_type"}, breakdown: true,
		description: "Sessions started, by device type of their first event.",
	}
	sessionsByBrowser = &metricDef{
		core: true, name: "footfall.sessions.by_browser", unit: "{session}", kind: counter, labels: []string{"browser"}, breakdown: true,
		description: "Sessions started, by browser of their first event.",
	}
	sessionsByVisitorType = &metricDef{
		core: true, name: "footfall.sessions.by_visitor_type", unit: "{session}", kind: counter, labels: []string{"visitor_type"},
		description: "Sessions started, by visitor type: new, or returning (the visitor had a session within the sessionizer's returning_visitor_window).",
	}
	sessionsEnded = &metricDef{
		core: true, name: schema.MetricSessionsEnded, unit: "{session}", kind: counter, labels: []string{"reason"},
		description: "Sessions ended, by reason.",
	}
	bounces = &metricDef{
		core: true, name: schema.MetricBounces, unit: "{session}", kind: counter,
		description: "Sessions ended with exactly one page view and no engagement.",
	}
	entries = &metricDef{
		core: true, name: "footfall.entries", unit: "{session}", kind: counter, labels: []string{"path"}, breakdown: true,
		description: "Ended sessions by entry page template.",
	}
	exits = &metricDef{
		core: true, name: "footfall.exits", unit: "{session}", kind: counter, labels: []string{"path"}, breakdown: true,
		description: "Ended sessions by exit page template.",
	}
	goalConversions = &metricDef{
		core: true, name: schema.MetricGoalConversions, unit: "{conversion}", kind: counter, labels: []string{"goal"},
		description: "Goal events (event names listed in goals).",
	}
	revenue = &metricDef{
		name: "footfall.revenue", unit: "{currency_unit}", kind: counter, labels: []string{"goal", "currency"},
		description: "Sum of goal values, once per event id, by goal and currency.",
	}
	eventsByProperty = &metricDef{
		name: "footfall.events.by_property", unit: "{event}", kind: counter, labels: []string{"event_name", "property", "value"}, breakdown: true, scoped: 2,
		description: "Events by the value of a custom property listed under properties for their name; each event name and property has its own top K.",
	}
	conversionsByReferrer = &metricDef{
		name: "footfall.conversions.by_referrer", unit: "{session}", kind: counter, labels: []string{"goal", "referrer_class", "referrer_source"}, breakdown: true, scoped: 1,
		description: "Ended sessions that reached a goal, by the referrer of the session's first page view (first touch); each goal has its own top K.",
	}
	conversionsByCampaign = &metricDef{
		name: "footfall.conversions.by_campaign", unit: "{session}", kind: counter, labels: []string{"goal", "utm_source", "utm_medium", "utm_campaign"}, breakdown: true, scoped: 1,
		description: "Ended sessions with UTM parameters that reached a goal, by the first page view's source, medium and campaign; each goal has its own top K.",
	}
	revenueByReferrer = &metricDef{
		name: "footfall.revenue.by_referrer", unit: "{currency_unit}", kind: counter, labels: []string{"currency", "referrer_class", "referrer_source"}, breakdown: true, scoped: 1,
		description: "Sum of the goal values of ended sessions, by currency and the referrer of the session's first page view (first touch); each currency has its own top K.",
	}
	revenueByCampaign = &metricDef{
		name: "footfall.revenue.by_campaign", unit: "{currency_unit}", kind: counter, labels: []string{"currency", "utm_source", "utm_medium", "utm_campaign"}, breakdown: true, scoped: 1,
		description: "Sum of the goal values of ended sessions with UTM parameters, by currency and the first page view's source, medium and campaign; each currency has its own top K.",
	}
	sessionsEndedByReferrer = &metricDef{
		name: "footfall.sessions.ended.by_referrer", unit: "{session}", kind: counter, labels: []string{"referrer_class", "referrer_source"}, breakdown: true,
		description: "Ended sessions, by the referrer of their first page view: the denominator of conversion rate by source.",
	}
	sessionsEndedByCampaign = &metricDef{
		name: "footfall.sessions.ended.by_campaign", unit: "{session}", kind: counter, labels: []string{"utm_source", "utm_medium", "utm_campaign"}, breakdown: true,
		description: "Ended sessions with UTM parameters, by the first page view's source, medium and campaign: the denominator of conversion rate by campaign.",
	}
	funnelSessions = &metricDef{
		name: schema.MetricFunnelSessions, unit: "{session}", kind: counter, labels: []string{"funnel", "step"},
		description: "Sessions that reached each step of a funnel of the sessionize processor (step 1, 2, ... in the funnel's order), counted when the step is done.",
	}
	clicks = &metricDef{
		name: "footfall.clicks", unit: "{click}", kind: counter, labels: []string{"path", "element"}, breakdown: true,
		description: "Clicks on tracked elements, by page template and element; divide by page views of the page for click-through rate.",
	}
	sessionDuration = &metricDef{
		core: true, name: schema.MetricSessionDuration, unit: "s", kind: histogram,
		bounds:      []float64{0, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400},
		description: "Duration of ended sessions: last event time minus first.",
	}
	sessionPageViews = &metricDef{
		core: true, name: "footfall.session.page_views", unit: "{page_view}", kind: histogram,
		bounds:      []float64{1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 50},
		description: "Page views per ended session.",
	}
	engagedTime = &metricDef{
		name: "footfall.page.engaged_time", unit: "s", kind: histogram, labels: []string{"path"}, breakdown: true,
		bounds:      []float64{1, 5, 10, 20, 30, 60, 120, 300, 600, 1800},
		description: "Engaged (visible and focused) time per page view, from the tracker's page-hide summary.",
	}
	webVitalLCP = &metricDef{
		name: "footfall.web_vitals.lcp", unit: "s", kind: histogram, labels: []string{"path"}, breakdown: true,
		bounds:      []float64{0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 7, 10},
		description: "Largest Contentful Paint by page template.",
	}
	webVitalINP = &metricDef{
		name: "footfall.web_vitals.inp", unit: "s", kind: histogram, labels: []string{"path"}, breakdown: true,
		bounds:      []float64{0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2},
		description: "Interaction to Next Paint by page template.",
	}
	webVitalCLS = &metricDef{
		name: "footfall.web_vitals.cls", unit: "{score}", kind: histogram, labels: []string{"path"}, breakdown: true,
		bounds:      []float64{0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1},
		description: "Cumulative Layout Shift by page template.",
	}
	visitors = &metricDef{
		core: true, name: schema.MetricVisitors, unit: "{visitor}", kind: gauge, labels: []string{"window"},
		description: "Distinct visitors (HyperLogLog, about 0.4% standard error) in the last 5 minutes, the last hour, and today in the site's time zone.",
	}
	botEvents = &metricDef{
		core: true, name: "footfall.bot_events", unit: "{event}", kind: counter, labels: []string{"reason"},
		description: "Events judged a bot's that reached the metrics flagged (bots: flag in the receiver or the sessionizer), by reason (docs/bots.md); every other metric leaves them out.",
	}
	currentVisitors = &metricDef{
		core: true, name: schema.MetricVisitorsCurrent, unit: "{visitor}", kind: gauge,
		description: "Distinct visitors with an event in the current-visitors window (default 5 minutes).",
	}
)

// coreSeriesBound is about how many series a site's core metrics take at
// most: a site's budget keeps that much room for them (store.reserved).
func coreSeriesBound(topK int) int {
	n := 0
	for _, def := range allMetrics {
		switch {
		case !def.core:
		case def.breakdown:
			n += topK + 1
		case len(def.labels) > 0:
			n += 8 // a closed set: end reasons, windows, visitor types
		default:
			n++
		}
	}
	return n
}

var allMetrics = []*metricDef{
	pageViews, pageViewsByPath, eventsByName, sessions, sessionsByReferrer, sessionsByCampaign,
	sessionsByCountry, sessionsByDevice, sessionsByBrowser, sessionsByVisitorType, sessionsEnded, bounces, entries, exits,
	goalConversions, revenue, sessionsEndedByReferrer, sessionsEndedByCampaign, conversionsByReferrer, conversionsByCampaign,
	revenueByReferrer, revenueByCampaign,
	eventsByProperty, funnelSessions, clicks, sessionDuration, sessionPageViews, engagedTime,
	webVitalLCP, webVitalINP, webVitalCLS, visitors, currentVisitors, botEvents,
}

// metricByName finds a metric's definition by name, for restored state.
var metricByName = func() map[string]*metricDef {
	byName := make(map[string]*metricDef, len(allMetrics))
	for _, def := range allMetrics {
		byName[def.name] = def
	}
	return byName
}()
