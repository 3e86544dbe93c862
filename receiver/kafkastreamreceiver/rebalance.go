// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// assigned restores each newly owned partition from its changelog before
// its first record is fetched. A partition whose restore fails is restored
// again when its first record comes (see partition).
func (r *kafkaStream) assigned(ctx context.Context, _ *kgo.Client, assigned map[string][]int32) {
	for _, id := range assigned[r.cfg.Topic] {
		if _, err := r.restorePartition(ctx, id); err != nil {
			r.logger().Warn("Restoring a partition's state at assignment failed; retried when its first record comes", zap.Int32("partition", id), zap.Error(err))
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
		p.store.Close()
	}
}

// restorePartition reads a partition's changelog and starts its pipeline.
func (r *kafkaStream) restorePartition(ctx context.Context, id int32) (*partition, error) {
	readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.Timeout)
	defer cancel()
	store, err := readChangelog(readCtx, r.admin, r.clientOpts, r.cfg.changelogTopic(), id)
	if err != nil {
		return nil, err
	}
	r.telemetry.ReceiverKafkastreamRestores.Add(ctx, 1)
	return r.startPartition(readCtx, id, store)
}

// startPartition starts a partition's pipeline on store and owns it.
func (r *kafkaStream) startPartition(ctx context.Context, id int32, store *changelog.Store) (*partition, error) {
	p, err := startPartition(ctx, r.cfg, r.set, id, store, r.nextMetrics, r.nextLogs)
	if err != nil {
		store.Close()
		return nil, fmt.Errorf("start partition %d: %w", id, err)
	}
	r.mu.Lock()
	old, had := r.partitions[id]
	r.partitions[id] = p
	r.mu.Unlock()
	if had {
		// Not expected: a partition is assigned once until revoked.
		_ = old.stop(ctx)
		old.store.Close()
	}
	return p, nil
}
