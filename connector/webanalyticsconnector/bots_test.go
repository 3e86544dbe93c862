// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package webanalyticsconnector

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// flagged marks a record as a bot's, as the receiver or the sessionizer
// does with bots: flag.
func flagged(r rec, reason string) rec {
	attrs := map[string]any{schema.AttrUserAgentSynthetic: schema.SyntheticBot, schema.AttrBotReason: reason}
	for k, v := range r.attrs {
		attrs[k] = v
	}
	r.attrs = attrs
	return r
}

// TestBotsCountOnlyAsBots interleaves flagged bot records (events, and the
// start and end of their sessions) with the known journeys: every number of
// the journeys stays what it was by hand, and the bots' events count in
// footfall.bot_events by reason.
func TestBotsCountOnlyAsBots(t *testing.T) {
	var records []rec
	bots := []rec{
		flagged(rec{visitor: "crawler", name: schema.EventSessionStart, at: time.Second, attrs: map[string]any{schema.AttrSessionReturning: false}}, schema.BotReasonUserAgent),
		flagged(pageView("crawler", time.Second, "/", 1, schema.AttrReferrerClass, "search", schema.AttrGeoCountry, "US"), schema.BotReasonUserAgent),
		flagged(pageView("crawler", 2*time.Second, "/pricing", 2), schema.BotReasonUserAgent),
		flagged(pageView("scraper", 3*time.Second, "/blog/a", 61), schema.BotReasonPageRate),
		flagged(rec{visitor: "scraper", name: "signup", at: 3 * time.Second, attrs: map[string]any{schema.AttrEventID: "s-signup"}}, schema.BotReasonPageRate),
		flagged(sessionEnd("crawler", 3*time.Minute, schema.AttrSessionPageViews, int64(2), schema.AttrSessionBounce, false, schema.AttrSessionEndReason, "idle"), schema.BotReasonUserAgent),
		flagged(pageView("old", 4*time.Second, "/", 1), "some-future-reason"),
	}
	for i, r := range journeys() {
		records = append(records, r)
		if i < len(bots) {
			records = append(records, bots[i])
		}
	}
	h := newHarness(t, testConfig())
	h.clock.Set(t0.Add(4 * time.Minute))
	h.consume(records...)
	got := h.flush(t0.Add(5 * time.Minute))

	assertJourneyTruth(t, got)
	values := pointValues(got)
	assert.Equal(t, 2.0, values["footfall.bot_events{reason=user_agent,site=shop}"])
	assert.Equal(t, 2.0, values["footfall.bot_events{reason=page_rate,site=shop}"])
	assert.Equal(t, 1.0, values["footfall.bot_events{reason=unknown,site=shop}"], "a reason outside the set is bounded")
}
