// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/redelivery"
	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
	"github.com/footfall-analytics/footfall/internal/cosave"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storageclient"
)

// How the aggregates survive a restart: the sessionize processor saves them
// with its checkpoints (internal/cosave). It pauses delivery, has this
// connector save every counter and histogram, each site's visitor sketches
// and top-K, the revenue dedup memory and the fingerprints of the last
// batches under the checkpoint's epoch, writes its own checkpoint, and
// delivers again. On start it says which epoch it restored, and the
// connector loads the state saved under it. What the processor then
// delivers again (what was undelivered at the checkpoint, and the replay of
// its write-ahead log) is exactly what that state does not hold: after a
// graceful restart or a crash every series continues from the checkpoint,
// no event counted twice or lost. The two latest epochs are kept (the
// latest may not have been committed by the processor).
const (
	// stateKeyPrefix + epoch%2 holds an epoch's state.
	stateKeyPrefix = "state/"
	// stateVersion is bumped whenever the encoding changes; a version this
	// build does not know is not loaded.
	stateVersion = 1
	// stateTimeout bounds each storage call.
	stateTimeout = 30 * time.Second
)

func stateKey(epoch int64) string { return fmt.Sprintf("%s%d", stateKeyPrefix, epoch%2) }

// savedState is the aggregator's state, as stored.
type savedState struct {
	Version int
	// Epoch is the sessionize processor's checkpoint this state goes with.
	Epoch int64
	// Start is the start time of the cumulative series.
	Start   time.Time
	Newest  time.Time
	Series  []savedSeries
	Sites   []savedSite
	Revenue []byte
	// Recent are the fingerprints of the last batches, oldest first.
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

// save encodes the aggregator's state; gauges are left out, every flush
// sets them again.
func (a *aggregator) save(start time.Time, epoch int64) ([]byte, error) {
	st := savedState{Version: stateVersion, Epoch: epoch, Start: start, Newest: a.newest, Recent: a.recent.Fingerprints()}
	for _, s := range a.store.series {
		if s.def.kind == gauge {
			continue
		}
		st.Series = append(st.Series, savedSeries{Metric: s.def.name, Site: s.site, Values: s.values, Value: s.value, Count: s.count, Buckets: s.buckets})
	}
	for id, site := range a.sites {
		visitors, err := site.uniques.MarshalBinary()
		if err != nil {
			return nil, err
		}
		saved := savedSite{ID: id, Zone: site.zone, Uniques: visitors, Newest: site.newest, NewestAt: site.newestAt}
		for key, b := range site.breakdowns {
			sb := savedBreakdown{Metric: key.def.name, Scope: key.scope, Entries: b.sketch.Entries()}
			for key := range b.reported {
				sb.Reported = append(sb.Reported, key)
			}
			saved.Breakdowns = append(saved.Breakdowns, sb)
		}
		st.Sites = append(st.Sites, saved)
	}
	revenue, err := a.revenue.MarshalBinary()
	if err != nil {
		return nil, err
	}
	st.Revenue = revenue
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&st); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decodeState reads a saved state.
func decodeState(data []byte) (savedState, error) {
	var st savedState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return st, fmt.Errorf("decode web analytics state: %w", err)
	}
	if st.Version != stateVersion {
		return st, fmt.Errorf("web analytics state has version %d; this build reads version %d", st.Version, stateVersion)
	}
	return st, nil
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
	restored, err := newAggregator(a.cfg)
	if err != nil {
		return err
	}
	restored.newest = st.Newest
	restored.recent = redelivery.Restore(recentBatches, st.Recent)
	for _, s := range st.Series {
		def := metricByName[s.Metric]
		if def == nil || def.kind == gauge || (def.kind == histogram && len(s.Buckets) != len(def.bounds)+1) {
			continue
		}
		if math.IsNaN(s.Value) || math.IsInf(s.Value, 0) {
			return fmt.Errorf("web analytics state is corrupt: series %s of site %q holds %v", s.Metric, s.Site, s.Value)
		}
		restored.restoreCurrency(def, s.Site, s.Values)
		if series := restored.store.get(def, s.Site, s.Values...); series != nil {
			series.value, series.count = s.Value, s.Count
			if def.kind == histogram {
				copy(series.buckets, s.Buckets)
			}
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
		for _, sb := range saved.Breakdowns {
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
	if err := restored.revenue.UnmarshalBinary(st.Revenue); err != nil {
		return err
	}
	*a = *restored
	return nil
}

// SaveState saves the aggregates for the sessionize processor's checkpoint
// epoch (cosave.Participant). The processor delivers nothing meanwhile.
func (c *webAnalytics) SaveState(ctx context.Context, epoch int64) error {
	c.mu.Lock()
	data, err := c.aggregator.save(c.start, epoch)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode web analytics state: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	if err := c.client.Set(ctx, stateKey(epoch), data); err != nil {
		return fmt.Errorf("write web analytics state: %w", err)
	}
	return nil
}

// RestoreState loads the aggregates saved with the checkpoint the sessionize
// processor restored (cosave.Participant), before it delivers anything. A
// state that is missing or cannot be read is logged: the series start from
// zero, which Prometheus reads as a counter reset.
//
// Flushing stops until ReplayDelivered: the series would otherwise go back
// from what was exported before the restart (events counted after the
// checkpoint) to the checkpoint's values, which Prometheus also reads as a
// counter reset, and which a partition's new owner in kafkastream must not
// publish.
func (c *webAnalytics) RestoreState(ctx context.Context, epoch int64) error {
	c.mu.Lock()
	c.replaying = true
	c.mu.Unlock()
	if epoch == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	data, err := c.client.Get(ctx, stateKey(epoch))
	if err != nil {
		return fmt.Errorf("read web analytics state: %w", err)
	}
	st, err := decodeState(data)
	switch {
	case data == nil:
		err = fmt.Errorf("none was saved with checkpoint %d", epoch)
	case err == nil && st.Epoch != epoch:
		err = fmt.Errorf("the state saved is of checkpoint %d, not %d", st.Epoch, epoch)
	}
	var series, sites int
	if err == nil {
		// The flush loop runs already: the aggregator is read under the lock.
		c.mu.Lock()
		err = c.aggregator.restore(st)
		if err == nil {
			c.start = st.Start
		}
		series, sites = len(c.aggregator.store.series), len(c.aggregator.sites)
		c.mu.Unlock()
	}
	if err != nil {
		c.settings.Logger.Error("Web analytics state could not be restored; every series starts from zero", zap.Error(err))
		return nil
	}
	c.settings.Logger.Info("Web analytics state restored", zap.Int64("checkpoint", epoch), zap.Int("series", series), zap.Int("sites", sites))
	return nil
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
