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
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/footfall-analytics/footfall/internal/sourcelog"
)

// seekAhead is how many records a read goes through to reach a later one
// before it seeks there instead.
const seekAhead = 4096

var errSourceClosed = errors.New("the events topic reader is closed")

// eventSource reads records of one partition of the events topic again,
// for the write-ahead entries that name them (sourcelog.Reader): from the
// records the partition handed over lately when they are there (a rebuild
// after an abort), else from Kafka. A restore asks for them oldest first,
// so the source reads forward and seeks only when asked for a record
// behind it, or far ahead.
//
// It serves one restore: the partition's pipeline reads its entries while
// it starts, and the source is closed after.
type eventSource struct {
	opts      []kgo.Opt
	admin     *kadm.Client
	topic     string
	partition int32
	timeout   time.Duration
	// recent are records the partition handed over or read again lately;
	// those found there are not read from Kafka, and those read from Kafka
	// are kept there.
	recent    *recentRecords
	readAgain func(from string)

	client *kgo.Client
	// fetched are the records client returned that were not yet passed,
	// oldest first; next is the offset after the last one fetched, or
	// where client began to read. Below passed, client has nothing more
	// to give: the records there were passed, or it began after them.
	next, passed int64
	fetched      []*kgo.Record
	// start and end bound the partition's committed records, listed once.
	start, end int64
	listed     bool
	closed     bool
}

func (r *kafkaStream) eventSource(partition int32, recent *recentRecords) *eventSource {
	return &eventSource{
		opts: append(append([]kgo.Opt(nil), r.clientOpts...),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.FetchMaxBytes(r.cfg.FetchMaxBytes),
			kgo.FetchMaxPartitionBytes(r.cfg.FetchMaxBytes),
			kgo.MaxDecompressBatchBytes(int(r.cfg.FetchMaxBytes)),
			// Past a retention that deleted the record asked for, the
			// partition's first record comes: the read sees it is gone.
			kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		),
		admin: r.admin, topic: r.cfg.Topic, partition: partition, timeout: r.cfg.Timeout,
		recent: recent, readAgain: r.readAgain,
	}
}

// ReadAgain returns the records ref names, merged in its order, as they
// were handed to the sessionizer.
func (s *eventSource) ReadAgain(ctx context.Context, ref []byte) (plog.Logs, error) {
	offsets, err := decodeOffsets(ref)
	if err != nil {
		return plog.Logs{}, fmt.Errorf("%w: %w", sourcelog.ErrGone, err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	ld := plog.NewLogs()
	for _, offset := range offsets {
		rec, err := s.record(ctx, offset)
		if err != nil {
			return plog.Logs{}, err
		}
		one, err := recordUnmarshaler.UnmarshalLogs(rec.Value)
		if err != nil {
			return plog.Logs{}, fmt.Errorf("%w: the record at offset %d is not OTLP", sourcelog.ErrGone, offset)
		}
		one.ResourceLogs().MoveAndAppendTo(ld.ResourceLogs())
	}
	return ld, nil
}

// record returns the committed record at offset.
func (s *eventSource) record(ctx context.Context, offset int64) (*kgo.Record, error) {
	if s.closed {
		return nil, errSourceClosed
	}
	if rec, ok := s.recent.at(offset); ok {
		s.readAgain(readFromMemory)
		return rec, nil
	}
	rec, err := s.fromEventsTopic(ctx, offset)
	if err == nil {
		s.readAgain(readFromEventsTopic)
		s.recent.keep(rec)
	}
	return rec, err
}

// fromEventsTopic reads the committed record at offset from Kafka.
func (s *eventSource) fromEventsTopic(ctx context.Context, offset int64) (*kgo.Record, error) {
	if err := s.listBounds(ctx); err != nil {
		return nil, err
	}
	if offset < s.start || offset >= s.end {
		return nil, fmt.Errorf("%w: offset %d of partition %d is outside its records [%d, %d)", sourcelog.ErrGone, offset, s.partition, s.start, s.end)
	}
	for {
		if s.client == nil || offset < s.passed || offset-s.next > seekAhead {
			if err := s.seek(offset); err != nil {
				return nil, err
			}
		}
		if offset < s.next {
			for len(s.fetched) > 0 && s.fetched[0].Offset < offset {
				s.passed = s.fetched[0].Offset + 1
				s.fetched = s.fetched[1:]
			}
			if len(s.fetched) > 0 && s.fetched[0].Offset == offset {
				return s.fetched[0], nil
			}
			// Read over: no committed record there (a retention deleted
			// it while the read went on).
			return nil, fmt.Errorf("%w: no record at offset %d of partition %d", sourcelog.ErrGone, offset, s.partition)
		}
		s.fetched, s.passed = s.fetched[:0], s.next
		if err := s.fetch(ctx); err != nil {
			return nil, err
		}
	}
}

// listBounds lists where the partition's records start and end, once.
func (s *eventSource) listBounds(ctx context.Context) error {
	if s.listed {
		return nil
	}
	starts, err := s.admin.ListStartOffsets(ctx, s.topic)
	if err != nil {
		return fmt.Errorf("list the events topic's start offsets: %w", err)
	}
	ends, err := s.admin.ListCommittedOffsets(ctx, s.topic)
	if err != nil {
		return fmt.Errorf("list the events topic's end offsets: %w", err)
	}
	start, ok1 := starts.Lookup(s.topic, s.partition)
	end, ok2 := ends.Lookup(s.topic, s.partition)
	if !ok1 || !ok2 {
		return fmt.Errorf("no offsets listed for partition %d of the events topic", s.partition)
	}
	if err := errors.Join(start.Err, end.Err); err != nil {
		return err
	}
	s.start, s.end, s.listed = start.Offset, end.Offset, true
	return nil
}

// seek reads from offset on with a new client.
func (s *eventSource) seek(offset int64) error {
	if s.client != nil {
		s.client.Close()
	}
	client, err := kgo.NewClient(append(s.opts, kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{
		s.topic: {s.partition: kgo.NewOffset().At(offset)},
	}))...)
	if err != nil {
		s.client = nil
		return err
	}
	s.client, s.next, s.passed, s.fetched = client, offset, offset, nil
	return nil
}

// fetch polls the next records.
func (s *eventSource) fetch(ctx context.Context) error {
	fetches := s.client.PollFetches(ctx)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("read the events topic again: %w", err)
	}
	for _, fe := range fetches.Errors() {
		// A reset past a retention's deletions is reported as data loss;
		// the records after it come, and record finds the one asked for
		// gone.
		var reset *kgo.ErrDataLoss
		if !errors.As(fe.Err, &reset) {
			return fmt.Errorf("read the events topic again: %w", fe.Err)
		}
	}
	fetches.EachRecord(func(rec *kgo.Record) {
		s.fetched = append(s.fetched, rec)
		s.next = rec.Offset + 1
	})
	return nil
}

// close ends the source: the restore it served is over.
func (s *eventSource) close() {
	s.closed = true
	if s.client != nil {
		s.client.Close()
		s.client = nil
	}
	s.fetched = nil
}

// Where a record named by a write-ahead entry was read again.
const (
	readFromMemory      = "memory"
	readFromEventsTopic = "events_topic"
)

func (r *kafkaStream) readAgain(from string) {
	r.telemetry.ReceiverKafkastreamRecordsReadAgain.Add(context.Background(), 1, metric.WithAttributes(attribute.String("from", from)))
}
