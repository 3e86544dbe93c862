// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

// Package session holds the rules that decide where a visit begins and ends,
// and the summary a session accumulates. It knows nothing of pdata, storage or
// concurrency: the processor feeds it events and asks it questions.
//
// Every summary field is a function of the set of events, not of their arrival
// order, so that events placed into a session out of order give the same
// summary as events that came in order.
package session // import "github.com/footfall-analytics/footfall/processor/sessionizeprocessor/internal/session"

import (
	"cmp"
	"encoding/hex"
	"slices"
	"strings"
	"time"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// EndReason says why a session ended, as written to session.end events.
type EndReason string

const (
	EndIdle        EndReason = schema.EndReasonIdle
	EndMaxDuration EndReason = schema.EndReasonMaxDuration
	EndMidnight    EndReason = schema.EndReasonMidnight
	EndCampaign    EndReason = schema.EndReasonCampaign
	EndShutdown    EndReason = schema.EndReasonShutdown
	EndEvicted     EndReason = schema.EndReasonEvicted
	// EndClientSession: the client sent a new session.id of its own.
	EndClientSession EndReason = schema.EndReasonClientSession
)

// Rules are the session boundaries of one site. InactivityTimeout must be
// the same for every site of one Tracker: it orders sessions by last event.
type Rules struct {
	InactivityTimeout     time.Duration
	MaxDuration           time.Duration
	SplitAtMidnight       bool
	Location              *time.Location
	SplitOnCampaignChange bool
	Bots                  BotRules
}

// Attribution is where a visit came from, taken from its first page view.
type Attribution struct {
	ReferrerClass  string
	ReferrerSource string
	UTMSource      string
	UTMMedium      string
	UTMCampaign    string
}

// opensCampaign reports whether a page view with this attribution starts a
// campaign of its own: it carries UTM parameters or comes from another site.
// Direct and internal traffic continue whatever campaign is running.
func (a Attribution) opensCampaign() bool {
	if a.UTMSource != "" || a.UTMMedium != "" || a.UTMCampaign != "" {
		return true
	}
	return a.ReferrerClass != "" && a.ReferrerClass != "direct" && a.ReferrerClass != "internal"
}

func (a Attribution) compare(b Attribution) int {
	return cmp.Or(
		strings.Compare(a.ReferrerClass, b.ReferrerClass),
		strings.Compare(a.ReferrerSource, b.ReferrerSource),
		strings.Compare(a.UTMSource, b.UTMSource),
		strings.Compare(a.UTMMedium, b.UTMMedium),
		strings.Compare(a.UTMCampaign, b.UTMCampaign),
	)
}

// Event is what the rules need of one event.
type Event struct {
	Time     time.Time
	PageView bool
	// Engagement marks an interaction that keeps a one-page session from
	// being a bounce (a click, a custom event, a goal).
	Engagement  bool
	Path        string
	Attribution Attribution
	Goal        string
	// Revenue is the goal's value, when the goal event has a valid one.
	Revenue Money
	Country string
	Device  string
	// Funnels are the funnel steps the event matches.
	Funnels FunnelMatch
	// Bot is the receiver's verdict on the event's client (kept with its
	// bots: flag), or "": its session is a bot's from this event on.
	Bot string
}

// MaxGoals bounds the distinct goals one session remembers.
const MaxGoals = 16

// MaxRevenueCurrencies bounds the currencies one session sums revenue in;
// the value of a goal in a further currency is not attributed to the
// session (the connector's footfall.revenue still counts it).
const MaxRevenueCurrencies = 4

// Money is an amount in one currency (an ISO 4217 code).
type Money struct {
	Currency string
	Value    float64
}

// Summary is what a session.end event reports.
type Summary struct {
	ID string
	// Start and End are the times of the first and last event.
	Start, End time.Time
	PageViews  uint32
	Events     uint32
	Engaged    bool
	// Returning is set when the visitor had a session before this one.
	Returning bool
	// EntryPage and ExitPage are the paths of the earliest and latest page view.
	EntryPage, ExitPage string
	// Attribution comes from the earliest page view; Country and Device from
	// the earliest event.
	Attribution     Attribution
	Country, Device string
	// Goals are the distinct goals reached, sorted; past MaxGoals further
	// goals are not remembered (so which ones are kept then depends on order).
	Goals []string
	// Revenue sums the values of the goals reached, one entry per currency,
	// sorted by currency; at most MaxRevenueCurrencies.
	Revenue []Money
	// Bot is the reason the session was judged a bot's (BotRules), or "";
	// BotFromStart is set when its first event already was.
	Bot          string
	BotFromStart bool
}

// Bounce is true for a session of exactly one page view and no engagement.
func (s Summary) Bounce() bool { return s.PageViews == 1 && !s.Engaged }

// Duration is the time from the first to the last event.
func (s Summary) Duration() time.Duration { return s.End.Sub(s.Start) }

// Session is one open visit. A million of them may be held, so it is laid
// out for size: times as Unix nanoseconds, strings shared through the
// Tracker's interner, a generated id as 16 raw bytes, and the visitor as 64
// bits. Its events count is also the sequence number of its last event.
type Session struct {
	key liveKey
	// id is the session id; with flagRawID, 16 bytes to print as hex.
	id string
	// extras hold what few sessions need; nil for most.
	extras     *extras
	start, end int64
	// Unix nanoseconds of the events entry, exit and origin came from.
	entryAt, exitAt, firstAt int64
	entry, exit              *string
	attribution              *Attribution
	origin                   *origin
	goals                    *conversions
	pageViews, events        uint32
	index                    int32 // in the Tracker's deadline heap
	funnels                  FunnelProgress
	flags                    uint16
}

const (
	flagEngaged = 1 << iota
	flagRawID
	// flagClientNamed: the id is the client's session.id.
	flagClientNamed
	// flagReturning: the visitor had a session before this one.
	flagReturning
	// flagSnapped, compared with the Tracker's snapParity, tells whether
	// the session is done for the snapshot being taken (snapshot.go).
	flagSnapped
	// flagChanged: the session is in its Tracker's list of changes since
	// the last mark (delta.go).
	flagChanged
	// flagInDelta: the session is in the delta being taken and not encoded
	// in it yet (delta.go).
	flagInDelta
	// flagOpenedSinceMark: the session opened after the last mark and is in
	// its Tracker's list of changes: if it ends before the next delta, that
	// delta need not name it (delta.go).
	flagOpenedSinceMark
	// flagHeadMoved: an event placed since the last mark moved what a
	// session otherwise keeps from its opening (its start, entry or origin:
	// a late event, earlier than those before it), so the next delta holds
	// it whole rather than its progress (delta.go).
	flagHeadMoved
	// flagDeltaProgress: the session is in the delta being taken as its
	// progress alone (with flagInDelta, delta.go).
	flagDeltaProgress
)

// extras are what few sessions need, behind one pointer so that the others
// do not pay for it.
type extras struct {
	// clientAlias is the client's own session id when the session was given
	// another one (the client reused an ended session's id).
	clientAlias *string
	// behaviour is kept from a session's second page view when bot rules
	// are on (behaviour.go).
	behaviour behaviour
}

// more returns the session's extras, made on first use.
func (s *Session) more() *extras {
	if s.extras == nil {
		s.extras = &extras{}
	}
	return s.extras
}

// conversions are what a session that reached a goal remembers of its goals;
// most sessions reach none and hold a nil pointer.
type conversions struct {
	goals   []string
	revenue []Money
}

// origin is where the visitor was, from the earliest event.
type origin struct{ country, device string }

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// newSession starts a session with its first event.
func newSession(id string, first Event, in *interner) *Session {
	s := &Session{}
	if raw, ok := rawHexID(id); ok {
		s.id, s.flags = raw, flagRawID
	} else {
		s.id = strings.Clone(id)
	}
	at := first.Time.UnixNano()
	s.start, s.end = at, at
	s.add(first, in)
	return s
}

// rawHexID turns a 32-character lowercase hex id into its 16 bytes.
func rawHexID(id string) (string, bool) {
	if len(id) != 32 || strings.ToLower(id) != id {
		return "", false
	}
	raw, err := hex.DecodeString(id)
	if err != nil {
		return "", false
	}
	return string(raw), true
}

// ID is the session id.
func (s *Session) ID() string {
	if s.flags&flagRawID != 0 {
		return hex.EncodeToString([]byte(s.id))
	}
	return s.id
}

func (s *Session) clientID() string {
	if s.flags&flagClientNamed != 0 {
		return s.ID()
	}
	if s.extras == nil {
		return ""
	}
	return deref(s.extras.clientAlias)
}

// head is what an event placed after a session opens changes only when it
// is earlier than the events before it.
type head struct {
	start, firstAt, entryAt int64
	entry                   *string
	attribution             *Attribution
	origin                  *origin
}

func (s *Session) head() head {
	return head{start: s.start, firstAt: s.firstAt, entryAt: s.entryAt, entry: s.entry, attribution: s.attribution, origin: s.origin}
}

// add folds an event into the summary. Where two events share an instant,
// ties are broken on content, so that arrival order never shows.
func (s *Session) add(e Event, in *interner) {
	s.events++
	at := e.Time.UnixNano()
	s.start, s.end = min(s.start, at), max(s.end, at)
	o := deref(s.origin)
	if s.events == 1 || cmp.Or(cmp.Compare(at, s.firstAt), strings.Compare(e.Country, o.country), strings.Compare(e.Device, o.device)) < 0 {
		s.firstAt, s.origin = at, in.origin(origin{country: e.Country, device: e.Device})
	}
	if e.Engagement {
		s.flags |= flagEngaged
	}
	if e.Goal != "" {
		s.addGoal(e.Goal, in)
		s.addRevenue(e.Revenue, in)
	}
	if !e.PageView {
		return
	}
	s.pageViews++
	if s.pageViews == 1 || cmp.Or(cmp.Compare(at, s.entryAt), strings.Compare(e.Path, deref(s.entry)), e.Attribution.compare(deref(s.attribution))) < 0 {
		s.entryAt, s.entry, s.attribution = at, in.str(e.Path), in.attribution(e.Attribution)
	}
	if s.pageViews == 1 || cmp.Or(cmp.Compare(at, s.exitAt), strings.Compare(e.Path, deref(s.exit))) > 0 {
		s.exitAt, s.exit = at, in.str(e.Path)
	}
}

func (s *Session) addGoal(goal string, in *interner) {
	if s.goals == nil {
		s.goals = &conversions{}
	}
	i, found := slices.BinarySearch(s.goals.goals, goal)
	if found || len(s.goals.goals) >= MaxGoals {
		return
	}
	s.goals.goals = slices.Insert(s.goals.goals, i, deref(in.str(goal)))
}

// addRevenue adds a goal's value to the session's sum in its currency.
func (s *Session) addRevenue(m Money, in *interner) {
	if m.Currency == "" {
		return
	}
	if s.goals == nil {
		s.goals = &conversions{}
	}
	i, found := slices.BinarySearchFunc(s.goals.revenue, m.Currency, func(x Money, c string) int { return strings.Compare(x.Currency, c) })
	switch {
	case found:
		// A sum past the largest goal value would be refused downstream
		// (schema.Measures) with the session's other currencies: the goal
		// still counts, its value stays out of the sum.
		if sum := s.goals.revenue[i].Value + m.Value; sum <= schema.MaxGoalValue {
			s.goals.revenue[i].Value = sum
		}
	case len(s.goals.revenue) < MaxRevenueCurrencies:
		s.goals.revenue = slices.Insert(s.goals.revenue, i, Money{Currency: deref(in.str(m.Currency)), Value: m.Value})
	}
}

func (c *conversions) goalNames() []string {
	if c == nil {
		return nil
	}
	return c.goals
}

func (c *conversions) revenueSums() []Money {
	if c == nil {
		return nil
	}
	return c.revenue
}

// Summary copies out what session.end reports.
func (s *Session) Summary() Summary {
	o := deref(s.origin)
	return Summary{
		ID:           s.ID(),
		Start:        time.Unix(0, s.start).UTC(),
		End:          time.Unix(0, s.end).UTC(),
		PageViews:    s.pageViews,
		Events:       s.events,
		Engaged:      s.flags&flagEngaged != 0,
		Returning:    s.flags&flagReturning != 0,
		EntryPage:    deref(s.entry),
		ExitPage:     deref(s.exit),
		Attribution:  deref(s.attribution),
		Country:      o.country,
		Device:       o.device,
		Goals:        slices.Clone(s.goals.goalNames()),
		Revenue:      slices.Clone(s.goals.revenueSums()),
		Bot:          s.Bot(),
		BotFromStart: s.behaviour().botFromStart,
	}
}

// breaks reports whether e cannot belong to s, and the reason s then ends.
// Midnight, duration and inactivity are judged against the session's whole
// span, so that an event arriving late is judged as if it came in order.
func (r Rules) breaks(s *Session, e Event) (EndReason, bool) {
	at := e.Time.UnixNano()
	switch {
	case time.Duration(at-s.end) > r.InactivityTimeout || time.Duration(s.start-at) > r.InactivityTimeout:
		return EndIdle, true
	case r.MaxDuration > 0 && (time.Duration(at-s.start) > r.MaxDuration || time.Duration(s.end-at) > r.MaxDuration):
		return EndMaxDuration, true
	case r.SplitAtMidnight && !sameDay(time.Unix(0, s.start), e.Time, r.Location):
		return EndMidnight, true
	case r.SplitOnCampaignChange && e.PageView && s.pageViews > 0 && at > s.entryAt &&
		e.Attribution.opensCampaign() && e.Attribution != deref(s.attribution):
		return EndCampaign, true
	}
	return "", false
}

// idleDeadline is the event time (Unix nanoseconds) after which, with no
// further event, the session has ended for inactivity.
func (r Rules) idleDeadline(s *Session) int64 { return s.end + int64(r.InactivityTimeout) }

func sameDay(a, b time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}
