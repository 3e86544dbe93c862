// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/cosave"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"
)

// How state survives a restart:
//
//   - Write-ahead log (wal.go): before ConsumeLogs answers success, the
//     batch's records are appended to the log, one append and one sync for
//     all requests the owner took together (and, with segment files, for
//     every group that waited while the last one synced), with a mark for
//     each record that was a duplicate. No checkpoint begins while a group
//     is written and not yet applied: it records the next sequence number
//     as applied. The log is segment files (wal_directory) or keys
//     wal/<seq> of the storage extension. A move of the idle watermark
//     that places something is an entry too (idle.go).
//   - Checkpoint (this file): every checkpoint_interval and on shutdown, the
//     tracker's open sessions, the dedup and visitor memory, the records
//     placed but not yet accepted by the next consumer, and the write-ahead
//     bookkeeping are written in one storage Batch. The envelope
//     ("checkpoint") holds the bookkeeping and the undelivered records. The
//     state is either a base, all of it under "checkpoint/sessions",
//     "checkpoint/dedup" and "checkpoint/visitors", or a delta: what
//     changed since the checkpoint before, under "checkpoint/delta/<n>"
//     (internal/core TakeDelta). The envelope counts the deltas after the
//     base; a base deletes them. A delta is written while the base and the
//     deltas since add up to less than twice the state (and at most
//     maxCheckpointDeltas), so a restore reads at most twice the state,
//     and a checkpoint of a million sessions where a thousand changed
//     writes a thousand. A write-ahead entry is done once every record of
//     it is placed: the checkpoint deletes those keys, or the segments
//     holding only such entries. The periodic checkpoint is the state at
//     one instant, taken without stopping intake: see checkpointRun.
//   - Restore (restore.go): the base and its deltas, then the records of
//     the retained write-ahead entries that were still buffered (received
//     after the checkpoint's watermark), then every later write-ahead entry
//     applied as it was the first time.
//
// After a crash, output emitted since the last checkpoint is emitted again
// (at least once); after a clean shutdown, nothing is repeated or lost.
const (
	checkpointKey = "checkpoint"
	// The open sessions and the dedup memory are large (about 142 bytes per
	// session at a million): they go under keys of their own, written in the
	// same transaction, rather than being copied into the envelope.
	sessionsKey = "checkpoint/sessions"
	dedupKey    = "checkpoint/dedup"
	visitorsKey = "checkpoint/visitors"
	// deltaKeyPrefix and the delta's index after the base name a delta.
	deltaKeyPrefix = "checkpoint/delta/"
	// walVersion is an entry whose records follow as OTLP protobuf, as
	// every batch's were written until 2026-12-06; read, no longer written.
	walVersion = 1
	// walVersionByRef is an entry that holds where its records can be read
	// again (internal/sourcelog) in place of the records.
	walVersionByRef = 2
	// walVersionMoves is an entry of the idle watermark's moves (idle.go).
	walVersionMoves = 3
	// walVersionCompressed is an entry whose records follow as compressed
	// OTLP (recordcodec.go).
	walVersionCompressed = 4
	// checkpointVersion is bumped whenever the envelope changes; Restore reads
	// the versions it knows and moves others aside. Version 2 added the
	// count of deltas; version 1 is read as a base alone.
	checkpointVersion = 2
)

func deltaKey(i int) string { return deltaKeyPrefix + strconv.Itoa(i) }

// maxCheckpointDeltas bounds the deltas after a base, and so the keys a
// restore reads.
const maxCheckpointDeltas = 32

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
	// written is how many bytes the write stored: the next checkpoint is
	// about as large, and the disk guard keeps room for it.
	written int64
	// state is baseEstimate at the start.
	state int64
	// chainBytes is what the write stored of the state (its base or
	// delta, not the envelope, which the next checkpoint replaces): what
	// it adds to the chain a restore reads.
	chainBytes int64
	// encoded is closed once every part is encoded; result receives the
	// outcome of the write (when written in the background).
	encoded chan struct{}
	result  chan error
}

// beginCheckpoint starts a checkpoint of the state as it is now, with the
// encoded records not yet delivered (outbox).
func (s *state) beginCheckpoint(outbox [][]byte, epoch int64) *checkpointRun {
	run := &checkpointRun{
		epoch:    epoch,
		began:    time.Now(),
		released: s.walDone,
		oldest:   s.oldestLogged(),
		encoded:  make(chan struct{}),
	}
	s.walDone = nil
	if delta := s.beginDelta(); delta != nil {
		run.snapshot, run.delta, run.index = delta, true, s.chain.deltas
		run.envelope = s.envelope(outbox, epoch, s.chain.deltas+1)
		return run
	}
	run.snapshot, run.staleDeltas = s.core.BeginSnapshot(), s.chain.deltas
	run.state = s.baseEstimate()
	if run.baseDir = s.cfg.WALDirectory; run.baseDir != "" {
		run.stream, run.streamErr = startBaseStream(run.baseDir, epoch)
	}
	run.envelope = s.envelope(outbox, epoch, 0)
	return run
}

// beginDelta begins a delta when one may follow the stored chain: the
// deltas since the base are fewer than maxCheckpointDeltas, the chain is
// less than twice the state (withinBound), and the sessions that
// changed take fewer bytes in a delta than a base would take
// (maxDeltaSessions). Otherwise a base is the smaller write, or the faster
// restore.
func (s *state) beginDelta() *core.Snapshot {
	c, estimate := s.chain, s.baseEstimate()
	if !c.based || c.deltas >= maxCheckpointDeltas || !c.withinBound(estimate) {
		return nil
	}
	return s.core.BeginDelta(maxDeltaSessions(estimate))
}

// withinBound reports whether the chain is less than twice the state a base
// would write now: what a restore reads beyond the state is what the deltas
// overwrote. The state is not the last base: where it grew (a partition
// catching up, a new day's visitors), the deltas hold mostly what is new,
// not what they overwrote, and a base written whenever they added up to the
// last one rewrote the whole memory at every other checkpoint. The state's
// size is the last base's, grown as the estimate (stateNow, baseEstimate)
// grew since.
func (c checkpointChain) withinBound(stateNow int64) bool {
	return c.baseBytes+c.deltaBytes < 2*c.stateBytes(stateNow)
}

// stateBytes is about what a base would write now, given baseEstimate now: the last base grown as the estimate grew since (the
// estimate itself after an empty base), never less than the last base.
func (c checkpointChain) stateBytes(stateNow int64) int64 {
	state := stateNow
	if c.baseState > 0 {
		state = int64(float64(c.baseBytes) * float64(stateNow) / float64(c.baseState))
	}
	return max(state, c.baseBytes)
}

// What a checkpoint takes, about: an open session in a base, a changed one
// in a delta (it names the visitor and site again), and each remembered id
// or visitor in a base.
const (
	baseBytesPerSession   = 150
	deltaBytesPerSession  = 165
	bytesPerRememberedKey = 24
)

// maxDeltaSessions is how many changed sessions a delta may hold and still
// be the smaller write: a base holds every open session and the whole
// dedup and visitor memory. Counting the memory matters where most
// sessions change between two checkpoints (a partition catching up, a
// short checkpoint_interval): a base rewrote up to a million ids and
// visitors each time, where a delta holds those remembered since.
// baseEstimate is what a base would write.
func maxDeltaSessions(baseEstimate int64) int {
	return int(baseEstimate/deltaBytesPerSession) + 1024
}

// baseEstimate is about what a base of the state now writes: its open
// sessions and remembered ids and visitors.
func (s *state) baseEstimate() int64 {
	return int64(s.core.Live())*baseBytesPerSession + int64(s.core.Remembered())*bytesPerRememberedKey
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
	r.written = 0
	switch {
	case r.delta:
		delta, err := encodeDelta(r.snapshot)
		if err != nil {
			return fmt.Errorf("write sessionize checkpoint: %w", err)
		}
		ops = append(ops, storage.SetOperation(deltaKey(r.index), delta))
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
		ops = append(ops, refs...)
		r.written = size
	default:
		sessions, err := r.snapshot.Sessions()
		if err != nil {
			return fmt.Errorf("write sessionize checkpoint: %w", err)
		}
		ops = append(ops,
			storage.SetOperation(sessionsKey, sessions),
			storage.SetOperation(dedupKey, r.snapshot.IDs()),
			storage.SetOperation(visitorsKey, r.snapshot.Visitors()))
	}
	for _, op := range ops {
		r.written += int64(len(op.Value))
	}
	r.chainBytes = r.written - int64(len(r.envelope))
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
		removeBaseFiles(r.baseDir, inFiles)
	}
	return nil
}

// finishCheckpoint takes the outcome of run's write: on success the epoch
// moves on and the write-ahead log drops what the checkpoint covers; on
// failure the finished entries wait for the next checkpoint.
func (s *state) finishCheckpoint(run *checkpointRun, log writeAheadLog, err error) error {
	if err != nil {
		s.walDone = append(run.released, s.walDone...)
		// The core is marked at this checkpoint, which is not stored.
		s.chain.based = false
		return err
	}
	s.epoch = run.epoch
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

// encodeDelta joins an encoded delta's parts into one stored value.
func encodeDelta(delta *core.Snapshot) ([]byte, error) {
	sessions, err := delta.Sessions()
	if err != nil {
		return nil, err
	}
	ids, visitors := delta.IDs(), delta.Visitors()
	buf := make([]byte, 0, len(sessions)+len(ids)+len(visitors)+3*binary.MaxVarintLen64)
	buf = appendBytes(buf, sessions)
	buf = appendBytes(buf, ids)
	return appendBytes(buf, visitors), nil
}

// storedDelta is a stored delta's parts.
type storedDelta struct{ sessions, ids, visitors []byte }

// decodeDelta splits a stored delta into its parts.
func decodeDelta(data []byte) (storedDelta, error) {
	r := binread.New(data)
	d := storedDelta{sessions: r.Bytes(), ids: r.Bytes(), visitors: r.Bytes()}
	if r.Err() == nil && r.Len() != 0 {
		return storedDelta{}, fmt.Errorf("sessionize checkpoint delta is corrupt: %d bytes after the end", r.Len())
	}
	if r.Err() != nil {
		return storedDelta{}, fmt.Errorf("sessionize checkpoint delta is corrupt: %w", r.Err())
	}
	return d, nil
}

// envelope encodes the checkpoint's small part: the write-ahead position,
// the participants' epoch, the batches with records still buffered, and
// the undelivered records.
func (s *state) envelope(outbox [][]byte, epoch int64, deltas int) []byte {
	buf := make([]byte, 0, 64+binary.MaxVarintLen64*len(s.batches))
	buf = append(buf, checkpointVersion)
	buf = binary.AppendUvarint(buf, s.nextSeq)
	// The participants' state saved with this checkpoint. The field held
	// the newest event time, always written 0 since it stopped being read,
	// which reads as "no participant state".
	buf = binary.AppendVarint(buf, epoch)
	buf = binary.AppendUvarint(buf, uint64(len(s.batches)))
	for seq := range s.batches {
		buf = binary.AppendUvarint(buf, seq)
	}
	buf = binary.AppendUvarint(buf, uint64(len(outbox)))
	for _, item := range outbox {
		buf = appendBytes(buf, item)
	}
	return binary.AppendUvarint(buf, uint64(deltas))
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

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// checkpointTimeout bounds a checkpoint's storage calls: the participants'
// saves and the write.
const checkpointTimeout = 30 * time.Second

// requestCheckpoint starts a checkpoint in the background, unless one is
// under way: delivery is asked to pause, and the owner begins the
// checkpoint once it has (beginInBackground).
func (p *sessionizeProcessor) requestCheckpoint() {
	if p.pausing == nil && p.running == nil {
		p.pausing = p.outbox.requestPause()
	}
}

// beginInBackground begins the checkpoint requested, now that delivery is
// paused. Its goroutine has the participants save their state under its
// epoch, lets delivery go on, waits for the owner to encode the rest
// (stepCheckpoint) and writes it.
func (p *sessionizeProcessor) beginInBackground() {
	p.pausing = nil
	run := p.beginCheckpoint()
	run.result = make(chan error, 1)
	p.running = run
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
		defer cancel()
		err := p.saveParticipants(ctx, run.epoch)
		p.outbox.resume()
		<-run.encoded
		if err == nil {
			err = run.write(ctx, p.client, p.wal)
		} else {
			run.abandon()
		}
		run.result <- err
	}()
}

// beginCheckpoint begins the next checkpoint; delivery must be paused.
func (p *sessionizeProcessor) beginCheckpoint() *checkpointRun {
	p.checkpointed = checkpointedAt{nextSeq: p.state.nextSeq, delivered: p.outbox.deliveredCount()}
	return p.state.beginCheckpoint(p.outbox.snapshot(p.encode), p.state.epoch+1)
}

// checkpointedAt is where the last checkpoint began: the next write-ahead
// sequence number and the items delivered by then.
type checkpointedAt struct {
	nextSeq, delivered uint64
}

// stepCheckpoint encodes a chunk of the checkpoint under way.
func (p *sessionizeProcessor) stepCheckpoint() { p.running.step() }

// encodingCheckpoint reports whether a checkpoint has parts left to encode.
func (p *sessionizeProcessor) encodingCheckpoint() bool {
	if p.running == nil {
		return false
	}
	select {
	case <-p.running.encoded:
		return false
	default:
		return true
	}
}

// checkpointWritten takes the outcome of the background write.
func (p *sessionizeProcessor) checkpointWritten(err error) {
	run := p.running
	p.running = nil
	if err := p.finishCheckpoint(run, err); err != nil {
		p.settings.Logger.Error("Sessionize checkpoint failed; the write-ahead log is kept until one succeeds", zap.Error(err))
	}
}

// finishCheckpoint applies the outcome of run's write and records how long
// the checkpoint took.
func (p *sessionizeProcessor) finishCheckpoint(run *checkpointRun, err error) error {
	err = p.state.finishCheckpoint(run, p.wal, err)
	outcome := "success"
	if err != nil {
		outcome = "failure"
	} else {
		p.telemetry.ProcessorSessionizeCheckpointBytes.Add(context.Background(), run.written, metric.WithAttributes(attribute.String("kind", run.kind())))
		if p.disk != nil {
			// The next checkpoint may be a base of the state as it is.
			p.disk.CheckpointWritten(p.state.chain.stateBytes(p.state.baseEstimate()) + int64(len(run.envelope)))
		}
	}
	p.telemetry.ProcessorSessionizeCheckpointDuration.Record(context.Background(), time.Since(run.began).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
	return err
}

// settleCheckpoint completes the checkpoint under way, if any: a pause not
// yet granted is withdrawn; a checkpoint begun is encoded at once and its
// write waited for.
func (p *sessionizeProcessor) settleCheckpoint() {
	if p.pausing != nil {
		p.outbox.withdraw(p.pausing)
		p.pausing = nil
	}
	if p.running != nil {
		p.running.encodeAll()
		p.checkpointWritten(<-p.running.result)
	}
}

// writeCheckpoint checkpoints the state at once, at shutdown. Delivery is
// paused from the start until the participants have saved their state.
func (p *sessionizeProcessor) writeCheckpoint(ctx context.Context) error {
	p.settleCheckpoint()
	resume, err := p.outbox.pause(p.handoffWait)
	if err != nil {
		return err
	}
	run := p.beginCheckpoint()
	run.encodeAll()
	err = p.saveParticipants(ctx, run.epoch)
	resume()
	if err == nil {
		err = run.write(ctx, p.client, p.wal)
	} else {
		run.abandon()
	}
	return p.finishCheckpoint(run, err)
}

// saveParticipants has every participant (internal/cosave) save its state
// under epoch. Delivery must be paused: what was delivered is in their
// state, the rest in the checkpoint.
func (p *sessionizeProcessor) saveParticipants(ctx context.Context, epoch int64) error {
	for _, member := range cosave.Members(p.storageExt) {
		if err := member.SaveState(ctx, epoch); err != nil {
			return fmt.Errorf("save the state kept with the checkpoint: %w", err)
		}
	}
	return nil
}

// restoreParticipants has every participant load the state saved with the
// restored checkpoint, before anything is delivered to it.
func (p *sessionizeProcessor) restoreParticipants(ctx context.Context) error {
	for _, member := range cosave.Members(p.storageExt) {
		if err := member.RestoreState(ctx, p.state.epoch); err != nil {
			return fmt.Errorf("restore the state kept with the checkpoint: %w", err)
		}
	}
	return nil
}

// replayDelivered tells every participant that what the processor restored
// to deliver again has all been delivered (cosave.Participant).
func (p *sessionizeProcessor) replayDelivered() {
	for _, member := range cosave.Members(p.storageExt) {
		member.ReplayDelivered()
	}
}

// encode makes the OTLP encoding of undelivered output for a checkpoint.
func (p *sessionizeProcessor) encode(ld plog.Logs) []byte {
	wire, err := protoMarshaler.MarshalLogs(ld)
	if err != nil {
		// Records that decoded from OTLP always encode again.
		p.settings.Logger.Error("Cannot encode sessionize output for the checkpoint", zap.Error(err))
	}
	return wire
}

// decodeEnvelope reads the checkpoint envelope into s, and returns the
// write-ahead entries it retained, the undelivered records and the count of
// deltas after the base.
func (s *state) decodeEnvelope(data []byte) (retained []uint64, outbox [][]byte, deltas int, err error) {
	r := binread.New(data)
	version := r.Byte()
	if r.Err() == nil && (version < 1 || version > checkpointVersion) {
		return nil, nil, 0, fmt.Errorf("sessionize checkpoint has version %d; this build reads versions 1 to %d", version, checkpointVersion)
	}
	nextSeq := r.Uvarint()
	epoch := r.Varint()
	for range r.Count() {
		retained = append(retained, r.Uvarint())
	}
	for range r.Count() {
		outbox = append(outbox, r.Bytes())
	}
	if version >= 2 {
		deltas = int(r.Uvarint())
	}
	if r.Err() == nil && deltas > maxCheckpointDeltas {
		return nil, nil, 0, fmt.Errorf("sessionize checkpoint is corrupt: %d deltas", deltas)
	}
	if r.Err() != nil {
		return nil, nil, 0, fmt.Errorf("sessionize checkpoint is corrupt: %w", r.Err())
	}
	s.nextSeq, s.epoch = nextSeq, epoch
	return retained, outbox, deltas, nil
}
