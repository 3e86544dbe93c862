// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package core

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

var t0 = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func testConfig() Config {
	rules := session.Rules{InactivityTimeout: 30 * time.Minute, MaxDuration: 24 * time.Hour, Location: time.UTC}
	return Config{
		Rules:        func(string) session.Rules { return rules },
		NewSessionID: func(opening session.Input) string { return opening.Key.Visitor + "/" + opening.EventID },
		MaxSessions:  100, MaxPending: 100,
		AllowedLateness: 2 * time.Second, WatermarkIdleTimeout: 5 * time.Second,
		DedupWindow: time.Hour, DedupMaxEntries: 100,
		ReturningVisitorWindow: 24 * time.Hour, MaxRememberedVisitors: 100,
	}
}

// advance moves c's quiet slots' watermarks at wall-clock time now, as a
// host's tick does.
func advance(c *Core, now time.Time) []session.Output {
	moves, _ := c.IdleMoves(now)
	return c.Move(moves)
}

// pageView is visitor's page view id at client time at, received then.
func pageView(site, visitor, id string, at time.Time, ref int) session.Input {
	return session.Input{
		Key: session.Key{Site: site, Visitor: visitor}, EventID: id, Ref: ref, Received: at,
		Event: session.Event{Time: at, PageView: true, Path: "/" + id},
	}
}

// describe writes outputs as "ref session seq [start] [late]" and
// "end session reason".
func describe(outs []session.Output) []string {
	var lines []string
	for _, o := range outs {
		switch {
		case o.Assignment != nil:
			a := o.Assignment
			line := fmt.Sprintf("%d %s %d", a.Ref, a.SessionID, a.Seq)
			if a.Started {
				line += " start"
			}
			if a.Late {
				line += " late"
			}
			lines = append(lines, line)
		case o.Ending != nil:
			lines = append(lines, fmt.Sprintf("end %s %s", o.Ending.Session.ID, o.Ending.Reason))
		}
	}
	return lines
}

// Events wait allowed_lateness behind their site's newest receive time and
// are then placed in event-time order; a quiet site's watermark follows the
// wall clock after watermark_idle_timeout; 30 minutes without an event end
// the session. Worked by hand from the rules.
func TestApplyOrdersEventsAndAdvanceEndsQuietSessions(t *testing.T) {
	c := New(testConfig())
	// b's page view was sent at +1 s but arrives first, at +1.5 s.
	placed, refused := c.Apply([]session.Input{pageView("shop", "v", "b", t0.Add(time.Second), 2)}, t0.Add(1500*time.Millisecond), t0.Add(1500*time.Millisecond))
	assert.Empty(t, refused)
	assert.Empty(t, placed, "held for allowed_lateness")
	placed, _ = c.Apply([]session.Input{pageView("shop", "v", "a", t0, 1)}, t0.Add(1600*time.Millisecond), t0.Add(1600*time.Millisecond))
	assert.Empty(t, placed)
	assert.Equal(t, 2, c.Pending())

	// A third event received at +3.2 s moves the watermark to +1.2 s:
	// a (at 0) and b (at +1 s) are placed, in event-time order.
	placed, _ = c.Apply([]session.Input{pageView("shop", "v", "c", t0.Add(3200*time.Millisecond), 3)}, t0.Add(3200*time.Millisecond), t0.Add(3200*time.Millisecond))
	assert.Equal(t, []string{"1 v/a 1 start", "2 v/a 2"}, describe(placed))

	// Quiet: at +8.1 s (idle 4.9 s) nothing moves; at +8.2 s (idle 5 s)
	// the watermark is +3.2 s + 5 s - 2 s = +6.2 s, past c.
	assert.Empty(t, advance(c, t0.Add(8100*time.Millisecond)))
	assert.Equal(t, []string{"3 v/a 3"}, describe(advance(c, t0.Add(8200*time.Millisecond))))
	assert.Equal(t, 1, c.Live())

	// 30 minutes after c, the session ends.
	assert.Empty(t, advance(c, t0.Add(30*time.Minute)))
	assert.Equal(t, []string{"end v/a idle"}, describe(advance(c, t0.Add(30*time.Minute+6*time.Second))))
	assert.Equal(t, 0, c.Live())
}

// IdleMoves names the moves Move makes and says whether any places
// something; Move applies them. A move that places nothing still moves the
// watermark, so that a later event behind it is late.
func TestIdleMovesNameWhatMovePlaces(t *testing.T) {
	c := New(testConfig())
	c.Apply([]session.Input{pageView("shop", "v", "a", t0, 1)}, t0, t0)
	moves, places := c.IdleMoves(t0.Add(4900 * time.Millisecond))
	assert.Empty(t, moves, "not idle for watermark_idle_timeout yet")
	assert.False(t, places)

	// Idle 5 s: the watermark is 0 + 5 s - 2 s = +3 s, past a.
	moves, places = c.IdleMoves(t0.Add(5 * time.Second))
	assert.Equal(t, []WatermarkMove{{Slot: "shop", Watermark: t0.Add(3 * time.Second)}}, moves)
	assert.True(t, places)
	assert.Equal(t, 1, c.Pending(), "IdleMoves changes nothing")
	assert.Equal(t, []string{"1 v/a 1 start"}, describe(c.Move(moves)))

	// Later the watermark moves on with nothing to place, until the
	// session's 30 minutes have passed.
	moves, places = c.IdleMoves(t0.Add(time.Minute))
	assert.Equal(t, []WatermarkMove{{Slot: "shop", Watermark: t0.Add(58 * time.Second)}}, moves)
	assert.False(t, places)
	assert.Empty(t, c.Move(moves))
	placed, _ := c.Apply([]session.Input{pageView("shop", "w", "b", t0.Add(50*time.Second), 2)}, t0.Add(50*time.Second), t0.Add(time.Minute))
	assert.Equal(t, []string{"2 w/b 1 start late"}, describe(placed), "behind the moved watermark")
	_, places = c.IdleMoves(t0.Add(30*time.Minute + 6*time.Second))
	assert.False(t, places, "b came at +50 s: idle from +1 min on")
	// At +31 min the watermark is +30 min 48 s: past v's 30 minutes, not
	// yet past w's.
	moves, places = c.IdleMoves(t0.Add(31 * time.Minute))
	assert.True(t, places)
	assert.Equal(t, []string{"end v/a idle"}, describe(c.Move(moves)))
	moves, _ = c.IdleMoves(t0.Add(31 * time.Minute))
	assert.Empty(t, moves, "nothing left to move at the same time")
}

// An applied event id is a duplicate until the watermark leaves it
// dedup_window behind.
func TestAppliedIDsAreDuplicatesForTheDedupWindow(t *testing.T) {
	cfg := testConfig()
	cfg.DedupWindow = time.Minute
	c := New(cfg)
	assert.False(t, c.IsDuplicate("shop", "a"))
	c.Apply([]session.Input{pageView("shop", "v", "a", t0, 1)}, t0, t0)
	assert.True(t, c.IsDuplicate("shop", "a"))
	assert.False(t, c.IsDuplicate("blog", "a"), "another site's id")
	c.Apply([]session.Input{pageView("shop", "w", "b", t0.Add(2*time.Minute), 2)}, t0.Add(2*time.Minute), t0.Add(2*time.Minute))
	assert.False(t, c.IsDuplicate("shop", "a"), "forgotten once the watermark is a window past it")
	assert.True(t, c.IsDuplicate("shop", "b"))
}

// The core is deterministic: the same events in the same batches at the
// same clock readings give the same output.
func TestSameInputSameOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- a fixed test sequence
	type step struct {
		events []session.Input
		at     time.Time
	}
	var steps []step
	ref := 0
	for i := range 200 {
		at := t0.Add(time.Duration(i) * 700 * time.Millisecond)
		var events []session.Input
		for range rng.IntN(4) {
			ref++
			sent := at.Add(-time.Duration(rng.IntN(3000)) * time.Millisecond)
			in := pageView([]string{"shop", "blog"}[rng.IntN(2)], fmt.Sprintf("v%d", rng.IntN(5)), fmt.Sprintf("e%d", ref), sent, ref)
			in.Received = at
			events = append(events, in)
		}
		steps = append(steps, step{events, at})
	}
	run := func() string {
		c := New(testConfig())
		var out []string
		for _, s := range steps {
			placed, refused := c.Apply(append([]session.Input(nil), s.events...), s.at, s.at)
			require.Empty(t, refused)
			out = append(out, describe(placed)...)
			out = append(out, describe(advance(c, s.at.Add(100*time.Millisecond)))...)
		}
		out = append(out, describe(c.Flush(session.EndShutdown))...)
		return strings.Join(out, "\n")
	}
	first := run()
	assert.Equal(t, first, run())
	assert.Equal(t, ref+strings.Count(first, "end "), strings.Count(first, "\n")+1, "every event placed once, every session ended once")
}

// A snapshot restored into a new core gives the same sessions, ids and
// visitors (its whole segments of the memory); a part that cannot be read
// leaves that part empty.
func TestSnapshotRestores(t *testing.T) {
	c := New(testConfig())
	c.Apply([]session.Input{pageView("shop", "v", "a", t0, 1)}, t0, t0)
	advance(c, t0.Add(10*time.Second))
	require.Equal(t, 1, c.Live())
	sn := c.BeginSnapshot(Memory{WholeIDs: true, WholeVisitors: true})
	for !sn.Step(1, 1) {
	}

	restored := New(testConfig())
	sessions, err := sn.Sessions()
	require.NoError(t, err)
	require.NoError(t, restored.RestoreSessions(sessions))
	_, err = restored.ApplyIDsSegment(sn.IDs())
	require.NoError(t, err)
	_, err = restored.ApplyVisitorsSegment(sn.Visitors())
	require.NoError(t, err)
	restored.ForgetIDsBefore(sn.IDsSpan().Front)
	restored.ForgetVisitorsBefore(sn.VisitorsSpan().Front)
	restored.RestoreClocks(t0.Add(10 * time.Second))
	assert.Equal(t, 1, restored.Live())
	assert.True(t, restored.IsDuplicate("shop", "a"))
	// The visitor comes back after the session ended: returning.
	placed, _ := restored.Apply([]session.Input{pageView("shop", "v", "b", t0.Add(time.Hour), 2)}, t0.Add(time.Hour), t0.Add(time.Hour))
	placed = append(placed, restored.Flush(session.EndShutdown)...)
	var returning bool
	for _, o := range placed {
		if o.Assignment != nil && o.Assignment.Ref == 2 {
			returning = o.Assignment.Returning
		}
	}
	assert.True(t, returning)

	assert.Error(t, restored.RestoreSessions([]byte{0xff}))
	assert.Equal(t, 0, restored.Live(), "an unreadable part starts empty")
	_, err = restored.ApplyIDsSegment([]byte{0xff})
	assert.Error(t, err)
	assert.False(t, restored.IsDuplicate("shop", "a"), "an unreadable segment leaves the memory empty")
}
