// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter // import "github.com/footfall-analytics/footfall/exporter/elasticsearchexporter"

import (
	"slices"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/jsonwriter"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// Reasons a record is not stored; they are counted.
const (
	skippedMissingID    = "missing_id"
	skippedSessionStart = "session_start"
	skippedUnencodable  = "unencodable"
	// skippedUntrustedSession: a session.start or session.end the sessionize
	// processor did not make (not under its scope).
	skippedUntrustedSession = "untrusted_session"
)

// kind says which data stream a document goes to.
type kind int

const (
	eventDoc kind = iota
	sessionDoc
)

// field is an attribute a document holds in a field of its own; a custom
// property (schema.IsCustomProperty) goes under footfall.properties (a
// flattened field); any other attribute of the schema is not stored.
type field int

const (
	fEventID field = iota
	fEventNameLegacy
	fURLFull
	fURLPath
	fURLDomain
	fUAOriginal
	fUAName
	fUAVersion
	fUAOSName
	fUAOSVersion
	fUASynthetic
	fBotReason
	fDeviceType
	fGeoCountry
	fGeoRegion
	fGeoCity
	fReferrer
	fReferrerClass
	fReferrerSource
	fReferrerHost
	fUTMSource
	fUTMMedium
	fUTMCampaign
	fUTMTerm
	fUTMContent
	fClickIDType
	fClickID
	fEventIDGenerated
	fSessionID
	fSessionPrevID
	fSessionSeq
	fEventLate
	fEventClockSkewed
	fEventClientTime
	fClickElement
	fGoalValue
	fGoalCurrency
	fEngagementTimeMs
	fEngagementScrollDepth
	fWebVitalName
	fWebVitalValue
	fLinkURL
	fSiteID
	fVisitorID
	fVisitorIDSource
	fIngestFormat
	// Read by session documents only.
	fSessionStartTime
	fSessionEndTime
	fSessionDurationMs
	fSessionPageViews
	fSessionEvents
	fSessionBounce
	fSessionReturning
	fSessionEntryPage
	fSessionExitPage
	fSessionEndReason
	fSessionGoals
	fSessionRevenue
	numFields
)

var fieldOf = map[string]field{
	schema.AttrEventID: fEventID, schema.AttrEventNameLegacy: fEventNameLegacy, schema.AttrURLFull: fURLFull,
	schema.AttrURLPath: fURLPath, schema.AttrURLDomain: fURLDomain, schema.AttrUserAgentOriginal: fUAOriginal,
	schema.AttrUserAgentName: fUAName, schema.AttrUserAgentVersion: fUAVersion, schema.AttrUserAgentOSName: fUAOSName,
	schema.AttrUserAgentOSVersion: fUAOSVersion, schema.AttrUserAgentSynthetic: fUASynthetic, schema.AttrBotReason: fBotReason,
	schema.AttrDeviceType: fDeviceType, schema.AttrGeoCountry: fGeoCountry, schema.AttrGeoRegion: fGeoRegion,
	schema.AttrGeoCity: fGeoCity, schema.AttrReferrer: fReferrer, schema.AttrReferrerClass: fReferrerClass,
	schema.AttrReferrerSource: fReferrerSource, schema.AttrReferrerHost: fReferrerHost, schema.AttrUTMSource: fUTMSource,
	schema.AttrUTMMedium: fUTMMedium, schema.AttrUTMCampaign: fUTMCampaign, schema.AttrUTMTerm: fUTMTerm,
	schema.AttrUTMContent: fUTMContent, schema.AttrClickIDType: fClickIDType, schema.AttrClickID: fClickID,
	schema.AttrEventIDGenerated: fEventIDGenerated, schema.AttrSessionID: fSessionID, schema.AttrSessionPrevID: fSessionPrevID,
	schema.AttrSessionSeq: fSessionSeq, schema.AttrEventLate: fEventLate, schema.AttrEventClockSkewed: fEventClockSkewed,
	schema.AttrEventClientTime: fEventClientTime, schema.AttrClickElement: fClickElement, schema.AttrGoalValue: fGoalValue,
	schema.AttrGoalCurrency: fGoalCurrency, schema.AttrEngagementTimeMs: fEngagementTimeMs,
	schema.AttrEngagementScrollDepth: fEngagementScrollDepth, schema.AttrWebVitalName: fWebVitalName,
	schema.AttrWebVitalValue: fWebVitalValue, schema.AttrLinkURL: fLinkURL, schema.AttrSiteID: fSiteID,
	schema.AttrVisitorID: fVisitorID, schema.AttrVisitorIDSource: fVisitorIDSource, schema.AttrIngestFormat: fIngestFormat,
	schema.AttrSessionStartTime: fSessionStartTime, schema.AttrSessionEndTime: fSessionEndTime,
	schema.AttrSessionDurationMs: fSessionDurationMs, schema.AttrSessionPageViews: fSessionPageViews,
	schema.AttrSessionEvents: fSessionEvents, schema.AttrSessionBounce: fSessionBounce,
	schema.AttrSessionReturning: fSessionReturning, schema.AttrSessionEntryPage: fSessionEntryPage,
	schema.AttrSessionExitPage: fSessionExitPage, schema.AttrSessionEndReason: fSessionEndReason,
	schema.AttrSessionGoals: fSessionGoals, schema.AttrSessionRevenue: fSessionRevenue,
}

// fields are one record's attributes, found in one pass: the mapped ones
// by field, the custom properties by key. One is reused for every
// record of a push.
type fields struct {
	values [numFields]pcommon.Value
	has    [numFields]bool
	other  []string
	attrs  pcommon.Map
}

func (f *fields) read(attrs pcommon.Map) {
	f.has = [numFields]bool{}
	f.other = f.other[:0]
	f.attrs = attrs
	for k, v := range attrs.All() {
		if id, ok := fieldOf[k]; ok {
			if !f.has[id] {
				f.values[id], f.has[id] = v, true
			}
			continue
		}
		if schema.IsCustomProperty(k) {
			f.other = append(f.other, k)
		}
	}
}

// str is a mapped attribute's value when it is a string.
func (f *fields) str(id field) string {
	if f.has[id] && f.values[id].Type() == pcommon.ValueTypeStr {
		return f.values[id].Str()
	}
	return ""
}

func (f *fields) int(id field) int64 {
	if f.has[id] && f.values[id].Type() == pcommon.ValueTypeInt {
		return f.values[id].Int()
	}
	return 0
}

// writeStr and writeValue write a mapped attribute: a non-empty string, or
// a value of any type.
func (f *fields) writeStr(w *jsonwriter.Writer, key string, id field) { w.String(key, f.str(id)) }

func (f *fields) writeValue(w *jsonwriter.Writer, key string, id field) {
	if f.has[id] {
		w.Value(key, f.values[id])
	}
}

// encodeDocument appends the document of one record to w: its data
// stream's kind and _id, or the reason it is not stored. The keys of every
// object are written in sorted order, so that the document equals
// encoding/json's of the same object (document_reference_test.go).
func encodeDocument(w *jsonwriter.Writer, f *fields, scope pcommon.InstrumentationScope, res pcommon.Map, lr plog.LogRecord) (kind, string, string) {
	f.read(lr.Attributes())
	switch schema.KindOf(scope, lr) {
	case schema.KindSessionStart:
		return 0, "", skippedSessionStart
	case schema.KindSessionEnd:
		return encodeSession(w, f, res)
	case schema.KindForgedSession:
		return 0, "", skippedUntrustedSession
	}
	name := schema.EventName(lr)
	id := f.str(fEventID)
	if id == "" {
		return 0, "", skippedMissingID
	}
	w.Begin()
	w.Time("@timestamp", lr.Timestamp())
	w.Object("event")
	w.Field("action", name)
	w.Time("created", lr.ObservedTimestamp())
	w.Field("dataset", "footfall.events")
	w.Field("id", id)
	w.Field("kind", "event")
	w.Close()
	encodeEventFootfall(w, f, res)
	w.Object("session")
	f.writeStr(w, "id", fSessionID)
	f.writeStr(w, "previous_id", fSessionPrevID)
	f.writeValue(w, "sequence", fSessionSeq)
	w.Close()
	encodeGeo(w, f)
	w.Object("url")
	f.writeStr(w, "domain", fURLDomain)
	f.writeStr(w, "full", fURLFull)
	f.writeStr(w, "path", fURLPath)
	w.Close()
	w.Object("user_agent")
	f.writeStr(w, "name", fUAName)
	f.writeStr(w, "original", fUAOriginal)
	w.Object("os")
	f.writeStr(w, "name", fUAOSName)
	f.writeStr(w, "version", fUAOSVersion)
	w.Close()
	w.Object("synthetic")
	f.writeStr(w, "type", fUASynthetic)
	w.Close()
	f.writeStr(w, "version", fUAVersion)
	w.Close()
	w.End()
	if w.Err() != nil {
		return 0, "", skippedUnencodable
	}
	return eventDoc, siteScoped(res, f, id), ""
}

// encodeEventFootfall writes an event's footfall namespace: what events
// and sessions share (identity, device, bot verdict, attribution) and the
// event's own fields.
func encodeEventFootfall(w *jsonwriter.Writer, f *fields, res pcommon.Map) {
	w.Object("footfall")
	f.writeStr(w, "bot_reason", fBotReason)
	w.Object("click")
	f.writeStr(w, "element", fClickElement)
	w.Close()
	w.Object("click_id")
	f.writeStr(w, "type", fClickIDType)
	f.writeStr(w, "value", fClickID)
	w.Close()
	f.writeValue(w, "client_time_unix_nano", fEventClientTime)
	f.writeValue(w, "clock_skewed", fEventClockSkewed)
	f.writeStr(w, "device_type", fDeviceType)
	w.Object("engagement")
	f.writeValue(w, "scroll_depth", fEngagementScrollDepth)
	f.writeValue(w, "time_ms", fEngagementTimeMs)
	w.Close()
	f.writeValue(w, "event_id_generated", fEventIDGenerated)
	w.Object("goal")
	f.writeStr(w, "currency", fGoalCurrency)
	f.writeValue(w, "value", fGoalValue)
	w.Close()
	f.writeStr(w, "ingest_format", fIngestFormat)
	f.writeValue(w, "late", fEventLate)
	w.Object("link")
	f.writeStr(w, "url", fLinkURL)
	w.Close()
	encodeProperties(w, f)
	encodeAttribution(w, f, "referrer")
	f.writeStr(w, "referrer_url", fReferrer)
	encodeIdentity(w, f, res, "site_id", fSiteID)
	encodeAttribution(w, f, "utm")
	encodeIdentity(w, f, res, "visitor_id", fVisitorID)
	encodeIdentity(w, f, res, "visitor_id_source", fVisitorIDSource)
	w.Object("web_vital")
	f.writeStr(w, "name", fWebVitalName)
	f.writeValue(w, "value", fWebVitalValue)
	w.Close()
	w.Close()
}

// encodeProperties writes the custom properties, by sorted key.
func encodeProperties(w *jsonwriter.Writer, f *fields) {
	w.Object("properties")
	slices.Sort(f.other)
	for _, k := range f.other {
		v, _ := f.attrs.Get(k)
		w.Raw(k, v)
	}
	w.Close()
}

// encodeAttribution writes the referrer or utm object.
func encodeAttribution(w *jsonwriter.Writer, f *fields, which string) {
	w.Object(which)
	if which == "referrer" {
		f.writeStr(w, "class", fReferrerClass)
		f.writeStr(w, "host", fReferrerHost)
		f.writeStr(w, "source", fReferrerSource)
	} else {
		f.writeStr(w, "campaign", fUTMCampaign)
		f.writeStr(w, "content", fUTMContent)
		f.writeStr(w, "medium", fUTMMedium)
		f.writeStr(w, "source", fUTMSource)
		f.writeStr(w, "term", fUTMTerm)
	}
	w.Close()
}

// encodeIdentity writes the site or visitor: the resource's, else the record's.
func encodeIdentity(w *jsonwriter.Writer, f *fields, res pcommon.Map, key string, id field) {
	if v, ok := res.Get(attrOf(id)); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
		w.String(key, v.Str())
		return
	}
	f.writeStr(w, key, id)
}

func attrOf(id field) string {
	switch id {
	case fSiteID:
		return schema.AttrSiteID
	case fVisitorID:
		return schema.AttrVisitorID
	default:
		return schema.AttrVisitorIDSource
	}
}

func encodeGeo(w *jsonwriter.Writer, f *fields) {
	w.Object("source")
	w.Object("geo")
	f.writeStr(w, "city_name", fGeoCity)
	f.writeStr(w, "country_iso_code", fGeoCountry)
	f.writeStr(w, "region_iso_code", fGeoRegion)
	w.Close()
	w.Close()
}

// siteScoped is a document's _id: the site and the record's id. Event ids
// come from clients, and a client of one site must not be able to take,
// with an id it chose, the _id of another site's document.
func siteScoped(res pcommon.Map, f *fields, id string) string {
	site := ""
	if v, ok := res.Get(schema.AttrSiteID); ok && v.Type() == pcommon.ValueTypeStr {
		site = v.Str()
	}
	if site == "" {
		site = f.str(fSiteID)
	}
	return site + ":" + id
}

// encodeSession appends a session.end record's document.
func encodeSession(w *jsonwriter.Writer, f *fields, res pcommon.Map) (kind, string, string) {
	id := f.str(fSessionID)
	if id == "" {
		return 0, "", skippedMissingID
	}
	start := time.Unix(0, f.int(fSessionStartTime))
	w.Begin()
	w.TimeOf("@timestamp", start)
	w.Object("event")
	w.Field("action", schema.EventSessionEnd)
	w.Field("dataset", "footfall.sessions")
	f.writeStr(w, "id", fEventID)
	w.Field("kind", "event")
	w.Close()
	w.Object("footfall")
	f.writeStr(w, "bot_reason", fBotReason)
	f.writeStr(w, "device_type", fDeviceType)
	encodeAttribution(w, f, "referrer")
	encodeIdentity(w, f, res, "site_id", fSiteID)
	encodeAttribution(w, f, "utm")
	encodeIdentity(w, f, res, "visitor_id", fVisitorID)
	encodeIdentity(w, f, res, "visitor_id_source", fVisitorIDSource)
	w.Close()
	w.Object("session")
	f.writeValue(w, "bounce", fSessionBounce)
	f.writeValue(w, "duration_ms", fSessionDurationMs)
	w.TimeOf("end", time.Unix(0, f.int(fSessionEndTime)))
	f.writeStr(w, "end_reason", fSessionEndReason)
	f.writeStr(w, "entry_page", fSessionEntryPage)
	f.writeValue(w, "events", fSessionEvents)
	f.writeStr(w, "exit_page", fSessionExitPage)
	f.writeValue(w, "goals", fSessionGoals)
	w.Field("id", id)
	f.writeValue(w, "page_views", fSessionPageViews)
	f.writeValue(w, "returning", fSessionReturning)
	encodeRevenue(w, f)
	w.TimeOf("start", start)
	w.Close()
	encodeGeo(w, f)
	w.End()
	if w.Err() != nil {
		return 0, "", skippedUnencodable
	}
	return sessionDoc, siteScoped(res, f, id), ""
}

// encodeRevenue writes a session's goal values per currency as nested
// {currency, value} objects: a field per currency would grow the mapping
// with every currency, and a sum must not mix currencies.
func encodeRevenue(w *jsonwriter.Writer, f *fields) {
	if !f.has[fSessionRevenue] || f.values[fSessionRevenue].Type() != pcommon.ValueTypeMap || f.values[fSessionRevenue].Map().Len() == 0 {
		return
	}
	w.List("revenue")
	for currency, amount := range f.values[fSessionRevenue].Map().All() {
		w.Item()
		w.Field("currency", currency)
		w.Raw("value", amount)
		w.EndItem()
	}
	w.EndList()
}
