// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/topk"
	"github.com/footfall-analytics/footfall/internal/storageclient"
)

// How the aggregates survive a restart: Shutdown, after the last flush,
// writes every counter and histogram, each site's visitor sketches and
// top-K, and the revenue dedup memory under stateKey; Start reads them back
// and deletes the key. After a graceful restart every series continues
// where it was. After a crash there is no state to read: the series start
// from zero, which Prometheus reads as a counter reset, rather than from an
// older state that would step back or count the events since then twice.
const (
	stateKey = "state"
	// stateVersion is bumped whenever the encoding changes; Start moves
	// aside a version it does not know.
	stateVersion = 1
	// stateTimeout bounds each storage call.
	stateTimeout = 30 * time.Second
)

// savedState is the aggregator's state, as stored.
type savedState struct {
	Version int
	// Start is the start time of the cumulative series.
	Start   time.Time
	Newest  time.Time
	Series  []savedSeries
	Sites   []savedSite
	Revenue []byte
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
	ID               string
	Uniques          []byte
	Breakdowns       []savedBreakdown
	Newest, NewestAt time.Time
}

type savedBreakdown struct {
	Metric   string
	Entries  []topk.Entry
	Reported []string
}

// save encodes the aggregator's state; gauges are left out, every flush
// sets them again.
func (a *aggregator) save(start time.Time) ([]byte, error) {
	st := savedState{Version: stateVersion, Start: start, Newest: a.newest}
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
		saved := savedSite{ID: id, Uniques: visitors, Newest: site.newest, NewestAt: site.newestAt}
		for def, b := range site.breakdowns {
			sb := savedBreakdown{Metric: def.name, Entries: b.sketch.Entries()}
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

// restore replaces the aggregator's state with a saved one and returns its
// start time. Series and sites past today's bounds, and metrics this build
// does not know, are dropped.
func (a *aggregator) restore(data []byte) (time.Time, error) {
	var st savedState
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		return time.Time{}, fmt.Errorf("decode web analytics state: %w", err)
	}
	if st.Version != stateVersion {
		return time.Time{}, fmt.Errorf("web analytics state has version %d; this build reads version %d", st.Version, stateVersion)
	}
	restored, err := newAggregator(a.cfg)
	if err != nil {
		return time.Time{}, err
	}
	restored.newest = st.Newest
	for _, s := range st.Series {
		def := metricByName[s.Metric]
		if def == nil || def.kind == gauge || (def.kind == histogram && len(s.Buckets) != len(def.bounds)+1) {
			continue
		}
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
		if err := site.uniques.UnmarshalBinary(saved.Uniques); err != nil {
			return time.Time{}, err
		}
		site.newest, site.newestAt = saved.Newest, saved.NewestAt
		for _, sb := range saved.Breakdowns {
			def := metricByName[sb.Metric]
			if def == nil || !def.breakdown {
				continue
			}
			b := &breakdown{k: a.cfg.TopK, sketch: topk.Restore(4*a.cfg.TopK, sb.Entries), reported: map[string]bool{}}
			for _, key := range sb.Reported {
				if len(b.reported) < b.k {
					b.reported[key] = true
				}
			}
			site.breakdowns[def] = b
		}
	}
	if err := restored.revenue.UnmarshalBinary(st.Revenue); err != nil {
		return time.Time{}, err
	}
	*a = *restored
	return st.Start, nil
}

// loadState reads the state a graceful shutdown saved, then deletes it, so
// that a crash later never brings back this older state. A state that
// cannot be read is logged and dropped: the series start from zero.
func (c *webAnalytics) loadState(ctx context.Context, host component.Host) error {
	client, err := storageclient.Get(ctx, host, *c.cfg.Storage, component.KindConnector, c.settings.ID)
	if err != nil {
		return err
	}
	c.client = client
	ctx, cancel := context.WithTimeout(ctx, stateTimeout)
	defer cancel()
	data, err := client.Get(ctx, stateKey)
	if err != nil {
		return fmt.Errorf("read web analytics state: %w", err)
	}
	if data == nil {
		return nil
	}
	start, err := c.aggregator.restore(data)
	if err != nil {
		c.settings.Logger.Error("Web analytics state could not be read; every series starts from zero", zap.Error(err))
	} else {
		c.start = start
		c.settings.Logger.Info("Web analytics state restored", zap.Int("series", len(c.aggregator.store.series)), zap.Int("sites", len(c.aggregator.sites)))
	}
	if err := client.Delete(ctx, stateKey); err != nil {
		return fmt.Errorf("delete web analytics state once read: %w", err)
	}
	return nil
}

// saveState writes the state for the next start.
func (c *webAnalytics) saveState(ctx context.Context) error {
	c.mu.Lock()
	data, err := c.aggregator.save(c.start)
	c.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode web analytics state: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stateTimeout)
	defer cancel()
	if err := c.client.Set(ctx, stateKey, data); err != nil {
		return fmt.Errorf("write web analytics state: %w", err)
	}
	return nil
}
