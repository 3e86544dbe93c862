// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/footfall-analytics/footfall/internal/storagetest"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// gatedLog is a segment log whose first append waits for open, and fails
// with failFirst when set; it records the entries of each append.
type gatedLog struct {
	writeAheadLog
	open      chan struct{}
	failFirst error

	mu      sync.Mutex
	appends [][]uint64
}

func (l *gatedLog) append(ctx context.Context, entries []wal.Entry) error {
	l.mu.Lock()
	first := len(l.appends) == 0
	seqs := make([]uint64, len(entries))
	for i, e := range entries {
		seqs[i] = e.Seq
	}
	l.appends = append(l.appends, seqs)
	l.mu.Unlock()
	if !first {
		return l.writeAheadLog.append(ctx, entries)
	}
	<-l.open
	if l.failFirst != nil {
		return l.failFirst
	}
	return l.writeAheadLog.append(ctx, entries)
}

func (l *gatedLog) appendsSoFar() [][]uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([][]uint64(nil), l.appends...)
}

// startGated runs a processor on a segment log whose first append waits
// for the gate.
func startGated(t *testing.T, failFirst error) (*harness, *gatedLog) {
	t.Helper()
	cfg := storageConfigWith(t.TempDir())
	cfg.FlushOnShutdown = true
	h := start(t, cfg, storagetest.NewExtension(), nil)
	require.NotNil(t, h.p.writer, "a segment log is written in the background")
	log := &gatedLog{writeAheadLog: h.p.wal, open: make(chan struct{}), failFirst: failFirst}
	// Set before any request: the writer reads it after taking one.
	h.p.writer.log = log
	return h, log
}

// consumeInBackground consumes ld in the background; the result arrives on the channel.
func consumeInBackground(h *harness, ld plog.Logs) <-chan error {
	result := make(chan error, 1)
	go func() { result <- h.consume(ld) }()
	return result
}

// waitQueued waits until n groups wait for the writer behind the one it
// writes.
func waitQueued(t *testing.T, h *harness, n int) {
	t.Helper()
	require.Eventually(t, func() bool { return len(h.p.writer.todo) == n }, 5*time.Second, time.Millisecond)
}

// While one group syncs, the owner takes and checks the next ones; the
// writer then writes every group waiting with one append. The first group
// is answered only once its append returned.
func TestTheOwnerTakesTheNextGroupsWhileOneSyncs(t *testing.T) {
	h, log := startGated(t, nil)
	first := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/")))
	require.Eventually(t, func() bool { return len(log.appendsSoFar()) == 1 }, 5*time.Second, time.Millisecond)
	second := consumeInBackground(h, logsOf(pv("b", "e2", 0, "/")))
	waitQueued(t, h, 1)
	third := consumeInBackground(h, logsOf(pv("c", "e3", 0, "/")))
	waitQueued(t, h, 2)
	select {
	case err := <-first:
		t.Fatalf("answered before its append returned: %v", err)
	default:
	}

	close(log.open)
	for _, result := range []<-chan error{first, second, third} {
		require.NoError(t, <-result)
	}
	assert.Equal(t, [][]uint64{{0}, {1, 2}}, log.appendsSoFar(), "the two groups that waited are one append")
	h.shutdown()
	assert.Equal(t, []string{"a e1", "a start", "b e2", "b start", "c e3", "c start"}, keptEvents(h.output()))
}

// An event sent again while its first copy is still being written is a
// duplicate: kept once.
func TestACopyOfAnEventInFlightIsKeptOnce(t *testing.T) {
	h, log := startGated(t, nil)
	first := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/")))
	require.Eventually(t, func() bool { return len(log.appendsSoFar()) == 1 }, 5*time.Second, time.Millisecond)
	retry := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second)))
	waitQueued(t, h, 1)
	close(log.open)
	require.NoError(t, <-first)
	require.NoError(t, <-retry)
	h.shutdown()
	assert.Equal(t, []string{"a e1", "a e2", "a start"}, keptEvents(h.output()))
}

// When the first copy's append fails, the later group that dropped its
// event as a duplicate is refused too, though its own append succeeded:
// its client must not be told the event was kept. Both retries are then
// taken, once.
func TestAGroupFailsWithTheGroupItsDuplicateWasIn(t *testing.T) {
	h, log := startGated(t, errors.New("disk gone"))
	first := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/")))
	require.Eventually(t, func() bool { return len(log.appendsSoFar()) == 1 }, 5*time.Second, time.Millisecond)
	copyOfIt := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second)))
	waitQueued(t, h, 1)
	other := consumeInBackground(h, logsOf(pv("b", "e3", 0, "/")))
	waitQueued(t, h, 2)
	close(log.open)
	require.ErrorContains(t, <-first, "write-ahead log: disk gone")
	require.ErrorContains(t, <-copyOfIt, "write-ahead log: disk gone")
	require.NoError(t, <-other, "a group that shares no event with the failed one stands")

	require.NoError(t, h.consume(logsOf(pv("a", "e1", 0, "/"), click("a", "e2", time.Second))), "the retry")
	h.shutdown()
	assert.Equal(t, []string{"a e1", "a e2", "a start", "b e3", "b start"}, keptEvents(h.output()))
}

// keptEvents is each event and session start of the output, as visitor and
// event id (or "start"), sorted: a duplicate shows twice.
func keptEvents(ld plog.Logs) []string {
	var kept []string
	for _, line := range summary(ld) {
		fields := strings.Fields(line)
		if len(fields) >= 2 && fields[1] != "end" {
			kept = append(kept, fields[0]+" "+fields[1])
		}
	}
	slices.Sort(kept)
	return kept
}

// A checkpoint records the next sequence number as applied, so none
// begins while a group is in flight: it waits for the group, and holds the
// next requests meanwhile. Restored after a crash, it has the group's
// event (a checkpoint begun before would have skipped its entry).
func TestACheckpointWaitsForTheGroupsInFlight(t *testing.T) {
	walDir := t.TempDir()
	ext := storagetest.NewExtension()
	cfg := storageConfigWith(walDir)
	cfg.WatermarkIdleTimeout = 0
	h := start(t, cfg, ext, nil)
	log := &gatedLog{writeAheadLog: h.p.wal, open: make(chan struct{})}
	h.p.writer.log = log

	first := consumeInBackground(h, logsOf(pv("a", "e1", 0, "/")))
	require.Eventually(t, func() bool { return len(log.appendsSoFar()) == 1 }, 5*time.Second, time.Millisecond)
	h.clock.set(t0.Add(time.Hour)) // the owner's next tick finds a checkpoint due
	require.Never(t, func() bool { return slices.Contains(storedKeys(ext), checkpointKey) }, 300*time.Millisecond, 10*time.Millisecond,
		"no checkpoint while a group is in flight")
	close(log.open)
	require.NoError(t, <-first)
	require.Eventually(t, func() bool { return slices.Contains(storedKeys(ext), checkpointKey) }, 10*time.Second, time.Millisecond)
	h.waitDelivered()
	h.crash()

	cfg = storageConfigWith(walDir)
	cfg.FlushOnShutdown = true
	restarted := start(t, cfg, ext, nil)
	restarted.shutdown()
	assert.Contains(t, summary(restarted.output()), "a end S1 shutdown pv=1 events=1 bounce=true entry=/ exit=/",
		"the restored state holds the event taken while the checkpoint waited")
}
