// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"container/heap"
	"errors"
	"fmt"
	"time"
)

// A delta is what changed in the trackers since a mark: the sessions that
// opened, changed or ended, the ended-session memory appended and
// forgotten, and the watermarks. A checkpoint taken at a mark, with every
// delta since applied in order, restores the state now, at the cost of what
// changed rather than of every open session: a checkpoint of a million
// sessions where a thousand moved is a thousand sessions.
//
// Changes are noted from the first mark on (a snapshot, a restore or a
// delta), so a host that never checkpoints keeps no list. A tracker keeps
// a bounded list (maxChanged); past that a delta would be larger than a
// checkpoint, and BeginDelta declines.
//
// A delta is taken as a checkpoint is (snapshot.go): a piece at a time
// while events keep coming, copied on write, so that it is the change up to
// the instant it began.
//
// A session that was open at the mark and is still open changed by the
// events placed in it since. Unless one of them was earlier than those
// before it, they moved only its progress: its end, counts, exit, goals,
// funnels, revenue and behaviour. The delta then holds that progress alone
// (encodeProgress): 25 bytes on average where a whole session took 52 in
// BenchmarkChangelogWhileEventsTrickleIn/visitors=3000 at version 7 (37.5
// and 109 at version 6 before it wrote shared strings once, 168 whole at
// version 5). Most open sessions change in many deltas, one event at a
// time, and writing them whole in each made the changelog of a partition
// whose events come in as they happen twice the size of its events as
// stored.
//
// Encoding: sitesDeltaVersion, the count of trackers that changed, then per
// tracker its site and its part behind a fixed-size length: the session
// encoding's version, the watermark, the keys of the sessions that ended
// (not of those that also opened since the mark: the state the delta applies
// to never held them), the sessions open now that changed, how many entries
// of the ended-session memory to forget from its front, and the entries to
// append, each as a checkpoint encodes them. From compactVersion on, each
// session begins with whether it is its progress (then encodeProgress) or
// whole; before it, every changed session was whole.
const sitesDeltaVersion = 0x84

// trackerMark is a Tracker's ended-session memory and watermark at the
// last mark.
type trackerMark struct {
	forgotten uint64
	ended     int
	watermark time.Time
}

// maxChanged bounds a tracker's list of changes: sessions that opened and
// ended between two marks are listed too (and counted in passing), so it
// may pass maxLive.
func maxChanged(maxLive int) int { return 2*maxLive + 1024 }

// noteChange records that s is about to change, open or end.
func (t *Tracker) noteChange(s *Session) {
	if !t.tracking || s.flags&flagChanged != 0 {
		return
	}
	if len(t.changed) >= maxChanged(t.maxLive) {
		t.changesOverflowed = true
		return
	}
	s.flags |= flagChanged
	t.changed = append(t.changed, s)
}

// noteHeadMoved records that an event placed in s moved what s keeps from
// its opening, so that the next delta holds it whole.
func (t *Tracker) noteHeadMoved(s *Session) {
	if s.flags&flagChanged != 0 {
		s.flags |= flagHeadMoved
	}
}

// markNow starts noting changes from the tracker's state as it is.
func (t *Tracker) markNow() {
	for _, s := range t.changed {
		s.flags &^= flagChanged | flagOpenedSinceMark | flagHeadMoved
	}
	clear(t.changed)
	t.changed, t.passing = t.changed[:0], 0
	if cap(t.changed) > 4096 {
		t.changed = nil
	}
	t.tracking, t.changesOverflowed = true, false
	t.mark = trackerMark{forgotten: t.forgotten, ended: len(t.endedOrder), watermark: t.watermark}
}

// endedSinceMark is how many entries of the ended-session memory to forget
// from the front of the marked one, and how many of the newest to append.
func (t *Tracker) endedSinceMark() (forget uint64, appended int) {
	forget = min(t.forgotten-t.mark.forgotten, uint64(t.mark.ended))
	total := t.forgotten + uint64(len(t.endedOrder))
	appended = min(int(total-t.mark.forgotten-uint64(t.mark.ended)), len(t.endedOrder))
	return forget, appended
}

// unchangedSinceMark reports whether a delta of the tracker would be empty.
func (t *Tracker) unchangedSinceMark() bool {
	return t.sessionsUnchangedSinceMark() && t.watermark.Equal(t.mark.watermark)
}

// sessionsUnchangedSinceMark reports whether no session and no entry of the
// ended-session memory changed since the mark: at most the watermark moved.
func (t *Tracker) sessionsUnchangedSinceMark() bool {
	forget, appended := t.endedSinceMark()
	return len(t.changed) == 0 && forget == 0 && appended == 0
}

// beginDelta starts the tracker's part of a delta and marks it. It is a
// snapshot (snapshot.go) of the sessions that changed, encoded a piece at a
// time and copied on write as a checkpoint is; the keys of the sessions
// that ended are encoded at once.
func (t *Tracker) beginDelta(version byte) *trackerSnapshot {
	forget, appended := t.endedSinceMark()
	// The parity of flagSnapped is left alone: a delta holds only some
	// sessions, and flipping it would leave the others marked as encoded
	// (or not) at odds with the next snapshot, which would skip them.
	ts := &trackerSnapshot{
		t: t, version: version, watermark: t.watermark, forget: forget, delta: true,
		tombstones:     t.endedOrder[len(t.endedOrder)-appended:],
		tombstoneCount: appended,
		forgottenBase:  t.forgotten + uint64(len(t.endedOrder)-appended),
	}
	e := &encoder{names: newNames(version)}
	for _, s := range t.changed {
		if t.live[s.key] == s {
			s.flags |= flagInDelta
			if s.flags&(flagOpenedSinceMark|flagHeadMoved) == 0 {
				s.flags |= flagDeltaProgress
			}
			ts.order = append(ts.order, s)
			continue
		}
		if s.flags&flagOpenedSinceMark != 0 {
			// Opened and ended since the mark: the state the delta
			// applies to never had it.
			continue
		}
		t.encodeKey(e, s.key, version)
		if version >= spanVersion {
			if ts.endedRefs == nil {
				ts.endedRefs = map[liveKey]endedRef{}
			}
			ts.endedRefs[s.key] = endedRef{index: ts.endedCount, id: s.ID()}
		}
		ts.endedCount++
	}
	ts.ended, ts.count = e.buf, len(ts.order)
	t.snap = ts
	t.markNow()
	return ts
}

// applyDelta applies one tracker's part of a delta.
func (t *Tracker) applyDelta(data []byte) error {
	d := newDecoder(data)
	version := d.Byte()
	if d.Err() == nil && (version < 1 || version > checkpointVersion) {
		return fmt.Errorf("session delta has version %d; this build reads versions 1 to %d", version, checkpointVersion)
	}
	t.watermark = d.time()
	d.since = nanosOf(t.watermark)
	var ended []endedSession
	n := d.Count()
	d.startNames(version) // the ended sessions' stream
	for range n {
		e := endedSession{key: t.decodeKey(d, version)}
		e.name = t.names[e.key]
		if s, ok := t.live[e.key]; ok {
			e.id = s.ID()
			heap.Remove(&t.deadlines, int(s.index))
			delete(t.live, e.key)
		}
		ended = append(ended, e)
	}
	n = d.Count()
	d.startNames(version) // the sessions' stream
	for range n {
		if version >= compactVersion && d.bool() {
			t.applyProgress(d, version)
			continue
		}
		s := t.decodeSession(d, version)
		if d.Err() != nil {
			break
		}
		if old, ok := t.live[s.key]; ok {
			heap.Remove(&t.deadlines, int(old.index))
		}
		t.live[s.key] = s
		heap.Push(&t.deadlines, s)
	}
	if len(t.live) > t.maxLive {
		return fmt.Errorf("session delta leaves %d sessions, more than max_sessions %d", len(t.live), t.maxLive)
	}
	for forget := d.Uvarint(); forget > 0 && len(t.endedOrder) > 0; forget-- {
		t.forgetOldestTombstone()
	}
	n = d.Count()
	d.startNames(version) // the tombstones' stream
	for range n {
		var ref tombstoneRef
		if version >= spanVersion {
			ref = t.decodeDeltaTombstone(d, version, ended)
		} else {
			ref, _ = t.decodeTombstone(d, version) // a checkpoint's entry is its visitor's current memory
		}
		t.ended[ref.key] = tombstone{id: ref.id, at: t.forgotten + uint64(len(t.endedOrder))}
		t.endedOrder = append(t.endedOrder, ref)
	}
	for _, e := range ended {
		if _, live := t.live[e.key]; !live {
			if _, remembered := t.ended[e.key]; !remembered {
				delete(t.names, e.key)
			}
		}
	}
	if d.Err() != nil {
		return fmt.Errorf("session delta: %w", d.Err())
	}
	if d.Len() != 0 {
		return fmt.Errorf("session delta is corrupt: %d bytes after the end", d.Len())
	}
	return nil
}

// markAll starts noting changes in every tracker from now on.
func (s *Sites) markAll() {
	s.tracking = true
	for _, t := range s.trackers {
		t.markNow()
	}
}

// Unchanged reports whether nothing a restore needs changed since the
// last mark: no session and no ended-session memory (false before the
// first). A watermark that moved without placing anything is no change:
// the wall clock moves an idle site's at every tick, and were that a
// change, a quiet collector would write a checkpoint at every interval,
// and a base of its whole state after every maxCheckpointDeltas of them
// (the processor's). Such a move changes no output, so the processor
// does not write it ahead either (its idle.go); a restore that finds the
// watermark behind lets the wall clock move it again. The next delta taken
// for another change carries it.
func (s *Sites) Unchanged() bool {
	if !s.tracking {
		return false
	}
	for _, t := range s.trackers {
		if t.changesOverflowed || !t.sessionsUnchangedSinceMark() {
			return false
		}
	}
	return true
}

// BeginDelta starts a snapshot of what changed since the last snapshot,
// restore or delta, and marks the state again: Step and Bytes as for a
// checkpoint. It declines (nil, nothing marked) when no mark was set, a
// tracker changed more sessions than it lists, or more than maxSessions
// sessions changed in all: a checkpoint is then the better write.
func (s *Sites) BeginDelta(maxSessions int) *Snapshot {
	if !s.tracking {
		return nil
	}
	changed := 0
	var sites []string
	for _, site := range s.sites() {
		t := s.trackers[site]
		if t.changesOverflowed {
			return nil
		}
		changed += len(t.changed) - t.passing
		if !t.unchangedSinceMark() {
			sites = append(sites, site)
		}
	}
	if changed > maxSessions {
		return nil
	}
	sn := &Snapshot{delta: true}
	for _, site := range sites {
		sn.add(site, s.trackers[site].beginDelta(checkpointVersion))
	}
	s.markAll()
	return sn
}

// ApplyDelta applies a delta BeginDelta encoded to the state it was taken
// from, as of the mark it was taken against (restored from that checkpoint,
// with the deltas before it applied). The reorder buffers must be empty, as
// they are during a restore. An error leaves the state part applied: the
// caller starts this part of the state empty.
func (s *Sites) ApplyDelta(data []byte) error {
	if len(data) == 0 || data[0] != sitesDeltaVersion {
		return errors.New("session delta has an unknown version")
	}
	if s.pending > 0 {
		return errors.New("session delta applied over buffered events")
	}
	d := newDecoder(data[1:])
	for range d.Count() {
		site, part := d.str(), d.fixedBytes()
		if d.Err() != nil {
			break
		}
		if err := s.tracker(site).applyDelta(part); err != nil {
			return fmt.Errorf("site %q: %w", site, err)
		}
	}
	if d.Err() != nil {
		return fmt.Errorf("session delta: %w", d.Err())
	}
	if d.Len() != 0 {
		return fmt.Errorf("session delta is corrupt: %d bytes after the end", d.Len())
	}
	s.live = 0
	for _, t := range s.trackers {
		s.live += t.Live()
	}
	if s.live > s.maxLive {
		return fmt.Errorf("session delta leaves %d sessions, more than max_sessions %d", s.live, s.maxLive)
	}
	s.markAll()
	return nil
}

// endedRef is a session a delta ends: its place among the delta's ended
// keys and its id.
type endedRef struct {
	index int
	id    string
}

// encodeDeltaTombstone encodes an entry appended to the ended-session
// memory since the mark, from spanVersion on: the number of the ended key
// it remembers plus one, or 0 and its key; its end (encoder's until); with
// 0, its id. Most entries remember a session the delta ended, whose key
// and id the state it applies to holds: they take the number and the
// time, a few bytes where key, time and id took 36.
func (ts *trackerSnapshot) encodeDeltaTombstone(e *encoder, ref tombstoneRef) {
	ended, ok := ts.endedRefs[ref.key]
	if ok && ended.id == ref.id {
		e.uint(uint64(ended.index) + 1)
		e.until(ref.until, ts.version)
		return
	}
	e.uint(0)
	ts.t.encodeKey(e, ref.key, ts.version)
	e.until(ref.until, ts.version)
	encodeID(e, ref.id, ts.version)
}

// endedSession is a session a delta being applied ends: its key, its
// visitor's name when not canonical, and its id (empty where the state did
// not hold it).
type endedSession struct {
	key      liveKey
	name, id string
}

// decodeDeltaTombstone reads what encodeDeltaTombstone wrote. An entry that
// names an ended session names its visitor again: forgetting an older entry
// of the same visitor may have let go of the name.
func (t *Tracker) decodeDeltaTombstone(d *decoder, version byte, ended []endedSession) tombstoneRef {
	n := d.uint()
	if n == 0 {
		ref := tombstoneRef{key: t.decodeKey(d, version), until: d.until(version)}
		ref.id = decodeID(d, version)
		return ref
	}
	if d.Err() != nil || n > uint64(len(ended)) || ended[n-1].id == "" {
		d.Fail(errors.New("session delta is corrupt: a remembered session names no session it ended"))
		return tombstoneRef{}
	}
	e := ended[n-1]
	if e.name != "" {
		t.names[e.key] = e.name
	}
	return tombstoneRef{key: e.key, until: d.until(version), id: e.id}
}
