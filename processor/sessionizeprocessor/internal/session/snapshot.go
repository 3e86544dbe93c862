// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"time"

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
}

// trackerSnapshot is one Tracker's part of a Snapshot.
type trackerSnapshot struct {
	t         *Tracker
	site      string
	version   byte
	watermark time.Time
	// order is the open sessions at the start (for a delta, those that
	// changed since the mark); those still not encoded are encoded from
	// next on. encoded counts the sessions encoded.
	order    []*Session
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
}

// BeginSnapshot starts a snapshot of every site's Tracker.
func (s *Sites) BeginSnapshot() *Snapshot {
	sn := &Snapshot{}
	for _, site := range s.sites() {
		ts := s.trackers[site].beginSnapshot(checkpointVersion)
		ts.site = site
		sn.trackers = append(sn.trackers, ts)
	}
	s.markAll()
	return sn
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
// format. It reads only what the snapshot encoded, so it may run on another
// goroutine than the owner's.
func (sn *Snapshot) Bytes() []byte {
	size := 64
	for _, ts := range sn.trackers {
		size += len(ts.site) + 48 + len(ts.ended) + ts.sessions.Len() + ts.tombEncoded.Len()
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	_, _ = sn.WriteTo(buf) // a bytes.Buffer takes every write
	return buf.Bytes()
}

// WriteTo writes what Bytes returns to w, the encoded sessions piece by
// piece: a checkpoint of a million sessions goes to a file without being
// joined in memory first.
func (sn *Snapshot) WriteTo(w io.Writer) (int64, error) {
	out := &countingWriter{w: w}
	e := &encoder{}
	if sn.delta {
		e.buf = append(e.buf, sitesDeltaVersion)
	} else {
		e.buf = append(e.buf, sitesCheckpointVersion)
	}
	e.uint(uint64(len(sn.trackers)))
	for _, ts := range sn.trackers {
		head, tail := ts.frame(sn.delta)
		e.str(ts.site)
		// The tracker's length, so that a reader can skip it.
		size := len(head) + ts.sessions.Len() + len(tail) + ts.tombEncoded.Len()
		e.buf = binary.LittleEndian.AppendUint64(e.buf, uint64(size))
		e.buf = append(e.buf, head...)
		out.write(e.buf)
		_, _ = ts.sessions.WriteTo(out)
		out.write(tail)
		_, _ = ts.tombEncoded.WriteTo(out)
		e.buf = e.buf[:0]
	}
	out.write(e.buf)
	return out.n, out.err
}

// countingWriter counts what it wrote and keeps the first error, after
// which it writes nothing.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.write(p)
	if c.err != nil {
		return 0, c.err
	}
	return len(p), nil
}

func (c *countingWriter) write(p []byte) {
	if c.err != nil || len(p) == 0 {
		return
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
}

func (t *Tracker) beginSnapshot(version byte) *trackerSnapshot {
	t.snapParity = !t.snapParity
	ts := &trackerSnapshot{
		t: t, version: version, watermark: t.watermark,
		order:          slices.Clone(t.deadlines),
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
	ts.order, ts.tombstones = nil, nil
}

func (ts *trackerSnapshot) encodeSession(s *Session) {
	e := &encoder{buf: ts.sessions.Tail}
	ts.t.encodeSession(e, s, ts.version)
	ts.sessions.Tail = e.buf
	ts.sessions.Cut()
	ts.encoded++
	if ts.delta {
		s.flags &^= flagInDelta
	} else {
		s.flags ^= flagSnapped
	}
}

// encodeTombstonesTo encodes the remembered ended sessions up to end (an
// index of the view). Each is written as its visitor's current memory: the
// queue's last entry of a visitor is the one in force, so a restore that
// keeps the last one of each visitor gets the same memory.
func (ts *trackerSnapshot) encodeTombstonesTo(end int) {
	for ; ts.tombNext < end; ts.tombNext++ {
		ref := ts.tombstones[ts.tombNext]
		key := ts.t.key(ref.key)
		e := &encoder{buf: ts.tombEncoded.Tail}
		e.str(key.Site)
		e.str(key.Visitor)
		e.time(ref.until)
		e.bool(true)
		e.str(ref.id)
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
	e.uint(uint64(ts.encoded))
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
