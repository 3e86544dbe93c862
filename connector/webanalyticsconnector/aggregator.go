// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/pathnorm"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/uniques"
	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/binwrite"
	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/internal/schema"
)

// The aggregator's files, one idea each: this one holds the state, routes a
// record to what counts it and renders the metrics; event.go is the record
// being counted; pageevents.go, sessions.go, goals.go and attribution.go
// count by kind of event; site.go is a site's clock and visitor gauges;
// breakdown.go bounds label values; series.go stores the series.

const (
	otherValue   = "other"
	unknownValue = "unknown"
	// maxSites bounds the sites the connector keeps state for.
	maxSites = 10_000
)

// Reasons a record is not counted.
const (
	skippedMissingSite    = "missing_site"
	skippedMissingVisitor = "missing_visitor"
	skippedDuplicateGoal  = "duplicate_goal"
	skippedTooManySites   = "too_many_sites"
	// skippedUntrustedSession: a session.start or session.end that the
	// sessionize processor did not make (wrong scope).
	skippedUntrustedSession = "untrusted_session_record"
	// skippedInvalidMeasure: a value that is not a finite number in its
	// range (schema.Measures); the rest of the record is counted.
	skippedInvalidMeasure = "invalid_measure"
	// skippedRedelivered: a batch counted already, delivered again because
	// a sibling consumer of a fan-out refused it.
	skippedRedelivered = "redelivered"
	// skippedInvalidProperty: a configured custom property whose value
	// cannot be a label (attr.Label); the rest of the record is counted.
	skippedInvalidProperty = "invalid_property"
	// skippedInvalidFunnelStep: a footfall.session.funnel_steps entry that
	// is not a step the sessionize processor can write.
	skippedInvalidFunnelStep = "invalid_funnel_step"
	// skippedInvalidGoal: a footfall.session.goals entry that cannot be a
	// label (attr.Label); the sessionize processor never writes one.
	skippedInvalidGoal = "invalid_goal"
	// skippedSumOverflow: a value that would make its series' sum no
	// longer a finite number.
	skippedSumOverflow = "sum_overflow"
)

// recentBatches is how many batch fingerprints are remembered to recognise
// a redelivery; the sessionize processor redelivers only its oldest
// undelivered batch.
const recentBatches = 64

// counts is what one consume or flush did, for the self-telemetry.
type counts struct {
	late, dropped, retired int
	skipped                map[string]int
}

// aggregator is the connector's state. It is not safe for concurrent use:
// the connector's mutex owns it.
type aggregator struct {
	cfg   *Config
	paths *pathnorm.Normalizer
	// properties are the custom properties broken down, by event name.
	properties map[string][]string
	store      *store
	sites      map[string]*siteState
	revenue    *dedup.Cache
	recent     *redelivery.Memory
	// newest is the newest event time seen of any site, never past the wall
	// clock; it only expires the revenue dedup memory.
	newest time.Time
	// marked: changes are noted for the next delta (delta.go);
	// recentMark is recent's count of fingerprints remembered then.
	marked     bool
	recentMark uint64
	// strings numbers the strings the saves of the chain since the last
	// base wrote, which the next delta goes on with (statecodec.go); at
	// most binread.MaxInterned of them.
	strings *binwrite.Strings
}

func newAggregator(cfg *Config) (*aggregator, error) {
	paths, err := pathnorm.New(cfg.pathRules(), maxPathSegments, maxPathBytes)
	if err != nil {
		return nil, err
	}
	return &aggregator{
		cfg: cfg, paths: paths, properties: cfg.Properties, store: newStore(cfg.MaxSeries, cfg.MaxSeriesPerSite, min(cfg.MaxSeriesPerSite/2, coreSeriesBound(cfg.TopK))), sites: map[string]*siteState{},
		revenue: dedup.New(cfg.RevenueDedupWindow, cfg.RevenueDedupMaxEntries, nil),
		recent:  redelivery.New(recentBatches), strings: &binwrite.Strings{},
	}, nil
}

func (a *aggregator) site(id string) *siteState {
	if s, ok := a.sites[id]; ok {
		return s
	}
	if len(a.sites) >= maxSites {
		return nil
	}
	// UTC until the records name the site's zone (followZone).
	s := &siteState{uniques: uniques.New(time.UTC), breakdowns: map[breakdownKey]*breakdown{}}
	if a.marked {
		s.uniques.Mark() // a delta holds a new site's windows whole
	}
	a.sites[strings.Clone(id)] = s
	return s
}

// consume counts the records of ld, as seen at wall-clock time now. A batch
// counted before is not counted again.
func (a *aggregator) consume(ld plog.Logs, now time.Time) counts {
	c := counts{skipped: map[string]int{}}
	if n := ld.LogRecordCount(); n > 0 && a.recent.Seen(redelivery.Fingerprint(ld)) {
		c.skipped[skippedRedelivered] += n
		return c
	}
	for _, rl := range ld.ResourceLogs().All() {
		res := rl.Resource().Attributes()
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				a.count(res, sl.Scope(), lr, now, &c)
			}
		}
	}
	return c
}

// count routes one record to what counts it: a record without a site or a
// visitor, or a forged session record, is skipped; a bot's events count
// only as bot events; the rest by their name.
func (a *aggregator) count(res pcommon.Map, scope pcommon.InstrumentationScope, lr plog.LogRecord, now time.Time, c *counts) {
	attrs := lr.Attributes()
	siteID := attr.Lookup(res, attrs, schema.AttrSiteID)
	visitor := attr.Lookup(res, attrs, schema.AttrVisitorID)
	switch {
	case siteID == "":
		c.skipped[skippedMissingSite]++
		return
	case visitor == "":
		c.skipped[skippedMissingVisitor]++
		return
	}
	site := a.site(siteID)
	if site == nil {
		c.skipped[skippedTooManySites]++
		return
	}
	site.changed = true
	site.followZone(res)
	if schema.KindOf(scope, lr) == schema.KindForgedSession {
		c.skipped[skippedUntrustedSession]++
		return
	}
	e := event{agg: a, counts: c, siteID: siteID, site: site, attrs: attrs, name: schema.EventName(lr)}
	if reason := schema.BotReasonOf(attrs); reason != "" {
		// A bot's events, and the start and end of its sessions, count
		// nowhere else; its events count here.
		if !schema.IsReservedEventName(e.name) {
			e.count(botEvents, reason)
		}
		return
	}
	e.at = a.see(site, timeOf(lr), now)
	switch e.name {
	case schema.EventSessionStart:
		e.sessionStart()
	case schema.EventSessionEnd:
		e.sessionEnd()
	default:
		site.uniques.Add(visitor, e.at)
		e.pageEvent()
	}
}

// timeOf is when the record's event happened, or when it was observed if
// the browser did not say.
func timeOf(lr plog.LogRecord) time.Time {
	if lr.Timestamp() == 0 {
		return lr.ObservedTimestamp().AsTime()
	}
	return lr.Timestamp().AsTime()
}

// put adds v to the site's series of def and values, the one way a value
// reaches the store: a breakdown's values are first bounded by the site's
// top K; the series' kind says whether v is added, observed or set.
func (a *aggregator) put(c *counts, siteID string, site *siteState, def *metricDef, v float64, values ...string) {
	if def.breakdown {
		values = site.breakdown(def, a.cfg.TopK, values).label(values)
	}
	s := a.store.get(def, siteID, values...)
	if s == nil {
		c.dropped++
		return
	}
	if !s.update(v) {
		c.skipped[skippedSumOverflow]++
	}
}

// metrics refreshes the breakdowns and the visitor gauges and renders every series.
func (a *aggregator) metrics(start, now time.Time) (pmetric.Metrics, counts) {
	c := counts{skipped: map[string]int{}}
	for siteID, site := range a.sites {
		for key, b := range site.breakdowns {
			for _, retired := range b.refresh() {
				if a.store.remove(key.def, siteID, retired) {
					c.retired++
				}
			}
			site.changed = site.changed || b.changed
		}
		a.refreshVisitors(&c, siteID, site, now)
	}
	if !a.newest.IsZero() {
		a.revenue.Expire(a.newest)
	}
	return a.store.metrics(allMetrics, metadata.ScopeName, pcommon.NewTimestampFromTime(start), pcommon.NewTimestampFromTime(now)), c
}

func orUnknown(s string) string {
	if s == "" {
		return unknownValue
	}
	return s
}
