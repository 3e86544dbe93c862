// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// retryStep is the wait before a partition's sessionizer is offered a
// record again after a retryable refusal (its buffers are full).
const retryStep = 50 * time.Millisecond

var errGaveUp = errors.New("a partition's sessionizer kept refusing; the transaction is aborted and its records read again")

// run is the loop: each turn polls records for commit_interval, hands
// them to their partitions, then commits the partitions' state changes,
// the consumer offsets and the metrics in one transaction. Rebalances
// happen only between turns.
func (r *kafkaStream) run(ctx context.Context, host component.Host) {
	defer close(r.done)
	if !r.connect(ctx, host) {
		return
	}
	unmarshaler := &plog.ProtoUnmarshaler{}
	for ctx.Err() == nil {
		polled, err := r.consumeFor(ctx, unmarshaler, r.cfg.CommitInterval)
		if errors.Is(err, kgo.ErrClientClosed) {
			return
		}
		r.endTransaction(ctx, polled, err == nil)
		r.session.AllowRebalance()
	}
}

// consumeFor polls and processes records for d. It reports whether any
// record was polled, and an error when the turn must be aborted.
func (r *kafkaStream) consumeFor(ctx context.Context, unmarshaler plog.Unmarshaler, d time.Duration) (polled bool, err error) {
	pollCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	for pollCtx.Err() == nil {
		fetches := r.session.PollFetches(pollCtx)
		if fetches.IsClientClosed() {
			return polled, kgo.ErrClientClosed
		}
		for _, fe := range fetches.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				r.logger().Warn("Fetching from the events topic failed; retrying", zap.String("topic", fe.Topic), zap.Int32("partition", fe.Partition), zap.Error(fe.Err))
			}
		}
		var err error
		fetches.EachPartition(func(fp kgo.FetchTopicPartition) {
			if err != nil || len(fp.Records) == 0 {
				return
			}
			polled = true
			err = r.consumePartition(ctx, unmarshaler, fp.Partition, fp.Records)
		})
		if err != nil {
			return polled, err
		}
	}
	return polled, nil
}

// recordsPerBatch bounds how many records of one partition go to its
// sessionizer at once: one request, one write-ahead entry, for many records.
const recordsPerBatch = 500

// consumePartition hands a partition's fetched records to its sessionizer,
// recordsPerBatch at a time. A record that is not OTLP is skipped (and its
// offset committed).
func (r *kafkaStream) consumePartition(ctx context.Context, unmarshaler plog.Unmarshaler, id int32, records []*kgo.Record) error {
	p, err := r.partition(ctx, id)
	if err != nil {
		return err
	}
	for len(records) > 0 {
		n := min(len(records), recordsPerBatch)
		batch := plog.NewLogs()
		for _, rec := range records[:n] {
			ld, err := unmarshaler.UnmarshalLogs(rec.Value)
			if err != nil {
				r.skipped(ctx, "undecodable")
				continue
			}
			ld.ResourceLogs().MoveAndAppendTo(batch.ResourceLogs())
		}
		r.telemetry.ReceiverKafkastreamRecords.Add(ctx, int64(n))
		if err := r.consume(ctx, p, batch); err != nil {
			return err
		}
		records = records[n:]
	}
	return nil
}

// consume hands a batch to the partition's sessionizer. A batch that can
// never be processed is skipped; one refused for now is offered again until
// the group's patience runs short.
func (r *kafkaStream) consume(ctx context.Context, p *partition, ld plog.Logs) error {
	if ld.LogRecordCount() == 0 {
		return nil
	}
	giveUp := time.Now().Add(r.cfg.SessionTimeout / 2)
	for {
		err := p.sessionize.ConsumeLogs(ctx, ld)
		switch {
		case err == nil:
			return nil
		case consumererror.IsPermanent(err):
			r.skipped(ctx, "refused")
			return nil
		case time.Now().After(giveUp) || ctx.Err() != nil:
			return errors.Join(errGaveUp, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryStep):
		}
	}
}

func (r *kafkaStream) skipped(ctx context.Context, reason string) {
	r.telemetry.ReceiverKafkastreamRecordsSkipped.Add(ctx, 1, metric.WithAttributes(attribute.String("reason", reason)))
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
func (r *kafkaStream) endTransaction(ctx context.Context, polled, commit bool) {
	txns := r.cut()
	changed := polled
	for _, t := range txns {
		changed = changed || len(t.records) > 0
	}
	if !changed && commit {
		// Nothing new is durable or needs to be: the renderings count only
		// committed state.
		r.publish(ctx, txns)
		return
	}
	if commit && r.abortNext != nil && r.abortNext() {
		commit = false
	}
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.TransactionTimeout)
	defer cancel()
	committed, err := r.produce(endCtx, txns, commit)
	if err != nil {
		r.logger().Warn("Ending the transaction failed; the partitions return to their committed state", zap.Error(err))
	}
	if !committed {
		r.telemetry.ReceiverKafkastreamTransactions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "aborted")))
		r.rollback(ctx, txns)
		return
	}
	r.telemetry.ReceiverKafkastreamTransactions.Add(ctx, 1, metric.WithAttributes(attribute.String("outcome", "committed")))
	for _, t := range txns {
		t.partition.store.Commit()
	}
	r.publish(ctx, txns)
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

// produce writes the changelog records and ends the transaction.
func (r *kafkaStream) produce(ctx context.Context, txns []transaction, commit bool) (bool, error) {
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
	committed, err := r.session.End(ctx, kgo.TransactionEndTry(commit))
	select {
	case produceErr = <-errOnce:
	default:
	}
	if produceErr != nil && committed {
		// Not reached: End flushes and aborts when a record failed.
		return false, produceErr
	}
	return committed, errors.Join(err, produceErr)
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
		if _, err := r.startPartition(ctx, t.partition.id, t.partition.store.Reopen()); err != nil {
			r.logger().Error("Rebuilding a partition after an abort failed; it is restored from the changelog when its next record comes", zap.Int32("partition", t.partition.id), zap.Error(err))
		}
	}
}
