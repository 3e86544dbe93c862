// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/chunks"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// With wal_directory, a base's sessions are a file there, and so is a
// memory written whole with it (its segment's key names the file); the next
// base deletes the last one's sessions file and any a crash left, keeps the
// memory's files while their segments are live, and touches nothing else
// in the directory.
func TestABaseIsWrittenToFilesThatTheNextBaseReplaces(t *testing.T) {
	s, client, log, dir := baseInFiles(t, 2000)
	assert.Equal(t, []string{"checkpoint-1-dedup", "checkpoint-1-sessions", "checkpoint-1-visitors"}, filesIn(t, dir))
	for _, key := range []string{sessionsKey, idsSegmentPrefix + "0", visitorsSegmentPrefix + "0"} {
		stored, err := client.Get(context.Background(), key)
		require.NoError(t, err)
		_, isRef, err := decodeBaseFileRef(stored)
		require.NoError(t, err)
		assert.Truef(t, isRef, "%s names its file", key)
	}
	restored := restoreInto(t, client, dir)
	assert.Equal(t, 2000, restored.state.core.Live(), "the sessions come back from the file")
	assert.Equal(t, 4000, restored.state.core.Remembered(), "the ids and visitors come back from theirs")

	// What a crash before the storage batch leaves, and a segment of the
	// write-ahead log, which stays.
	for _, name := range []string{".checkpoint-7-sessions.tmp-123", "checkpoint-9-dedup", "00000001"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600))
	}
	s.chain.based = false // the next checkpoint is a base
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 2))
	assert.Equal(t, []string{"00000001", "checkpoint-1-dedup", "checkpoint-1-visitors", "checkpoint-2-sessions"}, filesIn(t, dir),
		"the memory was written whole with the first base, and its segments are live")
	again := restoreInto(t, client, dir)
	assert.Equal(t, 2000, again.state.core.Live())
	assert.Equal(t, 4000, again.state.core.Remembered())

	// Once the memory is written whole again (here: the next start without
	// it), the files of the last whole one go.
	s.ids.based, s.visitors.based = false, false
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 3))
	assert.Equal(t, []string{"00000001", "checkpoint-3-dedup", "checkpoint-3-sessions", "checkpoint-3-visitors"}, filesIn(t, dir))
}

// A base whose file was changed or lost, or whose wal_directory is no
// longer set, is moved aside like an unreadable value: the processor
// starts without that part, and says so.
func TestAnUnreadableBaseFileIsMovedAside(t *testing.T) {
	for _, damage := range []string{"changed", "lost", "wal_directory unset"} {
		t.Run(damage, func(t *testing.T) {
			_, client, _, dir := baseInFiles(t, 100)
			file := filepath.Join(dir, "checkpoint-1-sessions")
			readDir := dir
			switch damage {
			case "changed":
				data, err := os.ReadFile(file)
				require.NoError(t, err)
				data[len(data)/2] ^= 0xff
				require.NoError(t, os.WriteFile(file, data, 0o600)) // #nosec G703 -- the test's own temporary directory
			case "lost":
				require.NoError(t, os.Remove(file))
			default:
				readDir = ""
			}
			p := restoreInto(t, client, readDir)
			assert.Zero(t, p.state.core.Live(), "the sessions are not restored")
			unreadable := []string{partSessions}
			if readDir == "" {
				unreadable = []string{partSessions, partDedup, partVisitors}
			} else {
				assert.Equal(t, 200, p.state.core.Remembered(), "the parts that could be read are: 100 ids, 100 visitors")
			}
			var quarantined []metricdata.DataPoint[int64]
			for _, part := range unreadable {
				quarantined = append(quarantined, metricdata.DataPoint[int64]{Value: 1, Attributes: attribute.NewSet(attribute.String("part", part))})
			}
			metadatatest.AssertEqualProcessorSessionizeStateQuarantined(t, p.tel, quarantined, metricdatatest.IgnoreTimestamp())
			stored, err := client.Get(context.Background(), sessionsKey)
			require.NoError(t, err)
			assert.Nil(t, stored, "the reference was moved aside")
		})
	}
}

// A base is on disk while it is encoded, not once it is: the sessions'
// file grows step by step, and the base reads back whole.
func TestABaseIsWrittenWhileItIsEncoded(t *testing.T) {
	s, client, log, dir := baseInFiles(t, 60_000)
	s.chain.based = false
	run := s.newCheckpointRun(nil, 2)
	require.NotNil(t, run.stream)
	temporary := func() int64 {
		var size int64
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		for _, entry := range entries {
			if info, err := entry.Info(); err == nil && strings.HasPrefix(entry.Name(), ".checkpoint-2-sessions") {
				size = info.Size()
			}
		}
		return size
	}
	// Steps that encode 40,960 sessions, about two pieces.
	for range 40_960 / checkpointSessionsPerStep {
		require.False(t, run.step())
	}
	require.Eventually(t, func() bool { return temporary() >= int64(chunks.Size) }, 10*time.Second, time.Millisecond,
		"a piece is written before the base is encoded")
	for !run.step() {
	}
	require.NoError(t, s.afterCheckpoint(run, log, run.write(context.Background(), client, log)))
	assert.Equal(t, []string{"checkpoint-1-dedup", "checkpoint-1-visitors", "checkpoint-2-sessions"}, filesIn(t, dir))
	assert.Equal(t, 60_000, restoreInto(t, client, dir).state.core.Live())
}

// A base abandoned (a participant could not save its state) or out of time
// leaves no file of its own, and the stored checkpoint as it was.
func TestAnAbandonedBaseLeavesNoFiles(t *testing.T) {
	for _, how := range []string{"abandoned", "out of time"} {
		t.Run(how, func(t *testing.T) {
			s, client, log, dir := baseInFiles(t, 100)
			s.chain.based = false
			run := s.newCheckpointRun(nil, 2)
			for !run.step() {
			}
			if how == "abandoned" {
				run.abandon()
			} else {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				require.ErrorIs(t, run.write(ctx, client, log), context.Canceled)
			}
			<-run.stream.done
			assert.Equal(t, []string{"checkpoint-1-dedup", "checkpoint-1-sessions", "checkpoint-1-visitors"}, filesIn(t, dir))
			assert.Equal(t, 100, restoreInto(t, client, dir).state.core.Live())
		})
	}
}

// A base that cannot be written leaves no file behind, and the stored
// checkpoint as it was.
func TestABaseThatCannotBeWrittenLeavesTheLastOne(t *testing.T) {
	s, client, log, dir := baseInFiles(t, 100)
	failing := &failingBatch{Client: client}
	s.chain.based = false
	require.Error(t, checkpointNow(context.Background(), s, failing, log, 2))
	assert.Equal(t, []string{"checkpoint-1-dedup", "checkpoint-1-sessions", "checkpoint-1-visitors"}, filesIn(t, dir))
	assert.Equal(t, 100, restoreInto(t, client, dir).state.core.Live())
}

// baseInFiles is a state of sessions open sessions whose base checkpoint
// (epoch 1) was written with its parts as files in dir.
func baseInFiles(t *testing.T, sessions int) (s *state, client storage.Client, log writeAheadLog, dir string) {
	t.Helper()
	dir = t.TempDir()
	s = millionSessions(t, sessions)
	s.cfg.WALDirectory = dir
	client, log = checkpointStorage(t)
	require.NoError(t, checkpointNow(context.Background(), s, client, log, 1))
	return s, client, log, dir
}

// failingBatch refuses every batch.
type failingBatch struct{ storage.Client }

func (*failingBatch) Batch(context.Context, ...*storage.Operation) error {
	return os.ErrDeadlineExceeded
}

// restoredProcessor is a processor whose state was read from storage, and
// its telemetry.
type restoredProcessor struct {
	*sessionizeProcessor
	tel *componenttest.Telemetry
}

// restoreInto reads the state client holds, with the base files in dir,
// into a new processor.
func restoreInto(t *testing.T, client storage.Client, dir string) *restoredProcessor {
	t.Helper()
	tel := newTelemetry(t)
	cfg := testConfig()
	cfg.WALDirectory = dir
	p, err := newProcessor(cfg, metadatatest.NewSettings(tel), nil, clockwork.NewRealClock())
	require.NoError(t, err)
	data, err := client.Get(context.Background(), checkpointKey)
	require.NoError(t, err)
	contents, err := p.state.decodeEnvelope(data)
	require.NoError(t, err)
	require.NoError(t, p.restoreState(context.Background(), client, contents))
	return &restoredProcessor{sessionizeProcessor: p, tel: tel}
}

func filesIn(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}
