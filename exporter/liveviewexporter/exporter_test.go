// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configtls"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap/zaptest"

	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/internal/testhttp"
)

// connectorJourneys is the webanalytics connector's output for its golden
// journeys: what the exporter is pushed.
var connectorJourneys = filepath.Join("..", "..", "connector", "webanalyticsconnector", "testdata", "journeys", "expected.yaml")

func get(t *testing.T, url string) (testhttp.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, http.NoBody)
	require.NoError(t, err)
	resp := testhttp.Do(t, req)
	return resp, resp.Body
}

// The exporter in its pipeline place: pushed the connector's metrics, it
// serves the page, the snapshot and a bounded event stream, and counts.
func TestServesTheDashboard(t *testing.T) {
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	cfg := createDefaultConfig().(*Config)
	cfg.NetAddr.Endpoint = "127.0.0.1:0"
	cfg.MaxClients = 1
	cfg.MaxSites = 1
	e, err := newExporter(cfg, metadatatest.NewSettings(tel))
	require.NoError(t, err)
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { require.NoError(t, e.shutdown(context.Background())) })
	base := "http://" + e.boundAddr.String()

	md, err := golden.ReadMetrics(connectorJourneys)
	require.NoError(t, err)
	require.NoError(t, e.consumeMetrics(context.Background(), md))

	resp, body := get(t, base+"/api/snapshot")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var snap snapshot.Snapshot
	require.NoError(t, json.Unmarshal(body, &snap))
	require.Len(t, snap.Sites, 1)
	assert.Equal(t, "shop", snap.Sites[0].Site)
	assert.InDelta(t, 6.0, snap.Sites[0].Windows["5m"].PageViews, 0.001)
	assert.EqualValues(t, 2, snap.Seq, "one empty snapshot at start, one per push")

	resp, body = get(t, base+"/")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), "<title>Footfall · live</title>")
	for _, asset := range []string{"/assets/app.js", "/assets/vendor/uPlot.iife.min.js", "/assets/vendor/uPlot.min.css"} {
		resp, body = get(t, base+asset)
		assert.Equal(t, http.StatusOK, resp.StatusCode, asset)
		assert.NotEmpty(t, body, asset)
	}

	// One stream client is allowed; a second is refused.
	ctx, cancel := context.WithCancel(t.Context())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", http.NoBody)
	require.NoError(t, err)
	stream, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, stream.StatusCode)
	resp, _ = get(t, base+"/events")
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	metadatatest.AssertEqualExporterLiveviewClientsRefused(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualExporterLiveviewClients(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	cancel()
	_ = stream.Body.Close()

	// A second site does not fit in max_sites 1.
	other := pmetric.NewMetrics()
	m := other.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
	m.SetName("footfall.page_views")
	dp := m.SetEmptySum().DataPoints().AppendEmpty()
	dp.SetDoubleValue(1)
	dp.Attributes().PutStr("site", "blog")
	require.NoError(t, e.consumeMetrics(context.Background(), other))
	metadatatest.AssertEqualExporterLiveviewSitesDropped(t, tel, []metricdata.DataPoint[int64]{{Value: 1}}, metricdatatest.IgnoreTimestamp())
	require.Eventually(t, func() bool {
		_, body := get(t, base+"/api/snapshot")
		return json.Unmarshal(body, &snap) == nil && snap.Seq == 3
	}, 5*time.Second, 10*time.Millisecond)
	assert.Len(t, snap.Sites, 1)
}

func TestShutdownWithoutStart(t *testing.T) {
	e, err := newExporter(createDefaultConfig().(*Config), metadatatest.NewSettings(componenttest.NewTelemetry()))
	require.NoError(t, err)
	require.NoError(t, e.shutdown(context.Background()))
}

// With storage, the minute history survives a restart: the new exporter's
// windows, chart and top lists go on from the old one's, and the connector's
// counters, which continue across the restart, are not counted again.
func TestHistorySurvivesARestart(t *testing.T) {
	ext := storagetest.NewExtension()
	storageID := component.MustNewID("file_storage")
	host := storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}
	md, err := golden.ReadMetrics(connectorJourneys)
	require.NoError(t, err)
	at := time.Date(2026, 11, 27, 10, 30, 15, 0, time.UTC)

	run := func(now time.Time, push bool) snapshot.Site {
		cfg := createDefaultConfig().(*Config)
		cfg.NetAddr.Endpoint = "127.0.0.1:0"
		cfg.Storage = &storageID
		set := exportertest.NewNopSettings(metadata.Type)
		set.ID = component.NewID(metadata.Type) // the same component after the restart
		set.Logger = zaptest.NewLogger(t)
		e, err := newExporter(cfg, set)
		require.NoError(t, err)
		e.now = func() time.Time { return now }
		require.NoError(t, e.start(context.Background(), host))
		if push {
			require.NoError(t, e.consumeMetrics(context.Background(), md))
		}
		e.mu.Lock()
		snap := e.tracker.Snapshot(1, now, cfg.TopN)
		e.mu.Unlock()
		require.NoError(t, e.shutdown(context.Background()))
		require.Len(t, snap.Sites, 1)
		return snap.Sites[0]
	}
	before := run(at, true)
	// Two minutes later, after a restart: nothing new was counted, and the
	// connector pushes the same cumulative values again.
	after := run(at.Add(2*time.Minute), true)
	assert.InDelta(t, 6.0, before.Windows["5m"].PageViews, 0.001)
	assert.InDelta(t, 6.0, after.Windows["5m"].PageViews, 0.001, "the six page views of two minutes ago, not twelve")
	assert.InDelta(t, 6.0, after.PageViewsPerMinute[57].Value, 0.001, "the chart's minute of the first push")
	assert.Equal(t, before.Top["5m"].Pages, after.Top["5m"].Pages)
	assert.NotEmpty(t, after.Top["5m"].Pages)

	// Without the history the same push would count from zero again: the
	// saved state is what keeps the windows right.
	fresh := snapshot.NewTracker(10, time.UTC)
	fresh.Ingest(md, at.Add(2*time.Minute))
	assert.Zero(t, fresh.Snapshot(1, at.Add(2*time.Minute), 10).Sites[0].PageViewsPerMinute[57].Value)
}

func TestShutdownWithoutStartWithStorage(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	storageID := component.MustNewID("file_storage")
	cfg.Storage = &storageID
	e, err := newExporter(cfg, exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, e.shutdown(context.Background()))
}

// The logged address is one a browser can open: the allowed host (not the
// bound IP, which allowed_hosts may refuse), the bound port, https with tls.
func TestDashboardURL(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	bound := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4320}
	assert.Equal(t, "http://localhost:4320/", dashboardURL(cfg, bound))
	cfg.AllowedHosts = []string{"stats.example.com"}
	cfg.TLS = configoptional.Some(configtls.ServerConfig{})
	assert.Equal(t, "https://stats.example.com:4320/", dashboardURL(cfg, bound))
	cfg.AllowedHosts = []string{"::1"}
	assert.Equal(t, "https://[::1]:4320/", dashboardURL(cfg, bound))
}
