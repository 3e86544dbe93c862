// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package sessionizeprocessor

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/footfall-analytics/footfall/internal/schema"
	"github.com/footfall-analytics/footfall/internal/storagetest"
)

var sessionName = regexp.MustCompile(`\bS\d+\b`)

// shopLines keeps the summary lines of the site "shop" (visitors a, b),
// with the test's session ids (a counter shared by all sites) renumbered
// in order of appearance.
func shopLines(lines []string) []string {
	var out []string
	names := map[string]string{}
	for _, l := range lines {
		if strings.HasPrefix(l, "a ") || strings.HasPrefix(l, "b ") {
			out = append(out, sessionName.ReplaceAllStringFunc(l, func(id string) string {
				if _, ok := names[id]; !ok {
					names[id] = fmt.Sprintf("S%d", len(names)+1)
				}
				return names[id]
			}))
		}
	}
	return out
}

// A timestamp from the future, within max_clock_skew, moves only its own
// site's watermark: the innocent site "shop" gets exactly the sessions it
// gets alone (no event late, no session ended early, none split), however
// far ahead the attacker's site runs.
func TestOneSiteCannotMoveAnotherSitesWatermark(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = 5 * time.Minute
	cfg.FlushOnShutdown = true
	innocent := func() []event {
		return []event{
			pv("a", "a1", 0, "/").receivedAt(0),
			pv("b", "b1", time.Second, "/").receivedAt(time.Second),
			// Four minutes later: within the 5-minute inactivity timeout.
			pv("a", "a2", 4*time.Minute, "/pricing").receivedAt(4 * time.Minute),
			click("b", "b2", 4*time.Minute).receivedAt(4 * time.Minute),
		}
	}
	run := func(attack []event) []string {
		h := start(t, cfg, nil, nil)
		events := innocent()
		h.mustConsume(logsOf(events[:2]...))
		if len(attack) > 0 {
			h.mustConsume(logsOf(attack...))
		}
		h.mustConsume(logsOf(events[2:]...))
		h.shutdown()
		return shopLines(summary(h.output()))
	}
	alone := run(nil)
	assert.Equal(t, []string{
		"a start S1 prev=", "a a1 S1 #1", "b start S2 prev=", "b b1 S2 #1", "a a2 S1 #2", "b b2 S2 #2",
		"a end S1 shutdown pv=2 events=2 bounce=false entry=/ exit=/pricing", "b end S2 shutdown pv=1 events=2 bounce=false entry=/ exit=/",
	}, alone)
	attacked := run([]event{
		// 4m50s ahead of its receive time, at 2 s: were lateness measured
		// on client clocks, the attacker's watermark would jump to about
		// 4m42s, past the innocent site's inactivity deadlines.
		pv("x", "x1", 4*time.Minute+52*time.Second, "/").receivedAt(2 * time.Second).on("attacker"),
	})
	assert.Equal(t, alone, attacked)
	for _, l := range attacked {
		assert.NotContains(t, l, "late")
	}
}

// The receive clock is the receiver's, not the client's, so it is shared:
// a quiet site's event is placed as soon as any site's traffic shows that
// allowed_lateness has passed, without waiting for watermark_idle_timeout.
func TestQuietSiteFollowsTheSharedReceiveClock(t *testing.T) {
	cfg := testConfig()
	h := start(t, cfg, nil, nil)
	h.mustConsume(logsOf(pv("q", "q1", 0, "/").on("quiet")))
	h.mustConsume(logsOf(pv("a", "a1", cfg.AllowedLateness/2, "/")))
	h.waitDelivered()
	assert.Empty(t, h.output().LogRecordCount(), "within allowed_lateness nothing is placed")
	h.mustConsume(logsOf(pv("a", "a2", cfg.AllowedLateness+time.Second, "/")))
	h.waitDelivered()
	assert.Contains(t, summary(h.output()), "q q1 S1 #1", "placed by the other site's receive time")
	h.shutdown()
}

// Lateness is measured on the collector's receive clock: one browser of the
// same site whose clock runs 4 minutes fast neither makes the other
// visitors' events late nor ends their sessions early, and its own event is
// placed after allowed_lateness like any other.
func TestFastClientClockDelaysNoOne(t *testing.T) {
	cfg := testConfig()
	cfg.InactivityTimeout = 5 * time.Minute
	cfg.FlushOnShutdown = true
	events := []event{
		pv("a", "a1", 0, "/").receivedAt(0),
		pv("b", "b1", time.Second, "/").receivedAt(time.Second),
		// Received at 2 s, stamped 4 min ahead by its own clock.
		pv("f", "f1", 4*time.Minute+2*time.Second, "/").receivedAt(2 * time.Second),
		// Sent at 3 s but received after the fast client's event.
		click("a", "a2", 3*time.Second).receivedAt(3 * time.Second),
		pv("b", "b2", 4*time.Second, "/pricing").receivedAt(4 * time.Second),
	}
	h := start(t, cfg, nil, nil)
	for _, e := range events {
		h.mustConsume(logsOf(e))
	}
	h.tick(t0.Add(4*time.Second + cfg.AllowedLateness + cfg.WatermarkIdleTimeout))
	h.waitDelivered()
	placed := summary(h.output())
	assert.Contains(t, placed, "f f1 S3 #1", "the fast client's event is placed after allowed_lateness")
	h.shutdown()
	lines := summary(h.output())
	for _, l := range lines {
		assert.NotContains(t, l, "late", l)
	}
	assert.Contains(t, lines, "a end S1 shutdown pv=1 events=2 bounce=false entry=/ exit=/")
	assert.Contains(t, lines, "b end S2 shutdown pv=2 events=2 bounce=false entry=/ exit=/pricing")
}

// Replaying the write-ahead log never panics: a restart with a smaller
// max_pending_events than the log was written with places the buffered
// events early instead of failing, and loses none.
func TestReplayIntoASmallerReorderBufferPlacesEarly(t *testing.T) {
	ext := storagetest.NewExtension()
	cfg := storageConfigWith(t.TempDir())
	first := start(t, cfg, ext, nil)
	var events []event
	for i := range 6 {
		events = append(events, pv(fmt.Sprintf("v%d", i), fmt.Sprintf("e%d", i), time.Duration(i)*time.Second, "/"))
	}
	first.mustConsume(logsOf(events...))
	first.crash()

	small := storageConfigWith(cfg.WALDirectory)
	small.MaxPendingEvents = 2
	small.FlushOnShutdown = true
	second := start(t, small, ext, nil)
	second.shutdown()
	placed := map[string]bool{}
	for _, l := range summary(second.output()) {
		// Those placed early, to make room, are marked late.
		placed[strings.TrimSuffix(l, " late")] = true
	}
	for i := range 6 {
		assert.True(t, placed[fmt.Sprintf("v%d e%d S%d #1", i, i, i+1)], "event %d placed once", i)
	}
}

// Only the processor marks an event late or a goal: the marks a record
// brings (by a way in other than the browserevents receiver, which strips
// them) are removed, and its own are set.
func TestClaimedMarksAreRemoved(t *testing.T) {
	h := start(t, testConfig(), nil, nil)
	h.mustConsume(logsOf(
		pv("a", "a1", 0, "/").with(schema.AttrEventGoal, "true").with(schema.AttrEventLate, "true"),
		event{visitor: "a", id: "a2", name: "signup", at: time.Second},
	))
	h.tick(t0.Add(time.Minute))
	h.waitDelivered()
	marks := map[string][2]bool{}
	for _, rl := range h.output().ResourceLogs().All() {
		for _, sl := range rl.ScopeLogs().All() {
			for _, lr := range sl.LogRecords().All() {
				_, goal := lr.Attributes().Get(schema.AttrEventGoal)
				_, late := lr.Attributes().Get(schema.AttrEventLate)
				if id, ok := lr.Attributes().Get(schema.AttrEventID); ok {
					marks[id.Str()] = [2]bool{goal, late}
				}
			}
		}
	}
	assert.Equal(t, [2]bool{false, false}, marks["a1"], "a page view's claimed goal and late marks are gone")
	assert.Equal(t, [2]bool{true, false}, marks["a2"], "the signup is the processor's goal")
	h.shutdown()
}
