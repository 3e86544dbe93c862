// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// FuzzDecodeRecord feeds the events topic's record decoder any bytes: it
// never panics, and what it lets through is within the bounds it promises.
func FuzzDecodeRecord(f *testing.F) {
	seed := plog.NewLogs()
	rl := seed.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(schema.EventPageView)
	value, err := (&plog.ProtoMarshaler{}).MarshalLogs(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(value)
	f.Add([]byte("not OTLP"))
	cfg := createDefaultConfig().(*Config)
	cfg.MaxRecordBytes = 4 << 10
	cfg.MaxEventsPerRecord = 8
	r := &kafkaStream{cfg: cfg}
	f.Fuzz(func(t *testing.T, value []byte) {
		ld, reason := r.decodeRecord(&kgo.Record{Value: value})
		if reason != "" {
			return
		}
		if len(value) > cfg.MaxRecordBytes || ld.LogRecordCount() > cfg.MaxEventsPerRecord || hasReservedName(ld) {
			t.Fatalf("let through %d bytes, %d events", len(value), ld.LogRecordCount())
		}
	})
}
