// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package elasticsearchexporter

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/estest"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/jsonwriter"
	"github.com/footfall-analytics/footfall/exporter/elasticsearchexporter/internal/metadata"
)

// BenchmarkEncode is the document mapping and JSON encoding of one event.
func BenchmarkEncode(b *testing.B) {
	ld := enrichedStream()
	rl := ld.ResourceLogs().At(0)
	lr := rl.ScopeLogs().At(0).LogRecords().At(1)
	size := 0
	var w jsonwriter.Writer
	var f fields
	for b.Loop() {
		w.Buf = w.Buf[:0]
		if _, _, reason := encodeDocument(&w, &f, rl.ScopeLogs().At(0).Scope(), rl.Resource().Attributes(), lr); reason != "" {
			b.Fatal(reason)
		}
		size = len(w.Buf)
	}
	b.ReportMetric(float64(size), "bytes/doc")
}

// BenchmarkPushToTestServer is batches of 100 visits (about 300 documents)
// encoded and sent as bulk requests to the test server in its lean mode,
// which checks every document but keeps none: what is measured is the
// exporter, not the server's decoding. The batches are built with the
// clock stopped.
func benchmarkSettings() exporter.Settings {
	return exportertest.NewNopSettings(metadata.Type)
}

func BenchmarkPushToTestServer(b *testing.B) {
	server := estest.NewServer()
	server.Lean = true
	defer server.Close()
	cfg := createDefaultConfig().(*Config)
	cfg.Endpoints = []string{server.URL}
	cfg.Templates.Install = false
	e, err := newExporter(cfg, benchmarkSettings())
	require.NoError(b, err)
	require.NoError(b, e.start(context.Background(), componenttest.NewNopHost()))
	docs := 0
	for i := 0; b.Loop(); i++ {
		// The batch is the processing tier's work, not the exporter's.
		b.StopTimer()
		batch := plog.NewLogs()
		for v := range 100 {
			visit(fmt.Sprintf("b%d-%d", i, v), 2).ResourceLogs().MoveAndAppendTo(batch.ResourceLogs())
		}
		docs += batch.LogRecordCount() - 100 // session.start records are not stored
		b.StartTimer()
		if err := e.pushLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	require.Empty(b, server.Problems())
	require.Equal(b, docs, server.BulkItems(), "every document reached the server once")
	b.ReportMetric(float64(docs)/b.Elapsed().Seconds(), "docs/s")
}
