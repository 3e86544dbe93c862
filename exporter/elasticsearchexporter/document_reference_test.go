// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// The document mapping as first written, with maps and encoding/json: the
// reference the streaming encoder (document.go) is checked against, byte
// for byte, by TestDocumentMapping and FuzzEncodeDocument.

// document is one record mapped to an ECS-friendly JSON object.
type document struct {
	kind kind
	id   string
	body map[string]any
}

// referenceDocument maps one record, or reports why it is not stored.
func referenceDocument(res pcommon.Map, lr plog.LogRecord) (document, string) {
	attrs := lr.Attributes()
	name := lr.EventName()
	if name == "" {
		name = str(attrs, schema.AttrEventNameLegacy)
	}
	switch name {
	case schema.EventSessionStart:
		return document{}, skippedSessionStart
	case schema.EventSessionEnd:
		return referenceSessionDocument(res, lr)
	}
	id := str(attrs, schema.AttrEventID)
	if id == "" {
		return document{}, skippedMissingID
	}
	doc := object{}
	doc.put("@timestamp", timestamp(lr.Timestamp()))
	doc.put("event", object{"id": id, "action": name, "kind": "event", "dataset": "footfall.events"}.
		with("created", timestamp(lr.ObservedTimestamp())))
	doc.put("url", object{}.str("full", attrs, schema.AttrURLFull).str("path", attrs, schema.AttrURLPath).str("domain", attrs, schema.AttrURLDomain))
	doc.put("user_agent", object{}.str("original", attrs, schema.AttrUserAgentOriginal).str("name", attrs, schema.AttrUserAgentName).
		str("version", attrs, schema.AttrUserAgentVersion).
		with("os", object{}.str("name", attrs, schema.AttrUserAgentOSName).str("version", attrs, schema.AttrUserAgentOSVersion)).
		with("synthetic", object{}.str("type", attrs, schema.AttrUserAgentSynthetic)))
	doc.put("source", object{}.with("geo", geo(attrs)))
	doc.put("session", object{}.str("id", attrs, schema.AttrSessionID).str("previous_id", attrs, schema.AttrSessionPrevID).
		value("sequence", attrs, schema.AttrSessionSeq))
	ff := footfall(res, attrs)
	ff.with("click", object{}.str("element", attrs, schema.AttrClickElement)).
		with("link", object{}.str("url", attrs, schema.AttrLinkURL)).
		with("goal", object{}.value("value", attrs, schema.AttrGoalValue).str("currency", attrs, schema.AttrGoalCurrency)).
		with("engagement", object{}.value("time_ms", attrs, schema.AttrEngagementTimeMs).value("scroll_depth", attrs, schema.AttrEngagementScrollDepth)).
		with("web_vital", object{}.str("name", attrs, schema.AttrWebVitalName).value("value", attrs, schema.AttrWebVitalValue)).
		with("click_id", object{}.str("type", attrs, schema.AttrClickIDType).str("value", attrs, schema.AttrClickID)).
		value("late", attrs, schema.AttrEventLate).value("clock_skewed", attrs, schema.AttrEventClockSkewed).
		value("client_time_unix_nano", attrs, schema.AttrEventClientTime).value("event_id_generated", attrs, schema.AttrEventIDGenerated)
	ff.str("referrer_url", attrs, schema.AttrReferrer).str("ingest_format", attrs, schema.AttrIngestFormat)
	props := object{}
	for k, v := range attrs.All() {
		if schema.IsCustomProperty(k) {
			props[k] = v.AsRaw()
		}
	}
	ff.with("properties", props)
	doc.put("footfall", ff)
	return document{kind: eventDoc, id: referenceID(res, attrs, id), body: doc}, ""
}

func referenceID(res, attrs pcommon.Map, id string) string {
	site := str(res, schema.AttrSiteID)
	if site == "" {
		site = str(attrs, schema.AttrSiteID)
	}
	return site + ":" + id
}

func referenceSessionDocument(res pcommon.Map, lr plog.LogRecord) (document, string) {
	attrs := lr.Attributes()
	id := str(attrs, schema.AttrSessionID)
	if id == "" {
		return document{}, skippedMissingID
	}
	doc := object{}
	startTime := time.Unix(0, intOf(attrs, schema.AttrSessionStartTime)).UTC()
	doc.put("@timestamp", startTime.Format(time.RFC3339Nano))
	doc.put("event", object{"action": schema.EventSessionEnd, "kind": "event", "dataset": "footfall.sessions"}.str("id", attrs, schema.AttrEventID))
	s := object{"id": id}.
		with("start", startTime.Format(time.RFC3339Nano)).
		with("end", time.Unix(0, intOf(attrs, schema.AttrSessionEndTime)).UTC().Format(time.RFC3339Nano)).
		value("duration_ms", attrs, schema.AttrSessionDurationMs).value("page_views", attrs, schema.AttrSessionPageViews).
		value("events", attrs, schema.AttrSessionEvents).value("bounce", attrs, schema.AttrSessionBounce).
		value("returning", attrs, schema.AttrSessionReturning).str("entry_page", attrs, schema.AttrSessionEntryPage).
		str("exit_page", attrs, schema.AttrSessionExitPage).str("end_reason", attrs, schema.AttrSessionEndReason).
		value("goals", attrs, schema.AttrSessionGoals)
	s.put("revenue", revenue(attrs))
	doc.put("session", s)
	doc.put("source", object{}.with("geo", geo(attrs)))
	doc.put("footfall", footfall(res, attrs))
	return document{kind: sessionDoc, id: referenceID(res, attrs, id), body: doc}, ""
}

// revenue lists a session's goal values per currency as nested
// {currency, value} objects: a field per currency would grow the mapping
// with every currency, and a sum must not mix currencies.
func revenue(attrs pcommon.Map) []object {
	sums, ok := attrs.Get(schema.AttrSessionRevenue)
	if !ok || sums.Type() != pcommon.ValueTypeMap {
		return nil
	}
	var list []object
	for currency, amount := range sums.Map().All() {
		list = append(list, object{"currency": currency, "value": amount.AsRaw()})
	}
	return list
}

func geo(attrs pcommon.Map) object {
	return object{}.str("country_iso_code", attrs, schema.AttrGeoCountry).str("region_iso_code", attrs, schema.AttrGeoRegion).
		str("city_name", attrs, schema.AttrGeoCity)
}

// footfall holds the fields of the footfall namespace common to events and sessions.
func footfall(res, attrs pcommon.Map) object {
	ff := object{}
	for _, kv := range [][2]string{{"site_id", schema.AttrSiteID}, {"visitor_id", schema.AttrVisitorID}, {"visitor_id_source", schema.AttrVisitorIDSource}} {
		if v := str(res, kv[1]); v != "" {
			ff[kv[0]] = v
		} else {
			ff.str(kv[0], attrs, kv[1])
		}
	}
	ff.str("device_type", attrs, schema.AttrDeviceType)
	ff.str("bot_reason", attrs, schema.AttrBotReason)
	ff.with("referrer", object{}.str("class", attrs, schema.AttrReferrerClass).str("source", attrs, schema.AttrReferrerSource).
		str("host", attrs, schema.AttrReferrerHost))
	ff.with("utm", object{}.str("source", attrs, schema.AttrUTMSource).str("medium", attrs, schema.AttrUTMMedium).
		str("campaign", attrs, schema.AttrUTMCampaign).str("term", attrs, schema.AttrUTMTerm).str("content", attrs, schema.AttrUTMContent))
	return ff
}

// object builds a JSON object, leaving out empty values and empty objects.
type object map[string]any

func (o object) put(key string, v any) {
	switch v := v.(type) {
	case object:
		if len(v) == 0 {
			return
		}
	case []object:
		if len(v) == 0 {
			return
		}
	case string:
		if v == "" {
			return
		}
	}
	o[key] = v
}

func (o object) with(key string, v any) object { o.put(key, v); return o }

func (o object) str(key string, attrs pcommon.Map, attr string) object {
	if v := str(attrs, attr); v != "" {
		o[key] = v
	}
	return o
}

// value copies an attribute of any type.
func (o object) value(key string, attrs pcommon.Map, attr string) object {
	if v, ok := attrs.Get(attr); ok && v.Type() != pcommon.ValueTypeEmpty {
		o[key] = v.AsRaw()
	}
	return o
}

func str(m pcommon.Map, key string) string {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeStr {
		return v.Str()
	}
	return ""
}

func intOf(m pcommon.Map, key string) int64 {
	if v, ok := m.Get(key); ok && v.Type() == pcommon.ValueTypeInt {
		return v.Int()
	}
	return 0
}

func timestamp(ts pcommon.Timestamp) string {
	if ts == 0 {
		return ""
	}
	return ts.AsTime().UTC().Format(time.RFC3339Nano)
}
