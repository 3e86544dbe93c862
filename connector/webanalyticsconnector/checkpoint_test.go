// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"

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

// A graceful restart in the middle of the day changes no number: every
// counter, histogram, breakdown and visitor sketch continues where it was,
// and the answers are those of the day counted without a restart.
func TestGracefulRestartContinuesEverySeries(t *testing.T) {
	for _, cut := range []int{1, 8, 11, len(journeys()) - 1} {
		ext := storagetest.NewExtension()
		first := startWith(t, storageConfig(), ext)
		first.clock.Set(t0.Add(4 * time.Minute))
		first.consume(journeys()[:cut]...)
		require.NoError(t, first.c.Shutdown(context.Background()))
		require.Contains(t, ext.Snapshot(component.KindConnector, first.c.settings.ID, ""), stateKey, "the graceful shutdown saved the state")

		second := startWith(t, storageConfig(), ext)
		assert.Empty(t, ext.Snapshot(component.KindConnector, second.c.settings.ID, ""),
			"the state is deleted once read: a crash later starts from zero, never from this older state")
		second.clock.Set(t0.Add(4 * time.Minute))
		second.consume(journeys()[cut:]...)
		got := second.flush(t0.Add(5 * time.Minute))
		assertJourneyTruth(t, got)
		want, err := golden.ReadMetrics(filepath.Join("testdata", "journeys", "expected.yaml"))
		require.NoError(t, err)
		assert.Equal(t, want.DataPointCount(), got.DataPointCount(), "cut at %d", cut)
		assertStartTimestamp(t, got, t0)
		require.NoError(t, second.c.Shutdown(context.Background()))
	}
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
	require.NoError(t, client.Set(context.Background(), stateKey, []byte("not a state")))
	h := startWith(t, storageConfig(), ext)
	h.consume(pageView("a", 0, "/", 1))
	got := h.flush(t0.Add(time.Minute))
	assert.InDelta(t, 1, pointValues(got)["footfall.page_views{site=shop}"], 0)
	require.NoError(t, h.c.Shutdown(context.Background()))
}

func TestShutdownWithoutStartClosesNothingItDidNotOpen(t *testing.T) {
	h := newHarness(t, storageConfig())
	require.NoError(t, h.c.Shutdown(context.Background()))
}
