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

// run is the state owner. While a checkpoint is being encoded, it takes
// whatever requests are waiting and encodes a chunk between them.
func (p *sessionizeProcessor) run() {
	defer close(p.ownerDone)
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		if p.encodingCheckpoint() {
			select {
			case req := <-p.requests:
				p.handle(p.group(req))
			case <-ticker.C:
				p.tick(p.now())
			case <-p.stopping:
				return
			default:
			}
			p.stepCheckpoint()
			continue
		}
		var granted <-chan struct{}
		if p.pausing != nil {
			granted = p.pausing.granted
		}
		var written <-chan error
		if p.running != nil {
			written = p.running.result
		}
		select {
		case req := <-p.requests:
			p.handle(p.group(req))
		case <-ticker.C:
			p.tick(p.now())
		case <-granted:
			p.beginInBackground()
		case err := <-written:
			p.checkpointWritten(err)
		case <-p.stopping:
			return
		}
	}
}

// group is req and the requests waiting behind it, up to maxGroup.
func (p *sessionizeProcessor) group(req *request) []*request {
	group := []*request{req}
	for len(group) < maxGroup {
		select {
		case r := <-p.requests:
			group = append(group, r)
		default:
			return group
		}
	}
	return group
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
		case s.core.Pending()+reserved+len(b.inputs) > p.cfg.MaxPendingEvents:
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
				entries = append(entries, wal.Entry{Seq: b.seq, Head: walHeader(b), Data: b.wal})
				b.logged = true
			}
		}
		// Placed records are rebuilt from the log on restore, not from these bytes.
		b.wal = nil
		taken = append(taken, req)
	}
	if len(entries) > 0 {
		if reason, err := p.appendWAL(entries); err != nil {
			s.nextSeq = firstSeq
			for _, req := range taken {
				req.err = p.refuse(reason, req.batch, fmt.Errorf("write-ahead log: %w", err))
			}
			taken = nil
		}
	}
	if len(taken) > 0 {
		batches := make([]*batch, len(taken))
		for i, req := range taken {
			batches[i] = req.batch
		}
		p.emit(s.applyAll(batches, now))
	}
	for _, req := range group {
		if req.batch == nil {
			p.tickNow(req.tickAt)
		}
		req.reply <- req.err
	}
	s.reportGauges()
}

// appendWAL makes entries durable, unless they would leave no room on the
// disk for the checkpoint that truncates the log; the reason names which.
func (p *sessionizeProcessor) appendWAL(entries []wal.Entry) (string, error) {
	if p.disk != nil {
		size := 0
		for _, e := range entries {
			size += e.Size()
		}
		if err := p.disk.Admit(size); err != nil {
			return refusedDiskLow, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), walTimeout)
	defer cancel()
	if err := p.wal.append(ctx, entries); err != nil {
		return refusedStorage, err
	}
	return "", nil
}

func (p *sessionizeProcessor) refuse(reason string, b *batch, err error) error {
	p.refused(reason, len(b.inputs))
	return err
}

// tick moves an idle watermark and starts a checkpoint in the background
// when one is due.
func (p *sessionizeProcessor) tick(now time.Time) {
	p.emit(p.state.idleAdvance(now))
	if p.checkpointDue(now) {
		p.requestCheckpoint()
	}
	p.state.reportGauges()
}

// tickNow is a tick sent as a request (tests drive the clock so): a
// checkpoint due is written before it returns, also one the owner's timer
// started for the same clock just before.
func (p *sessionizeProcessor) tickNow(now time.Time) {
	p.emit(p.state.idleAdvance(now))
	due := p.checkpointDue(now)
	switch {
	case p.running != nil:
		p.settleCheckpoint()
	case due || p.pausing != nil:
		ctx, cancel := context.WithTimeout(context.Background(), checkpointTimeout)
		if err := p.writeCheckpoint(ctx); err != nil {
			p.settings.Logger.Error("Sessionize checkpoint failed; the write-ahead log is kept until one succeeds", zap.Error(err))
		}
		cancel()
	}
	p.state.reportGauges()
}

// checkpointDue reports whether checkpoint_interval has passed since the
// last checkpoint was started, and if so starts the next interval.
func (p *sessionizeProcessor) checkpointDue(now time.Time) bool {
	if p.client == nil || now.Sub(p.lastCheckpoint) < p.cfg.CheckpointInterval {
		return false
	}
	p.lastCheckpoint = now
	return true
}

// emit queues a step's output for the next consumer.
func (p *sessionizeProcessor) emit(e *emitted) {
	if e == nil {
		return
	}
	p.state.count(e)
	if e.records == 0 {
		return
	}
	p.outbox.push(outboxItem{logs: e.logs, records: e.records})
	p.telemetry.ProcessorSessionizeOutboxRecords.Add(context.Background(), int64(e.records))
}
