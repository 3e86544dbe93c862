// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"context"
	"net/netip"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/botrules"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/geoip"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/privacy"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/useragent"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/visitor"
)

// Limits bound what one event may carry.
type Limits struct {
	MaxAttributes     int
	MaxValueLength    int
	MaxEventNameBytes int
	MaxEventIDBytes   int
	// MaxResourceBytes bounds one resource's attributes, and one scope's
	// name, version and attributes: they are copied to every group.
	MaxResourceBytes int
	// MaxUserAgentBytes is how much of the User-Agent header is parsed,
	// hashed and stored.
	MaxUserAgentBytes int
	// MaxKeyBytes bounds every attribute key: of a record, a resource, a
	// scope, and every key nested in a map value.
	MaxKeyBytes int
	// MaxEventBytes bounds what one event carries once decoded: its name,
	// attribute keys and values (nested ones included) and body. It is
	// what reaches the write-ahead log, Kafka, Elasticsearch and the archive.
	MaxEventBytes int
}

// Request is what the HTTP layer knows of the request that carried the events.
type Request struct {
	// Origin is the Origin header, or the origin of the Referer header when
	// Origin is absent; empty when the request had neither.
	Origin    string
	UserAgent string
	// ClientHints is the Sec-CH-UA header.
	ClientHints string
	ClientIP    netip.Addr
	// SiteHint is the "site" query parameter, for clients that cannot set attributes.
	SiteHint string
	Received time.Time
	// Format is the payload the events came in (footfall.ingest.format).
	Format string
}

// Enricher is safe for concurrent use.
type Enricher struct {
	Sites     *sites.Registry
	UserAgent *useragent.Parser
	Geo       *geoip.DB
	Visitors  *visitor.Hasher
	Limits    Limits
	// Bots are the rules besides the User-Agent list; KeepBots flags bots'
	// events instead of dropping them.
	Bots     *botrules.Rules
	KeepBots bool
	NewID    func() string
	// URLs scrubs the stored URLs (page, referrer, link) of query
	// parameters outside the allow-list, fragments and user info.
	URLs *privacy.URLScrubber
	// StoreUserAgent keeps the (capped) User-Agent in user_agent.original.
	StoreUserAgent bool
}

// requestFacts are computed once per request, not once per event.
type requestFacts struct {
	req      Request
	ua       useragent.Info
	geo      geoip.Location
	visitors map[string]string // site id -> visitor id
	// clientIDs caches the keyed hash of each (site, anonymous id): a
	// request carries several events of one visitor.
	clientIDs map[[2]string]string
	// originAllowed is the last site the request's Origin was found
	// allowed for: the records of a request name one site, mostly, and
	// the Origin is the request's, so it is parsed once, not per record.
	originAllowed *sites.Site
	// botReason is the request's bot verdict ("" for a person); records are
	// still checked first, so that a wrong site or a bad event is reported
	// even to an automated sender.
	botReason string
}

// Enrich checks every record of in and returns the accepted ones, enriched and
// grouped into one resource per (site, visitor). Records are moved out of in.
func (e *Enricher) Enrich(ctx context.Context, req Request, in plog.Logs) Result {
	res := Result{Logs: plog.NewLogs()}
	req.UserAgent = attr.TruncateUTF8(req.UserAgent, e.Limits.MaxUserAgentBytes)
	facts := requestFacts{req: req, ua: e.UserAgent.Parse(req.UserAgent), visitors: map[string]string{}}
	facts.botReason = e.Bots.Request(facts.ua.Bot, req.ClientHints, req.ClientIP)
	if facts.botReason == "" || e.KeepBots {
		facts.geo = e.Geo.Lookup(req.ClientIP)
	}

	out := newGrouper(res.Logs)
	index := 0
	for _, rl := range in.ResourceLogs().All() {
		resourceSite, _ := attr.StrOK(rl.Resource().Attributes(), schema.AttrSiteID)
		resourceMsg := e.checkResource(rl.Resource())
		for _, sl := range rl.ScopeLogs().All() {
			containerMsg := resourceMsg
			if containerMsg == "" {
				containerMsg = e.checkScope(sl.Scope())
			}
			for _, lr := range sl.LogRecords().All() {
				reason, msg := ReasonInvalidEvent, containerMsg
				if containerMsg == "" {
					reason, msg = e.enrichRecord(ctx, &facts, &res, resourceSite, rl.Resource(), sl.Scope(), lr, out)
				}
				switch {
				case reason == ReasonBot:
					res.reject(reason, 1, "")
				case reason != "":
					res.reject(reason, 1, "log record %d: %s", index, msg)
				default:
					res.Accepted++
				}
				index++
			}
		}
	}
	return res
}

func (e *Enricher) enrichRecord(ctx context.Context, facts *requestFacts, res *Result, resourceSite string, resource pcommon.Resource, scope pcommon.InstrumentationScope, lr plog.LogRecord, out *grouper) (Reason, string) {
	attrs := lr.Attributes()
	name := schema.EventName(lr)
	if msg := e.checkEventName(name); msg != "" {
		return ReasonInvalidEvent, msg
	}
	if msg := e.checkValues(lr); msg != "" {
		return ReasonInvalidEvent, msg
	}
	if msg := checkMeasures(attrs); msg != "" {
		return ReasonInvalidEvent, msg
	}

	site, reason, msg := e.resolveSite(facts, resourceSite, attrs)
	if reason != "" {
		return reason, msg
	}

	page, msg := pageURL(attrs, name)
	if msg != "" {
		return ReasonInvalidEvent, msg
	}
	eventID, generated, msg := e.eventID(attrs)
	if msg != "" {
		return ReasonInvalidEvent, msg
	}

	botReason := e.botReason(facts, name, attrs)
	if botReason != "" {
		res.countBot(site.ID, botReason)
		if !e.KeepBots {
			return ReasonBot, ""
		}
	}
	visitorID, idSource := e.visitorID(ctx, facts, site, attrs)
	dest := out.record(site.ID, visitorID, idSource, resource, scope)
	lr.MoveTo(dest)
	dest.SetEventName(name)
	e.addDerived(facts, site, dest, name, page, eventID, generated)
	if botReason != "" {
		dest.Attributes().PutStr(schema.AttrUserAgentSynthetic, schema.SyntheticBot)
		dest.Attributes().PutStr(schema.AttrBotReason, botReason)
	}
	return "", ""
}
