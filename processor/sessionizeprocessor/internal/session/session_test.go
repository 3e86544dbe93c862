// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package session

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/footfall-analytics/footfall/internal/schema"
)

var (
	t0     = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	berlin = mustLocation("Europe/Berlin")
	rules  = Rules{
		InactivityTimeout:     30 * time.Minute,
		MaxDuration:           24 * time.Hour,
		SplitAtMidnight:       true,
		Location:              time.UTC,
		SplitOnCampaignChange: true,
	}
	google     = Attribution{ReferrerClass: "search", ReferrerSource: "Google"}
	newsletter = Attribution{ReferrerClass: "direct", UTMSource: "newsletter", UTMMedium: "email", UTMCampaign: "launch"}
)

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

func pageView(at time.Time, path string, a Attribution) Event {
	return Event{Time: at, PageView: true, Path: path, Attribution: a}
}

func TestBreaks(t *testing.T) {
	landing := pageView(t0, "/", google)
	tests := []struct {
		name  string
		rules func(Rules) Rules
		next  Event
		want  EndReason
	}{
		{name: "29m59s later continues", next: pageView(t0.Add(29*time.Minute+59*time.Second), "/a", Attribution{ReferrerClass: "internal"})},
		{name: "exactly the timeout continues", next: pageView(t0.Add(30*time.Minute), "/a", Attribution{})},
		{name: "past the timeout is idle", next: pageView(t0.Add(30*time.Minute+time.Second), "/a", Attribution{}), want: EndIdle},
		{name: "a late event long before the start is idle", next: pageView(t0.Add(-31*time.Minute), "/a", Attribution{}), want: EndIdle},
		{
			name: "midnight UTC", next: pageView(time.Date(2026, 11, 28, 0, 0, 1, 0, time.UTC), "/a", Attribution{}),
			rules: func(r Rules) Rules { r.InactivityTimeout = 24 * time.Hour; return r }, want: EndMidnight,
		},
		{
			name: "midnight in the site's zone", next: pageView(time.Date(2026, 11, 27, 23, 5, 0, 0, time.UTC), "/a", Attribution{}),
			rules: func(r Rules) Rules { r.InactivityTimeout = 24 * time.Hour; r.Location = berlin; return r }, want: EndMidnight,
		},
		{
			name: "midnight split off", next: pageView(time.Date(2026, 11, 28, 0, 0, 1, 0, time.UTC), "/a", Attribution{}),
			rules: func(r Rules) Rules { r.InactivityTimeout = 24 * time.Hour; r.SplitAtMidnight = false; return r },
		},
		{
			name: "max duration", next: pageView(t0.Add(2*time.Hour+time.Second), "/a", Attribution{}),
			rules: func(r Rules) Rules { r.InactivityTimeout = 3 * time.Hour; r.MaxDuration = 2 * time.Hour; return r }, want: EndMaxDuration,
		},
		{name: "new UTM campaign", next: pageView(t0.Add(time.Minute), "/", newsletter), want: EndCampaign},
		{name: "new external referrer", next: pageView(t0.Add(time.Minute), "/", Attribution{ReferrerClass: "social", ReferrerSource: "Reddit"}), want: EndCampaign},
		{name: "same campaign again continues", next: pageView(t0.Add(time.Minute), "/", google)},
		{name: "direct continues", next: pageView(t0.Add(time.Minute), "/", Attribution{ReferrerClass: "direct"})},
		{name: "campaign on a click continues", next: Event{Time: t0.Add(time.Minute), Attribution: newsletter}},
		{name: "a late earlier campaign page continues", next: pageView(t0.Add(-time.Second), "/", newsletter)},
		{
			name: "campaign split off", next: pageView(t0.Add(time.Minute), "/", newsletter),
			rules: func(r Rules) Rules { r.SplitOnCampaignChange = false; return r },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rules
			if tt.rules != nil {
				r = tt.rules(r)
			}
			s := newSession("s1", landing, nil)
			reason, breaks := r.breaks(s, tt.next)
			assert.Equal(t, tt.want != "", breaks)
			assert.Equal(t, tt.want, reason)
		})
	}
}

func TestCampaignOnFirstPageViewAfterClicksContinues(t *testing.T) {
	s := newSession("s1", Event{Time: t0, Engagement: true}, nil)
	_, breaks := rules.breaks(s, pageView(t0.Add(time.Second), "/", newsletter))
	assert.False(t, breaks, "a session with no page view yet has no campaign to change")
}

func TestSummary(t *testing.T) {
	in := newInterner()
	live := newSession("s1", Event{Time: t0, PageView: true, Path: "/", Attribution: google, Country: "DE", Device: "mobile"}, in)
	assert.True(t, live.Summary().Bounce())
	live.add(Event{Time: t0.Add(time.Minute), Engagement: true, Goal: "signup", Country: "FR"}, in)
	assert.False(t, live.Summary().Bounce(), "one page view with engagement is not a bounce")
	live.add(pageView(t0.Add(3*time.Minute), "/pricing", Attribution{ReferrerClass: "internal"}), in)
	live.add(Event{Time: t0.Add(4 * time.Minute), Goal: "signup", Revenue: Money{"USD", 10}}, in)
	live.add(Event{Time: t0.Add(5 * time.Minute), Goal: "purchase", Revenue: Money{"EUR", 49.5}}, in)
	live.add(Event{Time: t0.Add(5 * time.Minute), Goal: "purchase", Revenue: Money{"EUR", 0.5}}, in)
	s := live.Summary()

	assert.Equal(t, "s1", s.ID)
	assert.Equal(t, t0, s.Start)
	assert.Equal(t, 5*time.Minute, s.Duration())
	assert.Equal(t, uint32(2), s.PageViews)
	assert.Equal(t, uint32(6), s.Events)
	assert.Equal(t, "/", s.EntryPage)
	assert.Equal(t, "/pricing", s.ExitPage)
	assert.Equal(t, google, s.Attribution, "attribution of the landing page view")
	assert.Equal(t, "DE", s.Country)
	assert.Equal(t, "mobile", s.Device)
	assert.Equal(t, []string{"purchase", "signup"}, s.Goals)
	assert.Equal(t, []Money{{"EUR", 50}, {"USD", 10}}, s.Revenue, "summed per currency, sorted")
	assert.False(t, s.Bounce())
}

func TestRevenueCurrenciesAreBounded(t *testing.T) {
	s := newSession("s1", pageView(t0, "/", Attribution{}), nil)
	for _, c := range []string{"USD", "EUR", "GBP", "JPY", "CHF", "AUD"} {
		s.add(Event{Time: t0, Goal: "purchase", Revenue: Money{c, 1}}, nil)
	}
	s.add(Event{Time: t0, Goal: "purchase", Revenue: Money{"USD", 2}}, nil)
	assert.Equal(t, []Money{{"EUR", 1}, {"GBP", 1}, {"JPY", 1}, {"USD", 3}}, s.Summary().Revenue,
		"the first four currencies are kept and go on summing; later ones are not attributed")
}

// A session's sum stays within the largest goal value, so that the
// connector never refuses it (and never sums past a finite number).
func TestRevenueSumStaysInRange(t *testing.T) {
	s := newSession("s1", pageView(t0, "/", Attribution{}), nil)
	for range 3 {
		s.add(Event{Time: t0, Goal: "purchase", Revenue: Money{"CHF", 0.6 * schema.MaxGoalValue}}, nil)
	}
	s.add(Event{Time: t0, Goal: "purchase", Revenue: Money{"CHF", 5}}, nil)
	assert.Equal(t, []Money{{"CHF", 0.6*schema.MaxGoalValue + 5}}, s.Summary().Revenue,
		"a value that would pass the largest goal value is left out of the sum; smaller ones still add")
}

func TestGoalsAreBounded(t *testing.T) {
	s := newSession("s1", pageView(t0, "/", Attribution{}), nil)
	for i := range MaxGoals + 5 {
		s.add(Event{Time: t0, Goal: fmt.Sprintf("goal-%02d", i)}, nil)
	}
	assert.Len(t, s.Summary().Goals, MaxGoals)
}

// TestSummaryDoesNotDependOnArrivalOrder is the property the processor relies
// on: any arrival order of the same events gives the same session.
func TestSummaryDoesNotDependOnArrivalOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	paths := []string{"/", "/a", "/b", "/c"}
	for trial := range 500 {
		n := 1 + rng.IntN(12)
		events := make([]Event, n)
		for i := range events {
			e := Event{
				// Coarse times make ties common, which is where order could leak in.
				Time:       t0.Add(time.Duration(rng.IntN(6)) * time.Minute),
				PageView:   rng.IntN(3) > 0,
				Engagement: rng.IntN(4) == 0,
				Path:       paths[rng.IntN(len(paths))],
				Country:    []string{"DE", "FR"}[rng.IntN(2)],
				Device:     []string{"mobile", "desktop"}[rng.IntN(2)],
			}
			if rng.IntN(5) == 0 {
				e.Goal = []string{"signup", "purchase"}[rng.IntN(2)]
			}
			if e.PageView {
				e.Attribution = []Attribution{google, newsletter, {ReferrerClass: "internal"}}[rng.IntN(3)]
			}
			events[i] = e
		}
		want := summarize(events)
		for range 5 {
			rng.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })
			got := summarize(events)
			require.Equal(t, visible(want), visible(got), "trial %d", trial)
		}
	}
}

func summarize(events []Event) Summary {
	in := newInterner()
	s := newSession("s", events[0], in)
	for _, e := range events[1:] {
		s.add(e, in)
	}
	return s.Summary()
}

// visible is what a session.end event reports.
type summary struct {
	Start, End        time.Time
	PageViews, Events uint32
	Engaged, Bounce   bool
	Entry, Exit       string
	Attribution       Attribution
	Goals             []string
	Country, Device   string
}

func visible(s Summary) summary {
	return summary{
		Start: s.Start, End: s.End, PageViews: s.PageViews, Events: s.Events, Engaged: s.Engaged,
		Bounce: s.Bounce(), Entry: s.EntryPage, Exit: s.ExitPage, Attribution: s.Attribution, Goals: s.Goals,
		Country: s.Country, Device: s.Device,
	}
}
