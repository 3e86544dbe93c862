// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkaspillexporter // import "github.com/footfall-analytics/footfall/exporter/kafkaspillexporter"

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/exporter"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/metadata"
	"github.com/footfall-analytics/footfall/exporter/kafkaspillexporter/internal/spill"
)

type kafkaSpillExporter struct {
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	// after is the clock's timer: time.After, or a test's.
	after func(time.Duration) <-chan time.Time

	client *kgo.Client
	log    *spill.Log
	writer *spill.Writer

	// route decides where a request goes. Requests read it (RLock) and
	// enqueue into the spill under it; the turns between direct and
	// spilling take it whole, so no request is enqueued across a turn.
	route    sync.RWMutex
	spilling bool
	// spillStarted wakes the drainer when the route turns to spilling.
	spillStarted chan struct{}

	inFlight atomic.Int64
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newExporter(cfg *Config, set exporter.Settings) (*kafkaSpillExporter, error) {
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &kafkaSpillExporter{
		cfg: cfg, logger: set.Logger, telemetry: telemetry, after: time.After,
		spillStarted: make(chan struct{}, 1), stop: make(chan struct{}),
	}, nil
}

// errInFlightLimit, errSpillFull and errSpillFailed are transient: the
// intake answers 503 with Retry-After and the browser sends again.
var (
	errInFlightLimit = errors.New("too many bytes are waiting on Kafka")
	errSpillFull     = errors.New("kafka is unreachable and the spill is full")
	errSpillFailed   = errors.New("kafka is unreachable and the spill could not be written")
)

func (e *kafkaSpillExporter) start(ctx context.Context, _ component.Host) error {
	log, err := spill.Open(e.cfg.Spill.Directory, e.cfg.Spill.SegmentBytes, e.cfg.Spill.MaxBytes)
	if err != nil {
		return err
	}
	client, err := newClient(ctx, e.cfg)
	if err != nil {
		_ = log.Close()
		return err
	}
	e.log, e.client = log, client
	e.writer = spill.NewWriter(log)
	if log.Bytes() > 0 {
		// Acknowledged events from before a restart wait in the spill:
		// they go to Kafka before anything new.
		e.logger.Info("Draining the spill left by the last run", zap.Int64("bytes", log.Bytes()))
		e.spilling = true
	}
	if err := e.registerGauges(); err != nil {
		return err
	}
	e.wg.Add(1)
	// The drainer outlives Start: it keeps the context's values, not its end.
	go e.drain(context.WithoutCancel(ctx))
	return nil
}

func (e *kafkaSpillExporter) registerGauges() error {
	return errors.Join(
		e.telemetry.RegisterExporterKafkaSpillBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(e.log.Bytes())
			return nil
		}),
		e.telemetry.RegisterExporterKafkaSpillSpillingCallback(func(_ context.Context, o metric.Int64Observer) error {
			if e.isSpilling() {
				o.Observe(1)
			} else {
				o.Observe(0)
			}
			return nil
		}),
		e.telemetry.RegisterExporterKafkaSpillInFlightBytesCallback(func(_ context.Context, o metric.Int64Observer) error {
			o.Observe(e.inFlight.Load())
			return nil
		}),
	)
}

func (e *kafkaSpillExporter) shutdown(ctx context.Context) error {
	if e.client == nil {
		e.telemetry.Shutdown()
		return nil
	}
	close(e.stop)
	e.wg.Wait()
	e.writer.Close()
	// What franz-go still holds was acknowledged from the spill or not at
	// all: it may go, within the shutdown's deadline.
	flushCtx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	_ = e.client.Flush(flushCtx)
	e.client.Close()
	e.telemetry.Shutdown()
	return e.log.Close()
}

func (e *kafkaSpillExporter) pushLogs(ctx context.Context, ld plog.Logs) error {
	msgs, err := toMessages(ld, e.cfg.Producer.MaxMessageBytes)
	if err != nil {
		return err
	}
	size := messagesBytes(msgs)
	if e.inFlight.Add(size) > e.cfg.MaxInFlightBytes {
		e.inFlight.Add(-size)
		e.refused(ctx, "in_flight_limit")
		return errInFlightLimit
	}
	defer e.inFlight.Add(-size)

	e.route.RLock()
	if e.spilling {
		done := e.writer.Enqueue(spillEntry(msgs))
		e.route.RUnlock()
		return e.awaitSpill(ctx, done, len(msgs))
	}
	e.route.RUnlock()
	if err := e.produce(msgs); err == nil {
		e.telemetry.ExporterKafkaSpillMessages.Add(ctx, int64(len(msgs)), pathDirect)
		return nil
	}
	return e.awaitSpill(ctx, e.turnToSpilling(spillEntry(msgs)), len(msgs))
}

// turnToSpilling enqueues entry as the route turns to spilling, in one
// step: the drainer cannot turn it back before the entry is in the spill.
func (e *kafkaSpillExporter) turnToSpilling(entry []byte) <-chan error {
	e.route.Lock()
	defer e.route.Unlock()
	if !e.spilling {
		e.spilling = true
		e.logger.Warn("Kafka did not acknowledge in time: requests go to the spill on disk until it is back",
			zap.Duration("spill_after", e.cfg.SpillAfter))
		select {
		case e.spillStarted <- struct{}{}:
		default:
		}
	}
	if entry == nil {
		return nil
	}
	return e.writer.Enqueue(entry)
}

func (e *kafkaSpillExporter) isSpilling() bool {
	e.route.RLock()
	defer e.route.RUnlock()
	return e.spilling
}

// awaitSpill waits for the spill's fsync. A request whose caller gave up
// may still be written: the browser then sends it again, and the
// processing tier drops the duplicate by event id.
func (e *kafkaSpillExporter) awaitSpill(ctx context.Context, done <-chan error, messages int) error {
	select {
	case err := <-done:
		switch {
		case err == nil:
			e.telemetry.ExporterKafkaSpillMessages.Add(ctx, int64(messages), pathSpilled)
			return nil
		case errors.Is(err, spill.ErrFull):
			e.refused(ctx, "spill_full")
			return errSpillFull
		default:
			e.logger.Error("Writing the spill failed", zap.Error(err))
			e.refused(ctx, "spill_failed")
			return errSpillFailed
		}
	case <-ctx.Done():
		return fmt.Errorf("waiting for the spill: %w", ctx.Err())
	}
}

func (e *kafkaSpillExporter) refused(ctx context.Context, reason string) {
	e.telemetry.ExporterKafkaSpillRefusedRequests.Add(ctx, 1, metric.WithAttributeSet(attribute.NewSet(attribute.String("reason", reason))))
}

var (
	pathDirect  = metric.WithAttributeSet(attribute.NewSet(attribute.String("path", "direct")))
	pathSpilled = metric.WithAttributeSet(attribute.NewSet(attribute.String("path", "spilled")))
	pathDrained = metric.WithAttributeSet(attribute.NewSet(attribute.String("path", "drained")))
)
