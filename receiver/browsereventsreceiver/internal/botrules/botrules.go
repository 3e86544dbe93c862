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

// Referrer returns BotReasonReferrerSpam when the referrer URL's host or
// one of its parent domains is on the spam list, else "".
func (r *Rules) Referrer(referrer string) string {
	if r != nil && r.ReferrerSpam.Contains(hostOf(referrer)) {
		return schema.BotReasonReferrerSpam
	}
	return ""
}

// hostOf is the host of an absolute URL, without parsing the rest of it:
// this runs for every page view with a referrer.
func hostOf(rawURL string) string {
	_, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return ""
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if strings.HasPrefix(rest, "[") {
		return "" // an IPv6 literal is no domain
	}
	if i := strings.IndexByte(rest, ':'); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// headlessHint reports whether Sec-CH-UA names a headless browser: headless
// Chrome sends a desktop User-Agent when told to, but its brand list still
// says "HeadlessChrome".
func headlessHint(clientHints string) bool {
	return clientHints != "" && strings.Contains(strings.ToLower(clientHints), "headless")
}
