// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema // import "github.com/footfall-analytics/footfall/internal/schema"

import "slices"

// SessionizeScope is the instrumentation scope of the records the sessionize
// processor makes itself (session.start and session.end). Downstream
// components count such records only under this scope, and the receiver
// refuses client records that claim it.
const SessionizeScope = "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

// IsReservedEventName reports whether only the pipeline may produce events of
// this name: a client that could send them would forge sessions.
func IsReservedEventName(name string) bool {
	return name == EventSessionStart || name == EventSessionEnd
}

// IsReservedScope reports whether only the pipeline may use this
// instrumentation scope name.
func IsReservedScope(name string) bool {
	return name == SessionizeScope
}

// IsTrustedSessionRecord reports whether a session.start or session.end
// record was made by the sessionize processor: its scope says so, and the
// receiver refuses client records under that scope.
func IsTrustedSessionRecord(scope string) bool {
	return scope == SessionizeScope
}

// SessionizerOwned lists the record attributes only the sessionize processor
// writes; the receiver removes them from client records, so that a client
// cannot pose as an event the sessionizer already placed.
var SessionizerOwned = []string{
	AttrSessionSeq, AttrEventLate, AttrEventGoal, AttrEventClockSkewed, AttrEventClientTime,
	AttrSessionStartTime, AttrSessionEndTime, AttrSessionDurationMs, AttrSessionPageViews,
	AttrSessionEvents, AttrSessionEntryPage, AttrSessionExitPage, AttrSessionBounce,
	AttrSessionGoals, AttrSessionRevenue, AttrSessionEndReason, AttrSessionReturning, AttrSessionFunnelSteps,
}

// IsSessionizerOwned reports whether only the sessionize processor may write key.
func IsSessionizerOwned(key string) bool {
	_, owned := sessionizerOwned[key]
	return owned
}

var sessionizerOwned = setOf(SessionizerOwned)

// IsPipelineOwned reports whether only the receiver or the sessionize
// processor may write key: one look-up for the receiver's hot path.
func IsPipelineOwned(key string) bool {
	_, owned := pipelineOwned[key]
	return owned
}

var pipelineOwned = setOf(append(slices.Clone(ReceiverOwned), SessionizerOwned...))

// Reasons a session ends (footfall.session.end_reason): a closed set, so that
// the metrics labelled by it are bounded.
const (
	EndReasonIdle          = "idle"
	EndReasonMaxDuration   = "max_duration"
	EndReasonMidnight      = "midnight"
	EndReasonCampaign      = "campaign"
	EndReasonShutdown      = "shutdown"
	EndReasonEvicted       = "evicted"
	EndReasonClientSession = "client_session"
)

// IsEndReason reports whether reason is one the sessionize processor gives.
func IsEndReason(reason string) bool {
	switch reason {
	case EndReasonIdle, EndReasonMaxDuration, EndReasonMidnight, EndReasonCampaign,
		EndReasonShutdown, EndReasonEvicted, EndReasonClientSession:
		return true
	}
	return false
}
