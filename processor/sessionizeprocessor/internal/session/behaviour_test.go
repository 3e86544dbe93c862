// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/schema"
)

var botRules = BotRules{MaxPageViewsPerMinute: 60, MaxPageViewsWithoutInteraction: 100, MaxReloads: 20}

// scriptedVisitor is one visitor of the ground truth: its events, and from
// which of them on (0-based) its session is a bot's, with which reason.
type scriptedVisitor struct {
	key     Key
	events  []Event
	botFrom int // -1 for a person
	reason  string
}

// humansAndBots builds people and bots of each rule, interleaved on one site.
func humansAndBots(rng *rand.Rand) []scriptedVisitor {
	var visitors []scriptedVisitor
	add := func(kind string, i int, events []Event, botFrom int, reason string) {
		visitors = append(visitors, scriptedVisitor{key: Key{Site: "shop", Visitor: fmt.Sprintf("%s-%d", kind, i)}, events: events, botFrom: botFrom, reason: reason})
	}
	for i := range 40 {
		// A person: up to 12 pages a few seconds to a minute apart, reloads
		// now and then, a click on some.
		start := t0.Add(time.Duration(rng.IntN(600)) * time.Second)
		var events []Event
		at := start
		for p := range 1 + rng.IntN(12) {
			path := fmt.Sprintf("/page-%d", rng.IntN(5))
			events = append(events, pageView(at, path, Attribution{}))
			if p%3 == 1 {
				events = append(events, Event{Time: at.Add(time.Second), Engagement: true, Path: path})
			}
			at = at.Add(time.Duration(2+rng.IntN(60)) * time.Second)
		}
		add("person", i, events, -1, "")
	}
	for i := range 5 {
		// A scraper: 80 pages half a second apart; the 61st within a minute is too many.
		var events []Event
		for p := range 80 {
			events = append(events, pageView(t0.Add(time.Duration(i)*time.Minute+time.Duration(p)*500*time.Millisecond), fmt.Sprintf("/item-%d", p), Attribution{}))
		}
		add("scraper", i, events, 60, schema.BotReasonPageRate)
	}
	for i := range 5 {
		// A reloader: one page 30 times, 10 s apart, after a click; the 21st in a row is too many.
		events := []Event{{Time: t0.Add(time.Duration(i) * time.Minute), Engagement: true, Path: "/"}}
		for p := range 30 {
			events = append(events, pageView(t0.Add(time.Duration(i)*time.Minute+time.Duration(p+1)*10*time.Second), "/live", Attribution{}))
		}
		add("reloader", i, events, 1+20, schema.BotReasonReloads)
	}
	for i := range 5 {
		// A lurker: 120 pages 20 s apart, never interacting; the 101st is too many.
		var events []Event
		for p := range 120 {
			events = append(events, pageView(t0.Add(time.Duration(i)*time.Minute+time.Duration(p)*20*time.Second), fmt.Sprintf("/doc-%d", p), Attribution{}))
		}
		add("lurker", i, events, 100, schema.BotReasonNoInteraction)
	}
	return visitors
}

// TestBotRulesKeepPeopleExact feeds people and bots interleaved, in event
// time order, and checks every assignment against the ground truth: no
// person's event is a bot's, and each bot's events are from the rule's
// threshold on.
func TestBotRulesKeepPeopleExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(27, 1))
	visitors := humansAndBots(rng)
	type ref struct{ visitor, event int }
	var inputs []Input
	refs := map[int]ref{}
	for v, sv := range visitors {
		for e, ev := range sv.events {
			id := fmt.Sprintf("%s-e%03d", sv.key.Visitor, e)
			n := len(refs)
			refs[n] = ref{v, e}
			inputs = append(inputs, Input{Key: sv.key, EventID: id, Event: ev, Ref: n})
		}
	}
	slices.SortStableFunc(inputs, func(a, b Input) int { return a.compare(&b) })

	rulesWithBots := rules
	rulesWithBots.Bots = botRules
	n := 0
	tr := NewTracker(func(string) Rules { return rulesWithBots }, func(Input) string { n++; return fmt.Sprintf("s%d", n) }, 1000, 100000)
	out := feed(t, tr, inputs...)
	out = append(out, tr.Flush(EndShutdown)...)

	placed, personEvents, botEvents := 0, 0, 0
	ended := map[string]string{}
	for _, o := range out {
		if e := o.Ending; e != nil {
			ended[e.Key.Visitor] = e.Session.Bot
			continue
		}
		a := o.Assignment
		r := refs[a.Ref]
		sv := visitors[r.visitor]
		placed++
		want := ""
		if sv.botFrom >= 0 && r.event >= sv.botFrom {
			want = sv.reason
		}
		require.Equal(t, want, a.Bot, "%s event %d", sv.key.Visitor, r.event)
		if a.Bot == "" && sv.botFrom < 0 {
			personEvents++
		}
		if a.Bot != "" {
			botEvents++
		}
	}
	require.Equal(t, len(inputs), placed)
	wantPerson, wantBot := 0, 0
	for _, sv := range visitors {
		if sv.botFrom < 0 {
			wantPerson += len(sv.events)
			assert.Empty(t, ended[sv.key.Visitor], sv.key.Visitor)
		} else {
			wantBot += len(sv.events) - sv.botFrom
			assert.Equal(t, sv.reason, ended[sv.key.Visitor], "the session.end of %s says why", sv.key.Visitor)
		}
	}
	assert.Equal(t, wantPerson, personEvents, "every person's event counted")
	assert.Equal(t, wantBot, botEvents)
}

func TestBotRulesOffByDefault(t *testing.T) {
	s := newSession("s", pageView(t0, "/", Attribution{}), newInterner())
	for p := range 500 {
		assert.Empty(t, s.observe(pageView(t0.Add(time.Duration(p)*time.Millisecond), "/", Attribution{}), BotRules{}))
	}
	assert.Nil(t, s.extras, "no rule, no memory")
}

// TestBotVerdictSurvivesACheckpoint: a restored session stays a bot's, and
// one close to a threshold crosses it at the same event.
func TestBotVerdictSurvivesACheckpoint(t *testing.T) {
	rulesWithBots := rules
	rulesWithBots.Bots = BotRules{MaxReloads: 3}
	newTracker := func() *Tracker {
		return NewTracker(func(string) Rules { return rulesWithBots }, func(Input) string { return "s1" }, 10, 100)
	}
	reload := func(i int) Input {
		return Input{Key: alice, EventID: fmt.Sprintf("e%d", i), Event: pageView(t0.Add(time.Duration(i)*time.Second), "/", Attribution{}), Ref: i}
	}
	tr := newTracker()
	out := feed(t, tr, reload(0), reload(1), reload(2))
	out = append(out, tr.Advance(t0.Add(time.Hour-31*time.Minute))...)
	for _, o := range out {
		require.Empty(t, o.Assignment.Bot)
	}
	restored := newTracker()
	require.NoError(t, restored.Restore(tr.Checkpoint()))
	out = feed(t, restored, reload(3), reload(4))
	out = append(out, restored.Advance(t0.Add(time.Hour))...)
	var bots []string
	for _, o := range out {
		if o.Assignment != nil {
			bots = append(bots, o.Assignment.Bot)
		}
	}
	assert.Equal(t, []string{schema.BotReasonReloads, schema.BotReasonReloads}, bots)
}
