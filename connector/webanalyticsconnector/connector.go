// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector // import "github.com/footfall-analytics/footfall/connector/webanalyticsconnector"

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jonboulle/clockwork"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/connector/webanalyticsconnector/internal/metadata"
	"github.com/footfall-analytics/footfall/internal/cosave"
)

type webAnalytics struct {
	cfg       *Config
	settings  connector.Settings
	next      consumer.Metrics
	telemetry *metadata.TelemetryBuilder
	// clock is the wall clock and the flush ticker's (clockwork.FromContext
	// at creation, as contrib's connectors take theirs, so tests drive it).
	clock clockwork.Clock
	start time.Time

	// mu owns the aggregator; it is never held while calling next.
	mu         sync.Mutex
	aggregator *aggregator
	// series is how many series the last flush exported.
	series int
	// replaying is set from RestoreState until ReplayDelivered: the
	// aggregator then holds the checkpoint without what the sessionize
	// processor delivers again, and nothing is flushed (checkpoint.go).
	replaying bool

	// client keeps the state with the sessionize processor's checkpoints
	// (storage set); leave leaves them. chain is what it stored
	// (statechain.go), under mu.
	client storage.Client
	leave  func()
	chain  stateChain

	stop chan struct{}
	done chan struct{}
}

var _ cosave.Participant = (*webAnalytics)(nil)

func newConnector(cfg *Config, set connector.Settings, next consumer.Metrics, clock clockwork.Clock) (*webAnalytics, error) {
	agg, err := newAggregator(cfg)
	if err != nil {
		return nil, err
	}
	telemetry, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	return &webAnalytics{
		cfg: cfg, settings: set, next: next, telemetry: telemetry, clock: clock,
		aggregator: agg, stop: make(chan struct{}),
	}, nil
}

func (*webAnalytics) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// Start joins the sessionize processor's checkpoints when storage is set
// (it restores the state, see checkpoint.go), and begins flushing metrics
// every flush_interval.
func (c *webAnalytics) Start(ctx context.Context, host component.Host) error {
	c.start = c.clock.Now()
	if c.cfg.Storage != nil {
		if err := c.joinCheckpoints(ctx, host); err != nil {
			return err
		}
	}
	c.done = make(chan struct{})
	go c.flushLoop() //nolint:gosec // G118: the flush loop outlives Start's context; Shutdown stops it
	return nil
}

func (c *webAnalytics) flushLoop() {
	defer close(c.done)
	ticker := c.clock.NewTicker(c.cfg.FlushInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ticker.Chan():
			if err := c.flush(context.Background()); err != nil {
				c.settings.Logger.Warn("Next consumer refused web analytics metrics; the next flush sends them again (they are cumulative)", zap.Error(err))
			}
		case <-c.stop:
			return
		}
	}
}

// ConsumeLogs counts the events. It never fails: what cannot be counted is
// skipped and counted by reason.
func (c *webAnalytics) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	c.mu.Lock()
	counts := c.aggregator.consume(ld, c.clock.Now())
	c.mu.Unlock()
	c.record(ctx, counts)
	return nil
}

// flush sends every series, as cumulative values, to the next consumer.
func (c *webAnalytics) flush(ctx context.Context) error {
	c.mu.Lock()
	if c.replaying {
		c.mu.Unlock()
		return nil
	}
	md, counts := c.aggregator.metrics(c.start, c.clock.Now())
	series := len(c.aggregator.store.series)
	added := series - c.series
	c.series = series
	c.mu.Unlock()
	c.record(ctx, counts)
	c.telemetry.ConnectorWebanalyticsSeries.Add(ctx, int64(added))
	if md.DataPointCount() == 0 {
		return nil
	}
	return c.next.ConsumeMetrics(ctx, md)
}

func (c *webAnalytics) record(ctx context.Context, counts counts) {
	if counts.late > 0 {
		c.telemetry.ConnectorWebanalyticsEventsLate.Add(ctx, int64(counts.late))
	}
	if counts.dropped > 0 {
		c.telemetry.ConnectorWebanalyticsSeriesDropped.Add(ctx, int64(counts.dropped))
	}
	if counts.retired > 0 {
		c.telemetry.ConnectorWebanalyticsSeriesRetired.Add(ctx, int64(counts.retired))
	}
	for reason, n := range counts.skipped {
		c.telemetry.ConnectorWebanalyticsRecordsSkipped.Add(ctx, int64(n), metric.WithAttributes(attribute.String("reason", reason)))
	}
}

// Shutdown stops the flush loop and sends the last values. The sessionize
// processor, which shuts down first, saved the state with its last
// checkpoint.
func (c *webAnalytics) Shutdown(ctx context.Context) error {
	defer c.telemetry.Shutdown()
	if c.leave != nil {
		c.leave()
	}
	var err error
	if c.done != nil {
		close(c.stop)
		select {
		case <-c.done:
			err = c.flush(ctx)
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if c.client != nil {
		err = errors.Join(err, c.client.Close(context.WithoutCancel(ctx)))
	}
	return err
}
