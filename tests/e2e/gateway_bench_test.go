// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
)

// BenchmarkGatewayIntoKafka is the gateway process (config/gateway.yaml)
// under 16 concurrent senders posting batches of 20 events, into kfake, with
// the Kafka exporter's queue on disk (fsync) and in memory: what a durable
// ack costs. One op is one request.
func BenchmarkGatewayIntoKafka(b *testing.B) {
	bench := filepath.Join("testdata", "gateway-bench.yaml")
	for _, mode := range []struct {
		name    string
		configs []string
	}{
		{"persistent_queue", []string{bench}},
		{"memory_queue", []string{bench, filepath.Join("testdata", "gateway-memory-queue.yaml")}},
	} {
		b.Run(mode.name, func(b *testing.B) {
			kafka := startKafka(b, 0, b.TempDir())
			gateway := startGateway(b, kafka.ListenAddrs()[0], b.TempDir(), mode.configs...)
			const senders, perRequest = 16, 20
			latencies := make([]time.Duration, 0, b.N)
			var mu sync.Mutex
			var next, failed atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for s := range senders {
				wg.Add(1)
				go func() {
					defer wg.Done()
					client := &http.Client{Timeout: 30 * time.Second}
					for {
						n := next.Add(1) - 1
						if n >= int64(b.N) {
							return
						}
						// Built here, on the same two cores: the figures include the client's cost.
						body := requestBody(fmt.Sprintf("b%d-%d", s, n), perRequest)
						req, _ := http.NewRequest(http.MethodPost, "http://"+gateway.intake+"/v1/logs", bytes.NewReader(body))
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("User-Agent", firefox(100+s))
						start := time.Now()
						resp, err := client.Do(req)
						elapsed := time.Since(start)
						if err != nil || resp.StatusCode != http.StatusOK {
							failed.Add(1)
							if resp != nil {
								_ = resp.Body.Close()
							}
							continue
						}
						_ = resp.Body.Close()
						mu.Lock()
						latencies = append(latencies, elapsed)
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			require.Zero(b, failed.Load(), "every request is acknowledged")
			slices.Sort(latencies)
			b.ReportMetric(float64(b.N*perRequest)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(latencies[len(latencies)/2].Microseconds())/1000, "p50-ack-ms")
			b.ReportMetric(float64(latencies[len(latencies)*99/100].Microseconds())/1000, "p99-ack-ms")
		})
	}
}

// requestBody is one OTLP/JSON request of n page views with fresh ids.
func requestBody(prefix string, n int) []byte {
	ld, _ := pageViewsN(prefix, n)
	b, err := plogotlp.NewExportRequestFromLogs(ld).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return b
}
