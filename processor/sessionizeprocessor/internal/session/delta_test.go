// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A checkpoint with the deltas taken after it restores the state at the
// start of the last delta: the same sessions, memory of ended sessions and
// watermarks as the running Sites had then (the ground truth), and, fed the
// rest of the stream, the output of one uninterrupted run. Three open
// sessions at most make the stream evict sessions and forget ended ones
// between and during deltas; checkpoints and deltas are encoded a piece at
// a time while events arrive, as the processor does.
func TestCheckpointAndDeltasRestoreTheState(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 5))
	restarts := 0
	for trial := range 200 {
		inputs := randomSitesStream(rng, 80)
		ids := idsOf(inputs...)
		run := newSitesRun()
		want := describe(append(run.feed(t, inputs...), run.sites.Flush(EndShutdown)...), ids)

		live := newSitesRun()
		var out []Output
		var base []byte
		var deltas [][]byte
		var snap *Snapshot
		var delta *deltaTaken
		for i, in := range inputs {
			out = append(out, live.feed(t, in)...)
			if snap != nil && snap.Step(rng.IntN(3)) {
				base, deltas, snap = mustBytes(snap), nil, nil
			}
			if delta != nil && delta.snap.Step(rng.IntN(2)) {
				deltas = append(deltas, mustBytes(delta.snap))
				rebuilt := newSitesRun().restoreWithDeltas(t, base, deltas, nil, nil)
				require.Equal(t, delta.state, dumpSites(rebuilt.sites), "trial %d, delta %d begun after %d events", trial, len(deltas), delta.fed)

				restarted := delta.at.restoreWithDeltas(t, base, deltas, inputs[:delta.fed], delta.out)
				got := append(append([]Output(nil), delta.out...), restarted.feed(t, inputs[delta.fed:]...)...)
				got = append(got, restarted.sites.Flush(EndShutdown)...)
				require.Equal(t, want, describe(got, ids), "trial %d, restarted from delta %d begun after %d events", trial, len(deltas), delta.fed)
				restarts++
				delta = nil
			}
			if snap != nil || delta != nil {
				continue
			}
			switch r := rng.IntN(10); {
			case r == 0:
				snap = live.sites.BeginSnapshot()
			case r < 4 && base != nil:
				delta = &deltaTaken{snap: live.sites.BeginDelta(math.MaxInt), state: dumpSites(live.sites), at: live.copyAt(), out: append([]Output(nil), out...), fed: i + 1}
				require.NotNil(t, delta.snap)
			}
		}
	}
	assert.Greater(t, restarts, 1000, "deltas are taken and restored from")
}

// deltaTaken is a delta on its way, with the run as it was at its start.
type deltaTaken struct {
	snap  *Snapshot
	state []string
	at    *sitesRun
	out   []Output
	fed   int
}

// restoreWithDeltas is restore from a checkpoint and the deltas after it.
func (r *sitesRun) restoreWithDeltas(t *testing.T, base []byte, deltas [][]byte, fed []Input, out []Output) *sitesRun {
	t.Helper()
	restarted := r.restore(t, base, nil, nil)
	for _, d := range deltas {
		require.NoError(t, restarted.sites.ApplyDelta(d))
	}
	restarted.addUnplaced(t, fed, out)
	return restarted
}

func TestADeltaHoldsOnlyWhatChanged(t *testing.T) {
	s := newTestSites(1000, 1000)
	inputs := randomSitesStream(rand.New(rand.NewPCG(1, 2)), 200)
	for _, in := range inputs {
		_, _, err := s.Add(&in)
		require.NoError(t, err)
	}
	s.PlacePending()
	checkpoint := s.Checkpoint()
	assert.Equal(t, []byte{sitesDeltaVersion, 0}, takeDelta(t, s, math.MaxInt), "nothing changed: no tracker")

	_, _, err := s.Add(&Input{Ref: 1000, Key: Key{Site: "blog", Visitor: "v-new"}, Event: Event{Time: inputs[len(inputs)-1].Event.Time}, Received: inputs[len(inputs)-1].Received})
	require.NoError(t, err)
	s.PlacePending()
	one := takeDelta(t, s, math.MaxInt)
	assert.Less(t, len(one), len(checkpoint)/4, "one new session, not all of them")

	takeDelta(t, s, math.MaxInt)
	_, _, err = s.Add(&Input{Ref: 1001, Key: Key{Site: "blog", Visitor: "v-other"}, Event: Event{Time: inputs[len(inputs)-1].Event.Time}, Received: inputs[len(inputs)-1].Received})
	require.NoError(t, err)
	s.PlacePending()
	assert.Nil(t, s.BeginDelta(0), "declined past maxSessions")
}

// Sessions that open and end between two deltas (evicted here; in a
// partition catching up, ended by the watermark) are not in the next: the
// state it applies to never held them. They neither count against
// maxSessions nor name their keys, and base and delta still restore the
// running state; the memory of their ends is in the delta.
func TestADeltaLeavesOutSessionsThatOpenedAndEndedSinceTheMark(t *testing.T) {
	const maxLive = 3
	s := newTestSites(maxLive, 1000)
	at := t0
	add := func(visitor string) {
		at = at.Add(time.Second)
		_, _, err := s.Add(&Input{Key: Key{Site: "blog", Visitor: visitor}, EventID: visitor + at.String(), Event: Event{Time: at, PageView: true, Path: "/"}, Received: at})
		require.NoError(t, err)
		s.PlacePending()
	}
	for v := range maxLive {
		add(fmt.Sprintf("v-before-%d", v))
	}
	base := s.Checkpoint()

	for v := range 100 {
		add(fmt.Sprintf("v-passing-%03d", v))
	}
	state := dumpSites(s)
	sn := s.BeginDelta(2 * maxLive)
	require.NotNil(t, sn, "3 sessions ended that the base holds and 3 opened: 97 that came and went do not count")
	require.Len(t, sn.trackers, 1)
	assert.Equal(t, maxLive, sn.trackers[0].endedCount, "the ended sessions named are those the base holds")
	assert.Len(t, sn.trackers[0].order, maxLive, "the open sessions")
	require.True(t, sn.Step(math.MaxInt))
	delta := mustBytes(sn)

	restored := newTestSites(maxLive, 1000)
	require.NoError(t, restored.Restore(base))
	require.NoError(t, restored.ApplyDelta(delta))
	assert.Equal(t, state, dumpSites(restored), "base and delta restore the state")
}

func TestNoChangesAreKeptUntilAMark(t *testing.T) {
	s := newTestSites(1000, 1000)
	for _, in := range randomSitesStream(rand.New(rand.NewPCG(1, 2)), 50) {
		_, _, err := s.Add(&in)
		require.NoError(t, err)
	}
	for _, tr := range s.trackers {
		assert.Empty(t, tr.changed, "a host that never checkpoints keeps no list")
	}
	assert.Nil(t, s.BeginDelta(math.MaxInt))
}

// takeDelta encodes a delta at once.
func takeDelta(t *testing.T, s *Sites, maxSessions int) []byte {
	t.Helper()
	sn := s.BeginDelta(maxSessions)
	require.NotNil(t, sn)
	require.True(t, sn.Step(math.MaxInt))
	return mustBytes(sn)
}

// A session that a delta does not hold (it did not change before that
// delta) and that changes before the next one is in the next one: over a
// few visitors whose sessions stay open across many deltas, base and deltas
// restore the running state after every delta. (Deltas once flipped the
// parity that marks a session encoded, which left the sessions outside a
// delta marked encoded for the next one: it skipped them.)
func TestEveryDeltaHoldsWhatChangedSinceTheOneBefore(t *testing.T) {
	at := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(28, 7))
	for trial := range 20 {
		run := newSitesRun()
		in := func(i int, visitor string) Input {
			when := at.Add(time.Duration(i) * 10 * time.Second)
			return Input{Key: Key{Site: "shop", Visitor: visitor}, EventID: fmt.Sprintf("e%d", i), Event: pageView(when, fmt.Sprintf("/%d", i), Attribution{}), Ref: i, Received: when}
		}
		visitors := []string{"a", "b", "c"}
		for i, v := range visitors {
			run.feed(t, in(i, v))
		}
		base := takeSnapshot(run.sites.BeginSnapshot())
		var deltas [][]byte
		for i := len(visitors); i < 60; i++ {
			run.feed(t, in(i, visitors[rng.IntN(len(visitors))]))
			run.sites.Advance("shop", at.Add(time.Duration(i)*10*time.Second))
			if rng.IntN(3) == 0 {
				continue // several changes in one delta, too
			}
			deltas = append(deltas, takeSnapshot(run.sites.BeginDelta(math.MaxInt)))
			restored := newSitesRun().restoreWithDeltas(t, base, deltas, nil, nil)
			require.Equal(t, dumpSites(run.sites), dumpSites(restored.sites), "trial %d, after delta %d", trial, len(deltas))
		}
	}
}

func takeSnapshot(sn *Snapshot) []byte {
	sn.Step(math.MaxInt)
	return mustBytes(sn)
}

// A session open at the last mark that events moved on in order is in the
// next delta as its progress alone (its goals, funnels, revenue and
// behaviour among it), a fraction of the session; one a late event moved
// the start and entry of, and one that opened since, are whole. Base and
// deltas restore the running state either way (the ground truth is the
// running Sites).
func TestADeltaHoldsAnOpenSessionsProgress(t *testing.T) {
	withBots := rules
	withBots.Bots = BotRules{MaxReloads: 1}
	newSites := func() *Sites {
		return NewSites(func(string) Rules { return withBots }, func(in Input) string { return "s-" + in.EventID }, 10, 10)
	}
	s := newSites()
	n := 0
	add := func(visitor Key, ev Event, received time.Time) {
		n++
		_, slot, err := s.Add(&Input{Key: visitor, EventID: fmt.Sprintf("e%d", n), Event: ev, Received: received, Ref: n})
		require.NoError(t, err)
		s.Advance(slot, received)
	}
	add(alice, pageView(t0.Add(time.Minute), "/", google), t0.Add(time.Minute))
	base := s.Checkpoint()

	signup := pageView(t0.Add(2*time.Minute), "/pricing", Attribution{})
	signup.Goal, signup.Revenue, signup.Engagement, signup.Funnels = "signup", Money{Currency: "EUR", Value: 10}, true, FunnelMatch(1)
	add(alice, signup, t0.Add(2*time.Minute))
	add(alice, pageView(t0.Add(3*time.Minute), "/pricing", Attribution{}), t0.Add(3*time.Minute))
	sn := s.BeginDelta(math.MaxInt)
	require.Len(t, sn.trackers, 1)
	require.Len(t, sn.trackers[0].order, 1)
	assert.NotZero(t, sn.trackers[0].order[0].flags&flagDeltaProgress, "moved on in order: its progress")
	progress := takeSnapshot(sn)
	tr := s.trackers[s.Slot(alice.Site)]
	sess := tr.deadlines[0]
	assert.NotEmpty(t, sess.Bot(), "the reload made it a bot's: its behaviour is in the progress")
	whole, progressOnly := &encoder{}, &encoder{}
	tr.encodeSession(whole, sess, checkpointVersion)
	tr.encodeProgress(progressOnly, sess, checkpointVersion)
	assert.Less(t, len(progressOnly.buf), len(whole.buf)*3/4, "its progress is a fraction of the session, goals, revenue and behaviour and all")
	restored := newSites()
	require.NoError(t, restored.Restore(base))
	require.NoError(t, restored.ApplyDelta(progress))
	assert.Equal(t, dumpSites(s), dumpSites(restored), "base and progress")

	// Received behind the watermark, earlier than the session's start: it
	// is placed at once and becomes the session's entry.
	add(alice, pageView(t0, "/from-ad", newsletter), t0.Add(30*time.Second))
	add(bob, pageView(t0.Add(4*time.Minute), "/", Attribution{}), t0.Add(4*time.Minute))
	sn = s.BeginDelta(math.MaxInt)
	require.Len(t, sn.trackers[0].order, 2)
	for _, sess := range sn.trackers[0].order {
		assert.Zero(t, sess.flags&flagDeltaProgress, "a moved start and a new session are whole")
	}
	moved := takeSnapshot(sn)
	require.NoError(t, restored.ApplyDelta(moved))
	assert.Equal(t, dumpSites(s), dumpSites(restored), "base, progress and whole")
	assert.Contains(t, fmt.Sprint(dumpSites(restored)), "/from-ad")
}

// A delta of a version before compactVersion holds every session whole, and
// is still read.
func TestADeltaOfWholeSessionsIsStillRead(t *testing.T) {
	s := newTestSites(10, 10)
	add := func(at time.Time, path string) {
		_, slot, err := s.Add(&Input{Key: alice, EventID: path, Event: pageView(at, path, Attribution{}), Received: at})
		require.NoError(t, err)
		s.Advance(slot, at)
	}
	add(t0, "/")
	base := s.Checkpoint()
	add(t0.Add(time.Minute), "/next")
	sn := s.BeginDelta(math.MaxInt)
	for _, ts := range sn.trackers {
		ts.version = compactVersion - 1
		for _, sess := range ts.order {
			sess.flags &^= flagDeltaProgress
		}
	}
	old := takeSnapshot(sn)
	restored := newTestSites(10, 10)
	require.NoError(t, restored.Restore(base))
	require.NoError(t, restored.ApplyDelta(old))
	assert.Equal(t, dumpSites(s), dumpSites(restored))
}

// From spanVersion on, a delta remembers a session it ended by the
// session's place among those it ended, not by its key and id again, and
// writes times as spans: it is smaller than the same delta at
// compactVersion and restores the same state, a time past whole
// milliseconds and named visitors among it. Applied to a state that did
// not hold the session, it is refused as corrupt.
func TestADeltaNamesTheSessionsItEndedByTheirPlace(t *testing.T) {
	take := func(version byte) (base, delta []byte, live *Sites) {
		s := newTestSites(10, 10)
		add := func(k Key, at time.Time) {
			_, slot, err := s.Add(&Input{Key: k, EventID: k.Visitor + at.String(), Event: pageView(at, "/", Attribution{}), Received: at})
			require.NoError(t, err)
			s.Advance(slot, at)
		}
		add(alice, t0.Add(1500*time.Microsecond))
		add(bob, t0.Add(time.Second))
		base = s.Checkpoint()
		add(Key{Site: alice.Site, Visitor: "0000000000000003"}, t0.Add(2*time.Hour))
		sn := s.BeginDelta(math.MaxInt)
		for _, ts := range sn.trackers {
			require.Equal(t, 2, ts.endedCount, "alice's and bob's sessions ended")
			ts.version = version
		}
		return base, takeSnapshot(sn), s
	}
	base, delta, live := take(spanVersion)
	_, older, _ := take(compactVersion)
	t.Logf("delta %d bytes, %d at compactVersion", len(delta), len(older))
	assert.Less(t, len(delta), len(older)-2*(5+4), "two remembered sessions without their keys (5 bytes each here) and ids (4)")
	for _, d := range [][]byte{delta, older} {
		restored := newTestSites(10, 10)
		require.NoError(t, restored.Restore(base))
		require.NoError(t, restored.ApplyDelta(d))
		assert.Equal(t, dumpSites(live), dumpSites(restored))
	}
	require.ErrorContains(t, newTestSites(10, 10).ApplyDelta(delta), "names no session it ended")
}
