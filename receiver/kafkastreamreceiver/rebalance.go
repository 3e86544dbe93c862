// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"fmt"

	"github.com/jonboulle/clockwork"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// assigned restores each newly owned partition from its changelog before
// its first record is fetched. A partition whose restore fails is restored
// again at the next turn, or when its first record comes (see partition).
func (r *kafkaStream) assigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	for _, id := range assigned[r.cfg.Topic] {
		if _, err := r.restorePartition(ctx, id); err != nil {
			r.logger().Warn("Restoring a partition's state at assignment failed; retried at the next turn", zap.Int32("partition", id), zap.Error(err))
		}
	}
}

// restoreAgain tries again each owned partition whose restore failed: a
// quiet partition would otherwise wait for its next record, its series
// left as they were and its pending events unplaced.
func (r *kafkaStream) restoreAgain(ctx context.Context) {
	r.mu.Lock()
	ids := make([]int32, 0, len(r.unrestored))
	for id := range r.unrestored {
		ids = append(ids, id)
	}
	r.mu.Unlock()
	for _, id := range ids {
		if _, err := r.restorePartition(ctx, id); err != nil {
			r.logger().Warn("Restoring a partition's state failed again; retried at the next turn", zap.Int32("partition", id), zap.Error(err))
		}
	}
}

// revoked drops the state of partitions given to another collector, or
// lost: the changelog holds what was committed, and the next owner starts
// from there. Their uncommitted writes are discarded.
func (r *kafkaStream) revoked(ctx context.Context, _ *kgo.Client, revoked map[string][]int32) {
	for _, id := range revoked[r.cfg.Topic] {
		r.mu.Lock()
		p, ok := r.partitions[id]
		delete(r.partitions, id)
		delete(r.unrestored, id)
		r.mu.Unlock()
		if !ok {
			continue
		}
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
		if err := p.stop(stopCtx); err != nil {
			r.logger().Debug("Stopping a revoked partition", zap.Int32("partition", id), zap.Error(err))
		}
		if err := p.published.retract(stopCtx); err != nil {
			r.logger().Warn("Withdrawing a revoked partition's series failed; they stay until metric_expiration", zap.Int32("partition", id), zap.Error(err))
		}
		cancel()
		p.close()
	}
}

// restorePartition reads a partition's changelog and starts its pipeline.
func (r *kafkaStream) restorePartition(ctx context.Context, id int32) (*partition, error) {
	return r.rebuildPartition(ctx, id, r.recent.records())
}

// rebuildPartition reads a partition's changelog and starts its pipeline;
// the records its write-ahead entries name are read from recent when they
// are there.
func (r *kafkaStream) rebuildPartition(ctx context.Context, id int32, recent *recentRecords) (*partition, error) {
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	defer cancel()
	store, err := readChangelog(readCtx, r.admin, r.clientOpts, r.cfg.changelogTopic(), id)
	if err != nil {
		recent.release()
		r.markUnrestored(id)
		return nil, err
	}
	r.telemetry.ReceiverKafkastreamRestores.Add(ctx, 1)
	return r.startPartition(readCtx, id, store, recent)
}

// startPartition starts a partition's pipeline on store and owns it. The
// records its write-ahead entries name are read again while it starts,
// from recent when they are there.
func (r *kafkaStream) startPartition(ctx context.Context, id int32, store *changelog.Store, recent *recentRecords) (*partition, error) {
	source := r.eventSource(id, recent)
	defer source.close()
	// The partition's sessionizer and aggregator run on the receiver's
	// clock (their factories take it from the context), whether the loop
	// or franz-go's assignment callback starts them.
	p, err := startPartition(clockwork.AddToContext(ctx, r.clock), r.cfg, r.set, id, store, source, r.nextMetrics, r.nextLogs)
	if err != nil {
		store.Close()
		recent.release()
		r.markUnrestored(id)
		return nil, fmt.Errorf("start partition %d: %w", id, err)
	}
	p.recent = recent
	// Restored: nothing reads the store again, and its values would be a
	// second, serialized copy of the state in memory.
	store.Restored()
	r.mu.Lock()
	old, had := r.partitions[id]
	r.partitions[id] = p
	delete(r.unrestored, id)
	r.mu.Unlock()
	if had {
		// Not expected: a partition is assigned once until revoked.
		_ = old.stop(ctx)
		old.close()
	}
	return p, nil
}

func (r *kafkaStream) markUnrestored(id int32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unrestored[id] = true
}
