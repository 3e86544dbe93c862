// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"time"

	"github.com/cenkalti/backoff/v7"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/retrybackoff"
	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

var errGaveUp = errors.New("a partition's sessionizer kept refusing")

// run is the loop: each turn polls records for commit_interval, hands
// them to their partitions, then commits the partitions' state changes,
// the consumer offsets and the metrics in one transaction. Rebalances
// happen only between turns.
func (r *kafkaStream) run(ctx context.Context, host component.Host) {
	defer close(r.done)
	if !r.connect(ctx, host) {
		return
	}
	for ctx.Err() == nil {
		r.restoreAgain(ctx)
		r.resumeStalled(r.clock.Now())
		polled, err := r.consumeFor(ctx, r.cfg.CommitInterval)
		if errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		r.rewindStalled(r.endTransaction(ctx, polled, err == nil))
		r.session.AllowRebalance()
	}
}

// consumeFor polls and processes records for d. It reports whether any
// record was polled, and an error when the turn must be aborted.
func (r *kafkaStream) consumeFor(ctx context.Context, d time.Duration) (polled bool, err error) {
	pollCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for pollCtx.Err() == nil {
		fetches := r.session.PollFetches(pollCtx)
		if fetches.IsClientClosed() {
			return polled, kgo.ErrClientClosed
		}
		r.observeFetches(fetches)
		var err error
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			if err != nil || len(fp.Records) == 0 || r.stalled(fp.Partition) {
				return
			}
			polled = true
			err = r.consumePartition(ctx, fp.Partition, fp.Records)
		})
		if err != nil {
			return polled, err
		}
	}
	return polled, nil
}

// observeFetches tells the health of a failed fetch.
func (r *kafkaStream) observeFetches(fetches kgo.Fetches) {
	for _, fe := range fetches.Errors() {
		if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
			r.health.failed("Fetching from the events topic failed; retrying", fe.Err, zap.String("topic", fe.Topic), zap.Int32("partition", fe.Partition))
		}
	}
}

// recordsPerBatch bounds how many records of one partition go to its
// sessionizer at once: one request, one write-ahead entry, for many records.
const recordsPerBatch = 500

// consumePartition hands a partition's fetched records to its sessionizer
// in batches of at most recordsPerBatch records and maxBatchEvents events.
// A record that can never be processed is skipped alone (and its offset
// committed).
func (r *kafkaStream) consumePartition(ctx context.Context, id int32, records []*kgo.Record) error {
	p, err := r.partition(ctx, id)
	if err != nil {
		return err
	}
	b := newBatch()
	for i, rec := range records {
		ld, reason := r.decodeRecord(rec)
		if reason != "" {
			r.skipped(ctx, reason, 1)
		} else {
			if b.len() > 0 && b.events+ld.LogRecordCount() > r.maxBatchEvents() {
				if err := r.consume(ctx, p, b); err != nil {
					return r.stallOn(ctx, id, b, err)
				}
				b = newBatch()
			}
			b.add(ld, rec)
		}
		r.telemetry.ReceiverKafkastreamRecords.Add(ctx, 1)
		if b.len() == recordsPerBatch || i == len(records)-1 {
			if err := r.consume(ctx, p, b); err != nil {
				return r.stallOn(ctx, id, b, err)
			}
			b = newBatch()
		}
	}
	return nil
}

// stallOn pauses partition id at batch b when its sessionizer gave up on
// it; any other error aborts the turn.
func (r *kafkaStream) stallOn(ctx context.Context, id int32, b *batch, err error) error {
	if !errors.Is(err, errGaveUp) || ctx.Err() != nil {
		return err
	}
	r.stallPartition(ctx, id, b.first(), err)
	return nil
}

// maxBatchEvents keeps a batch well below what the sessionizer buffers
// (max_pending_events), so that a batch is never refused for its size alone.
func (r *kafkaStream) maxBatchEvents() int {
	return max(1, r.cfg.Sessionize.MaxPendingEvents/4)
}

// consume hands a batch to the partition's sessionizer, with where its
// records can be read again (sourcelog): the sessionizer's write-ahead
// entry holds that, not a copy. A batch refused for good is offered again
// a record at a time, so that only the records that can never be
// processed are skipped; one refused for now is offered again until the
// group's patience runs short.
func (r *kafkaStream) consume(ctx context.Context, p *partition, b *batch) error {
	if b.events == 0 {
		return nil
	}
	p.recent.add(b.records)
	permanent, err := r.offer(sourcelog.WithRef(ctx, b.ref()), p, b.logs)
	if err != nil || !permanent {
		return err
	}
	if b.len() == 1 {
		r.skipped(ctx, skipRefused, 1)
		return nil
	}
	for _, one := range b.split() {
		permanent, err := r.offer(sourcelog.WithRef(ctx, one.ref()), p, one.logs)
		if err != nil {
			return err
		}
		if permanent {
			r.skipped(ctx, skipRefused, 1)
		}
	}
	return nil
}

// offer hands ld to the sessionizer until it is taken or refused for good
// (permanent), waiting error_backoff between tries; past its
// max_elapsed_time, or half of session_timeout (the group's patience),
// it gives up (errGaveUp) and the partition is paused.
func (r *kafkaStream) offer(ctx context.Context, p *partition, ld plog.Logs) (permanent bool, err error) {
	if ld.LogRecordCount() == 0 {
		return false, nil
	}
	giveUp := r.clock.Now().Add(r.patience())
	var delays *backoff.ExponentialBackOff
	for {
		err := p.sessionize.ConsumeLogs(ctx, ld)
		switch {
		case err == nil:
			return false, nil
		case consumererror.IsPermanent(err):
			return true, nil
		case !r.cfg.ErrorBackOff.Enabled || ctx.Err() != nil:
			return false, errors.Join(errGaveUp, err)
		}
		if delays == nil {
			delays = retrybackoff.New(r.cfg.ErrorBackOff)
		}
		delay := delays.NextBackOff()
		if r.clock.Now().Add(delay).After(giveUp) {
			return false, errors.Join(errGaveUp, err)
		}
		select {
		case <-ctx.Done():
		case <-r.clock.After(delay):
		}
	}
}

// patience is how long a refused batch is offered again: error_backoff's
// max_elapsed_time, at most half of session_timeout, so that the group
// does not take the partition away meanwhile.
func (r *kafkaStream) patience() time.Duration {
	half := r.cfg.SessionTimeout / 2
	if m := r.cfg.ErrorBackOff.MaxElapsedTime; m > 0 && m < half {
		return m
	}
	return half
}

func (r *kafkaStream) skipped(ctx context.Context, reason string, n int64) {
	r.telemetry.ReceiverKafkastreamRecordsSkipped.Add(ctx, n, metric.WithAttributes(attribute.String("reason", reason)))
}

// partition returns the pipeline of an owned partition, restoring it now if
// its restore failed at assignment: a record is never processed, and so
// never committed, without its partition's state.
func (r *kafkaStream) partition(ctx context.Context, id int32) (*partition, error) {
	r.mu.Lock()
	p, ok := r.partitions[id]
	r.mu.Unlock()
	if ok {
		return p, nil
	}
	return r.restorePartition(ctx, id)
}

// transaction is what one commit makes durable for one partition.
type transaction struct {
	partition *partition
	records   []changelog.Record
	metrics   pmetric.Metrics
	publish   bool
}

// endTransaction commits the state the partitions wrote since the last
// commit with the offsets of the records polled (commit), or aborts. After
// a commit, the metrics rendered before the cut are published; after an
// abort, every partition returns to its committed state.
func (r *kafkaStream) endTransaction(ctx context.Context, polled, commit bool) (committed bool) {
	txns := r.cut()
	changed := polled
	for _, t := range txns {
		changed = changed || len(t.records) > 0
	}
	if !changed && commit {
		// Nothing new needs to be durable: the renderings count what the
		// store already holds. A move of the idle watermark that placed
		// something is a write-ahead entry, written before the placement
		// was rendered: it would have been a change.
		r.publish(ctx, txns)
		return false
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.TransactionTimeout)
	defer cancel()
	endCtx = r.stalledOffsets(endCtx)
	committed, err := r.produce(endCtx, txns, commit, polled || len(r.stalls) > 0)
	if err != nil {
		r.health.failed("Ending the transaction failed; the partitions return to their committed state", err)
	}
	if !committed {
		r.telemetry.ReceiverKafkastreamTransactions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "aborted")))
		r.rollback(ctx, txns)
		return false
	}
	r.telemetry.ReceiverKafkastreamTransactions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "committed")))
	for _, t := range txns {
		t.partition.store.Commit()
	}
	r.publish(ctx, txns)
	return true
}

// cut takes each owned partition's writes and latest metrics.
func (r *kafkaStream) cut() []transaction {
	r.mu.Lock()
	defer r.mu.Unlock()
	txns := make([]transaction, 0, len(r.partitions))
	for _, p := range r.partitions {
		// The metrics first: a rendering taken after the writes were cut
		// could count something written after the cut.
		md, ok := p.published.cut()
		txns = append(txns, transaction{partition: p, metrics: md, publish: ok, records: p.store.Cut()})
	}
	return txns
}

// produce writes the changelog records and ends the transaction, which
// commits the consumer offsets when withOffsets.
func (r *kafkaStream) produce(ctx context.Context, txns []transaction, commit, withOffsets bool) (bool, error) {
	if err := r.session.Begin(); err != nil {
		return false, err
	}
	var produceErr error
	errOnce := make(chan error, 1)
	for _, t := range txns {
		for _, rec := range t.records {
			r.telemetry.ReceiverKafkastreamChangelogRecords.Add(ctx, 1)
			r.telemetry.ReceiverKafkastreamChangelogBytes.Add(ctx, int64(len(rec.Value)))
			r.session.Produce(ctx, &kgo.Record{Partition: t.partition.id, Key: rec.Key, Value: rec.Value}, func(_ *kgo.Record, err error) {
				if err != nil {
					select {
					case errOnce <- err:
					default:
					}
				}
			})
		}
	}
	// End commits what it is told to even when a record failed: it aborts
	// on its own only for a rebalance or a failed offset commit. So the
	// records are flushed first, and a failed one aborts: committing would
	// store the offsets of events whose state changes are not stored.
	var flushErr error
	if commit {
		flushErr = r.session.Client().Flush(ctx)
	}
	select {
	case produceErr = <-errOnce:
	default:
	}
	commit = commit && flushErr == nil && produceErr == nil
	if !withOffsets {
		return r.endWithoutOffsets(ctx, txns, commit, errors.Join(flushErr, produceErr))
	}
	committed, err := r.session.End(ctx, kgo.TransactionEndTry(commit))
	return committed, errors.Join(err, flushErr, produceErr)
}

// endWithoutOffsets ends a transaction that commits no consumer offset: a
// turn that polled nothing but wrote state (a checkpoint, or an idle
// site's watermark moved by the clock, which ends sessions: the commit that
// publishes them). GroupTransactSession.End would hold every such commit
// for 500 ms: it learns that the broker has KIP-447 only from an offset
// commit in the same transaction, and without one it waits as for a broker
// older than 2.5. What End adds to ending the transaction is the offset
// commit and the heartbeat that guards it, neither of which is needed
// here, and a check that no partition was lost meanwhile (a revocation
// waits for the turn's end), made here too: the callback that drops a lost
// partition makes the transaction abort.
func (r *kafkaStream) endWithoutOffsets(ctx context.Context, txns []transaction, commit bool, produceErr error) (bool, error) {
	commit = commit && r.ownsAll(txns)
	cl := r.session.Client()
	if !commit {
		if err := cl.AbortBufferedRecords(ctx); err != nil {
			return false, errors.Join(err, produceErr)
		}
	}
	if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
		return false, errors.Join(err, produceErr)
	}
	return commit, produceErr
}

// ownsAll reports whether every partition of txns is still owned, as it was
// when its writes were cut.
func (r *kafkaStream) ownsAll(txns []transaction) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range txns {
		if r.partitions[t.partition.id] != t.partition {
			return false
		}
	}
	return true
}

// publish sends the committed renderings on, outside the lock.
func (r *kafkaStream) publish(ctx context.Context, txns []transaction) {
	for _, t := range txns {
		if !t.publish {
			continue
		}
		if err := t.partition.published.publish(ctx, t.metrics); err != nil {
			r.logger().Warn("Next consumer refused the web analytics metrics; the next commit sends them again (they are cumulative)", zap.Error(err))
		}
	}
}

// rollback rebuilds each partition of the aborted transaction from what
// its changelog holds, as a new owner would.
func (r *kafkaStream) rollback(ctx context.Context, txns []transaction) {
	for _, t := range txns {
		r.mu.Lock()
		current := r.partitions[t.partition.id] == t.partition
		if current {
			delete(r.partitions, t.partition.id)
		}
		r.mu.Unlock()
		if !current {
			continue // revoked meanwhile
		}
		if err := t.partition.stop(ctx); err != nil {
			r.logger().Debug("Stopping a partition after an abort", zap.Error(err))
		}
		t.partition.store.Close()
		if _, err := r.rebuildPartition(ctx, t.partition.id, t.partition.recent); err != nil {
			r.logger().Error("Rebuilding a partition after an abort failed; it is restored from the changelog at the next turn", zap.Int32("partition", t.partition.id), zap.Error(err))
		}
	}
}
