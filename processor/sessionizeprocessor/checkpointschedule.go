// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"
)

// When the owner checkpoints: a tick finds one due every
// checkpoint_interval (when something changed), asks delivery to pause,
// begins the run once it has and no group is in flight, encodes it a chunk
// between requests and takes the outcome of its background write. At
// shutdown the checkpoint is written at once (writeCheckpoint). The run
// itself is checkpointrun.go; what it stores, checkpoint.go.

// checkpointDue reports whether checkpoint_interval has passed since the
// last checkpoint was started, and if so starts the next interval. None is
// due when nothing changed since the last one: a quiet processor (or a
// quiet partition of kafkastream, which checkpoints at its commit cadence)
// writes nothing.
func (p *sessionizeProcessor) checkpointDue(now time.Time) bool {
	if p.client == nil || now.Sub(p.lastCheckpoint) < p.cfg.CheckpointInterval {
		return false
	}
	p.lastCheckpoint = now
	return !p.unchangedSinceCheckpoint()
}

// unchangedSinceCheckpoint reports whether the next checkpoint would store
// what the last one did: the core is unchanged, no write-ahead entry was
// written or finished, and nothing more was delivered (the participants'
// state is as it was). Before the first, whether there is nothing to store.
func (p *sessionizeProcessor) unchangedSinceCheckpoint() bool {
	s := p.state
	if !s.chain.based {
		return p.neverHeldAnything()
	}
	return s.core.Unchanged() && len(s.walDone) == 0 &&
		s.nextSeq == p.checkpointed.nextSeq && p.outbox.deliveredCount() == p.checkpointed.delivered
}

// neverHeldAnything reports whether nothing was stored and nothing is held:
// no write-ahead entry ever taken (nor a group of them in flight), no
// session, id or visitor, nothing waiting to be placed or delivered, and
// nothing ever delivered. Its checkpoint would store an empty state, which
// restores as no checkpoint does, so the first waits for the first event:
// each kafkastream partition with no event yet committed one such
// checkpoint, in a transaction of its own at the collector's first turn.
func (p *sessionizeProcessor) neverHeldAnything() bool {
	c := p.state.core
	return p.state.nextSeq == 0 && c.Live() == 0 && c.Pending() == 0 && c.Remembered() == 0 && len(p.state.walDone) == 0 &&
		p.outbox.len() == 0 && p.outbox.deliveredCount() == 0
}

// checkpointTimeout bounds a checkpoint's storage calls: the participants'
// saves and the write.
const checkpointTimeout = 30 * time.Second

// checkpointDrainWait bounds how long a checkpoint due waits for the next
// consumer to take the records waiting for it, which it would otherwise
// store: intake goes on meanwhile, and a consumer that refuses (an
// exporter's outage) leaves them to the checkpoint after this.
const checkpointDrainWait = 100 * time.Millisecond

// requestCheckpoint starts a checkpoint in the background, unless one is
// under way: delivery is asked to pause once it has handed over what waits
// now (or after checkpointDrainWait), and the owner begins the checkpoint
// once it has (beginInBackground).
func (p *sessionizeProcessor) requestCheckpoint() {
	if p.pausing == nil && p.running == nil {
		p.pausing = p.outbox.requestPauseAfterQueued(checkpointDrainWait)
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
	return p.state.newCheckpointRun(p.outbox.snapshot(p.encode), p.state.epoch+1)
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
	err = p.state.afterCheckpoint(run, p.wal, err)
	outcome := "success"
	if err != nil {
		outcome = "failure"
	} else {
		p.telemetry.ProcessorSessionizeCheckpointBytes.Add(context.Background(), run.written, metric.WithAttributes(attribute.String("kind", run.kind())))
		if p.disk != nil {
			// The next checkpoint may be a base of the state as it is.
			p.disk.CheckpointWritten(p.state.chain.stateBytes(p.state.sessionsEstimate()) + p.state.memoryEstimate() + int64(len(run.envelope)))
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

// encode makes the OTLP encoding of undelivered output for a checkpoint.
func (p *sessionizeProcessor) encode(ld plog.Logs) []byte {
	wire, err := protoMarshaler.MarshalLogs(ld)
	if err != nil {
		// Records that decoded from OTLP always encode again.
		p.settings.Logger.Error("Cannot encode sessionize output for the checkpoint", zap.Error(err))
	}
	return wire
}
