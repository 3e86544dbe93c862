// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
)

// stableWaitStep is how often a restore asks again whether a transaction on
// the changelog partition is still open.
const stableWaitStep = 100 * time.Millisecond

// readChangelog rebuilds partition's state from its changelog partition.
//
// It first waits until no transaction is open there (the last stable offset
// equals the end): the open one can only be the former owner's, which the
// broker aborts within transaction_timeout if it died. Reading before that
// could miss state whose offsets the former owner commits a moment later.
func readChangelog(ctx context.Context, admin *kadm.Client, opts []kgo.Opt, topic string, partition int32) (*changelog.Store, error) {
	end, err := stableEnd(ctx, admin, topic, partition)
	if err != nil {
		return nil, err
	}
	if end == 0 {
		return changelog.NewStore(), nil
	}
	cl, err := kgo.NewClient(append(opts,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {partition: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records are read too: a partition whose last batch is a
		// commit marker is read to its end only by counting its offset.
		kgo.KeepControlRecords(),
	)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	loader := changelog.NewLoader()
	for next := int64(0); next < end; {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read changelog partition %d: %w", partition, err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			return nil, fmt.Errorf("read changelog partition %d: %w", partition, errs[0].Err)
		}
		fetches.EachRecord(func(r *kgo.Record) {
			if !r.Attrs.IsControl() {
				loader.Add(r.Key, r.Value)
			}
			next = r.Offset + 1
		})
	}
	return loader.Store()
}

// stableEnd waits until the changelog partition has no open transaction and
// returns its end offset. Offsets that cannot be listed yet (a topic just
// created, a leader moving) are asked for again until ctx ends.
func stableEnd(ctx context.Context, admin *kadm.Client, topic string, partition int32) (int64, error) {
	why := errors.New("no offsets listed yet")
	for {
		end, stable, err := endOffsets(ctx, admin, topic, partition)
		switch {
		case err != nil && ctx.Err() == nil:
			why = err
		case err != nil:
			// Cut short by ctx itself: keep what was seen before.
		case end == stable:
			return end, nil
		default:
			why = errors.New("a transaction stayed open")
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("changelog partition %d: %w: %w", partition, why, ctx.Err())
		case <-time.After(stableWaitStep):
		}
	}
}

// endOffsets returns the partition's end offset and its last stable offset.
func endOffsets(ctx context.Context, admin *kadm.Client, topic string, partition int32) (end, stable int64, err error) {
	ends, err := admin.ListEndOffsets(ctx, topic)
	if err != nil {
		return 0, 0, fmt.Errorf("list end offsets: %w", err)
	}
	stables, err := admin.ListCommittedOffsets(ctx, topic)
	if err != nil {
		return 0, 0, fmt.Errorf("list stable offsets: %w", err)
	}
	e, ok1 := ends.Lookup(topic, partition)
	s, ok2 := stables.Lookup(topic, partition)
	if !ok1 || !ok2 {
		return 0, 0, errors.New("no end offset listed")
	}
	if err := errors.Join(e.Err, s.Err); err != nil {
		return 0, 0, err
	}
	return e.Offset, s.Offset, nil
}
