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
	retained, outboxBytes, deltas, err := s.decodeEnvelope(data)
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
	if err := p.restoreState(ctx, client, deltas); err != nil {
		return nil, err
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
// after it. A part (sessions, dedup, visitors) whose base or a delta cannot
// be read starts from what could be read before it and takes no later
// delta; the next checkpoint is then a base.
func (p *sessionizeProcessor) restoreState(ctx context.Context, client storage.Client, deltas int) error {
	c := p.state.core
	parts := []*statePart{
		{part: partSessions, key: sessionsKey, restore: c.RestoreSessions, applyDelta: c.ApplySessionsDelta, ofDelta: func(d storedDelta) []byte { return d.sessions }},
		{part: partDedup, key: dedupKey, restore: c.RestoreIDs, applyDelta: c.ApplyIDsDelta, ofDelta: func(d storedDelta) []byte { return d.ids }},
		{part: partVisitors, key: visitorsKey, restore: c.RestoreVisitors, applyDelta: c.ApplyVisitorsDelta, ofDelta: func(d storedDelta) []byte { return d.visitors }},
	}
	chain := checkpointChain{deltas: deltas}
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
	chain.baseState = p.state.baseEstimate()
	for i := range deltas {
		n, err := p.applyDelta(ctx, client, i, parts)
		if err != nil {
			return err
		}
		chain.deltaBytes += n
	}
	chain.based = true
	for _, part := range parts {
		chain.based = chain.based && !part.unreadable
	}
	p.state.chain = chain
	return nil
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
