// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"
)

// A delta is what changed in the aggregator since the last save (a base or
// a delta): the series made or updated and those removed, the sites that
// counted a record (each with the visitors its windows added, and its
// breakdowns that changed), the revenue ids remembered and forgotten, and
// the fingerprints of the batches counted since, and the small parts whole
// (start, newest event time; a delta of version 2 held every fingerprint). The
// base saved last with every delta after it applied in order is the
// aggregator at the last delta: a save costs what was counted since the one
// before, not every site's sketches. Changes are noted from the first save
// on; a connector without storage notes nothing.

// removedSeries notes the series removed since the last save. Past max of
// them it gives up (overflow), and the next save is a base.
type removedSeries struct {
	marked   bool
	max      int
	keys     []savedSeries
	overflow bool
}

func (r *removedSeries) note(s *series) {
	switch {
	case !r.marked:
	case len(r.keys) >= r.max:
		r.overflow = true
	default:
		r.keys = append(r.keys, savedSeries{Metric: s.def.name, Site: s.site, Values: s.values})
	}
}

// mark starts noting changes anew: the next delta holds what changes from
// now on.
func (a *aggregator) mark() {
	a.marked, a.recentMark = true, a.recent.Remembered()
	for _, s := range a.store.series {
		s.changed = false
	}
	a.store.removed = removedSeries{marked: true, max: a.store.max}
	for _, site := range a.sites {
		site.changed = false
		for _, b := range site.breakdowns {
			b.changed = false
		}
		site.uniques.Mark()
	}
}

// canDelta reports whether the changes since the last save are all noted.
func (a *aggregator) canDelta() bool {
	return a.marked && !a.store.removed.overflow
}

// saveBase encodes the whole state, and marks it: the next delta follows it.
func (a *aggregator) saveBase(start time.Time, epoch int64) ([]byte, error) {
	data, err := a.save(start, epoch)
	if err != nil {
		return nil, err
	}
	a.mark()
	return data, nil
}

// saveDelta encodes the changes since the last save, which was of epoch
// prev, and marks the state again.
func (a *aggregator) saveDelta(start time.Time, epoch, prev int64) ([]byte, error) {
	if !a.canDelta() {
		return nil, errors.New("the changes since the last save are not all noted")
	}
	st := savedState{Version: stateVersion, Epoch: epoch, Delta: true, Prev: prev, Start: start, Newest: a.newest, Recent: a.recent.Since(a.recentMark)}
	for _, s := range a.store.series {
		if s.changed && s.def.kind != gauge {
			st.Series = append(st.Series, saveSeries(s))
		}
	}
	st.Removed = a.store.removed.keys
	for id, site := range a.sites {
		if !site.changed {
			continue
		}
		visitors, err := site.uniques.AppendDelta(nil)
		if err != nil {
			return nil, err
		}
		saved := savedSite{ID: id, Zone: site.zone, Uniques: visitors, Newest: site.newest, NewestAt: site.newestAt}
		for key, b := range site.breakdowns {
			if b.changed {
				saved.Breakdowns = append(saved.Breakdowns, saveBreakdown(key, b))
			}
		}
		st.Sites = append(st.Sites, saved)
	}
	revenue := a.revenue.BeginDelta()
	revenue.Step(math.MaxInt)
	st.Revenue = revenue.Bytes()
	data, err := encodeState(&st, a.strings)
	if err != nil {
		return nil, err
	}
	a.mark()
	return data, nil
}

// applyDelta applies a saved delta to the state of the save before it.
func (a *aggregator) applyDelta(st savedState) error {
	if !st.Delta {
		return fmt.Errorf("web analytics state of checkpoint %d is not a delta", st.Epoch)
	}
	a.newest = st.Newest
	if st.Version < 3 {
		a.recent = redelivery.Restore(recentBatches, st.Recent)
	} else {
		for _, fp := range st.Recent {
			a.recent.Seen(fp)
		}
	}
	for _, s := range st.Removed {
		if def := metricByName[s.Metric]; def != nil {
			a.store.remove(def, s.Site, joinValues(s.Values))
		}
	}
	for _, s := range st.Series {
		if err := a.restoreSeries(s); err != nil {
			return err
		}
	}
	for _, saved := range st.Sites {
		site := a.site(saved.ID)
		if site == nil {
			continue
		}
		if saved.Zone != "" && saved.Zone != site.zone {
			site.setZone(saved.Zone)
		}
		if err := site.uniques.ApplyDelta(saved.Uniques); err != nil {
			return err
		}
		site.newest, site.newestAt = saved.Newest, saved.NewestAt
		a.restoreBreakdowns(site, saved.Breakdowns)
	}
	return a.revenue.ApplyDelta(st.Revenue)
}
