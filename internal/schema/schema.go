// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package schema names the event names and attribute keys of Footfall's event
// schema, written down in docs/events.md. Every component reads them from here.
package schema // import "github.com/footfall-analytics/footfall/internal/schema"

// Event names (LogRecord.EventName).
const (
	EventPageView = "browser.page_view"
	EventClick    = "browser.click"
)

// Resource attributes set by the receiver: one resource per (site, visitor),
// so that exporters keyed on resource attributes keep a visitor's events together.
const (
	AttrSiteID    = "footfall.site.id"
	AttrVisitorID = "footfall.visitor.id"
	// AttrVisitorIDSource is "hashed" (cookieless daily hash) or "client"
	// (an anonymous id the site chose to send).
	AttrVisitorIDSource = "footfall.visitor.id_source"
)

// AttrSiteTimeZone is the IANA name of the site's time zone (its midnight
// and its "today"), a resource attribute the sessionize processor sets on
// everything it sends on: the time zones are configured there alone, and
// the webanalytics connector reads them from its records.
const AttrSiteTimeZone = "footfall.site.time_zone"

// Log record attributes sent by the client.
const (
	// AttrEventID is the dedup key of every later stage (semantic convention log.record.uid).
	AttrEventID = "log.record.uid"
	// AttrEventNameLegacy is read when EventName is empty (older SDKs).
	AttrEventNameLegacy = "event.name"
	AttrURLFull         = "url.full"
	AttrSessionID       = "session.id"
	AttrSessionPrevID   = "session.previous_id"
	// AttrReferrer is the page's document.referrer as the client saw it.
	AttrReferrer = "footfall.referrer"
	// AttrAnonymousID is an anonymous visitor id chosen by the site (used only
	// when the site's visitor_id is "client").
	AttrAnonymousID = "footfall.anonymous_id"
	// AttrEventInteractive false marks a custom event that is not an
	// interaction: it does not keep a one-page session from being a bounce
	// (Plausible's interactive: false).
	AttrEventInteractive = "footfall.event.interactive"
)

// Log record attributes derived by the receiver. A client cannot set them:
// the receiver removes any value the client sent before adding its own.
const (
	AttrURLPath   = "url.path"
	AttrURLDomain = "url.domain"

	AttrUserAgentOriginal  = "user_agent.original"
	AttrUserAgentName      = "user_agent.name"
	AttrUserAgentVersion   = "user_agent.version"
	AttrUserAgentOSName    = "user_agent.os.name"
	AttrUserAgentOSVersion = "user_agent.os.version"
	// AttrUserAgentSynthetic is "bot" when the pipeline judged the client
	// automated (kept with bots: flag); AttrBotReason says why (BotReason*).
	AttrUserAgentSynthetic = "user_agent.synthetic.type"
	AttrBotReason          = "footfall.bot.reason"
	AttrDeviceType         = "footfall.device.type"

	AttrGeoCountry = "geo.country.iso_code"
	AttrGeoRegion  = "geo.region.iso_code"
	AttrGeoCity    = "geo.locality.name"

	AttrReferrerClass  = "footfall.referrer.class"
	AttrReferrerSource = "footfall.referrer.source"
	AttrReferrerHost   = "footfall.referrer.host"

	AttrUTMSource   = "footfall.utm.source"
	AttrUTMMedium   = "footfall.utm.medium"
	AttrUTMCampaign = "footfall.utm.campaign"
	AttrUTMTerm     = "footfall.utm.term"
	AttrUTMContent  = "footfall.utm.content"
	AttrClickIDType = "footfall.click_id.type"
	AttrClickID     = "footfall.click_id.value"

	// AttrEventIDGenerated is true when the client sent no event id and the
	// receiver made one (such an event cannot be deduplicated across client retries).
	AttrEventIDGenerated = "footfall.event_id.generated"
	// AttrIngestFormat is the payload the event came in: otlp, faro or
	// plausible (docs/ingest.md).
	AttrIngestFormat = "footfall.ingest.format"
)

// IsReceiverOwned reports whether only the receiver may write key.
func IsReceiverOwned(key string) bool {
	_, owned := receiverOwned[key]
	return owned
}

var receiverOwned = setOf(ReceiverOwned)

func setOf(keys []string) map[string]struct{} {
	set := make(map[string]struct{}, len(keys))
	for _, k := range keys {
		set[k] = struct{}{}
	}
	return set
}

// ReceiverOwned lists the keys only the receiver may write, on records and resources.
var ReceiverOwned = []string{
	AttrSiteID, AttrVisitorID, AttrVisitorIDSource,
	AttrURLPath, AttrURLDomain,
	AttrUserAgentOriginal, AttrUserAgentName, AttrUserAgentVersion, AttrUserAgentOSName,
	AttrUserAgentOSVersion, AttrUserAgentSynthetic, AttrBotReason, AttrDeviceType,
	AttrGeoCountry, AttrGeoRegion, AttrGeoCity,
	AttrReferrerClass, AttrReferrerSource, AttrReferrerHost,
	AttrUTMSource, AttrUTMMedium, AttrUTMCampaign, AttrUTMTerm, AttrUTMContent,
	AttrClickIDType, AttrClickID, AttrEventIDGenerated, AttrIngestFormat,
	"client.address", "client.port", "network.peer.address",
}

// MetricAttrPartition labels every series the processing tier
// (receiver/kafkastream) publishes with the events topic partition whose
// state it counts; docs/metrics.md and docs/scaling.md show the queries.
const MetricAttrPartition = "partition"
