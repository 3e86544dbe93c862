// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"time"

	"github.com/footfall-analytics/footfall/internal/schema"
)

// BotRules judge a session a bot's by what it does (docs/bots.md). Zero
// disables a rule.
type BotRules struct {
	// MaxPageViewsPerMinute: more page views than this within a minute of
	// event time (counted from the first of them) is a scraper's pace.
	MaxPageViewsPerMinute uint32
	// MaxPageViewsWithoutInteraction: more page views than this with no
	// engagement at all (no click, custom event or goal).
	MaxPageViewsWithoutInteraction uint32
	// MaxReloads: more page views of one page in a row than this.
	MaxReloads uint32
}

func (r BotRules) enabled() bool { return r != BotRules{} }

// behaviour is what a session remembers to judge it; sessions of one page
// view never need it, so it is kept (in the session's extras) from the second.
type behaviour struct {
	// kept is set once the session keeps its behaviour.
	kept bool
	// minuteStart is the event time (Unix nanoseconds) the current minute
	// of page views began; minuteViews counts them.
	minuteStart int64
	minuteViews uint32
	// reloads counts page views of the exit page in a row.
	reloads uint32
	// bot is the verdict's reason, "" while the session looks like a person's.
	bot string
	// botFromStart: the session's first event was a bot's.
	botFromStart bool
}

// Bot is the reason the session was judged a bot's, or "".
func (s *Session) Bot() string { return s.behaviour().bot }

// behaviour returns a copy of the session's behaviour (zero when not kept).
func (s *Session) behaviour() behaviour {
	if s.extras == nil {
		return behaviour{}
	}
	return s.extras.behaviour
}

// keptBehaviour returns the session's behaviour to update, starting it from
// what the session already holds: its page views so far (the first started
// the minute and a run of one page).
func (s *Session) keptBehaviour() *behaviour {
	b := &s.more().behaviour
	if !b.kept {
		*b = behaviour{kept: true, minuteStart: s.exitAt, minuteViews: s.pageViews, reloads: min(s.pageViews, 1)}
	}
	return b
}

// observe updates the behaviour with an event about to be added to the
// session (it reads the exit page before the event moves it) and returns
// the session's verdict. A verdict is final: every later event of the
// session is a bot's too. The judgement follows placement order, which is
// event-time order for all but late events.
func (s *Session) observe(e Event, r BotRules) string {
	if e.Bot != "" && s.Bot() == "" {
		s.judge(e.Bot)
	}
	if !r.enabled() || !e.PageView || s.Bot() != "" {
		return s.Bot()
	}
	at := e.Time.UnixNano()
	b := s.keptBehaviour()
	if at-b.minuteStart >= int64(time.Minute) || at < b.minuteStart {
		b.minuteStart, b.minuteViews = at, 0
	}
	b.minuteViews++
	if s.pageViews > 0 && e.Path == deref(s.exit) {
		b.reloads++
	} else {
		b.reloads = 1
	}
	engaged := s.flags&flagEngaged != 0 || e.Engagement
	switch {
	case r.MaxPageViewsPerMinute > 0 && b.minuteViews > r.MaxPageViewsPerMinute:
		b.bot = schema.BotReasonPageRate
	case r.MaxReloads > 0 && b.reloads > r.MaxReloads:
		b.bot = schema.BotReasonReloads
	case r.MaxPageViewsWithoutInteraction > 0 && !engaged && s.pageViews+1 > r.MaxPageViewsWithoutInteraction:
		b.bot = schema.BotReasonNoInteraction
	}
	return b.bot
}

// judge records a verdict made elsewhere (the receiver's, carried by an event).
func (s *Session) judge(reason string) {
	b := s.keptBehaviour()
	b.bot = reason
	b.botFromStart = s.events == 0
}
