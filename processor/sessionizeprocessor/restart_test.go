// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/footfall-analytics/footfall/internal/cosave"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/storagetest"
)

// stream makes a day of traffic: visitors who come back after long and short
// gaps, in batches whose events arrive up to lateness out of order.
func stream(seed uint64, visitors int, lateness time.Duration) [][]event {
	rng := rand.New(rand.NewPCG(seed, seed))
	var all []event
	n := 0
	for v := range visitors {
		at := time.Duration(rng.IntN(3600)) * time.Second
		for range 3 + rng.IntN(12) {
			n++
			name := fmt.Sprintf("v%d", v)
			switch rng.IntN(4) {
			case 0:
				all = append(all, click(name, fmt.Sprintf("e%d", n), at))
			default:
				all = append(all, pv(name, fmt.Sprintf("e%d", n), at, fmt.Sprintf("/p%d", rng.IntN(5))))
			}
			gaps := []time.Duration{5 * time.Second, time.Minute, 10 * time.Minute, 29 * time.Minute, 31 * time.Minute, 2 * time.Hour}
			at += gaps[rng.IntN(len(gaps))] + time.Duration(rng.IntN(1000))*time.Millisecond
		}
	}
	// Arrival order: each event may overtake those less than lateness older,
	// which keeps every arrival within the allowed lateness.
	keys := make(map[string]time.Duration, len(all))
	for _, e := range all {
		keys[e.id] = e.at + time.Duration(rng.Int64N(int64(lateness-time.Millisecond)))
	}
	sort.SliceStable(all, func(i, j int) bool { return keys[all[i].id] < keys[all[j].id] })
	var batches [][]event
	for len(all) > 0 {
		size := min(len(all), 1+rng.IntN(8))
		batches = append(batches, all[:size])
		all = all[size:]
	}
	return batches
}

func storageConfig() *Config {
	cfg := testConfig()
	cfg.Storage = &storageID
	cfg.CheckpointInterval = time.Minute
	return cfg
}

// forEachWAL runs test with each write-ahead log: keys of the storage
// extension (walDir empty), and segment files in walDir.
func forEachWAL(t *testing.T, test func(t *testing.T, walDir string)) {
	t.Run("storage_wal", func(t *testing.T) { test(t, "") })
	t.Run("segment_wal", func(t *testing.T) { test(t, t.TempDir()) })
}

// storageConfigWith is storageConfig with the write-ahead log in walDir.
func storageConfigWith(walDir string) *Config {
	cfg := storageConfig()
	cfg.WALDirectory = walDir
	return cfg
}

// runAll feeds every batch to one processor, which flushes at the end.
func runAll(t *testing.T, batches [][]event) []string {
	cfg := storageConfig()
	cfg.FlushOnShutdown = true
	h := start(t, cfg, storagetest.NewExtension(), nil)
	for _, b := range batches {
		h.mustConsume(logsOf(b...))
	}
	h.shutdown()
	return summary(h.output())
}

func TestRestartContinuesSessions(t *testing.T) {
	batches := stream(1, 40, 10*time.Second)
	want := runAll(t, batches)
	require.Greater(t, len(want), 400)

	forEachWAL(t, func(t *testing.T, walDir string) {
		for _, cut := range []int{1, len(batches) / 3, len(batches) / 2, len(batches) - 1} {
			t.Run(fmt.Sprintf("cut at batch %d", cut), func(t *testing.T) {
				restartAt(t, batches, cut, want, walDir)
			})
		}
	})
}

func restartAt(t *testing.T, batches [][]event, cut int, want []string, walDir string) {
	if walDir != "" {
		walDir = filepath.Join(walDir, fmt.Sprint(cut))
	}
	ext := storagetest.NewExtension()
	first := start(t, storageConfigWith(walDir), ext, nil)
	for _, b := range batches[:cut] {
		first.mustConsume(logsOf(b...))
	}
	first.shutdown()

	cfg := storageConfigWith(walDir)
	cfg.FlushOnShutdown = true
	second := start(t, cfg, ext, nil)
	for _, b := range batches[cut:] {
		second.mustConsume(logsOf(b...))
	}
	second.shutdown()

	got := summary(joinLogs([]plog.Logs{first.output(), second.output()}))
	assert.Equal(t, want, got, "a restart must neither repeat nor lose output")
	// The second run's checkpoint may be a delta after the first one's base;
	// each run's checkpoints store segments of the memory.
	keys := slices.DeleteFunc(storedKeys(ext), func(k string) bool {
		return k == deltaKey(0) || strings.HasPrefix(k, idsSegmentPrefix) || strings.HasPrefix(k, visitorsSegmentPrefix)
	})
	assert.Equal(t, []string{checkpointKey, sessionsKey}, keys, "every write-ahead entry is deleted once its events are placed")
}

var processorID = component.NewID(component.MustNewType("sessionize"))

func storedKeys(ext *storagetest.Extension) []string {
	var keys []string
	for k := range ext.Snapshot(component.KindProcessor, processorID, "") {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// A crash loses no accepted event: the restarted processor replays the
// write-ahead log written since the last checkpoint, and emits again what was
// emitted after that checkpoint (at least once; the Elasticsearch exporter
// and dedup downstream make that idempotent). The checkpoint is the one the
// owner's timer starts in the background (delivery paused at its start,
// encoded between requests, written by its own goroutine).
func TestCrashReplaysSinceLastCheckpoint(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		testCrashReplaysSinceLastCheckpoint(t, walDir, storagetest.NewExtension(), func(h *harness) {
			h.checkpointAt(t0.Add(time.Hour))
		})
	})
}

// testCrashReplaysSinceLastCheckpoint runs a third of a stream on ext, has
// checkpoint take a checkpoint, runs another third, crashes, and runs the
// rest on a restarted processor.
func testCrashReplaysSinceLastCheckpoint(t *testing.T, walDir string, ext component.Component, checkpoint func(*harness)) {
	batches := stream(2, 30, 10*time.Second)
	want := runAll(t, batches)

	cfg := storageConfigWith(walDir)
	// The checkpoint timer only: an idle advance of the watermark would
	// change the sessions.
	cfg.WatermarkIdleTimeout = 0
	first := start(t, cfg, ext, nil)
	third := len(batches) / 3
	for _, b := range batches[:third] {
		first.mustConsume(logsOf(b...))
	}
	first.waitDelivered()
	checkpoint(first)
	beforeCheckpoint := len(summary(first.output()))
	for _, b := range batches[third : 2*third] {
		first.mustConsume(logsOf(b...))
	}
	first.waitDelivered()
	first.crash()
	require.Greater(t, len(summary(first.output())), beforeCheckpoint, "output emitted after the checkpoint is what a crash repeats")

	cfg = storageConfigWith(walDir)
	cfg.FlushOnShutdown = true
	second := start(t, cfg, ext, nil)
	for _, b := range batches[2*third:] {
		second.mustConsume(logsOf(b...))
	}
	second.shutdown()

	// Up to the checkpoint from the first run, everything after it from the second.
	firstLines := summary(first.output())
	got := summary(joinLogs([]plog.Logs{first.output(), second.output()}))
	assert.Equal(t, want[:beforeCheckpoint], got[:beforeCheckpoint])
	assert.Equal(t, want[beforeCheckpoint:], got[len(firstLines):])
}

// What the idle watermark placed before a crash is placed again at the
// restore, before any wall-clock time passes: each move that places
// something is a write-ahead entry. Without it the restored processor
// holds the page view and the open session until its own
// watermark_idle_timeout, showing less than was shown.
func TestCrashReplaysWhatTheIdleWatermarkPlaced(t *testing.T) {
	forEachWAL(t, func(t *testing.T, walDir string) {
		ext := storagetest.NewExtension()
		cfg := storageConfigWith(walDir)
		cfg.CheckpointInterval = 24 * time.Hour // no checkpoint before the crash
		first := start(t, cfg, ext, nil)
		first.mustConsume(logsOf(pv("v", "a", 0, "/"), pv("w", "b", 0, "/").on("blog")))
		first.tick(t0.Add(5 * time.Second))
		first.waitDelivered()
		require.Empty(t, summary(first.output()), "held for allowed_lateness")
		// Idle: the watermark passes the page views, then the sessions' ends.
		first.tick(t0.Add(11 * time.Second))
		first.tick(t0.Add(30*time.Minute + 11*time.Second))
		// Each move that places something is applied once its entry is durable.
		require.Eventually(t, func() bool { return len(summary(first.output())) >= 6 }, 10*time.Second, time.Millisecond)
		shown := summary(first.output())
		require.Len(t, shown, 6, "two page views, two session starts and two ends: %v", shown)
		first.crash()

		second := start(t, storageConfigWith(walDir), ext, nil) // its clock reads t0
		second.waitDelivered()
		assert.Equal(t, shown, summary(second.output()), "replayed at the restore")
		second.shutdown()
		for _, key := range storedKeys(ext) {
			assert.NotContains(t, key, "wal/", "the checkpoint at shutdown deletes the entries of moves")
		}
	})
}

// Arrival order within the allowed lateness does not change any session.
func TestInterleavingsWithinLatenessGiveTheSameSessions(t *testing.T) {
	for seed := range uint64(20) {
		inOrder := stream(seed, 25, time.Millisecond+1)
		shuffled := stream(seed, 25, 10*time.Second)
		want := runAll(t, inOrder)
		got := runAll(t, shuffled)
		require.Len(t, got, len(want))
		slices.Sort(want)
		slices.Sort(got)
		require.Equal(t, want, got, "seed %d", seed)
	}
}

// participant records what the sessionize processor asks of a component
// that keeps its state with the checkpoints.
type participant struct {
	saved, restored []int64
	failSave        error
	// replayDelivered, when set, is called from ReplayDelivered.
	replayDelivered func()
}

func (p *participant) SaveState(_ context.Context, epoch int64) error {
	if p.failSave != nil {
		return p.failSave
	}
	p.saved = append(p.saved, epoch)
	return nil
}

func (p *participant) RestoreState(_ context.Context, epoch int64) error {
	p.restored = append(p.restored, epoch)
	return nil
}

func (p *participant) ReplayDelivered() {
	if p.replayDelivered != nil {
		p.replayDelivered()
	}
}

// Participants save their state under each checkpoint's epoch, and are told
// after a crash which one was restored; a checkpoint whose participant
// cannot save is not written.
func TestParticipantsSaveWithEveryCheckpoint(t *testing.T) {
	ext := storagetest.NewExtension()
	member := &participant{}
	leave := cosave.Join(ext, member)
	defer leave()

	first := start(t, storageConfigWith(t.TempDir()), ext, nil)
	require.Equal(t, []int64{0}, member.restored, "no checkpoint yet")
	first.mustConsume(logsOf(pv("a", "e1", 0, "/")))
	first.checkpointAt(t0.Add(time.Hour))
	first.waitDelivered()
	first.checkpointAt(t0.Add(2 * time.Hour))
	assert.Equal(t, []int64{1, 2}, member.saved)

	member.failSave = errors.New("disk full")
	// A change, so that a checkpoint is due: a watermark the clock moved
	// alone is none.
	first.mustConsume(logsOf(pv("c", "e3", 2*time.Hour, "/")))
	first.checkpointAt(t0.Add(3 * time.Hour))
	assert.Equal(t, []int64{1, 2}, member.saved, "the failed save is not counted")
	first.crash()

	member.failSave = nil
	second := start(t, storageConfigWith(first.p.cfg.WALDirectory), ext, nil)
	assert.Equal(t, []int64{0, 2}, member.restored, "the last committed checkpoint")
	second.mustConsume(logsOf(pv("b", "e2", time.Second, "/")))
	second.checkpointAt(t0.Add(4 * time.Hour))
	assert.Equal(t, []int64{1, 2, 3}, member.saved, "the next checkpoint after it")
	second.shutdown()
}

// Participants are told when what the processor delivers again after a
// restart has all been delivered: not while the replay of the write-ahead
// log waits on the next consumer, and once every replayed record was taken.
// A counting participant (the webanalytics connector) flushes only after.
func TestParticipantsAreToldWhenTheReplayIsDelivered(t *testing.T) {
	ext := storagetest.NewExtension()
	told := make(chan int, 2)
	var stuck *blockingConsumer
	member := &participant{replayDelivered: func() {
		taken := 0
		if stuck != nil {
			stuck.mu.Lock()
			taken = len(summary(joinLogs(stuck.got)))
			stuck.mu.Unlock()
		}
		told <- taken
	}}
	leave := cosave.Join(ext, member)
	defer leave()

	cfg := storageConfig()
	cfg.AllowedLateness = 0
	first := start(t, cfg, ext, nil)
	require.Equal(t, 0, <-told, "told at once when there is nothing to deliver again")
	first.mustConsume(logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second)))
	first.mustConsume(logsOf(pv("b", "e3", 0, "/")))
	first.waitDelivered()
	first.crash()
	replayed := len(summary(first.output()))
	require.Positive(t, replayed)

	stuck = &blockingConsumer{release: make(chan struct{})}
	second := start(t, cfg, ext, stuck)
	// The consumer takes nothing before release: no delivery has ended.
	select {
	case <-told:
		t.Fatal("told while the replay waits on the next consumer")
	default:
	}
	close(stuck.release)
	select {
	case taken := <-told:
		assert.Equal(t, replayed, taken, "told once every replayed record was taken")
	case <-time.After(10 * time.Second):
		t.Fatal("never told after the replay was delivered")
	}
	second.mustConsume(logsOf(pv("c", "e4", 2*time.Second, "/")))
	second.shutdown()
	assert.Empty(t, told, "told once")
}
