// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package liveviewexporter

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/metadatatest"
	"github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"
	"github.com/footfall-analytics/footfall/internal/testhttp"
)

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

	md, err := golden.ReadMetrics(filepath.Join("testdata", "journeys.yaml"))
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
