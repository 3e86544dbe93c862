// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"cmp"
	"slices"
	"strings"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
)

// breakdown bounds one metric's label values for one site (and, for a
// scoped metric, one value of its scoping labels): the values among the top
// K of a space-saving sketch (capacity 4K) have series of their own, the
// rest count as other. Until K values are reported, a new value gets a
// series at once; every flush, refresh makes the reported values the
// sketch's current top K.
type breakdown struct {
	k int
	// scoped is how many leading label values name the breakdown's scope;
	// they are kept when the rest become other.
	scoped   int
	sketch   *topk.SpaceSaving
	reported map[string]bool
	// changed: observed or refreshed to other values since the last save.
	changed bool
}

// breakdownKey names one breakdown of a site: a metric, and the values of
// its scoping labels (none for most metrics).
type breakdownKey struct {
	def   *metricDef
	scope string
}

func (s *siteState) breakdown(def *metricDef, k int, values []string) *breakdown {
	key := breakdownKey{def: def}
	if def.scoped > 0 {
		key.scope = joinValues(values[:def.scoped])
	}
	b, ok := s.breakdowns[key]
	if !ok {
		b = newBreakdown(def, k, topk.New(4*k))
		s.breakdowns[key] = b
	}
	return b
}

func newBreakdown(def *metricDef, k int, sketch *topk.SpaceSaving) *breakdown {
	return &breakdown{k: k, scoped: def.scoped, sketch: sketch, reported: map[string]bool{}}
}

// label returns the label values to count an observation under.
func (b *breakdown) label(values []string) []string {
	key := joinValues(values)
	b.sketch.Observe(key, 1)
	b.changed = true
	if b.reported[key] {
		return values
	}
	if len(b.reported) < b.k {
		b.reported[strings.Clone(key)] = true
		return values
	}
	other := make([]string, len(values))
	for i := range other {
		other[i] = otherValue
	}
	copy(other, values[:b.scoped])
	return other
}

// refresh makes the reported values the sketch's top K and returns the
// values (joined) whose series must stop.
func (b *breakdown) refresh() []string {
	// Rank by guaranteed count (count minus its possible overestimate): a
	// value that just displaced another inherits that one's count.
	entries := b.sketch.Top(b.sketch.Len())
	slices.SortFunc(entries, func(x, y topk.Entry) int {
		return cmp.Or(cmp.Compare(y.Count-y.Error, x.Count-x.Error), strings.Compare(x.Key, y.Key))
	})
	next := make(map[string]bool, b.k)
	for _, e := range entries[:min(b.k, len(entries))] {
		next[e.Key] = true
	}
	var retired []string
	for key := range b.reported {
		if !next[key] {
			retired = append(retired, key)
		}
	}
	if len(retired) > 0 || len(next) != len(b.reported) {
		b.changed = true
	}
	b.reported = next
	return retired
}
