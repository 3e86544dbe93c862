// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A snapshot taken a piece at a time while events keep coming is the state
// at its start: a tracker restored from it and fed the rest of the stream
// gives the output of one uninterrupted run. The bound of three open sessions
// makes the stream evict sessions and forget ended ones while a snapshot is
// under way; two snapshots in a row check that the second knows which
// sessions the first encoded.
func TestSnapshotTakenWhileEventsArriveIsTheStateAtItsStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 200 {
		inputs := randomSitesStream(rng, 80)
		ids := idsOf(inputs...)
		run := newSitesRun()
		want := describe(append(run.feed(t, inputs...), run.sites.Flush(EndShutdown)...), ids)

		first := newSitesRun()
		cuts := []int{1 + rng.IntN(len(inputs)/2), len(inputs)/2 + rng.IntN(len(inputs)/2)}
		type taken struct {
			cut  int
			at   *sitesRun
			out  []Output
			snap *Snapshot
			// state is the Sites at the snapshot's start, as a checkpoint
			// written at once shows it.
			state []string
		}
		var snaps []taken
		var out []Output
		var snap *Snapshot
		done := true
		for i, in := range inputs {
			if len(snaps) < len(cuts) && i == cuts[len(snaps)] {
				for !done {
					done = snap.Step(1)
				}
				state := dumpCheckpoint(t, first.sites.Checkpoint())
				snap, done = first.sites.BeginSnapshot(), false
				snaps = append(snaps, taken{cut: i, at: first.copyAt(), out: append([]Output(nil), out...), snap: snap, state: state})
			}
			if !done {
				done = snap.Step(rng.IntN(3))
			}
			out = append(out, first.feed(t, in)...)
		}
		for !done {
			done = snap.Step(1)
		}
		out = append(out, first.sites.Flush(EndShutdown)...)
		require.Equal(t, want, describe(out, ids), "trial %d: taking snapshots changed the run", trial)
		for _, taken := range snaps {
			require.Equal(t, taken.state, dumpCheckpoint(t, taken.snap.Bytes()), "trial %d, snapshot taken after %d events", trial, taken.cut)
			restarted := taken.at.restore(t, taken.snap.Bytes(), inputs[:taken.cut], taken.out)
			got := append(append([]Output(nil), taken.out...), restarted.feed(t, inputs[taken.cut:]...)...)
			got = append(got, restarted.sites.Flush(EndShutdown)...)
			require.Equal(t, want, describe(got, ids), "trial %d, snapshot taken after %d events", trial, taken.cut)
		}
	}
}

// randomSitesStream is randomStream over two sites, with visitor ids both
// canonical (16 hex characters) and not.
func randomSitesStream(rng *rand.Rand, n int) []Input {
	inputs := randomStream(rng, n)
	for i := range inputs {
		if rng.IntN(2) == 0 {
			inputs[i].Key.Site = "blog"
		}
		if rng.IntN(2) == 0 {
			inputs[i].Key.Visitor = fmt.Sprintf("%016x", len(inputs[i].Key.Visitor))
		}
	}
	return inputs
}

// sitesRun is Sites fed as the processor feeds them, each slot's watermark
// following its newest event, with session ids counted from one.
type sitesRun struct {
	sites   *Sites
	maxLive int
	newest  map[string]time.Time
	counter *int
}

// sitesRunMaxLive is the bound on open sessions of a sitesRun: small, so
// that streams evict sessions and forget ended ones.
const sitesRunMaxLive = 3

func newSitesRun() *sitesRun {
	r := &sitesRun{maxLive: sitesRunMaxLive, newest: map[string]time.Time{}, counter: new(int)}
	r.sites = r.newSites()
	return r
}

func (r *sitesRun) newSites() *Sites {
	counter := r.counter
	return NewSites(func(string) Rules { return rules }, func(Input) string { *counter++; return fmt.Sprintf("s%d", *counter) }, r.maxLive, 100)
}

func (r *sitesRun) feed(t *testing.T, inputs ...Input) []Output {
	t.Helper()
	var out []Output
	for _, in := range inputs {
		late, slot, err := r.sites.Add(in)
		require.NoError(t, err)
		out = append(out, late...)
		if in.Event.Time.After(r.newest[slot]) {
			r.newest[slot] = in.Event.Time
		}
		out = append(out, r.sites.Advance(slot, r.newest[slot].Add(-lateness))...)
	}
	return out
}

// copyAt keeps the run's clocks and id counter, for a restart from here.
func (r *sitesRun) copyAt() *sitesRun {
	counter := *r.counter
	return &sitesRun{maxLive: r.maxLive, newest: maps.Clone(r.newest), counter: &counter}
}

// restore is a run restarted from checkpoint, with the events fed before
// it and not placed by then (out) added again, as the processor does from
// its write-ahead log.
func (r *sitesRun) restore(t *testing.T, checkpoint []byte, fed []Input, out []Output) *sitesRun {
	t.Helper()
	restarted := r.copyAt()
	restarted.sites = restarted.newSites()
	require.NoError(t, restarted.sites.Restore(checkpoint))
	restarted.addUnplaced(t, fed, out)
	return restarted
}

// addUnplaced adds the events fed that out did not place.
func (r *sitesRun) addUnplaced(t *testing.T, fed []Input, out []Output) {
	t.Helper()
	placed := map[int]bool{}
	for _, o := range out {
		if o.Assignment != nil {
			placed[o.Assignment.Ref] = true
		}
	}
	for _, in := range fed {
		if !placed[in.Ref] {
			_, _, err := r.sites.Add(in)
			require.NoError(t, err)
		}
	}
}

// dumpCheckpoint lists what a checkpoint restores, in an order that does not
// depend on the order it was encoded in: each site's watermark, its open
// sessions sorted, and its memory of ended sessions in queue order.
func dumpCheckpoint(t *testing.T, checkpoint []byte) []string {
	t.Helper()
	s := newTestSites(1000, 1000)
	require.NoError(t, s.Restore(checkpoint))
	return dumpSites(s)
}

// dumpSites lists the state of s as dumpCheckpoint does.
func dumpSites(s *Sites) []string {
	var lines []string
	for _, site := range s.sites() {
		tr := s.trackers[site]
		lines = append(lines, fmt.Sprintf("site %s watermark %s", site, tr.Watermark()))
		var sessions []string
		for _, session := range tr.deadlines {
			e := &encoder{}
			tr.encodeSession(e, session, checkpointVersion)
			sessions = append(sessions, fmt.Sprintf("session %q", e.buf))
		}
		slices.Sort(sessions)
		lines = append(lines, sessions...)
		for i, ref := range tr.endedOrder {
			ts, ok := tr.ended[ref.key]
			current := ok && ts.at == tr.forgotten+uint64(i)
			lines = append(lines, fmt.Sprintf("ended %v until %s id %s current %t", tr.key(ref.key), ref.until, ref.id, current))
		}
	}
	return lines
}

// A snapshot begun a piece at a time can be finished at once, as a
// shutdown does with math.MaxInt: the budget must not wrap around once
// ended sessions are partly encoded (it did, and the shutdown then waited
// forever).
func TestSnapshotFinishesAtOnceAfterPartialSteps(t *testing.T) {
	run := newSitesRun()
	run.feed(t, randomSitesStream(rand.New(rand.NewPCG(3, 4)), 80)...)
	want := dumpCheckpoint(t, run.sites.Checkpoint())
	snap := run.sites.BeginSnapshot()
	partly := func() bool {
		for _, ts := range snap.trackers {
			if ts.tombNext > 0 && ts.tombNext < len(ts.tombstones) {
				return true
			}
		}
		return false
	}
	for !partly() {
		require.False(t, snap.Step(1), "the stream must end more than one session of a site")
	}
	require.True(t, snap.Step(math.MaxInt))
	assert.Equal(t, want, dumpCheckpoint(t, snap.Bytes()))
}

// WriteTo writes what Bytes returns, for a base and a delta larger than a
// piece of the encoding (internal/chunks), and stops at a writer's error.
func TestSnapshotWritesWhatBytesReturns(t *testing.T) {
	s := newTestSites(100_000, 100_000)
	add := func(from, n int) {
		for i := from; i < from+n; i++ {
			k := Key{Site: []string{"shop", "blog"}[i%2], Visitor: fmt.Sprintf("visitor-%06d", i)}
			_, _, err := s.Add(input(k, fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Millisecond)))
			require.NoError(t, err)
		}
		s.PlacePending()
	}
	add(0, 30_000)
	for _, kind := range []string{"base", "delta"} {
		var snap *Snapshot
		if kind == "base" {
			snap = s.BeginSnapshot()
		} else {
			add(30_000, 20_000)
			snap = s.BeginDelta(math.MaxInt)
			require.NotNil(t, snap, "the base marked the state")
		}
		for !snap.Step(1000) {
		}
		want := snap.Bytes()
		require.Greater(t, len(want), 2<<20, "%s: more than one piece", kind)
		var got bytes.Buffer
		n, err := snap.WriteTo(&got)
		require.NoError(t, err)
		assert.Equal(t, int64(len(want)), n, kind)
		assert.True(t, bytes.Equal(want, got.Bytes()), "%s: WriteTo writes what Bytes returns", kind)

		full := errors.New("disk full")
		n, err = snap.WriteTo(&failingWriter{room: len(want) / 2, err: full})
		require.ErrorIs(t, err, full, kind)
		assert.Equal(t, int64(len(want)/2), n, "%s: what was written before the error is counted", kind)
	}
}

// failingWriter takes room bytes, then fails.
type failingWriter struct {
	room int
	err  error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.room {
		n := w.room
		w.room = 0
		return n, w.err
	}
	w.room -= len(p)
	return len(p), nil
}
