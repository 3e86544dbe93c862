// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/footfall-analytics/footfall/internal/procstatus"
	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// benchmarkTraffic makes batches of 20 events from 50,000 visitors, one event
// per millisecond of event time (1,000 events/s), starting at event n.
func benchmarkTraffic(n, batches int) []plog.Logs {
	const visitors = 50_000
	out := make([]plog.Logs, batches)
	for i := range out {
		events := make([]event, 20)
		for j := range events {
			k := n + i*20 + j
			v := fmt.Sprintf("%016x", uint64(k%visitors)*0x9e3779b97f4a7c15)
			events[j] = pv(v, fmt.Sprintf("ev-%d", k), time.Duration(k)*time.Millisecond, "/p")
			events[j] = withAttrs(events[j], google)
		}
		out[i] = logsOf(events...)
	}
	return out
}

// BenchmarkConsumeLogs is the processor's intake: batches of 20 events through
// dedup, the write-ahead log and the tracker, with delivery to a no-op consumer
// running beside it. Building the batches is not timed.
func BenchmarkConsumeLogs(b *testing.B) {
	for _, storage := range []string{"memory", "storagetest", "file_storage_fsync", "segment_wal_fsync"} {
		b.Run(storage, func(b *testing.B) {
			cfg := testConfig()
			var host storagetest.Host
			switch storage {
			case "storagetest":
				cfg.Storage = &storageID
				host.Extensions = map[component.ID]component.Component{storageID: storagetest.NewExtension()}
			case "file_storage_fsync", "segment_wal_fsync":
				cfg.Storage = &storageID
				if storage == "segment_wal_fsync" {
					cfg.WALDirectory = b.TempDir()
				}
				ext := startFileStorage(b, b.TempDir())
				b.Cleanup(func() { _ = ext.Shutdown(context.Background()) })
				host.Extensions = map[component.ID]component.Component{storageID: ext}
			}
			tel := componenttest.NewTelemetry()
			p, err := newProcessor(cfg, metadatatest.NewSettings(tel), consumertest.NewNop(), clockwork.NewRealClock())
			require.NoError(b, err)
			require.NoError(b, p.Start(context.Background(), host))
			const chunk = 500
			b.ResetTimer()
			for done := 0; done < b.N; done += chunk {
				b.StopTimer()
				batches := benchmarkTraffic(done*20, min(chunk, b.N-done))
				b.StartTimer()
				for _, ld := range batches {
					if err := p.ConsumeLogs(context.Background(), ld); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			require.NoError(b, p.Shutdown(context.Background()))
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*20), "ns/event")
			b.ReportMetric(float64(b.N*20)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

// BenchmarkConsumeLogsConcurrentSenders is the write-ahead log under 16
// concurrent senders (HTTP requests in flight), with fsync: the owner writes
// every request it has taken together in one file_storage transaction, or
// in one append to the segment files.
func BenchmarkConsumeLogsConcurrentSenders(b *testing.B) {
	b.Run("file_storage", func(b *testing.B) { benchmarkConcurrentSenders(b, "") })
	b.Run("segment_wal", func(b *testing.B) { benchmarkConcurrentSenders(b, b.TempDir()) })
}

// BenchmarkConsumeLogsSlowDisk is many senders on a disk whose sync takes
// 4 ms (a network volume), the segment log written in line by the owner
// (as the storage extension's log is) or in the background by the writer,
// which lets the owner take and check the next groups meanwhile.
func BenchmarkConsumeLogsSlowDisk(b *testing.B) {
	for _, mode := range []string{"in_line", "background"} {
		b.Run(mode, func(b *testing.B) {
			benchmarkSenders(b, b.TempDir(), 128, func(p *sessionizeProcessor) {
				slow := &slowLog{writeAheadLog: p.wal, delay: 4 * time.Millisecond}
				p.wal = slow
				if mode == "in_line" {
					p.writer.stop()
					p.writer = nil
					return
				}
				p.writer.log = slow
			})
		})
	}
}

// slowLog adds delay to every append, as a slow sync would.
type slowLog struct {
	writeAheadLog
	delay time.Duration
}

func (l *slowLog) append(ctx context.Context, entries []wal.Entry) error {
	time.Sleep(l.delay)
	return l.writeAheadLog.append(ctx, entries)
}

func benchmarkConcurrentSenders(b *testing.B, walDir string) {
	benchmarkSenders(b, walDir, 8, nil)
}

// benchmarkSenders runs parallelism senders per core; adjust, when set,
// changes the started processor before the first request.
func benchmarkSenders(b *testing.B, walDir string, parallelism int, adjust func(*sessionizeProcessor)) {
	cfg := testConfig()
	cfg.Storage = &storageID
	cfg.WALDirectory = walDir
	ext := startFileStorage(b, b.TempDir())
	b.Cleanup(func() { _ = ext.Shutdown(context.Background()) })
	p, err := newProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop(), clockwork.NewRealClock())
	require.NoError(b, err)
	require.NoError(b, p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}))
	if adjust != nil {
		adjust(p)
	}
	batches := benchmarkTraffic(0, b.N)
	var next atomic.Int64
	b.SetParallelism(parallelism) // 8 per core: 16 senders on 2 cores
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ld := batches[next.Add(1)-1]
			if err := p.ConsumeLogs(context.Background(), ld); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	require.NoError(b, p.Shutdown(context.Background()))
	b.ReportMetric(float64(b.N*20)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCheckpointMillionSessions writes the state of a million open
// sessions (and a million remembered event ids) to storage, as the periodic
// and the shutdown checkpoints do.
func BenchmarkCheckpointMillionSessions(b *testing.B) {
	const live = 1_000_000
	s := millionSessions(b, live)
	client, log := checkpointStorage(b)
	for b.Loop() {
		// A base each time, its ids and visitors whole: what changed since
		// is nothing.
		s.chain.based, s.ids.based, s.visitors.based = false, false, false
		require.NoError(b, checkpointNow(context.Background(), s, client, log, 1))
	}
	size := newestSegment(b, client, &s.ids)
	for _, key := range []string{checkpointKey, sessionsKey} {
		data, err := client.Get(context.Background(), key)
		require.NoError(b, err)
		size += len(data)
	}
	b.ReportMetric(float64(size)/live, "checkpoint-bytes/session")
}

// newestSegment is the size of the newest stored segment of a memory.
func newestSegment(tb testing.TB, client storage.Client, l *memoryLog) int {
	tb.Helper()
	data, err := client.Get(context.Background(), l.key(l.next()-1))
	require.NoError(tb, err)
	return len(data)
}

// BenchmarkCheckpointPeakRSS is the memory a base checkpoint of a million
// open sessions takes on top of the state, on file_storage: with the parts
// as values of the storage extension, and as files in wal_directory
// (basefiles.go). It reports the process's RSS holding the state and its
// peak while the base is encoded and written; run it alone, as the
// figures are the whole test process's.
func BenchmarkCheckpointPeakRSS(b *testing.B) {
	for _, where := range []string{"values", "files"} {
		b.Run(where, func(b *testing.B) {
			for b.Loop() {
				s := millionSessions(b, 1_000_000)
				if where == "files" {
					s.cfg.WALDirectory = b.TempDir()
				}
				ext := startFileStorage(b, b.TempDir())
				client, err := ext.(storage.Extension).GetClient(context.Background(), component.KindProcessor, processorID, "")
				require.NoError(b, err)
				debug.FreeOSMemory()
				rss, err := procstatus.MiB(0, "VmRSS")
				require.NoError(b, err)
				require.NoError(b, procstatus.ResetPeak())
				require.NoError(b, checkpointNow(context.Background(), s, client, &storageWAL{client: client}, 1))
				peak, err := procstatus.MiB(0, "VmHWM")
				require.NoError(b, err)
				b.ReportMetric(rss, "state-rss-MiB")
				b.ReportMetric(peak, "peak-rss-MiB")
				require.NoError(b, client.Close(context.Background()))
				require.NoError(b, ext.Shutdown(context.Background()))
				runtime.KeepAlive(s)
			}
		})
	}
}

// BenchmarkCheckpointDeltaOfMillionSessions writes the checkpoint that
// follows a base of 900,000 open sessions once 10,000 of them had one more
// page view and 10,000 more visitors came (max_sessions is a million): a
// delta of what changed. It reports the bytes the delta and the memory's
// segments wrote per changed session and their share of the base's bytes
// (with the memory whole, as the first checkpoint writes it); the time is
// the delta's encoding and write.
func BenchmarkCheckpointDeltaOfMillionSessions(b *testing.B) {
	const live, changed = 900_000, 10_000
	s := millionSessions(b, live)
	client, log := checkpointStorage(b)
	require.NoError(b, checkpointNow(context.Background(), s, client, log, 1))
	// The base with its memory whole, as a base wrote it before segments.
	base := s.chain.baseBytes + int64(newestSegment(b, client, &s.ids)+newestSegment(b, client, &s.visitors))
	var written int64
	round := 0
	for b.Loop() {
		b.StopTimer()
		round++
		if s.chain.deltas == maxCheckpointDeltas || s.chain.deltaBytes > base/2 {
			s.chain.deltas, s.chain.deltaBytes = 0, 0 // keep measuring deltas
		}
		events := make([]session.Input, 0, 2*changed)
		at := t0.Add(time.Duration(live+round*2*changed) * time.Microsecond)
		for i := range changed {
			returning := millionVisitor((round*changed + i) % live)
			fresh := millionVisitor(live + round*changed + i)
			for _, v := range []string{returning, fresh} {
				at = at.Add(time.Microsecond)
				events = append(events, session.Input{Key: session.Key{Site: "shop", Visitor: v}, EventID: fmt.Sprint(v, round), Received: at, Event: session.Event{Time: at, PageView: true, Path: "/next"}})
			}
		}
		_, refused := s.core.Apply(events, at, t0)
		require.Empty(b, refused)
		s.core.PlacePending()
		before := s.chain.deltaBytes
		b.StartTimer()
		require.NoError(b, checkpointNow(context.Background(), s, client, log, int64(round+1)))
		b.StopTimer()
		require.Positive(b, s.chain.deltas, "the checkpoint is a delta")
		// With the ids and visitors it remembered, in their segments.
		written = s.chain.deltaBytes - before + int64(newestSegment(b, client, &s.ids)+newestSegment(b, client, &s.visitors))
		b.StartTimer()
	}
	b.ReportMetric(float64(written)/(2*changed), "delta-bytes/changed-session")
	b.ReportMetric(float64(written)/float64(base), "delta/base")
}

// millionSessions is the state of live open sessions, each of a new
// visitor whose page view's event id and visitor are remembered.
func millionSessions(b testing.TB, live int) *state {
	cfg := testConfig()
	cfg.MaxPendingEvents = live
	s := newState(cfg, mustTelemetry(b))
	events := make([]session.Input, live)
	for i := range live {
		v := millionVisitor(i)
		at := t0.Add(time.Duration(i) * time.Microsecond)
		events[i] = session.Input{Key: session.Key{Site: "shop", Visitor: v}, EventID: v, Received: at, Event: session.Event{Time: at, PageView: true, Path: "/"}}
	}
	_, refused := s.core.Apply(events, events[live-1].Received, t0)
	require.Empty(b, refused)
	s.core.PlacePending()
	require.Equal(b, live, s.core.Live())
	return s
}

// millionVisitor is the visitor id of millionSessions' i-th session.
func millionVisitor(i int) string { return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15) }

// checkpointStorage is a fresh storage for checkpoints: its client, and a
// write-ahead log in it.
func checkpointStorage(tb testing.TB) (storage.Client, writeAheadLog) {
	tb.Helper()
	client, err := storagetest.NewExtension().GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(tb, err)
	return client, &storageWAL{client: client}
}

// checkpointNow writes the state's checkpoint at once.
func checkpointNow(ctx context.Context, s *state, client storage.Client, log writeAheadLog, epoch int64) error {
	run := s.newCheckpointRun(nil, epoch)
	for !run.step() {
	}
	return s.afterCheckpoint(run, log, run.write(ctx, client, log))
}

// BenchmarkRestoreMillionSessions starts a processor on the checkpoint of a
// million open sessions: a base alone, and the longest chain the bound
// (maxChainStates) lets a restore read: deltas in which half the sessions
// changed (with all of them, a base is the smaller write), until the next
// checkpoint would be a base. It reports the bytes the sessions' chain
// holds and the time Start takes to restore them.
func BenchmarkRestoreMillionSessions(b *testing.B) {
	const live = 1_000_000
	ctx := context.Background()
	for _, chain := range []string{"base", "longest"} {
		b.Run("chain="+chain, func(b *testing.B) {
			s := millionSessions(b, live)
			ext := storagetest.NewExtension()
			client, err := ext.GetClient(ctx, component.KindProcessor, processorID, "")
			require.NoError(b, err)
			log := &storageWAL{client: client}
			require.NoError(b, checkpointNow(ctx, s, client, log, 1))
			for epoch := int64(2); chain == "longest"; epoch++ {
				placeEvents(b, s, nextEvents(live/2, time.Duration(epoch)*time.Minute))
				if !s.chain.withinBound(s.sessionsEstimate()) {
					break // the next checkpoint would be a base
				}
				require.NoError(b, checkpointNow(ctx, s, client, log, epoch))
				require.Positive(b, s.chain.deltas)
			}
			chainBytes := s.chain.baseBytes + s.chain.deltaBytes
			stored := ext.Snapshot(component.KindProcessor, processorID, "")
			s, ext = nil, nil
			cfg := testConfig()
			cfg.Storage = &storageID
			cfg.MaxPendingEvents = live
			for b.Loop() {
				b.StopTimer()
				// A copy each time: Shutdown writes a checkpoint.
				copied := storagetest.NewExtension()
				client, err := copied.GetClient(ctx, component.KindProcessor, processorID, "")
				require.NoError(b, err)
				for key, value := range stored {
					require.NoError(b, client.Set(ctx, key, value))
				}
				p, err := newProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop(), clockwork.NewFakeClockAt(t0))
				require.NoError(b, err)
				runtime.GC()
				b.StartTimer()
				require.NoError(b, p.Start(ctx, storagetest.Host{Extensions: map[component.ID]component.Component{storageID: copied}}))
				b.StopTimer()
				require.Equal(b, live, p.state.core.Live())
				require.NoError(b, p.Shutdown(ctx))
				b.StartTimer()
			}
			b.ReportMetric(float64(chainBytes)/(1<<20), "chain-MiB")
		})
	}
}

// BenchmarkMillionLiveSessionsRSS is the resident memory of a process
// holding a million open sessions with their dedup and returning-visitor
// memory: the RSS of this test process once the garbage is returned to
// the OS (the test binary's own share included).
func BenchmarkMillionLiveSessionsRSS(b *testing.B) {
	const live = 1_000_000
	for b.Loop() {
		s := millionSessions(b, live)
		debug.FreeOSMemory()
		rss, err := procstatus.MiB(0, "VmRSS")
		require.NoError(b, err)
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		b.ReportMetric(rss, "rss-MiB")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		runtime.KeepAlive(s)
	}
}

func mustTelemetry(tb testing.TB) *metadata.TelemetryBuilder {
	tb.Helper()
	tel, err := metadata.NewTelemetryBuilder(componenttest.NewNopTelemetrySettings())
	require.NoError(tb, err)
	return tel
}

// BenchmarkAckDuringMillionSessionCheckpoint is the intake's latency while
// the state of a million open sessions is checkpointed: 16 senders send
// batches of 20 events for 3 s, on file_storage and the segment log, both
// with fsync, with a checkpoint due every second, and beside it with none
// due, which is what a million sessions cost without checkpoints. It
// reports the acknowledgement latency (p50, p99, max), the checkpoints
// written and their megabytes by kind (base, delta).
func BenchmarkAckDuringMillionSessionCheckpoint(b *testing.B) {
	b.Run("checkpoint_every_second", func(b *testing.B) { benchmarkAckDuringCheckpoints(b, time.Second) })
	b.Run("no_checkpoint", func(b *testing.B) { benchmarkAckDuringCheckpoints(b, time.Hour) })
}

func benchmarkAckDuringCheckpoints(b *testing.B, interval time.Duration) {
	const live = 1_000_000
	for range b.N {
		b.StopTimer()
		cfg := testConfig()
		cfg.Storage = &storageID
		cfg.WALDirectory = b.TempDir()
		cfg.MaxSessions = 2 * live
		cfg.CheckpointInterval = interval
		ext := startFileStorage(b, b.TempDir())
		seedCheckpoint(b, ext, millionSessions(b, live))
		tel := componenttest.NewTelemetry()
		p, err := newProcessor(cfg, metadatatest.NewSettings(tel), consumertest.NewNop(), clockwork.NewRealClock())
		require.NoError(b, err)
		require.NoError(b, p.Start(context.Background(), storagetest.Host{Extensions: map[component.ID]component.Component{storageID: ext}}))
		runtime.GC()
		b.StartTimer()
		latencies := sendFor(b, p, 16, 3*time.Second)
		b.StopTimer()
		require.NoError(b, p.Shutdown(context.Background()))
		require.NoError(b, ext.Shutdown(context.Background()))
		slices.Sort(latencies)
		quantile := func(q float64) float64 {
			return float64(latencies[int(q*float64(len(latencies)-1))].Microseconds()) / 1000
		}
		b.ReportMetric(quantile(0.5), "p50-ack-ms")
		b.ReportMetric(quantile(0.99), "p99-ack-ms")
		b.ReportMetric(quantile(1), "max-ack-ms")
		b.ReportMetric(float64(len(latencies)*20)/3, "events/s")
		b.ReportMetric(float64(checkpointsWritten(b, tel)), "checkpoints")
		for kind, mb := range checkpointMBWritten(b, tel) {
			b.ReportMetric(mb, kind+"-MB")
		}
	}
}

// checkpointMBWritten is the checkpoint bytes written by kind (base or
// delta), in MB.
func checkpointMBWritten(b *testing.B, tel *componenttest.Telemetry) map[string]float64 {
	m, err := tel.GetMetric("otelcol_processor_sessionize_checkpoint_bytes")
	require.NoError(b, err)
	out := map[string]float64{}
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		kind, _ := dp.Attributes.Value("kind")
		out[kind.AsString()] = float64(dp.Value) / 1e6
	}
	return out
}

// checkpointsWritten counts the checkpoints written (the shutdown's one
// included), from the processor's telemetry.
func checkpointsWritten(b *testing.B, tel *componenttest.Telemetry) uint64 {
	m, err := tel.GetMetric("otelcol_processor_sessionize_checkpoint_duration")
	require.NoError(b, err)
	var n uint64
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		n += dp.Count
	}
	return n
}

// seedCheckpoint writes s as the sessionizer's checkpoint in ext.
func seedCheckpoint(b *testing.B, ext component.Component, s *state) {
	client, err := ext.(storage.Extension).GetClient(context.Background(), component.KindProcessor, processorID, "")
	require.NoError(b, err)
	require.NoError(b, checkpointNow(context.Background(), s, client, &storageWAL{client: client}, 0))
	require.NoError(b, client.Close(context.Background()))
}

// sendFor has senders send batches of 20 new events to p until d has
// passed, and returns how long each took to be acknowledged.
func sendFor(b *testing.B, p *sessionizeProcessor, senders int, d time.Duration) []time.Duration {
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	deadline := time.Now().Add(d)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for time.Now().Before(deadline) {
				ld := benchmarkTraffic(int(next.Add(1)-1)*20, 1)[0]
				start := time.Now()
				if err := p.ConsumeLogs(context.Background(), ld); err != nil {
					b.Error(err)
					return
				}
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			all = append(all, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return all
}

// BenchmarkHeldEventMemory is the live heap an event costs while it waits
// in the reorder buffer: 20,000 browser events as the intake forwards them
// (intakeTraffic), held (the watermark never passes them), without storage,
// where a held batch keeps its pdata, and with the segment write-ahead log,
// where it keeps only its encoding (held.go). Both include the event's
// share of the sessions and the dedup memory.
func BenchmarkHeldEventMemory(b *testing.B) {
	const events = 20_000
	for _, storage := range []string{"memory", "segment_wal"} {
		b.Run(storage, func(b *testing.B) {
			for b.Loop() {
				cfg := testConfig()
				cfg.AllowedLateness, cfg.WatermarkIdleTimeout = time.Hour, 0
				host := storagetest.Host{Extensions: map[component.ID]component.Component{}}
				if storage == "segment_wal" {
					cfg.Storage, cfg.WALDirectory = &storageID, b.TempDir()
					ext := startFileStorage(b, b.TempDir())
					b.Cleanup(func() { _ = ext.Shutdown(context.Background()) })
					host.Extensions[storageID] = ext
				}
				p, err := newProcessor(cfg, metadatatest.NewSettings(componenttest.NewTelemetry()), consumertest.NewNop(), clockwork.NewRealClock())
				require.NoError(b, err)
				require.NoError(b, p.Start(context.Background(), host))
				// The batches are made after the first reading: what the
				// processor keeps of them is what is measured.
				before := liveHeap()
				consumeAll(b, p, intakeTraffic(b, events))
				b.ReportMetric(float64(liveHeap()-before)/events, "heap-B/event")
				require.NoError(b, p.Shutdown(context.Background()))
			}
		})
	}
}

func consumeAll(tb testing.TB, p *sessionizeProcessor, batches []plog.Logs) {
	for _, ld := range batches {
		require.NoError(tb, p.ConsumeLogs(context.Background(), ld))
	}
}

// intakeTraffic is batches of 20 events as the intake forwards them (the
// records of its tracker_batch golden output, about 15 attributes each),
// 4 visitors of 5 events in each batch, one event per millisecond.
func intakeTraffic(tb testing.TB, events int) []plog.Logs {
	template, err := golden.ReadLogs(filepath.Join("..", "..", "receiver", "browsereventsreceiver", "testdata", "golden", "tracker_batch", "expected.yaml"))
	require.NoError(tb, err)
	rl := template.ResourceLogs().At(0)
	records := rl.ScopeLogs().At(0).LogRecords()
	out := make([]plog.Logs, 0, events/20)
	for n := 0; n < events; {
		ld := plog.NewLogs()
		for range 4 {
			visitor := ld.ResourceLogs().AppendEmpty()
			rl.Resource().CopyTo(visitor.Resource())
			visitor.Resource().Attributes().PutStr(schema.AttrVisitorID, fmt.Sprintf("%016x", n))
			sl := visitor.ScopeLogs().AppendEmpty()
			rl.ScopeLogs().At(0).Scope().CopyTo(sl.Scope())
			for range 5 {
				lr := sl.LogRecords().AppendEmpty()
				records.At(n % records.Len()).CopyTo(lr)
				at := pcommon.NewTimestampFromTime(t0.Add(time.Duration(n) * time.Millisecond))
				lr.SetTimestamp(at)
				lr.SetObservedTimestamp(at)
				lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprintf("ev-%d", n))
				n++
			}
		}
		out = append(out, ld)
	}
	return out
}

// liveHeap is the heap's live bytes after a collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
