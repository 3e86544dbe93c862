// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

// Reason says why events were refused; the values are the "reason" attribute
// of the receiver's refusal metrics.
type Reason string

const (
	ReasonMalformed            Reason = "malformed"
	ReasonUnsupportedMediaType Reason = "unsupported_media_type"
	ReasonTooLarge             Reason = "too_large"
	ReasonInvalidEvent         Reason = "invalid_event"
	ReasonUnknownSite          Reason = "unknown_site"
	ReasonOriginNotAllowed     Reason = "origin_not_allowed"
	ReasonRateLimited          Reason = "rate_limited"
	ReasonBot                  Reason = "bot"
	// ReasonOptedOut: the request carried Sec-GPC: 1 or DNT: 1; its events
	// were dropped and the client answered success.
	ReasonOptedOut            Reason = "opted_out"
	ReasonDownstreamPermanent Reason = "downstream_permanent"
	ReasonDownstreamRetryable Reason = "downstream_retryable"
	ReasonMethodNotAllowed    Reason = "method_not_allowed"
	ReasonUnauthorized        Reason = "unauthorized"
)

// Forbidden reports whether the reason is about who sent the events (403)
// rather than what they contain (400).
func (r Reason) Forbidden() bool {
	return r == ReasonUnknownSite || r == ReasonOriginNotAllowed
}
