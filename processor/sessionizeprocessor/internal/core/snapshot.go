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
	// memory is which memory's segment is whole.
	memory Memory
	// laid out by Take, a stream per part.
	sessionsOut, idsOut, visitorsOut chunks.Stream
}

// Pieces are what Take laid out of each part, at offsets in the part's
// encoding: the memory's only when its segment is whole.
type Pieces struct {
	Sessions, IDs, Visitors []chunks.Piece
}

// Take lays out what is encoded and final of the sessions, and of each
// memory whose segment is whole, and lets go of it, so that a host can
// write them to files while the rest is encoded (after each Step, and
// once after the last): they are never whole in memory. Once Take is
// used, those parts are written by what it returns alone; a segment of
// what the memory remembered since the last checkpoint is small, and
// stays in IDs or Visitors. An error means the sessions' part would not
// read back: the snapshot must not be stored.
func (s *Snapshot) Take() (Pieces, error) {
	if err := s.sessions.Take(&s.sessionsOut); err != nil {
		return Pieces{}, err
	}
	pieces := Pieces{Sessions: s.sessionsOut.Take()}
	if s.memory.WholeIDs {
		s.ids.Take(&s.idsOut)
		pieces.IDs = s.idsOut.Take()
	}
	if s.memory.WholeVisitors {
		s.visitors.Take(&s.visitorsOut)
		pieces.Visitors = s.visitorsOut.Take()
	}
	return pieces, nil
}

// Memory says which memory's segment is whole: every id or visitor it
// holds rather than those it remembered since the last snapshot or delta
// (dedup.Cache.BeginSegment).
type Memory struct{ WholeIDs, WholeVisitors bool }

// BeginSnapshot starts a snapshot of the state as it is now: every open
// session, and the memory's segments.
func (c *Core) BeginSnapshot(m Memory) *Snapshot {
	return &Snapshot{
		sessions: c.sessions.BeginSnapshot(),
		ids:      c.ids.BeginSegment(m.WholeIDs),
		visitors: c.visitors.BeginSegment(m.WholeVisitors),
		memory:   m,
	}
}

// Step encodes up to sessions sessions and ids memory entries more, and
// reports whether the snapshot is encoded.
func (s *Snapshot) Step(sessions, ids int) bool {
	done := s.sessions.Step(sessions)
	done = s.ids.Step(ids) && done
	return s.visitors.Step(ids) && done
}

// Sessions, IDs and Visitors are the encoded parts, once Step reported
// done: the sessions (all, or what changed), and the memory's segments.
func (s *Snapshot) Sessions() ([]byte, error) { return s.sessions.Bytes() }
func (s *Snapshot) IDs() []byte               { return s.ids.Bytes() }
func (s *Snapshot) Visitors() []byte          { return s.visitors.Bytes() }

// IDsSpan and VisitorsSpan are where the memory's segments are in its
// numbering, and what it had forgotten when they began.
func (s *Snapshot) IDsSpan() dedup.Span      { return s.ids.Span() }
func (s *Snapshot) VisitorsSpan() dedup.Span { return s.visitors.Span() }

// RestoreSessions loads the sessions of a snapshot, and RestoreIDs and
// RestoreVisitors the memory as snapshots wrote it before segments; a part
// that cannot be read leaves that part empty and is reported, so that the
// host can set it aside and start without it.
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

// BeginDelta starts a snapshot of the sessions that changed since the last
// snapshot, restore or delta, and of the memory's segments, encoded a step
// at a time as a snapshot is; applied in order over the snapshot before
// them, the deltas restore the sessions at the last one's start. It
// declines (nil, nothing marked) when there was no mark or more than
// maxSessions sessions changed: a snapshot is then the better write.
func (c *Core) BeginDelta(maxSessions int, m Memory) *Snapshot {
	sessions := c.sessions.BeginDelta(maxSessions)
	if sessions == nil {
		return nil
	}
	return &Snapshot{sessions: sessions, ids: c.ids.BeginSegment(m.WholeIDs), visitors: c.visitors.BeginSegment(m.WholeVisitors), memory: m}
}

// ApplyIDsSegment and ApplyVisitorsSegment add a stored segment of the
// memory after those applied before it, oldest first, and return the
// number after its last entry; ForgetIDsBefore and ForgetVisitorsBefore
// then drop what the memory had forgotten when the last one began. A
// segment that cannot be applied leaves the memory empty and is reported.
func (c *Core) ApplyIDsSegment(data []byte) (uint64, error) {
	return c.applySegment(c.ids, data, c.ResetIDs)
}

func (c *Core) ApplyVisitorsSegment(data []byte) (uint64, error) {
	return c.applySegment(c.visitors, data, c.ResetVisitors)
}

func (*Core) applySegment(memory *dedup.Cache, data []byte, reset func()) (uint64, error) {
	end, err := memory.ApplySegment(data)
	if err != nil {
		reset()
	}
	return end, err
}

func (c *Core) ForgetIDsBefore(front uint64)      { c.ids.ForgetBefore(front) }
func (c *Core) ForgetVisitorsBefore(front uint64) { c.visitors.ForgetBefore(front) }

// ApplySessionsDelta applies the sessions of a delta over the restored
// state, and ApplyIDsDelta and ApplyVisitorsDelta the memory as deltas
// wrote it before segments; a part that cannot be applied leaves that
// part empty and is reported, as the Restore methods do.
func (c *Core) ApplySessionsDelta(data []byte) error {
	return c.restorePart(data, c.sessions.ApplyDelta, c.ResetSessions)
}

func (c *Core) ApplyIDsDelta(data []byte) error {
	return c.restorePart(data, c.ids.ApplyDelta, c.ResetIDs)
}

func (c *Core) ApplyVisitorsDelta(data []byte) error {
	return c.restorePart(data, c.visitors.ApplyDelta, c.ResetVisitors)
}
