// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/metadatatest"
)

// reloader views one page n times, 5 s apart; a person reads two pages.
func reloaderAndPerson(n int) plog.Logs {
	var events []event
	for i := range n {
		events = append(events, pv("bot", fmt.Sprintf("r%02d", i), time.Duration(i)*5*time.Second, "/live"))
	}
	events = append(events, pv("person", "p1", time.Second, "/"), pv("person", "p2", time.Minute, "/live"))
	return logsOf(events...)
}

// records lists the output's browser events (not session.start/end) as
// "visitor id" with the bot reason when flagged, and the session.end bot reasons.
func records(ld plog.Logs) (events []string, endBots map[string]string) {
	endBots = map[string]string{}
	for _, rl := range ld.ResourceLogs().All() {
		visitor, _ := rl.Resource().Attributes().Get(schema.AttrVisitorID)
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				reason, _ := lr.Attributes().Get(schema.AttrBotReason)
				switch lr.EventName() {
				case schema.EventSessionStart:
				case schema.EventSessionEnd:
					endBots[visitor.Str()] = reason.Str()
				default:
					id, _ := lr.Attributes().Get(schema.AttrEventID)
					events = append(events, visitor.Str()+" "+id.Str()+" "+reason.Str())
				}
			}
		}
	}
	return events, endBots
}

func TestBotBehaviour(t *testing.T) {
	for _, action := range []BotAction{BotsDrop, BotsFlag} {
		t.Run(string(action), func(t *testing.T) {
			cfg := testConfig()
			cfg.Bots.Action = action
			cfg.Bots.MaxReloads = 3
			h := start(t, cfg, nil, nil)
			h.mustConsume(reloaderAndPerson(6))
			h.tick(t0.Add(time.Hour))
			h.shutdown()
			events, endBots := records(h.output())
			want := []string{"bot r00 ", "bot r01 ", "bot r02 "}
			if action == BotsFlag {
				want = append(want, "bot r03 reloads", "bot r04 reloads", "bot r05 reloads")
			}
			want = append(want, "person p1 ", "person p2 ")
			assert.ElementsMatch(t, want, events, "the person is whole; the bot counts until its 4th reload")
			assert.Equal(t, map[string]string{"bot": schema.BotReasonReloads, "person": ""}, endBots, "the bot's session.end says why")
			metadatatest.AssertEqualProcessorSessionizeBotEvents(t, h.telemetry, []metricdata.DataPoint[int64]{
				{Attributes: attribute.NewSet(attribute.String("site", "shop"), attribute.String("reason", schema.BotReasonReloads)), Value: 3},
			}, metricdatatest.IgnoreTimestamp(), metricdatatest.IgnoreExemplars())
		})
	}
}

func TestBotRulesPerSite(t *testing.T) {
	cfg := testConfig()
	cfg.Bots.MaxReloads = 3
	cfg.Sites = map[string]SiteConfig{"shop": {Bots: &BotRulesConfig{}}}
	require.NoError(t, cfg.Validate())
	h := start(t, cfg, nil, nil)
	h.mustConsume(reloaderAndPerson(6))
	h.tick(t0.Add(time.Hour))
	h.shutdown()
	events, _ := records(h.output())
	assert.Len(t, events, 8, "shop's own rules (none) replace the default")
}

// TestReceiverVerdicts: events the receiver flagged (its bots: flag) make a
// bot's session from the start; with action drop nothing of it leaves,
// not even session.start or session.end. The receiver counts them, not the
// sessionizer.
func TestReceiverVerdicts(t *testing.T) {
	for _, action := range []BotAction{BotsDrop, BotsFlag} {
		t.Run(string(action), func(t *testing.T) {
			cfg := testConfig()
			cfg.Bots.Action = action
			h := start(t, cfg, nil, nil)
			crawler := func(id string, at time.Duration) event {
				return pv("crawler", id, at, "/").with(schema.AttrUserAgentSynthetic, schema.SyntheticBot).with(schema.AttrBotReason, schema.BotReasonUserAgent)
			}
			h.mustConsume(logsOf(crawler("c1", 0), crawler("c2", time.Second), pv("person", "p1", time.Second, "/")))
			h.tick(t0.Add(time.Hour))
			h.shutdown()
			events, endBots := records(h.output())
			if action == BotsDrop {
				assert.Equal(t, []string{"person p1 "}, events)
				assert.Equal(t, map[string]string{"person": ""}, endBots)
			} else {
				assert.ElementsMatch(t, []string{"crawler c1 user_agent", "crawler c2 user_agent", "person p1 "}, events)
				assert.Equal(t, map[string]string{"crawler": schema.BotReasonUserAgent, "person": ""}, endBots)
			}
			_, err := h.telemetry.GetMetric("otelcol_processor_sessionize_bot_events")
			assert.Error(t, err, "the receiver counted its own verdicts")
		})
	}
}
