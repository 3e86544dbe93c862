// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package core // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/core"

import (
	"fmt"
	"time"

	"github.com/footfall-analytics/footfall/internal/chunks"
	"github.com/footfall-analytics/footfall/internal/dedup"
	"github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"
)

// Snapshot is the core's state at one instant, encoded a step at a time:
// the core may go on between steps (what changes meanwhile is copied on
// write), so that a large state never stops intake for long.
type Snapshot struct {
	sessions *session.Snapshot
	ids      *dedup.Snapshot
	visitors *dedup.Snapshot
	// laid out by Take, a stream per part.
	sessionsOut, idsOut, visitorsOut chunks.Stream
}

// Pieces are what Take laid out of each part, at offsets in the part's
// encoding.
type Pieces struct {
	Sessions, IDs, Visitors []chunks.Piece
}

// Take lays out what is encoded and final of each part and lets go of it,
// so that a host can write the parts to files while the rest is encoded
// (after each Step, and once after the last): the encoding is never whole in
// memory. Once Take is used, the snapshot is written by what it returns
// alone. An error means the sessions' part would not read back: the
// snapshot must not be stored.
func (s *Snapshot) Take() (Pieces, error) {
	if err := s.sessions.Take(&s.sessionsOut); err != nil {
		return Pieces{}, err
	}
	s.ids.Take(&s.idsOut)
	s.visitors.Take(&s.visitorsOut)
	return Pieces{Sessions: s.sessionsOut.Take(), IDs: s.idsOut.Take(), Visitors: s.visitorsOut.Take()}, nil
}

// BeginSnapshot starts a snapshot of the state as it is now.
func (c *Core) BeginSnapshot() *Snapshot {
	return &Snapshot{
		sessions: c.sessions.BeginSnapshot(),
		ids:      c.ids.BeginSnapshot(),
		visitors: c.visitors.BeginSnapshot(),
	}
}

// Step encodes up to sessions sessions and ids memory entries more, and
// reports whether the snapshot is encoded.
func (s *Snapshot) Step(sessions, ids int) bool {
	done := s.sessions.Step(sessions)
	done = s.ids.Step(ids) && done
	return s.visitors.Step(ids) && done
}

// Sessions, IDs and Visitors are the encoded parts, once Step reported done.
func (s *Snapshot) Sessions() ([]byte, error) { return s.sessions.Bytes() }
func (s *Snapshot) IDs() []byte               { return s.ids.Bytes() }
func (s *Snapshot) Visitors() []byte          { return s.visitors.Bytes() }

// RestoreSessions, RestoreIDs and RestoreVisitors load a part of a
// snapshot; a part that cannot be read leaves that part empty and is
// reported, so that the host can set it aside and start without it.
func (c *Core) RestoreSessions(data []byte) error {
	return c.restorePart(data, c.sessions.Restore, c.ResetSessions)
}

func (c *Core) RestoreIDs(data []byte) error {
	return c.restorePart(data, c.ids.UnmarshalBinary, c.ResetIDs)
}

func (c *Core) RestoreVisitors(data []byte) error {
	return c.restorePart(data, c.visitors.UnmarshalBinary, c.ResetVisitors)
}

func (*Core) restorePart(data []byte, restore func([]byte) error, reset func()) error {
	if err := restore(data); err != nil {
		reset()
		return err
	}
	return nil
}

// RestoreClocks starts every restored site's clock at its watermark plus
// the lateness (its newest receive time when the watermark last followed
// it), seen at wall-clock time now.
func (c *Core) RestoreClocks(now time.Time) {
	c.clocks = map[string]*siteClock{}
	c.received = siteClock{}
	c.sessions.Watermarks(func(slot string, watermark time.Time) {
		c.clocks[slot] = &siteClock{newest: watermark.Add(c.cfg.AllowedLateness), newestAt: now}
	})
}

// Rebuffer takes back, at restore, an event of a batch the snapshot
// retained: one its site's watermark had not passed was still buffered
// (and reports true); the others had been placed before the snapshot.
// A buffered event is kept where it is, as Apply keeps its events.
func (c *Core) Rebuffer(in *session.Input, now time.Time) (bool, error) {
	watermark := c.sessions.Watermark(in.Key.Site)
	if !in.Received.After(watermark) {
		return false, nil
	}
	_, slot, err := c.sessions.Add(in)
	if err != nil {
		return false, fmt.Errorf("rebuffer event %q: %w", in.EventID, err)
	}
	if _, ok := c.clocks[slot]; !ok {
		c.see(slot, watermark.Add(c.cfg.AllowedLateness), now)
	}
	return true, nil
}

// Unchanged reports whether nothing a restore needs changed since the last
// snapshot, restore or delta (false before the first): no session, event
// id or visitor. Watermarks the wall clock moved without placing anything
// do not count (session.Sites.Unchanged): a delta would hold only them.
func (c *Core) Unchanged() bool {
	return c.sessions.Unchanged() && c.ids.Unchanged() && c.visitors.Unchanged()
}

// BeginDelta starts a snapshot of what changed since the last snapshot,
// restore or delta, in the same three parts, encoded a step at a time as
// a snapshot is; applied in order over the snapshot before them, the
// deltas restore the state at the last one's start. It declines (nil,
// nothing marked) when there was no mark or more than maxSessions
// sessions changed: a snapshot is then the better write.
func (c *Core) BeginDelta(maxSessions int) *Snapshot {
	sessions := c.sessions.BeginDelta(maxSessions)
	if sessions == nil {
		return nil
	}
	return &Snapshot{sessions: sessions, ids: c.ids.BeginDelta(), visitors: c.visitors.BeginDelta()}
}

// ApplySessionsDelta, ApplyIDsDelta and ApplyVisitorsDelta apply a part of
// a delta over the restored state; a part that cannot be applied leaves
// that part empty and is reported, as the Restore methods do.
func (c *Core) ApplySessionsDelta(data []byte) error {
	return c.restorePart(data, c.sessions.ApplyDelta, c.ResetSessions)
}

func (c *Core) ApplyIDsDelta(data []byte) error {
	return c.restorePart(data, c.ids.ApplyDelta, c.ResetIDs)
}

func (c *Core) ApplyVisitorsDelta(data []byte) error {
	return c.restorePart(data, c.visitors.ApplyDelta, c.ResetVisitors)
}
