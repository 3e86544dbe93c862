// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/visitcorpus"
)

// BenchmarkOneCollectorCatchesUp times one processing collector reading a
// topic the corpus filled (4 partitions, about 180,000 records of one event)
// until its group has committed everything: events/s through the read, the
// per-partition sessionizer and aggregator, and the transactional commits
// of state and offsets, against an in-process broker on the same cores.
// It also reports what the collector wrote to the changelog per byte of
// the events topic, both as the broker stores them (changelog-stored, every
// batch of the changelog, compressed as the collector writes it, per byte
// of the events topic's batches, compressed as the shipped gateways write
// them): issue 28's target is at most 0.1. Then the changelog's committed
// records, shutdown's last checkpoint included, per byte of the events'
// records (keys and values, uncompressed), and the same,
// by what wrote it: the sessionizer's write-ahead log (wal-), the rest of
// its state (sessionize-; of which its bases, sessionize-base-) and the
// aggregator's (webanalytics-); of the sessionizer's, the envelopes
// (sessionize-envelope-), which hold the records placed and not yet
// delivered to the aggregator when a checkpoint began. The sessionizer
// checkpoints at the commit cadence here (the default is 10 s).
//
// It runs on two shapes of the same visits. events=corpus are the corpus's
// records: a site, a visitor, an event id, a name, a path and a time, with
// ids that count up ("visitor-012-3-4"), which compress tenfold. The
// events topic of a deployment holds what the gateways forward
// (events=intake, asForwarded): every event with the attributes the intake
// derives (user agent, device, country, referrer, campaign, the full URL),
// a random event id as footfall.js makes one and a hashed visitor id. The
// changelog holds the same state for both, but for the sessions'
// attribution; what changes is what it is compared with.
func BenchmarkOneCollectorCatchesUp(b *testing.B) {
	b.Run("events=corpus", func(b *testing.B) { benchmarkCatchUp(b, func(r []*kgo.Record) []*kgo.Record { return r }) })
	b.Run("events=intake", func(b *testing.B) {
		benchmarkCatchUp(b, func(r []*kgo.Record) []*kgo.Record { return asForwarded(b, r) })
	})
}

func benchmarkCatchUp(b *testing.B, shape func([]*kgo.Record) []*kgo.Record) {
	records := 0
	var tally changelogTally
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		broker := startCluster(b)
		c := visitcorpus.New(30000, eventsTopic, partitions)
		events := shape(c.Records)
		tally.produce(b, broker, events)
		records += len(events)
		b.StartTimer()
		start := time.Now()
		// Checkpoints at the commit cadence: written and released in the
		// same commit, a write-ahead entry never reaches the changelog.
		col := startCollector(b, broker, "bench", func(r *kafkaStream) { r.cfg.Sessionize.CheckpointInterval = r.cfg.CommitInterval })
		waitForLagZero(b, broker)
		elapsed += time.Since(start)
		b.StopTimer()
		tally.read(b, broker, col)
		b.StartTimer()
	}
	b.ReportMetric(float64(records)/elapsed.Seconds(), "records/s")
	b.ReportMetric(float64(tally.eventBytes)/float64(records), "event-bytes/record")
	b.ReportMetric(float64(tally.eventsStored.compressed.Load())/float64(records), "event-stored/record")
	b.ReportMetric(float64(tally.changelogStored.compressed.Load())/float64(records), "changelog-stored/record")
	tally.report(b)
}

// asForwarded gives the corpus's records the shape of what the gateways
// forward: each event gets the attributes the intake derives for a page
// view of the browserevents golden batch (tracker_batch: user agent,
// device, geo, referrer, campaign), its own path in url.full, a random
// event id (a UUID, as footfall.js makes one; the same for a retry of the
// same event) and a hashed visitor id (16 hex digits, as the intake makes
// one), keyed by it. Partitions, names, paths and times are the corpus's.
func asForwarded(tb testing.TB, records []*kgo.Record) []*kgo.Record {
	tb.Helper()
	template, err := golden.ReadLogs(filepath.Join("..", "browsereventsreceiver", "testdata", "golden", "tracker_batch", "expected.yaml"))
	require.NoError(tb, err)
	derived := template.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().At(0).Attributes()
	out := make([]*kgo.Record, len(records))
	for i, rec := range records {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(rec.Value)
		require.NoError(tb, err)
		var visitor string
		for _, rl := range ld.ResourceLogs().All() {
			res := rl.Resource().Attributes()
			v, _ := res.Get(schema.AttrVisitorID)
			visitor = hashedID(v.Str())[:16]
			res.PutStr(schema.AttrVisitorID, visitor)
			res.PutStr(schema.AttrVisitorIDSource, "hashed")
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					forward(lr.Attributes(), derived)
				}
			}
		}
		value, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
		require.NoError(tb, err)
		out[i] = &kgo.Record{Topic: rec.Topic, Partition: rec.Partition, Key: []byte(visitor), Value: value}
	}
	return out
}

// forward gives one event's attributes the derived ones, keeping its own
// path and giving it a random id in place of the corpus's.
func forward(attrs, derived pcommon.Map) {
	id, _ := attrs.Get(schema.AttrEventID)
	h := hashedID(id.Str())
	uuid := h[:8] + "-" + h[8:12] + "-4" + h[13:16] + "-a" + h[17:20] + "-" + h[20:32]
	path := "/"
	if p, ok := attrs.Get(schema.AttrURLPath); ok {
		path = p.Str()
	}
	for k, v := range derived.All() {
		if _, own := attrs.Get(k); !own {
			v.CopyTo(attrs.PutEmpty(k))
		}
	}
	attrs.PutStr(schema.AttrEventID, uuid)
	attrs.PutStr(schema.AttrURLPath, path)
	attrs.PutStr(schema.AttrURLFull, "https://www.example.com"+path)
}

// hashedID is a stable, random-looking stand-in for an id: the hex of its
// SHA-256.
func hashedID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// BenchmarkChangelogWhileEventsTrickleIn reports the changelog bytes per
// byte of the events topic when events come in as they happen, rather than
// all at once (BenchmarkOneCollectorCatchesUp): the visits of 3,000 and of
// 9,000 visitors, shaped as the gateways forward them (asForwarded), produced
// 300 records at a time, each piece committed before the next is produced.
// A visit spans minutes of the corpus, thousands of records, so its
// session changes in several checkpoints (at the commit cadence here) and
// is written again in each, as it would be with sessions that last longer
// than checkpoint_interval. The corpus's visits start within 20 minutes
// of each other: 9,000 visitors hold three times the open sessions and
// remembered ids of 3,000 at any moment, so a base of the state costs
// three times as much while a delta costs about the same per event, and
// more of the run is spent past the first bases, where a base follows
// each time the deltas add up to the state. Both end while the state still
// grows; the third corpus's 27,000 visitors come over three and a half
// hours of event time (visitcorpus.NewArriving), so that the open
// sessions level off (at about the 9,000's) for most of the run and bases
// come as often as they do on a site's steady traffic. The time it takes
// is not a figure: most of it is waiting for the commits.
func BenchmarkChangelogWhileEventsTrickleIn(b *testing.B) {
	const piece = 300
	corpora := []struct {
		name string
		make func() visitcorpus.Corpus
	}{
		{"visitors=3000", func() visitcorpus.Corpus { return visitcorpus.New(3000, eventsTopic, partitions) }},
		{"visitors=9000", func() visitcorpus.Corpus { return visitcorpus.New(9000, eventsTopic, partitions) }},
		{"visitors=27000/arriving=3.5h", func() visitcorpus.Corpus {
			return visitcorpus.NewArriving(27000, 3*time.Hour+30*time.Minute, eventsTopic, partitions)
		}},
	}
	for _, corpus := range corpora {
		b.Run(corpus.name, func(b *testing.B) {
			var tally changelogTally
			for b.Loop() {
				broker := startCluster(b)
				events := asForwarded(b, corpus.make().Records)
				col := startCollector(b, broker, "bench", func(r *kafkaStream) { r.cfg.Sessionize.CheckpointInterval = r.cfg.CommitInterval })
				for i := 0; i < len(events); i += piece {
					tally.produce(b, broker, events[i:min(i+piece, len(events))])
					waitForLagZero(b, broker)
				}
				tally.read(b, broker, col)
			}
			tally.report(b)
		})
	}
}

// changelogTally adds up what the benchmarks' runs wrote: the events
// topic's bytes, and the changelog's, by writer (committedBytes).
type changelogTally struct {
	eventBytes, changelogBytes    int64
	eventsStored, changelogStored storedBytes
	byWriter                      map[string]int64
}

// produce writes events to the events topic as the gateways do, counting
// their bytes.
func (t *changelogTally) produce(b *testing.B, broker string, events []*kgo.Record) {
	b.Helper()
	for _, rec := range events {
		t.eventBytes += int64(len(rec.Key) + len(rec.Value))
	}
	produceAsGateways(b, broker, events, &t.eventsStored)
}

// read stops col, so that its last checkpoint is in, and counts what the
// changelog holds.
func (t *changelogTally) read(b *testing.B, broker string, col collector) {
	b.Helper()
	_ = col.r.Shutdown(context.Background())
	readStored(b, broker, col.r.cfg.changelogTopic(), &t.changelogStored)
	if t.byWriter == nil {
		t.byWriter = map[string]int64{}
	}
	for writer, n := range committedBytes(b, broker, col.r.cfg.changelogTopic()) {
		t.byWriter[writer] += n
		if writer != sessionizeBase && writer != sessionizeEnvelope && writer != sessionizeMemory {
			t.changelogBytes += n
		}
	}
}

// report reports the changelog's bytes per byte of the events topic, as
// written and as stored, and by writer.
func (t *changelogTally) report(b *testing.B) {
	b.ReportMetric(float64(t.changelogBytes)/float64(t.eventBytes), "changelog-bytes/event-byte")
	b.ReportMetric(float64(t.changelogStored.compressed.Load())/float64(t.eventsStored.compressed.Load()), "changelog-stored/event-stored")
	for writer, n := range t.byWriter {
		b.ReportMetric(float64(n)/float64(t.eventBytes), writer+"-bytes/event-byte")
	}
}

// storedBytes counts the bytes of the record batches a client produced or
// read, as the broker stores them (compressed; without the batches'
// headers).
type storedBytes struct{ compressed atomic.Int64 }

func (s *storedBytes) OnProduceBatchWritten(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.ProduceBatchMetrics) {
	s.compressed.Add(int64(m.CompressedBytes))
}

func (s *storedBytes) OnFetchBatchRead(_ kgo.BrokerMetadata, _ string, _ int32, m kgo.FetchBatchMetrics) {
	s.compressed.Add(int64(m.CompressedBytes))
}

// produceAsGateways writes records to the events topic compressed as the
// shipped gateways write them (config/gateway.yaml: zstd), counting the
// bytes stored in stored.
func produceAsGateways(b *testing.B, broker string, records []*kgo.Record, stored *storedBytes) {
	b.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.ZstdCompression()), kgo.WithHooks(stored))
	require.NoError(b, err)
	defer cl.Close()
	for i := 0; i < len(records); i += 100 {
		require.NoError(b, cl.ProduceSync(context.Background(), records[i:min(i+100, len(records))]...).FirstErr())
	}
}

// readStored reads every batch of topic, aborted and committed, as stored,
// counting its bytes in stored: what the topic holds before compaction.
func readStored(b *testing.B, broker, topic string, stored *storedBytes) {
	b.Helper()
	readBatches(b, broker, topic, stored)
}

// readBatches reads topic from its start to its end, read_uncommitted, for
// what hook sees of its batches.
func readBatches(tb testing.TB, broker, topic string, hook kgo.Hook) {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic), kgo.WithHooks(hook),
		kgo.FetchIsolationLevel(kgo.ReadUncommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(tb, err)
	defer cl.Close()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		if fetches.NumRecords() == 0 {
			return
		}
	}
}

// writerOf names what wrote a changelog record, from its key (a head or a
// fragment of a storage key, which names the component and its key).
func writerOf(key []byte) string {
	switch k := string(key); {
	case strings.Contains(k, "/sessionize/") && strings.Contains(k, "/wal/"):
		return "wal"
	case strings.Contains(k, "/sessionize/"):
		return "sessionize"
	case strings.Contains(k, "/webanalytics/"):
		return "webanalytics"
	default:
		return "other"
	}
}

// sessionizeBase names the sessionizer's bases among its bytes: every open
// session, where a delta holds what changed. sessionizeMemory names the
// segments of its id and visitor memory: what each checkpoint remembered
// since the one before. sessionizeEnvelope names its checkpoints'
// envelopes: the bookkeeping, and the records placed but not yet delivered
// to the aggregator when the checkpoint began.
const (
	sessionizeBase     = "sessionize-base"
	sessionizeMemory   = "sessionize-memory"
	sessionizeEnvelope = "sessionize-envelope"
)

// isSessionizeBase reports whether a changelog record is (a fragment of)
// the sessionizer's base.
func isSessionizeBase(key []byte) bool {
	k := string(key)
	return strings.Contains(k, "/sessionize/") && strings.Contains(k, "/checkpoint/sessions")
}

// isSessionizeMemory reports whether a changelog record is (a fragment of)
// a segment of the sessionizer's memory.
func isSessionizeMemory(key []byte) bool {
	k := string(key)
	return strings.Contains(k, "/sessionize/") && (strings.Contains(k, "/checkpoint/ids/") || strings.Contains(k, "/checkpoint/visitors/"))
}

// isSessionizeEnvelope reports whether a changelog record is (a fragment
// of) the sessionizer's checkpoint envelope.
func isSessionizeEnvelope(key []byte) bool {
	k := string(key)
	return strings.Contains(k, "/sessionize/") && strings.Contains(k, "/checkpoint") && !strings.Contains(k, "/checkpoint/")
}

// committedBytes sums the committed records of topic (committedRecords)
// by writer, and apart those of the sessionizer's bases, memory and
// envelopes (sessionizeBase, sessionizeMemory, sessionizeEnvelope, also in
// its writer's sum).
func committedBytes(b *testing.B, broker, topic string) map[string]int64 {
	b.Helper()
	total := map[string]int64{}
	for _, r := range committedRecords(b, broker, topic) {
		size := int64(len(r.Key) + len(r.Value))
		total[writerOf(r.Key)] += size
		if isSessionizeBase(r.Key) {
			total[sessionizeBase] += size
		}
		if isSessionizeEnvelope(r.Key) {
			total[sessionizeEnvelope] += size
		}
		if isSessionizeMemory(r.Key) {
			total[sessionizeMemory] += size
		}
	}
	return total
}

// committedRecords reads topic from its start, as read_committed consumers
// do. Its tail may be transaction markers, which no fetch returns: the
// topic is read through once a poll of a second brings nothing more.
func committedRecords(tb testing.TB, broker, topic string) []*kgo.Record {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(tb, err)
	defer cl.Close()
	var records []*kgo.Record
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := cl.PollFetches(ctx)
		cancel()
		n := len(records)
		records = append(records, fetches.Records()...)
		if len(records) == n {
			return records
		}
	}
}

// BenchmarkQuietTopicEventToMetrics is how long a page view takes from the
// events topic to the published metrics when nothing else comes in: with
// the shipped timings (commit_interval, allowed_lateness,
// watermark_idle_timeout, flush_interval), the idle watermark places it in
// a turn that polled nothing, and that turn's commit publishes it. Each
// round is a page view of a new visitor on partition 0 of a quiet topic;
// it reports the median and the slowest round.
func BenchmarkQuietTopicEventToMetrics(b *testing.B) {
	const rounds = 8
	var latencies []time.Duration
	for b.Loop() {
		broker := startCluster(b)
		col := startCollector(b, broker, "bench", func(r *kafkaStream) {
			defaults := createDefaultConfig().(*Config)
			r.cfg.CommitInterval = defaults.CommitInterval
			r.cfg.Sessionize.AllowedLateness = defaults.Sessionize.AllowedLateness
			r.cfg.Sessionize.WatermarkIdleTimeout = defaults.Sessionize.WatermarkIdleTimeout
			r.cfg.WebAnalytics.FlushInterval = defaults.WebAnalytics.FlushInterval
		})
		for round := range rounds + 1 {
			sent := time.Now()
			produce(b, broker, []*kgo.Record{pageViewRecord(fmt.Sprintf("quiet-%d", round), sent)})
			require.Eventually(b, func() bool { return col.out.pageViews() == float64(round+1) }, 30*time.Second, time.Millisecond)
			if round > 0 { // the first waits for the group to form
				latencies = append(latencies, time.Since(sent))
			}
			time.Sleep(time.Second) // quiet again
		}
	}
	slices.Sort(latencies)
	b.ReportMetric(float64(latencies[len(latencies)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(latencies[len(latencies)-1].Milliseconds()), "max-ms")
}

// pageViewRecord is a gateway's record of one page view of visitor at, on
// partition 0.
func pageViewRecord(visitor string, at time.Time) *kgo.Record {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, visitcorpus.Site)
	rl.Resource().Attributes().PutStr(schema.AttrVisitorID, visitor)
	lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
	lr.SetEventName(schema.EventPageView)
	lr.SetTimestamp(pcommon.NewTimestampFromTime(at))
	lr.SetObservedTimestamp(pcommon.NewTimestampFromTime(at))
	lr.Attributes().PutStr(schema.AttrEventID, visitor+"-1")
	lr.Attributes().PutStr(schema.AttrURLPath, "/")
	value, err := (&plog.ProtoMarshaler{}).MarshalLogs(ld)
	if err != nil {
		panic(err) // logs built here always marshal
	}
	return &kgo.Record{Topic: eventsTopic, Partition: 0, Key: []byte(visitor), Value: value}
}
