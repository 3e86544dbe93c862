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

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/storageclient"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadata"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
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

	initialRetryDelay = 100 * time.Millisecond
	maxRetryDelay     = 5 * time.Second
)

// Reasons for refusing a batch with a retryable error.
const (
	refusedPendingFull  = "pending_full"
	refusedOutboxFull   = "outbox_full"
	refusedStorage      = "storage"
	refusedShuttingDown = "shutting_down"
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

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) bool
	// handoffWait bounds how long a checkpoint waits for the next consumer
	// to give back the batch it is taking.
	handoffWait time.Duration
	// walSegmentSize is the size of the write-ahead log's segment files.
	walSegmentSize int

	client         storage.Client
	wal            writeAheadLog
	lastCheckpoint time.Time

	requests    chan *request
	stopping    chan struct{}
	stopOnce    sync.Once
	ownerDone   chan struct{}
	drain       chan struct{}
	deliverCtx  context.Context
	cancel      context.CancelFunc
	deliverDone chan struct{}
	started     bool
}

// request is one call into the state owner: a batch to take, or a tick.
type request struct {
	batch  *batch
	tickAt time.Time
	reply  chan error
	err    error
}

func newProcessor(cfg *Config, set processor.Settings, next consumer.Logs) (*sessionizeProcessor, error) {
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
		now:            time.Now,
		sleep:          sleepContext,
		handoffWait:    checkpointHandoffWait,
		walSegmentSize: wal.DefaultSegmentSize,
		requests:       make(chan *request),
		stopping:       make(chan struct{}),
		ownerDone:      make(chan struct{}),
		drain:          make(chan struct{}),
	}
	p.reader = &eventReader{
		maxClockSkew:  cfg.MaxClockSkew,
		goals:         setOf(cfg.Goals),
		nonEngagement: setOf(cfg.NonEngagementEvents),
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

// Start restores state from storage, then starts the state owner and the
// delivery loop.
func (p *sessionizeProcessor) Start(ctx context.Context, host component.Host) error {
	if p.cfg.Storage != nil {
		client, err := storageclient.Get(ctx, host, *p.cfg.Storage, component.KindProcessor, p.settings.ID)
		if err != nil {
			return err
		}
		p.client = client
		if err := p.openWAL(client); err != nil {
			_ = client.Close(ctx)
			return err
		}
		restored, err := p.restore(ctx, client)
		if err != nil {
			_ = p.wal.close()
			_ = client.Close(ctx)
			return err
		}
		for _, ld := range restored.outbox {
			p.outbox.push(outboxItem{logs: ld, records: ld.LogRecordCount()})
		}
		for _, step := range restored.steps {
			p.emit(step)
		}
		p.state.record(nil)
		p.settings.Logger.Info("Sessionize state restored",
			zap.Int("live_sessions", p.state.tracker.Live()),
			zap.Int("pending_events", p.state.tracker.Pending()),
			zap.Int("undelivered_records", p.outbox.pendingRecords()))
	} else {
		p.settings.Logger.Warn("No storage configured: events held for allowed_lateness are lost on a crash, and open sessions are lost on shutdown unless flush_on_shutdown is set")
	}
	p.lastCheckpoint = p.now()
	p.deliverCtx, p.cancel = context.WithCancel(context.Background())
	p.deliverDone = make(chan struct{})
	p.started = true
	go p.run()
	// Delivery outlives Start's context; Shutdown cancels it.
	go p.deliver() //nolint:gosec // G118: p.deliverCtx is the delivery loop's own context

	return nil
}

// openWAL opens the write-ahead log: segment files in wal_directory, or
// keys of the storage extension.
func (p *sessionizeProcessor) openWAL(client storage.Client) error {
	quarantine := func(ctx context.Context, seq uint64, data []byte, cause error) error {
		return p.quarantineValue(ctx, client, partWAL, walKey(seq), data, cause)
	}
	if p.cfg.WALDirectory == "" {
		p.wal = &storageWAL{client: client, quarantine: quarantine}
		return nil
	}
	log, err := openSegmentWAL(p.cfg.WALDirectory, p.walSegmentSize, quarantine, p.settings.Logger)
	if err != nil {
		return err
	}
	p.wal = log
	return nil
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
	if p.client != nil {
		wire, err := protoMarshaler.MarshalLogs(b.logs)
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

// run is the state owner.
func (p *sessionizeProcessor) run() {
	defer close(p.ownerDone)
	ticker := time.NewTicker(tickInterval)
	defer ticker.Stop()
	for {
		select {
		case req := <-p.requests:
			group := []*request{req}
		more:
			for len(group) < maxGroup {
				select {
				case r := <-p.requests:
					group = append(group, r)
				default:
					break more
				}
			}
			p.handle(group)
		case <-ticker.C:
			p.tick(p.now())
		case <-p.stopping:
			return
		}
	}
}

// handle takes a group of requests: checks room, drops duplicates, writes the
// accepted batches to the write-ahead log in one storage operation, then
// places them and answers.
func (p *sessionizeProcessor) handle(group []*request) {
	s := p.state
	now := p.now()
	firstSeq := s.nextSeq
	seenInGroup := map[[2]string]bool{}
	var taken []*request
	var entries []wal.Entry
	reserved := 0
	for _, req := range group {
		if req.batch == nil {
			continue
		}
		b := req.batch
		switch {
		case s.tracker.Pending()+reserved+len(b.inputs) > p.cfg.MaxPendingEvents:
			req.err = p.refuse(refusedPendingFull, b, fmt.Errorf("sessionize reorder buffer is full (max_pending_events %d)", p.cfg.MaxPendingEvents))
			continue
		case p.outbox.pendingRecords() > p.cfg.MaxUndeliveredRecords:
			req.err = p.refuse(refusedOutboxFull, b, fmt.Errorf("next consumer is not keeping up: %d records undelivered (max_undelivered_records %d)", p.outbox.pendingRecords(), p.cfg.MaxUndeliveredRecords))
			continue
		case p.wal != nil && walEntrySize(b) > p.wal.maxEntryBytes():
			p.reader.countInvalid(reasonTooLarge, len(b.inputs))
			req.err = consumererror.NewPermanent(fmt.Errorf("a batch of %d bytes is larger than a write-ahead entry can be (%d bytes)", walEntrySize(b), p.wal.maxEntryBytes()))
			continue
		}
		accepted := s.filterDuplicates(b, seenInGroup)
		reserved += accepted
		if accepted > 0 {
			b.seq = s.nextSeq
			s.nextSeq++
			if p.wal != nil {
				entries = append(entries, wal.Entry{Seq: b.seq, Data: encodeWAL(b, b.wal)})
				b.logged = true
			}
		}
		// Placed records are rebuilt from the log on restore, not from these bytes.
		b.wal = nil
		taken = append(taken, req)
	}
	if len(entries) > 0 {
		ctx, cancel := context.WithTimeout(context.Background(), walTimeout)
		err := p.wal.append(ctx, entries)
		cancel()
		if err != nil {
			s.nextSeq = firstSeq
			for _, req := range taken {
				req.err = p.refuse(refusedStorage, req.batch, fmt.Errorf("write-ahead log: %w", err))
			}
			taken = nil
		}
	}
	for _, req := range taken {
		p.emit(s.apply(req.batch, now))
	}
	for _, req := range group {
		if req.batch == nil {
			p.tick(req.tickAt)
		}
		req.reply <- req.err
	}
	s.record(nil)
}

func (p *sessionizeProcessor) refuse(reason string, b *batch, err error) error {
	p.refused(reason, len(b.inputs))
	return err
}

// tick moves an idle watermark and writes a checkpoint when one is due.
func (p *sessionizeProcessor) tick(now time.Time) {
	p.emit(p.state.idleAdvance(now))
	if p.client != nil && now.Sub(p.lastCheckpoint) >= p.cfg.CheckpointInterval {
		if err := p.writeCheckpoint(context.Background()); err != nil {
			p.settings.Logger.Error("Sessionize checkpoint failed; the write-ahead log is kept until one succeeds", zap.Error(err))
		}
		p.lastCheckpoint = now
	}
	p.state.record(nil)
}

// writeCheckpoint checkpoints the state and records how long it took.
func (p *sessionizeProcessor) writeCheckpoint(ctx context.Context) error {
	start := time.Now()
	outbox, err := p.outbox.snapshot(p.handoffWait, p.encode)
	if err == nil {
		err = p.state.checkpoint(ctx, p.client, p.wal, outbox)
	}
	outcome := "success"
	if err != nil {
		outcome = "failure"
	}
	p.telemetry.ProcessorSessionizeCheckpointDuration.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(attribute.String("outcome", outcome)))
	return err
}

// emit queues a step's output for the next consumer.
func (p *sessionizeProcessor) emit(e *emitted) {
	if e == nil {
		return
	}
	p.state.record(e)
	if e.records == 0 {
		return
	}
	p.outbox.push(outboxItem{logs: e.logs, records: e.records})
	p.telemetry.ProcessorSessionizeOutboxRecords.Add(context.Background(), int64(e.records))
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

// deliver hands queued output to the next consumer in order, retrying
// retryable errors with backoff until shutdown.
func (p *sessionizeProcessor) deliver() {
	defer close(p.deliverDone)
	delay := initialRetryDelay
	failing := false
	for {
		item, ok := p.outbox.front()
		if !ok {
			select {
			case <-p.outbox.ready:
				continue
			case <-p.drain:
				// Shutdown may have queued a last step just before asking
				// to drain: select picks at random among ready cases.
				if _, more := p.outbox.front(); more {
					continue
				}
				return
			case <-p.deliverCtx.Done():
				return
			}
		}
		err := p.handOver(item)
		if err == nil {
			delay, failing = initialRetryDelay, false
			continue
		}
		if !failing {
			p.settings.Logger.Warn("Next consumer refused sessionized records; retrying", zap.Int("records", item.records), zap.Error(err))
			failing = true
		}
		p.telemetry.ProcessorSessionizeDeliveryRetries.Add(context.Background(), 1)
		if !p.sleep(p.deliverCtx, delay) {
			return
		}
		delay = min(2*delay, maxRetryDelay)
	}
}

// handOver gives item to the next consumer and removes it once accepted,
// or refused for good (dropped, logged and counted). It returns a retryable
// error, for which the item stays.
func (p *sessionizeProcessor) handOver(item outboxItem) error {
	p.outbox.beginHandoff()
	defer p.outbox.endHandoff()
	err := p.next.ConsumeLogs(p.deliverCtx, item.logs)
	if err != nil && consumererror.IsPermanent(err) {
		p.settings.Logger.Error("Next consumer refused sessionized records permanently; they are dropped", zap.Int("records", item.records), zap.Error(err))
		p.telemetry.ProcessorSessionizeDeliveryDropped.Add(context.Background(), int64(item.records))
		err = nil
	}
	if err == nil {
		p.delivered(item)
	}
	return err
}

func (p *sessionizeProcessor) delivered(item outboxItem) {
	p.outbox.pop()
	p.telemetry.ProcessorSessionizeOutboxRecords.Add(context.Background(), -int64(item.records))
}

func sleepContext(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// Shutdown stops taking data, ends or keeps open sessions as configured,
// delivers what it can before ctx ends, and checkpoints the rest.
func (p *sessionizeProcessor) Shutdown(ctx context.Context) error {
	defer p.telemetry.Shutdown()
	p.stopOnce.Do(func() { close(p.stopping) })
	if !p.started {
		return nil
	}
	<-p.ownerDone
	s := p.state
	switch {
	case p.cfg.FlushOnShutdown:
		p.emit(s.render(s.tracker.Flush(session.EndShutdown)))
	case p.client == nil:
		p.emit(s.render(s.tracker.PlacePending()))
		if live := s.tracker.Live(); live > 0 {
			p.settings.Logger.Warn("Open sessions are lost at shutdown: configure storage to keep them, or flush_on_shutdown to end them", zap.Int("sessions", live))
		}
	}
	s.record(nil)
	close(p.drain)
	var errs []error
	select {
	case <-p.deliverDone:
	case <-ctx.Done():
		p.cancel()
		<-p.deliverDone
		if p.client == nil {
			errs = append(errs, fmt.Errorf("sessionize shutdown: %d records not delivered: %w", p.outbox.pendingRecords(), ctx.Err()))
		}
	}
	p.cancel()
	if p.client != nil {
		// The shutdown context may be spent by now; the checkpoint is what
		// keeps the state, so it gets its own short deadline.
		cpCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		errs = append(errs, p.writeCheckpoint(cpCtx), p.wal.close(), p.client.Close(cpCtx))
	}
	return errors.Join(errs...)
}
