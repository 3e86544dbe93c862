// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
	"github.com/footfall-analytics/footfall/internal/binwrite"
	"github.com/footfall-analytics/footfall/internal/cosave"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storageclient"
)

// How the aggregates survive a restart: the sessionize processor saves them
// with its checkpoints (internal/cosave). It pauses delivery, has this
// connector save its state under the checkpoint's epoch, writes its own
// checkpoint, and delivers again. On start it says which epoch it restored,
// and the connector loads the state saved under it. What the processor then
// delivers again (what was undelivered at the checkpoint, and the replay of
// its write-ahead log) is exactly what that state does not hold: after a
// graceful restart or a crash every series continues from the checkpoint,
// no event counted twice or lost.
//
// A save is a base (every counter and histogram, each site's visitor
// sketches and top-K, the revenue dedup memory and the fingerprints of the
// last batches) or a delta of what changed since the save before
// (delta.go); statechain.go keeps the chain of them and says which.
const (
	// stateVersion is bumped whenever the encoding changes; a version this
	// build does not know is not loaded. Version 1 was a base alone, stored
	// under legacyStateKey; versions 1 and 2 were gob streams, version 3 is
	// statecodec.go's encoding, version 4 the same with strings numbered
	// through a chain (chainStringsVersion).
	stateVersion = chainStringsVersion
	// chainStringsVersion is the first whose deltas go on with the numbers
	// of the strings of the saves before them (statecodec.go).
	chainStringsVersion = 4
	// stateTimeout bounds each storage call.
	stateTimeout = 30 * time.Second
)

// savedState is the aggregator's state, as stored: a base, or a delta of
// the save of epoch Prev.
type savedState struct {
	Version int
	// Epoch is the sessionize processor's checkpoint this state goes with.
	Epoch int64
	Delta bool
	Prev  int64
	// Start is the start time of the cumulative series.
	Start  time.Time
	Newest time.Time
	// Series are every series in a base, those made or updated in a delta.
	Series []savedSeries
	// Removed are the series a delta removes, by metric, site and values.
	Removed []savedSeries
	// Sites are every site in a base, those that changed in a delta (their
	// Uniques then a delta of the windows, their Breakdowns those changed).
	Sites []savedSite
	// Revenue is the revenue dedup memory, or its delta.
	Revenue []byte
	// Recent are the fingerprints of the last batches, oldest first; in a
	// delta of version 3 on, those remembered since the save before.
	Recent []uint64
}

type savedSeries struct {
	Metric  string
	Site    string
	Values  []string
	Value   float64
	Count   uint64
	Buckets []uint64
}

type savedSite struct {
	ID string
	// Zone is the site's time zone as the records named it; empty in
	// states saved before (the next record names it).
	Zone             string
	Uniques          []byte
	Breakdowns       []savedBreakdown
	Newest, NewestAt time.Time
}

type savedBreakdown struct {
	Metric string
	// Scope is the values of the metric's scoping labels, joined; empty
	// for a metric without (and in states saved before scopes existed).
	Scope    string
	Entries  []topk.Entry
	Reported []string
}

func saveSeries(s *series) savedSeries {
	return savedSeries{Metric: s.def.name, Site: s.site, Values: s.values, Value: s.value, Count: s.count, Buckets: s.buckets}
}

func saveBreakdown(key breakdownKey, b *breakdown) savedBreakdown {
	sb := savedBreakdown{Metric: key.def.name, Scope: key.scope, Entries: b.sketch.Entries()}
	for key := range b.reported {
		sb.Reported = append(sb.Reported, key)
	}
	return sb
}

// save encodes the aggregator's whole state; gauges are left out, every
// flush sets them again.
func (a *aggregator) save(start time.Time, epoch int64) ([]byte, error) {
	st := savedState{Version: stateVersion, Epoch: epoch, Start: start, Newest: a.newest, Recent: a.recent.Fingerprints()}
	for _, s := range a.store.series {
		if s.def.kind != gauge {
			st.Series = append(st.Series, saveSeries(s))
		}
	}
	for id, site := range a.sites {
		visitors, err := site.uniques.MarshalBinary()
		if err != nil {
			return nil, err
		}
		saved := savedSite{ID: id, Zone: site.zone, Uniques: visitors, Newest: site.newest, NewestAt: site.newestAt}
		for key, b := range site.breakdowns {
			saved.Breakdowns = append(saved.Breakdowns, saveBreakdown(key, b))
		}
		st.Sites = append(st.Sites, saved)
	}
	// A snapshot rather than MarshalBinary: it marks the memory, so that
	// the next delta holds the ids remembered and forgotten after it.
	revenue := a.revenue.BeginSnapshot()
	revenue.Step(math.MaxInt)
	st.Revenue = revenue.Bytes()
	a.strings = &binwrite.Strings{}
	return encodeState(&st, a.strings)
}

// restoreCurrency takes back the currencies a site's revenue was broken
// down by, so that they keep their series after a restart.
func (a *aggregator) restoreCurrency(def *metricDef, siteID string, values []string) {
	if len(values) == 0 {
		return
	}
	var code string
	switch def {
	case revenue:
		code = values[len(values)-1]
	case revenueByReferrer, revenueByCampaign:
		code = values[0]
	default:
		return
	}
	if site := a.site(siteID); site != nil && schema.IsCurrency(code) {
		site.currency(code)
	}
}

// restore replaces the aggregator's state with a saved one. Series and
// sites past today's bounds, and metrics this build does not know, are
// dropped.
func (a *aggregator) restore(st savedState) error {
	if st.Delta {
		return fmt.Errorf("web analytics state of checkpoint %d is a delta, not a base", st.Epoch)
	}
	restored, err := newAggregator(a.cfg)
	if err != nil {
		return err
	}
	restored.newest = st.Newest
	restored.recent = redelivery.Restore(recentBatches, st.Recent)
	for _, s := range st.Series {
		if err := restored.restoreSeries(s); err != nil {
			return err
		}
	}
	for _, saved := range st.Sites {
		site := restored.site(saved.ID)
		if site == nil {
			continue
		}
		if saved.Zone != "" {
			site.setZone(saved.Zone)
		}
		if err := site.uniques.UnmarshalBinary(saved.Uniques); err != nil {
			return err
		}
		site.newest, site.newestAt = saved.Newest, saved.NewestAt
		restored.restoreBreakdowns(site, saved.Breakdowns)
	}
	if err := restored.revenue.UnmarshalBinary(st.Revenue); err != nil {
		return err
	}
	*a = *restored
	return nil
}

// restoreSeries sets a saved series; one of a metric this build does not
// know or knows with other labels or buckets, or past today's bounds, is
// dropped. A value no count adds up to (NaN, infinite, below zero) makes
// the state unreadable: it was not saved by this connector.
func (a *aggregator) restoreSeries(s savedSeries) error {
	def := metricByName[s.Metric]
	if def == nil || def.kind == gauge || len(s.Values) != len(def.labels) ||
		(def.kind == histogram && len(s.Buckets) != len(def.bounds)+1) {
		return nil
	}
	if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) || s.Value < 0 {
		return fmt.Errorf("web analytics state is corrupt: series %s of site %q holds %v", s.Metric, s.Site, s.Value)
	}
	a.restoreCurrency(def, s.Site, s.Values)
	if series := a.store.get(def, s.Site, s.Values...); series != nil {
		series.value, series.count = s.Value, s.Count
		if def.kind == histogram {
			copy(series.buckets, s.Buckets)
		}
	}
	return nil
}

// restoreBreakdowns replaces a site's saved breakdowns.
func (a *aggregator) restoreBreakdowns(site *siteState, saved []savedBreakdown) {
	for _, sb := range saved {
		def := metricByName[sb.Metric]
		if def == nil || !def.breakdown {
			continue
		}
		b := newBreakdown(def, a.cfg.TopK, topk.Restore(4*a.cfg.TopK, sb.Entries))
		for _, key := range sb.Reported {
			if len(b.reported) < b.k {
				b.reported[key] = true
			}
		}
		site.breakdowns[breakdownKey{def: def, scope: sb.Scope}] = b
	}
}

// ReplayDelivered resumes flushing: the aggregator has counted what the
// sessionize processor delivered again after restoring (cosave.Participant).
// A flush takes the lock, so none renders before the last replayed batch
// was counted.
func (c *webAnalytics) ReplayDelivered() {
	c.mu.Lock()
	c.replaying = false
	c.mu.Unlock()
}

// joinCheckpoints opens the storage client and joins the checkpoints of the
// sessionize processor that keeps its own in the same storage extension.
func (c *webAnalytics) joinCheckpoints(ctx context.Context, host component.Host) error {
	client, err := storageclient.Get(ctx, host, *c.cfg.Storage, component.KindConnector, c.settings.ID)
	if err != nil {
		return err
	}
	c.client = client
	c.leave = cosave.Join(host.GetExtensions()[*c.cfg.Storage], c)
	return nil
}
