// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/visitcorpus"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadatatest"
)

const (
	eventsTopic = "footfall.events"
	partitions  = 4
)

func newCorpus(visitors int) visitcorpus.Corpus {
	return visitcorpus.New(visitors, eventsTopic, partitions)
}

// published keeps the latest value of each series one collector published.
type published struct {
	mu     sync.Mutex
	series map[string]float64 // name|labels, the partition among them
	// withdrawn counts the series dropped by points with no value.
	withdrawn int
	// highest, when set, is shared by the collectors of a test: the
	// highest value any of them published for each monotonic series.
	highest *highest
}

func newPublished() *published { return &published{series: map[string]float64{}} }

// highest records the largest value published for each counter series by
// any collector, and every time one went below it: a counter that goes back
// when its partition changes owner breaks rate() and increase().
type highest struct {
	mu        sync.Mutex
	values    map[string]float64
	backwards []string
}

func (h *highest) see(key string, v float64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if prev, ok := h.values[key]; ok && v < prev {
		if len(h.backwards) < 10 {
			h.backwards = append(h.backwards, fmt.Sprintf("%s: %v after %v", key, v, prev))
		}
		return
	}
	h.values[key] = v
}

func (*published) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *published) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				if m.Type() == pmetric.MetricTypeGauge {
					for _, dp := range m.Gauge().DataPoints().All() {
						s.record(m.Name()+"|"+labels(dp.Attributes()), dp.DoubleValue()+float64(dp.IntValue()), dp.Flags())
					}
				}
				if m.Type() != pmetric.MetricTypeSum {
					continue
				}
				for _, dp := range m.Sum().DataPoints().All() {
					key, v := m.Name()+"|"+labels(dp.Attributes()), dp.DoubleValue()+float64(dp.IntValue())
					if !s.record(key, v, dp.Flags()) {
						continue
					}
					if s.highest != nil && m.Sum().IsMonotonic() {
						s.highest.see(key, v)
					}
				}
			}
		}
	}
	return nil
}

// record keeps a series' value, or drops the series when the point says it
// has none (a collector withdrawing a partition it no longer owns); it
// reports whether a value was kept.
func (s *published) record(key string, v float64, flags pmetric.DataPointFlags) bool {
	if flags.NoRecordedValue() {
		delete(s.series, key)
		s.withdrawn++
		return false
	}
	s.series[key] = v
	return true
}

// partitions are those whose page views the collector exports now.
func (s *published) partitions() map[string]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]bool{}
	for key := range s.series {
		if strings.HasPrefix(key, "footfall.page_views|") {
			i := strings.Index(key, ",partition=")
			out[strings.SplitN(key[i+len(",partition="):], ",", 2)[0]] = true
		}
	}
	return out
}

func labels(attrs pcommon.Map) string {
	var b strings.Builder
	b.WriteString(",")
	for k, v := range attrs.All() {
		b.WriteString(k + "=" + v.AsString() + ",")
	}
	return b.String()
}

// totals is what a dashboard shows: per counted metric, the sum over
// partitions of the largest value any collector published for it (a former
// owner's series stays behind, never above the current owner's).
func totals(collectors ...*published) map[string]float64 {
	largest := map[string]float64{}
	for _, c := range collectors {
		c.mu.Lock()
		for key, v := range c.series {
			largest[key] = max(largest[key], v)
		}
		c.mu.Unlock()
	}
	out := map[string]float64{}
	for _, m := range visitcorpus.Counted {
		for key, v := range largest {
			if strings.HasPrefix(key, m.OTel+"|") && (m.LabelName == "" || strings.Contains(key, ","+m.LabelName+"="+m.LabelValue+",")) {
				out[m.OTel] += v
			}
		}
	}
	return out
}

func startCluster(t testing.TB) string {
	t.Helper()
	return newCluster(t).ListenAddrs()[0]
}

func newCluster(t testing.TB) *kfake.Cluster {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, eventsTopic),
		kfake.GroupMinSessionTimeout(500*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	return cluster
}

// refuseProduce answers a produce request with a non-retriable error for
// every partition, as a broker refusing the write would.
func refuseProduce(req *kmsg.ProduceRequest) *kmsg.ProduceResponse {
	resp := req.ResponseKind().(*kmsg.ProduceResponse)
	for _, topic := range req.Topics {
		rt := kmsg.NewProduceResponseTopic()
		rt.Topic, rt.TopicID = topic.Topic, topic.TopicID
		for _, partition := range topic.Partitions {
			rp := kmsg.NewProduceResponseTopicPartition()
			rp.Partition = partition.Partition
			rp.ErrorCode = kerr.PolicyViolation.Code
			rt.Partitions = append(rt.Partitions, rp)
		}
		resp.Topics = append(resp.Topics, rt)
	}
	return resp
}

func testConfig(broker, id string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Brokers = []string{broker}
	cfg.TransactionalID = id
	cfg.CommitInterval = 200 * time.Millisecond
	cfg.TransactionTimeout = 3 * time.Second
	cfg.SessionTimeout = 3 * time.Second
	cfg.Timeout = 30 * time.Second
	cfg.Sessionize.Goals = []string{visitcorpus.Goal}
	cfg.Sessionize.AllowedLateness = time.Second
	// The watermark also moves with the wall clock when a partition is
	// quiet (the default), so that each partition's last page view is
	// placed. A visitor's events are in order in the corpus, so an event
	// that pause makes late is still placed in the right session.
	cfg.Sessionize.CheckpointInterval = time.Second
	cfg.WebAnalytics.FlushInterval = 100 * time.Millisecond
	return cfg
}

type collector struct {
	r   *kafkaStream
	out *published
}

func startCollector(t testing.TB, broker, id string, before ...func(*kafkaStream)) collector {
	t.Helper()
	out := newPublished()
	r, err := newReceiver(testConfig(broker, id), receivertest.NewNopSettings(metadata.Type), clockwork.NewRealClock())
	require.NoError(t, err)
	r.nextMetrics = out
	for _, f := range before {
		f(r)
	}
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return collector{r: r, out: out}
}

func produce(t testing.TB, broker string, records []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	defer cl.Close()
	for i := 0; i < len(records); i += 100 {
		require.NoError(t, cl.ProduceSync(context.Background(), records[i:min(i+100, len(records))]...).FirstErr())
	}
}

// waitForLagZero waits until the group has committed every record.
func waitForLagZero(t testing.TB, broker string) {
	t.Helper()
	require.Eventually(t, func() bool {
		lag, err := visitcorpus.Lag(context.Background(), broker, eventsTopic, "footfall-processing")
		return err == nil && lag == 0
	}, 60*time.Second, 50*time.Millisecond)
}

func assertTotals(t *testing.T, truth map[string]float64, collectors ...*published) {
	t.Helper()
	got := map[string]float64{}
	matched := assert.Eventually(t, func() bool {
		got = totals(collectors...)
		for _, m := range visitcorpus.Counted {
			if got[m.OTel] != truth[m.OTel] {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "totals never matched the ground truth")
	if !matched {
		t.Fatalf("published %v, ground truth %v", got, truth)
	}
	for _, m := range visitcorpus.Counted {
		assert.Equal(t, truth[m.OTel], got[m.OTel], m.OTel)
	}
}

func TestARebalanceChangesNoNumber(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(120)
	third := len(c.Records) / 3
	counters := &highest{values: map[string]float64{}}
	watch := func(r *kafkaStream) { r.nextMetrics.(*published).highest = counters }

	a := startCollector(t, broker, "a", watch)
	b := startCollector(t, broker, "b", watch)
	produce(t, broker, c.Records[:third])
	waitForLagZero(t, broker)

	extra := startCollector(t, broker, "c", watch)
	produce(t, broker, c.Records[third:2*third])
	waitForLagZero(t, broker)

	require.NoError(t, a.r.Shutdown(context.Background()))
	produce(t, broker, c.Records[2*third:])
	waitForLagZero(t, broker)

	assertTotals(t, c.Truth, a.out, b.out, extra.out)
	// A collector whose partitions moved to the newcomer withdrew their
	// series: it exports only what it owns.
	a.out.mu.Lock()
	b.out.mu.Lock()
	assert.Positive(t, a.out.withdrawn+b.out.withdrawn, "the former owners withdrew the series of the partitions they lost")
	b.out.mu.Unlock()
	a.out.mu.Unlock()
	require.Eventually(t, func() bool {
		inB, inExtra := b.out.partitions(), extra.out.partitions()
		for p := range inB {
			if inExtra[p] {
				return false
			}
		}
		return len(inB)+len(inExtra) == partitions
	}, 10*time.Second, 50*time.Millisecond, "each partition is exported by one of the live collectors")
	counters.mu.Lock()
	defer counters.mu.Unlock()
	assert.Empty(t, counters.backwards, "no counter of a partition went back when the partition changed owner")
	assert.NotEmpty(t, counters.values)
}

func TestOneCollectorCountsTheCorpus(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(40)
	a := startCollector(t, broker, "a")
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	assertTotals(t, c.Truth, a.out)
}

// The changelog's batches are zstd, as the gateways write the events topic
// (franz-go's default is snappy, which stores a checkpoint in about a
// third more).
func TestTheChangelogIsCompressedWithZstd(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(40)
	a := startCollector(t, broker, "a")
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	require.NoError(t, a.r.Shutdown(context.Background()))

	codecs := &batchCodecs{seen: map[uint8]int{}}
	readBatches(t, broker, a.r.cfg.changelogTopic(), codecs)
	codecs.mu.Lock()
	defer codecs.mu.Unlock()
	// Transaction markers are batches of their own, never compressed.
	assert.Positive(t, codecs.seen[zstdCodec], "batches of the changelog are zstd")
	assert.Equal(t, map[uint8]int{zstdCodec: codecs.seen[zstdCodec], 0: codecs.seen[0]}, codecs.seen, "no other codec")
	assert.LessOrEqual(t, codecs.seen[0], codecs.markers, "the uncompressed batches are transaction markers")
}

// zstdCodec is zstd's number in a record batch's attributes.
const zstdCodec = 4

// batchCodecs counts the record batches a client read by compression
// codec, and the transaction markers among them (one record, uncompressed).
type batchCodecs struct {
	mu      sync.Mutex
	seen    map[uint8]int
	markers int
}

func (c *batchCodecs) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seen[m.CompressionType]++
	if m.CompressionType == 0 && m.NumRecords == 1 {
		c.markers++
	}
}

// An aborted transaction (a rebalance during it, a failed write) puts its
// partitions back to the committed state and reads its records again:
// nothing is counted twice or lost. The collector then dies as a crash
// would, its last transaction aborted, and a new one restores the
// changelog: it counts the same, so the changelog held every change,
// including those first cut into aborted transactions.
func TestAbortedTransactionsChangeNoNumber(t *testing.T) {
	cluster := newCluster(t)
	broker := cluster.ListenAddrs()[0]
	c := newCorpus(60)
	var refused atomic.Int32
	var crashed, refuseThis atomic.Bool
	// The broker refuses a's changelog writes in about half of its
	// transactions, drawn at random when the one before ends, and in all
	// once "crashed": the transaction then aborts. (Refusing every other
	// one locks in step with a restored partition, which commits its replay
	// and then its quiet site's last placement: that placement would always
	// fall on a refused transaction and wait for ever, though nothing is
	// lost.) At most maxRefusedInARow transactions in a row are refused:
	// each abort rebuilds every partition, and a long run of them publishes
	// nothing for longer than the wait for the totals, though nothing is
	// lost either.
	const maxRefusedInARow = 2
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(28, 1))
	refusedInARow := 0
	cluster.ControlKey(int16(kmsg.EndTxn), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		mu.Lock()
		refuse := rng.IntN(2) == 0 && refusedInARow < maxRefusedInARow
		if refuse {
			refusedInARow++
		} else {
			refusedInARow = 0
		}
		refuseThis.Store(refuse)
		mu.Unlock()
		return nil, nil, false
	})
	cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		produce := req.(*kmsg.ProduceRequest)
		if produce.TransactionID == nil || *produce.TransactionID != "a" || (!crashed.Load() && !refuseThis.Load()) {
			return nil, nil, false
		}
		refused.Add(1)
		return refuseProduce(produce), nil, true
	})
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tel.Shutdown(context.Background())) })
	a := startCollector(t, broker, "a", func(r *kafkaStream) {
		var err error
		r.telemetry, err = metadata.NewTelemetryBuilder(metadatatest.NewSettings(tel).TelemetrySettings)
		require.NoError(t, err)
	})
	for i := 0; i < len(c.Records); i += 40 {
		produce(t, broker, c.Records[i:min(i+40, len(c.Records))])
		waitForLagZero(t, broker)
	}
	assertTotals(t, c.Truth, a.out)
	assert.GreaterOrEqual(t, refused.Load(), int32(3), "transactions were aborted")
	// The rebuilds after the aborts found the records their write-ahead
	// entries name among those a handed over lately.
	readAgain := recordsReadAgain(t, tel)
	assert.Positive(t, readAgain[readFromMemory], "records read again from memory")
	assert.Zero(t, readAgain[readFromEventsTopic], "records read again from the events topic")

	crashed.Store(true)
	require.NoError(t, a.r.Shutdown(context.Background()))
	b := startCollector(t, broker, "b")
	assertTotals(t, c.Truth, b.out)
}

// What the idle watermark placed of a quiet partition (its last events)
// is committed as a write-ahead entry before it is published: a collector
// that restores the partition after a crash shows it without moving any
// watermark of its own. Collector a never checkpoints its sessionizer, so
// those entries alone hold the placements; b's watermark never follows
// the wall clock. Without the entries, b holds each partition's last page
// views and the totals stay short.
func TestAQuietPartitionsLastPlacementsSurviveACrash(t *testing.T) {
	cluster := newCluster(t)
	broker := cluster.ListenAddrs()[0]
	c := newCorpus(40)
	var crashed atomic.Bool
	cluster.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		produce := req.(*kmsg.ProduceRequest)
		if !crashed.Load() || produce.TransactionID == nil || *produce.TransactionID != "a" {
			return nil, nil, false
		}
		return refuseProduce(produce), nil, true
	})
	a := startCollector(t, broker, "a", func(r *kafkaStream) { r.cfg.Sessionize.CheckpointInterval = time.Hour })
	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	assertTotals(t, c.Truth, a.out)

	crashed.Store(true)
	require.NoError(t, a.r.Shutdown(context.Background()))
	b := startCollector(t, broker, "b", func(r *kafkaStream) { r.cfg.Sessionize.WatermarkIdleTimeout = time.Hour })
	assertTotals(t, c.Truth, b.out)
}

// The logs pipeline gets every event with its session and the session
// records, with ids to write idempotently: distinct page views and session
// starts equal the ground truth.
func TestTheLogsPipelineGetsTheSessionizedEvents(t *testing.T) {
	broker := startCluster(t)
	c := newCorpus(40)
	logs := &consumertest.LogsSink{}
	cfg := testConfig(broker, "a")
	set := receivertest.NewNopSettings(metadata.Type)
	metricsReceiver, err := NewFactory().CreateMetrics(context.Background(), set, cfg, newPublished())
	require.NoError(t, err)
	logsReceiver, err := NewFactory().CreateLogs(context.Background(), set, cfg, logs)
	require.NoError(t, err)
	require.Same(t, metricsReceiver, logsReceiver, "one receiver serves both pipelines")
	require.NoError(t, metricsReceiver.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, logsReceiver.Start(context.Background(), componenttest.NewNopHost()))
	defer func() {
		require.NoError(t, logsReceiver.Shutdown(context.Background()))
		require.NoError(t, metricsReceiver.Shutdown(context.Background()))
	}()

	produce(t, broker, c.Records)
	waitForLagZero(t, broker)
	require.Eventually(t, func() bool {
		pageViews, sessions := map[string]bool{}, map[string]bool{}
		for _, ld := range logs.AllLogs() {
			for _, rl := range ld.ResourceLogs().All() {
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						switch lr.EventName() {
						case schema.EventPageView:
							id, _ := lr.Attributes().Get(schema.AttrEventID)
							pageViews[id.Str()] = true
						case schema.EventSessionStart:
							id, _ := lr.Attributes().Get(schema.AttrSessionID)
							sessions[id.Str()] = true
						}
					}
				}
			}
		}
		return float64(len(pageViews)) == c.Truth["footfall.page_views"] && float64(len(sessions)) == c.Truth["footfall.sessions"]
	}, 20*time.Second, 50*time.Millisecond)
}

// A collector started while Kafka cannot be reached waits for it, and stops
// cleanly.
func TestShutdownWhileKafkaCannotBeReached(t *testing.T) {
	r, err := newReceiver(testConfig("127.0.0.1:1", "a"), receivertest.NewNopSettings(metadata.Type), clockwork.NewRealClock())
	require.NoError(t, err)
	r.nextMetrics = newPublished()
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.NoError(t, r.Shutdown(context.Background()))
}

// recordsReadAgain is records_read_again by where they were found.
func recordsReadAgain(t *testing.T, tel *componenttest.Telemetry) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	m, err := tel.GetMetric("otelcol_receiver_kafkastream_records_read_again")
	if err != nil {
		return out // none yet
	}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		from, _ := dp.Attributes.Value("from")
		out[from.AsString()] += dp.Value
	}
	return out
}

// pageViews is the sum of the page views the collector publishes now.
func (s *published) pageViews() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var n float64
	for key, v := range s.series {
		if strings.HasPrefix(key, schema.MetricPageViews+"|") {
			n += v
		}
	}
	return n
}
