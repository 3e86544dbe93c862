// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/footfall-analytics/footfall/internal/sourcelog"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/diskguard"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/wal"
)

const (
	// maxGroup bounds how many requests the owner takes together (one
	// storage write for all of them).
	maxGroup = 64
	// tickInterval is how often the owner checks the idle watermark and the
	// checkpoint interval: a quiet site's event is placed within
	// watermark_idle_timeout plus this.
	tickInterval = 100 * time.Millisecond

	// checkpointHandoffWait bounds how long a checkpoint waits for the next
	// consumer to give back the batch it is taking.
	checkpointHandoffWait = time.Second

	// walTimeout bounds one group's write to a storage extension's
	// write-ahead log.
	walTimeout = 10 * time.Second
)

// Reasons for refusing a batch with a retryable error.
const (
	refusedPendingFull  = "pending_full"
	refusedOutboxFull   = "outbox_full"
	refusedStorage      = "storage"
	refusedShuttingDown = "shutting_down"
	refusedDiskLow      = "disk_low"
)

var errShuttingDown = errors.New("sessionize processor is shutting down")

type sessionizeProcessor struct {
	cfg       *Config
	settings  processor.Settings
	next      consumer.Logs
	telemetry *metadata.TelemetryBuilder
	reader    *eventReader
	state     *state
	outbox    *outbox

	// clock is the wall clock: the owner's ticks, the receive time of a
	// group and the checkpoint interval (clockwork.FromContext at creation,
	// as contrib's connectors take theirs, so tests drive it).
	clock clockwork.Clock
	// sleep waits out a delivery retry's delay.
	sleep func(ctx context.Context, d time.Duration) bool
	// handoffWait bounds how long a checkpoint waits for the next consumer
	// to give back the batch it is taking.
	handoffWait time.Duration
	// walSegmentSize is the size of the write-ahead log's segment files.
	walSegmentSize int

	client storage.Client
	// storageExt is the storage extension: participants of the checkpoints
	// meet through it (internal/cosave).
	storageExt component.Component
	wal        writeAheadLog
	// source reads records again from the log they came from, when the
	// storage client can (internal/sourcelog): write-ahead entries of
	// batches handed on with a reference hold the reference.
	source sourcelog.Reader
	// writer appends to a segment log while the owner goes on; nil for a
	// storage extension's log or none (walwriter.go). inFlight is what the
	// owner knows of the groups it holds.
	writer   *walWriter
	inFlight inFlight
	// disk refuses appends that would leave no room for a checkpoint; nil
	// when no directory is watched.
	disk           *diskguard.Guard
	lastCheckpoint time.Time
	// checkpointed is where the last checkpoint began (checkpointschedule.go).
	checkpointed checkpointedAt
	// pausing is the pause asked for a checkpoint, running the checkpoint
	// under way (checkpointschedule.go); both belong to the owner.
	pausing *pauseRequest
	running *checkpointRun

	requests    chan *request
	stopping    chan struct{}
	stopOnce    sync.Once
	ownerDone   chan struct{}
	drain       chan struct{}
	deliverCtx  context.Context
	cancel      context.CancelFunc
	deliverDone chan struct{}
	started     bool

	// restoredLeft counts the outbox items restored at Start that the
	// delivery loop has yet to hand over; the checkpoints' participants are
	// told when it reaches zero (cosave.Participant.ReplayDelivered).
	restoredLeft int
}

// request is one call into the state owner: a batch to take.
type request struct {
	batch *batch
	reply chan error
	err   error
}

func newProcessor(cfg *Config, set processor.Settings, next consumer.Logs, clock clockwork.Clock) (*sessionizeProcessor, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	p := &sessionizeProcessor{
		cfg:            cfg,
		settings:       set,
		next:           next,
		telemetry:      telemetry,
		outbox:         newOutbox(),
		clock:          clock,
		sleep:          sleepContext,
		handoffWait:    checkpointHandoffWait,
		walSegmentSize: wal.DefaultSegmentSize,
		requests:       make(chan *request),
		stopping:       make(chan struct{}),
		ownerDone:      make(chan struct{}),
		drain:          make(chan struct{}),
		inFlight:       inFlight{ids: map[[2]string]*walGroup{}},
	}
	p.reader = &eventReader{
		maxClockSkew:  cfg.MaxClockSkew,
		goals:         setOf(cfg.Goals),
		nonEngagement: setOf(cfg.NonEngagementEvents),
		funnels:       newFunnelMatcher(cfg.Funnels),
		countInvalid: func(reason string, n int) {
			counter := telemetry.ProcessorSessionizeEventsDropped
			if isForeign(reason) {
				counter = telemetry.ProcessorSessionizeRecordsForwardedUnchanged
			}
			counter.Add(context.Background(), int64(n), metric.WithAttributes(attribute.String("reason", reason)))
		},
		countSkewed: func(n int) {
			telemetry.ProcessorSessionizeEventsClockSkewed.Add(context.Background(), int64(n))
		},
	}
	p.state = newState(cfg, telemetry)
	if dir := cfg.Disk.directory(cfg.WALDirectory); dir != "" {
		p.disk = diskguard.New(dir, cfg.Disk.MinFreeBytes, nil, p.clock.Now)
		err := telemetry.RegisterProcessorSessionizeDiskFreeBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			if free, err := p.disk.Free(); err == nil {
				o.Observe(free)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return p, nil
}

func setOf(names []string) map[string]bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return set
}

func (*sessionizeProcessor) Capabilities() consumer.Capabilities {
	// Records are annotated in place and moved into the output.
	return consumer.Capabilities{MutatesData: true}
}

// ConsumeLogs answers success once the batch's events are durable: written
// to the storage extension's write-ahead log (or, without storage, taken into
// memory). Records that are not browser events are forwarded unchanged first;
// broken browser events are dropped and counted, and when nothing else is
// left the batch is refused with a permanent error.
func (p *sessionizeProcessor) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	total := ld.LogRecordCount()
	if total > maxBatchRecords {
		return consumererror.NewPermanent(fmt.Errorf("a batch of %d records is more than the %d the sessionize processor takes at once", total, maxBatchRecords))
	}
	b, foreign, invalid := p.reader.read(ld)
	if foreign.LogRecordCount() > 0 {
		if err := p.next.ConsumeLogs(ctx, foreign); err != nil {
			return err
		}
	}
	if len(b.inputs) == 0 {
		if total == foreign.LogRecordCount() {
			return nil
		}
		return consumererror.NewPermanent(fmt.Errorf("none of the %d records can be sessionized: %s", total, describe(invalid)))
	}
	if ref, ok := sourcelog.RefFrom(ctx); ok && p.source != nil {
		// The records can be read again where they came from: the entry
		// holds where, not a second copy.
		b.wal, b.byRef = ref, true
	} else if p.client != nil {
		wire, err := encodeRecords(b.logs)
		if err != nil {
			return consumererror.NewPermanent(fmt.Errorf("encode records for the write-ahead log: %w", err))
		}
		b.wal = wire
	}
	req := &request{batch: b, reply: make(chan error, 1)}
	select {
	case p.requests <- req:
	case <-p.stopping:
		p.refused(refusedShuttingDown, len(b.inputs))
		return errShuttingDown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-ctx.Done():
		// The owner still takes the batch; the sender's retry is a duplicate.
		return ctx.Err()
	}
}

func describe(invalid map[string]int) string {
	parts := make([]string, 0, len(invalid))
	for reason, n := range invalid {
		parts = append(parts, fmt.Sprintf("%d %s", n, reason))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func (p *sessionizeProcessor) refused(reason string, events int) {
	p.telemetry.ProcessorSessionizeEventsRefused.Add(context.Background(), int64(events), metric.WithAttributes(attribute.String("reason", reason)))
}
