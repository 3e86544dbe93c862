// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"encoding/binary"
	"fmt"
	"slices"
	"time"

	"github.com/footfall-analytics/footfall/internal/binwrite"
	"github.com/footfall-analytics/footfall/internal/chunks"
)

// Snapshot is a checkpoint of Sites as they were when it began, encoded a
// piece at a time while the owner goes on placing events, so that a million
// sessions never hold up intake for the whole encoding. It is copy on write:
// a session about to change or end is encoded first, a session that opens
// later is not part of it, and the ended-session memory is encoded before
// any of it is forgotten. The result reads exactly as Checkpoint would have
// written it at the start, up to the order of sessions.
//
// A Snapshot must be finished (Step until it reports done) before the next
// one begins. Of a checkpoint, a session's flagSnapped bit tells whether it
// was encoded, by its parity (every open session is in it); of a delta,
// flagInDelta marks the sessions it holds and has not encoded yet (only
// those that changed are in it).
type Snapshot struct {
	trackers []*trackerSnapshot
	next     int
	// delta: the snapshot holds what changed since the last mark
	// (delta.go), not every session.
	delta bool
	// Of a snapshot written as it is encoded (Take): whether its header
	// is taken, and how many trackers are taken whole.
	headerTaken  bool
	trackersTook int
	// assembled is what Bytes returned.
	assembled []byte
}

// trackerSnapshot is one Tracker's part of a Snapshot.
type trackerSnapshot struct {
	t         *Tracker
	site      string
	version   byte
	watermark time.Time
	// order is the open sessions at the start (for a delta, those that
	// changed since the mark); those still not encoded are encoded from
	// next on; count is how many it began with (order is let go of once
	// encoded). encoded counts the sessions encoded.
	order    []*Session
	count    int
	delta    bool
	next     int
	encoded  int
	sessions chunks.Buffer
	// A delta's sessions that ended since the mark (their keys, encoded at
	// the start), and the entries of the ended-session memory to forget
	// from the front of the marked one.
	ended      []byte
	endedCount int
	forget     uint64
	// endedRefs are the sessions whose keys ended lists, by key: from
	// spanVersion on, an entry appended to the memory for one of them
	// names it by its place in the list (encodeDeltaTombstone).
	endedRefs map[liveKey]endedRef
	// tombstones is the ended-session memory at the start (for a delta,
	// the entries appended since the mark): a view of the queue, whose
	// entries are only appended after it or forgotten from its front, never
	// changed in place. forgottenBase is the position in the queue (counted
	// from the first entry ever queued) of the view's first entry; entries
	// before tombNext are encoded.
	tombstones     []tombstoneRef
	forgottenBase  uint64
	tombNext       int
	tombstoneCount int
	tombEncoded    chunks.Buffer
	// sessionNames and tombstoneNames number the names written in each
	// stream (encoder's names, made at the first): the two are encoded
	// interleaved, and read one after the other.
	sessionNames, tombstoneNames *binwrite.Strings
	// Of a snapshot written as it is encoded (Take): how far the tracker
	// is taken, where its length goes and where what it counts begins.
	took          takePhase
	sizeAt, start int64
}

// takePhase is how much of a tracker's part Take has laid out.
type takePhase uint8

const (
	tookNothing takePhase = iota
	// tookHead: the site, the length's room and the head; its encoded
	// sessions follow as they are cut.
	tookHead
	// tookSessions: every session and the tail; its tombstones follow.
	tookSessions
	tookAll
)

// BeginSnapshot starts a snapshot of every site's Tracker.
func (s *Sites) BeginSnapshot() *Snapshot {
	sn := &Snapshot{}
	for _, site := range s.sites() {
		sn.add(site, s.trackers[site].beginSnapshot(checkpointVersion))
	}
	s.markAll()
	return sn
}

// add makes ts, begun for site, a part of the snapshot.
func (sn *Snapshot) add(site string, ts *trackerSnapshot) {
	ts.site = site
	sn.trackers = append(sn.trackers, ts)
}

// Step encodes at most budget more sessions or remembered ended sessions,
// and reports whether the snapshot is complete.
func (sn *Snapshot) Step(budget int) bool {
	for sn.next < len(sn.trackers) && budget > 0 {
		ts := sn.trackers[sn.next]
		budget = ts.step(budget)
		if ts.complete() {
			ts.finish()
			sn.next++
		}
	}
	return sn.next == len(sn.trackers)
}

// Bytes assembles the checkpoint of a complete snapshot, in Checkpoint's
// format, from what Take lays out. It reads only what the snapshot
// encoded, so it may run on another goroutine than the owner's. A
// snapshot is written either by Take or by Bytes. Its error is Take's.
func (sn *Snapshot) Bytes() ([]byte, error) {
	if sn.assembled == nil {
		var st chunks.Stream
		if err := sn.Take(&st); err != nil {
			return nil, err
		}
		sn.assembled = make([]byte, st.Len)
		for _, piece := range st.Take() {
			copy(sn.assembled[piece.Offset:], piece.Data)
			chunks.Recycle(piece.Data)
		}
	}
	return sn.assembled, nil
}

// Take lays out on st what is encoded and final, in Checkpoint's format, and
// lets go of it, so that a writer can write it to a file while the rest is
// encoded: a checkpoint of a million sessions is never whole in memory.
// A tracker's length comes before it and is known once it is encoded:
// its room is reserved and patched then. Only the tracker being encoded
// streams; what a later one copies on write waits for its turn. Once Take
// is used, Bytes holds only what it did not take.
func (sn *Snapshot) Take(st *chunks.Stream) error {
	if !sn.headerTaken {
		e := &encoder{}
		if sn.delta {
			e.buf = append(e.buf, sitesDeltaVersion)
		} else {
			e.buf = append(e.buf, sitesCheckpointVersion)
		}
		e.uint(uint64(len(sn.trackers)))
		st.Append(e.buf)
		sn.headerTaken = true
	}
	for ; sn.trackersTook < len(sn.trackers); sn.trackersTook++ {
		if err := sn.trackers[sn.trackersTook].take(st, sn.delta); err != nil || sn.trackers[sn.trackersTook].took != tookAll {
			return err
		}
	}
	return nil
}

// take lays out on st what more of the tracker's part is final.
func (ts *trackerSnapshot) take(st *chunks.Stream, delta bool) error {
	if ts.took == tookNothing {
		e := &encoder{}
		e.str(ts.site)
		st.Append(e.buf)
		ts.sizeAt = st.Reserve(8)
		ts.start = st.Len
		head, _ := ts.frame(delta)
		st.Append(head)
		ts.took = tookHead
	}
	sessionsDone := ts.next == ts.count
	if ts.took == tookHead {
		for _, piece := range ts.sessions.Take(sessionsDone) {
			st.Append(piece)
		}
		if !sessionsDone {
			return nil
		}
		if ts.encoded != ts.count {
			return fmt.Errorf("site %q: %d sessions encoded of the %d the snapshot began with", ts.site, ts.encoded, ts.count)
		}
		_, tail := ts.frame(delta)
		st.Append(tail)
		ts.took = tookSessions
	}
	if ts.took == tookSessions {
		tombstonesDone := ts.tombNext == ts.tombstoneCount
		for _, piece := range ts.tombEncoded.Take(tombstonesDone) {
			st.Append(piece)
		}
		if tombstonesDone {
			st.Patch(ts.sizeAt, binary.LittleEndian.AppendUint64(nil, uint64(st.Len-ts.start)))
			ts.took = tookAll
		}
	}
	return nil
}

func (t *Tracker) beginSnapshot(version byte) *trackerSnapshot {
	t.snapParity = !t.snapParity
	ts := &trackerSnapshot{
		t: t, version: version, watermark: t.watermark,
		order:          slices.Clone(t.deadlines),
		count:          len(t.deadlines),
		tombstones:     t.endedOrder,
		tombstoneCount: len(t.endedOrder),
		forgottenBase:  t.forgotten,
	}
	t.snap = ts
	return ts
}

// step encodes up to budget sessions, then tombstones, and returns the
// budget left.
func (ts *trackerSnapshot) step(budget int) int {
	for ; ts.next < len(ts.order) && budget > 0; ts.next++ {
		if s := ts.order[ts.next]; ts.t.unsnapped(s) {
			ts.encodeSession(s)
			budget--
		}
	}
	if ts.next < len(ts.order) {
		return budget
	}
	// Clamped before adding: a budget of math.MaxInt would wrap.
	end := ts.tombNext + min(len(ts.tombstones)-ts.tombNext, max(budget, 0))
	budget -= end - ts.tombNext
	ts.encodeTombstonesTo(end)
	return budget
}

func (ts *trackerSnapshot) complete() bool {
	return ts.next == len(ts.order) && ts.tombNext == len(ts.tombstones)
}

// finish detaches the snapshot from its Tracker, which keeps no reference
// to the sessions or memory it held.
func (ts *trackerSnapshot) finish() {
	ts.t.snap = nil
	ts.order, ts.tombstones, ts.endedRefs = nil, nil, nil
}

func (ts *trackerSnapshot) encodeSession(s *Session) {
	e := &encoder{buf: ts.sessions.Tail, names: ts.names(&ts.sessionNames), since: nanosOf(ts.watermark)}
	switch {
	case !ts.delta || ts.version < compactVersion:
		ts.t.encodeSession(e, s, ts.version)
	case s.flags&flagDeltaProgress != 0:
		e.bool(true)
		ts.t.encodeProgress(e, s, ts.version)
	default:
		e.bool(false)
		ts.t.encodeSession(e, s, ts.version)
	}
	ts.sessions.Tail = e.buf
	ts.sessions.Cut()
	ts.encoded++
	if ts.delta {
		s.flags &^= flagInDelta | flagDeltaProgress
	} else {
		s.flags ^= flagSnapped
	}
}

// names is a stream's table of names (table), made at its first use; none
// before compactVersion.
func (ts *trackerSnapshot) names(table **binwrite.Strings) *binwrite.Strings {
	if *table == nil {
		*table = newNames(ts.version)
	}
	return *table
}

// encodeTombstonesTo encodes the remembered ended sessions up to end (an
// index of the view). Each is written as its visitor's current memory: the
// queue's last entry of a visitor is the one in force, so a restore that
// keeps the last one of each visitor gets the same memory.
func (ts *trackerSnapshot) encodeTombstonesTo(end int) {
	for ; ts.tombNext < end; ts.tombNext++ {
		e := &encoder{buf: ts.tombEncoded.Tail, names: ts.names(&ts.tombstoneNames), since: nanosOf(ts.watermark)}
		if ts.delta && ts.version >= spanVersion {
			ts.encodeDeltaTombstone(e, ts.tombstones[ts.tombNext])
		} else {
			ts.t.encodeTombstone(e, ts.tombstones[ts.tombNext], ts.version)
		}
		ts.tombEncoded.Tail = e.buf
		ts.tombEncoded.Cut()
	}
}

// frame is what a Tracker's checkpoint holds before its encoded sessions
// (head) and between them and its tombstones (tail), as encode wrote it, or
// its part of a delta (delta.go).
func (ts *trackerSnapshot) frame(delta bool) (head, tail []byte) {
	e := &encoder{}
	e.buf = append(e.buf, ts.version)
	e.time(ts.watermark)
	if delta {
		e.uint(uint64(ts.endedCount))
		e.buf = append(e.buf, ts.ended...)
	}
	// The sessions at the start: each is encoded exactly once, by Step or
	// before it changes, so the head is known before they are encoded.
	e.uint(uint64(ts.count))
	head = e.buf
	e = &encoder{}
	if delta {
		e.uint(ts.forget)
	}
	e.uint(uint64(ts.tombstoneCount))
	return head, e.buf
}

// unsnapped reports whether s belongs to the snapshot being taken and is
// not encoded in it yet.
func (t *Tracker) unsnapped(s *Session) bool {
	switch {
	case t.snap == nil:
		return false
	case t.snap.delta:
		return s.flags&flagInDelta != 0
	}
	return (s.flags&flagSnapped != 0) != t.snapParity
}

// preserve encodes s into the snapshot being taken before it changes or
// ends, and notes the change for the next delta.
func (t *Tracker) preserve(s *Session) {
	t.noteChange(s)
	if t.unsnapped(s) {
		t.snap.encodeSession(s)
	}
}

// preserveOldestTombstone encodes the oldest remembered ended session into
// the snapshot being taken before it is forgotten.
func (t *Tracker) preserveOldestTombstone() {
	if t.snap == nil {
		return
	}
	ts := t.snap
	// Negative for an entry before a delta's view.
	if at := int(int64(t.forgotten) - int64(ts.forgottenBase)); at >= ts.tombNext && at < len(ts.tombstones) {
		ts.encodeTombstonesTo(at + 1)
	}
}
