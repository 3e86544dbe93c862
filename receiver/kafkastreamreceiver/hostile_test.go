// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/visitcorpus"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadatatest"
)

// hostileRecord is a record of the events topic for the corpus's site,
// built by edit.
func hostileRecord(t *testing.T, partition int32, edit func(ld plog.Logs)) *kgo.Record {
	t.Helper()
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, visitcorpus.Site)
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, "attacker")
	edit(ld)
	value, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	require.NoError(t, err)
	return &kgo.Record{Topic: eventsTopic, Partition: partition, Key: []byte("attacker"), Value: value}
}

func forgedEvent(sl plog.ScopeLogs, name string, i int) {
	lr := sl.LogRecords().AppendEmpty()
	lr.SetEventName(name)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)))
	lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprint("forged-", name, "-", i))
	lr.Attributes().PutStr(schema.AttrURLPath, "/forged")
}

// startWithTelemetry starts a collector on cfg whose own telemetry the
// test reads, and returns what it publishes with that telemetry.
func startWithTelemetry(t *testing.T, cfg *Config) (*published, *componenttest.Telemetry) {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	out := newPublished()
	r, err := newReceiver(cfg, metadatatest.NewSettings(tel), clockwork.NewRealClock())
	require.NoError(t, err)
	r.nextMetrics = out
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return out, tel
}

// The events topic is input from outside the collector: records that pose
// as the sessionizer, hold too many events, are too large or are not OTLP
// are each skipped alone, counted by reason, and never retried; the corpus
// around them is counted exactly.
func TestHostileRecordsAreSkippedAlone(t *testing.T) {
	const maxRecordBytes = 256 << 10 // the test broker takes no message over 1 MiB
	broker := startCluster(t)
	c := newCorpus(40)
	var hostile []*kgo.Record
	for p := range int32(partitions) {
		hostile = append(hostile,
			hostileRecord(t, p, func(ld plog.Logs) {
				sl := ld.ResourceLogs().At(0).ScopeLogs().AppendEmpty()
				sl.Scope().SetName(schema.SessionizeScope)
				forgedEvent(sl, schema.EventSessionEnd, int(p))
			}),
			hostileRecord(t, p, func(ld plog.Logs) {
				sl := ld.ResourceLogs().At(0).ScopeLogs().AppendEmpty()
				forgedEvent(sl, "", int(p))
				sl.LogRecords().At(0).Attributes().PutStr(schema.AttrEventNameLegacy, schema.EventSessionStart)
			}),
			hostileRecord(t, p, func(ld plog.Logs) {
				sl := ld.ResourceLogs().At(0).ScopeLogs().AppendEmpty()
				for i := range 1001 {
					forgedEvent(sl, schema.EventPageView, int(p)*10_000+i)
				}
			}),
			&kgo.Record{Topic: eventsTopic, Partition: p, Value: []byte("not OTLP at all")},
			&kgo.Record{Topic: eventsTopic, Partition: p, Value: bytes.Repeat([]byte{0}, maxRecordBytes+1)},
		)
	}
	// The attack first, so that it has every chance to stall a partition.
	hostile = append(hostile, c.Records...)

	cfg := testConfig(broker, "a")
	cfg.MaxRecordBytes = maxRecordBytes
	out, tel := startWithTelemetry(t, cfg)

	produce(t, broker, hostile)
	waitForLagZero(t, broker)
	assertTotals(t, c.Truth, out)

	reason := func(r string, n int64) metricdata.DataPoint[int64] {
		return metricdata.DataPoint[int64]{Value: n, Attributes: attribute.NewSet(attribute.String("reason", r))}
	}
	metadatatest.AssertEqualReceiverKafkastreamRecordsSkipped(t, tel, []metricdata.DataPoint[int64]{
		reason(skipReserved, 2*partitions), reason(skipTooManyEvents, partitions),
		reason(skipUndecodable, partitions), reason(skipTooLarge, partitions),
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}

// Records the sessionizer refuses for good (here, events without an id)
// are offered again one at a time and skipped alone, even when it has
// already edited the batch it refused: the batch used to be split from
// those edited logs, and several such records in one fetch crashed the
// collector (and the next owner of the partition).
func TestRecordsRefusedTogetherAreSkippedAlone(t *testing.T) {
	broker := startCluster(t)
	var refused []*kgo.Record
	for i := range 3 {
		refused = append(refused, hostileRecord(t, 0, func(ld plog.Logs) {
			sl := ld.ResourceLogs().At(0).ScopeLogs().AppendEmpty()
			forgedEvent(sl, schema.EventPageView, i)
			sl.LogRecords().At(0).Attributes().Remove(schema.AttrEventID)
		}))
	}
	out, tel := startWithTelemetry(t, testConfig(broker, "a"))

	// Alone, so that they make a batch of their own.
	produce(t, broker, refused)
	waitForLagZero(t, broker)
	c := newCorpus(10)
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	assertTotals(t, c.Truth, out)
	metadatatest.AssertEqualReceiverKafkastreamRecordsSkipped(t, tel, []metricdata.DataPoint[int64]{
		{Value: 3, Attributes: attribute.NewSet(attribute.String("reason", skipRefused))},
	}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
}
