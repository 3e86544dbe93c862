// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package snapshot // import "github.com/footfall-analytics/footfall/exporter/liveviewexporter/internal/snapshot"

import (
	"cmp"
	"slices"
	"time"
)

// Snapshot is what the dashboard shows at one moment, as JSON.
type Snapshot struct {
	Seq         uint64    `json:"seq"`
	GeneratedAt time.Time `json:"generated_at"`
	Sites       []Site    `json:"sites"`
}

// Site is one site's numbers.
type Site struct {
	Site string `json:"site"`
	// CurrentVisitors is the connector's current-visitors gauge.
	CurrentVisitors *float64 `json:"current_visitors"`
	// Windows are "5m", "1h" and "today" (since midnight in the configured
	// time zone, or since the first data when that is later).
	Windows map[string]Window `json:"windows"`
	// PageViewsPerMinute covers the last 60 minutes, oldest first; the last
	// minute is still filling.
	PageViewsPerMinute []Point `json:"page_views_per_minute"`
	// Top holds the top lists of each window ("5m", "1h", "today").
	Top map[string]Lists `json:"top"`
}

// Lists are the top lists of one window: what was counted in it.
type Lists struct {
	Pages     []Entry `json:"pages"`
	Sources   []Entry `json:"sources"`
	Countries []Entry `json:"countries"`
	Devices   []Entry `json:"devices"`
	Goals     []Entry `json:"goals"`
	// Funnels are "<funnel> · step <k>": the sessions that reached it.
	Funnels []Entry `json:"funnels"`
}

// Window is a period's counts. Visitors is the connector's HyperLogLog
// estimate for the window; rates are absent when no session ended in it.
type Window struct {
	Visitors           *float64 `json:"visitors"`
	PageViews          float64  `json:"page_views"`
	Sessions           float64  `json:"sessions"`
	BounceRate         *float64 `json:"bounce_rate"`
	AvgDurationSeconds *float64 `json:"avg_duration_seconds"`
}

// Point is one minute of the chart: its start (Unix seconds) and count.
type Point struct {
	Time  int64   `json:"t"`
	Value float64 `json:"v"`
}

// Entry is one line of a top list: its count in the window.
type Entry struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// Snapshot builds the dashboard's view at now; top lists keep topN entries.
// "today" begins at midnight in the tracker's time zone.
func (t *Tracker) Snapshot(seq uint64, now time.Time, topN int) Snapshot {
	out := Snapshot{Seq: seq, GeneratedAt: now.UTC(), Sites: []Site{}}
	minute := now.Unix() / 60
	y, mo, d := now.In(t.loc).Date()
	midnight := time.Date(y, mo, d, 0, 0, 0, 0, t.loc).Unix() / 60
	today := t.dayOf(minute)
	for id, s := range t.sites {
		site := Site{Site: id, Windows: map[string]Window{}, Top: map[string]Lists{}}
		if s.hasLive {
			site.CurrentVisitors = ptr(s.live)
		}
		// A window starting at minute m counts what happened after the end
		// of minute m-1.
		for name, start := range map[string]int64{"5m": minute - 5, "1h": minute - 60, "today": midnight - 1} {
			w := s.window(s.at(start))
			if v, ok := s.visitors[name]; ok {
				w.Visitors = ptr(v)
			}
			site.Windows[name] = w
		}
		previous := s.at(minute - 60)
		for m := minute - 59; m <= minute; m++ {
			values := s.at(m)
			site.PageViewsPerMinute = append(site.PageViewsPerMinute, Point{Time: m * 60, Value: values[pageViews] - previous[pageViews]})
			previous = values
		}
		for name, base := range map[string]map[entryKey]float64{
			"5m":    s.listHist.valuesAt(minute - 5),
			"1h":    s.listHist.valuesAt(minute - 60),
			"today": s.listHist.todayBase(today),
		} {
			site.Top[name] = s.topLists(base, topN)
		}
		out.Sites = append(out.Sites, site)
	}
	slices.SortFunc(out.Sites, func(a, b Site) int { return cmp.Compare(a.Site, b.Site) })
	return out
}

// topLists are the lists counted after base.
func (s *site) topLists(base map[entryKey]float64, topN int) Lists {
	of := func(list string) []Entry { return top(since(s.lists[list], list, base), topN) }
	return Lists{
		Pages: of("pages"), Sources: of("sources"), Countries: of("countries"),
		Devices: of("devices"), Goals: of("goals"), Funnels: of("funnels"),
	}
}

func (s *site) window(base [numCounters]float64) Window {
	diff := func(c counter) float64 { return s.current[c] - base[c] }
	w := Window{PageViews: diff(pageViews), Sessions: diff(sessions)}
	if ended := diff(sessionsEnded); ended > 0 {
		w.BounceRate = ptr(diff(bounces) / ended)
	}
	if n := diff(durationCount); n > 0 {
		w.AvgDurationSeconds = ptr(diff(durationSum) / n)
	}
	return w
}

func top(counts map[string]float64, n int) []Entry {
	out := make([]Entry, 0, len(counts))
	for name, v := range counts {
		out = append(out, Entry{Name: name, Value: v})
	}
	slices.SortFunc(out, func(a, b Entry) int {
		if c := cmp.Compare(b.Value, a.Value); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out[:min(n, len(out))]
}

func ptr(v float64) *float64 { return &v }
