// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
)

// op is one step of a run: records counted, a flush, or a save with a
// checkpoint; each at a wall-clock time.
type op struct {
	now   time.Time
	batch plog.Logs
	flush bool
	save  bool
	// crash after this save: the processor restarts from its last committed
	// checkpoint, once.
	crash bool
}

// randomRun is a day of traffic on three sites, with the saves of a
// sessionize processor checkpointing between batches: page views on many
// paths (top-K churn), goals with revenue whose ids repeat, session ends,
// a site changing its time zone, late events and midnight.
// do counts or flushes as o says, at its wall-clock time, and reports
// whether o was one of those (not a save).
func (h *harness) do(o op) bool {
	h.t.Helper()
	h.clock.Set(o.now)
	switch {
	case o.batch != (plog.Logs{}):
		require.NoError(h.t, h.c.ConsumeLogs(context.Background(), o.batch))
	case o.flush:
		require.NoError(h.t, h.c.flush(context.Background()))
	default:
		return false
	}
	return true
}

func randomRun(rng *rand.Rand, steps int) []op {
	sites := []string{"shop", "blog", "news"}
	zones := []string{"UTC", "Asia/Tokyo"}
	var ops []op
	at := 22 * time.Hour // t0 + 22h crosses midnight in UTC
	for i := range steps {
		at += time.Duration(rng.IntN(int(20 * time.Second)))
		now := t0.Add(at + time.Duration(rng.IntN(int(time.Second))))
		site := sites[rng.IntN(len(sites))]
		var records []rec
		for range 1 + rng.IntN(6) {
			visitor := fmt.Sprintf("v%d", rng.IntN(400))
			when := at
			if rng.IntN(10) == 0 {
				when -= time.Duration(rng.IntN(int(90 * time.Minute))) // late
			}
			switch r := rng.IntN(10); {
			case r < 6:
				records = append(records, pageView(visitor, when, fmt.Sprintf("/p/%d", rng.IntN(40)), 1+rng.IntN(4),
					schema.AttrReferrerClass, "search", schema.AttrReferrerSource, []string{"Google", "Bing", "DuckDuckGo", "Ecosia"}[rng.IntN(4)],
					schema.AttrGeoCountry, []string{"DE", "FR", "JP", "US", "BR"}[rng.IntN(5)]))
			case r < 8:
				goal := eventOf(testGoal, when, schema.AttrGoalValue, float64(1+rng.IntN(100)), schema.AttrGoalCurrency, []string{"EUR", "USD"}[rng.IntN(2)])
				goal.visitor = visitor
				goal.attrs[schema.AttrEventID] = fmt.Sprintf("order-%d", rng.IntN(300)) // repeats: counted once
				records = append(records, goal)
			default:
				records = append(records, sessionEnd(visitor, when, schema.AttrSessionEndReason, "idle", schema.AttrSessionBounce, rng.IntN(2) == 0,
					schema.AttrSessionDurationMs, int64(rng.IntN(600_000)), schema.AttrSessionPageViews, int64(1+rng.IntN(5)),
					schema.AttrSessionEntryPage, fmt.Sprintf("/p/%d", rng.IntN(40))))
			}
		}
		batch := siteLogs(site, records...)
		if i > steps/2 && site == "blog" {
			batch = inZone(batch, zones[rng.IntN(len(zones))])
		}
		ops = append(ops, op{now: now, batch: batch})
		if rng.IntN(4) == 0 {
			ops = append(ops, op{now: now, flush: true})
		}
		if rng.IntN(5) == 0 {
			ops = append(ops, op{now: now, save: true, crash: rng.IntN(4) == 0})
		}
	}
	return append(ops, op{now: t0.Add(at + time.Minute), flush: true})
}

// A connector that restarts from the state saved with the processor's last
// committed checkpoint (a base and its deltas), and counts again what came
// after it, ends with every number of the connector that never stopped:
// counters, histograms, breakdowns, visitor gauges. The processor commits
// most of its checkpoints; one it does not commit is saved again under the
// same epoch; some restarts follow a save whose checkpoint was not
// committed, and go back to the one before.
func TestDeltasRestoreEveryNumber(t *testing.T) {
	ctx := context.Background()
	cfg := storageConfig()
	cfg.TopK = 3
	// Only the run's flushes: a flush refreshes the breakdowns, and one from
	// the flush loop at another point would make the run differ from truth.
	// The run moves the connector's clock over a day.
	cfg.FlushInterval = 7 * 24 * time.Hour
	truthCfg := testConfig()
	truthCfg.TopK = 3
	var restarts, deltas, bases int
	for seed := range 12 {
		rng := rand.New(rand.NewPCG(uint64(seed), 2))
		ops := randomRun(rng, 300)

		truth := newHarness(t, truthCfg)
		for _, o := range ops {
			truth.do(o)
		}

		ext := storagetest.NewExtension()
		live := startWith(t, cfg, ext)
		live.c.ReplayDelivered()
		// committed is the processor's last committed checkpoint and the op
		// after its save; a save not committed is saved again next time.
		committed, resumeAt := int64(0), 0
		for pc := 0; pc < len(ops); pc++ {
			o := &ops[pc]
			if live.do(*o) {
				continue
			}
			if o.save {
				epoch := committed + 1
				require.NoError(t, live.c.SaveState(ctx, epoch))
				if len(live.c.chain.pending) > 1 {
					deltas++
				} else {
					bases++
				}
				if rng.IntN(5) != 0 {
					committed, resumeAt = epoch, pc+1
				}
				if !o.crash {
					continue
				}
				o.crash = false
				require.NoError(t, live.c.Shutdown(ctx))
				live = startWith(t, cfg, ext)
				require.NoError(t, live.c.RestoreState(ctx, committed))
				live.c.ReplayDelivered()
				restarts++
				pc = resumeAt - 1
			}
		}
		want, got := pointValues(truth.flush(ops[len(ops)-1].now)), pointValues(live.flush(ops[len(ops)-1].now))
		require.Equal(t, want, got, "seed %d", seed)
		require.NoError(t, live.c.Shutdown(ctx))
	}
	t.Logf("restarts %d deltas %d bases %d", restarts, deltas, bases)
	assert.Greater(t, restarts, 20)
	assert.Positive(t, deltas)
	assert.Positive(t, bases)
}

// A state saved by a build before chains (version 1, under state/<epoch%2>)
// is restored. Its keys are deleted only once a chain after it is
// committed: until then the processor may restart from its checkpoint.
func TestAStateOfTheFormerVersionIsReadThenDeleted(t *testing.T) {
	ctx := context.Background()
	ext := storagetest.NewExtension()
	former := startWith(t, storageConfig(), ext)
	former.consume(pageView("a", 0, "/", 1))
	data, err := former.c.aggregator.save(t0, 1)
	require.NoError(t, err)
	st, err := decodeState(data, nil)
	require.NoError(t, err)
	st.Version = 1
	data = gobState(t, &st) // as builds before version 3 encoded it
	require.NoError(t, former.c.Shutdown(ctx))
	client, err := ext.GetClient(ctx, component.KindConnector, newHarness(t, testConfig()).c.settings.ID, "")
	require.NoError(t, err)
	require.NoError(t, client.Set(ctx, legacyStateKey(1), data))
	stored := func(key string) bool {
		v, err := client.Get(ctx, key)
		require.NoError(t, err)
		return v != nil
	}

	h := startWith(t, storageConfig(), ext)
	require.NoError(t, h.c.RestoreState(ctx, 1))
	h.c.ReplayDelivered()
	h.consume(pageView("b", time.Second, "/", 1))
	require.NoError(t, h.c.SaveState(ctx, 2))
	assert.True(t, stored(legacyStateKey(1)), "checkpoint 2 may not be committed: 1 is still the one to restore")
	require.NoError(t, h.c.SaveState(ctx, 3))
	assert.False(t, stored(legacyStateKey(1)), "checkpoint 2 is committed")
	require.NoError(t, h.c.Shutdown(ctx))

	again := startWith(t, storageConfig(), ext)
	require.NoError(t, again.c.RestoreState(ctx, 3))
	again.c.ReplayDelivered()
	assert.InDelta(t, 2, pointValues(again.flush(t0.Add(time.Minute)))["footfall.page_views{site=shop}"], 0)
	require.NoError(t, again.c.Shutdown(ctx))
}

// A chain whose delta is missing, or names no earlier save, is not
// restored: the series start from zero (and an error is logged), never from
// a state that is not the checkpoint's.
func TestABrokenChainStartsFromZero(t *testing.T) {
	ctx := context.Background()
	for name, damage := range map[string]func(*testing.T, storage.Client){
		"missing delta": func(t *testing.T, c storage.Client) { require.NoError(t, c.Delete(ctx, stateKey(2))) },
		"missing base":  func(t *testing.T, c storage.Client) { require.NoError(t, c.Delete(ctx, stateKey(1))) },
		"delta of itself": func(t *testing.T, c storage.Client) {
			data, err := c.Get(ctx, stateKey(3))
			require.NoError(t, err)
			require.NoError(t, c.Set(ctx, stateKey(3), withPrev(t, data, 3)))
		},
	} {
		t.Run(name, func(t *testing.T) {
			ext := storagetest.NewExtension()
			h := startWith(t, storageConfig(), ext)
			for i, epoch := range []int64{1, 2, 3} {
				h.consume(pageView(fmt.Sprintf("v%d", i), time.Duration(i)*time.Second, "/", 1))
				require.NoError(t, h.c.SaveState(ctx, epoch))
			}
			require.Len(t, h.c.chain.pending, 3, "a base and two deltas")
			require.NoError(t, h.c.Shutdown(ctx))
			client, err := ext.GetClient(ctx, component.KindConnector, h.c.settings.ID, "")
			require.NoError(t, err)
			damage(t, client)

			restored := startWith(t, storageConfig(), ext)
			require.NoError(t, restored.c.RestoreState(ctx, 3))
			restored.c.ReplayDelivered()
			restored.consume(pageView("z", time.Minute, "/", 1))
			assert.InDelta(t, 1, pointValues(restored.flush(t0.Add(2 * time.Minute)))["footfall.page_views{site=shop}"], 0)
			require.NoError(t, restored.c.Shutdown(ctx))
		})
	}
}

// A delta holds what was counted since the save before, not every site's
// sketches: after a base of many visitors, a save after a few more costs
// their bytes (and the breakdowns they changed, whole).
func TestADeltaCostsWhatWasCountedSince(t *testing.T) {
	ctx := context.Background()
	h := startWith(t, storageConfig(), storagetest.NewExtension())
	for i := range 2500 {
		require.NoError(t, h.c.ConsumeLogs(ctx, sessionizedBatch(i)))
	}
	require.NoError(t, h.c.SaveState(ctx, 1))
	require.NoError(t, h.c.ConsumeLogs(ctx, sessionizedBatch(2500)))
	require.NoError(t, h.c.SaveState(ctx, 2))
	base, delta := h.c.chain.baseBytes, h.c.chain.deltaBytes
	t.Logf("base %d bytes, delta after 20 events %d bytes", base, delta)
	assert.Greater(t, base, 100_000, "the windows of 50,000 visitors are dense sketches")
	assert.Less(t, delta*10, base, "20 events cost a tenth of the base at most")
	require.NoError(t, h.c.Shutdown(ctx))
}

// The keys of a chain are deleted once a later chain is committed, also
// when the write that was to delete them failed: the next save does.
func TestAFailedWriteLeavesNoKeysBehind(t *testing.T) {
	ctx := context.Background()
	ext := storagetest.NewExtension()
	h := startWith(t, storageConfig(), ext)
	save := func(epoch int64) error {
		h.consume(pageView(fmt.Sprintf("v%d", epoch), time.Duration(epoch)*time.Second, "/", 1))
		return h.c.SaveState(ctx, epoch)
	}
	keys := func() []string {
		var out []string
		for key := range ext.Snapshot(component.KindConnector, h.c.settings.ID, "") {
			out = append(out, key)
		}
		slices.Sort(out)
		return out
	}
	require.NoError(t, save(1))
	require.NoError(t, save(2))
	ext.FailWith = errors.New("disk full")
	require.Error(t, save(3))
	ext.FailWith = nil
	require.NoError(t, save(3)) // after a save not committed: a base
	ext.FailWith = errors.New("disk full")
	require.Error(t, save(4)) // was to delete the chain of 1 and 2
	ext.FailWith = nil
	require.NoError(t, save(4))
	assert.Equal(t, []string{stateKey(3), stateKey(4)}, keys(), "the chain of checkpoint 3, committed, and the save of 4")

	restored := startWith(t, storageConfig(), ext)
	require.NoError(t, restored.c.RestoreState(ctx, 4))
	restored.c.ReplayDelivered()
	assert.InDelta(t, 4, pointValues(restored.flush(t0.Add(time.Minute)))["footfall.page_views{site=shop}"], 0)
	require.NoError(t, restored.c.Shutdown(ctx))
	require.NoError(t, h.c.Shutdown(ctx))
}

// A delta holds the batches counted since the save before, not every one
// remembered: base and delta restore a memory that recognises the batches
// counted before the delta as the running aggregator does, and takes new
// ones.
func TestADeltaCarriesTheBatchesCountedSinceTheSaveBefore(t *testing.T) {
	batches := make([]plog.Logs, 0, len(journeys()))
	for _, r := range journeys() {
		batches = append(batches, logsOf(r))
	}
	live, err := newAggregator(testConfig())
	require.NoError(t, err)
	live.consume(batches[0], t0)
	base, err := live.saveBase(t0, 1)
	require.NoError(t, err)
	for _, b := range batches[1:4] {
		live.consume(b, t0)
	}
	data, err := live.saveDelta(t0, 2, 1)
	require.NoError(t, err)
	chain := &binread.Strings{}
	st, err := decodeState(base, chain)
	require.NoError(t, err)
	delta, err := decodeState(data, chain)
	require.NoError(t, err)
	assert.Len(t, delta.Recent, 3, "the three batches counted since the base")

	restored, err := newAggregator(testConfig())
	require.NoError(t, err)
	require.NoError(t, restored.restore(st))
	require.NoError(t, restored.applyDelta(delta))
	assert.Equal(t, live.recent.Fingerprints(), restored.recent.Fingerprints())
	for _, a := range []*aggregator{live, restored} {
		assert.Equal(t, 1, a.consume(batches[2], t0).skipped[skippedRedelivered], "counted before the delta: a redelivery")
		assert.Empty(t, a.consume(batches[4], t0).skipped, "new")
	}
}

// withPrev is a save whose header names prev as the save before it; the
// rest, strings numbered through its chain, is as it was.
func withPrev(t *testing.T, data []byte, prev int64) []byte {
	t.Helper()
	r := &stateReader{Reader: binread.New(data[1:])}
	st := r.header()
	require.NoError(t, r.Err())
	st.Prev = prev
	w := &stateWriter{}
	w.header(&st)
	return append(w.Buf, data[len(data)-r.Len():]...)
}

// Deltas follow a base until they add up to maxDeltasPerBase times it; the
// save after that is a base, so a restore reads at most about
// maxDeltasPerBase+1 times the base.
func TestABaseFollowsOnceTheDeltasAddUpToTheBound(t *testing.T) {
	ctx := context.Background()
	h := startWith(t, storageConfig(), storagetest.NewExtension())
	h.consume(pageView("v0", 0, "/", 1))
	require.NoError(t, h.c.SaveState(ctx, 1))
	base := h.c.chain.baseBytes
	for epoch := int64(2); ; epoch++ {
		require.Less(t, epoch, int64(maxStateDeltas), "a base follows before the chain's count bound")
		before := h.c.chain
		h.consume(pageView(fmt.Sprintf("v%d", epoch), time.Duration(epoch)*time.Second, fmt.Sprintf("/%d", epoch), 1))
		require.NoError(t, h.c.SaveState(ctx, epoch))
		if len(h.c.chain.pending) == 1 {
			assert.GreaterOrEqual(t, before.deltaBytes, maxDeltasPerBase*base, "epoch %d: a base only once the deltas reached the bound", epoch)
			assert.Greater(t, epoch, int64(3), "several deltas came first")
			break
		}
		require.Less(t, before.deltaBytes, maxDeltasPerBase*base, "epoch %d: a delta only below the bound", epoch)
	}
	require.NoError(t, h.c.Shutdown(ctx))
}
