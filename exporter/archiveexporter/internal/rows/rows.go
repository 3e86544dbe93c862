// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package rows maps events and session summaries to the archive's Parquet
// columns (docs/archive.md): typed columns for what every query needs, the
// custom properties as one JSON column.
package rows // import "github.com/footfall-analytics/footfall/exporter/archiveexporter/internal/rows"

import (
	"encoding/json"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// SchemaVersion is written to every file's key-value metadata
// (footfall.archive.schema_version); it changes when a column changes
// meaning or type, never when one is added.
const SchemaVersion = "1"

// Event is one raw event.
type Event struct {
	Time             int64    `parquet:"time,timestamp(microsecond)"`
	Site             string   `parquet:"-"` // in the path (site=): Spark refuses a column that is also a partition
	VisitorID        string   `parquet:"visitor_id"`
	SessionID        string   `parquet:"session_id"`
	EventID          string   `parquet:"event_id"`
	EventName        string   `parquet:"event_name,dict"`
	Path             string   `parquet:"url_path,dict"`
	Domain           string   `parquet:"url_domain,dict"`
	ReferrerClass    string   `parquet:"referrer_class,dict"`
	ReferrerSource   string   `parquet:"referrer_source,dict"`
	UTMSource        string   `parquet:"utm_source,dict"`
	UTMMedium        string   `parquet:"utm_medium,dict"`
	UTMCampaign      string   `parquet:"utm_campaign,dict"`
	Country          string   `parquet:"country,dict"`
	Device           string   `parquet:"device_type,dict"`
	Browser          string   `parquet:"browser,dict"`
	GoalValue        *float64 `parquet:"goal_value,optional"`
	GoalCurrency     string   `parquet:"goal_currency,dict"`
	EngagementTimeMs *float64 `parquet:"engagement_time_ms,optional"`
	ScrollDepth      *float64 `parquet:"scroll_depth,optional"`
	WebVitalName     string   `parquet:"web_vital_name,dict"`
	WebVitalValue    *float64 `parquet:"web_vital_value,optional"`
	IngestFormat     string   `parquet:"ingest_format,dict"`
	Properties       string   `parquet:"properties,json"`
	// BotReason is why the event was judged a bot's (kept with bots: flag),
	// empty for a person's.
	BotReason string `parquet:"bot_reason,dict"`
}

// Session is one session.end summary.
type Session struct {
	Start          int64    `parquet:"start_time,timestamp(microsecond)"`
	End            int64    `parquet:"end_time,timestamp(microsecond)"`
	Site           string   `parquet:"-"` // in the path (site=)
	VisitorID      string   `parquet:"visitor_id"`
	SessionID      string   `parquet:"session_id"`
	DurationMs     int64    `parquet:"duration_ms"`
	PageViews      int64    `parquet:"page_views"`
	Events         int64    `parquet:"events"`
	Bounce         bool     `parquet:"bounce"`
	Returning      bool     `parquet:"returning"`
	EntryPage      string   `parquet:"entry_page,dict"`
	ExitPage       string   `parquet:"exit_page,dict"`
	EndReason      string   `parquet:"end_reason,dict"`
	ReferrerClass  string   `parquet:"referrer_class,dict"`
	ReferrerSource string   `parquet:"referrer_source,dict"`
	UTMSource      string   `parquet:"utm_source,dict"`
	UTMMedium      string   `parquet:"utm_medium,dict"`
	UTMCampaign    string   `parquet:"utm_campaign,dict"`
	Country        string   `parquet:"country,dict"`
	Device         string   `parquet:"device_type,dict"`
	Goals          []string `parquet:"goals,list"`
	Revenue        string   `parquet:"revenue,json"`
	BotReason      string   `parquet:"bot_reason,dict"`
}

// Kind names what a file holds: the kind= directory of the layout.
type Kind string

const (
	KindEvents   Kind = "events"
	KindSessions Kind = "sessions"
)

// Partition is one Hive-style directory: kind, site, date and hour (UTC).
type Partition struct {
	Kind Kind
	Site string
	Hour time.Time
}

// Batch is one push's rows by partition.
type Batch struct {
	Events   map[Partition][]Event
	Sessions map[Partition][]Session
	// Skipped counts records that are neither events nor trusted session
	// summaries (session.start, records without a site), and records whose
	// site id is not one a config could hold (schema.CheckSiteID): a site
	// id names a directory, and one such record must not fail the writes
	// of its whole batch.
	Skipped int
}

// FromLogs maps the sessionized stream: every event, and every session.end
// the sessionize processor made. session.start adds nothing session.end
// does not report.
func FromLogs(ld plog.Logs) Batch {
	b := Batch{Events: map[Partition][]Event{}, Sessions: map[Partition][]Session{}}
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				b.add(res, lr, schema.KindOf(sl.Scope(), lr))
			}
		}
	}
	return b
}

func (b *Batch) add(res pcommon.Map, lr plog.LogRecord, kind schema.RecordKind) {
	attrs := lr.Attributes()
	site := attr.Lookup(res, attrs, schema.AttrSiteID)
	switch {
	case schema.CheckSiteID(site) != nil:
		b.Skipped++
	case kind == schema.KindSessionEnd:
		s := sessionOf(res, attrs, site)
		p := Partition{Kind: KindSessions, Site: site, Hour: hourOf(s.Start)}
		b.Sessions[p] = append(b.Sessions[p], s)
	case kind != schema.KindEvent:
		b.Skipped++
	default:
		e := eventOf(res, lr, site)
		p := Partition{Kind: KindEvents, Site: site, Hour: hourOf(e.Time)}
		b.Events[p] = append(b.Events[p], e)
	}
}

func hourOf(micros int64) time.Time { return time.UnixMicro(micros).UTC().Truncate(time.Hour) }

func eventOf(res pcommon.Map, lr plog.LogRecord, site string) Event {
	attrs := lr.Attributes()
	at := lr.Timestamp()
	if at == 0 {
		at = lr.ObservedTimestamp()
	}
	return Event{
		Time:             at.AsTime().UnixMicro(),
		Site:             site,
		VisitorID:        attr.Lookup(res, attrs, schema.AttrVisitorID),
		SessionID:        attr.Str(attrs, schema.AttrSessionID),
		EventID:          attr.Str(attrs, schema.AttrEventID),
		EventName:        schema.EventName(lr),
		Path:             attr.Str(attrs, schema.AttrURLPath),
		Domain:           attr.Str(attrs, schema.AttrURLDomain),
		ReferrerClass:    attr.Str(attrs, schema.AttrReferrerClass),
		ReferrerSource:   attr.Str(attrs, schema.AttrReferrerSource),
		UTMSource:        attr.Str(attrs, schema.AttrUTMSource),
		UTMMedium:        attr.Str(attrs, schema.AttrUTMMedium),
		UTMCampaign:      attr.Str(attrs, schema.AttrUTMCampaign),
		Country:          attr.Str(attrs, schema.AttrGeoCountry),
		Device:           attr.Str(attrs, schema.AttrDeviceType),
		Browser:          attr.Str(attrs, schema.AttrUserAgentName),
		GoalValue:        measure(attrs, schema.AttrGoalValue),
		GoalCurrency:     strings.ToUpper(attr.Str(attrs, schema.AttrGoalCurrency)),
		EngagementTimeMs: measure(attrs, schema.AttrEngagementTimeMs),
		ScrollDepth:      measure(attrs, schema.AttrEngagementScrollDepth),
		WebVitalName:     attr.Str(attrs, schema.AttrWebVitalName),
		WebVitalValue:    measure(attrs, schema.AttrWebVitalValue),
		IngestFormat:     attr.Str(attrs, schema.AttrIngestFormat),
		Properties:       properties(attrs),
		BotReason:        schema.BotReasonOf(attrs),
	}
}

func sessionOf(res, attrs pcommon.Map, site string) Session {
	s := Session{
		Start:          attr.Int(attrs, schema.AttrSessionStartTime) / 1000,
		End:            attr.Int(attrs, schema.AttrSessionEndTime) / 1000,
		Site:           site,
		VisitorID:      attr.Lookup(res, attrs, schema.AttrVisitorID),
		SessionID:      attr.Str(attrs, schema.AttrSessionID),
		DurationMs:     attr.Int(attrs, schema.AttrSessionDurationMs),
		PageViews:      attr.Int(attrs, schema.AttrSessionPageViews),
		Events:         attr.Int(attrs, schema.AttrSessionEvents),
		Bounce:         attr.Bool(attrs, schema.AttrSessionBounce),
		Returning:      attr.Bool(attrs, schema.AttrSessionReturning),
		EntryPage:      attr.Str(attrs, schema.AttrSessionEntryPage),
		ExitPage:       attr.Str(attrs, schema.AttrSessionExitPage),
		EndReason:      attr.Str(attrs, schema.AttrSessionEndReason),
		ReferrerClass:  attr.Str(attrs, schema.AttrReferrerClass),
		ReferrerSource: attr.Str(attrs, schema.AttrReferrerSource),
		UTMSource:      attr.Str(attrs, schema.AttrUTMSource),
		UTMMedium:      attr.Str(attrs, schema.AttrUTMMedium),
		UTMCampaign:    attr.Str(attrs, schema.AttrUTMCampaign),
		Country:        attr.Str(attrs, schema.AttrGeoCountry),
		Device:         attr.Str(attrs, schema.AttrDeviceType),
		Revenue:        "{}",
		BotReason:      schema.BotReasonOf(attrs),
	}
	if goals, ok := attrs.Get(schema.AttrSessionGoals); ok && goals.Type() == pcommon.ValueTypeSlice {
		for _, g := range goals.Slice().All() {
			s.Goals = append(s.Goals, g.AsString())
		}
	}
	if revenue, ok := attrs.Get(schema.AttrSessionRevenue); ok && revenue.Type() == pcommon.ValueTypeMap {
		if b, err := json.Marshal(revenue.Map().AsRaw()); err == nil {
			s.Revenue = string(b)
		}
	}
	return s
}

func measure(attrs pcommon.Map, key string) *float64 {
	v, status := attr.Measure(attrs, key)
	if status != attr.MeasureValid {
		return nil
	}
	return &v
}

// properties is the event's custom properties as a JSON object
// (schema.IsCustomProperty).
func properties(attrs pcommon.Map) string {
	props := map[string]any{}
	for k, v := range attrs.All() {
		if schema.IsCustomProperty(k) {
			props[k] = v.AsRaw()
		}
	}
	b, err := json.Marshal(props) // keys sorted: equal events give equal bytes
	if err != nil {
		return "{}"
	}
	return string(b)
}
