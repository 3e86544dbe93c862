// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package snapshot turns the webanalytics connector's cumulative metrics into
// what the live dashboard shows: per site, the latest gauges and breakdowns,
// and windowed counts from a per-minute history of the counters.
package snapshot // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"

import (
	"time"

	"github.com/footfall-analytics/footfall/internal/schema"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

// counter indexes the cumulative counters kept per minute.
type counter int

const (
	pageViews counter = iota
	sessions
	bounces
	sessionsEnded
	durationSum
	durationCount
	numCounters
)

// breakdowns shown as top lists, by metric, with the attribute naming an
// entry (and a second one, for funnels: the step).
var breakdowns = map[string]struct{ list, label, fallback, second string }{
	schema.MetricPageViewsByPath:  {list: "pages", label: "path"},
	schema.MetricSessionsByRef:    {list: "sources", label: "referrer_source", fallback: "referrer_class"},
	schema.MetricSessionsByGeo:    {list: "countries", label: "country"},
	schema.MetricSessionsByDevice: {list: "devices", label: "device_type"},
	schema.MetricGoalConversions:  {list: "goals", label: "goal"},
	schema.MetricFunnelSessions:   {list: "funnels", label: "funnel", second: "step"},
}

// historyLength keeps enough minutes for "today" in any time zone.
const historyLength = 25 * 60

type minuteSample struct {
	minute int64 // Unix minutes
	values [numCounters]float64
}

// cumulative follows one counter across resets (a restarted collector starts
// its counters again from zero).
type cumulative struct {
	last, offset float64
}

func (c *cumulative) observe(v float64) float64 {
	if v < c.last {
		c.offset += c.last
	}
	c.last = v
	return v + c.offset
}

type site struct {
	counters [numCounters]cumulative
	current  [numCounters]float64
	history  []minuteSample
	visitors map[string]float64
	live     float64
	hasLive  bool
	lists    map[string]map[string]float64
	listHist *listHistory
}

// Tracker holds the dashboard's state. It is not safe for concurrent use;
// the exporter owns it under its mutex.
type Tracker struct {
	maxSites int
	// loc is where days begin, for "today".
	loc   *time.Location
	sites map[string]*site
}

// NewTracker tracks at most maxSites sites; loc is the time zone of "today".
func NewTracker(maxSites int, loc *time.Location) *Tracker {
	return &Tracker{maxSites: maxSites, loc: loc, sites: map[string]*site{}}
}

// dayOf numbers the day minute falls in, in the tracker's time zone.
func (t *Tracker) dayOf(minute int64) int64 {
	y, m, d := time.Unix(minute*60, 0).In(t.loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

// Sites is the number of sites tracked.
func (t *Tracker) Sites() int { return len(t.sites) }

// Ingest reads one push of the connector's metrics at now. It returns the
// number of data points of sites beyond maxSites, which are not shown.
func (t *Tracker) Ingest(md pmetric.Metrics, now time.Time) (dropped int) {
	type sums = map[string]*[numCounters]float64
	counts := sums{}
	add := func(siteID string, c counter, v float64) {
		if counts[siteID] == nil {
			counts[siteID] = &[numCounters]float64{}
		}
		counts[siteID][c] += v
	}
	pushed := map[listKey]bool{}
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				dropped += t.ingestMetric(m, pushed, add)
			}
		}
	}
	minute := now.Unix() / 60
	for siteID, values := range counts {
		s := t.site(siteID)
		if s == nil {
			continue
		}
		for c := range numCounters {
			s.current[c] = s.counters[c].observe(values[c])
		}
		s.record(minute)
	}
	for id := range pushedSites(pushed) {
		if s := t.sites[id]; s != nil {
			s.listHist.record(minute, t.dayOf(minute), s.lists)
		}
	}
	return dropped
}

type listKey struct{ site, list string }

func pushedSites(pushed map[listKey]bool) map[string]bool {
	sites := map[string]bool{}
	for key := range pushed {
		sites[key.site] = true
	}
	return sites
}

func (t *Tracker) ingestMetric(m pmetric.Metric, pushed map[listKey]bool, add func(string, counter, float64)) (dropped int) {
	siteOf := func(attrs pcommon.Map) (*site, string) {
		v, _ := attrs.Get("site")
		s := t.site(v.Str())
		if s == nil {
			dropped++
		}
		return s, v.Str()
	}
	switch m.Type() {
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			s, siteID := siteOf(dp.Attributes())
			if s == nil {
				continue
			}
			v := numberValue(dp)
			switch m.Name() {
			case schema.MetricPageViews:
				add(siteID, pageViews, v)
			case schema.MetricSessions:
				add(siteID, sessions, v)
			case schema.MetricBounces:
				add(siteID, bounces, v)
			case schema.MetricSessionsEnded:
				add(siteID, sessionsEnded, v)
			}
			if b, ok := breakdowns[m.Name()]; ok {
				name, _ := dp.Attributes().Get(b.label)
				entry := name.Str()
				if (entry == "" || entry == "unknown") && b.fallback != "" {
					// A direct visit has no source: show its class.
					fallback, _ := dp.Attributes().Get(b.fallback)
					entry = fallback.Str()
				}
				if b.second != "" {
					second, _ := dp.Attributes().Get(b.second)
					entry += " · " + b.second + " " + second.Str()
				}
				// Each push carries every series with its cumulative value:
				// a list is rebuilt from the push, summing series that
				// show under one name.
				if !pushed[listKey{siteID, b.list}] {
					pushed[listKey{siteID, b.list}] = true
					s.lists[b.list] = map[string]float64{}
				}
				s.lists[b.list][entry] += v
			}
		}
	case pmetric.MetricTypeHistogram:
		if m.Name() != schema.MetricSessionDuration {
			return dropped
		}
		for _, dp := range m.Histogram().DataPoints().All() {
			if s, siteID := siteOf(dp.Attributes()); s != nil {
				add(siteID, durationSum, dp.Sum())
				add(siteID, durationCount, float64(dp.Count()))
			}
		}
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			s, _ := siteOf(dp.Attributes())
			if s == nil {
				continue
			}
			switch m.Name() {
			case schema.MetricVisitorsCurrent:
				s.live, s.hasLive = numberValue(dp), true
			case schema.MetricVisitors:
				window, _ := dp.Attributes().Get("window")
				s.visitors[window.Str()] = numberValue(dp)
			}
		}
	default:
	}
	return dropped
}

// site returns the site's state, making it when there is room; nil when
// maxSites sites are tracked already.
func (t *Tracker) site(id string) *site {
	if s, ok := t.sites[id]; ok {
		return s
	}
	if len(t.sites) >= t.maxSites {
		return nil
	}
	s := &site{visitors: map[string]float64{}, lists: map[string]map[string]float64{}, listHist: newListHistory()}
	t.sites[id] = s
	return s
}

// record keeps the counters' values at the end of this minute.
func (s *site) record(minute int64) {
	if n := len(s.history); n > 0 && s.history[n-1].minute == minute {
		s.history[n-1].values = s.current
		return
	}
	s.history = append(s.history, minuteSample{minute: minute, values: s.current})
	if len(s.history) > historyLength {
		s.history = append(s.history[:0], s.history[len(s.history)-historyLength:]...)
	}
}

// at returns the counters as they were at the end of the given minute: the
// last sample at or before it, or zero before the first sample (the
// connector's counters start at zero with the process).
func (s *site) at(minute int64) [numCounters]float64 {
	var out [numCounters]float64
	for i := len(s.history) - 1; i >= 0; i-- {
		if s.history[i].minute <= minute {
			return s.history[i].values
		}
	}
	return out
}

func numberValue(dp pmetric.NumberDataPoint) float64 {
	if dp.ValueType() == pmetric.NumberDataPointValueTypeInt {
		return float64(dp.IntValue())
	}
	return dp.DoubleValue()
}
