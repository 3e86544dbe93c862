// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/binread"
	"github.com/footfall-analytics/footfall/internal/cosave"
)

// How state survives a restart:
//
//   - Write-ahead log (wal.go): before ConsumeLogs answers success, the
//     batch's records are appended to the log, one append and one sync for
//     all requests the owner took together, with a mark for each record that
//     was a duplicate. The log is segment files (wal_directory) or keys
//     wal/<seq> of the storage extension.
//   - Checkpoint (this file): every checkpoint_interval and on shutdown, the
//     tracker's open sessions, the dedup and visitor memory, the records
//     placed but not yet accepted by the next consumer, and the write-ahead
//     bookkeeping are written under "checkpoint", "checkpoint/sessions",
//     "checkpoint/dedup" and "checkpoint/visitors" in one storage Batch. A
//     write-ahead entry is done once every record of it is placed: the
//     checkpoint deletes those keys, or the segments holding only such
//     entries.
//   - Restore (restore.go): the checkpoint, then the records of its retained
//     write-ahead entries that were still buffered (received after the
//     checkpoint's watermark), then every later write-ahead entry applied as
//     it was the first time.
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
	walVersion  = 1
	// checkpointVersion is bumped whenever the envelope changes; Restore reads
	// the versions it knows and moves others aside.
	checkpointVersion = 1
)

// checkpoint writes the state and deletes finished write-ahead entries.
// outbox holds the encoded records not yet accepted downstream.
// checkpointWithParticipants writes a checkpoint at a point where every
// record delivered is in the participants' state and every other one in
// the checkpoint: delivery is paused meanwhile (see internal/cosave).
func (p *sessionizeProcessor) checkpointWithParticipants(ctx context.Context) error {
	resume, err := p.outbox.pause(p.handoffWait)
	if err != nil {
		return err
	}
	defer resume()
	outbox := p.outbox.snapshot(p.encode)
	epoch := p.state.epoch + 1
	for _, member := range cosave.Members(p.storageExt) {
		if err := member.SaveState(ctx, epoch); err != nil {
			return fmt.Errorf("save the state kept with the checkpoint: %w", err)
		}
	}
	if err := p.state.checkpoint(ctx, p.client, p.wal, outbox, epoch); err != nil {
		return err
	}
	p.state.epoch = epoch
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

func (s *state) checkpoint(ctx context.Context, client storage.Client, log writeAheadLog, outbox [][]byte, epoch int64) error {
	dedupBytes, err := s.dedup.MarshalBinary()
	if err != nil {
		return err
	}
	visitorBytes, err := s.visitors.MarshalBinary()
	if err != nil {
		return err
	}
	trackerBytes := s.tracker.Checkpoint()
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
	ops := []*storage.Operation{
		storage.SetOperation(checkpointKey, buf),
		storage.SetOperation(sessionsKey, trackerBytes),
		storage.SetOperation(dedupKey, dedupBytes),
		storage.SetOperation(visitorsKey, visitorBytes),
	}
	ops = append(ops, log.release(s.walDone)...)
	if err := client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("write sessionize checkpoint: %w", err)
	}
	s.walDone = s.walDone[:0]
	return log.truncate(s.oldestLogged())
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

// writeCheckpoint checkpoints the state and records how long it took.
func (p *sessionizeProcessor) writeCheckpoint(ctx context.Context) error {
	start := time.Now()
	err := p.checkpointWithParticipants(ctx)
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	p.telemetry.ProcessorSessionizeCheckpointDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
	return err
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

// decodeEnvelope reads the checkpoint envelope into s.
func (s *state) decodeEnvelope(data []byte) (retained []uint64, outbox [][]byte, err error) {
	r := binread.New(data)
	version := r.Byte()
	if r.Err() == nil && version != checkpointVersion {
		return nil, nil, fmt.Errorf("sessionize checkpoint has version %d; this build reads version %d", version, checkpointVersion)
	}
	nextSeq := r.Uvarint()
	epoch := r.Varint()
	for range r.Count() {
		retained = append(retained, r.Uvarint())
	}
	for range r.Count() {
		outbox = append(outbox, r.Bytes())
	}
	if r.Err() != nil {
		return nil, nil, fmt.Errorf("sessionize checkpoint is corrupt: %w", r.Err())
	}
	s.nextSeq, s.epoch = nextSeq, epoch
	return retained, outbox, nil
}
