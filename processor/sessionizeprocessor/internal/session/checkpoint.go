// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"container/heap"
	"errors"
	"fmt"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// checkpointVersion is bumped whenever the encoding changes. A build reads
// the versions it lists in Restore and refuses others with a clear error.
// Version 2 added a session's returning flag after its goals; version 1 is
// read with the flag unset. Version 3 added its funnel progress after the
// flag; older versions are read with no progress. Version 4 added the
// revenue sums per currency after the progress; older versions are read
// with none. Version 5 added the bot behaviour after the revenue; older
// versions are read with none (the rules start counting again).
// Version 6 encodes a session compactly (compact.go) and, in a delta,
// a changed session as its progress where it can (progress.go). Version 7
// writes times as spans and a delta's memory of the sessions it ended by
// reference (spanVersion).
const checkpointVersion = spanVersion

// maxCheckpointGoals guards against a corrupt goal count allocating a lot.
const maxCheckpointGoals = 1 << 10

func (t *Tracker) encodeSession(e *encoder, s *Session, version byte) {
	if version >= compactVersion {
		t.encodeCompact(e, s, version)
		return
	}
	t.encodeKey(e, s.key, version)
	e.str(s.ID())
	// The previous session id was kept here; it lives on session.start only.
	e.str("")
	e.str(s.clientID())
	e.uint(uint64(s.events)) // the sequence number of the last event
	e.int(s.start)
	e.int(s.end)
	e.uint(uint64(s.pageViews))
	e.uint(uint64(s.events))
	e.bool(s.flags&flagEngaged != 0)
	e.str(deref(s.entry))
	e.str(deref(s.exit))
	e.int(s.entryAt)
	e.int(s.exitAt)
	e.int(s.firstAt)
	a := deref(s.attribution)
	for _, f := range []string{a.ReferrerClass, a.ReferrerSource, a.UTMSource, a.UTMMedium, a.UTMCampaign} {
		e.str(f)
	}
	o := deref(s.origin)
	e.str(o.country)
	e.str(o.device)
	encodeGoals(e, s)
	if version >= 2 {
		e.bool(s.flags&flagReturning != 0)
	}
	if version >= 3 {
		e.uint(uint64(s.funnels))
	}
	if version >= 4 {
		encodeRevenue(e, s)
	}
	if version >= 5 {
		encodeBehaviour(e, s, 0, version)
	}
}

func encodeGoals(e *encoder, s *Session) {
	goals := s.goals.goalNames()
	e.uint(uint64(len(goals)))
	for _, g := range goals {
		e.name(g)
	}
}

func encodeRevenue(e *encoder, s *Session) {
	revenue := s.goals.revenueSums()
	e.uint(uint64(len(revenue)))
	for _, m := range revenue {
		e.name(m.Currency)
		e.float(m.Value)
	}
}

// encodeBehaviour encodes s's behaviour, its minute's start counted from
// since (Unix nanoseconds; a checkpoint before compactVersion counts from
// zero).
func encodeBehaviour(e *encoder, s *Session, since int64, version byte) {
	b := s.behaviour()
	e.bool(b.kept)
	if b.kept {
		e.signedSpan(b.minuteStart-since, version)
		e.uint(uint64(b.minuteViews))
		e.uint(uint64(b.reloads))
		e.name(b.bot)
		e.bool(b.botFromStart)
	}
}

// Restore replaces the Tracker's sessions and watermark with a checkpoint's.
// Idle deadlines are recomputed from the current rules, so a changed
// inactivity_timeout applies to restored sessions too.
func (t *Tracker) Restore(data []byte) error {
	if len(data) == 0 {
		return errors.New("session checkpoint is empty")
	}
	version := data[0]
	if version < 1 || version > checkpointVersion {
		return fmt.Errorf("session checkpoint has version %d; this build reads versions 1 to %d", version, checkpointVersion)
	}
	d := newDecoder(data[1:])
	restored := NewTracker(t.rules, t.newID, t.maxLive, t.maxPending)
	restored.Returning = t.Returning
	restored.intern = t.intern
	restored.watermark = d.time()
	d.since = nanosOf(restored.watermark)
	count := d.uint()
	if count > uint64(t.maxLive) {
		return fmt.Errorf("session checkpoint holds %d sessions, more than max_sessions %d", count, t.maxLive)
	}
	restored.live = make(map[liveKey]*Session, count)
	restored.deadlines = make(deadlineHeap, 0, count)
	d.startNames(version) // the sessions' stream
	for i := uint64(0); i < count && d.Err() == nil; i++ {
		s := restored.decodeSession(d, version)
		if d.Err() != nil {
			break
		}
		s.index = int32(len(restored.deadlines))
		restored.live[s.key] = s
		restored.deadlines = append(restored.deadlines, s)
	}
	heap.Init(&restored.deadlines)
	tombstones := d.uint()
	d.startNames(version) // the tombstones' stream
	for i := uint64(0); i < tombstones && d.Err() == nil; i++ {
		ref, current := restored.decodeTombstone(d, version)
		restored.endedOrder = append(restored.endedOrder, ref)
		if current {
			restored.ended[ref.key] = tombstone{id: ref.id, at: uint64(len(restored.endedOrder) - 1)}
		}
	}
	if d.Err() != nil {
		return fmt.Errorf("session checkpoint: %w", d.Err())
	}
	if d.Len() != 0 {
		return fmt.Errorf("session checkpoint is corrupt: %d bytes after the end", d.Len())
	}
	restored.pending = t.pending
	*t = *restored
	return nil
}

// keepName converts a restored key, remembering a non-canonical visitor id.
func (t *Tracker) keepName(k Key) liveKey {
	key, canonical := t.liveKey(k)
	if !canonical {
		t.names[key] = k.Visitor
	}
	return key
}

// encodeTombstone encodes an entry of the ended-session memory as its
// visitor's current memory: the queue's last entry of a visitor is the one
// in force, so a restore that keeps the last one of each visitor gets the
// same memory. Versions before compactVersion said so with a flag.
func (t *Tracker) encodeTombstone(e *encoder, ref tombstoneRef, version byte) {
	t.encodeKey(e, ref.key, version)
	e.until(ref.until, version)
	if version < compactVersion {
		e.bool(true)
	}
	encodeID(e, ref.id, version)
}

// decodeTombstone reads what encodeTombstone wrote, and whether the entry
// is its visitor's current memory.
func (t *Tracker) decodeTombstone(d *decoder, version byte) (tombstoneRef, bool) {
	ref := tombstoneRef{key: t.decodeKey(d, version), until: d.until(version)}
	current := version >= compactVersion || d.bool()
	ref.id = decodeID(d, version)
	return ref, current
}

func (t *Tracker) decodeSession(d *decoder, version byte) *Session {
	if version >= compactVersion {
		return t.decodeCompact(d, version)
	}
	key := t.decodeKey(d, version)
	id := d.str()
	_ = d.str() // the previous session id, no longer kept
	clientID := d.str()
	_ = d.uint() // sequence number: equal to the events count
	s := newSessionFromCheckpoint(id, clientID, t.intern)
	s.key = key
	s.start = d.int()
	s.end = d.int()
	s.pageViews = uint32(d.uint())
	s.events = uint32(d.uint())
	if d.bool() {
		s.flags |= flagEngaged
	}
	s.entry = t.intern.str(d.str())
	s.exit = t.intern.str(d.str())
	s.entryAt = d.int()
	s.exitAt = d.int()
	s.firstAt = d.int()
	s.attribution = t.intern.attribution(Attribution{ReferrerClass: d.str(), ReferrerSource: d.str(), UTMSource: d.str(), UTMMedium: d.str(), UTMCampaign: d.str()})
	s.origin = t.intern.origin(origin{country: d.str(), device: d.str()})
	t.decodeGoals(d, s)
	if version >= 2 && d.bool() {
		s.flags |= flagReturning
	}
	if version >= 3 {
		s.funnels = FunnelProgress(d.uint())
	}
	if version >= 4 {
		t.decodeRevenue(d, s)
	}
	if version >= 5 {
		decodeBehaviour(d, s, 0, version)
	}
	return s
}

// decodeGoals adds the goals encodeGoals wrote to s's.
func (t *Tracker) decodeGoals(d *decoder, s *Session) {
	decodeAtMost(d, maxCheckpointGoals, "goals", func() { s.addGoal(d.name(), t.intern) })
}

// decodeAtMost reads a count, refused past limit (what names the entries
// in the error), and calls read that many times.
func decodeAtMost(d *decoder, limit uint64, what string, read func()) {
	n := d.uint()
	if n > limit {
		d.Fail(fmt.Errorf("checkpoint is corrupt: %d %s in one session", n, what))
		return
	}
	for range n {
		read()
	}
}

// decodeBehaviour sets s's behaviour to what encodeBehaviour wrote.
func decodeBehaviour(d *decoder, s *Session, since int64, version byte) {
	if d.bool() {
		s.more().behaviour = behaviour{kept: true, minuteStart: since + d.signedSpan(version), minuteViews: uint32(d.uint()), reloads: uint32(d.uint()), bot: botReason(d.name()), botFromStart: d.bool()}
	} else if s.extras != nil {
		s.extras.behaviour = behaviour{}
	}
}

// botReason keeps a checkpoint's reason to the closed set, sharing its string.
func botReason(reason string) string {
	for _, r := range schema.BotReasons {
		if r == reason {
			return r
		}
	}
	return ""
}

func (t *Tracker) decodeRevenue(d *decoder, s *Session) {
	decodeAtMost(d, MaxRevenueCurrencies, "revenue currencies", func() { s.addRevenue(Money{Currency: d.name(), Value: d.float()}, t.intern) })
}

func newSessionFromCheckpoint(id, clientID string, in *interner) *Session {
	s := &Session{}
	if raw, ok := rawHexID(id); ok {
		s.id, s.flags = raw, flagRawID
	} else {
		s.id = id
	}
	switch {
	case clientID == id && id != "":
		s.flags |= flagClientNamed
	case clientID != "":
		s.more().clientAlias = in.str(clientID)
	}
	return s
}
