// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"errors"
	"hash/fnv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadatatest"
)

// gate refuses, as retryable, the sessionized records of one partition's
// visitors until it is opened: that partition's sessionizer then keeps
// refusing new records (its undelivered output is full).
type gate struct {
	partition int32
	open      atomic.Bool
}

func (*gate) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (g *gate) ConsumeLogs(_ context.Context, ld plog.Logs) error {
	if g.open.Load() {
		return nil
	}
	for _, rl := range ld.ResourceLogs().All() {
		h := fnv.New32a()
		_, _ = h.Write([]byte(attr.Str(rl.Resource().Attributes(), schema.AttrVisitorID)))
		if int32(h.Sum32()%partitions) == g.partition {
			return errors.New("the logs pipeline is not keeping up")
		}
	}
	return nil
}

// lagOf is each partition's lag of the group.
func lagOf(t *testing.T, broker string) map[int32]int64 {
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker))
	require.NoError(t, err)
	defer cl.Close()
	admin := kadm.NewClient(cl)
	ends, err := admin.ListEndOffsets(context.Background(), eventsTopic)
	require.NoError(t, err)
	committed, err := admin.FetchOffsets(context.Background(), "footfall-processing")
	require.NoError(t, err)
	lag := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		c, _ := committed.Lookup(eventsTopic, o.Partition)
		lag[o.Partition] = o.Offset - max(0, c.At)
	})
	return lag
}

// A partition whose sessionizer keeps refusing is paused alone: the other
// partitions commit and catch up meanwhile (before, the whole turn aborted
// and every partition rolled back, again and again), and once it can go on
// it is read again from its first record not taken. The totals are exact.
func TestAStalledPartitionHoldsNoOtherBack(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(40)
	cfg := testConfig(broker, "a")
	cfg.Sessionize.MaxUndeliveredRecords = 10
	g := &gate{partition: 0}
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	out := newPublished()
	r, err := newReceiver(cfg, metadatatest.NewSettings(tel), clockwork.NewRealClock())
	require.NoError(t, err)
	r.nextMetrics, r.nextLogs = out, g
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })

	// The first half is placed and its output refused, which fills
	// partition 0's undelivered output; the second half is then refused.
	half := len(c.Records) / 2
	produce(t, broker, c.Records[:half])
	time.Sleep(3 * time.Second)
	produce(t, broker, c.Records[half:])
	started := time.Now()
	require.Eventually(t, func() bool {
		lag := lagOf(t, broker)
		return lag[1] == 0 && lag[2] == 0 && lag[3] == 0
	}, 60*time.Second, 50*time.Millisecond, "the other partitions catch up while partition 0 is stalled")
	t.Logf("partitions 1-3 caught up in %v", time.Since(started))
	assert.Positive(t, lagOf(t, broker)[0], "partition 0 is held")
	var stalled int64
	require.Eventually(t, func() bool {
		m, err := tel.GetMetric("otelcol_receiver_kafkastream_partitions_stalled")
		if err != nil {
			return false
		}
		stalled = m.Data.(metricdata.Sum[int64]).DataPoints[0].Value
		return stalled > 0
	}, 10*time.Second, 50*time.Millisecond)

	g.open.Store(true)
	waitForLagZero(t, broker)
	assertTotals(t, c.Truth, out)
}
