// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v7"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"
	"github.com/footfall-analytics/footfall/internal/retrybackoff"
)

const (
	// drainBatchBytes bounds what one pass reads from the spill and
	// hands to franz-go.
	drainBatchBytes = 4 << 20
	// handOverBytes is the most the drainer sends while it holds requests
	// back to hand over to the direct route: a pass's worth, read from the
	// page cache.
	handOverBytes = 1 << 20
	// handOverWait bounds how long the hand-over waits for a group being
	// written to the spill.
	handOverWait = 100 * time.Millisecond
)

// drain is the one goroutine that reads the spill: while the route is
// spilling it sends the spill to Kafka in order, and hands over to the
// direct route once it has caught up.
func (e *kafkaSpillExporter) drain(parent context.Context) {
	defer e.wg.Done()
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	go func() {
		select {
		case <-e.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	d := drainer{e: e, ctx: ctx, cursor: e.log.Start(), delays: retrybackoff.New(e.cfg.Spill.DrainBackOff)}
	for {
		if !e.isSpilling() {
			select {
			case <-e.stop:
				return
			case <-e.spillStarted:
				continue
			}
		}
		if !d.pass() {
			if !d.wait(d.delays.NextBackOff()) {
				return
			}
			continue
		}
		d.delays.Reset()
		select {
		case <-e.stop:
			return
		default:
		}
	}
}

type drainer struct {
	e      *kafkaSpillExporter
	ctx    context.Context
	cursor spill.Cursor
	// delays are spill::drain_backoff's waits after a failed pass.
	delays *backoff.ExponentialBackOff
	// proven is set once Kafka has taken a pass of the spill: only then
	// does the drainer hand over to the direct route.
	proven bool
}

// pass sends the next part of the spill, or hands over when little is
// left, and reports whether Kafka took it.
func (d *drainer) pass() bool {
	end := d.e.log.End()
	caughtUp := end.Segment == d.cursor.Segment && end.Offset-d.cursor.Offset <= handOverBytes
	if caughtUp && (d.proven || end == d.cursor) {
		return d.handOver()
	}
	msgs, next, err := d.read(d.cursor, drainBatchBytes)
	if err != nil {
		return false
	}
	if err := d.e.produceAll(d.ctx, msgs)(); err != nil {
		d.proven = false
		if !errors.Is(err, errStopped) {
			d.e.logger.Warn("Kafka is still away; the spill waits", zap.Error(err), zap.Int64("spill_bytes", d.e.log.Bytes()))
		}
		return false
	}
	d.proven = true
	d.drained(msgs, next)
	return true
}

// read returns the messages of the entries from c on. A corrupt entry is
// counted and skipped with the rest of its segment.
func (d *drainer) read(c spill.Cursor, maxBytes int) ([]message, spill.Cursor, error) {
	entries, next, err := d.e.log.Read(c, maxBytes)
	if errors.Is(err, spill.ErrCorrupt) {
		d.e.logger.Error("A spill entry failed its checksum; the rest of its segment is skipped", zap.Error(err), zap.Uint64("segment", c.Segment))
		d.e.telemetry.ExporterKafkaSpillCorruptEntries.Add(d.ctx, 1)
	} else if err != nil {
		d.e.logger.Error("Reading the spill failed", zap.Error(err))
		return nil, c, err
	}
	var msgs []message
	for _, entry := range entries {
		m, err := readSpillEntry(entry)
		if err != nil {
			d.e.telemetry.ExporterKafkaSpillCorruptEntries.Add(d.ctx, 1)
			continue
		}
		msgs = append(msgs, m...)
	}
	return msgs, next, nil
}

func (d *drainer) drained(msgs []message, next spill.Cursor) {
	d.cursor = next
	d.e.telemetry.ExporterKafkaSpillMessages.Add(d.ctx, int64(len(msgs)), pathDrained)
	if err := d.e.log.Release(next); err != nil {
		d.e.logger.Error("Deleting a drained spill segment failed", zap.Error(err))
	}
}

// handOver turns the route back to direct. With requests held (the route
// locked), it waits for the group being written, reads what is left and
// hands it to franz-go before the first direct message, which franz-go
// then sends after it in each partition. If Kafka does not take it, the
// route turns to spilling again and the entries are sent again from the
// spill.
func (d *drainer) handOver() bool {
	e := d.e
	e.route.Lock()
	if !d.awaitIdleWriter() {
		e.route.Unlock()
		return true
	}
	end := e.log.End()
	if end != d.cursor && (!d.proven || end.Segment != d.cursor.Segment || end.Offset-d.cursor.Offset > handOverBytes) {
		// The group just written changed what is left: a normal pass first.
		e.route.Unlock()
		return true
	}
	msgs, next, err := d.read(d.cursor, int(end.Offset-d.cursor.Offset)+1)
	if err != nil || next != end {
		e.route.Unlock()
		return err == nil
	}
	wait := e.produceAll(d.ctx, msgs)
	e.spilling = false
	e.route.Unlock()
	if err := wait(); err != nil {
		d.proven = false
		if errors.Is(err, errStopped) {
			// The entries stay in the spill: the next start sends them.
			return false
		}
		e.logger.Warn("Kafka failed the spill's last messages; back to the spill", zap.Error(err))
		e.turnToSpilling(nil)
		return false
	}
	d.drained(msgs, next)
	e.logger.Info("The spill is drained: requests are acknowledged on Kafka's acks again")
	d.proven = false
	d.reset()
	return true
}

// awaitIdleWriter waits, a bounded time, for the spill's writer to finish
// the group it is writing. Called with the route locked: nothing new is
// enqueued meanwhile.
func (d *drainer) awaitIdleWriter() bool {
	deadline := d.e.after(handOverWait)
	for !d.e.writer.Idle() {
		select {
		case <-d.e.writer.Appended:
		case <-deadline:
			return false
		}
	}
	return true
}

// reset empties the drained spill, unless the route has turned to
// spilling again since the hand-over.
func (d *drainer) reset() {
	e := d.e
	e.route.Lock()
	defer e.route.Unlock()
	if e.spilling || !e.writer.Idle() {
		return
	}
	if err := e.log.Reset(); err != nil {
		e.logger.Error("Emptying the drained spill failed", zap.Error(err))
		return
	}
	d.cursor = e.log.Start()
}

// wait sleeps d, or until shutdown (false).
func (d *drainer) wait(t time.Duration) bool {
	select {
	case <-d.e.after(t):
		return true
	case <-d.e.stop:
		return false
	}
}
