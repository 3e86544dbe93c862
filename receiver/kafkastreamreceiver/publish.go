// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package kafkastreamreceiver // import "github.com/footfall-analytics/footfall/receiver/kafkastreamreceiver"

import (
	"context"
	"strconv"
	"sync"

	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// publisher holds a partition's metrics until the transaction that makes
// them durable commits. The aggregator renders every series, cumulative, at
// each flush, so only the latest rendering is kept: publishing one the
// changelog does not hold yet could show a count that a new owner of the
// partition, restoring the changelog, would then go back on.
type publisher struct {
	partition string
	next      consumer.Metrics

	mu     sync.Mutex
	latest pmetric.Metrics
	held   bool
	// last is a copy of the rendering published last, to retract when the
	// partition leaves this collector.
	last    pmetric.Metrics
	hasLast bool
}

func newPublisher(partition int32, next consumer.Metrics) *publisher {
	return &publisher{partition: strconv.Itoa(int(partition)), next: next}
}

func (*publisher) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

// ConsumeMetrics keeps md as the partition's latest rendering.
func (p *publisher) ConsumeMetrics(_ context.Context, md pmetric.Metrics) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.latest, p.held = md, true
	return nil
}

// cut takes the rendering that the next commit will make publishable: it
// counts only what was in the changelog store when the commit's records
// were cut.
func (p *publisher) cut() (pmetric.Metrics, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	md, ok := p.latest, p.held
	p.held = false
	return md, ok
}

// publish sends a committed rendering on, each point labelled with the
// partition, so that a partition's series stay one series whichever
// collector owns it (dashboards take the max over instances, then the sum).
func (p *publisher) publish(ctx context.Context, md pmetric.Metrics) error {
	if p.next == nil {
		return nil // the receiver is in a logs pipeline only
	}
	forEachPoint(md, func(pt point) { pt.attrs.PutStr(schema.MetricAttrPartition, p.partition) })
	last := pmetric.NewMetrics()
	md.CopyTo(last)
	p.mu.Lock()
	p.last, p.hasLast = last, true
	p.mu.Unlock()
	return p.next.ConsumeMetrics(ctx, md)
}

// retract withdraws the partition's series from this collector once it has
// left: every point published last again, flagged as having no recorded
// value, which makes the prometheus exporter drop the series (and
// Prometheus mark it stale). Otherwise the former owner would go on
// exporting frozen values for metric_expiration: harmless for counters
// under max, wrong for windows that shrink, such as today's visitors after
// midnight.
func (p *publisher) retract(ctx context.Context) error {
	p.mu.Lock()
	md, ok := p.last, p.hasLast
	p.hasLast = false
	p.mu.Unlock()
	if !ok || p.next == nil {
		return nil
	}
	forEachPoint(md, func(pt point) { pt.setFlags(pmetric.DefaultDataPointFlags.WithNoRecordedValue(true)) })
	return p.next.ConsumeMetrics(ctx, md)
}

// point is what publish and retract change on a data point of any type.
type point struct {
	attrs    pcommon.Map
	setFlags func(pmetric.DataPointFlags)
}

func forEachPoint(md pmetric.Metrics, f func(point)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				forEachPointOf(m, f)
			}
		}
	}
}

func forEachPointOf(m pmetric.Metric, f func(point)) {
	switch m.Type() {
	case pmetric.MetricTypeSum:
		for _, dp := range m.Sum().DataPoints().All() {
			f(point{dp.Attributes(), dp.SetFlags})
		}
	case pmetric.MetricTypeGauge:
		for _, dp := range m.Gauge().DataPoints().All() {
			f(point{dp.Attributes(), dp.SetFlags})
		}
	case pmetric.MetricTypeHistogram:
		for _, dp := range m.Histogram().DataPoints().All() {
			f(point{dp.Attributes(), dp.SetFlags})
		}
	case pmetric.MetricTypeExponentialHistogram:
		for _, dp := range m.ExponentialHistogram().DataPoints().All() {
			f(point{dp.Attributes(), dp.SetFlags})
		}
	case pmetric.MetricTypeSummary:
		for _, dp := range m.Summary().DataPoints().All() {
			f(point{dp.Attributes(), dp.SetFlags})
		}
	default:
	}
}
