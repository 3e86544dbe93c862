// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/exporter/exportertest"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/metadata"
)

const topic = "footfall.events"

// broker is kfake with a switch that makes it refuse every produce
// request (the connection is closed, as when the brokers are away).
type broker struct {
	cluster *kfake.Cluster
	down    atomic.Bool
}

func startBroker(t *testing.T) *broker {
	t.Helper()
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topic))
	require.NoError(t, err)
	t.Cleanup(cluster.Close)
	b := &broker{cluster: cluster}
	cluster.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		cluster.KeepControl()
		if b.down.Load() {
			return nil, errors.New("broker away"), true
		}
		return nil, nil, false
	})
	return b
}

// timers is the exporter's clock in tests: every timer fires when the test
// says.
type timers struct {
	mu      sync.Mutex
	pending []chan time.Time
}

func (c *timers) after(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.mu.Lock()
	c.pending = append(c.pending, ch)
	c.mu.Unlock()
	return ch
}

func (c *timers) fire() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ch := range c.pending {
		ch <- time.Time{}
	}
	n := len(c.pending)
	c.pending = nil
	return n
}

func testConfig(t *testing.T, b *broker, dir string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.Brokers = b.cluster.ListenAddrs()
	cfg.Spill.Directory = dir
	cfg.Producer.Linger = 0
	// franz-go gives up on a message after this (real time): a drain pass
	// into a refusing broker ends that soon.
	cfg.Timeout = time.Second
	cfg.SpillAfter = 100 * time.Millisecond
	require.NoError(t, cfg.Validate())
	return cfg
}

type testExporter struct {
	*kafkaSpillExporter
	clock *timers
	tel   *componenttest.Telemetry
}

func start(t *testing.T, cfg *Config) testExporter {
	t.Helper()
	tel := componenttest.NewTelemetry()
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	set := exportertest.NewNopSettings(metadata.Type)
	set.TelemetrySettings = tel.NewTelemetrySettings()
	e, err := newExporter(cfg, set)
	require.NoError(t, err)
	clock := &timers{}
	e.after = clock.after
	require.NoError(t, e.start(context.Background(), componenttest.NewNopHost()))
	return testExporter{kafkaSpillExporter: e, clock: clock, tel: tel}
}

// request is one intake request: events of visitors, one resource each.
func request(visitorEvents map[string][]string) plog.Logs {
	ld := plog.NewLogs()
	for visitor, events := range visitorEvents {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr("footfall.site.id", "s")
		rl.Resource().Attributes().PutStr("footfall.visitor.id", visitor)
		records := rl.ScopeLogs().AppendEmpty().LogRecords()
		for _, id := range events {
			records.AppendEmpty().Attributes().PutStr("footfall.event.id", id)
		}
	}
	return ld
}

// topicEvents reads the topic until it holds want events and returns each
// visitor's event ids in partition order.
func topicEvents(t *testing.T, b *broker, want int) map[string][]string {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.cluster.ListenAddrs()...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	got := map[string][]string{}
	seen := map[string]bool{}
	n := 0
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for n < want {
		fetches := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "the topic holds %d of %d events", n, want)
		fetches.EachRecord(func(r *kgo.Record) {
			ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(r.Value)
			require.NoError(t, err)
			require.Equal(t, 1, ld.ResourceLogs().Len(), "one resource per message")
			rl := ld.ResourceLogs().At(0)
			visitor, _ := rl.Resource().Attributes().Get("footfall.visitor.id")
			for _, lr := range rl.ScopeLogs().At(0).LogRecords().All() {
				id, _ := lr.Attributes().Get("footfall.event.id")
				got[visitor.Str()] = append(got[visitor.Str()], id.Str())
				// Duplicates (a spilled request's first try) do not count.
				if !seen[id.Str()] {
					seen[id.Str()] = true
					n++
				}
			}
		})
	}
	return got
}

func TestAcknowledgedOnKafkaWithoutTouchingTheDisk(t *testing.T) {
	b := startBroker(t)
	e := start(t, testConfig(t, b, t.TempDir()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()

	require.NoError(t, e.pushLogs(context.Background(), request(map[string][]string{"v1": {"a", "b"}, "v2": {"c"}})))
	assert.Equal(t, map[string][]string{"v1": {"a", "b"}, "v2": {"c"}}, topicEvents(t, b, 3))
	assert.Zero(t, e.log.Bytes(), "nothing was spilled")
	assert.False(t, e.isSpilling())
}

// While Kafka refuses, requests are spilled and acknowledged; when it is
// back, the spill drains in order and the exporter acks on Kafka again. A
// visitor's events are in the order they were acknowledged.
func TestAnOutageSpillsThenDrainsInOrder(t *testing.T) {
	b := startBroker(t)
	e := start(t, testConfig(t, b, t.TempDir()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	ctx := context.Background()

	b.down.Store(true)
	require.NoError(t, spillOne(t, e, request(map[string][]string{"v1": {"1"}})), "acknowledged from the spill")
	require.True(t, e.isSpilling())
	for i := 2; i <= 20; i++ {
		require.NoError(t, e.pushLogs(ctx, request(map[string][]string{"v1": {fmt.Sprint(i)}, fmt.Sprintf("w%d", i): {fmt.Sprintf("x%d", i)}})))
	}
	assert.Positive(t, e.log.Bytes())

	b.down.Store(false)
	require.Eventually(t, func() bool {
		e.clock.fire() // the drainer's back-off
		return !e.isSpilling()
	}, 20*time.Second, 10*time.Millisecond, "the spill drains")
	require.NoError(t, e.pushLogs(ctx, request(map[string][]string{"v1": {"21"}})))

	got := topicEvents(t, b, 40)
	var want []string
	for i := 1; i <= 21; i++ {
		want = append(want, fmt.Sprint(i))
	}
	assert.Equal(t, want, dedupe(got["v1"]), "v1's events in the order they were acknowledged")
	assert.Eventually(t, func() bool { return e.log.Bytes() == 0 }, 5*time.Second, 10*time.Millisecond, "the drained spill is emptied")
}

// spillOne pushes ld while Kafka refuses: it waits on Kafka until the
// test's clock passes spill_after, and then goes to the spill.
func spillOne(t *testing.T, e testExporter, ld plog.Logs) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- e.pushLogs(context.Background(), ld) }()
	require.Eventually(t, func() bool { return e.clock.fire() > 0 }, 5*time.Second, time.Millisecond, "the request waits on Kafka")
	err := <-done
	require.True(t, e.isSpilling())
	return err
}

// dedupe keeps each id's first place: a spilled request's first try may
// reach Kafka too, before its copy from the spill.
func dedupe(ids []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// What was spilled and acknowledged survives a restart and drains.
func TestTheSpillSurvivesARestart(t *testing.T) {
	b := startBroker(t)
	dir := t.TempDir()
	cfg := testConfig(t, b, dir)
	e := start(t, cfg)
	b.down.Store(true)
	require.NoError(t, spillOne(t, e, request(map[string][]string{"v1": {"1", "2"}})))
	require.NoError(t, e.pushLogs(context.Background(), request(map[string][]string{"v1": {"3"}})))
	require.NoError(t, e.shutdown(context.Background()))

	b.down.Store(false)
	e = start(t, cfg)
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	assert.True(t, e.isSpilling(), "a restart with a spill starts by draining it")
	require.Eventually(t, func() bool {
		e.clock.fire()
		return !e.isSpilling()
	}, 20*time.Second, 10*time.Millisecond)
	assert.Equal(t, []string{"1", "2", "3"}, dedupe(topicEvents(t, b, 3)["v1"]))
}

func TestAFullSpillRefuses(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(t, b, t.TempDir())
	cfg.Spill.SegmentBytes, cfg.Spill.MaxBytes = 1024, 1024
	e := start(t, cfg)
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	b.down.Store(true)
	require.NoError(t, spillOne(t, e, request(map[string][]string{"v": {"first"}})))
	var err error
	for i := 0; err == nil && i < 100; i++ {
		err = e.pushLogs(context.Background(), request(map[string][]string{"v": {fmt.Sprint(i)}}))
	}
	require.ErrorIs(t, err, errSpillFull)
	assertRefused(t, e, "spill_full")
}

// No Kafka and no disk: the request is refused (the intake answers 503),
// and a later request that can be written is taken.
func TestAFailedSpillWriteRefuses(t *testing.T) {
	b := startBroker(t)
	e := start(t, testConfig(t, b, t.TempDir()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	b.down.Store(true)
	require.NoError(t, spillOne(t, e, request(map[string][]string{"v": {"1"}})))
	require.NoError(t, e.log.Close()) // the disk goes: every write fails
	require.ErrorIs(t, e.pushLogs(context.Background(), request(map[string][]string{"v": {"2"}})), errSpillFailed)
	assertRefused(t, e, "spill_failed")
}

func TestTheInFlightBoundRefuses(t *testing.T) {
	b := startBroker(t)
	cfg := testConfig(t, b, t.TempDir())
	e := start(t, cfg)
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	e.inFlight.Store(cfg.MaxInFlightBytes)
	require.ErrorIs(t, e.pushLogs(context.Background(), request(map[string][]string{"v": {"1"}})), errInFlightLimit)
	assertRefused(t, e, "in_flight_limit")
}

func assertRefused(t *testing.T, e testExporter, reason string) {
	t.Helper()
	m, err := e.tel.GetMetric("otelcol_exporter_kafka_spill_refused_requests")
	require.NoError(t, err)
	assert.Contains(t, fmt.Sprint(m.Data), reason)
}

func TestShutdownWithoutStart(t *testing.T) {
	e, err := newExporter(createDefaultConfig().(*Config), exportertest.NewNopSettings(metadata.Type))
	require.NoError(t, err)
	require.NoError(t, e.shutdown(context.Background()))
}

// Senders of their own visitors push one request after another while Kafka
// goes away and comes back: every visitor's events are in the topic in the
// order they were acknowledged, through the turn to the spill and the
// hand-over back.
func TestConcurrentVisitorsKeepTheirOrderThroughAnOutage(t *testing.T) {
	b := startBroker(t)
	e := start(t, testConfig(t, b, t.TempDir()))
	defer func() { require.NoError(t, e.shutdown(context.Background())) }()
	stopFiring := make(chan struct{})
	firing := make(chan struct{})
	go func() {
		defer close(firing)
		for {
			select {
			case <-stopFiring:
				return
			case <-time.After(20 * time.Millisecond):
				e.clock.fire()
			}
		}
	}()
	const senders, perSender = 4, 150
	var wg sync.WaitGroup
	var sent atomic.Int64
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			visitor := fmt.Sprintf("v%d", s)
			for i := range perSender {
				err := e.pushLogs(context.Background(), request(map[string][]string{visitor: {fmt.Sprintf("%s-%03d", visitor, i)}}))
				if !assert.NoError(t, err) {
					return
				}
				switch sent.Add(1) {
				case 100:
					b.down.Store(true)
				case 350:
					b.down.Store(false)
				}
			}
		}()
	}
	wg.Wait()
	require.Eventually(t, func() bool { return !e.isSpilling() }, 20*time.Second, 10*time.Millisecond, "the spill drains")
	close(stopFiring)
	<-firing
	got := topicEvents(t, b, senders*perSender)
	paths := messagesByPath(t, e)
	t.Logf("messages by path: %v", paths)
	assert.Positive(t, paths["spilled"], "the outage sent requests to the spill")
	assert.Positive(t, paths["drained"], "the spill was drained")
	for s := range senders {
		visitor := fmt.Sprintf("v%d", s)
		var want []string
		for i := range perSender {
			want = append(want, fmt.Sprintf("%s-%03d", visitor, i))
		}
		assert.Equal(t, want, dedupe(got[visitor]), "visitor %s's events in order", visitor)
	}
}

func messagesByPath(t *testing.T, e testExporter) map[string]int64 {
	t.Helper()
	m, err := e.tel.GetMetric("otelcol_exporter_kafka_spill_messages")
	require.NoError(t, err)
	sum, ok := m.Data.(metricdata.Sum[int64])
	require.True(t, ok)
	out := map[string]int64{}
	for _, dp := range sum.DataPoints {
		path, _ := dp.Attributes.Value("path")
		out[path.AsString()] += dp.Value
	}
	return out
}
