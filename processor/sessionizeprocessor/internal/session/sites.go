// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Sites keeps one Tracker per site. Each site has its own watermark, reorder
// buffer, idle deadlines and memory of ended sessions, so that nothing one
// site sends (a timestamp from the future above all: anyone can post events
// for a public site) moves another site's sessions. The bounds on open
// sessions and buffered events hold for all sites together; past the bound
// on open sessions, the site with the most gives one up.
//
// At most MaxSites sites are kept apart: the events of any site past that
// bound share one more tracker, and one watermark (counted in Overflowed).
// Trackers are keyed by slot: the site's id, or OverflowSlot.
//
// It is not safe for concurrent use: the processor's state owner drives it.
type Sites struct {
	rules      func(site string) Rules
	newID      func(opening Input) string
	maxLive    int
	maxPending int
	intern     *interner

	trackers      map[string]*Tracker
	live, pending int
	// waiting holds the slots with buffered events.
	waiting map[string]bool
	// overflowed counts events placed in the overflow slot.
	overflowed uint64
	// tracking: the trackers note their changes for the next delta
	// (delta.go), from the first snapshot or restore on.
	tracking bool

	// Returning, when set, is asked once for every session that starts,
	// in placement order, whether its visitor had a session before.
	Returning func(opening Input) bool
}

// NewSites returns Sites holding at most maxLive sessions and maxPending
// buffered events in all.
func NewSites(rules func(site string) Rules, newID func(opening Input) string, maxLive, maxPending int) *Sites {
	return &Sites{
		rules: rules, newID: newID, maxLive: maxLive, maxPending: maxPending, intern: newInterner(),
		trackers: map[string]*Tracker{}, waiting: map[string]bool{},
	}
}

func (s *Sites) newTracker() *Tracker {
	t := NewTracker(s.rules, s.newID, s.maxLive, s.maxPending)
	t.intern = s.intern
	t.tracking = s.tracking
	t.Returning = func(opening Input) bool { return s.Returning != nil && s.Returning(opening) }
	return t
}

// MaxSites bounds the sites with a tracker of their own.
const MaxSites = 10_000

// OverflowSlot keys the tracker shared by the sites past MaxSites; no site
// id is empty.
const OverflowSlot = ""

// Slot is the key of site's tracker: the site, or OverflowSlot when
// MaxSites other sites have trackers already.
func (s *Sites) Slot(site string) string {
	if _, ok := s.trackers[site]; ok || len(s.trackers) < MaxSites {
		return site
	}
	return OverflowSlot
}

// tracker returns the tracker of slot, making it when it is new.
func (s *Sites) tracker(slot string) *Tracker {
	t, ok := s.trackers[slot]
	if !ok {
		t = s.newTracker()
		s.trackers[deref(s.intern.str(slot))] = t
	}
	return t
}

// track runs step on site's tracker t, keeps the totals, and ends sessions
// past the bound on open sessions.
func (s *Sites) track(site string, t *Tracker, step func() []Output) []Output {
	live, pending := t.Live(), t.Pending()
	return s.settle(site, t, live, pending, step())
}

// settle keeps the totals after a step on site's tracker t, which had live
// sessions and pending events before it, and ends sessions past the bound on
// open sessions.
func (s *Sites) settle(site string, t *Tracker, live, pending int, out []Output) []Output {
	s.live += t.Live() - live
	s.pending += t.Pending() - pending
	switch waiting := s.waiting[site]; {
	case t.Pending() > 0 && !waiting:
		s.waiting[site] = true
	case t.Pending() == 0 && waiting:
		delete(s.waiting, site)
	}
	for s.live > s.maxLive {
		largest := s.largest()
		before := largest.Live()
		out = append(out, largest.evictOldest()...)
		s.live += largest.Live() - before
	}
	return out
}

// largest is the tracker with the most open sessions.
func (s *Sites) largest() *Tracker {
	var top *Tracker
	for _, site := range s.sites() {
		if t := s.trackers[site]; top == nil || t.Live() > top.Live() {
			top = t
		}
	}
	return top
}

// sites lists the sites in order, so that output over several sites is
// deterministic.
func (s *Sites) sites() []string { return slices.Sorted(maps.Keys(s.trackers)) }

// Add takes one event into the tracker of its site's slot (returned): placed
// at once when it is late there, buffered otherwise (ErrPendingFull when the
// buffers of all sites hold maxPending).
func (s *Sites) Add(in *Input) ([]Output, string, error) {
	slot := s.Slot(in.Key.Site)
	t := s.tracker(slot)
	if !t.isLate(in) && s.pending >= s.maxPending {
		return nil, slot, ErrPendingFull
	}
	if slot == OverflowSlot {
		s.overflowed++
	}
	live, pending := t.Live(), t.Pending()
	out, err := t.Add(in)
	return s.settle(slot, t, live, pending, out), slot, err
}

// Overflowed counts the events placed in the overflow slot.
func (s *Sites) Overflowed() uint64 { return s.overflowed }

// Advance moves slot's watermark forward (never back); see Tracker.Advance.
func (s *Sites) Advance(slot string, watermark time.Time) []Output {
	t, ok := s.trackers[slot]
	if !ok {
		return nil
	}
	return s.track(slot, t, func() []Output { return t.Advance(watermark) })
}

// Moves reports whether Advance(slot, watermark) would move slot's
// watermark; Places whether it would also place an event or end a session.
func (s *Sites) Moves(slot string, watermark time.Time) bool {
	t, ok := s.trackers[slot]
	return ok && watermark.After(t.watermark)
}

func (s *Sites) Places(slot string, watermark time.Time) bool {
	t, ok := s.trackers[slot]
	return ok && t.places(watermark)
}

// Waiting calls f for each slot with buffered events, in no order: its
// caller sorts the slots it gathers (core.Apply), and sorting here as well
// allocated a slice for every batch.
func (s *Sites) Waiting(f func(slot string)) {
	for site := range s.waiting {
		f(site)
	}
}

// Watermark is the receive time up to which site's input has been placed.
func (s *Sites) Watermark(site string) time.Time {
	if t, ok := s.trackers[s.Slot(site)]; ok {
		return t.Watermark()
	}
	return time.Time{}
}

// Watermarks calls f with every slot's watermark, in slot order.
func (s *Sites) Watermarks(f func(slot string, watermark time.Time)) {
	for _, site := range s.sites() {
		f(site, s.trackers[site].Watermark())
	}
}

// MinWatermark is the earliest watermark of any site: what every site has
// placed up to. Zero when there is no site.
func (s *Sites) MinWatermark() time.Time {
	var lowest time.Time
	first := true
	for _, t := range s.trackers {
		if w := t.Watermark(); first || w.Before(lowest) {
			lowest, first = w, false
		}
	}
	return lowest
}

// Live is the number of open sessions; Pending the number of buffered events.
func (s *Sites) Live() int    { return s.live }
func (s *Sites) Pending() int { return s.pending }

// InternEvictions counts the shared values the string interner has forgotten.
func (s *Sites) InternEvictions() uint64 { return s.intern.evicted }

// PlacePending places every site's buffered events; see Tracker.PlacePending.
func (s *Sites) PlacePending() []Output {
	var out []Output
	for _, site := range s.sites() {
		t := s.trackers[site]
		out = append(out, s.track(site, t, t.PlacePending)...)
	}
	return out
}

// Flush places every buffered event and ends every open session with reason.
func (s *Sites) Flush(reason EndReason) []Output {
	var out []Output
	for _, site := range s.sites() {
		t := s.trackers[site]
		out = append(out, s.track(site, t, func() []Output { return t.Flush(reason) })...)
	}
	return out
}

// sitesCheckpointVersion follows the Tracker's versions 1 and 2, which held
// every site in one Tracker; Restore reads those too.
const sitesCheckpointVersion = 3

// Restore replaces the sessions and watermarks with a checkpoint's. A
// checkpoint of one Tracker for all sites (versions 1 and 2) is split by
// site, every site starting from its watermark.
func (s *Sites) Restore(data []byte) error {
	if len(data) == 0 {
		return errors.New("session checkpoint is empty")
	}
	trackers := map[string]*Tracker{}
	switch data[0] {
	case sitesCheckpointVersion:
		d := newDecoder(data[1:])
		n := d.uint()
		for i := uint64(0); i < n && d.Err() == nil; i++ {
			site, encoded := d.str(), d.fixedBytes()
			if d.Err() != nil {
				break
			}
			t := s.newTracker()
			if err := t.Restore(encoded); err != nil {
				return fmt.Errorf("site %q: %w", site, err)
			}
			trackers[site] = t
		}
		if d.Err() != nil {
			return fmt.Errorf("session checkpoint: %w", d.Err())
		}
		if d.Len() != 0 {
			return fmt.Errorf("session checkpoint is corrupt: %d bytes after the end", d.Len())
		}
	default:
		all := s.newTracker()
		if err := all.Restore(data); err != nil {
			return err
		}
		trackers = all.splitBySite(s.newTracker)
	}
	live := 0
	for _, t := range trackers {
		live += t.Live()
	}
	if live > s.maxLive {
		return fmt.Errorf("session checkpoint holds %d sessions, more than max_sessions %d", live, s.maxLive)
	}
	for _, t := range s.trackers {
		if t.Pending() > 0 {
			return errors.New("session checkpoint restored over buffered events")
		}
	}
	s.trackers, s.live, s.pending, s.waiting = trackers, live, 0, map[string]bool{}
	s.markAll()
	return nil
}
