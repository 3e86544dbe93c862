// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/footfall-analytics/footfall/internal/binread"
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
//   - Checkpoint (what is stored: this file; a run: checkpointrun.go; when:
//     checkpointschedule.go): every checkpoint_interval and on shutdown, the
//     tracker's open sessions, the dedup and visitor memory, the records
//     placed but not yet accepted by the next consumer, and the write-ahead
//     bookkeeping are written in one storage Batch. The envelope
//     ("checkpoint") holds the bookkeeping and the undelivered records. The
//     sessions are either a base, all of them under "checkpoint/sessions",
//     or a delta: what changed since the checkpoint before, under
//     "checkpoint/delta/<n>" (internal/core BeginDelta). The envelope
//     counts the deltas after the base; a base deletes them. A delta is
//     written while the base and the deltas since add up to less than
//     maxChainStates times the sessions (and at most maxCheckpointDeltas),
//     so a restore reads at most that, and a checkpoint of a million sessions
//     where a thousand changed writes a thousand. The memory is segments:
//     each checkpoint stores the ids and visitors remembered since the one
//     before under keys of their own, and deletes those forgotten
//     (memorylog.go); the envelope names the live ones. A write-ahead entry is done once every record of
//     it is placed: the checkpoint deletes those keys, or the segments
//     holding only such entries. The periodic checkpoint is the state at
//     one instant, taken without stopping intake: see checkpointRun.
//   - Restore (restore.go): the base and its deltas, the memory's live
//     segments, then the records of the retained write-ahead entries that
//     were still buffered (received after the checkpoint's watermark), then
//     every later write-ahead entry applied as it was the first time.
//
// After a crash, output emitted since the last checkpoint is emitted again
// (at least once); after a clean shutdown, nothing is repeated or lost.
const (
	checkpointKey = "checkpoint"
	// The open sessions and the memory are large (about 69 bytes per
	// session at a million, and 18 per id or visitor): they go under keys
	// of their own, written in the same transaction, rather than being
	// copied into the envelope.
	sessionsKey = "checkpoint/sessions"
	// dedupKey and visitorsKey held the memory whole in a base of
	// checkpoint version 2: read, and deleted by the next base.
	dedupKey    = "checkpoint/dedup"
	visitorsKey = "checkpoint/visitors"
	// deltaKeyPrefix and the delta's index after the base name a delta.
	deltaKeyPrefix = "checkpoint/delta/"
	// The memory's segments, by their number (memorylog.go).
	idsSegmentPrefix      = "checkpoint/ids/"
	visitorsSegmentPrefix = "checkpoint/visitors/"
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
	// the versions it knows and moves others aside. Version 3 keeps the
	// memory in segments (the envelope names them); version 2 added the
	// count of deltas, and is read with the memory its base and deltas
	// hold; version 1 is read as a base alone.
	checkpointVersion = 3
)

func deltaKey(i int) string { return deltaKeyPrefix + strconv.Itoa(i) }

// maxCheckpointDeltas bounds the deltas after a base, and so the keys a
// restore reads one by one. The chain's bytes are bounded by the state
// (withinBound); this only stops a long run of small deltas, and is high
// enough not to come first where the state is large beside what changes
// between two checkpoints: at 32 such a state was written whole every 32
// checkpoints, whatever the bytes (in the changelog of
// BenchmarkChangelogWhileEventsTrickleIn/visitors=9000 the sessionizer's
// bases took 0.069 of the events' bytes, 0.025 at 256). A build of before
// 2026-12-07 reads a chain of more than 32 deltas as corrupt and sets it
// aside.
const maxCheckpointDeltas = 256

// encodeDelta stores an encoded delta's sessions. The value keeps the three
// parts of checkpoint version 2, whose deltas held the memory's changes
// too: since version 3 those are segments, and the parts are empty.
func encodeDelta(delta *core.Snapshot) ([]byte, error) {
	sessions, err := delta.Sessions()
	if err != nil {
		return nil, err
	}
	buf := make([]byte, 0, len(sessions)+3*binary.MaxVarintLen64)
	buf = appendBytes(buf, sessions)
	buf = appendBytes(buf, nil)
	return appendBytes(buf, nil), nil
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
// the participants' epoch, the batches with records still buffered, the
// undelivered records, the count of deltas, and each memory's live
// segments and front.
func (s *state) envelope(outbox [][]byte, epoch int64, deltas int, ids, visitors *memoryWrite) []byte {
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
	buf = binary.AppendUvarint(buf, uint64(deltas))
	for _, m := range []*memoryWrite{ids, visitors} {
		buf = binary.AppendUvarint(buf, uint64(m.after.first))
		buf = binary.AppendUvarint(buf, uint64(m.after.next()))
		buf = binary.AppendUvarint(buf, m.front)
	}
	return buf
}

// storedMemory is what an envelope says of a memory's segments: they are
// numbered from first up to next, and the memory had forgotten the entries
// below front. known is false for an envelope of version 2 or before.
type storedMemory struct {
	known       bool
	first, next int
	front       uint64
}

// envelopeContents is what decodeEnvelope reads besides the state's own
// fields: the write-ahead entries retained, the undelivered records, the
// count of deltas after the base and the memory's segments.
type envelopeContents struct {
	retained      []uint64
	outbox        [][]byte
	deltas        int
	ids, visitors storedMemory
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// decodeEnvelope reads the checkpoint envelope into s, and returns what
// else it holds.
func (s *state) decodeEnvelope(data []byte) (envelopeContents, error) {
	var c envelopeContents
	r := binread.New(data)
	version := r.Byte()
	if r.Err() == nil && (version < 1 || version > checkpointVersion) {
		return c, fmt.Errorf("sessionize checkpoint has version %d; this build reads versions 1 to %d", version, checkpointVersion)
	}
	nextSeq := r.Uvarint()
	epoch := r.Varint()
	for range r.Count() {
		c.retained = append(c.retained, r.Uvarint())
	}
	for range r.Count() {
		c.outbox = append(c.outbox, r.Bytes())
	}
	if version >= 2 {
		c.deltas = int(r.Uvarint())
	}
	if version >= 3 {
		c.ids, c.visitors = readStoredMemory(r), readStoredMemory(r)
	}
	if r.Err() == nil && c.deltas > maxCheckpointDeltas {
		return envelopeContents{}, fmt.Errorf("sessionize checkpoint is corrupt: %d deltas", c.deltas)
	}
	if r.Err() != nil {
		return envelopeContents{}, fmt.Errorf("sessionize checkpoint is corrupt: %w", r.Err())
	}
	s.nextSeq, s.epoch = nextSeq, epoch
	return c, nil
}

func readStoredMemory(r *binread.Reader) storedMemory {
	m := storedMemory{known: true, first: int(r.Uvarint()), next: int(r.Uvarint()), front: r.Uvarint()}
	if r.Err() == nil && (m.first < 0 || m.next < m.first || m.next-m.first > maxMemorySegments) {
		r.Fail(fmt.Errorf("segments %d to %d", m.first, m.next))
	}
	return m
}
