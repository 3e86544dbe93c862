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
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// How state survives a restart:
//
//   - Write-ahead log: before ConsumeLogs answers success, the batch's records
//     are written under wal/<seq> (one storage Batch for all requests the owner
//     took together), with a mark for each record that was a duplicate.
//   - Checkpoint: every checkpoint_interval and on shutdown, the tracker's open
//     sessions, the dedup cache, the records placed but not yet accepted by the
//     next consumer, and the write-ahead bookkeeping are written under
//     "checkpoint", "checkpoint/sessions", "checkpoint/dedup" and
//     "checkpoint/visitors", in the same
//     storage Batch that deletes the write-ahead entries whose records are all
//     placed.
//   - Restore: the checkpoint, then the records of its retained write-ahead
//     entries that were still buffered (received after the checkpoint's
//     watermark), then every later write-ahead entry applied as it was the first
//     time.
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

func walKey(seq uint64) string { return fmt.Sprintf("wal/%016x", seq) }

var protoMarshaler = &plog.ProtoMarshaler{}

// walEntrySize is the size of b's write-ahead entry.
func walEntrySize(b *batch) int {
	return 1 + binary.MaxVarintLen64 + (len(b.inputs)+7)/8 + len(b.wal)
}

// encodeWAL is version, record count, accepted bitmap, then the records as OTLP protobuf.
func encodeWAL(b *batch, records []byte) []byte {
	out := make([]byte, 0, 1+binary.MaxVarintLen64+len(b.accepted)/8+1+len(records))
	out = append(out, walVersion)
	out = binary.AppendUvarint(out, uint64(len(b.accepted)))
	bitmap := make([]byte, (len(b.accepted)+7)/8)
	for i, ok := range b.accepted {
		if ok {
			bitmap[i/8] |= 1 << (i % 8)
		}
	}
	out = append(out, bitmap...)
	return append(out, records...)
}

func (p *sessionizeProcessor) decodeWAL(seq uint64, data []byte) (*batch, error) {
	if len(data) == 0 || data[0] != walVersion {
		return nil, fmt.Errorf("write-ahead entry %d: unknown version", seq)
	}
	count, n := binary.Uvarint(data[1:])
	if n <= 0 || count > maxBatchRecords {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: bad record count", seq)
	}
	rest := data[1+n:]
	bitmapLen := int((count + 7) / 8)
	if len(rest) < bitmapLen {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: short bitmap", seq)
	}
	ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(rest[bitmapLen:])
	if err != nil {
		return nil, fmt.Errorf("write-ahead entry %d: %w", seq, err)
	}
	// The records were corrected and validated before they were written:
	// reading them again gives the same inputs.
	b, _, _ := p.reader.read(ld)
	if uint64(len(b.inputs)) != count {
		return nil, fmt.Errorf("write-ahead entry %d is corrupt: %d records for %d marks", seq, len(b.inputs), count)
	}
	b.seq = seq
	b.accepted = make([]bool, count)
	for i := range b.accepted {
		b.accepted[i] = rest[i/8]&(1<<(i%8)) != 0
	}
	b.logged = true
	return b, nil
}

// checkpoint writes the state and deletes finished write-ahead entries.
// outbox holds the encoded records not yet accepted downstream.
func (s *state) checkpoint(ctx context.Context, client storage.Client, log writeAheadLog, outbox [][]byte) error {
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
	// The envelope's newest event time is no longer read (each site's clock
	// restarts from its watermark); it is kept for the format.
	buf = binary.AppendVarint(buf, 0)
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

// restored is what Restore hands back to the processor: output to deliver first.
type restored struct {
	outbox []plog.Logs
	steps  []*emitted
}

// restore loads the checkpoint and replays the write-ahead log. It returns the
// output to deliver, oldest first.
//
// Restore never bricks the collector: a part of the state that cannot be
// decoded (the checkpoint, its sessions, dedup or visitor memory, an
// undelivered batch, a write-ahead entry) is moved aside under quarantine/,
// logged and counted, and the processor starts with what it could read. Only
// a failing storage extension stops the start.
func (p *sessionizeProcessor) restore(ctx context.Context, client storage.Client) (*restored, error) {
	s := p.state
	out := &restored{}
	retained, err := p.restoreCheckpoint(ctx, client, out)
	if err != nil {
		return nil, err
	}
	now := p.now()
	s.restoreClocks(now)
	isRetained := make(map[uint64]bool, len(retained))
	for _, seq := range retained {
		isRetained[seq] = true
	}
	from := s.nextSeq
	err = p.wal.replay(ctx, retained, from, func(e wal.Entry) error {
		if e.Seq >= from {
			// An entry that cannot be read is skipped, not reused.
			s.nextSeq = max(s.nextSeq, e.Seq+1)
		}
		wasRetained := isRetained[e.Seq]
		delete(isRetained, e.Seq)
		b, err := p.decodeWAL(e.Seq, e.Data)
		if err != nil {
			return err
		}
		if !wasRetained {
			out.steps = append(out.steps, s.apply(b, now))
			return nil
		}
		return p.rebuffer(b, now)
	})
	if err != nil {
		return nil, err
	}
	for _, seq := range retained {
		if isRetained[seq] {
			p.settings.Logger.Error("Sessionize checkpoint names a write-ahead entry that is missing; its events are lost", zap.Uint64("seq", seq))
			p.countQuarantined(partWAL)
		}
	}
	return out, nil
}

// rebuffer takes back a retained batch's records that were still in the
// reorder buffer at the checkpoint: those received after their site's
// watermark. The others were placed before it.
func (p *sessionizeProcessor) rebuffer(b *batch, now time.Time) error {
	s := p.state
	for i := range b.inputs {
		in := &b.inputs[i]
		if !b.accepted[i] || !in.Received.After(s.tracker.Watermark(in.Key.Site)) {
			continue
		}
		in.Ref = ref(b.seq, i)
		b.unplaced++
		_, slot, err := s.tracker.Add(*in)
		if err != nil {
			return fmt.Errorf("restore write-ahead entry %d: %w", b.seq, err)
		}
		if _, ok := s.clocks[slot]; !ok {
			s.see(slot, s.tracker.Watermark(in.Key.Site).Add(s.cfg.AllowedLateness), now)
		}
	}
	if b.unplaced > 0 {
		s.batches[b.seq] = b
	} else {
		s.walDone = append(s.walDone, b.seq)
	}
	return nil
}

// Parts of the stored state, as the state_quarantined metric names them.
const (
	partCheckpoint  = "checkpoint"
	partSessions    = "sessions"
	partDedup       = "dedup"
	partVisitors    = "visitors"
	partUndelivered = "undelivered"
	partWAL         = "wal"
)

// restoreCheckpoint reads the checkpoint into the state and out, and returns
// the write-ahead entries it retained.
func (p *sessionizeProcessor) restoreCheckpoint(ctx context.Context, client storage.Client, out *restored) ([]uint64, error) {
	s := p.state
	data, err := client.Get(ctx, checkpointKey)
	if err != nil {
		return nil, fmt.Errorf("read sessionize checkpoint: %w", err)
	}
	if data == nil {
		return nil, nil
	}
	retained, outboxBytes, err := s.decodeEnvelope(data)
	if err != nil {
		// The parts belong to the envelope: without it they cannot be placed.
		s.nextSeq = 0
		for _, key := range []string{checkpointKey, sessionsKey, dedupKey, visitorsKey} {
			if qerr := p.quarantineKey(ctx, client, partCheckpoint, key, err); qerr != nil {
				return nil, qerr
			}
		}
		return nil, nil
	}
	parts := []struct {
		part, key string
		restore   func([]byte) error
		reset     func()
	}{
		{partSessions, sessionsKey, s.tracker.Restore, s.resetTracker},
		{partDedup, dedupKey, s.dedup.UnmarshalBinary, s.resetDedup},
		{partVisitors, visitorsKey, s.visitors.UnmarshalBinary, s.resetVisitors},
	}
	for _, part := range parts {
		stored, err := client.Get(ctx, part.key)
		if err != nil {
			return nil, fmt.Errorf("read sessionize checkpoint: %w", err)
		}
		if stored == nil && part.part == partVisitors {
			continue // checkpoints from before returning visitors have none
		}
		if err := part.restore(stored); err != nil {
			part.reset()
			if qerr := p.quarantineKey(ctx, client, part.part, part.key, err); qerr != nil {
				return nil, qerr
			}
		}
	}
	for i, item := range outboxBytes {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(item)
		if err != nil {
			if qerr := p.quarantineValue(ctx, client, partUndelivered, fmt.Sprintf("undelivered/%d", i), item, err); qerr != nil {
				return nil, qerr
			}
			continue
		}
		out.outbox = append(out.outbox, ld)
	}
	return retained, nil
}

// decodeEnvelope reads the checkpoint envelope into s.
func (s *state) decodeEnvelope(data []byte) (retained []uint64, outbox [][]byte, err error) {
	r := binread.New(data)
	version := r.Byte()
	if r.Err() == nil && version != checkpointVersion {
		return nil, nil, fmt.Errorf("sessionize checkpoint has version %d; this build reads version %d", version, checkpointVersion)
	}
	nextSeq := r.Uvarint()
	_ = r.Varint() // newest event time, no longer read
	for range r.Count() {
		retained = append(retained, r.Uvarint())
	}
	for range r.Count() {
		outbox = append(outbox, r.Bytes())
	}
	if r.Err() != nil {
		return nil, nil, fmt.Errorf("sessionize checkpoint is corrupt: %w", r.Err())
	}
	s.nextSeq = nextSeq
	return retained, outbox, nil
}

// quarantineKey moves the value stored under key aside.
func (p *sessionizeProcessor) quarantineKey(ctx context.Context, client storage.Client, part, key string, cause error) error {
	data, err := client.Get(ctx, key)
	if err != nil {
		return fmt.Errorf("read sessionize state %q: %w", key, err)
	}
	if data == nil {
		return nil
	}
	return p.quarantineValue(ctx, client, part, key, data, cause)
}

// quarantineValue stores data under quarantine/<time>/<key>, deletes key,
// and logs and counts what was lost.
func (p *sessionizeProcessor) quarantineValue(ctx context.Context, client storage.Client, part, key string, data []byte, cause error) error {
	aside := fmt.Sprintf("quarantine/%d/%s", p.now().UnixNano(), key)
	if err := client.Batch(ctx, storage.SetOperation(aside, data), storage.DeleteOperation(key)); err != nil {
		return fmt.Errorf("move unreadable sessionize state %q aside: %w", key, err)
	}
	p.settings.Logger.Error("Sessionize state could not be read; it was moved aside and the processor starts without it",
		zap.String("part", part), zap.String("moved_to", aside), zap.Error(cause))
	p.countQuarantined(part)
	return nil
}

func (p *sessionizeProcessor) countQuarantined(part string) {
	p.telemetry.ProcessorSessionizeStateQuarantined.Add(context.Background(), 1, metric.WithAttributes(attribute.String("part", part)))
}
