// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/chunks"
)

// A snapshot taken a piece at a time while events keep coming is the state
// at its start: a tracker restored from it and fed the rest of the stream
// gives the output of one uninterrupted run. The bound of three open sessions
// makes the stream evict sessions and forget ended ones while a snapshot is
// under way; two snapshots in a row check that the second knows which
// sessions the first encoded.
func TestSnapshotTakenWhileEventsArriveIsTheStateAtItsStart(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := range 400 {
		// Odd trials lay the snapshot out as it is encoded (Take), as a
		// base written to a file is, and read the file that makes.
		streamed := trial%2 == 1
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
			file  *takenFile
		}
		var snaps []taken
		var out []Output
		var snap *Snapshot
		done := true
		step := func(budget int) {
			done = snap.Step(budget)
			if streamed {
				snaps[len(snaps)-1].file.take(t, snap)
			}
		}
		for i, in := range inputs {
			if len(snaps) < len(cuts) && i == cuts[len(snaps)] {
				for !done {
					step(1)
				}
				state := dumpCheckpoint(t, first.sites.Checkpoint())
				snap, done = first.sites.BeginSnapshot(), false
				snaps = append(snaps, taken{cut: i, at: first.copyAt(), out: append([]Output(nil), out...), snap: snap, state: state, file: &takenFile{}})
			}
			if !done {
				step(rng.IntN(3))
			}
			out = append(out, first.feed(t, in)...)
		}
		for !done {
			step(1)
		}
		out = append(out, first.sites.Flush(EndShutdown)...)
		require.Equal(t, want, describe(out, ids), "trial %d: taking snapshots changed the run", trial)
		for _, taken := range snaps {
			checkpoint := taken.file.data
			if !streamed {
				checkpoint = mustBytes(taken.snap)
			}
			require.Equal(t, taken.state, dumpCheckpoint(t, checkpoint), "trial %d, snapshot taken after %d events", trial, taken.cut)
			restarted := taken.at.restore(t, checkpoint, inputs[:taken.cut], taken.out)
			got := append(append([]Output(nil), taken.out...), restarted.feed(t, inputs[taken.cut:]...)...)
			got = append(got, restarted.sites.Flush(EndShutdown)...)
			require.Equal(t, want, describe(got, ids), "trial %d, snapshot taken after %d events", trial, taken.cut)
		}
	}
}

// takenFile is a file a snapshot is laid out on as it is encoded, written
// at the pieces' offsets as the processor's base writer writes them.
type takenFile struct {
	stream chunks.Stream
	data   []byte
	// written counts the bytes of pieces written, patches included.
	written int64
}

func (f *takenFile) take(t *testing.T, snap *Snapshot) {
	require.NoError(t, snap.Take(&f.stream))
	for _, piece := range f.stream.Take() {
		end := int(piece.Offset) + len(piece.Data)
		if end > len(f.data) {
			f.data = append(f.data, make([]byte, end-len(f.data))...)
		}
		copy(f.data[piece.Offset:], piece.Data)
		f.written += int64(len(piece.Data))
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
		late, slot, err := r.sites.Add(&in)
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
			_, _, err := r.sites.Add(&in)
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
	assert.Equal(t, want, dumpCheckpoint(t, mustBytes(snap)))
}

// Take lays out, while a base and a delta larger than a piece of the
// encoding (internal/chunks) are encoded, what Bytes returns at the end:
// each byte once, and each tracker's length again once it is known.
func TestSnapshotTakenAsItIsEncodedIsWhatBytesReturns(t *testing.T) {
	s, twin := newTestSites(100_000, 100_000), newTestSites(100_000, 100_000)
	add := func(from, n int) {
		for _, sites := range []*Sites{s, twin} {
			for i := from; i < from+n; i++ {
				k := Key{Site: []string{"shop", "blog"}[i%2], Visitor: fmt.Sprintf("visitor-%06d", i)}
				_, _, err := sites.Add(new(input(k, fmt.Sprintf("e%d", i), t0.Add(time.Duration(i)*time.Millisecond))))
				require.NoError(t, err)
			}
			sites.PlacePending()
		}
	}
	add(0, 50_000)
	for _, kind := range []string{"base", "delta"} {
		var snap, twinSnap *Snapshot
		if kind == "base" {
			snap, twinSnap = s.BeginSnapshot(), twin.BeginSnapshot()
		} else {
			add(50_000, 40_000)
			snap, twinSnap = s.BeginDelta(math.MaxInt), twin.BeginDelta(math.MaxInt)
			require.NotNil(t, snap, "the base marked the state")
		}
		file := &takenFile{}
		pieces := 0
		for done := false; !done; {
			done = twinSnap.Step(1000)
			before := file.written
			file.take(t, twinSnap)
			if !done && file.written > before {
				pieces++
			}
		}
		for !snap.Step(1000) {
		}
		want := mustBytes(snap)
		require.Greater(t, len(want), 2<<20, "%s: more than one piece", kind)
		assert.Positive(t, pieces, "%s: pieces were laid out before the end", kind)
		assert.True(t, bytes.Equal(want, file.data), "%s: what Take laid out is what Bytes returns", kind)
		assert.Equal(t, int64(len(want)+8*len(twinSnap.trackers)), file.written, "%s: each byte is written once, each tracker's length twice", kind)
	}
}
