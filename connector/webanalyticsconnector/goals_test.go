// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor"
)

// Goals are configured once, on the sessionize processor: behind it, the
// connector counts the conversions, their values and their first touch of
// the goals it declared, and nothing of an event it did not declare.
func TestGoalsAreConfiguredOnTheSessionizeProcessor(t *testing.T) {
	h := newHarness(t, testConfig())
	h.clock.Set(t0.Add(time.Minute))
	factory := sessionizeprocessor.NewFactory()
	cfg := factory.CreateDefaultConfig().(*sessionizeprocessor.Config)
	cfg.Goals = []string{"signup"}
	cfg.FlushOnShutdown = true
	p, err := factory.CreateLogs(context.Background(), processortest.NewNopSettings(factory.Type()), cfg, h.c)
	require.NoError(t, err)
	require.NoError(t, p.Start(context.Background(), componenttest.NewNopHost()))

	ld := plog.NewLogs()
	for i, ev := range []struct{ visitor, name string }{
		{"a", schema.EventPageView}, {"a", "signup"}, {"b", schema.EventPageView}, {"b", "purchase"},
	} {
		rl := ld.ResourceLogs().AppendEmpty()
		rl.Resource().Attributes().PutStr(schema.AttrSiteID, "shop")
		rl.Resource().Attributes().PutStr(schema.AttrVisitorID, ev.visitor)
		lr := rl.ScopeLogs().AppendEmpty().LogRecords().AppendEmpty()
		lr.SetEventName(ev.name)
		at := pcommon.NewTimestampFromTime(t0.Add(time.Duration(i) * time.Second))
		lr.SetTimestamp(at)
		lr.SetObservedTimestamp(at)
		attrs := lr.Attributes()
		attrs.PutStr(schema.AttrEventID, fmt.Sprint("e", i))
		attrs.PutStr(schema.AttrURLPath, "/")
		attrs.PutStr(schema.AttrReferrerClass, "search")
		attrs.PutStr(schema.AttrReferrerSource, "Google")
		attrs.PutDouble(schema.AttrGoalValue, 10)
		attrs.PutStr(schema.AttrGoalCurrency, "EUR")
	}
	require.NoError(t, p.ConsumeLogs(context.Background(), ld))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, p.Shutdown(ctx))

	values := pointValues(h.flush(t0.Add(2 * time.Minute)))
	assert.InDelta(t, 1, values["footfall.goal.conversions{goal=signup,site=shop}"], 0)
	assert.InDelta(t, 10, values["footfall.revenue{currency=EUR,goal=signup,site=shop}"], 0)
	assert.InDelta(t, 1, values["footfall.conversions.by_referrer{goal=signup,referrer_class=search,referrer_source=Google,site=shop}"], 0)
	assert.InDelta(t, 10, values["footfall.revenue.by_referrer{currency=EUR,referrer_class=search,referrer_source=Google,site=shop}"], 0)
	assert.InDelta(t, 2, values["footfall.sessions.ended.by_referrer{referrer_class=search,referrer_source=Google,site=shop}"], 0)
	for series := range values {
		assert.False(t, strings.Contains(series, "goal=purchase"), "purchase is no goal of the sessionize processor: %s", series)
	}
}
