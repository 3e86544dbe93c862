// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// matching returns an input of alice matching the given steps, as
// funnel, step pairs (steps from 0).
func matching(id string, at time.Duration, pairs ...int) Input {
	in := input(alice, id, t0.Add(at))
	for i := 0; i+1 < len(pairs); i += 2 {
		in.Event.Funnels |= 1 << (pairs[i]*MaxFunnelSteps + pairs[i+1])
	}
	return in
}

// funnelsOf returns, per placed event id, the progress it reported.
func funnelsOf(out []Output) map[int]FunnelProgress {
	moved := map[int]FunnelProgress{}
	for _, o := range out {
		if o.Assignment != nil && o.Assignment.Funnels != 0 {
			moved[o.Assignment.Ref] = o.Assignment.Funnels
		}
	}
	return moved
}

// A session does a funnel's steps in order, other events in between
// allowed; a step done before the one it follows does not count, and one
// event does one step of a funnel (but may move several funnels).
func TestFunnelStepsAreDoneInOrder(t *testing.T) {
	tr := newTestTracker(10, 10)
	out := feed(t, tr,
		matching("pricing", 0, 0, 0),
		matching("blog", time.Second),
		matching("early-pay", 2*time.Second, 0, 2),          // step 3 before step 2: no step
		matching("signup", 3*time.Second, 0, 1, 0, 2, 1, 0), // steps 2 and 3 of funnel 0, step 1 of funnel 1
		matching("pay", 4*time.Second, 0, 2),
		matching("pay-again", 5*time.Second, 0, 2), // done already
	)
	out = append(out, tr.Flush(EndShutdown)...)
	moved := funnelsOf(out)
	assert.Equal(t, map[int]FunnelProgress{
		refOf("pricing"): FunnelProgress(0).with(0, 1),
		refOf("signup"):  FunnelProgress(0).with(0, 2).with(1, 1),
		refOf("pay"):     FunnelProgress(0).with(0, 3),
	}, moved)
	assert.Equal(t, 3, moved[refOf("pay")].Steps(0))
	assert.Equal(t, 0, moved[refOf("pay")].Steps(1), "funnel 1 did not move on this event")
}

// The last step of an eight-step funnel does not spill into the next
// funnel's first step.
func TestAFinishedFunnelMovesNoMore(t *testing.T) {
	tr := newTestTracker(10, 10)
	var inputs []Input
	for k := range MaxFunnelSteps {
		inputs = append(inputs, matching(string(rune('a'+k)), time.Duration(k)*time.Second, 2, k))
	}
	inputs = append(inputs, matching("after", 10*time.Second, 2, 7))
	moved := funnelsOf(append(feed(t, tr, inputs...), tr.Advance(t0.Add(time.Minute))...))
	require.Len(t, moved, MaxFunnelSteps)
	assert.Equal(t, MaxFunnelSteps, moved[refOf("h")].Steps(2))
	assert.Equal(t, 0, moved[refOf("h")].Steps(3))
}

// Progress is in the checkpoint: a session restored after a restart goes
// on from the step it had done. A version 2 checkpoint restores with none.
func TestFunnelProgressSurvivesACheckpoint(t *testing.T) {
	tr := newTestTracker(10, 10)
	feed(t, tr, matching("pricing", 0, 0, 0), matching("signup", time.Second, 0, 1))
	tr.Advance(t0.Add(2 * time.Second)) // both placed: the checkpoint holds no reorder buffer

	restored := newTestTracker(10, 10)
	require.NoError(t, restored.Restore(tr.Checkpoint()))
	moved := funnelsOf(append(feed(t, restored, matching("pay", 3*time.Second, 0, 2)), restored.Advance(t0.Add(time.Minute))...))
	assert.Equal(t, 3, moved[refOf("pay")].Steps(0))

	legacy := newTestTracker(10, 10)
	require.NoError(t, legacy.Restore(tr.checkpointAs(2)))
	assert.Empty(t, funnelsOf(append(feed(t, legacy, matching("pay", 3*time.Second, 0, 2)), legacy.Advance(t0.Add(time.Minute))...)), "no progress: step 3 cannot follow")
}
