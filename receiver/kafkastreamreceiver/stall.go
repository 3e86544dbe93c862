// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"go.uber.org/zap"
)

// A partition whose sessionizer keeps refusing (its next consumer does not
// keep up, its buffer stays full) must not hold the others back: aborting
// the turn would roll every owned partition back, again and again. It is
// paused instead: its offset in the turn's transaction is that of its first
// record not taken, its position is set back there after the commit, and it
// is fetched again after stallPause. The partitions that can go on commit
// as usual.

// stallPause is how long a stalled partition is left alone.
const stallPause = 2 * time.Second

// stall is a paused partition: where it resumes, and when.
type stall struct {
	offset int64
	until  time.Time
}

// stallPartition pauses partition id, to be read again from offset.
func (r *kafkaStream) stallPartition(ctx context.Context, id int32, offset int64, cause error) {
	r.stalls[id] = stall{offset: offset, until: r.clock.Now().Add(stallPause)}
	r.session.Client().PauseFetchPartitions(map[string][]int32{r.cfg.Topic: {id}})
	r.telemetry.ReceiverKafkastreamPartitionsStalled.Add(ctx, 1)
	r.logger().Warn("A partition's sessionizer kept refusing; the partition is paused and read again from its first record not taken, the others go on",
		zap.Int32("partition", id), zap.Int64("offset", offset), zap.Duration("pause", stallPause), zap.Error(cause))
}

// stalled reports whether partition id is paused.
func (r *kafkaStream) stalled(id int32) bool {
	_, ok := r.stalls[id]
	return ok
}

// stalledOffsets makes the turn's offset commit say, for each stalled
// partition, the first record it did not take.
func (r *kafkaStream) stalledOffsets(ctx context.Context) context.Context {
	if len(r.stalls) == 0 {
		return ctx
	}
	return kgo.PreTxnCommitFnContext(ctx, func(req *kmsg.TxnOffsetCommitRequest) error {
		for i := range req.Topics {
			t := &req.Topics[i]
			if t.Topic != r.cfg.Topic {
				continue
			}
			for j := range t.Partitions {
				p := &t.Partitions[j]
				if s, ok := r.stalls[p.Partition]; ok && s.offset < p.Offset {
					p.Offset, p.LeaderEpoch = s.offset, -1
				}
			}
		}
		return nil
	})
}

// rewindStalled sets the position of each stalled partition back to its
// first record not taken, after a commit (an abort goes back to the
// committed offsets by itself). It runs before rebalances are allowed.
func (r *kafkaStream) rewindStalled(committed bool) {
	if !committed || len(r.stalls) == 0 {
		return
	}
	offsets := map[int32]kgo.EpochOffset{}
	for id, s := range r.stalls {
		offsets[id] = kgo.EpochOffset{Epoch: -1, Offset: s.offset}
	}
	r.session.Client().SetOffsets(map[string]map[int32]kgo.EpochOffset{r.cfg.Topic: offsets})
}

// resumeStalled fetches again the partitions whose pause is over.
func (r *kafkaStream) resumeStalled(now time.Time) {
	var ids []int32
	for id, s := range r.stalls {
		if now.After(s.until) {
			ids = append(ids, id)
			delete(r.stalls, id)
		}
	}
	if len(ids) > 0 {
		r.session.Client().ResumeFetchPartitions(map[string][]int32{r.cfg.Topic: ids})
	}
}
