// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/changelog"
	"github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver/internal/metadata"
)

// connectRetry is the wait between attempts to reach Kafka at start.
const connectRetry = time.Second

type kafkaStream struct {
	cfg       *Config
	set       receiver.Settings
	telemetry *metadata.TelemetryBuilder
	// nextMetrics and nextLogs are the pipelines the receiver is in; either
	// may be nil.
	nextMetrics consumer.Metrics
	nextLogs    consumer.Logs

	// clientOpts are the connection settings every client here shares.
	clientOpts []kgo.Opt
	admin      *kadm.Client
	session    *kgo.GroupTransactSession

	// recent bounds the records the partitions keep for a rebuild after
	// an abort (recent.go).
	recent *recentBudget

	// mu owns partitions. It is never held while ending a transaction (the
	// group's revoke callback runs under the session's lock, which End
	// takes) nor while calling next.
	mu         sync.Mutex
	partitions map[int32]*partition
	// unrestored are owned partitions whose restore failed (the changelog
	// or the events topic could not be read); each turn tries them again.
	unrestored map[int32]bool
	// stalls are the partitions paused because their sessionizer kept
	// refusing (stall.go); the loop owns them.
	stalls map[int32]stall

	cancel context.CancelFunc
	done   chan struct{}
	// health is what the loop last saw of Kafka (health.go).
	health *kafkaHealth
	// clock is the loop's clock, and its partitions' (clockwork.FromContext
	// at creation, as contrib's connectors take theirs; startPartition
	// hands it on): the real clock, or a test's fake one.
	clock clockwork.Clock
}

func newReceiver(cfg *Config, set receiver.Settings, clock clockwork.Clock) (*kafkaStream, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	recent := &recentBudget{limit: recentRecordsBytes, evicted: func(records int) {
		telemetry.ReceiverKafkastreamRecentRecordsEvicted.Add(context.Background(), int64(records))
	}}
	return &kafkaStream{
		cfg: cfg, set: set, telemetry: telemetry, recent: recent,
		partitions: map[int32]*partition{}, unrestored: map[int32]bool{}, stalls: map[int32]stall{},
		health: &kafkaHealth{logger: set.Logger, clock: clock},
		clock:  clock,
	}, nil
}

// Start returns at once: the topics are checked, and the group joined, by
// the loop, which waits for Kafka when it cannot be reached. A changelog
// that does not fit the events topic stops the collector (a fatal status).
func (r *kafkaStream) Start(ctx context.Context, host component.Host) error {
	if err := r.telemetry.RegisterReceiverKafkastreamPartitionsCallback(r.observePartitions); err != nil {
		return err
	}
	if err := r.telemetry.RegisterReceiverKafkastreamStateBytesCallback(r.observeStateBytes); err != nil {
		return err
	}
	opts, err := connectionOpts(ctx, r.cfg)
	if err != nil {
		return err
	}
	r.health.host = host
	opts = append(opts, kgo.WithHooks(healthHooks{r.health}))
	r.clientOpts = opts
	adminClient, err := kgo.NewClient(r.clientOpts...)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	r.admin = kadm.NewClient(adminClient)
	loopCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	r.cancel, r.done = stop, make(chan struct{})
	go r.run(loopCtx, host)
	return nil
}

// connect checks the topics, retrying while Kafka cannot be reached, then
// joins the group. It reports false when the receiver must not run.
func (r *kafkaStream) connect(ctx context.Context, host component.Host) bool {
	for {
		checkCtx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
		err := ensureTopics(checkCtx, r.admin, r.cfg)
		cancel()
		if err == nil {
			break
		}
		if errors.Is(err, errTopicMismatch) {
			r.logger().Error("The Kafka topics do not fit; nothing is consumed", zap.Error(err))
			componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(err))
			return false
		}
		r.health.failed("The Kafka topics cannot be checked; nothing is consumed until they can, retrying every second", err)
		select {
		case <-ctx.Done():
			return false
		case <-r.clock.After(connectRetry):
		}
	}
	session, err := kgo.NewGroupTransactSession(append(r.clientOpts,
		kgo.ConsumerGroup(r.cfg.GroupID),
		kgo.ConsumeTopics(r.cfg.Topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxBytes(r.cfg.FetchMaxBytes),
		kgo.FetchMaxPartitionBytes(r.cfg.FetchMaxBytes),
		kgo.MaxDecompressBatchBytes(int(r.cfg.FetchMaxBytes)),
		kgo.TransactionalID(r.cfg.transactionalID()),
		kgo.TransactionTimeout(r.cfg.TransactionTimeout),
		kgo.SessionTimeout(r.cfg.SessionTimeout),
		// A third of the session timeout, as Kafka advises: franz-go's
		// default of 3 s loses the membership under a short session timeout.
		kgo.HeartbeatInterval(r.cfg.SessionTimeout/3),
		kgo.RebalanceTimeout(r.cfg.RebalanceTimeout),
		// Rebalances wait until a transaction has ended, so that partitions
		// change hands only between transactions.
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(r.assigned),
		kgo.OnPartitionsRevoked(r.revoked),
		kgo.OnPartitionsLost(r.revoked),
		kgo.DefaultProduceTopic(r.cfg.changelogTopic()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchMaxBytes(2*changelog.FragmentBytes),
		// The changelog as the gateways write the events topic: zstd
		// stores a checkpoint in a third of what snappy (franz-go's
		// default) does. Every broker with transactions (2.5+) reads it.
		kgo.ProducerBatchCompression(kgo.ZstdCompression()),
	)...)
	if err != nil {
		componentstatus.ReportStatus(host, componentstatus.NewFatalErrorEvent(fmt.Errorf("kafka transactional consumer: %w", err)))
		return false
	}
	r.session = session
	return true
}

// Shutdown ends the loop after its transaction, stops every partition's
// pipeline, commits what they wrote while stopping (their final checkpoint
// and metrics), and leaves the group. Safe without Start, and twice.
func (r *kafkaStream) Shutdown(ctx context.Context) error {
	defer r.telemetry.Shutdown()
	var err error
	if r.done != nil {
		r.cancel()
		select {
		case <-r.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		err = r.stopAll(ctx, false)
		if r.session != nil {
			r.endTransaction(ctx, false, true)
		}
	}
	if r.session != nil {
		// Leaving the group revokes what is owned: a partition assigned
		// after the loop ended is dropped there or below.
		r.session.Close()
	}
	err = errors.Join(err, r.stopAll(ctx, true))
	if r.admin != nil {
		r.admin.Close()
	}
	return err
}

// stopAll stops every owned partition's pipeline; drop also forgets them
// and closes their stores.
func (r *kafkaStream) stopAll(ctx context.Context, drop bool) error {
	// A copy: the group's revoke callback may delete from the map while
	// the pipelines stop, when the loop has already ended.
	r.mu.Lock()
	owned := maps.Clone(r.partitions)
	if drop {
		r.partitions = map[int32]*partition{}
	}
	r.mu.Unlock()
	var err error
	for _, p := range owned {
		err = errors.Join(err, p.stop(ctx))
		if drop {
			p.close()
		}
	}
	return err
}

func (r *kafkaStream) observePartitions(_ context.Context, o metric.Int64Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	o.Observe(int64(len(r.partitions)))
	return nil
}

func (r *kafkaStream) observeStateBytes(_ context.Context, o metric.Int64Observer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var n int64
	for _, p := range r.partitions {
		n += p.store.Size()
	}
	o.Observe(n)
	return nil
}

func (r *kafkaStream) logger() *zap.Logger { return r.set.Logger }
