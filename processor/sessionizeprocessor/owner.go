// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

// run is the state owner. While a checkpoint is being encoded, it takes
// whatever requests are waiting and encodes a chunk between them.
//
// Its tick is a timer armed again once a tick has been handled, not a
// ticker: ticks never queue behind a slow turn, and a test's fake clock
// sees the owner wait on it again only when the tick it fired is done.
func (p *sessionizeProcessor) run() {
	defer close(p.ownerDone)
	timer := p.clock.NewTimer(tickInterval)
	defer timer.Stop()
	for {
		if p.encodingCheckpoint() {
			select {
			case req := <-p.intake():
				p.handle(p.group(req))
			case g := <-p.written():
				p.finish(g)
			case <-timer.Chan():
				p.tick(p.clock.Now())
				timer.Reset(tickInterval)
			case <-p.stopping:
				p.stopWriter()
				return
			default:
			}
			p.stepCheckpoint()
			continue
		}
		var granted <-chan struct{}
		if p.pausing != nil && p.inFlight.groups == 0 {
			granted = p.pausing.granted
		}
		var written <-chan error
		if p.running != nil {
			written = p.running.result
		}
		select {
		case req := <-p.intake():
			p.handle(p.group(req))
		case g := <-p.written():
			p.finish(g)
		case <-timer.Chan():
			p.tick(p.clock.Now())
			timer.Reset(tickInterval)
		case <-granted:
			p.beginInBackground()
		case err := <-written:
			p.checkpointWritten(err)
		case <-p.stopping:
			p.stopWriter()
			return
		}
	}
}

// intake is where the owner takes requests: nowhere while the writer
// holds as many groups as it may, or while a checkpoint waits for the
// groups in flight to be applied.
func (p *sessionizeProcessor) intake() <-chan *request {
	if p.inFlight.groups >= maxWALInFlight || (p.pausing != nil && p.inFlight.groups > 0) {
		return nil
	}
	return p.requests
}

// written returns the groups the writer made durable; nil without one.
func (p *sessionizeProcessor) written() <-chan *walGroup {
	if p.writer == nil {
		return nil
	}
	return p.writer.done
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

// handle takes a group of requests: checks room, drops duplicates, and
// writes the accepted batches to the write-ahead log in one append. With
// the writer, the group is applied and answered once that append is
// durable (finish); without it, at once.
func (p *sessionizeProcessor) handle(group []*request) {
	g := p.admit(group)
	if p.writer == nil {
		if len(g.entries) > 0 {
			if reason, err := p.appendWAL(g.entries); err != nil {
				p.state.nextSeq = g.firstSeq
				g.reason, g.err = reason, fmt.Errorf("write-ahead log: %w", err)
			}
		}
		p.finish(g)
		return
	}
	if len(g.entries) > 0 && p.disk != nil {
		if err := p.disk.Admit(entriesSize(g.entries)); err != nil {
			g.reason, g.err = refusedDiskLow, fmt.Errorf("write-ahead log: %w", err)
			g.entries = nil
		}
	}
	p.inFlight.add(g)
	p.writer.todo <- g
}

// admit checks each request of group for room, size and duplicates, and
// gives the accepted batches their sequence numbers and write-ahead
// entries. Refused requests carry their error.
func (p *sessionizeProcessor) admit(group []*request) *walGroup {
	s := p.state
	g := &walGroup{requests: group, now: p.clock.Now(), firstSeq: s.nextSeq}
	seen := p.inFlight.ids
	if p.writer == nil {
		seen = map[[2]string]*walGroup{}
	}
	reserved := p.inFlight.events
	for _, req := range group {
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
		accepted := s.filterDuplicates(b, seen, g)
		reserved += accepted
		g.events += accepted
		if accepted > 0 {
			b.seq = s.nextSeq
			s.nextSeq++
			if p.wal != nil {
				g.entries = append(g.entries, wal.Entry{Seq: b.seq, Head: walHeader(b), Data: b.wal})
				b.logged = true
			}
		}
		// Placed records are rebuilt from the log on restore, not from these
		// bytes; a held batch keeps them in place of its pdata (held.go).
		if !b.byRef {
			b.wire = b.wal
		}
		b.wal = nil
		g.taken = append(g.taken, req)
	}
	return g
}

// finish applies a group whose entries are durable and answers its
// requests; a group whose entries were not written, or that dropped a
// duplicate of such a group's event, is refused.
func (p *sessionizeProcessor) finish(g *walGroup) {
	p.inFlight.remove(g)
	for _, dep := range g.deps {
		if dep.err != nil && g.err == nil {
			g.reason, g.err = dep.reason, dep.err
		}
	}
	if g.err != nil {
		for _, req := range g.taken {
			req.err = p.refuse(g.reason, req.batch, g.err)
		}
		g.taken = nil
	}
	if g.moves != nil {
		p.applyMoves(g)
	}
	if len(g.taken) > 0 {
		batches := make([]*batch, len(g.taken))
		for i, req := range g.taken {
			batches[i] = req.batch
		}
		p.emit(p.state.applyAll(batches, g.now))
	}
	for _, req := range g.requests {
		req.reply <- req.err
	}
	p.state.reportGauges()
}

// drainWriter applies every group in flight.
func (p *sessionizeProcessor) drainWriter() {
	for p.inFlight.groups > 0 {
		p.finish(<-p.writer.done)
	}
}

// stopWriter answers every group in flight and stops the writer.
func (p *sessionizeProcessor) stopWriter() {
	if p.writer == nil {
		return
	}
	p.drainWriter()
	p.writer.stop()
}

func entriesSize(entries []wal.Entry) int {
	size := 0
	for _, e := range entries {
		size += e.Size()
	}
	return size
}

// appendWAL makes entries durable, unless they would leave no room on the
// disk for the checkpoint that truncates the log; the reason names which.
func (p *sessionizeProcessor) appendWAL(entries []wal.Entry) (string, error) {
	if p.disk != nil {
		if err := p.disk.Admit(entriesSize(entries)); err != nil {
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
	p.advanceIdle(now)
	if p.checkpointDue(now) {
		p.requestCheckpoint()
	}
	p.state.reportGauges()
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
