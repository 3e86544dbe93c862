// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package intake // import "github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/intake"

import (
	"net/url"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/referrer"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/sites"
)

// botReason is the request's bot verdict, or for a person's page view,
// whether its referrer is spam.
func (e *Enricher) botReason(facts *requestFacts, name string, attrs pcommon.Map) string {
	if facts.botReason != "" || name != schema.EventPageView {
		return facts.botReason
	}
	ref, ok := attr.StrOK(attrs, schema.AttrReferrer)
	if !ok || ref == "" {
		return ""
	}
	return e.Bots.Referrer(ref)
}

func (e *Enricher) addDerived(facts *requestFacts, site *sites.Site, lr plog.LogRecord, name string, page *url.URL, eventID string, generated bool) {
	attrs := lr.Attributes()
	attrs.RemoveIf(func(key string, _ pcommon.Value) bool {
		return schema.IsPipelineOwned(key) || key == schema.AttrAnonymousID || key == schema.AttrEventNameLegacy
	})
	attrs.EnsureCapacity(attrs.Len() + e.derivedCount(facts, page, name, generated))

	received := pcommon.NewTimestampFromTime(facts.req.Received)
	lr.SetObservedTimestamp(received)
	if lr.Timestamp() == 0 {
		lr.SetTimestamp(received)
	}

	attrs.PutStr(schema.AttrEventID, eventID)
	attr.PutNonEmpty(attrs, schema.AttrIngestFormat, facts.req.Format)
	if generated {
		attrs.PutBool(schema.AttrEventIDGenerated, true)
	}

	if e.StoreUserAgent {
		attr.PutNonEmpty(attrs, schema.AttrUserAgentOriginal, facts.req.UserAgent)
	}
	attr.PutNonEmpty(attrs, schema.AttrUserAgentName, facts.ua.BrowserName)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentVersion, facts.ua.BrowserVersion)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentOSName, facts.ua.OSName)
	attr.PutNonEmpty(attrs, schema.AttrUserAgentOSVersion, facts.ua.OSVersion)
	attr.PutNonEmpty(attrs, schema.AttrDeviceType, facts.ua.DeviceType)

	attr.PutNonEmpty(attrs, schema.AttrGeoCountry, facts.geo.CountryISO)
	attr.PutNonEmpty(attrs, schema.AttrGeoRegion, facts.geo.RegionISO)
	attr.PutNonEmpty(attrs, schema.AttrGeoCity, facts.geo.City)

	e.scrubAttr(attrs, schema.AttrLinkURL)
	if page == nil {
		e.scrubAttr(attrs, schema.AttrReferrer)
		return
	}
	attrs.PutStr(schema.AttrURLPath, pathOf(page))
	attrs.PutStr(schema.AttrURLDomain, page.Hostname())
	if !e.URLs.Clean(page) {
		attrs.PutStr(schema.AttrURLFull, e.URLs.ScrubURL(page))
	}
	if name != schema.EventPageView {
		// Where a visit came from is a property of the page view that
		// landed it; on a click it would only ever read "direct".
		e.scrubAttr(attrs, schema.AttrReferrer)
		return
	}

	ref, _ := attr.StrOK(attrs, schema.AttrReferrer)
	src := referrer.Classify(ref, page.Hostname(), site.OwnsHost)
	e.scrubAttr(attrs, schema.AttrReferrer)
	attrs.PutStr(schema.AttrReferrerClass, src.Class)
	attr.PutNonEmpty(attrs, schema.AttrReferrerSource, src.Name)
	attr.PutNonEmpty(attrs, schema.AttrReferrerHost, src.Host)

	c := referrer.ParseCampaign(page.RawQuery)
	attr.PutNonEmpty(attrs, schema.AttrUTMSource, c.Source)
	attr.PutNonEmpty(attrs, schema.AttrUTMMedium, c.Medium)
	attr.PutNonEmpty(attrs, schema.AttrUTMCampaign, c.Name)
	attr.PutNonEmpty(attrs, schema.AttrUTMTerm, c.Term)
	attr.PutNonEmpty(attrs, schema.AttrUTMContent, c.Content)
	attr.PutNonEmpty(attrs, schema.AttrClickIDType, c.ClickIDType)
	attr.PutNonEmpty(attrs, schema.AttrClickID, c.ClickID)
}

// scrubAttr removes from a stored URL what the privacy allow-list does not keep.
func (e *Enricher) scrubAttr(attrs pcommon.Map, key string) {
	raw, ok := attr.StrOK(attrs, key)
	if !ok {
		return
	}
	if scrubbed := e.URLs.Scrub(raw); scrubbed != raw {
		attrs.PutStr(key, scrubbed)
	}
}

func pathOf(u *url.URL) string {
	if u.Path == "" {
		return "/"
	}
	return u.Path
}

// derivedCount bounds how many attributes addDerived adds to a record, so
// that its attributes grow once, to about the size they end at: a fixed
// bound of every attribute it can add would make each record's attributes
// half empty.
// derivedRoom is the room the JSON decoder leaves on a record for what
// addDerived adds, from what the record says (the request's facts come
// later): the most derivedCount gives for such a record, so that enrichment
// never copies its attributes again. A record whose name the decoder has
// not read yet is taken for a page view.
func derivedRoom(pageView, query bool) int {
	n := 2 + 1 + 1 + 8 + 3 // derivedCount's, for any event on a page
	if pageView {
		n += 3
		if query {
			n += 7
		}
	}
	return n
}

func (e *Enricher) derivedCount(facts *requestFacts, page *url.URL, name string, generated bool) int {
	n := 2 // event id, ingest format
	if generated {
		n++
	}
	if e.StoreUserAgent {
		n++
	}
	for _, v := range [...]string{facts.ua.BrowserName, facts.ua.BrowserVersion, facts.ua.OSName, facts.ua.OSVersion, facts.ua.DeviceType, facts.geo.CountryISO, facts.geo.RegionISO, facts.geo.City} {
		if v != "" {
			n++
		}
	}
	if page == nil {
		return n
	}
	n += 3 // path, domain, scrubbed url
	if name != schema.EventPageView {
		return n
	}
	n += 3 // referrer class, source, host
	if page.RawQuery != "" {
		n += 7 // campaign and click id
	}
	return n
}
