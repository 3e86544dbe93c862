// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
)

// refusingSibling stands for an Elasticsearch or Kafka exporter whose
// sending queue is full: it refuses its first calls with a retryable error.
type refusingSibling struct {
	mu       sync.Mutex
	failures int
	calls    int
}

func (*refusingSibling) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (s *refusingSibling) ConsumeLogs(context.Context, plog.Logs) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls <= s.failures {
		return errors.New("sending queue is full")
	}
	return nil
}

// fanOut calls every consumer and joins their errors, as the collector's
// fan-out consumer does for a pipeline with several exporters.
type fanOut []consumer.Logs

func (fanOut) Capabilities() consumer.Capabilities { return consumer.Capabilities{} }

func (f fanOut) ConsumeLogs(ctx context.Context, ld plog.Logs) error {
	var errs []error
	for _, c := range f {
		errs = append(errs, c.ConsumeLogs(ctx, ld))
	}
	return errors.Join(errs...)
}

// The sessionize processor's output fans out to this connector and to an
// exporter whose queue is full. Each refusal makes the processor deliver
// the same batch to both again; the connector counts it once.
func TestFanOutRedeliveryIsCountedOnce(t *testing.T) {
	h := newHarness(t, testConfig())
	h.clock.Set(t0.Add(time.Minute))
	sibling := &refusingSibling{failures: 3}

	factory := sessionizeprocessor.NewFactory()
	cfg := factory.CreateDefaultConfig().(*sessionizeprocessor.Config)
	cfg.AllowedLateness = 0
	cfg.FlushOnShutdown = true
	p, err := factory.CreateLogs(context.Background(), processortest.NewNopSettings(factory.Type()), cfg, fanOut{h.c, sibling})
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))

	ld := plog.NewLogs()
	for i, visitor := range []string{"a", "b", "c"} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
		rl.Resource().Attributes().PutStr(schema.AttrVisitorID, visitor)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(schema.EventPageView)
		at := pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Second))
		lr.SetTimestamp(at)
		lr.SetObservedTimestamp(at)
		lr.Attributes().PutStr(schema.AttrEventID, fmt.Sprint("pv-", visitor))
		lr.Attributes().PutStr(schema.AttrURLPath, "/")
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(ctx))

	require.Greater(t, sibling.calls, sibling.failures, "the refused batches were delivered again, and taken")
	values := pointValues(h.flush(t0.Add(2 * time.Minute)))
	assert.InDelta(t, 3, values["footfall.page_views{site=shop}"], 0)
	assert.InDelta(t, 3, values["footfall.sessions{site=shop}"], 0)
	assert.InDelta(t, 3, values["footfall.sessions.ended{reason=shutdown,site=shop}"], 0)
}
