// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

type kind int

const (
	counter kind = iota
	histogram
	gauge
)

// metricDef is one exported metric. Every series has a "site" attribute,
// then labels in order.
type metricDef struct {
	name, description, unit string
	kind                    kind
	labels                  []string
	bounds                  []float64
	// breakdown: the labels' values are bounded by a per-site top-K.
	breakdown bool
	// scoped, for a breakdown, is how many of the leading labels scope it:
	// each of their values has a top-K of its own over the other labels.
	scoped int
	// core metrics are the ones every site needs (pages, sources,
	// countries, sessions, visitors): the others, whose series grow with
	// what a site configures and sends (properties, currencies, funnels,
	// campaigns, clicks), cannot take the room kept for these.
	core bool
}

type series struct {
	def     *metricDef
	site    string
	values  []string
	value   float64 // counter or gauge value; histogram sum
	count   uint64
	buckets []uint64
	// changed: the series was made or updated since the last save (delta.go).
	changed bool
}

type seriesKey struct {
	def    *metricDef
	site   string
	values string
}

// store holds every exported series: at most maxPerSite of one site, and
// at most max in all. Of a site's budget, reserved series are kept for its
// core metrics.
type store struct {
	max, maxPerSite, reserved int
	series                    map[seriesKey]*series
	perSite                   map[string]int
	// removed are the series removed since the last save, noted once a
	// save marked the store (delta.go).
	removed removedSeries
}

func newStore(maxSeries, maxPerSite, reserved int) *store {
	return &store{max: maxSeries, maxPerSite: maxPerSite, reserved: reserved, series: map[seriesKey]*series{}, perSite: map[string]int{}}
}

func joinValues(values []string) string { return strings.Join(values, "\xff") }

// get returns the series, creating it when there is room; nil when there is not.
func (st *store) get(def *metricDef, site string, values ...string) *series {
	key := seriesKey{def: def, site: site, values: joinValues(values)}
	if s, ok := st.series[key]; ok {
		return s
	}
	budget := st.maxPerSite
	if !def.core {
		budget -= st.reserved
	}
	if len(st.series) >= st.max || st.perSite[site] >= budget {
		return nil
	}
	// Label values outlive the request whose buffer they may point into.
	owned := make([]string, len(values))
	for i, v := range values {
		owned[i] = strings.Clone(v)
	}
	s := &series{def: def, site: strings.Clone(site), values: owned, changed: true}
	if def.kind == histogram {
		s.buckets = make([]uint64, len(def.bounds)+1)
	}
	key.site, key.values = s.site, joinValues(owned)
	st.series[key] = s
	st.perSite[s.site]++
	return s
}

func (st *store) remove(def *metricDef, site, values string) bool {
	key := seriesKey{def: def, site: site, values: values}
	s, ok := st.series[key]
	if !ok {
		return false
	}
	delete(st.series, key)
	st.removed.note(s)
	st.perSite[s.site]--
	if st.perSite[s.site] == 0 {
		delete(st.perSite, s.site)
	}
	return true
}

// update applies v to the series as its kind says: a counter adds it, a
// histogram observes it, a gauge takes it. False, changing nothing, when a
// sum would no longer be a finite number.
func (s *series) update(v float64) bool {
	s.changed = true
	if s.def.kind == gauge {
		s.value = v
		return true
	}
	sum, ok := finiteSum(s.value, v)
	if !ok {
		return false
	}
	s.value = sum
	if s.def.kind == histogram {
		s.count++
		i, _ := slices.BinarySearch(s.def.bounds, v)
		s.buckets[i]++
	}
	return true
}

// finiteSum is sum + v, and whether it is still a finite number. Each
// value is in its range (schema.Measures), but values in range can still
// add up past the largest float: a sum that turned +Inf would stay so,
// checkpointed, forever.
func finiteSum(sum, v float64) (float64, bool) {
	next := sum + v
	return next, !math.IsInf(next, 0) && !math.IsNaN(next)
}

// metrics renders every series in a stable order: metrics in defs order,
// series by site and label values.
func (st *store) metrics(defs []*metricDef, scope string, start, now pcommon.Timestamp) pmetric.Metrics {
	bySeries := map[*metricDef][]*series{}
	for _, s := range st.series {
		bySeries[s.def] = append(bySeries[s.def], s)
	}
	md := pmetric.NewMetrics()
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(scope)
	for _, def := range defs {
		list := bySeries[def]
		if len(list) == 0 {
			continue
		}
		slices.SortFunc(list, func(a, b *series) int {
			return cmp.Or(strings.Compare(a.site, b.site), slices.Compare(a.values, b.values))
		})
		m := sm.Metrics().AppendEmpty()
		m.SetName(def.name)
		m.SetDescription(def.description)
		m.SetUnit(def.unit)
		switch def.kind {
		case counter:
			sum := m.SetEmptySum()
			sum.SetIsMonotonic(true)
			sum.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for _, s := range list {
				dp := sum.DataPoints().AppendEmpty()
				s.attributes(dp.Attributes())
				dp.SetStartTimestamp(start)
				dp.SetTimestamp(now)
				dp.SetDoubleValue(s.value)
			}
		case gauge:
			g := m.SetEmptyGauge()
			for _, s := range list {
				dp := g.DataPoints().AppendEmpty()
				s.attributes(dp.Attributes())
				dp.SetTimestamp(now)
				dp.SetIntValue(int64(s.value))
			}
		case histogram:
			h := m.SetEmptyHistogram()
			h.SetAggregationTemporality(pmetric.AggregationTemporalityCumulative)
			for _, s := range list {
				dp := h.DataPoints().AppendEmpty()
				s.attributes(dp.Attributes())
				dp.SetStartTimestamp(start)
				dp.SetTimestamp(now)
				dp.SetCount(s.count)
				dp.SetSum(s.value)
				dp.ExplicitBounds().FromRaw(def.bounds)
				dp.BucketCounts().FromRaw(s.buckets)
			}
		}
	}
	return md
}

func (s *series) attributes(m pcommon.Map) {
	m.PutStr("site", s.site)
	for i, label := range s.def.labels {
		m.PutStr(label, s.values[i])
	}
}
