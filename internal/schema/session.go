// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

// Events the sessionize processor emits into the stream.
const (
	EventSessionStart = "session.start"
	EventSessionEnd   = "session.end"
)

// Automatic events the tracker sends that are not an interaction: they do not
// keep a one-page session from being a bounce.
const (
	EventEngagement = "browser.engagement"
	EventWebVital   = "browser.web_vital"
)

// Attributes the sessionize processor sets on every event it forwards.
const (
	// AttrSessionSeq numbers a session's events from 1 in event-time order.
	AttrSessionSeq = "footfall.session.seq"
	// AttrEventLate is true on an event that arrived after the watermark had
	// passed its time, so it was placed where it fit on arrival.
	AttrEventLate = "footfall.event.late"
	// AttrEventGoal is true on an event whose name is one of the sessionize
	// processor's goals: the web analytics connector counts conversions by
	// it, so that goals are configured in one place.
	AttrEventGoal = "footfall.event.goal"
	// AttrEventClockSkewed is true when the client timestamp was too far from
	// the receive time; the record's Timestamp then holds the receive time and
	// AttrEventClientTime the client's (Unix nanoseconds).
	AttrEventClockSkewed = "footfall.event.clock_skewed"
	AttrEventClientTime  = "footfall.event.client_time_unix_nano"
)

// Attributes of session.end (session.start carries session.id and
// session.previous_id only). Referrer, UTM, country and device use the event
// attribute names.
const (
	AttrSessionStartTime  = "footfall.session.start_time_unix_nano"
	AttrSessionEndTime    = "footfall.session.end_time_unix_nano"
	AttrSessionDurationMs = "footfall.session.duration_ms"
	AttrSessionPageViews  = "footfall.session.page_views"
	AttrSessionEvents     = "footfall.session.events"
	AttrSessionEntryPage  = "footfall.session.entry_page"
	AttrSessionExitPage   = "footfall.session.exit_page"
	AttrSessionBounce     = "footfall.session.bounce"
	AttrSessionGoals      = "footfall.session.goals"
	// AttrSessionRevenue is a map from currency (ISO 4217) to the sum of
	// the values of the goals the session reached in it.
	AttrSessionRevenue   = "footfall.session.revenue"
	AttrSessionEndReason = "footfall.session.end_reason"
	// AttrSessionReturning is true on session.start and session.end when the
	// visitor had a session within returning_visitor_window before.
	AttrSessionReturning = "footfall.session.returning"
	// AttrSessionFunnelSteps is on the event that did a funnel step: a map
	// from each funnel the event moved the session on in to the number of
	// its steps the session has now done (docs/sessions.md, funnels).
	AttrSessionFunnelSteps = "footfall.session.funnel_steps"
)

// MaxFunnels and MaxFunnelSteps bound the funnels the sessionize processor
// follows, and so the funnel series of the connector.
const (
	MaxFunnels     = 4
	MaxFunnelSteps = 8
)

// Attributes of particular events, as the tracker sends them.
const (
	// AttrClickElement names what a browser.click was on: the tracker sends
	// outbound and download links (elements tagged with data-footfall-event
	// send a custom event of that name instead); other senders may name
	// their own elements.
	AttrClickElement = "footfall.click.element"
	// AttrLinkURL is the target of a clicked link, on browser.click.
	AttrLinkURL = "footfall.link.url"
	// AttrGoalValue and AttrGoalCurrency give a goal event a monetary value
	// (a number, and an ISO 4217 code).
	AttrGoalValue    = "footfall.goal.value"
	AttrGoalCurrency = "footfall.goal.currency"
	// AttrEngagementTimeMs is the visible, focused time on the page, on
	// browser.engagement (sent when the page is hidden).
	AttrEngagementTimeMs = "footfall.engagement.time_ms"
	// AttrEngagementScrollDepth is the deepest point of the page seen, in
	// percent of its height, on browser.engagement.
	AttrEngagementScrollDepth = "footfall.engagement.scroll_depth"
	// AttrWebVitalName is LCP, INP or CLS; AttrWebVitalValue is milliseconds
	// for LCP and INP, the score for CLS; on browser.web_vital.
	AttrWebVitalName  = "footfall.web_vital.name"
	AttrWebVitalValue = "footfall.web_vital.value"
)

// ClientSent lists the attribute keys browser trackers send on their
// records (footfall.js; OTel JS SDK users follow docs/events.md): the
// intake's JSON decoder keeps one copy of each rather than one per record.
var ClientSent = []string{
	AttrEventID, AttrEventNameLegacy, AttrURLFull, AttrSessionID, AttrReferrer,
	AttrAnonymousID, AttrEventInteractive, AttrClickElement, AttrLinkURL,
	AttrGoalValue, AttrGoalCurrency, AttrEngagementTimeMs, AttrEngagementScrollDepth,
	AttrWebVitalName, AttrWebVitalValue, AttrSiteID,
}
