// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestSites(maxLive, maxPending int) *Sites {
	n := 0
	return NewSites(func(string) Rules { return rules }, func(Input) string { n++; return fmt.Sprintf("s%d", n) }, maxLive, maxPending)
}

func on(site string, k Key) Key { return Key{Site: site, Visitor: k.Visitor} }

// Each site's watermark is its own: advancing one leaves the others'
// buffers and sessions as they were.
func TestSitesWatermarksAreSeparate(t *testing.T) {
	s := newTestSites(10, 10)
	_, _, err := s.Add(new(input(alice, "a1", t0)))
	require.NoError(t, err)
	_, _, err = s.Add(new(input(on("blog", bob), "b1", t0)))
	require.NoError(t, err)
	out := s.Advance("blog", t0.Add(time.Hour))
	require.Len(t, out, 2, "blog: bob's event placed, and his session ended idle")
	assert.Equal(t, bob.Visitor, out[0].Assignment.Key.Visitor)
	assert.Equal(t, EndIdle, out[1].Ending.Reason)
	assert.Equal(t, 1, s.Pending(), "shop's event still waits")
	assert.True(t, s.Watermark("shop").IsZero())
	late, _, err := s.Add(new(input(alice, "a2", t0.Add(time.Second))))
	require.NoError(t, err)
	assert.Empty(t, late, "not late for shop")
	assert.Equal(t, t0.Add(time.Hour), s.Watermark("blog"))
	assert.True(t, s.MinWatermark().IsZero(), "shop has not placed anything yet")
}

// The bounds hold for all sites together; past the bound on sessions the
// site with the most open sessions gives up its oldest.
func TestSitesBoundsAreShared(t *testing.T) {
	s := newTestSites(3, 4)
	for i := range 4 {
		_, _, err := s.Add(new(input(on("flood", Key{Visitor: fmt.Sprint("v", i)}), fmt.Sprint("f", i), t0)))
		require.NoError(t, err)
	}
	_, _, err := s.Add(new(input(alice, "a1", t0)))
	require.ErrorIs(t, err, ErrPendingFull, "4 events buffered in all")
	s.Advance("flood", t0.Add(time.Second))
	assert.Equal(t, 3, s.Live(), "the fourth flood session evicted the first")

	out, _, err := s.Add(new(input(alice, "a1", t0.Add(time.Second))))
	require.NoError(t, err)
	assert.Empty(t, out)
	out = s.Advance("shop", t0.Add(2*time.Second))
	require.Len(t, out, 2, "alice's session starts; a flood session is evicted for it")
	assert.Equal(t, alice, out[0].Assignment.Key)
	assert.Equal(t, "flood", out[1].Ending.Key.Site)
	assert.Equal(t, EndEvicted, out[1].Ending.Reason)
	assert.Equal(t, 3, s.Live())
}

// A checkpoint of one Tracker for all sites (versions 1 and 2, before
// Sites) is split by site: the sessions go on as they would have.
func TestSitesRestoreOneTrackerCheckpoint(t *testing.T) {
	legacy := newTestTracker(10, 10)
	feed(t, legacy, input(alice, "a1", t0), input(on("blog", bob), "b1", t0.Add(time.Second)), input(carol, "c1", t0.Add(20*time.Second)))
	require.Equal(t, 2, legacy.Live(), "alice and bob placed, carol buffered")

	s := newTestSites(10, 10)
	require.NoError(t, s.Restore(legacy.checkpointAs(2)))
	assert.Equal(t, 2, s.Live())
	assert.Equal(t, legacy.Watermark(), s.Watermark("shop"))
	assert.Equal(t, legacy.Watermark(), s.Watermark("blog"))

	// The same checkpoint again, in the Sites format, restores the same.
	again := newTestSites(10, 10)
	require.NoError(t, again.Restore(s.Checkpoint()))
	assert.Equal(t, s.Checkpoint(), again.Checkpoint())

	out := again.Flush(EndShutdown)
	var ended []string
	for _, o := range out {
		if o.Ending != nil {
			ended = append(ended, o.Ending.Key.Site+"/"+o.Ending.Key.Visitor)
		}
	}
	assert.ElementsMatch(t, []string{"shop/a1", "blog/b2"}, ended)
}

func TestSitesRestoreRefusesGarbage(t *testing.T) {
	s := newTestSites(10, 10)
	require.Error(t, s.Restore(nil))
	require.Error(t, s.Restore([]byte{sitesCheckpointVersion, 5}))
	require.Error(t, s.Restore([]byte{99}))
}

// Past MaxSites, new sites share one overflow tracker: nothing is lost,
// memory stays bounded, and the overflow is counted.
func TestSitesPastTheBoundShareTheOverflowSlot(t *testing.T) {
	s := newTestSites(MaxSites+10, MaxSites+10)
	for i := range MaxSites {
		_, slot, err := s.Add(new(input(Key{Site: fmt.Sprint("site-", i), Visitor: "v"}, fmt.Sprint("e", i), t0)))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint("site-", i), slot)
	}
	_, slot, err := s.Add(new(input(Key{Site: "one-more", Visitor: "v"}, "x1", t0)))
	require.NoError(t, err)
	assert.Equal(t, OverflowSlot, slot)
	_, slot, err = s.Add(new(input(Key{Site: "and-another", Visitor: "w"}, "x2", t0)))
	require.NoError(t, err)
	assert.Equal(t, OverflowSlot, slot)
	assert.Equal(t, "site-7", s.Slot("site-7"), "known sites keep their own")
	assert.Equal(t, uint64(2), s.Overflowed())
	assert.Len(t, s.trackers, MaxSites+1)
	out := s.Advance(OverflowSlot, t0.Add(time.Second))
	assert.Len(t, out, 2, "both overflow events placed")
}
