// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package schema

import "go.opentelemetry.io/collector/pdata/pcommon"

// BotReasonOf returns the reason a flagged record was judged a bot's: one of
// BotReasons, BotReasonUnknown for a flagged record with another, or "" for
// a record not flagged (user_agent.synthetic.type unset).
func BotReasonOf(attrs pcommon.Map) string {
	if v, ok := attrs.Get(AttrUserAgentSynthetic); !ok || v.Str() == "" {
		return ""
	}
	if v, ok := attrs.Get(AttrBotReason); ok {
		for _, r := range BotReasons {
			if v.Str() == r {
				return r
			}
		}
	}
	return BotReasonUnknown
}

// SyntheticBot is the value of AttrUserAgentSynthetic on an automated client's events.
const SyntheticBot = "bot"

// Why an event was judged a bot's (footfall.bot.reason, the reason label of
// footfall_bot_events_total): a closed set, documented in docs/bots.md.
const (
	// BotReasonUserAgent: the User-Agent is on the bot list.
	BotReasonUserAgent = "user_agent"
	// BotReasonClientHint: the Sec-CH-UA client hint names a headless browser.
	BotReasonClientHint = "client_hint"
	// BotReasonDatacenter: the client address is in an operator-supplied range.
	BotReasonDatacenter = "datacenter"
	// BotReasonReferrerSpam: the page view's referrer is on the spam list.
	BotReasonReferrerSpam = "referrer_spam"
	// BotReasonPageRate: the visitor sent more page views per minute than a person reads.
	BotReasonPageRate = "page_rate"
	// BotReasonNoInteraction: a session viewed many pages and never interacted.
	BotReasonNoInteraction = "no_interaction"
	// BotReasonReloads: the same page was viewed many times in a row.
	BotReasonReloads = "reloads"
	// BotReasonUnknown: flagged with no reason of this list (an older or
	// other pipeline's record).
	BotReasonUnknown = "unknown"
)

// BotReasons lists every reason.
var BotReasons = []string{
	BotReasonUserAgent, BotReasonClientHint, BotReasonDatacenter, BotReasonReferrerSpam,
	BotReasonPageRate, BotReasonNoInteraction, BotReasonReloads, BotReasonUnknown,
}
