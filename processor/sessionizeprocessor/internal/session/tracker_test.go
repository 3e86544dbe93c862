// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const lateness = 10 * time.Second

var (
	alice = Key{Site: "shop", Visitor: "a1"}
	bob   = Key{Site: "shop", Visitor: "b2"}
	carol = Key{Site: "shop", Visitor: "c3"}
)

func newTestTracker(maxLive, maxPending int) *Tracker {
	n := 0
	return NewTracker(func(string) Rules { return rules }, func(Input) string { n++; return fmt.Sprintf("s%d", n) }, maxLive, maxPending)
}

// feed adds inputs in the given order, advancing the watermark to the newest
// event time seen minus the allowed lateness after each, as the processor does.
func feed(t *testing.T, tr *Tracker, inputs ...Input) []Output {
	t.Helper()
	var out []Output
	var newest time.Time
	for _, in := range inputs {
		late, err := tr.Add(&in)
		require.NoError(t, err)
		out = append(out, late...)
		if in.Event.Time.After(newest) {
			newest = in.Event.Time
		}
		out = append(out, tr.Advance(newest.Add(-lateness))...)
	}
	return out
}

func input(key Key, id string, at time.Time) Input {
	return Input{Key: key, EventID: id, Event: pageView(at, "/"+id, Attribution{}), Ref: refOf(id)}
}

func refOf(id string) int {
	n := 0
	for _, c := range id {
		n = n*31 + int(c)
	}
	return n
}

// sessions reads outputs into session id -> event ids in placement order, and
// session id -> end reason.
func sessions(out []Output, ids map[int]string) (map[string][]string, map[string]EndReason) {
	members, ends := map[string][]string{}, map[string]EndReason{}
	for _, o := range out {
		if a := o.Assignment; a != nil {
			members[a.SessionID] = append(members[a.SessionID], ids[a.Ref])
		}
		if e := o.Ending; e != nil {
			ends[e.Session.ID] = e.Reason
		}
	}
	return members, ends
}

func idsOf(inputs ...Input) map[int]string {
	m := map[int]string{}
	for _, in := range inputs {
		m[in.Ref] = in.EventID
	}
	return m
}

func TestIdleSplitAndPreviousID(t *testing.T) {
	tr := newTestTracker(100, 100)
	inputs := []Input{
		input(alice, "e1", t0),
		input(alice, "e2", t0.Add(time.Minute)),
		input(alice, "e3", t0.Add(40*time.Minute)),
		input(bob, "e4", t0.Add(41*time.Minute)), // moves the watermark past e3
	}
	out := feed(t, tr, inputs...)
	members, ends := sessions(out, idsOf(inputs...))
	assert.Equal(t, map[string][]string{"s1": {"e1", "e2"}, "s2": {"e3"}}, members, "e4 still waits for the watermark")
	assert.Equal(t, map[string]EndReason{"s1": EndIdle}, ends)

	var second *Assignment
	for _, o := range out {
		if o.Assignment != nil && o.Assignment.SessionID == "s2" {
			second = o.Assignment
		}
	}
	require.True(t, second.Started, "the first event of a session carries its start")
	assert.Equal(t, "s1", second.PreviousID)
	assert.Equal(t, uint32(1), second.Seq)
	assert.Equal(t, 1, tr.Pending())
}

// TestLateEventBridgesAGap is why events wait for the watermark: the event at
// 29m58s arrives after the one at 30m05s, yet in event time the three are one
// session. Placed on arrival they would have been two.
func TestLateEventBridgesAGap(t *testing.T) {
	tr := newTestTracker(100, 100)
	a := input(alice, "a", t0)
	b := input(alice, "b", t0.Add(30*time.Minute+5*time.Second))
	c := input(alice, "c", t0.Add(29*time.Minute+58*time.Second))
	out := feed(t, tr, a, b, c)
	out = append(out, tr.Advance(t0.Add(2*time.Hour))...)
	members, ends := sessions(out, idsOf(a, b, c))
	assert.Equal(t, map[string][]string{"s1": {"a", "c", "b"}}, members)
	assert.Equal(t, map[string]EndReason{"s1": EndIdle}, ends)
}

func TestEventsBehindTheWatermarkAreLate(t *testing.T) {
	tr := newTestTracker(100, 100)
	out := feed(t, tr, input(alice, "e1", t0), input(bob, "e2", t0.Add(5*time.Minute)))
	require.Len(t, out, 1)
	late, err := tr.Add(new(input(alice, "old", t0.Add(time.Minute))))
	require.NoError(t, err)
	require.Len(t, late, 1, "placed at once, not buffered")
	assert.True(t, late[0].Assignment.Late)
	assert.Equal(t, "s1", late[0].Assignment.SessionID, "still counted, in the open session")
	assert.Equal(t, uint32(2), late[0].Assignment.Seq)
}

func TestTableIsBoundedByEvictingTheOldestIdle(t *testing.T) {
	tr := newTestTracker(2, 100)
	inputs := []Input{input(alice, "a", t0), input(bob, "b", t0.Add(time.Second)), input(carol, "c", t0.Add(2*time.Second))}
	out := feed(t, tr, inputs...)
	out = append(out, tr.Advance(t0.Add(3*time.Second))...)
	_, ends := sessions(out, idsOf(inputs...))
	assert.Equal(t, map[string]EndReason{"s1": EndEvicted}, ends, "alice was idle longest")
	assert.Equal(t, 2, tr.Live())
}

func TestReorderBufferIsBounded(t *testing.T) {
	tr := newTestTracker(100, 2)
	_, err := tr.Add(new(input(alice, "a", t0)))
	require.NoError(t, err)
	_, err = tr.Add(new(input(alice, "b", t0)))
	require.NoError(t, err)
	_, err = tr.Add(new(input(alice, "c", t0)))
	require.ErrorIs(t, err, ErrPendingFull)
}

func TestClientSessionIDs(t *testing.T) {
	tr := newTestTracker(100, 100)
	withClient := func(in Input, id string) Input { in.ClientSessionID = id; return in }
	inputs := []Input{
		withClient(input(alice, "e1", t0), "sdk-1"),
		input(alice, "e2", t0.Add(time.Minute)), // no id: joins the open session
		withClient(input(alice, "e3", t0.Add(2*time.Minute)), "sdk-2"),
		withClient(input(alice, "e4", t0.Add(50*time.Minute)), "sdk-2"), // same id after our idle timeout
	}
	out := feed(t, tr, inputs...)
	out = append(out, tr.Flush(EndShutdown)...)
	members, ends := sessions(out, idsOf(inputs...))
	assert.Equal(t, map[string][]string{"sdk-1": {"e1", "e2"}, "sdk-2": {"e3"}, "s1": {"e4"}}, members)
	assert.Equal(t, map[string]EndReason{"sdk-1": EndClientSession, "sdk-2": EndIdle, "s1": EndShutdown}, ends)
}

func TestFlushPlacesBufferedEventsThenEndsEverything(t *testing.T) {
	tr := newTestTracker(100, 100)
	_, err := tr.Add(new(input(alice, "a", t0)))
	require.NoError(t, err)
	_, err = tr.Add(new(input(bob, "b", t0)))
	require.NoError(t, err)
	out := tr.Flush(EndShutdown)
	members, ends := sessions(out, idsOf(input(alice, "a", t0), input(bob, "b", t0)))
	assert.Len(t, members, 2)
	assert.Equal(t, map[string]EndReason{"s1": EndShutdown, "s2": EndShutdown}, ends)
	assert.Zero(t, tr.Live())
	assert.Zero(t, tr.Pending())
}

// TestArrivalOrderWithinLatenessDoesNotChangeSessions: events of several
// visitors, each arriving up to the allowed lateness after its time, in random
// orders, always give the same sessions, members, sequence numbers and ends.
func TestArrivalOrderWithinLatenessDoesNotChangeSessions(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []Key{alice, bob, carol}
	for trial := range 200 {
		var inputs []Input
		at := t0
		for i := range 30 {
			// Gaps around the 30 minute timeout make boundaries fragile.
			gaps := []time.Duration{time.Second, 3 * time.Second, 29*time.Minute + 55*time.Second, 30*time.Minute + 2*time.Second}
			at = at.Add(gaps[rng.IntN(len(gaps))])
			in := input(keys[rng.IntN(len(keys))], fmt.Sprintf("e%02d", i), at)
			in.Event.Attribution = []Attribution{{}, google, newsletter}[rng.IntN(3)]
			inputs = append(inputs, in)
		}
		want := canonical(t, inputs, inputs)
		for range 4 {
			arrival := slices.Clone(inputs)
			jitter := map[string]time.Duration{}
			for _, in := range arrival {
				jitter[in.EventID] = time.Duration(rng.Int64N(int64(lateness)))
			}
			sort.SliceStable(arrival, func(i, j int) bool {
				return arrival[i].Event.Time.Add(jitter[arrival[i].EventID]).Before(arrival[j].Event.Time.Add(jitter[arrival[j].EventID]))
			})
			require.Equal(t, want, canonical(t, inputs, arrival), "trial %d", trial)
		}
	}
}

func canonical(t *testing.T, all, arrival []Input) []string {
	tr := newTestTracker(1000, 1000)
	out := feed(t, tr, arrival...)
	out = append(out, tr.Flush(EndShutdown)...)
	ids := idsOf(all...)
	var lines []string
	for _, o := range out {
		if a := o.Assignment; a != nil {
			require.False(t, a.Late)
			lines = append(lines, fmt.Sprintf("%s %s #%d %s", a.Key.Visitor, a.SessionID, a.Seq, ids[a.Ref]))
		}
		if e := o.Ending; e != nil {
			lines = append(lines, fmt.Sprintf("end %s %s %s pv=%d %v", e.Session.ID, e.Reason, e.Session.EntryPage, e.Session.PageViews, e.Session.Duration()))
		}
	}
	return lines
}

func TestTombstonesAreBoundedAndExpire(t *testing.T) {
	tr := newTestTracker(2, 100)
	for i, key := range []Key{alice, bob, carol} {
		feed(t, tr, input(key, fmt.Sprint("e", i), t0.Add(time.Duration(i)*time.Second)))
	}
	tr.Advance(t0.Add(time.Minute))
	assert.LessOrEqual(t, len(tr.ended), 2, "no more tombstones than live sessions allowed")
	tr.Advance(t0.Add(3 * time.Hour))
	assert.Len(t, tr.ended, 2, "sessions ended now are remembered for one more timeout")
	tr.Advance(t0.Add(3*time.Hour + 31*time.Minute))
	assert.Empty(t, tr.ended)
	assert.Empty(t, tr.endedOrder)
	assert.Empty(t, tr.names, "names of visitors with neither a session nor a tombstone go too")
}

// Events leave the reorder buffer by receive time and are placed in event
// time order among those released together; one released after a later
// event of its session joins that session, marked late, and the session's
// entry page is still its earliest page view.
func TestReleaseByReceiveTime(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	at := t0.Add
	received := func(in Input, d time.Duration) Input { in.Received = at(d); return in }
	first := received(input(alice, "first", at(0)), 9*time.Second) // a retry, received late
	second := received(input(alice, "second", at(5*time.Second)), 6*time.Second)
	fast := received(input(bob, "fast", at(4*time.Minute)), 6*time.Second) // a clock 4 minutes fast
	tr := newTestTracker(10, 10)
	for _, in := range []Input{second, fast} {
		out, err := tr.Add(&in)
		require.NoError(t, err)
		require.Empty(t, out)
	}
	out := tr.Advance(at(6 * time.Second))
	require.Len(t, out, 2, "both released at their receive time, whatever their event time")
	assert.Equal(t, "second", idsOf(second)[out[0].Assignment.Ref])
	assert.False(t, out[0].Assignment.Late)
	assert.True(t, out[1].Assignment.Started, "bob's session starts")

	_, err := tr.Add(&first)
	require.NoError(t, err)
	assert.Empty(t, tr.Advance(at(8*time.Second)), "received after the watermark: still buffered")
	out = tr.Advance(at(9 * time.Second))
	require.Len(t, out, 1)
	a := out[0].Assignment
	assert.True(t, a.Late, "its session already held a later event")
	assert.False(t, a.Started)
	assert.Equal(t, uint32(2), a.Seq)

	ends := tr.Flush(EndShutdown)
	require.Len(t, ends, 2)
	for _, o := range ends {
		if o.Ending.Key == alice {
			assert.Equal(t, "/first", o.Ending.Session.EntryPage)
			assert.Equal(t, "/second", o.Ending.Session.ExitPage)
		}
	}
}
