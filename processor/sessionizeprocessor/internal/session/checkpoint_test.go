// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomStream(rng *rand.Rand, n int) []Input {
	keys := []Key{alice, bob, carol, {Site: "blog", Visitor: "a1"}}
	gaps := []time.Duration{time.Second, 20 * time.Second, 10 * time.Minute, 31 * time.Minute}
	var inputs []Input
	at := t0
	for i := range n {
		at = at.Add(gaps[rng.IntN(len(gaps))])
		in := input(keys[rng.IntN(len(keys))], fmt.Sprintf("e%03d", i), at)
		in.Event.Attribution = []Attribution{{}, google, newsletter}[rng.IntN(3)]
		in.Event.Goal = []string{"", "", "signup"}[rng.IntN(3)]
		if in.Event.Goal != "" {
			in.Event.Revenue = Money{Currency: []string{"", "EUR", "USD"}[rng.IntN(3)], Value: float64(rng.IntN(100))}
		}
		in.Event.Country = "DE"
		if rng.IntN(4) == 0 {
			in.ClientSessionID = "sdk-" + strconv.Itoa(rng.IntN(3))
		}
		inputs = append(inputs, in)
	}
	return inputs
}

// TestRestartGivesTheSameOutputAsOneRun: feed half a stream, checkpoint, start
// a new tracker from the checkpoint, re-add what was still buffered (as the
// processor does from its log), feed the rest: the output equals one
// uninterrupted run.
func TestRestartGivesTheSameOutputAsOneRun(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	for trial := range 50 {
		inputs := randomStream(rng, 60)
		ids := idsOf(inputs...)

		counter := 0
		newID := func(Input) string { counter++; return fmt.Sprintf("s%d", counter) }
		oneRun := NewTracker(func(string) Rules { return rules }, newID, 100, 100)
		want := describe(append(feed(t, oneRun, inputs...), oneRun.Flush(EndShutdown)...), ids)

		counter = 0
		cut := 1 + rng.IntN(len(inputs)-1)
		first := NewTracker(func(string) Rules { return rules }, newID, 100, 100)
		out := feed(t, first, inputs[:cut]...)
		released := map[int]bool{}
		for _, o := range out {
			if o.Assignment != nil {
				released[o.Assignment.Ref] = true
			}
		}
		checkpoint := first.Checkpoint()

		second := NewTracker(func(string) Rules { return rules }, newID, 100, 100)
		require.NoError(t, second.Restore(checkpoint))
		assert.Equal(t, first.Watermark(), second.Watermark())
		for _, in := range inputs[:cut] {
			if !released[in.Ref] {
				_, err := second.Add(&in)
				require.NoError(t, err)
			}
		}
		out = append(out, feed(t, second, inputs[cut:]...)...)
		out = append(out, second.Flush(EndShutdown)...)
		require.Equal(t, want, describe(out, ids), "trial %d, cut after %d events", trial, cut)
	}
}

func describe(out []Output, ids map[int]string) []string {
	var lines []string
	for _, o := range out {
		if a := o.Assignment; a != nil {
			lines = append(lines, fmt.Sprintf("%v %s #%d %s late=%v prev=%s", a.Key, a.SessionID, a.Seq, ids[a.Ref], a.Late, a.PreviousID))
		}
		if e := o.Ending; e != nil {
			s := e.Session
			lines = append(lines, fmt.Sprintf("end %s %s %v..%v pv=%d ev=%d %s>%s bounce=%v %v %v %v %s",
				s.ID, e.Reason, s.Start, s.End, s.PageViews, s.Events, s.EntryPage, s.ExitPage, s.Bounce(), s.Attribution, s.Goals, s.Revenue, s.Country))
		}
	}
	return lines
}

func TestRestoreRefusesWhatItCannotRead(t *testing.T) {
	tr := newTestTracker(10, 10)
	feed(t, tr, input(alice, "a", t0), input(bob, "b", t0.Add(time.Hour)))
	tr.Advance(t0.Add(2 * time.Hour))
	good := tr.Checkpoint()

	require.ErrorContains(t, newTestTracker(10, 10).Restore(nil), "empty")
	require.ErrorContains(t, newTestTracker(10, 10).Restore([]byte{9}), "version 9; this build reads versions 1 to 7")
	for n := 1; n < len(good); n++ {
		require.Error(t, newTestTracker(10, 10).Restore(good[:n]), "a checkpoint cut at %d bytes", n)
	}
	require.ErrorContains(t, newTestTracker(10, 10).Restore(append(good, 0)), "bytes after the end")
	require.NoError(t, newTestTracker(10, 10).Restore(good))

	small := newTestTracker(10, 10)
	feed(t, small, input(alice, "a", t0), input(bob, "b", t0.Add(time.Second)), input(carol, "c", t0.Add(time.Minute)))
	require.ErrorContains(t, newTestTracker(1, 10).Restore(small.Checkpoint()), "more than max_sessions 1")
}

// BenchmarkCheckpoint encodes and decodes a million open sessions.
func BenchmarkCheckpoint(b *testing.B) {
	const live = 1_000_000
	n := 0
	tr := NewTracker(func(string) Rules { return rules }, func(Input) string { n++; return strconv.Itoa(n) }, live, live)
	for i := range live {
		v := fmt.Sprintf("%016x", i)
		if _, err := tr.Add(&Input{Key: Key{Site: "shop", Visitor: v}, EventID: v, Event: pageView(t0.Add(time.Duration(i)), "/pricing", google)}); err != nil {
			b.Fatal(err)
		}
	}
	tr.Advance(t0.Add(time.Second))
	var size int
	b.Run("encode", func(b *testing.B) {
		for b.Loop() {
			size = len(tr.Checkpoint())
		}
		b.ReportMetric(float64(size)/live, "bytes/session")
	})
	data := tr.Checkpoint()
	b.Run("decode", func(b *testing.B) {
		for b.Loop() {
			restored := NewTracker(func(string) Rules { return rules }, tr.newID, live, live)
			if err := restored.Restore(data); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func TestRestoreReadsVersion1(t *testing.T) {
	tr := newTestTracker(10, 10)
	tr.Returning = func(Input) bool { return true }
	feed(t, tr, input(alice, "a", t0), input(bob, "b", t0.Add(time.Minute)))
	tr.Advance(t0.Add(2 * time.Minute))
	require.Equal(t, 2, tr.Live())

	for version, returning := range map[byte]bool{1: false, 2: true} {
		restored := newTestTracker(10, 10)
		require.NoError(t, restored.Restore(tr.checkpointAs(version)), "version %d", version)
		ends := restored.Flush(EndShutdown)
		require.Len(t, ends, 2)
		for _, o := range ends {
			assert.Equal(t, returning, o.Ending.Session.Returning, "version %d", version)
			assert.Equal(t, uint32(1), o.Ending.Session.PageViews)
		}
	}
}

// Revenue sums are in the checkpoint from version 4; a version 3 checkpoint
// restores with none, and an amount no goal value can sum to is refused.
func TestRevenueSurvivesACheckpoint(t *testing.T) {
	tr := newTestTracker(10, 10)
	buy := input(alice, "buy", t0)
	buy.Event.Goal, buy.Event.Revenue = "purchase", Money{"EUR", 12.5}
	feed(t, tr, buy)
	tr.Advance(t0.Add(time.Second))

	restored := newTestTracker(10, 10)
	require.NoError(t, restored.Restore(tr.Checkpoint()))
	more := input(alice, "more", t0.Add(time.Minute))
	more.Event.Goal, more.Event.Revenue = "purchase", Money{"EUR", 7.5}
	feed(t, restored, more)
	ends := endingsOf(restored.Flush(EndShutdown))
	require.Len(t, ends, 1)
	assert.Equal(t, []Money{{"EUR", 20}}, ends[0].Revenue)

	legacy := newTestTracker(10, 10)
	require.NoError(t, legacy.Restore(tr.checkpointAs(3)))
	ends = endingsOf(legacy.Flush(EndShutdown))
	require.Len(t, ends, 1)
	assert.Empty(t, ends[0].Revenue)
	assert.Equal(t, []string{"purchase"}, ends[0].Goals)

	good := tr.Checkpoint()
	at := bytes.Index(good, []byte("EUR")) + len("EUR")
	require.Positive(t, at)
	corrupt := slices.Clone(good)
	binary.LittleEndian.PutUint64(corrupt[at:], math.Float64bits(math.NaN()))
	require.ErrorContains(t, newTestTracker(10, 10).Restore(corrupt), "amount NaN")
}

func endingsOf(out []Output) []Summary {
	var ends []Summary
	for _, o := range out {
		if o.Ending != nil {
			ends = append(ends, o.Ending.Session)
		}
	}
	return ends
}
