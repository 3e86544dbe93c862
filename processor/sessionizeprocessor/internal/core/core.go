// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package core is the sessionizer's synchronous core: what it decides about
// events, with no pdata, no goroutines and no I/O inside. The same events
// and the same clock readings give the same output, so its time logic is
// tested by passing times, and every host drives it the same way.
//
// It holds four things:
//   - the sessions of every site (internal/session: one tracker, reorder
//     buffer and watermark per site);
//   - the event ids seen within dedup_window, which drop retries;
//   - the visitors who had a session within returning_visitor_window;
//   - each site's receive clock, which moves its watermark.
//
// An event's path through it:
//
//	host admits a batch (IsDuplicate drops retries), makes it durable, then
//	Apply(events, received, now)
//	  remember each event id; the site's tracker buffers the event (or places
//	  it at once when it is behind the watermark: late)
//	  the site's clock moves to the event's receive time
//	  each touched site's watermark moves to its clock less allowed_lateness:
//	  the events it passes are placed in time order, sessions start and end
//	  ids and visitors older than the lowest watermark are forgotten
//	IdleMoves(now), then Move(moves)
//	  a site with no newer event for watermark_idle_timeout has its watermark
//	  moved by the wall clock, so that its last sessions end; a host that
//	  logs its input logs the moves that place something, and Move applies
//	  them again at a replay
//
// The output is session.Output values that name the host's records by the
// Ref the host gave each event: the host keeps the records and renders them.
// Snapshots (BeginSnapshot) and RestoreSessions carry the sessions across
// restarts; deltas (BeginDelta) and ApplySessionsDelta carry the sessions
// that changed since the last snapshot or delta, so that the host writes
// what changed rather than every session. Both carry the memory of ids and
// visitors as segments: what it remembered since the last one (or all of
// it, when the host asks), which the Apply...Segment methods add back
// oldest first; an entry never changes, so the host stores each once and
// deletes a segment once the memory has forgotten it. The host stores
// them.
package core // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Config is what the core needs of the processor's settings.
type Config struct {
	// Rules are each site's session boundaries; NewSessionID names a
	// session after its opening event.
	Rules        func(site string) session.Rules
	NewSessionID func(opening session.Input) string
	// MaxSessions and MaxPending bound open sessions and buffered events
	// over all sites.
	MaxSessions, MaxPending int
	// AllowedLateness is how far behind its site's newest receive time an
	// event is still placed in order; WatermarkIdleTimeout how long a site
	// may be quiet before the wall clock moves its watermark (0: never).
	AllowedLateness, WatermarkIdleTimeout time.Duration
	// The event id memory and the returning visitor memory: how long an
	// entry is kept, and how many at most.
	DedupWindow            time.Duration
	DedupMaxEntries        int
	ReturningVisitorWindow time.Duration
	MaxRememberedVisitors  int
}

// Core is the sessionizer's state. It is not safe for concurrent use: one
// owner drives it.
type Core struct {
	cfg      Config
	sessions *session.Sites
	ids      *dedup.Cache
	visitors *dedup.Cache
	// clocks are the newest receive times of the trackers' slots (a site,
	// or the sites past session.MaxSites together), which move their
	// watermarks.
	clocks map[string]*siteClock
	// received is the latest receive time of any site's events. The
	// receiver sets receive times, so this clock is shared safely: it moves
	// every site's watermark, so that a quiet site's events are placed as
	// soon as other traffic shows that allowed_lateness has passed.
	received siteClock

	idEvictions, visitorEvictions uint64
}

// siteClock is a slot's newest receive time, and the wall-clock time it
// was seen, for the idle advance of the slot's watermark.
type siteClock struct {
	newest, newestAt time.Time
}

// New returns an empty core.
func New(cfg Config) *Core {
	c := &Core{cfg: cfg, clocks: map[string]*siteClock{}}
	c.ResetSessions()
	c.ResetIDs()
	c.ResetVisitors()
	return c
}

// ResetSessions, ResetIDs and ResetVisitors start a part of the state
// empty: at creation, and when its snapshot cannot be read.
func (c *Core) ResetSessions() {
	c.sessions = session.NewSites(c.cfg.Rules, c.cfg.NewSessionID, c.cfg.MaxSessions, c.cfg.MaxPending)
	c.sessions.Returning = func(opening session.Input) bool {
		return c.visitors.Seen(opening.Key.Site, opening.Key.Visitor, opening.Event.Time)
	}
}

func (c *Core) ResetIDs() {
	c.ids = dedup.New(c.cfg.DedupWindow, c.cfg.DedupMaxEntries, func() { c.idEvictions++ })
}

func (c *Core) ResetVisitors() {
	c.visitors = dedup.New(c.cfg.ReturningVisitorWindow, c.cfg.MaxRememberedVisitors, func() { c.visitorEvictions++ })
}

// IsDuplicate reports whether site's event id was applied before (and is
// still remembered): a retry, to be dropped.
func (c *Core) IsDuplicate(site, eventID string) bool { return c.ids.Has(site, eventID) }

// Apply takes a durable batch's events, none a duplicate, each with the
// Ref the host will know it by; received is the batch's latest receive
// time, seen at wall-clock time now. It returns what was placed, in order,
// and the Refs of events it could not take (none unless max_pending was
// lowered since they were admitted and no room could be made). The events
// it buffers are kept where they are, in events: the host must not change
// them until they are placed.
func (c *Core) Apply(events []session.Input, received, now time.Time) (placed []session.Output, refused []int) {
	var slots []string
	for i := range events {
		in := &events[i]
		// Retries are judged on the collector's clock, like the watermark.
		c.ids.Seen(in.Key.Site, in.EventID, in.Received)
		late, slot, err := c.sessions.Add(in)
		if err != nil {
			// A replay may find less room than the live batch had: the
			// site's buffered events up to this one are placed early
			// instead, and this one with them.
			placed = append(placed, c.sessions.Advance(c.sessions.Slot(in.Key.Site), in.Received)...)
			late, slot, err = c.sessions.Add(in)
		}
		if err != nil {
			refused = append(refused, in.Ref)
			continue
		}
		placed = append(placed, late...)
		c.see(slot, in.Received, now)
		if !slices.Contains(slots, slot) {
			slots = append(slots, slot)
		}
	}
	if received.After(c.received.newest) {
		c.received = siteClock{newest: received, newestAt: now}
	}
	// The batch's slots, and the slots whose buffered events the shared
	// receive clock may release.
	c.sessions.Waiting(func(slot string) {
		if !slices.Contains(slots, slot) {
			slots = append(slots, slot)
		}
	})
	slices.Sort(slots)
	for _, slot := range slots {
		if clock, ok := c.clocks[slot]; ok {
			placed = append(placed, c.sessions.Advance(slot, c.front(clock).newest.Add(-c.cfg.AllowedLateness))...)
		}
	}
	c.forget()
	return placed, refused
}

// WatermarkMove is a slot's watermark moved by the wall clock.
type WatermarkMove struct {
	Slot      string
	Watermark time.Time
}

// IdleMoves are the moves of quiet slots' watermarks at wall-clock time
// now (no newer event for watermark_idle_timeout), in slot order, and whether
// any of them places an event or ends a session. The moves are a function
// of the wall clock, which a replay cannot read again: a host that logs
// what it applies writes moves that place something ahead, then applies
// them with Move, so that a replay places the same events at the same
// point of the input. Moves that place nothing it may make at once.
func (c *Core) IdleMoves(now time.Time) (moves []WatermarkMove, places bool) {
	if c.cfg.WatermarkIdleTimeout <= 0 {
		return nil, false
	}
	for _, slot := range slices.Sorted(maps.Keys(c.clocks)) {
		front := c.front(c.clocks[slot])
		if idle := now.Sub(front.newestAt); idle >= c.cfg.WatermarkIdleTimeout {
			watermark := front.newest.Add(idle - c.cfg.AllowedLateness)
			if c.sessions.Moves(slot, watermark) {
				moves = append(moves, WatermarkMove{Slot: slot, Watermark: watermark})
				places = places || c.sessions.Places(slot, watermark)
			}
		}
	}
	return moves, places
}

// Move moves each slot's watermark to its move's (never back) and returns
// what that placed, in order.
func (c *Core) Move(moves []WatermarkMove) []session.Output {
	var placed []session.Output
	for _, m := range moves {
		placed = append(placed, c.sessions.Advance(m.Slot, m.Watermark)...)
	}
	if len(placed) > 0 {
		c.forget()
	}
	return placed
}

// Flush ends every open session for reason, placing what is buffered first.
func (c *Core) Flush(reason session.EndReason) []session.Output { return c.sessions.Flush(reason) }

// PlacePending places every buffered event, leaving sessions open.
func (c *Core) PlacePending() []session.Output { return c.sessions.PlacePending() }

// front is what moves a slot's watermark: the later of its own newest
// receive time and the shared receive clock.
func (c *Core) front(clock *siteClock) siteClock {
	if c.received.newest.After(clock.newest) {
		return c.received
	}
	return *clock
}

// see moves slot's clock to receive time at, seen at wall-clock time now.
func (c *Core) see(slot string, at, now time.Time) {
	clock, ok := c.clocks[slot]
	if !ok {
		clock = &siteClock{}
		c.clocks[strings.Clone(slot)] = clock
	}
	if at.After(clock.newest) {
		clock.newest, clock.newestAt = at, now
	}
}

// forget drops event ids and visitors older than every site's watermark
// less their windows: one site's clock cannot make the others forget early.
func (c *Core) forget() {
	if w := c.sessions.MinWatermark(); !w.IsZero() {
		c.ids.Expire(w)
		c.visitors.Expire(w)
	}
}

// Live and Pending are the open sessions and the buffered events.
func (c *Core) Live() int    { return c.sessions.Live() }
func (c *Core) Pending() int { return c.sessions.Pending() }

// Remembered is how many event ids and visitors the core remembers.
func (c *Core) Remembered() int { return c.ids.Len() + c.visitors.Len() }

// Evictions counts what the bounds made the core forget early, each since
// it was created.
type Evictions struct {
	// IDs and Visitors: entries of the event id and visitor memories
	// dropped for room before their window ended.
	IDs, Visitors uint64
	// Interned: strings the session interner dropped for room.
	Interned uint64
	// Overflowed: events of sites past session.MaxSites, which share one
	// watermark.
	Overflowed uint64
}

// Evictions reports what the bounds dropped so far.
func (c *Core) Evictions() Evictions {
	return Evictions{
		IDs: c.idEvictions, Visitors: c.visitorEvictions,
		Interned: c.sessions.InternEvictions(), Overflowed: c.sessions.Overflowed(),
	}
}
