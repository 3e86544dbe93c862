// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

// Names of the web analytics metrics other components read: the connector
// defines each under this name (connector/webanalyticsconnector/metrics.go,
// docs/metrics.md), and the live view reads them by it.
const (
	MetricPageViews        = "footfall.page_views"
	MetricPageViewsByPath  = "footfall.page_views.by_path"
	MetricSessions         = "footfall.sessions"
	MetricSessionsEnded    = "footfall.sessions.ended"
	MetricSessionsByRef    = "footfall.sessions.by_referrer"
	MetricSessionsByGeo    = "footfall.sessions.by_country"
	MetricSessionsByDevice = "footfall.sessions.by_device"
	MetricBounces          = "footfall.bounces"
	MetricGoalConversions  = "footfall.goal.conversions"
	MetricFunnelSessions   = "footfall.funnel.sessions"
	MetricSessionDuration  = "footfall.session.duration"
	MetricVisitors         = "footfall.visitors"
	MetricVisitorsCurrent  = "footfall.visitors.current"
)
