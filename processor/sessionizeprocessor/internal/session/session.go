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
	"slices"
	"strings"
	"time"
)

// EndReason says why a session ended, as written to session.end events.
type EndReason string

const (
	EndIdle        EndReason = "idle"
	EndMaxDuration EndReason = "max_duration"
	EndMidnight    EndReason = "midnight"
	EndCampaign    EndReason = "campaign"
	EndShutdown    EndReason = "shutdown"
	EndEvicted     EndReason = "evicted"
	// EndClientSession: the client sent a new session.id of its own.
	EndClientSession EndReason = "client_session"
)

// Rules are the session boundaries of one site.
type Rules struct {
	InactivityTimeout     time.Duration
	MaxDuration           time.Duration
	SplitAtMidnight       bool
	Location              *time.Location
	SplitOnCampaignChange bool
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
	Country     string
	Device      string
}

// MaxGoals bounds the distinct goals one session remembers.
const MaxGoals = 16

// Session is the summary of one visit.
type Session struct {
	ID         string
	PreviousID string
	// Start and End are the times of the first and last event.
	Start, End time.Time
	PageViews  uint32
	Events     uint32
	Engaged    bool
	// EntryPage and ExitPage are the paths of the earliest and latest page view.
	EntryPage, ExitPage string
	// Attribution, Country and Device come from the earliest event that has them.
	Attribution Attribution
	Country     string
	Device      string

	// Unix nanoseconds of the events EntryPage, ExitPage and Country came from.
	entryAt, exitAt, firstAt int64

	// Goals are the distinct goals reached, sorted; past MaxGoals further
	// goals are not remembered (so which ones are kept then depends on order).
	Goals []string
}

// New starts a session with its first event.
func New(id, previousID string, first Event) *Session {
	s := &Session{ID: id, PreviousID: previousID, Start: first.Time, End: first.Time}
	s.Add(first)
	return s
}

// Add folds an event into the summary. Where two events share an instant,
// ties are broken on content, so that arrival order never shows.
func (s *Session) Add(e Event) {
	s.Events++
	if e.Time.Before(s.Start) {
		s.Start = e.Time
	}
	if e.Time.After(s.End) {
		s.End = e.Time
	}
	at := e.Time.UnixNano()
	if s.Events == 1 || cmp.Or(cmp.Compare(at, s.firstAt), strings.Compare(e.Country, s.Country), strings.Compare(e.Device, s.Device)) < 0 {
		s.firstAt, s.Country, s.Device = at, strings.Clone(e.Country), strings.Clone(e.Device)
	}
	if e.Engagement {
		s.Engaged = true
	}
	if e.Goal != "" {
		s.addGoal(e.Goal)
	}
	if !e.PageView {
		return
	}
	s.PageViews++
	if s.PageViews == 1 || cmp.Or(cmp.Compare(at, s.entryAt), strings.Compare(e.Path, s.EntryPage), e.Attribution.compare(s.Attribution)) < 0 {
		s.entryAt, s.EntryPage, s.Attribution = at, strings.Clone(e.Path), e.Attribution.clone()
	}
	if s.PageViews == 1 || cmp.Or(cmp.Compare(at, s.exitAt), strings.Compare(e.Path, s.ExitPage)) > 0 {
		s.exitAt, s.ExitPage = at, strings.Clone(e.Path)
	}
}

// clone copies the strings, which may point into a request's buffer, so that
// a long-lived session does not keep the whole buffer alive.
func (a Attribution) clone() Attribution {
	return Attribution{
		ReferrerClass: strings.Clone(a.ReferrerClass), ReferrerSource: strings.Clone(a.ReferrerSource),
		UTMSource: strings.Clone(a.UTMSource), UTMMedium: strings.Clone(a.UTMMedium), UTMCampaign: strings.Clone(a.UTMCampaign),
	}
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

func (s *Session) addGoal(goal string) {
	i, found := slices.BinarySearch(s.Goals, goal)
	if found || len(s.Goals) >= MaxGoals {
		return
	}
	s.Goals = slices.Insert(s.Goals, i, strings.Clone(goal))
}

// Bounce is true for a session of exactly one page view and no engagement.
func (s *Session) Bounce() bool { return s.PageViews == 1 && !s.Engaged }

// Duration is the time from the first to the last event.
func (s *Session) Duration() time.Duration { return s.End.Sub(s.Start) }

// IdleDeadline is the event time after which, with no further event, the
// session has ended for inactivity.
func (r Rules) IdleDeadline(s *Session) time.Time { return s.End.Add(r.InactivityTimeout) }

// Breaks reports whether e cannot belong to s, and the reason s then ends.
// Midnight, duration and inactivity are judged against the session's whole
// span, so that an event arriving late is judged as if it came in order.
func (r Rules) Breaks(s *Session, e Event) (EndReason, bool) {
	switch {
	case e.Time.Sub(s.End) > r.InactivityTimeout || s.Start.Sub(e.Time) > r.InactivityTimeout:
		return EndIdle, true
	case r.MaxDuration > 0 && (e.Time.Sub(s.Start) > r.MaxDuration || s.End.Sub(e.Time) > r.MaxDuration):
		return EndMaxDuration, true
	case r.SplitAtMidnight && !sameDay(s.Start, e.Time, r.Location):
		return EndMidnight, true
	case r.SplitOnCampaignChange && e.PageView && s.PageViews > 0 && e.Time.UnixNano() > s.entryAt &&
		e.Attribution.opensCampaign() && e.Attribution != s.Attribution:
		return EndCampaign, true
	}
	return "", false
}

func sameDay(a, b time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	ay, am, ad := a.In(loc).Date()
	by, bm, bd := b.In(loc).Date()
	return ay == by && am == bm && ad == bd
}
