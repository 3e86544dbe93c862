// Copyright The Footfall Authors
// SPDX-License-Identifier: Apache-2.0

package snapshot

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pmetric"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/snapshot.json")

// The webanalytics connector's golden journeys output becomes this snapshot.
func TestGoldenSnapshot(t *testing.T) {
	md, err := golden.ReadMetrics(filepath.Join("..", "..", "..", "..", "connector", "webanalyticsconnector", "testdata", "journeys", "expected.yaml"))
	require.NoError(t, err)
	now := time.Date(2026, 11, 27, 10, 30, 15, 0, time.UTC)
	tr := NewTracker(10, time.UTC)
	require.Zero(t, tr.Ingest(md, now))
	got, err := json.MarshalIndent(tr.Snapshot(1, now, 10), "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", "snapshot.json")
	if *updateGolden {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o600))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
}

// counters builds one push of the connector: cumulative page views, sessions,
// bounces and ended sessions for a site.
func counters(site string, pageViews, sessions, bounces, ended float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	for name, v := range map[string]float64{"footfall.page_views": pageViews, "footfall.sessions": sessions, "footfall.bounces": bounces, "footfall.sessions.ended": ended} {
		m := ms.AppendEmpty()
		m.SetName(name)
		dp := m.SetEmptySum().DataPoints().AppendEmpty()
		dp.SetDoubleValue(v)
		dp.Attributes().PutStr("site", site)
	}
	return md
}

func TestWindowsAndChartFromTheMinuteHistory(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	// 23:00 UTC is midnight in Berlin: "today" starts there.
	start := time.Date(2026, 11, 27, 22, 50, 30, 0, time.UTC)
	tr := NewTracker(10, loc)
	// Ten page views a minute for 20 minutes, one session ended (a bounce)
	// every other minute.
	for m := range 20 {
		tr.Ingest(counters("shop", float64(10*(m+1)), float64(m+1), float64((m+1)/2), float64((m+1)/2)), start.Add(time.Duration(m)*time.Minute))
	}
	now := start.Add(19 * time.Minute)
	s := tr.Snapshot(7, now, 10)
	require.Len(t, s.Sites, 1)
	site := s.Sites[0]
	assert.EqualValues(t, 7, s.Seq)
	assert.InDelta(t, 50.0, site.Windows["5m"].PageViews, 0.001, "the last five minutes")
	assert.InDelta(t, 200.0, site.Windows["1h"].PageViews, 0.001, "everything since the first push is within the hour")
	assert.InDelta(t, 100.0, site.Windows["today"].PageViews, 0.001, "since midnight in Berlin (23:00 UTC)")
	require.NotNil(t, site.Windows["1h"].BounceRate)
	assert.InDelta(t, 1.0, *site.Windows["1h"].BounceRate, 0.001)
	assert.Nil(t, site.Windows["1h"].AvgDurationSeconds, "no duration histogram was pushed")
	require.Len(t, site.PageViewsPerMinute, 60)
	assert.Equal(t, now.Unix()/60*60, site.PageViewsPerMinute[59].Time)
	var total float64
	for _, p := range site.PageViewsPerMinute[40:] {
		assert.InDelta(t, 10.0, p.Value, 0.001, "ten a minute at %d", p.Time)
		total += p.Value
	}
	assert.InDelta(t, 200.0, total, 0.001)

	// The collector restarts: its counters start again from zero, and the
	// windows go on counting.
	tr.Ingest(counters("shop", 5, 1, 0, 0), now.Add(time.Minute))
	s = tr.Snapshot(8, now.Add(time.Minute), 10)
	// Minutes 16 to 19 (40), then 5 after the restart.
	assert.InDelta(t, 45.0, s.Sites[0].Windows["5m"].PageViews, 0.001, "a reset is not a negative count")
}

func TestSitesAreBounded(t *testing.T) {
	tr := NewTracker(2, time.UTC)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	assert.Zero(t, tr.Ingest(counters("a", 1, 1, 0, 0), now))
	assert.Zero(t, tr.Ingest(counters("b", 1, 1, 0, 0), now))
	assert.Equal(t, 4, tr.Ingest(counters("c", 1, 1, 0, 0), now), "each of c's four data points is dropped")
	assert.Equal(t, 2, tr.Sites())
	s := tr.Snapshot(1, now, 10)
	assert.Equal(t, "a", s.Sites[0].Site)
	assert.Equal(t, "b", s.Sites[1].Site)
}

func TestTopListsAreOrderedAndCut(t *testing.T) {
	got := top(map[string]float64{"/a": 3, "/b": 5, "/c": 3, "/d": 1}, 3)
	assert.Equal(t, []Entry{{"/b", 5}, {"/a", 3}, {"/c", 3}}, got)
}

// Top lists are rebuilt from each push: values are cumulative, so a second
// push of the same numbers must not add up; series shown under one name
// (direct visits have no source, only the class) are summed.
func TestTopListsFollowTheLatestPush(t *testing.T) {
	push := func(direct, google float64) pmetric.Metrics {
		md := pmetric.NewMetrics()
		m := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics().AppendEmpty()
		m.SetName("footfall.sessions.by_referrer")
		points := m.SetEmptySum().DataPoints()
		for _, p := range []struct {
			class, source string
			v             float64
		}{{"direct", "", direct}, {"direct", "unknown", 1}, {"search", "Google", google}} {
			dp := points.AppendEmpty()
			dp.SetDoubleValue(p.v)
			dp.Attributes().PutStr("site", "shop")
			dp.Attributes().PutStr("referrer_class", p.class)
			dp.Attributes().PutStr("referrer_source", p.source)
		}
		return md
	}
	tr := NewTracker(10, time.UTC)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tr.Ingest(push(4, 2), now)
	tr.Ingest(push(5, 2), now.Add(time.Second))
	s := tr.Snapshot(1, now.Add(time.Second), 10)
	assert.Equal(t, []Entry{{"direct", 6}, {"Google", 2}}, s.Sites[0].Top["today"].Sources)
}

// push builds one push of the connector for site shop: cumulative page
// views by path and funnel steps.
func listPush(paths map[string]float64, steps map[string]float64) pmetric.Metrics {
	md := pmetric.NewMetrics()
	ms := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty().Metrics()
	byPath := ms.AppendEmpty()
	byPath.SetName("footfall.page_views.by_path")
	pathPoints := byPath.SetEmptySum().DataPoints()
	for path, v := range paths {
		dp := pathPoints.AppendEmpty()
		dp.SetDoubleValue(v)
		dp.Attributes().PutStr("site", "shop")
		dp.Attributes().PutStr("path", path)
	}
	funnel := ms.AppendEmpty()
	funnel.SetName("footfall.funnel.sessions")
	points := funnel.SetEmptySum().DataPoints()
	for step, v := range steps {
		dp := points.AppendEmpty()
		dp.SetDoubleValue(v)
		dp.Attributes().PutStr("site", "shop")
		dp.Attributes().PutStr("funnel", "signup")
		dp.Attributes().PutStr("step", step)
	}
	return md
}

func entries(list []Entry) map[string]float64 {
	out := map[string]float64{}
	for _, e := range list {
		out[e.Name] = e.Value
	}
	return out
}

// Top lists count what happened in their window: /a gets one page view a
// minute for 90 minutes across midnight (Berlin), /b one a minute for the
// last 3 minutes only, and the funnel's first step one every ten minutes.
// Several pushes a minute carry the same cumulative values.
func TestTopListsPerWindow(t *testing.T) {
	loc, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	// Midnight in Berlin is 23:00 UTC; the pushes run 22:00 to 23:29 UTC.
	start := time.Date(2026, 11, 27, 22, 0, 10, 0, time.UTC)
	tr := NewTracker(10, loc)
	var now time.Time
	for m := range 90 {
		paths := map[string]float64{"/a": float64(m + 1)}
		if m >= 87 {
			paths["/b"] = float64(m - 86)
		}
		steps := map[string]float64{"1": float64(m/10 + 1)}
		for s := range 3 {
			now = start.Add(time.Duration(m)*time.Minute + time.Duration(s)*15*time.Second)
			tr.Ingest(listPush(paths, steps), now)
		}
	}
	top := tr.Snapshot(1, now, 10).Sites[0].Top
	assert.Equal(t, map[string]float64{"/a": 5, "/b": 3}, entries(top["5m"].Pages), "the last five minutes")
	assert.Equal(t, map[string]float64{"/a": 60, "/b": 3}, entries(top["1h"].Pages), "the last hour")
	assert.Equal(t, map[string]float64{"/a": 30, "/b": 3}, entries(top["today"].Pages), "since midnight in Berlin")
	// Steps at minutes 0, 10, ..., 80: six in the last hour (minutes 30 to
	// 89) and three today (minutes 60 to 89).
	assert.Equal(t, map[string]float64{"signup · step 1": 6}, entries(top["1h"].Funnels))
	assert.Equal(t, map[string]float64{"signup · step 1": 3}, entries(top["today"].Funnels))
	assert.Empty(t, top["5m"].Funnels, "no step in the last five minutes")

	// The next day has begun with no push yet: today is empty.
	next := time.Date(2026, 11, 28, 23, 0, 30, 0, time.UTC)
	assert.Empty(t, tr.Snapshot(2, next, 10).Sites[0].Top["today"].Pages)
}
