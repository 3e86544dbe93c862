// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadatatest"
)

// TestConcurrentClients runs many clients at once (under -race in make test):
// every accepted event reaches the consumer once, every refusal is counted,
// and the shared caches and tables stay consistent.
func TestConcurrentClients(t *testing.T) {
	cfg := testConfig(t)
	cfg.RateLimit.MaxClients = 8 // smaller than the client count: evictions happen concurrently
	h := startReceiver(t, cfg, nil)

	const clients, requests = 16, 20
	var wg sync.WaitGroup
	statuses := make([][]int, clients)
	for c := range clients {
		wg.Go(func() {
			for r := range requests {
				req := request{
					contentType: "application/json", origin: siteOrigin, userAgent: benchUserAgents[c%len(benchUserAgents)],
					body: pageView("example", fmt.Sprintf("c%d-r%d", c, r)), headers: map[string]string{"X-Forwarded-For": fmt.Sprintf("198.51.100.%d", c)},
				}
				if r%5 == 4 {
					req.body = pageView("nosuchsite", fmt.Sprintf("c%d-r%d", c, r))
				}
				resp, _ := h.do(t, req)
				statuses[c] = append(statuses[c], resp.StatusCode)
			}
		})
	}
	wg.Wait()

	ok, forbidden := 0, 0
	for _, list := range statuses {
		for _, s := range list {
			switch s {
			case http.StatusOK:
				ok++
			case http.StatusForbidden:
				forbidden++
			default:
				t.Errorf("unexpected status %d", s)
			}
		}
	}
	assert.Equal(t, clients*requests*4/5, ok)
	assert.Equal(t, clients*requests/5, forbidden)
	require.Equal(t, ok, h.sink.LogRecordCount(), "every accepted event arrived exactly once")
	metadatatest.AssertEqualReceiverBrowsereventsRefusedEvents(t, h.tel, []metricdata.DataPoint[int64]{
		{Attributes: attribute.NewSet(attribute.String("reason", "unknown_site")), Value: int64(forbidden)},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}
