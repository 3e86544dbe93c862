// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
)

// A checkpoint's run, from its start on the owner to the outcome of its
// write, and the choice between a base and a delta (checkpointChain). The
// stored format is checkpoint.go's.

// checkpointChain is what the stored checkpoint is made of: a base and the
// deltas after it.
type checkpointChain struct {
	// based: the core's marks follow the stored base and deltas, so the
	// next checkpoint may be a delta. A failed write or an unreadable part
	// clears it: the next checkpoint is a base.
	based                 bool
	baseBytes, deltaBytes int64
	deltas                int
	// baseState is what baseEstimate was when the base began, or zero
	// when unknown: the last base's bytes are scaled by how the estimate
	// grew since to know the state's size now.
	baseState int64
}

// checkpointRun is one checkpoint on its way. It begins at a point where
// delivery is paused (what was delivered is in the participants' state,
// the rest in its outbox), is encoded a chunk at a time by the owner between
// requests (session.Snapshot and dedup.Snapshot copy what changes meanwhile
// on write, so it is the state at its start), and is written by a goroutine
// of its own: no step holds intake for long, whatever the state's size.
type checkpointRun struct {
	epoch    int64
	began    time.Time
	envelope []byte
	// snapshot is the state's encoding: a base, which deletes the
	// staleDeltas after the last base, or a delta (stored as delta number
	// index).
	snapshot    *core.Snapshot
	staleDeltas int
	delta       bool
	index       int
	// baseDir, when set, is where a base's parts are written as files
	// (basefiles.go), by stream while they are encoded (basestream.go);
	// streamErr is why they cannot be.
	baseDir   string
	stream    *baseStream
	streamErr error
	// released are the write-ahead entries finished at the start, deleted
	// with it; oldest is the oldest entry it still needs.
	released []uint64
	oldest   uint64
	// ids and visitors are what it stores and deletes of the memory's
	// segments (memorylog.go).
	ids, visitors memoryWrite
	// written is how many bytes the write stored: the next checkpoint is
	// about as large, and the disk guard keeps room for it.
	written int64
	// state is sessionsEstimate at the start.
	state int64
	// chainBytes is what the write stored of the sessions (its base or
	// delta, not the envelope, which the next checkpoint replaces, nor the
	// memory's segments): what it adds to the chain a restore reads.
	chainBytes int64
	// encoded is closed once every part is encoded; result receives the
	// outcome of the write (when written in the background).
	encoded chan struct{}
	result  chan error
}

// newCheckpointRun starts a checkpoint of the state as it is now, with the
// encoded records not yet delivered (outbox).
func (s *state) newCheckpointRun(outbox [][]byte, epoch int64) *checkpointRun {
	run := &checkpointRun{
		epoch:    epoch,
		began:    time.Now(),
		released: s.walDone,
		oldest:   s.oldestLogged(),
		encoded:  make(chan struct{}),
	}
	s.walDone = nil
	memory := core.Memory{WholeIDs: s.ids.whole(), WholeVisitors: s.visitors.whole()}
	deltas := 0
	if delta := s.beginDelta(memory); delta != nil {
		run.snapshot, run.delta, run.index = delta, true, s.chain.deltas
		deltas = s.chain.deltas + 1
	} else {
		run.snapshot, run.staleDeltas = s.core.BeginSnapshot(memory), s.chain.deltas
		run.state = s.sessionsEstimate()
		if run.baseDir = s.cfg.WALDirectory; run.baseDir != "" {
			run.stream, run.streamErr = startBaseStream(run.baseDir, epoch, memory)
		}
	}
	run.ids = s.ids.plan(run.snapshot.IDsSpan(), memory.WholeIDs)
	run.visitors = s.visitors.plan(run.snapshot.VisitorsSpan(), memory.WholeVisitors)
	run.envelope = s.envelope(outbox, epoch, deltas, &run.ids, &run.visitors)
	return run
}

// beginDelta begins a delta when one may follow the stored chain: the
// deltas since the base are fewer than maxCheckpointDeltas, the chain is
// less than maxChainStates times the state (withinBound), and the sessions that
// changed take fewer bytes in a delta than a base would take
// (maxDeltaSessions). Otherwise a base is the smaller write, or the faster
// restore. A memory written whole goes with a base, so that with
// wal_directory it is a file written while it is encoded, as the sessions
// are: a million ids joined into one value and copied into file_storage's
// pages took 124 MiB more at once (BenchmarkCheckpointPeakRSS).
func (s *state) beginDelta(memory core.Memory) *core.Snapshot {
	c, estimate := s.chain, s.sessionsEstimate()
	if !c.based || c.deltas >= maxCheckpointDeltas || !c.withinBound(estimate) || memory.WholeIDs || memory.WholeVisitors {
		return nil
	}
	return s.core.BeginDelta(maxDeltaSessions(estimate), memory)
}

// maxChainStates bounds a chain: its base and deltas add up to less than
// this many times the sessions a base would write now, which is about what
// a restore reads at most. It trades that read, done once per restart or
// rebalance, against the bytes every checkpoint writes: a base follows
// once the deltas reach three times it, so bases write a third of what
// the deltas do, not as much. On steady traffic
// (BenchmarkChangelogWhileEventsTrickleIn, 27,000 visitors over 3.5 hours)
// the sessionizer's bases were 0.033 of the events' bytes at twice the
// state, the bound until 2026-12-07, and 0.011 at four times.
const maxChainStates = 4

// withinBound reports whether the chain is less than maxChainStates times
// the sessions a base would write now: what a restore reads beyond them is
// what the deltas overwrote. The state is not the last base: where it grew (a
// partition catching up), the deltas hold mostly what is new, not what
// they overwrote. The state's size is the last base's, grown as the
// estimate (stateNow, sessionsEstimate) grew since. The memory's segments
// are not in the chain: no entry of them is ever overwritten
// (memorylog.go).
func (c checkpointChain) withinBound(stateNow int64) bool {
	return c.baseBytes+c.deltaBytes < maxChainStates*c.stateBytes(stateNow)
}

// stateBytes is about what a base would write now, given sessionsEstimate
// now: the last base grown as the estimate grew since (the estimate itself
// after an empty base), never less than the last base.
func (c checkpointChain) stateBytes(stateNow int64) int64 {
	state := stateNow
	if c.baseState > 0 {
		state = int64(float64(c.baseBytes) * float64(stateNow) / float64(c.baseState))
	}
	return max(state, c.baseBytes)
}

// What a checkpoint takes, about: an open session in a base, a changed one
// in a delta (it names the visitor and site again), and each remembered id
// or visitor in a whole segment of its memory.
const (
	baseBytesPerSession   = 150
	deltaBytesPerSession  = 165
	bytesPerRememberedKey = 19
)

// maxDeltaSessions is how many changed sessions a delta may hold and still
// be the smaller write: a base holds every open session. sessionsEstimate
// is what a base would write.
func maxDeltaSessions(sessionsEstimate int64) int {
	return int(sessionsEstimate/deltaBytesPerSession) + 1024
}

// sessionsEstimate is about what a base of the state now writes: its open
// sessions.
func (s *state) sessionsEstimate() int64 {
	return int64(s.core.Live()) * baseBytesPerSession
}

// memoryEstimate is about what whole segments of the memory write: every
// remembered id and visitor.
func (s *state) memoryEstimate() int64 {
	return int64(s.core.Remembered()) * bytesPerRememberedKey
}

// The owner encodes a checkpoint this much at a time, between two groups of
// requests, so that a step delays the acks waiting behind it by about a
// millisecond. 4,096 sessions a step took 15-20 ms under the paced
// benchmark's load, and the acks of the requests that came in meanwhile
// waited that long: the paced ack p99 was set by the checkpoints.
const (
	checkpointSessionsPerStep = 512
	checkpointIDsPerStep      = 16 * checkpointSessionsPerStep
)

// step encodes a chunk more and reports whether the checkpoint is encoded.
func (r *checkpointRun) step() bool {
	return r.stepBy(checkpointSessionsPerStep, checkpointIDsPerStep)
}

func (r *checkpointRun) stepBy(sessions, ids int) bool {
	done := r.snapshot.Step(sessions, ids)
	r.handOver()
	if done {
		select {
		case <-r.encoded:
		default:
			close(r.encoded)
		}
	}
	return done
}

// handOver gives the base's stream what the last step made final.
func (r *checkpointRun) handOver() {
	if r.stream == nil || r.streamErr != nil {
		return
	}
	pieces, err := r.snapshot.Take()
	if err != nil {
		r.streamErr = err
		r.stream.abort()
		return
	}
	r.stream.push(pieces)
}

// abandon drops a checkpoint that will not be written: its base files are
// removed.
func (r *checkpointRun) abandon() {
	if r.stream != nil {
		r.stream.abort()
	}
}

// encodeAll encodes the rest at once.
func (r *checkpointRun) encodeAll() { r.stepBy(math.MaxInt, math.MaxInt) }

// write stores an encoded checkpoint, and deletes the write-ahead entries
// it finished, in one storage Batch. It reads only the encoded parts, so it
// may run beside the owner.
func (r *checkpointRun) write(ctx context.Context, client storage.Client, log writeAheadLog) error {
	ops := []*storage.Operation{storage.SetOperation(checkpointKey, r.envelope)}
	var inFiles []string
	// The memory's segments: values, or references to their files.
	ids, visitors := r.snapshot.IDs(), r.snapshot.Visitors()
	r.written, r.chainBytes = 0, 0
	switch {
	case r.delta:
		delta, err := encodeDelta(r.snapshot)
		if err != nil {
			return fmt.Errorf("write sessionize checkpoint: %w", err)
		}
		ops = append(ops, storage.SetOperation(deltaKey(r.index), delta))
		r.chainBytes = int64(len(delta))
	case r.baseDir != "":
		if r.streamErr != nil {
			r.abandon()
			return fmt.Errorf("write sessionize checkpoint: %w", r.streamErr)
		}
		refs, names, size, err := r.stream.wait(ctx)
		inFiles = names
		if err != nil {
			removeFiles(r.baseDir, names)
			return fmt.Errorf("write sessionize checkpoint: %w", err)
		}
		ops = append(ops, storage.SetOperation(sessionsKey, refs[streamSessions].encode()))
		r.written, r.chainBytes = size, refs[streamSessions].size
		ids, visitors = r.ids.inFile(refs[streamIDs], ids), r.visitors.inFile(refs[streamVisitors], visitors)
	default:
		sessions, err := r.snapshot.Sessions()
		if err != nil {
			return fmt.Errorf("write sessionize checkpoint: %w", err)
		}
		ops = append(ops, storage.SetOperation(sessionsKey, sessions))
		r.chainBytes = int64(len(sessions))
	}
	ops = append(ops, r.ids.ops(ids)...)
	ops = append(ops, r.visitors.ops(visitors)...)
	for _, op := range ops {
		r.written += int64(len(op.Value))
	}
	if !r.delta {
		// A base of checkpoint version 2 held the memory whole.
		ops = append(ops, storage.DeleteOperation(dedupKey), storage.DeleteOperation(visitorsKey))
	}
	for i := range r.staleDeltas {
		ops = append(ops, storage.DeleteOperation(deltaKey(i)))
	}
	ops = append(ops, log.release(r.released)...)
	if err := client.Batch(ctx, ops...); err != nil {
		if inFiles != nil {
			// No key names the new files: the stored base is still the last.
			removeFiles(r.baseDir, inFiles)
		}
		return fmt.Errorf("write sessionize checkpoint: %w", err)
	}
	if inFiles != nil {
		// The files of a whole memory stay while their segment is live.
		removeBaseFiles(r.baseDir, append(inFiles, r.ids.after.file, r.visitors.after.file))
	}
	return nil
}

// afterCheckpoint takes the outcome of run's write: on success the epoch
// moves on and the write-ahead log drops what the checkpoint covers; on
// failure the finished entries wait for the next checkpoint.
func (s *state) afterCheckpoint(run *checkpointRun, log writeAheadLog, err error) error {
	if err != nil {
		s.walDone = append(run.released, s.walDone...)
		// The core is marked at this checkpoint, which is not stored.
		s.chain.based, s.ids.based, s.visitors.based = false, false, false
		return err
	}
	s.epoch = run.epoch
	s.ids, s.visitors = run.ids.after, run.visitors.after
	if run.delta {
		s.chain.deltas++
		s.chain.deltaBytes += run.chainBytes
	} else {
		s.chain = checkpointChain{based: true, baseBytes: run.chainBytes, baseState: run.state}
	}
	return log.truncate(run.oldest)
}

// kind names what run writes, for the telemetry.
func (r *checkpointRun) kind() string {
	if r.delta {
		return "delta"
	}
	return "base"
}

// oldestLogged is the oldest write-ahead entry the state still needs: the
// oldest batch with records not yet placed, or the next to be written.
func (s *state) oldestLogged() uint64 {
	oldest := s.nextSeq
	for seq := range s.batches {
		oldest = min(oldest, seq)
	}
	return oldest
}
