// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package browsereventsreceiver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/browsereventsreceiver/internal/metadatatest"
)

var benchUserAgents = []string{
	chromeUA,
	"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
}

// benchBody is a tracker-shaped request of n page views and clicks.
func benchBody(b testing.TB, n int, protobuf bool) []byte {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "example")
	sl := rl.ScopeLogs().AppendEmpty()
	sl.Scope().SetName("footfall.js")
	for i := range n {
		lr := sl.LogRecords().AppendEmpty()
		lr.SetTimestamp(1795000000000000000)
		if i%4 == 3 {
			lr.SetEventName(schema.EventClick)
		} else {
			lr.SetEventName(schema.EventPageView)
			lr.Attributes().PutStr(schema.AttrReferrer, "https://www.google.com/")
		}
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprintf("0b8f7c1e-4f0e-4c43-9a51-%012d", i))
		lr.Attributes().PutStr(schema.AttrURLFull, fmt.Sprintf("https://www.example.com/products/%d?utm_source=newsletter&utm_medium=email", i))
		lr.Attributes().PutStr(schema.AttrSessionID, "5f2b8f9e-cb1e-4d8e-9b7a-0d3e5f6a7b8c")
	}
	req := plogotlp.NewExportRequestFromLogs(ld)
	var (
		body []byte
		err  error
	)
	if protobuf {
		body, err = req.MarshalProto()
	} else {
		body, err = req.MarshalJSON()
	}
	require.NoError(b, err)
	return body
}

// BenchmarkIntake measures decode + checks + enrichment + response per event,
// calling the HTTP handler directly (no sockets) with a no-op next consumer.
func BenchmarkIntake(b *testing.B) {
	for _, tc := range []struct {
		name     string
		events   int
		protobuf bool
	}{
		{"json/batch20", 20, false},
		{"json/single", 1, false},
		{"protobuf/batch20", 20, true},
		{"protobuf/single", 1, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := testConfig(b)
			cfg.RateLimit.Enabled = false
			rcv, err := newReceiver(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop())
			require.NoError(b, err)
			require.NoError(b, rcv.buildPipeline(context.Background(), componenttest.NewNopHost()))
			b.Cleanup(func() { require.NoError(b, rcv.Shutdown(context.Background())) })
			body := benchBody(b, tc.events, tc.protobuf)
			contentType := "application/json"
			if tc.protobuf {
				contentType = "application/x-protobuf"
			}

			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				req := httptest.NewRequest(http.MethodPost, logsPath, bytes.NewReader(body))
				req.Header.Set("Content-Type", contentType)
				req.Header.Set("Origin", siteOrigin)
				req.Header.Set("User-Agent", benchUserAgents[i%len(benchUserAgents)])
				req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", (i>>8)&0xff, i&0xff))
				req.RemoteAddr = "127.0.0.1:40000"
				rec := httptest.NewRecorder()
				rcv.handleLogs(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
				}
			}
			b.StopTimer()
			runtime.ReadMemStats(&after)
			events := float64(b.N * tc.events)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
			b.ReportMetric(float64(after.Mallocs-before.Mallocs)/events, "allocs/event")
		})
	}
}
