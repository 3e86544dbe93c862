// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/footfall-analytics/footfall/internal/attr"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
)

// numberedRecords produces n records to partition 0, each one event whose
// id is its number, and returns a stream connected to broker.
func numberedRecords(t *testing.T, broker string, n int) *kafkaStream {
	t.Helper()
	records := make([]*kgo.Record, n)
	for i := range records {
		records[i] = hostileRecord(t, 0, func(ld plog.Logs) {
			forgedEvent(ld.ResourceLogs().At(0).ScopeLogs().AppendEmpty(), schema.EventPageView, i)
		})
	}
	produce(t, broker, records)
	r, err := newReceiver(testConfig(broker, "a"), receivertest.NewNopSettings(metadata.Type), clockwork.NewRealClock())
	require.NoError(t, err)
	r.clientOpts, err = connectionOpts(context.Background(), r.cfg)
	require.NoError(t, err)
	admin, err := kgo.NewClient(r.clientOpts...)
	require.NoError(t, err)
	t.Cleanup(admin.Close)
	r.admin = kadm.NewClient(admin)
	return r
}

// eventNumbers reads the events of ld: the numbers forgedEvent gave them.
func eventNumbers(ld plog.Logs) []string {
	var ids []string
	for _, rl := range ld.ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				ids = append(ids, strings.TrimPrefix(attr.Str(lr.Attributes(), schema.AttrEventID), "forged-"+schema.EventPageView+"-"))
			}
		}
	}
	return ids
}

// Records are read again in the order a reference names them, going
// forward, back, and far ahead.
func TestRecordsAreReadAgainByOffset(t *testing.T) {
	broker := startCluster(t)
	r := numberedRecords(t, broker, 6000)
	source := r.eventSource(0, nil)
	defer source.close()
	for _, offsets := range [][]int64{{3, 4, 7}, {8}, {1, 2}, {5999}, {10, 11, 12}} {
		ld, err := source.ReadAgain(context.Background(), encodeOffsets(offsets))
		require.NoError(t, err)
		want := make([]string, len(offsets))
		for i, o := range offsets {
			want[i] = fmt.Sprint(o)
		}
		assert.Equal(t, want, eventNumbers(ld))
	}
}

// Records a retention deleted, offsets past the partition's end and bytes
// that are no reference are gone for good (sourcelog.ErrGone): the
// sessionizer moves their entry aside. A closed source is not: the entry
// waits for the next restore.
func TestRecordsNoLongerInThePartitionAreGone(t *testing.T) {
	broker := startCluster(t)
	r := numberedRecords(t, broker, 20)
	ctx := context.Background()
	deleted, err := r.admin.DeleteRecords(ctx, kadm.Offsets{eventsTopic: {0: {Topic: eventsTopic, Partition: 0, At: 10}}})
	require.NoError(t, err)
	require.NoError(t, deleted.Error())

	for name, ref := range map[string][]byte{
		"deleted":     encodeOffsets([]int64{4}),
		"past it":     encodeOffsets([]int64{19, 20}),
		"unreadable":  {0xff},
		"partly gone": encodeOffsets([]int64{9, 10}),
	} {
		source := r.eventSource(0, nil)
		_, err := source.ReadAgain(ctx, ref)
		require.ErrorIs(t, err, sourcelog.ErrGone, name)
		source.close()
	}
	source := r.eventSource(0, nil)
	ld, err := source.ReadAgain(ctx, encodeOffsets([]int64{10, 19}))
	require.NoError(t, err)
	assert.Equal(t, []string{"10", "19"}, eventNumbers(ld))

	// Deleted after the source listed where the partition starts: the read
	// is reset past them (franz-go reports data loss) and finds them gone.
	deleted, err = r.admin.DeleteRecords(ctx, kadm.Offsets{eventsTopic: {0: {Topic: eventsTopic, Partition: 0, At: 15}}})
	require.NoError(t, err)
	require.NoError(t, deleted.Error())
	_, err = source.ReadAgain(ctx, encodeOffsets([]int64{12}))
	require.ErrorIs(t, err, sourcelog.ErrGone)
	ld, err = source.ReadAgain(ctx, encodeOffsets([]int64{16}))
	require.NoError(t, err)
	assert.Equal(t, []string{"16"}, eventNumbers(ld))
	source.close()
	_, err = source.ReadAgain(ctx, encodeOffsets([]int64{10}))
	require.ErrorIs(t, err, errSourceClosed)
	assert.NotErrorIs(t, err, sourcelog.ErrGone)
}

// The changelog holds where a write-ahead entry's records are in the
// events topic, not the records: the events pending at a shutdown are
// written there once. The next owner reads them again and counts exactly.
func TestTheChangelogNamesPendingRecords(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(60)
	holding := func(r *kafkaStream) {
		// The watermark moves only with events while a runs: each site's
		// last second of events is pending, and their batches' entries are
		// in the changelog when a stops.
		r.cfg.Sessionize.WatermarkIdleTimeout = 0
	}
	a := startCollector(t, broker, "a", holding)
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	require.NoError(t, a.r.Shutdown(context.Background()))

	var entries, entryBytes, eventBytes int
	for _, rec := range committedRecords(t, broker, a.r.cfg.changelogTopic()) {
		if writerOf(rec.Key) == "wal" && rec.Value != nil {
			entries++
			entryBytes += len(rec.Value)
		}
	}
	for _, rec := range c.Records {
		eventBytes += len(rec.Value)
	}
	require.Positive(t, entries, "the pending events' entries are in the changelog")
	assert.Less(t, entryBytes*100, eventBytes, "the entries hold less than 1%% of the events' bytes (%d of %d)", entryBytes, eventBytes)

	b := startCollector(t, broker, "b")
	assertTotals(t, c.Truth, b.out)
}

// refuseListOffsets makes the broker refuse, while refusing holds, every
// ListOffsets request about the events topic, counting them.
func refuseListOffsets(cluster *kfake.Cluster, refusing *atomic.Bool, refused *atomic.Int32) {
	cluster.ControlKey(int16(kmsg.ListOffsets), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		list := req.(*kmsg.ListOffsetsRequest)
		if !refusing.Load() || len(list.Topics) == 0 || list.Topics[0].Topic != eventsTopic {
			return nil, nil, false
		}
		refused.Add(1)
		resp := list.ResponseKind().(*kmsg.ListOffsetsResponse)
		for _, topic := range list.Topics {
			rt := kmsg.NewListOffsetsResponseTopic()
			rt.Topic = topic.Topic
			for _, partition := range topic.Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition = partition.Partition
				rp.ErrorCode = kerr.UnknownServerError.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
}

// A restore that cannot read the events topic fails and is tried again at
// the next turn: a quiet partition does not wait for a record to be
// restored, and its pending events are placed once the topic answers.
func TestARestoreThatFailedIsTriedAgain(t *testing.T) {
	cluster := newCluster(t)
	broker := cluster.ListenAddrs()[0]
	c := newCorpus(40)
	a := startCollector(t, broker, "a", func(r *kafkaStream) { r.cfg.Sessionize.WatermarkIdleTimeout = 0 })
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	require.NoError(t, a.r.Shutdown(context.Background()))

	var refusing atomic.Bool
	var refused atomic.Int32
	refusing.Store(true)
	refuseListOffsets(cluster, &refusing, &refused)
	b := startCollector(t, broker, "b")
	require.Eventually(t, func() bool { return refused.Load() >= partitions }, 20*time.Second, 10*time.Millisecond,
		"each partition's restore asked for the events topic's offsets and was refused")
	b.r.mu.Lock()
	assert.NotEmpty(t, b.r.unrestored, "a refused restore leaves its partition to be restored again")
	b.r.mu.Unlock()
	refusing.Store(false)
	assertTotals(t, c.Truth, b.out)
}
