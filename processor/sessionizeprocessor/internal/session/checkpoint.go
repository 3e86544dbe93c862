// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"container/heap"
	"errors"
	"fmt"
)

// checkpointVersion is bumped whenever the encoding changes. A build reads
// the versions it lists in Restore and refuses others with a clear error.
const checkpointVersion = 1

// maxCheckpointGoals guards against a corrupt goal count allocating a lot.
const maxCheckpointGoals = 1 << 10

// Checkpoint encodes the open sessions, the remembered ended sessions and the
// watermark. It does not hold the reorder buffer: buffered events belong to
// the caller's records, which the caller keeps durable in its own log and
// adds again after Restore.
func (t *Tracker) Checkpoint() []byte {
	e := &encoder{buf: make([]byte, 0, 64+len(t.live)*160)}
	e.buf = append(e.buf, checkpointVersion)
	e.time(t.watermark)
	e.uint(uint64(len(t.live)))
	// Sessions go out in deadline-heap order: deterministic for a given state.
	for _, s := range t.deadlines {
		encodeSession(e, s)
	}
	e.uint(uint64(len(t.endedOrder)))
	for _, ref := range t.endedOrder {
		e.str(ref.key.Site)
		e.str(ref.key.Visitor)
		e.time(ref.until)
		ts := t.ended[ref.key]
		// A queue entry whose tombstone was replaced restores as a stale
		// entry, exactly as it was.
		e.bool(ts.until.Equal(ref.until))
		e.str(ts.id)
	}
	return e.buf
}

func encodeSession(e *encoder, s *liveSession) {
	e.str(s.key.Site)
	e.str(s.key.Visitor)
	e.str(s.ID)
	e.str(s.PreviousID)
	e.str(s.clientID)
	e.uint(uint64(s.seq))
	e.time(s.Start)
	e.time(s.End)
	e.uint(uint64(s.PageViews))
	e.uint(uint64(s.Events))
	e.bool(s.Engaged)
	e.str(s.EntryPage)
	e.str(s.ExitPage)
	e.int(s.entryAt)
	e.int(s.exitAt)
	e.int(s.firstAt)
	a := s.Attribution
	for _, f := range []string{a.ReferrerClass, a.ReferrerSource, a.UTMSource, a.UTMMedium, a.UTMCampaign} {
		e.str(f)
	}
	e.str(s.Country)
	e.str(s.Device)
	e.uint(uint64(len(s.Goals)))
	for _, g := range s.Goals {
		e.str(g)
	}
}

// Restore replaces the Tracker's sessions and watermark with a checkpoint's.
// Idle deadlines are recomputed from the current rules, so a changed
// inactivity_timeout applies to restored sessions too.
func (t *Tracker) Restore(data []byte) error {
	if len(data) == 0 {
		return errors.New("session checkpoint is empty")
	}
	if data[0] != checkpointVersion {
		return fmt.Errorf("session checkpoint has version %d; this build reads version %d", data[0], checkpointVersion)
	}
	d := &decoder{buf: data[1:]}
	restored := NewTracker(t.rules, t.newID, t.maxLive, t.maxPending)
	restored.watermark = d.time()
	count := d.uint()
	if count > uint64(t.maxLive) {
		return fmt.Errorf("session checkpoint holds %d sessions, more than max_sessions %d", count, t.maxLive)
	}
	restored.live = make(map[Key]*liveSession, count)
	restored.deadlines = make(deadlineHeap, 0, count)
	for i := uint64(0); i < count && d.err == nil; i++ {
		s := decodeSession(d)
		if d.err != nil {
			break
		}
		s.deadline = t.rules(s.key.Site).IdleDeadline(s.Session)
		s.index = len(restored.deadlines)
		restored.live[s.key] = s
		restored.deadlines = append(restored.deadlines, s)
	}
	heap.Init(&restored.deadlines)
	tombstones := d.uint()
	for i := uint64(0); i < tombstones && d.err == nil; i++ {
		ref := tombstoneRef{key: Key{Site: d.str(), Visitor: d.str()}, until: d.time()}
		current, id := d.bool(), d.str()
		restored.endedOrder = append(restored.endedOrder, ref)
		if current {
			restored.ended[ref.key] = tombstone{id: id, until: ref.until}
		}
	}
	if d.err != nil {
		return fmt.Errorf("session checkpoint: %w", d.err)
	}
	if len(d.buf) != 0 {
		return fmt.Errorf("session checkpoint is corrupt: %d bytes after the end", len(d.buf))
	}
	restored.pending = t.pending
	*t = *restored
	return nil
}

func decodeSession(d *decoder) *liveSession {
	s := &liveSession{Session: &Session{}}
	s.key = Key{Site: d.str(), Visitor: d.str()}
	s.ID = d.str()
	s.PreviousID = d.str()
	s.clientID = d.str()
	s.seq = uint32(d.uint())
	s.Start = d.time()
	s.End = d.time()
	s.PageViews = uint32(d.uint())
	s.Events = uint32(d.uint())
	s.Engaged = d.bool()
	s.EntryPage = d.str()
	s.ExitPage = d.str()
	s.entryAt = d.int()
	s.exitAt = d.int()
	s.firstAt = d.int()
	s.Attribution = Attribution{ReferrerClass: d.str(), ReferrerSource: d.str(), UTMSource: d.str(), UTMMedium: d.str(), UTMCampaign: d.str()}
	s.Country = d.str()
	s.Device = d.str()
	goals := d.uint()
	if goals > maxCheckpointGoals {
		d.err = fmt.Errorf("checkpoint is corrupt: %d goals in one session", goals)
		return s
	}
	for range goals {
		s.Goals = append(s.Goals, d.str())
	}
	return s
}
