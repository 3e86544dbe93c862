// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package botrules holds the receiver's bot rules besides the User-Agent
// list: the Sec-CH-UA client hint, operator-supplied datacenter ranges and
// the referrer-spam list (docs/bots.md).
package botrules // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/botrules"

import (
	"net/netip"
	"strings"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// Rules are safe for concurrent use once built; nil Rules hold no ranges
// and no spam list.
type Rules struct {
	// Datacenters are client ranges whose events are bots'; nil for none.
	Datacenters *Ranges
	// ReferrerSpam are referrer domains whose page views are bots'; nil for none.
	ReferrerSpam *Domains
}

// Request returns why a request's events are a bot's, or "" for a person:
// the User-Agent verdict first, then the client hint, then the address.
func (r *Rules) Request(userAgentBot bool, clientHints string, client netip.Addr) string {
	switch {
	case userAgentBot:
		return schema.BotReasonUserAgent
	case headlessHint(clientHints):
		return schema.BotReasonClientHint
	case r != nil && r.Datacenters.Contains(client):
		return schema.BotReasonDatacenter
	}
	return ""
}

// Referrer returns BotReasonReferrerSpam when the referrer's host or one of
// its parent domains is on the spam list, else "".
func (r *Rules) Referrer(host string) string {
	if r != nil && r.ReferrerSpam.Contains(host) {
		return schema.BotReasonReferrerSpam
	}
	return ""
}

// headlessHint reports whether Sec-CH-UA names a headless browser: headless
// Chrome sends a desktop User-Agent when told to, but its brand list still
// says "HeadlessChrome".
func headlessHint(clientHints string) bool {
	return clientHints != "" && strings.Contains(strings.ToLower(clientHints), "headless")
}
