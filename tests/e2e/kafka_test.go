// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/promtext"
	"github.com/footfall-analytics/footfall/internal/schema"
)

const eventsTopic = "footfall.events"

// startKafka runs an in-process broker speaking the Kafka protocol (kfake),
// with the events topic in 4 partitions, on port (0 for any), keeping its
// log in dataDir so that a broker restarted on it has the same topics and data.
func startKafka(t testing.TB, port int, dataDir string) *kfake.Cluster {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(4, eventsTopic),
		kfake.DataDir(dataDir), kfake.SyncWrites(),
		// The processing tests move a dead collector's partitions after 3 s.
		kfake.GroupMinSessionTimeout(time.Second))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	return cluster
}

func startGateway(t testing.TB, brokers, dataDir string, extraConfigs ...string) collector {
	t.Helper()
	c := collector{intake: "127.0.0.1:" + freePort(t), telemetry: freePort(t)}
	// kfake speaks neither TLS nor SASL: the documented plaintext overlay.
	configs := []string{filepath.Join("..", "..", "config", "gateway.yaml"), filepath.Join("..", "..", "config", "kafka-plaintext.yaml"), filepath.Join("testdata", "gateway-test-site.yaml")}
	p := launch(t, append(configs, extraConfigs...), []string{
		"FOOTFALL_KAFKA_BROKERS=[" + brokers + "]",
		"FOOTFALL_SALT_SECRET=e2e-secret-of-at-least-32-bytes-0123456789",
		"FOOTFALL_DATA_DIR=" + dataDir,
		"FOOTFALL_INTAKE_ENDPOINT=" + c.intake,
		"FOOTFALL_TELEMETRY_HOST=127.0.0.1",
		"FOOTFALL_TELEMETRY_PORT=" + c.telemetry,
	})
	c.stop, c.kill = p.stop, p.kill
	return c
}

// startProcessing starts a processing collector in group; name is its
// transactional id, unique in the group and kept across its restarts.
func startProcessing(t *testing.T, brokers, group, name string) collector {
	t.Helper()
	c := collector{telemetry: freePort(t), metrics: "127.0.0.1:" + freePort(t)}
	configs := []string{filepath.Join("..", "..", "config", "processing.yaml"), filepath.Join("..", "..", "config", "kafka-plaintext.yaml"), filepath.Join("testdata", "processing-fast.yaml")}
	p := launch(t, append(configs, shippedFlags(t, "processing.yaml")...), []string{
		"FOOTFALL_KAFKA_BROKERS=[" + brokers + "]",
		"FOOTFALL_GROUP_ID=" + group,
		"FOOTFALL_TRANSACTIONAL_ID=" + name,
		"FOOTFALL_METRICS_ENDPOINT=" + c.metrics,
		"FOOTFALL_TELEMETRY_HOST=127.0.0.1",
		"FOOTFALL_TELEMETRY_PORT=" + c.telemetry,
	})
	c.stop, c.kill, c.health, c.log = p.stop, p.kill, p.health, p.log
	return c
}

// kafkaEvent is one event read back from the topic.
type kafkaEvent struct {
	visitor   string
	partition int32
}

// readTopic reads the whole events topic: event id -> every copy of it.
func readTopic(t *testing.T, brokers string) map[string][]kafkaEvent {
	t.Helper()
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics(eventsTopic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	require.NoError(t, err)
	defer client.Close()
	out := map[string][]kafkaEvent{}
	unmarshaler := &plog.ProtoUnmarshaler{}
	for empty := 0; empty < 3; {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fetches := client.PollFetches(ctx)
		cancel()
		if fetches.NumRecords() == 0 {
			empty++
			continue
		}
		empty = 0
		fetches.EachRecord(func(r *kgo.Record) {
			ld, err := unmarshaler.UnmarshalLogs(r.Value)
			require.NoError(t, err)
			for _, rl := range ld.ResourceLogs().All() {
				visitor, _ := rl.Resource().Attributes().Get(schema.AttrVisitorID)
				for _, sl := range rl.ScopeLogs().All() {
					for _, lr := range sl.LogRecords().All() {
						id, _ := lr.Attributes().Get(schema.AttrEventID)
						out[id.Str()] = append(out[id.Str()], kafkaEvent{visitor: visitor.Str(), partition: r.Partition})
					}
				}
			}
		})
	}
	return out
}

// waitForTopic reads the topic until it holds every id in want.
func waitForTopic(t *testing.T, brokers string, want []string) map[string][]kafkaEvent {
	t.Helper()
	var got map[string][]kafkaEvent
	deadline := time.Now().Add(60 * time.Second)
	for {
		got = readTopic(t, brokers)
		missing := 0
		for _, id := range want {
			if len(got[id]) == 0 {
				missing++
			}
		}
		if missing == 0 {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d acknowledged events are not in Kafka", missing, len(want))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// eventsPerRequest is how many page views pageViews puts in one request.
const eventsPerRequest = 5

// pageViews makes a request's page views with fresh ids for one visitor (its user agent).
func pageViews(prefix string) (plog.Logs, []string) { return pageViewsN(prefix, eventsPerRequest) }

// pageViewsN makes n page views with fresh ids.
func pageViewsN(prefix string, n int) (plog.Logs, []string) {
	ld := plog.NewLogs()
	rl := ld.ResourceLogs().AppendEmpty()
	rl.Resource().Attributes().PutStr(schema.AttrSiteID, "demo")
	sl := rl.ScopeLogs().AppendEmpty()
	ids := make([]string, n)
	for i := range n {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		lr := sl.LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		lr.Attributes().PutStr(schema.AttrEventID, ids[i])
		lr.Attributes().PutStr(schema.AttrURLFull, fmt.Sprintf("http://localhost:8080/page/%d", i%7))
	}
	return ld, ids
}

// scrape reads the demo site's series of metric from a processing
// collector's Prometheus endpoint, summed over the partitions it owns; -1
// when absent.
func scrape(t *testing.T, endpoint, metric string) float64 {
	t.Helper()
	return scrapeSum(endpoint, metric, `site="demo"`)
}

func scrapeSum(endpoint, metric string, labels ...string) float64 {
	v, ok, err := promtext.Sum(endpoint, metric, labels...)
	if err != nil || !ok {
		return -1
	}
	return v
}

// Gateway -> Kafka -> processing: every accepted event is in the topic, each
// visitor's events in one partition, and the processing tier counts exactly.
func TestE2EKafkaGatewayToProcessing(t *testing.T) {
	kafka := startKafka(t, 0, t.TempDir())
	brokers := kafka.ListenAddrs()[0]
	gateway := startGateway(t, brokers, t.TempDir())
	processing := startProcessing(t, brokers, "footfall-processing", "p1")

	const visitors, perVisitor = 20, 2 * eventsPerRequest
	var acked []string
	for v := range visitors {
		for half := range 2 {
			ld, ids := pageViews(fmt.Sprintf("v%d-%d", v, half))
			resp, body := gateway.post(t, "application/json", jsonBody(t, ld), map[string]string{"User-Agent": firefox(100 + v)})
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			acked = append(acked, ids...)
		}
	}
	got := waitForTopic(t, brokers, acked)
	partitionsOf := map[string]map[int32]bool{}
	duplicates := 0
	for _, copies := range got {
		duplicates += len(copies) - 1
		for _, c := range copies {
			if partitionsOf[c.visitor] == nil {
				partitionsOf[c.visitor] = map[int32]bool{}
			}
			partitionsOf[c.visitor][c.partition] = true
		}
	}
	assert.Len(t, partitionsOf, visitors)
	used := map[int32]bool{}
	for visitor, partitions := range partitionsOf {
		assert.Len(t, partitions, 1, "visitor %s's events are in one partition", visitor)
		for p := range partitions {
			used[p] = true
		}
	}
	assert.Greater(t, len(used), 1, "visitors spread over partitions")
	t.Logf("acked %d, in Kafka %d distinct, %d duplicates on the wire", len(acked), len(got), duplicates)

	require.Eventually(t, func() bool {
		return scrape(t, processing.metrics, "footfall_page_views_total") == visitors*perVisitor &&
			scrape(t, processing.metrics, "footfall_sessions_total") == visitors
	}, 60*time.Second, 250*time.Millisecond, "the processing tier counts every event once")
	assert.InDelta(t, visitors, scrape(t, processing.metrics, "footfall_visitors_current"), 0)

	// Replay: a new consumer group on a fresh data directory reads the topic
	// from the start, duplicates on the wire included, and counts the same.
	replay := startProcessing(t, brokers, "footfall-replay", "r1")
	require.Eventually(t, func() bool {
		return scrape(t, replay.metrics, "footfall_page_views_total") == visitors*perVisitor &&
			scrape(t, replay.metrics, "footfall_sessions_total") == visitors
	}, 60*time.Second, 250*time.Millisecond, "a replay gives the same sessions and counts")
}

// SIGKILL the gateway under load while Kafka is there: every event
// acknowledged before the kill is in Kafka (the gateway acks on Kafka's
// acks), and a gateway restarted on the same disk changes nothing.
func TestE2EKafkaGatewayKill9LosesNoAcknowledgedEvent(t *testing.T) {
	kafka := startKafka(t, 0, t.TempDir())
	brokers := kafka.ListenAddrs()[0]
	dataDir := t.TempDir()
	gateway := startGateway(t, brokers, dataDir)

	load := sendContinuously(t, gateway.intake, 4)
	time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond) // #nosec G404 -- a random moment
	gateway.kill()
	acked := load.stop()
	require.NotEmpty(t, acked, "the gateway acknowledged events before it was killed")
	atKill := readTopic(t, brokers)
	onlyOnDisk := 0
	for _, id := range acked {
		if len(atKill[id]) == 0 {
			onlyOnDisk++
		}
	}

	startGateway(t, brokers, dataDir)
	got := waitForTopic(t, brokers, acked)
	duplicates := 0
	for _, id := range acked {
		duplicates += len(got[id]) - 1
	}
	t.Logf("acked %d before SIGKILL, %d of them not yet in Kafka at the kill; all %d in Kafka after the restart; %d duplicated; %d more written but not acknowledged",
		len(acked), onlyOnDisk, len(acked), duplicates, len(got)-len(acked))

	// Duplicates on the wire, none in the counts: every distinct event once,
	// one session per sender (one user agent each, a few seconds of traffic).
	processing := startProcessing(t, brokers, "footfall-processing", "p1")
	require.Eventually(t, func() bool {
		return scrape(t, processing.metrics, "footfall_page_views_total") == float64(len(got)) &&
			scrape(t, processing.metrics, "footfall_sessions_total") == 4
	}, 60*time.Second, 250*time.Millisecond, "the processing tier counts %d distinct events once", len(got))
}

// The broker goes away for 30 s under load and comes back: the gateway
// acknowledges from its spill meanwhile, drains it in order, goes back to
// acking on Kafka, and no acknowledged event is missing. Nothing is refused:
// the spill never fills.
func TestE2EKafkaBrokerOutage(t *testing.T) {
	port, err := strconv.Atoi(freePort(t))
	require.NoError(t, err)
	kafkaDir := t.TempDir()
	kafka := startKafka(t, port, kafkaDir)
	brokers := kafka.ListenAddrs()[0]
	// One address sends everything: no per-client rate limit.
	gateway := startGateway(t, brokers, t.TempDir(), filepath.Join("testdata", "gateway-bench.yaml"))
	telemetry := "127.0.0.1:" + gateway.telemetry

	load := sendContinuously(t, gateway.intake, 4)
	time.Sleep(2 * time.Second)
	kafka.Close()
	require.Eventually(t, func() bool {
		return scrapeSum(telemetry, "otelcol_exporter_kafka_spill_messages", `path="spilled"`) > 0
	}, 30*time.Second, 100*time.Millisecond, "requests go to the spill while the broker is away")
	time.Sleep(30 * time.Second)
	spilled := scrapeSum(telemetry, "otelcol_exporter_kafka_spill_messages", `path="spilled"`)

	// The broker comes back on the same address and log.
	startKafka(t, port, kafkaDir)
	require.Eventually(t, func() bool {
		return scrapeSum(telemetry, "otelcol_exporter_kafka_spill_spilling") == 0 &&
			scrapeSum(telemetry, "otelcol_exporter_kafka_spill_bytes") == 0
	}, 60*time.Second, 100*time.Millisecond, "the spill drains and the gateway acks on Kafka again")
	direct := scrapeSum(telemetry, "otelcol_exporter_kafka_spill_messages", `path="direct"`)
	require.Eventually(t, func() bool {
		return scrapeSum(telemetry, "otelcol_exporter_kafka_spill_messages", `path="direct"`) > direct
	}, 10*time.Second, 100*time.Millisecond, "new requests are acknowledged on Kafka's acks")
	acked, refused := load.stopCounting()
	assert.Zero(t, refused, "no request was refused: the spill never filled")
	assert.LessOrEqual(t, scrapeSum(telemetry, "otelcol_exporter_kafka_spill_refused_requests"), 0.0)

	got := waitForTopic(t, brokers, acked)
	t.Logf("%d events acknowledged across a 30 s outage, %.0f messages of them spilled; all in the topic (%d distinct)", len(acked), spilled, len(got))
	assertVisitorsInOnePartition(t, got)
}

// SIGKILL the gateway while it spills (the broker away), then again while it
// drains (the broker back): every acknowledged event is in Kafka once a
// gateway has run to the end on the same disk.
func TestE2EKafkaGatewayKill9WhileSpillingAndDraining(t *testing.T) {
	port, err := strconv.Atoi(freePort(t))
	require.NoError(t, err)
	kafkaDir, dataDir := t.TempDir(), t.TempDir()
	kafka := startKafka(t, port, kafkaDir)
	brokers := kafka.ListenAddrs()[0]
	noRateLimit := filepath.Join("testdata", "gateway-bench.yaml")
	gateway := startGateway(t, brokers, dataDir, noRateLimit)

	kafka.Close()
	load := sendContinuously(t, gateway.intake, 4)
	require.Eventually(t, func() bool {
		return scrapeSum("127.0.0.1:"+gateway.telemetry, "otelcol_exporter_kafka_spill_messages", `path="spilled"`) >= 100
	}, 30*time.Second, 100*time.Millisecond, "the gateway spills")
	gateway.kill()
	acked := load.stop()
	require.NotEmpty(t, acked)

	startKafka(t, port, kafkaDir)
	draining := startGateway(t, brokers, dataDir, noRateLimit)
	time.Sleep(time.Duration(rand.IntN(300)) * time.Millisecond) // #nosec G404 -- a random moment of the drain
	draining.kill()

	startGateway(t, brokers, dataDir, noRateLimit)
	got := waitForTopic(t, brokers, acked)
	duplicates := 0
	for _, id := range acked {
		duplicates += len(got[id]) - 1
	}
	t.Logf("%d events acknowledged from the spill before SIGKILL; all in Kafka after a second kill while draining; %d duplicated", len(acked), duplicates)
	assertVisitorsInOnePartition(t, got)
}

func assertVisitorsInOnePartition(t *testing.T, got map[string][]kafkaEvent) {
	t.Helper()
	partitionsOf := map[string]map[int32]bool{}
	for _, copies := range got {
		for _, c := range copies {
			if partitionsOf[c.visitor] == nil {
				partitionsOf[c.visitor] = map[int32]bool{}
			}
			partitionsOf[c.visitor][c.partition] = true
		}
	}
	for visitor, partitions := range partitionsOf {
		assert.Len(t, partitions, 1, "visitor %s's events are in one partition", visitor)
	}
}

// continuousLoad is senders posting page views to a gateway, one request
// after another each, until stopped.
type continuousLoad struct {
	mu       sync.Mutex
	acked    []string
	refused  int
	done     chan struct{}
	counting bool
	senders  sync.WaitGroup
}

func sendContinuously(t *testing.T, intake string, senders int) *continuousLoad {
	t.Helper()
	l := &continuousLoad{done: make(chan struct{}), counting: true}
	for s := range senders {
		l.senders.Add(1)
		go func() {
			defer l.senders.Done()
			client := &http.Client{Timeout: 5 * time.Second}
			for n := 0; ; n++ {
				select {
				case <-l.done:
					return
				default:
				}
				ld, ids := pageViews(fmt.Sprintf("s%d-%d", s, n))
				req, err := http.NewRequest(http.MethodPost, "http://"+intake+"/v1/logs", strings.NewReader(string(jsonBody(t, ld))))
				if err != nil {
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("User-Agent", firefox(120+s))
				resp, err := client.Do(req)
				if err != nil {
					time.Sleep(10 * time.Millisecond) // the gateway is gone; keep trying until told to stop
					continue
				}
				_ = resp.Body.Close()
				l.mu.Lock()
				switch {
				case resp.StatusCode == http.StatusOK:
					l.acked = append(l.acked, ids...)
				case l.counting:
					l.refused++
				}
				l.mu.Unlock()
			}
		}()
	}
	t.Cleanup(func() { l.stop() })
	return l
}

// stop stops the senders and returns the ids of the events acknowledged.
func (l *continuousLoad) stop() []string {
	acked, _ := l.stopCounting()
	return acked
}

// stopCounting also returns the requests refused while the gateway ran.
func (l *continuousLoad) stopCounting() ([]string, int) {
	select {
	case <-l.done:
	default:
		close(l.done)
	}
	l.senders.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked, l.refused
}

// Large events: a burst of 8 MB of nearly incompressible events goes through
// a broker that enforces Kafka's default message.max.bytes (1 MB). The
// exporter writes one message per resource (one request's events of one
// visitor), and the receiver bounds a request to 1 MiB, so no message is
// too large. (Batching by items instead of bytes also passes: the size
// batching in config/gateway.yaml is a second guard, not the first.)
func TestE2EKafkaLargeEventsStayUnderTheBrokerLimit(t *testing.T) {
	kafka := startKafka(t, 0, t.TempDir())
	brokers := kafka.ListenAddrs()[0]
	// 9 MB from one address in a second: past the per-client rate limit,
	// which charges bytes too, so it is off here.
	gateway := startGateway(t, brokers, t.TempDir(), filepath.Join("testdata", "gateway-bench.yaml"))

	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- incompressible test data
	var acked []string
	total := 0
	for r := range 45 {
		ld, ids := pageViewsN(fmt.Sprintf("large-%d", r), 15)
		for _, lr := range ld.ResourceLogs().At(0).ScopeLogs().At(0).LogRecords().All() {
			// Each event near the intake's 16 KiB budget (limits.max_event_bytes).
			for a := range 14 {
				value := make([]byte, 1000)
				for i := range value {
					value[i] = "0123456789abcdef"[rng.IntN(16)]
				}
				lr.Attributes().PutStr(fmt.Sprintf("blob_%d", a), string(value))
				total += len(value)
			}
		}
		resp, body := gateway.post(t, "application/json", jsonBody(t, ld), nil)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		acked = append(acked, ids...)
	}
	require.Greater(t, total, 8<<20, "several times the broker's 1 MB limit")
	got := waitForTopic(t, brokers, acked)
	t.Logf("%d events of about %d KB each (%d MB in all) delivered under a 1 MB message limit", len(got), total/len(acked)/1000, total>>20)
}
