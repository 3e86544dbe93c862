// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

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
	now := p.clock.Now()
	s.core.RestoreClocks(now)
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
		if len(e.Data) > 0 && e.Data[0] == walVersionMoves {
			return p.replayMoves(e, wasRetained, out)
		}
		b, err := p.decodeWAL(ctx, e.Seq, e.Data)
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

// replayMoves applies an entry of the idle watermark's moves again (a
// checkpoint never retains one: it is done once applied).
func (p *sessionizeProcessor) replayMoves(e wal.Entry, retained bool, out *restored) error {
	moves, err := decodeMoves(e.Seq, e.Data)
	if err != nil || retained {
		return err
	}
	out.steps = append(out.steps, p.state.move(moves))
	p.state.walDone = append(p.state.walDone, e.Seq)
	return nil
}

// rebuffer takes back a retained batch's records that were still in the
// core's reorder buffer at the checkpoint (core.Rebuffer).
func (p *sessionizeProcessor) rebuffer(b *batch, now time.Time) error {
	s := p.state
	unplaced := 0
	for i := range b.inputs {
		if !b.accepted[i] {
			continue
		}
		in := &b.inputs[i]
		in.Ref = ref(b.seq, i)
		buffered, err := s.core.Rebuffer(in, now)
		if err != nil {
			return fmt.Errorf("restore write-ahead entry %d: %w", b.seq, err)
		}
		if buffered {
			unplaced++
		}
	}
	s.hold(b, unplaced)
	s.compact(b)
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
	contents, err := s.decodeEnvelope(data)
	if err != nil {
		// The parts belong to the envelope: without it they cannot be placed.
		s.nextSeq = 0
		keys := []string{checkpointKey, sessionsKey, dedupKey, visitorsKey}
		for i := range maxCheckpointDeltas {
			keys = append(keys, deltaKey(i))
		}
		for _, key := range keys {
			if qerr := p.quarantineKey(ctx, client, partCheckpoint, key, err); qerr != nil {
				return nil, qerr
			}
		}
		return nil, nil
	}
	if err := p.restoreState(ctx, client, contents); err != nil {
		return nil, err
	}
	for i, item := range contents.outbox {
		ld, err := (&plog.ProtoUnmarshaler{}).UnmarshalLogs(item)
		if err != nil {
			if qerr := p.quarantineValue(ctx, client, partUndelivered, fmt.Sprintf("undelivered/%d", i), item, err); qerr != nil {
				return nil, qerr
			}
			continue
		}
		out.outbox = append(out.outbox, ld)
	}
	return contents.retained, nil
}

// statePart is one part of the core's stored state: its base key, how the
// core restores it and applies a delta of it.
type statePart struct {
	part, key  string
	restore    func([]byte) error
	applyDelta func([]byte) error
	ofDelta    func(storedDelta) []byte
	// unreadable: the part could not be read; it takes no later delta.
	unreadable bool
}

// restoreState reads the base of the core's state, then applies the deltas
// after it, then the memory's segments. A part (sessions, dedup, visitors)
// whose base, a delta or a segment cannot be read starts from what could be
// read before it (the sessions) or empty (the memory) and takes no later
// delta; the next checkpoint then writes it whole.
func (p *sessionizeProcessor) restoreState(ctx context.Context, client storage.Client, stored envelopeContents) error {
	c := p.state.core
	parts := []*statePart{
		{part: partSessions, key: sessionsKey, restore: c.RestoreSessions, applyDelta: c.ApplySessionsDelta, ofDelta: func(d storedDelta) []byte { return d.sessions }},
	}
	if !stored.ids.known {
		// Checkpoint version 2: the base and the deltas hold the memory.
		parts = append(parts,
			&statePart{part: partDedup, key: dedupKey, restore: c.RestoreIDs, applyDelta: c.ApplyIDsDelta, ofDelta: func(d storedDelta) []byte { return d.ids }},
			&statePart{part: partVisitors, key: visitorsKey, restore: c.RestoreVisitors, applyDelta: c.ApplyVisitorsDelta, ofDelta: func(d storedDelta) []byte { return d.visitors }})
	}
	chain := checkpointChain{deltas: stored.deltas}
	for _, part := range parts {
		stored, err := client.Get(ctx, part.key)
		if err != nil {
			return fmt.Errorf("read sessionize checkpoint: %w", err)
		}
		if stored == nil && part.part == partVisitors {
			// Checkpoints from before returning visitors have none.
			part.unreadable = true
			continue
		}
		// The value, or the base file it names (basefiles.go).
		data, err := readBasePart(p.cfg.WALDirectory, stored)
		chain.baseBytes += int64(len(data))
		if err == nil {
			err = part.restore(data)
		}
		if err != nil {
			part.unreadable = true
			if qerr := p.quarantineKey(ctx, client, part.part, part.key, err); qerr != nil {
				return qerr
			}
		}
	}
	chain.baseState = p.state.sessionsEstimate()
	for i := range stored.deltas {
		n, err := p.applyDelta(ctx, client, i, parts)
		if err != nil {
			return err
		}
		chain.deltaBytes += n
	}
	// After version 2 the next checkpoint is a base, with the memory whole.
	chain.based = stored.ids.known
	for _, part := range parts {
		chain.based = chain.based && !part.unreadable
	}
	p.state.chain = chain
	if !stored.ids.known {
		return nil
	}
	if err := p.restoreMemory(ctx, client, &p.state.ids, stored.ids, c.ApplyIDsSegment, c.ResetIDs, c.ForgetIDsBefore); err != nil {
		return err
	}
	return p.restoreMemory(ctx, client, &p.state.visitors, stored.visitors, c.ApplyVisitorsSegment, c.ResetVisitors, c.ForgetVisitorsBefore)
}

// restoreMemory applies a memory's live segments, oldest first, and forgets
// what it had forgotten when the checkpoint began. A segment that is
// missing or cannot be read leaves the memory empty (moved aside, logged
// and counted): the next checkpoint writes it whole and deletes every
// segment the envelope named.
func (p *sessionizeProcessor) restoreMemory(ctx context.Context, client storage.Client, log *memoryLog, stored storedMemory,
	apply func([]byte) (uint64, error), reset func(), forgetBefore func(uint64),
) error {
	log.first, log.ends, log.based = stored.first, make([]uint64, 0, stored.next-stored.first), true
	for n := stored.first; n < stored.next; n++ {
		key := log.key(n)
		data, err := client.Get(ctx, key)
		if err != nil {
			return fmt.Errorf("read sessionize checkpoint: %w", err)
		}
		var end uint64
		if data == nil {
			err = errors.New("a segment the checkpoint names is missing")
			reset()
			p.settings.Logger.Error("Sessionize checkpoint names a segment of its memory that is missing; the processor starts without that memory", zap.String("key", key))
			p.countQuarantined(log.part)
		} else if end, err = p.applySegment(log, n, data, apply); err != nil {
			reset()
			if qerr := p.quarantineValue(ctx, client, log.part, key, data, err); qerr != nil {
				return qerr
			}
		}
		if err != nil {
			log.based, log.ends = false, make([]uint64, stored.next-stored.first)
			return nil
		}
		log.ends = append(log.ends, end)
	}
	forgetBefore(stored.front)
	return nil
}

// applySegment applies segment n, stored as value: the segment itself, or
// a reference to the base file that holds it (a memory written whole with
// a base).
func (p *sessionizeProcessor) applySegment(log *memoryLog, n int, value []byte, apply func([]byte) (uint64, error)) (uint64, error) {
	data, err := readBasePart(p.cfg.WALDirectory, value)
	if err != nil {
		return 0, err
	}
	if ref, isRef, _ := decodeBaseFileRef(value); isRef {
		log.file, log.fileSegment = ref.name, n
	}
	return apply(data)
}

// applyDelta applies delta number i to each readable part, and returns
// its size.
func (p *sessionizeProcessor) applyDelta(ctx context.Context, client storage.Client, i int, parts []*statePart) (int64, error) {
	key := deltaKey(i)
	stored, err := client.Get(ctx, key)
	if err != nil {
		return 0, fmt.Errorf("read sessionize checkpoint: %w", err)
	}
	if stored == nil {
		p.settings.Logger.Error("Sessionize checkpoint names a delta that is missing; the state restored stops before it", zap.String("key", key))
		for _, part := range parts {
			if !part.unreadable {
				part.unreadable = true
				p.countQuarantined(part.part)
			}
		}
		return 0, nil
	}
	delta, decodeErr := decodeDelta(stored)
	var failed []error
	for _, part := range parts {
		if part.unreadable {
			continue
		}
		err := decodeErr
		if err == nil {
			err = part.applyDelta(part.ofDelta(delta))
		}
		if err != nil {
			part.unreadable = true
			p.countQuarantined(part.part)
			failed = append(failed, fmt.Errorf("%s: %w", part.part, err))
		}
	}
	if len(failed) > 0 {
		if err := p.moveAside(ctx, client, key, stored, errors.Join(failed...)); err != nil {
			return 0, err
		}
	}
	return int64(len(stored)), nil
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
	if err := p.moveAside(ctx, client, key, data, fmt.Errorf("%s: %w", part, cause)); err != nil {
		return err
	}
	p.countQuarantined(part)
	return nil
}

// moveAside stores data under quarantine/<time>/<key>, deletes key, and
// logs why.
func (p *sessionizeProcessor) moveAside(ctx context.Context, client storage.Client, key string, data []byte, cause error) error {
	aside := fmt.Sprintf("quarantine/%d/%s", p.clock.Now().UnixNano(), key)
	if err := client.Batch(ctx, storage.SetOperation(aside, data), storage.DeleteOperation(key)); err != nil {
		return fmt.Errorf("move unreadable sessionize state %q aside: %w", key, err)
	}
	p.settings.Logger.Error("Sessionize state could not be read; it was moved aside and the processor starts without it",
		zap.String("moved_to", aside), zap.Error(cause))
	return nil
}

func (p *sessionizeProcessor) countQuarantined(part string) {
	p.telemetry.ProcessorSessionizeStateQuarantined.Add(context.Background(), 1, metric.WithAttributes(attribute.String("part", part)))
}
