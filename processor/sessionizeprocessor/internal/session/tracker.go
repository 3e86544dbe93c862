// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"cmp"
	"container/heap"
	"errors"
	"hash/fnv"
	"slices"
	"strings"
	"time"
)

// Key names one visitor of one site.
type Key struct {
	Site    string
	Visitor string
}

// Input is one event handed to the Tracker. Ref is the caller's handle for
// the record it came from; the Tracker only hands it back.
type Input struct {
	Key Key
	// EventID breaks ties between events of one visitor at the same instant.
	EventID         string
	Event           Event
	ClientSessionID string
	Ref             int
	// Received is when the collector received the event (the receiver's
	// clock, which no client sets). The event waits in the reorder buffer
	// until the watermark passes it: lateness is measured on the collector's
	// clock, so a client whose clock runs fast delays no one else. Zero
	// means the event time stands in for it.
	Received time.Time
}

// releaseAt is when the event may leave the reorder buffer: its receive
// time, or its event time when it has none.
func (a *Input) releaseAt() time.Time {
	if a.Received.IsZero() {
		return a.Event.Time
	}
	return a.Received
}

// compare orders inputs for placement: by event time, then by identity, so
// that the same events give the same output in any arrival order.
func (a *Input) compare(b *Input) int {
	return cmp.Or(a.Event.Time.Compare(b.Event.Time), cmp.Compare(a.Key.Site, b.Key.Site),
		cmp.Compare(a.Key.Visitor, b.Key.Visitor), cmp.Compare(a.EventID, b.EventID))
}

// Assignment places one input in a session. Started is set on the input
// that opened the session (the caller emits session.start before it), with
// PreviousID naming the visitor's previous session when it is remembered.
type Assignment struct {
	Ref       int
	Key       Key
	SessionID string
	Seq       uint32
	// Late is set when the input was not placed in event-time order: it
	// arrived after the watermark had passed its receive time, or its
	// session already held a later event. It joined whatever session was
	// open.
	Late bool
	// Goal is set when the event is one of the goals (Event.Goal).
	Goal       bool
	Started    bool
	PreviousID string
	// Returning is set with Started when the visitor had a session before,
	// as the Tracker's Returning hook judged.
	Returning bool
	// Funnels holds the steps the session has now done in each funnel the
	// event moved it on in, and zero for the other funnels.
	Funnels FunnelProgress
	// Bot is the reason the session was judged a bot's, from this event on
	// (BotRules), or "".
	Bot string
}

// Ending closes a session.
type Ending struct {
	Key     Key
	Session Summary
	Reason  EndReason
}

// Output is one step of the Tracker's output, in order: exactly one field is set.
type Output struct {
	Assignment *Assignment
	Ending     *Ending
}

// ErrPendingFull is returned by Add when the reorder buffer is full; the
// caller should refuse the data with a retryable error.
var ErrPendingFull = errors.New("sessionize reorder buffer is full")

// Tracker assigns events to sessions in event-time order. Events received
// after the watermark wait in a reorder buffer until the watermark passes
// their receive time, so that arrival order within the allowed lateness does
// not change sessions; events received before it are placed at once and
// marked late.
//
// It is not safe for concurrent use: the processor's state owner drives it.
type Tracker struct {
	rules func(site string) Rules
	// newID names a session from the input that opens it.
	newID      func(opening Input) string
	maxLive    int
	maxPending int
	intern     *interner

	live      map[liveKey]*Session
	deadlines deadlineHeap
	pending   pendingHeap
	// ready is Advance's buffer of the inputs it releases, kept between
	// calls up to maxReadyKept.
	ready     []*Input
	watermark time.Time
	// ended remembers each visitor's last ended session for one inactivity
	// timeout after its end was decided, so that the next session can name
	// it as previous and does not reuse its id.
	ended      map[liveKey]tombstone
	endedOrder []tombstoneRef
	// names holds visitor ids that are not 16 hex characters, for the
	// visitors that have a session or a tombstone.
	names map[liveKey]string

	// forgotten counts the ended sessions forgotten so far, for a snapshot
	// to tell which of its view of them are gone.
	forgotten uint64
	// snap is the snapshot being taken, if any (snapshot.go); snapParity
	// is the value of flagSnapped that marks a session as encoded in it, or
	// opened after it began.
	snap       *trackerSnapshot
	snapParity bool
	// tracking is set from the first mark on; changed lists the sessions
	// opened, changed or ended since the last one (delta.go).
	tracking bool
	changed  []*Session
	// passing counts the sessions in changed that opened and ended since
	// the mark: the next delta leaves them out.
	passing           int
	changesOverflowed bool
	mark              trackerMark

	// Returning, when set, is asked once for every session that starts,
	// in placement order, whether its visitor had a session before.
	Returning func(opening Input) bool
}

// liveKey is a Key as the Tracker holds it: the receiver's visitor ids are
// 16 hex characters, kept as 64 bits. Other ids are kept by a 64-bit hash,
// with the name aside (two such ids colliding would share sessions: one
// chance in 2^64 per pair).
type liveKey struct {
	site    string
	visitor uint64
}

// tombstone is a visitor's memory of its last ended session: its id, and
// the position of its entry in the queue of ended sessions (counted from the
// first ever queued), which forgets it when that entry is forgotten.
type tombstone struct {
	id string
	at uint64
}

// tombstoneRef is an entry of the queue of ended sessions; it holds the
// session id too, so that a snapshot can encode it after the map entry was
// replaced.
type tombstoneRef struct {
	key   liveKey
	until time.Time
	id    string
}

// NewTracker returns a Tracker holding at most maxLive sessions and
// maxPending buffered events.
func NewTracker(rules func(site string) Rules, newID func(opening Input) string, maxLive, maxPending int) *Tracker {
	return &Tracker{
		rules: rules, newID: newID, maxLive: maxLive, maxPending: maxPending, intern: newInterner(),
		live: map[liveKey]*Session{}, ended: map[liveKey]tombstone{}, names: map[liveKey]string{},
	}
}

// Watermark is the receive time up to which input has been placed; sessions
// idle (in event time) before it have ended.
func (t *Tracker) Watermark() time.Time { return t.watermark }

// Live is the number of open sessions; Pending the number of buffered events.
func (t *Tracker) Live() int    { return len(t.live) }
func (t *Tracker) Pending() int { return len(t.pending) }

// isLate reports whether in was received at or before the watermark: Add
// places it at once.
func (t *Tracker) isLate(in *Input) bool {
	return !in.releaseAt().After(t.watermark) && !t.watermark.IsZero()
}

// Add takes one event. A late event is placed at once and its output returned;
// any other is buffered until Advance passes its time. The buffer keeps in
// itself, not a copy (an Input is a few hundred bytes, and the host holds
// its batch until every event of it is placed anyway): the caller must not
// change it until it is placed.
func (t *Tracker) Add(in *Input) ([]Output, error) {
	if t.isLate(in) {
		return t.place(nil, in, true), nil
	}
	if len(t.pending) >= t.maxPending {
		return nil, ErrPendingFull
	}
	t.pending.push(pendingEntry{release: in.releaseAt().UnixNano(), in: in})
	return nil, nil
}

// maxReadyKept is the largest release buffer Advance keeps for the next
// call (8 bytes an entry); a burst's larger one is let go.
const maxReadyKept = 4096

// Advance moves the watermark forward (never back) and returns, in order, the
// placement of every event received up to it and the end of every session
// whose idle deadline it passed. The released events are placed in (time,
// site, visitor, event id) order, so any arrival order of the same events
// within the lateness gives the same output.
func (t *Tracker) Advance(watermark time.Time) []Output {
	if !watermark.After(t.watermark) {
		return nil
	}
	t.watermark = watermark
	// The buffer's own inputs, by pointer: an Input is a few hundred bytes,
	// and copying each into a growing slice, then moving it at every swap
	// of the sort, was a tenth of the placing.
	ready := t.ready[:0]
	limit := watermark.UnixNano()
	for len(t.pending) > 0 && t.pending[0].release <= limit {
		ready = append(ready, t.pending.pop())
	}
	out := t.placeInOrder(nil, ready, watermark)
	clear(ready) // let the placed inputs go
	if cap(ready) <= maxReadyKept {
		t.ready = ready[:0]
	} else {
		t.ready = nil
	}
	out = t.endIdle(out, watermark)
	t.expireTombstones()
	if len(t.pending) == 0 {
		// Let a burst's backing array go once it has drained.
		t.pending = nil
	}
	return out
}

// places reports whether Advance(watermark) would place a buffered event
// or end a session.
func (t *Tracker) places(watermark time.Time) bool {
	if !watermark.After(t.watermark) {
		return false
	}
	limit := watermark.UnixNano()
	if len(t.pending) > 0 && t.pending[0].release <= limit {
		return true
	}
	return t.deadlines.Len() > 0 && t.rules(t.deadlines[0].key.site).idleDeadline(t.deadlines[0]) < limit
}

// placeInOrder places ready in event-time order. Sessions idle before an
// event's time end first, so that the output reads in event-time order; an
// event time past limit (a client clock running fast) ends nothing early.
func (t *Tracker) placeInOrder(out []Output, ready []*Input, limit time.Time) []Output {
	slices.SortFunc(ready, (*Input).compare)
	for _, in := range ready {
		at := in.Event.Time
		if !limit.IsZero() && at.After(limit) {
			at = limit
		}
		out = t.endIdle(out, at)
		out = t.place(out, in, false)
	}
	return out
}

// evictOldest ends the session idle the longest, for a bound shared with
// other trackers.
func (t *Tracker) evictOldest() []Output {
	if len(t.deadlines) == 0 {
		return nil
	}
	return t.end(nil, t.deadlines[0], EndEvicted)
}

// splitBySite moves the sessions and ended-session memory into one new
// Tracker per site (made by newTracker), each at this Tracker's watermark.
// The reorder buffer must be empty, as it is after Restore.
func (t *Tracker) splitBySite(newTracker func() *Tracker) map[string]*Tracker {
	out := map[string]*Tracker{}
	of := func(k liveKey) *Tracker {
		st, ok := out[k.site]
		if !ok {
			st = newTracker()
			st.watermark = t.watermark
			out[k.site] = st
		}
		if name, ok := t.names[k]; ok {
			st.names[k] = name
		}
		return st
	}
	for _, s := range t.deadlines {
		st := of(s.key)
		st.live[s.key] = s
		heap.Push(&st.deadlines, s)
	}
	for i, ref := range t.endedOrder {
		st := of(ref.key)
		st.endedOrder = append(st.endedOrder, ref)
		if ts, ok := t.ended[ref.key]; ok && ts.at == t.forgotten+uint64(i) {
			st.ended[ref.key] = tombstone{id: ts.id, at: uint64(len(st.endedOrder) - 1)}
		}
	}
	return out
}

// PlacePending places every buffered event without waiting for the
// watermark, for a shutdown with nowhere to keep them.
func (t *Tracker) PlacePending() []Output {
	ready := make([]*Input, 0, len(t.pending))
	for _, e := range t.pending {
		ready = append(ready, e.in)
	}
	t.pending = nil
	return t.placeInOrder(nil, ready, time.Time{})
}

// Flush places every buffered event and then ends every open session with
// reason, for a shutdown configured to flush.
func (t *Tracker) Flush(reason EndReason) []Output {
	out := t.PlacePending()
	for t.deadlines.Len() > 0 {
		out = t.end(out, t.deadlines[0], reason)
	}
	return out
}

func (t *Tracker) place(out []Output, in *Input, late bool) []Output {
	rules := t.rules(in.Key.Site)
	key, canonical := t.liveKey(in.Key)
	s, open := t.live[key]
	previousID := ""
	if last, ok := t.ended[key]; ok && !open {
		previousID = last.id
	}
	if open {
		reason, breaks := rules.breaks(s, in.Event)
		if !breaks && in.ClientSessionID != "" {
			// The client's own session manager started a new session.
			if client := s.clientID(); client != "" && client != in.ClientSessionID {
				reason, breaks = EndClientSession, true
			}
		}
		if breaks {
			previousID = s.ID()
			out = t.end(out, s, reason)
			open = false
		}
	}
	if open {
		late = late || in.Event.Time.UnixNano() < s.end
		t.preserve(s)
		bot := s.observe(in.Event, rules.Bots)
		before := s.head()
		s.add(in.Event, t.intern)
		if s.head() != before {
			t.noteHeadMoved(s)
		}
		heap.Fix(&t.deadlines, int(s.index))
		return append(out, Output{Assignment: &Assignment{Ref: in.Ref, Key: in.Key, SessionID: s.ID(), Seq: s.events, Late: late, Goal: in.Event.Goal != "", Funnels: s.advanceFunnels(in.Event.Funnels), Bot: bot}})
	}
	if len(t.live) >= t.maxLive {
		out = t.end(out, t.deadlines[0], EndEvicted)
	}
	id := in.ClientSessionID
	if id == "" || id == previousID {
		// A client that keeps its session id past one of our boundaries
		// (its idle timeout is not ours) would give two sessions one id.
		id = t.newID(*in)
	}
	s = newSession(id, in.Event, t.intern)
	s.key = key
	if in.Event.Bot != "" {
		s.judge(in.Event.Bot)
		s.more().behaviour.botFromStart = true
	}
	if t.snapParity {
		// Not part of a snapshot being taken.
		s.flags |= flagSnapped
	}
	returning := t.Returning != nil && t.Returning(*in)
	if returning {
		s.flags |= flagReturning
	}
	switch {
	case in.ClientSessionID == id:
		s.flags |= flagClientNamed
	case in.ClientSessionID != "":
		s.more().clientAlias = t.intern.str(in.ClientSessionID)
	}
	if !canonical {
		t.names[key] = strings.Clone(in.Key.Visitor)
	}
	t.noteChange(s)
	if s.flags&flagChanged != 0 {
		s.flags |= flagOpenedSinceMark
	}
	t.live[key] = s
	heap.Push(&t.deadlines, s)
	return append(out, Output{Assignment: &Assignment{
		Ref: in.Ref, Key: in.Key, SessionID: id, Seq: 1, Late: late, Goal: in.Event.Goal != "", Started: true, PreviousID: previousID, Returning: returning,
		Funnels: s.advanceFunnels(in.Event.Funnels), Bot: s.Bot(),
	}})
}

// liveKey converts a Key, reporting whether its visitor id is canonical.
func (t *Tracker) liveKey(k Key) (liveKey, bool) {
	site := deref(t.intern.str(k.Site))
	if v, ok := parseVisitor(k.Visitor); ok {
		return liveKey{site: site, visitor: v}, true
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(k.Visitor))
	return liveKey{site: site, visitor: h.Sum64()}, false
}

// key converts back.
func (t *Tracker) key(k liveKey) Key {
	if name, ok := t.names[k]; ok {
		return Key{Site: k.site, Visitor: name}
	}
	return Key{Site: k.site, Visitor: formatVisitor(k.visitor)}
}

// parseVisitor reads a visitor id of exactly 16 lowercase hex characters.
func parseVisitor(s string) (uint64, bool) {
	if len(s) != 16 {
		return 0, false
	}
	var v uint64
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v = v<<4 | uint64(c-'0')
		case c >= 'a' && c <= 'f':
			v = v<<4 | uint64(c-'a'+10)
		default:
			return 0, false
		}
	}
	return v, true
}

func formatVisitor(v uint64) string {
	var b [16]byte
	const digits = "0123456789abcdef"
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

// endIdle ends the sessions whose idle deadline is before at.
func (t *Tracker) endIdle(out []Output, at time.Time) []Output {
	limit := at.UnixNano()
	for t.deadlines.Len() > 0 {
		s := t.deadlines[0]
		if t.rules(s.key.site).idleDeadline(s) >= limit {
			break
		}
		out = t.end(out, s, EndIdle)
	}
	return out
}

func (t *Tracker) end(out []Output, s *Session, reason EndReason) []Output {
	t.preserve(s)
	if s.flags&flagOpenedSinceMark != 0 {
		t.passing++
	}
	heap.Remove(&t.deadlines, int(s.index))
	delete(t.live, s.key)
	// An idle end is only known once the watermark passes End + timeout;
	// the memory runs one timeout from when the end was decided.
	timeout := t.rules(s.key.site).InactivityTimeout
	until := time.Unix(0, s.end).Add(timeout)
	if t.watermark.After(until) {
		until = t.watermark
	}
	until = until.Add(timeout)
	id := s.ID()
	t.ended[s.key] = tombstone{id: id, at: t.forgotten + uint64(len(t.endedOrder))}
	t.endedOrder = append(t.endedOrder, tombstoneRef{key: s.key, until: until, id: id})
	if len(t.endedOrder) > t.maxLive {
		t.forgetOldestTombstone()
	}
	return append(out, Output{Ending: &Ending{Key: t.key(s.key), Session: s.Summary(), Reason: reason}})
}

// expireTombstones forgets ended sessions whose memory ran out by watermark.
// Tombstones are queued in the order sessions ended, which follows the
// watermark closely; a few may outlive their time, never the bound.
func (t *Tracker) expireTombstones() {
	for len(t.endedOrder) > 0 && t.endedOrder[0].until.Before(t.watermark) {
		t.forgetOldestTombstone()
	}
}

func (t *Tracker) forgetOldestTombstone() {
	t.preserveOldestTombstone()
	ref := t.endedOrder[0]
	t.endedOrder = t.endedOrder[1:]
	t.forgotten++
	// A later end of the same visitor replaced the entry: keep that one.
	if ts, ok := t.ended[ref.key]; ok && ts.at == t.forgotten-1 {
		delete(t.ended, ref.key)
		if _, live := t.live[ref.key]; !live {
			delete(t.names, ref.key)
		}
	}
}

// pendingHeap is the reorder buffer, earliest received first. Its order
// is the receive time alone: the events released together are sorted for
// placement anyway, so the heap compares integers, not inputs. It holds
// pointers: an Input is a few hundred bytes, and a heap moves its elements.
type pendingHeap []pendingEntry

type pendingEntry struct {
	release int64 // Unix nanoseconds
	in      *Input
}

func (h *pendingHeap) push(e pendingEntry) {
	*h = append(*h, e)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].release <= q[i].release {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *pendingHeap) pop() *Input {
	q := *h
	top := q[0].in
	last := len(q) - 1
	q[0] = q[last]
	q[last] = pendingEntry{}
	q = q[:last]
	for i := 0; ; {
		smallest, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].release < q[smallest].release {
			smallest = l
		}
		if r < len(q) && q[r].release < q[smallest].release {
			smallest = r
		}
		if smallest == i {
			break
		}
		q[i], q[smallest] = q[smallest], q[i]
		i = smallest
	}
	*h = q
	return top
}

// deadlineHeap orders open sessions by last event, earliest first: with one
// inactivity timeout for all sites, that is the next to end for inactivity and
// the oldest-idle one to evict when full.
type deadlineHeap []*Session

func (h deadlineHeap) Len() int { return len(h) }
func (h deadlineHeap) Less(i, j int) bool {
	return cmp.Or(cmp.Compare(h[i].end, h[j].end), cmp.Compare(h[i].key.site, h[j].key.site), cmp.Compare(h[i].key.visitor, h[j].key.visitor)) < 0
}

func (h deadlineHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = int32(i), int32(j)
}

func (h *deadlineHeap) Push(x any) {
	s := x.(*Session)
	s.index = int32(len(*h))
	*h = append(*h, s)
}

func (h *deadlineHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return s
}
