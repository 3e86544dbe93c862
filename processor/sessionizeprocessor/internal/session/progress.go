// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"container/heap"
	"errors"
)

// A session's progress is what the events placed in it after it opened
// change, as long as none is earlier than those before it (delta.go): its
// end, page views and events, engagement, exit, goals, funnels, revenue and
// behaviour. Its id, client id, start, entry, attribution, origin and
// returning flag stay as they were when it opened.
//
// Encoding: the session's key (encodeKey), then its end after its start
// (a span, codec.go); its page views and events; whether it is engaged; when it
// has page views, its exit page and the exit's time after the start;
// then its goals, funnel progress, revenue and behaviour, as a checkpoint
// encodes them but for the behaviour's minute, counted from the start. Times
// count from the start, which the state the delta applies to holds, so they
// take a few bytes rather than nine.

// encodeProgress encodes s's progress.
func (t *Tracker) encodeProgress(e *encoder, s *Session, version byte) {
	t.encodeKey(e, s.key, version)
	e.span(s.end-s.start, version)
	e.uint(uint64(s.pageViews))
	e.uint(uint64(s.events))
	e.bool(s.flags&flagEngaged != 0)
	if s.pageViews > 0 {
		e.name(deref(s.exit))
		e.span(s.exitAt-s.start, version)
	}
	encodeGoals(e, s)
	e.uint(uint64(s.funnels))
	encodeRevenue(e, s)
	encodeBehaviour(e, s, s.start, version)
}

// applyProgress applies a session's progress to the open session it names.
func (t *Tracker) applyProgress(d *decoder, version byte) {
	s, open := t.live[t.decodeKey(d, version)]
	if d.Err() != nil {
		return
	}
	if !open {
		d.Fail(errors.New("session delta is corrupt: progress of a session the state does not hold"))
		return
	}
	s.end = s.start + d.span(version)
	s.pageViews = uint32(d.uint())
	s.events = uint32(d.uint())
	s.flags &^= flagEngaged
	if d.bool() {
		s.flags |= flagEngaged
	}
	if s.pageViews > 0 {
		s.exit = t.intern.str(d.name())
		s.exitAt = s.start + d.span(version)
	}
	s.goals = nil
	t.decodeGoals(d, s)
	s.funnels = FunnelProgress(d.uint())
	t.decodeRevenue(d, s)
	decodeBehaviour(d, s, s.start, version)
	heap.Fix(&t.deadlines, int(s.index))
}
