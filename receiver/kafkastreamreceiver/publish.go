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
// collector owns it (dashboards take the max per partition, then the sum).
func (p *publisher) publish(ctx context.Context, md pmetric.Metrics) error {
	if p.next == nil {
		return nil // the receiver is in a logs pipeline only
	}
	forEachPointAttributes(md, func(attrs pcommon.Map) { attrs.PutStr(schema.MetricAttrPartition, p.partition) })
	return p.next.ConsumeMetrics(ctx, md)
}

func forEachPointAttributes(md pmetric.Metrics, f func(pcommon.Map)) {
	for _, rm := range md.ResourceMetrics().All() {
		for _, sm := range rm.ScopeMetrics().All() {
			for _, m := range sm.Metrics().All() {
				switch m.Type() {
				case pmetric.MetricTypeSum:
					for _, dp := range m.Sum().DataPoints().All() {
						f(dp.Attributes())
					}
				case pmetric.MetricTypeGauge:
					for _, dp := range m.Gauge().DataPoints().All() {
						f(dp.Attributes())
					}
				case pmetric.MetricTypeHistogram:
					for _, dp := range m.Histogram().DataPoints().All() {
						f(dp.Attributes())
					}
				case pmetric.MetricTypeExponentialHistogram:
					for _, dp := range m.ExponentialHistogram().DataPoints().All() {
						f(dp.Attributes())
					}
				case pmetric.MetricTypeSummary:
					for _, dp := range m.Summary().DataPoints().All() {
						f(dp.Attributes())
					}
				default:
				}
			}
		}
	}
}
