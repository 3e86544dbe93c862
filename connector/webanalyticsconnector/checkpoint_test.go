// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
)

var storageID = component.MustNewID("file_storage")

func storageConfig() *Config {
	cfg := testConfig()
	cfg.Storage = &storageID
	return cfg
}

// startWith starts a harness's connector on the storage extension ext.
func startWith(t *testing.T, cfg *Config, ext *storagetest.Extension) *harness {
	t.Helper()
	h := newHarness(t, cfg)
	require.NoError(t, h.c.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}))
	return h
}

// A restart in the middle of the day, from the state saved with the
// sessionize processor's checkpoint, changes no number: every counter,
// histogram, breakdown and visitor sketch continues where it was, and the
// answers are those of the day counted without a restart.
func TestRestoredStateContinuesEverySeries(t *testing.T) {
	ctx := context.Background()
	for _, cut := range []int{1, 8, 11, len(journeys()) - 1} {
		ext := storagetest.NewExtension()
		first := startWith(t, storageConfig(), ext)
		first.clock.Set(t0.Add(4 * time.Minute))
		first.consume(journeys()[:cut]...)
		require.NoError(t, first.c.SaveState(ctx, 7))
		require.NoError(t, first.c.Shutdown(ctx))

		second := startWith(t, storageConfig(), ext)
		require.NoError(t, second.c.RestoreState(ctx, 7))
		second.clock.Set(t0.Add(4 * time.Minute))
		second.consume(journeys()[cut:]...)
		second.c.ReplayDelivered()
		got := second.flush(t0.Add(5 * time.Minute))
		assertJourneyTruth(t, got)
		want, err := golden.ReadMetrics(filepath.Join("testdata", "journeys", "expected.yaml"))
		require.NoError(t, err)
		assert.Equal(t, want.DataPointCount(), got.DataPointCount(), "cut at %d", cut)
		assertStartTimestamp(t, got, t0)
		require.NoError(t, second.c.Shutdown(ctx))
	}
}

// pageViewsAroundACheckpoint starts a connector on ext that counts page
// view a, saves its state with checkpoint 1, then counts page view b.
func pageViewsAroundACheckpoint(t *testing.T, ext *storagetest.Extension) *harness {
	t.Helper()
	h := startWith(t, storageConfig(), ext)
	h.consume(pageView("a", 0, "/", 1))
	require.NoError(t, h.c.SaveState(context.Background(), 1))
	h.consume(pageView("b", time.Second, "/", 1))
	return h
}

// Between RestoreState and ReplayDelivered the aggregator holds the
// checkpoint without the events counted after it, which the sessionize
// processor is delivering again: a flush then would make every counter go
// back from what was exported before the restart (a counter reset to
// Prometheus, and a number a partition's new owner in kafkastream must not
// publish). Nothing is flushed until the replay is delivered, not even at
// shutdown.
func TestNothingIsFlushedUntilTheReplayIsDelivered(t *testing.T) {
	ctx := context.Background()
	ext := storagetest.NewExtension()
	first := pageViewsAroundACheckpoint(t, ext)
	before := pointValues(first.flush(t0.Add(time.Minute)))["footfall.page_views{site=shop}"]
	require.Equal(t, 2.0, before)
	require.NoError(t, first.c.Shutdown(ctx))

	second := startWith(t, storageConfig(), ext)
	require.NoError(t, second.c.RestoreState(ctx, 1))
	require.NoError(t, second.c.flush(ctx))
	assert.Empty(t, second.sink.AllMetrics(), "the checkpoint alone counts less than was exported")
	second.consume(pageView("b", time.Second, "/", 1)) // the replay
	require.NoError(t, second.c.flush(ctx))
	assert.Empty(t, second.sink.AllMetrics(), "the replay may have more to deliver")
	second.c.ReplayDelivered()
	assert.Equal(t, before, pointValues(second.flush(t0.Add(time.Minute)))["footfall.page_views{site=shop}"], "from where the first run was")

	third := startWith(t, storageConfig(), ext)
	require.NoError(t, third.c.RestoreState(ctx, 1))
	require.NoError(t, third.c.Shutdown(ctx))
	assert.Empty(t, third.sink.AllMetrics(), "not at shutdown either")
	require.NoError(t, second.c.Shutdown(ctx))
}

// The state of the two latest checkpoints is kept: the processor may not
// have committed the latest when it crashed, and then restores the one
// before. A checkpoint with no state of its own starts from zero.
func TestRestoresTheStateOfTheCheckpointAsked(t *testing.T) {
	ctx := context.Background()
	ext := storagetest.NewExtension()
	first := pageViewsAroundACheckpoint(t, ext)
	require.NoError(t, first.c.SaveState(ctx, 2)) // not committed
	require.NoError(t, first.c.Shutdown(ctx))

	for _, tt := range []struct {
		epoch int64
		want  float64
	}{{1, 1}, {2, 2}, {3, 0}, {0, 0}} {
		h := startWith(t, storageConfig(), ext)
		require.NoError(t, h.c.RestoreState(ctx, tt.epoch))
		h.c.ReplayDelivered()
		h.consume(pageView("c", 2*time.Second, "/", 1))
		got := h.flush(t0.Add(time.Minute))
		assert.InDelta(t, tt.want+1, pointValues(got)["footfall.page_views{site=shop}"], 0, "checkpoint %d", tt.epoch)
		require.NoError(t, h.c.Shutdown(ctx))
	}
}

// A batch counted before the checkpoint and delivered again after the
// restart (a sibling consumer had refused it) is still recognised.
func TestRecentBatchesAreRememberedAcrossARestart(t *testing.T) {
	ctx := context.Background()
	ext := storagetest.NewExtension()
	batch := logsOf(pageView("a", 0, "/", 1))
	first := startWith(t, storageConfig(), ext)
	require.NoError(t, first.c.ConsumeLogs(ctx, batch))
	require.NoError(t, first.c.SaveState(ctx, 1))
	require.NoError(t, first.c.Shutdown(ctx))

	second := startWith(t, storageConfig(), ext)
	require.NoError(t, second.c.RestoreState(ctx, 1))
	require.NoError(t, second.c.ConsumeLogs(ctx, batch))
	second.c.ReplayDelivered()
	got := second.flush(t0.Add(time.Minute))
	assert.InDelta(t, 1, pointValues(got)["footfall.page_views{site=shop}"], 0)
	require.NoError(t, second.c.Shutdown(ctx))
}

// assertStartTimestamp checks that every cumulative series starts at start.
func assertStartTimestamp(t *testing.T, md pmetric.Metrics, start time.Time) {
	t.Helper()
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						assert.Equal(t, start, dp.StartTimestamp().AsTime(), m.Name())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						assert.Equal(t, start, dp.StartTimestamp().AsTime(), m.Name())
					}
				}
			}
		}
	}
}

// State that cannot be read is dropped with an error log: the connector
// starts from zero rather than not at all.
func TestUnreadableStateStartsFromZero(t *testing.T) {
	ext := storagetest.NewExtension()
	client, err := ext.GetClient(context.Background(), component.KindConnector, newHarness(t, testConfig()).c.settings.ID, "")
	require.NoError(t, err)
	require.NoError(t, client.Set(context.Background(), stateKey(1), []byte("not a state")))
	h := startWith(t, storageConfig(), ext)
	require.NoError(t, h.c.RestoreState(context.Background(), 1))
	h.c.ReplayDelivered()
	h.consume(pageView("a", 0, "/", 1))
	got := h.flush(t0.Add(time.Minute))
	assert.InDelta(t, 1, pointValues(got)["footfall.page_views{site=shop}"], 0)
	require.NoError(t, h.c.Shutdown(context.Background()))
}

func TestShutdownWithoutStartClosesNothingItDidNotOpen(t *testing.T) {
	h := newHarness(t, storageConfig())
	require.NoError(t, h.c.Shutdown(context.Background()))
}

// inZone names the site's time zone on every resource of ld, as the
// sessionize processor does.
func inZone(ld plog.Logs, zone string) plog.Logs {
	for _, rl := range ld.ResourceLogs().All() {
		rl.Resource().Attributes().PutStr(schema.AttrSiteTimeZone, zone)
	}
	return ld
}

// A site's "today" is counted in the time zone its records name (the
// sessionize processor's, configured there alone); the zone is kept with
// the state across a restart; a change of zone starts today again.
func TestTodayIsInTheZoneTheRecordsName(t *testing.T) {
	ctx := context.Background()
	today := func(h *harness, now time.Time) float64 {
		return pointValues(h.flush(now))["footfall.visitors{site=shop,window=today}"]
	}
	// t0 is 19:00 in Tokyo; six hours later it is 01:00 the next day there,
	// still the same day in UTC.
	ext := storagetest.NewExtension()
	first := startWith(t, storageConfig(), ext)
	require.NoError(t, first.c.ConsumeLogs(ctx, inZone(logsOf(pageView("a", 0, "/", 1)), "Asia/Tokyo")))
	first.clock.Set(t0.Add(6 * time.Hour))
	require.NoError(t, first.c.ConsumeLogs(ctx, inZone(logsOf(pageView("b", 6*time.Hour, "/", 1)), "Asia/Tokyo")))
	require.InDelta(t, 1, today(first, t0.Add(6*time.Hour+time.Minute)), 0, "a came yesterday in Tokyo")
	require.NoError(t, first.c.SaveState(ctx, 1))
	require.NoError(t, first.c.Shutdown(ctx))

	second := startWith(t, storageConfig(), ext)
	require.NoError(t, second.c.RestoreState(ctx, 1))
	second.c.ReplayDelivered()
	assert.InDelta(t, 1, today(second, t0.Add(6*time.Hour+2*time.Minute)), 0, "the restored site still counts in Tokyo")

	// Eight hours after t0 it is 18:00 in UTC: a and b came today in UTC,
	// but before the change.
	second.clock.Set(t0.Add(8 * time.Hour))
	require.NoError(t, second.c.ConsumeLogs(ctx, inZone(logsOf(pageView("c", 8*time.Hour, "/", 1)), "UTC")))
	assert.InDelta(t, 1, today(second, t0.Add(8*time.Hour+time.Minute)), 0, "after a change of zone today starts again: c alone")
	require.NoError(t, second.c.Shutdown(ctx))
}

// A saved series with more or fewer label values than its metric has (a
// state of another build, or bytes the changelog topic was given by
// someone else) is dropped: it used to be restored, and the next flush
// indexed past its values and crashed the collector. The series that fit
// are restored as saved.
func TestASavedSeriesThatDoesNotFitItsMetricIsDropped(t *testing.T) {
	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	a.consume(logsOf(journeys()...), t0)
	want, _ := a.metrics(t0, t0.Add(time.Minute))
	st := savedBase(t, a)
	labelled := labelledCounter(t)
	st.Series = append(st.Series,
		savedSeries{Metric: labelled.name, Site: "shop", Value: 3},
		savedSeries{Metric: labelled.name, Site: "shop", Value: 3, Values: make([]string, len(labelled.labels)+1)})

	restored, err := newAggregator(testConfig())
	require.NoError(t, err)
	require.NoError(t, restored.restore(st))
	got, _ := restored.metrics(t0, t0.Add(time.Minute))
	assert.Equal(t, pointValues(want), pointValues(got))
}

// A saved count below zero is no count this connector made: the state is
// unreadable (and the connector starts from zero), as with NaN.
func TestASavedCountBelowZeroMakesTheStateUnreadable(t *testing.T) {
	a, err := newAggregator(testConfig())
	require.NoError(t, err)
	a.consume(logsOf(journeys()...), t0)
	st := savedBase(t, a)
	require.NotEmpty(t, st.Series)
	st.Series[0].Value = -1
	restored, err := newAggregator(testConfig())
	require.NoError(t, err)
	require.ErrorContains(t, restored.restore(st), "holds -1")
}

// savedBase is a's state as a base would store it, read back.
func savedBase(t *testing.T, a *aggregator) savedState {
	t.Helper()
	data, err := a.saveBase(t0, 1)
	require.NoError(t, err)
	st, err := decodeState(data, nil)
	require.NoError(t, err)
	return st
}

// labelledCounter is a counter with labels besides the site.
func labelledCounter(t testing.TB) *metricDef {
	t.Helper()
	for _, def := range metricByName {
		if def.kind == counter && len(def.labels) > 0 {
			return def
		}
	}
	t.Fatal("no labelled counter")
	return nil
}
