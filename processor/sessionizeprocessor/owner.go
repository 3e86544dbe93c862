// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// run is the state owner.
func (p *sessionizeProcessor) run() {
	defer close(p.ownerDone)
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		select {
		case req := <-p.requests:
			group := []*request{req}
		more:
			for len(group) < maxGroup {
				select {
				case r := <-p.requests:
					group = append(group, r)
				default:
					break more
				}
			}
			p.handle(group)
		case <-ticker.C:
			p.tick(p.now())
		case <-p.stopping:
			return
		}
	}
}

// handle takes a group of requests: checks room, drops duplicates, writes the
// accepted batches to the write-ahead log in one storage operation, then
// places them and answers.
func (p *sessionizeProcessor) handle(group []*request) {
	s := p.state
	now := p.now()
	firstSeq := s.nextSeq
	seenInGroup := map[[2]string]bool{}
	var taken []*request
	var entries []wal.Entry
	reserved := 0
	for _, req := range group {
		if req.batch == nil {
			continue
		}
		b := req.batch
		switch {
		case s.tracker.Pending()+reserved+len(b.inputs) > p.cfg.MaxPendingEvents:
			req.err = p.refuse(refusedPendingFull, b, fmt.Errorf("sessionize reorder buffer is full (max_pending_events %d)", p.cfg.MaxPendingEvents))
			continue
		case p.outbox.pendingRecords() > p.cfg.MaxUndeliveredRecords:
			req.err = p.refuse(refusedOutboxFull, b, fmt.Errorf("next consumer is not keeping up: %d records undelivered (max_undelivered_records %d)", p.outbox.pendingRecords(), p.cfg.MaxUndeliveredRecords))
			continue
		case p.wal != nil && walEntrySize(b) > p.wal.maxEntryBytes():
			p.reader.countInvalid(reasonTooLarge, len(b.inputs))
			req.err = consumererror.NewPermanent(fmt.Errorf("a batch of %d bytes is larger than a write-ahead entry can be (%d bytes)", walEntrySize(b), p.wal.maxEntryBytes()))
			continue
		}
		accepted := s.filterDuplicates(b, seenInGroup)
		reserved += accepted
		if accepted > 0 {
			b.seq = s.nextSeq
			s.nextSeq++
			if p.wal != nil {
				entries = append(entries, wal.Entry{Seq: b.seq, Data: encodeWAL(b, b.wal)})
				b.logged = true
			}
		}
		// Placed records are rebuilt from the log on restore, not from these bytes.
		b.wal = nil
		taken = append(taken, req)
	}
	if len(entries) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), walTimeout)
		err := p.wal.append(ctx, entries)
		cancel()
		if err != nil {
			s.nextSeq = firstSeq
			for _, req := range taken {
				req.err = p.refuse(refusedStorage, req.batch, fmt.Errorf("write-ahead log: %w", err))
			}
			taken = nil
		}
	}
	for _, req := range taken {
		p.emit(s.apply(req.batch, now))
	}
	for _, req := range group {
		if req.batch == nil {
			p.tick(req.tickAt)
		}
		req.reply <- req.err
	}
	s.record(nil)
}

func (p *sessionizeProcessor) refuse(reason string, b *batch, err error) error {
	p.refused(reason, len(b.inputs))
	return err
}

// tick moves an idle watermark and writes a checkpoint when one is due.
func (p *sessionizeProcessor) tick(now time.Time) {
	p.emit(p.state.idleAdvance(now))
	if p.client != nil && now.Sub(p.lastCheckpoint) >= p.cfg.CheckpointInterval {
		if err := p.writeCheckpoint(context.Background()); err != nil {
			p.settings.Logger.Error("Sessionize checkpoint failed; the write-ahead log is kept until one succeeds", zap.Error(err))
		}
		p.lastCheckpoint = now
	}
	p.state.record(nil)
}

// emit queues a step's output for the next consumer.
func (p *sessionizeProcessor) emit(e *emitted) {
	if e == nil {
		return
	}
	p.state.record(e)
	if e.records == 0 {
		return
	}
	p.outbox.push(outboxItem{logs: e.logs, records: e.records})
	p.telemetry.ProcessorSessionizeOutboxRecords.Add(context.Background(), int64(e.records))
}
