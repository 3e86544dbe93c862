// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.uber.org/zap"

	"github.com/footfall-analytics/footfall/internal/retrybackoff"
)

// deliver hands queued output to the next consumer in order, retrying
// retryable errors with backoff until shutdown.
func (p *sessionizeProcessor) deliver() {
	defer close(p.deliverDone)
	// Validate refuses a max_elapsed_time: delivery tries until shutdown.
	delays := retrybackoff.New(p.cfg.DeliveryBackoff)
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
			delays.Reset()
			failing = false
			continue
		}
		if !failing {
			p.settings.Logger.Warn("Next consumer refused sessionized records; retrying", zap.Int("records", item.records), zap.Error(err))
			failing = true
		}
		p.telemetry.ProcessorSessionizeDeliveryRetries.Add(context.Background(), 1)
		if !p.sleep(p.deliverCtx, delays.NextBackOff()) {
			return
		}
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
	if p.restoredLeft > 0 {
		p.restoredLeft--
		if p.restoredLeft == 0 {
			p.replayDelivered()
		}
	}
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
